"""Scheduled ingestion: watched folders whose new files become documents and jobs.

A file is taken only once it is complete: its size and modification time did not
change between two scans, or a marker file (``NAME.ready`` or ``NAME.done``) sits
next to it. Its bytes are hashed first, so the same content is never ingested
twice, whichever folder or upload brought it. One file's failure is written on
its ``IngestedFile`` row and the scan goes on.

The core knows no queue: callers pass ``enqueue`` (the workers pass theirs). A job
that could not be queued stays pending in the database, where the reconciler
finds it.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parser_service.db import IngestedFile, IngestionSource, Job, StoredDocument
from parser_service.errors import ConfigError, InputError
from parser_service.parsers.sniff import sha256_of
from parser_service.service.jobs import Service

log = logging.getLogger(__name__)

Enqueue = Callable[[str], object]

#: Files next to a document that say "this one is complete".
MARKER_SUFFIXES = (".ready", ".done")
#: Names editors, browsers and copy tools give files still being written.
TEMPORARY_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".swx", "~")

SEEN, INGESTED, DUPLICATE, ERROR = "seen", "ingested", "duplicate", "error"


@dataclass
class ScanReport:
    """What one scan of one source did, by path relative to the watched folder."""

    source: str
    ingested: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    moved: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- sources -----------------------------------------------------------------


def add_source(
    service: Service,
    name: str,
    path: str | Path,
    *,
    pattern: str = "*",
    domain: str | None = None,
    interval_s: int = 60,
    move_to: str | Path | None = None,
    enabled: bool = True,
) -> IngestionSource:
    """Register a watched folder. Folders are stored as absolute paths, so a scan means the
    same folder whichever directory the worker runs in; a bad folder, pattern or domain is
    refused here rather than failing every scan later."""
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise ConfigError(f"source {name!r}: {folder} is not a folder; create it or give another path")
    if interval_s < 1:
        raise ConfigError(f"source {name!r}: the interval must be at least 1 second, not {interval_s}")
    if not pattern or Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        raise ConfigError(f"source {name!r}: the pattern {pattern!r} must be relative to the folder, like '*.pdf'")
    if domain:
        _check_domain(service, domain)
    target = str(Path(move_to).expanduser().resolve()) if move_to else None
    source = IngestionSource(
        name=name, path=str(folder), pattern=pattern, domain=domain, interval_s=interval_s,
        move_to=target, enabled=enabled,
    )
    try:
        with service.db.session() as session:
            session.add(source)
    except IntegrityError:
        raise ConfigError(f"a source named {name!r} already exists; remove it first or choose another name") from None
    return source


def list_sources(service: Service) -> list[IngestionSource]:
    with service.db.session() as session:
        return list(session.scalars(select(IngestionSource).order_by(IngestionSource.name)))


def get_source(service: Service, name: str) -> IngestionSource:
    with service.db.session() as session:
        source = session.scalar(select(IngestionSource).where(IngestionSource.name == name))
    if source is None:
        raise ConfigError(f"no source named {name!r}; `parser-service sources list` shows them")
    return source


def remove_source(service: Service, name: str) -> None:
    """Forget a source and what it has seen; its documents and jobs stay."""
    source = get_source(service, name)
    with service.db.session() as session:
        session.execute(delete(IngestedFile).where(IngestedFile.source_id == source.id))
        session.execute(delete(IngestionSource).where(IngestionSource.id == source.id))


def file_rows(service: Service, source: IngestionSource) -> list[IngestedFile]:
    """The files a source has seen, oldest first."""
    with service.db.session() as session:
        query = select(IngestedFile).where(IngestedFile.source_id == source.id)
        return list(session.scalars(query.order_by(IngestedFile.first_seen_at, IngestedFile.path)))


def _check_domain(service: Service, domain: str) -> None:
    """Raises ``UnknownDomainError`` naming the installed domains: the service's own."""
    service.pipeline.host.require(domain)


# --- the schedule ------------------------------------------------------------


def scan_due(service: Service, enqueue: Enqueue | None = None, now: datetime | None = None) -> list[ScanReport]:
    """Scan every enabled source whose interval has elapsed. Each source is claimed first
    (its ``last_scan_at`` moved forward in one conditional update), so two beat ticks or
    two workers never scan the same source at once."""
    now = now or datetime.now(UTC)
    reports = []
    for source in list_sources(service):
        if source.enabled and _claim(service, source, now):
            reports.append(scan_source(service, source, enqueue=enqueue, claimed=True))
    return reports


def _claim(service: Service, source: IngestionSource, now: datetime) -> bool:
    cutoff = now - timedelta(seconds=source.interval_s)
    with service.db.session() as session:
        result = session.execute(
            update(IngestionSource)
            .where(IngestionSource.id == source.id, IngestionSource.enabled.is_(True))
            .where(or_(IngestionSource.last_scan_at.is_(None), IngestionSource.last_scan_at <= cutoff))
            .values(last_scan_at=now)
        )
        return bool(getattr(result, "rowcount", 0))


# --- one scan ----------------------------------------------------------------


def scan_source(
    service: Service, source: IngestionSource | str, *, enqueue: Enqueue | None = None, claimed: bool = False
) -> ScanReport:
    """One pass over a watched folder. ``enqueue(job_id)`` is called for each new job."""
    if isinstance(source, str):
        source = get_source(service, source)
    if not claimed:
        _touch(service, source)
    report = ScanReport(source=source.name)
    root = Path(source.path)
    if not root.is_dir():
        report.errors["."] = f"{root} is not a folder (was it removed or unmounted?)"
        return report
    settled = {row.path: (row.size, row.mtime_ns) for row in file_rows(service, source) if _settled(row, source)}
    present = set()
    for path in found_files(root, source.pattern, exclude=Path(source.move_to) if source.move_to else None):
        relative = path.relative_to(root).as_posix()
        present.add(relative)
        if relative in settled and _same_stat(path, settled[relative]):
            continue  # handled before and unchanged: no database round trip for it
        _visit_safely(service, source, path, relative, report, enqueue)
    _forget_vanished(service, source, present)
    return report


def _settled(row: IngestedFile, source: IngestionSource) -> bool:
    """Rows whose file needs nothing more while its bytes stay the same. With ``move_to``,
    a handled file has been moved away, so one at its path is new (unless the move failed)."""
    return row.status == ERROR or (row.status in (INGESTED, DUPLICATE) and not source.move_to)


def _same_stat(path: Path, seen: tuple[int, int]) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == seen


def found_files(root: Path, pattern: str, exclude: Path | None = None) -> Iterator[Path]:
    """Regular files matching ``pattern``, whatever the case of their names (``*.csv`` takes
    ``umsatz.CSV``; recursive only with ``**``), without hidden, temporary and marker files,
    and without anything under ``exclude``."""
    for path in sorted(root.glob(case_insensitive(pattern))):
        relative = path.relative_to(root)
        if any(_hidden(part) for part in relative.parts) or path.name.lower().endswith(MARKER_SUFFIXES):
            continue
        if exclude is not None and path.is_relative_to(exclude):
            continue
        if path.is_file():
            yield path


def case_insensitive(pattern: str) -> str:
    """``pattern`` with every letter matching either case: ``*.csv`` -> ``*.[cC][sS][vV]``; a
    set ``[a-c]`` becomes ``[a-cA-C]``; a ``[`` that opens no set stays a literal ``[``.
    (``Path.glob`` has no ``case_sensitive`` before Python 3.12.)"""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] == "!" else i + 1)
            end = pattern.find("]", end + 1) if end == i + 1 else end  # "[]...]": a leading "]" is a member
            if end != -1 and "/" not in pattern[i:end]:
                body = pattern[i + 1 : end]
                negate = "!" if body.startswith("!") else ""
                members = body[len(negate) :]
                other = "".join(_other_case(member) for member in members)
                out.append(f"[{negate}{members}{other if other != members else ''}]")
                i = end + 1
                continue
            out.append("[[]")  # a literal "["
        else:
            other = _other_case(char)
            out.append(f"[{char}{other}]" if other != char else char)
        i += 1
    return "".join(out)


def _other_case(char: str) -> str:
    """The letter in its other case, where that is one character (not "ß" -> "SS")."""
    swapped = char.swapcase()
    return swapped if len(swapped) == 1 else char


def _hidden(name: str) -> bool:
    return name.startswith((".", "~")) or name.lower().endswith(TEMPORARY_SUFFIXES)


def _touch(service: Service, source: IngestionSource) -> None:
    with service.db.session() as session:
        now = datetime.now(UTC)
        session.execute(update(IngestionSource).where(IngestionSource.id == source.id).values(last_scan_at=now))


def _visit_safely(
    service: Service, source: IngestionSource, path: Path, relative: str, report: ScanReport, enqueue: Enqueue | None
) -> None:
    """A file's failure must not stop the scan: it is written on the file's row, to be tried
    again next scan. Only when even that write fails (the database is gone) does it raise."""
    try:
        _visit(service, source, path, relative, report, enqueue)
    except Exception as exc:
        log.exception("source %s: %s failed", source.name, relative)
        reason = f"{type(exc).__name__}: {exc}"
        report.errors[relative] = reason
        _set(service, source, relative, status=SEEN, error=reason)


def _visit(
    service: Service, source: IngestionSource, path: Path, relative: str, report: ScanReport, enqueue: Enqueue | None
) -> None:
    if not _inside(path, source):
        _fail(service, source, relative, report, _outside_reason(path, source), status=ERROR)
        return
    try:
        stat = path.stat()
    except FileNotFoundError:
        return
    ready = _observe(service, source, relative, stat.st_size, stat.st_mtime_ns, _marker(path) is not None)
    if ready is None:
        return
    if not ready:
        report.waiting.append(relative)
        return
    _ingest(service, source, path, relative, stat.st_size, report, enqueue)


def _inside(path: Path, source: IngestionSource) -> bool:
    """Whether ``path``, its links followed, is in the source's folder: a link (or a linked
    folder) out of it is never followed, so a watched folder cannot read files elsewhere."""
    try:
        return path.resolve(strict=True).is_relative_to(Path(source.path).resolve())
    except (OSError, RuntimeError):  # a dangling link or a loop: not followed either
        return False


def _outside_reason(path: Path, source: IngestionSource) -> str:
    return (f"{path.name}: a link out of the watched folder {source.path} (or a broken one); "
            "links out of a source's folder are not followed")  # fmt: skip


def _marker(path: Path) -> Path | None:
    for suffix in MARKER_SUFFIXES:
        marker = path.with_name(path.name + suffix)
        if marker.exists():
            return marker
    return None


def _observe(service: Service, source: IngestionSource, relative: str, size: int, mtime_ns: int,
             marked: bool) -> bool | None:
    """Record what the scan sees. True: take the file now; False: wait for the next scan;
    None: nothing to do (already handled, or an input error on bytes that did not change)."""
    with service.db.session() as session:
        row = _row(session, source, relative)
        if row is None:
            session.add(IngestedFile(source_id=source.id, path=relative, size=size, mtime_ns=mtime_ns, status=SEEN))
            return marked
        unchanged = (row.size, row.mtime_ns) == (size, mtime_ns)
        if row.status == SEEN:
            if not unchanged:
                row.size, row.mtime_ns = size, mtime_ns
            return unchanged or marked
        if unchanged and (row.status == ERROR or not source.move_to):
            return None
        # New bytes under a known name (or, when processed files are moved away, a new file).
        if row.status != ERROR and source.move_to and unchanged and row.error:
            return True  # ingested, but the move failed: try the move again
        row.size, row.mtime_ns, row.status, row.error = size, mtime_ns, SEEN, None
        return marked


def _ingest(
    service: Service, source: IngestionSource, path: Path, relative: str, size: int, report: ScanReport,
    enqueue: Enqueue | None,
) -> None:
    limit = int(service.settings.max_upload_mb * 1024 * 1024)
    if size > limit:
        _fail(service, source, relative, report, f"{path.name}: larger than the {service.settings.max_upload_mb:g} MB "
              "limit (PARSER_SERVICE_MAX_UPLOAD_MB)", status=ERROR)
        return
    try:
        digest = sha256_of(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        _fail(service, source, relative, report, f"{path.name}: cannot be read ({exc.strerror or exc})", status=SEEN)
        return
    previous = _known(service, source, relative, digest)
    if previous is not None:
        _after(service, source, path, relative, report)  # already ours: only the move is left to do
        return
    existing = _document_by_hash(service, digest)
    if existing is not None:
        _record_duplicate(service, source, relative, digest, existing, report)
        _after(service, source, path, relative, report)
        return
    _submit(service, source, path, relative, digest, report, enqueue)


def _submit(service: Service, source: IngestionSource, path: Path, relative: str, digest: str,
            report: ScanReport, enqueue: Enqueue | None) -> None:
    if not _inside(path, source):  # made a link since it was looked at
        _fail(service, source, relative, report, _outside_reason(path, source), status=ERROR, sha256=digest)
        return
    try:
        with path.open("rb") as stream:
            document, job, created = service.submit(stream, path.name, source.domain)
    except InputError as exc:
        _fail(service, source, relative, report, exc.message, status=ERROR, sha256=digest)
        return
    except OSError as exc:
        _fail(service, source, relative, report, f"{path.name}: cannot be read ({exc.strerror or exc})", status=SEEN)
        return
    if not created:
        _record_duplicate(service, source, relative, document.sha256, document, report)
    else:
        _set(service, source, relative, status=INGESTED, error=None, sha256=document.sha256,
             document_id=document.id, job_id=job.id, ingested_at=datetime.now(UTC))
        report.ingested.append(relative)
        report.jobs.append(job.id)
        _queue(job.id, relative, report, enqueue)
    _after(service, source, path, relative, report)


def _queue(job_id: str, relative: str, report: ScanReport, enqueue: Enqueue | None) -> None:
    if enqueue is None:
        return
    try:
        enqueue(job_id)
    except Exception as exc:  # the job is stored as pending: the reconciler queues it later
        log.warning("job %s stored but not queued: %s", job_id, exc)
        report.errors[relative] = f"job {job_id} stored but not queued yet ({exc}); the reconciler will queue it"


def _known(service: Service, source: IngestionSource, relative: str, digest: str) -> IngestedFile | None:
    """This row already ingested exactly these bytes (a retry of a failed move)."""
    with service.db.session() as session:
        row = _row(session, source, relative)
        if row is not None and row.sha256 == digest and row.status in (INGESTED, DUPLICATE):
            return row
    return None


def _document_by_hash(service: Service, digest: str) -> StoredDocument | None:
    with service.db.session() as session:
        return session.scalar(select(StoredDocument).where(StoredDocument.sha256 == digest))


def _record_duplicate(service: Service, source: IngestionSource, relative: str, digest: str,
                      document: StoredDocument, report: ScanReport) -> None:
    with service.db.session() as session:
        latest = select(Job.id).where(Job.document_id == document.id).order_by(Job.created_at.desc()).limit(1)
        job_id = session.scalar(latest)
    _set(service, source, relative, status=DUPLICATE, error=None, sha256=digest, document_id=document.id,
         job_id=job_id, ingested_at=datetime.now(UTC))
    report.duplicates.append(relative)


def _after(service: Service, source: IngestionSource, path: Path, relative: str, report: ScanReport) -> None:
    """Move a processed file (and its marker) out of the watched folder, when asked to."""
    if not source.move_to:
        return
    try:
        target = move_file(path, Path(source.move_to))
    except OSError as exc:
        reason = f"{path.name}: processed, but could not be moved to {source.move_to} ({exc.strerror or exc})"
        report.errors[relative] = reason
        _set(service, source, relative, error=reason)
        return
    report.moved[relative] = str(target)
    _set(service, source, relative, error=None)


def move_file(path: Path, folder: Path) -> Path:
    """Move ``path`` into ``folder`` under its own name, or ``stem-N.suffix`` when that name
    is taken, never overwriting; a marker file next to it is removed, its work being done."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = _marker(path)
    for n in range(10_000):
        target = folder / (path.name if n == 0 else f"{path.stem}-{n}{path.suffix}")
        try:
            os.link(path, target)  # fails if the name is taken: no overwrite, even in a race
        except FileExistsError:
            continue
        except OSError:  # another file system, or no hard links there
            if target.exists():
                continue
            shutil.copy2(path, target)
        path.unlink()
        if marker is not None:
            marker.unlink(missing_ok=True)
        return target
    raise FileExistsError(f"no free name for {path.name} in {folder}")



def _fail(service: Service, source: IngestionSource, relative: str, report: ScanReport, reason: str,
          *, status: str, sha256: str | None = None) -> None:
    """``error``: the bytes are the problem, tried again only when they change; ``seen``: a
    passing problem (unreadable now), tried again next scan."""
    report.errors[relative] = reason
    values: dict[str, Any] = {"status": status, "error": reason}
    if sha256:
        values["sha256"] = sha256
    _set(service, source, relative, **values)


def _set(service: Service, source: IngestionSource, relative: str, **values: Any) -> None:
    with service.db.session() as session:
        row = _row(session, source, relative)
        if row is None:
            return
        for name, value in values.items():
            setattr(row, name, value)


def _row(session: Session, source: IngestionSource, relative: str) -> IngestedFile | None:
    return session.scalar(
        select(IngestedFile).where(IngestedFile.source_id == source.id, IngestedFile.path == relative)
    )


def _forget_vanished(service: Service, source: IngestionSource, present: set[str]) -> None:
    """Rows of files that went away before they were ever taken (a temporary copy, a file
    deleted half-written) are dropped; rows of handled files are the record and stay."""
    with service.db.session() as session:
        rows = session.scalars(
            select(IngestedFile).where(IngestedFile.source_id == source.id, IngestedFile.status == SEEN)
        )
        for row in rows:
            if row.path not in present:
                session.delete(row)
