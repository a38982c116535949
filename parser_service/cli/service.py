"""The service's commands of ``parser-service``: ``api`` and ``keys``; ``worker``, ``beat``,
``submit``, ``jobs`` and ``sources``, which go through the queue and the database.

Each command is a small ``cmd_*`` function; each has one ``add_*`` function that
registers it on the subcommand parser, and ``COMMANDS`` lists those, which
``cli.build_parser`` calls in order. Heavy imports (FastAPI, SQLAlchemy, uvicorn)
happen inside the commands, so ``parser-service extract`` does not pay for them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from parser_service.cli.options import add_domain_option
from parser_service.errors import ConfigError, InputError

if TYPE_CHECKING:
    from parser_service.db import IngestionSource, Job
    from parser_service.service.jobs import Service
    from parser_service.settings import Settings


def add_api(commands: Any) -> None:
    api = commands.add_parser(
        "api",
        help="run the HTTP API (uploads, jobs, records, exports)",
        description="Serve the API with uvicorn. The database (DATABASE_URL) is migrated to the newest "
        "schema first. OpenAPI: /openapi.json and /docs.",
    )
    api.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    api.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    api.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default: 1)")
    api.set_defaults(handler=cmd_api)


def cmd_api(args: argparse.Namespace) -> int:
    import uvicorn

    from parser_service.settings import get_settings

    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    settings = get_settings()
    _require_database(settings)  # migrates once here, so uvicorn's processes never race to
    _require_blob_store(settings, claim=True)  # and a wrong blob folder is one line, not a traceback
    uvicorn.run(
        "parser_service.api.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers
    )
    return 0


def add_keys(commands: Any) -> None:
    keys = commands.add_parser(
        "keys",
        help="create, list and revoke API keys",
        description="API keys for the HTTP API. A key is shown once, when it is created; "
        "the database keeps only its SHA-256.",
    )
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a key and print it (once)")
    create.add_argument("name", help="who or what uses the key; shown as the author of corrections")
    create.set_defaults(handler=cmd_keys_create)
    listing = actions.add_parser("list", help="list keys (never the keys themselves)")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(handler=cmd_keys_list)
    revoke = actions.add_parser("revoke", help="revoke a key: requests with it are refused from now on")
    revoke.add_argument("id", help="the key's id, from 'keys list'")
    revoke.set_defaults(handler=cmd_keys_revoke)


def cmd_keys_create(args: argparse.Namespace) -> int:
    from parser_service.service import apikeys

    try:
        key, plaintext = apikeys.create_key(_database(), args.name)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    print(f"created API key {key.id} ({key.name}); it is shown only now:", file=sys.stderr)
    print(plaintext)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    from parser_service.service import apikeys

    rows = [_key_row(key) for key in apikeys.list_keys(_database())]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        print(f"{row['id']}  {row['prefix']}…  {row['name']:<24} created {row['created_at']}  {state}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    from parser_service.service import apikeys

    key = apikeys.revoke(_database(), args.id)
    if key is None:
        print(f"parser-service: error: no API key with id {args.id!r}; see 'parser-service keys list'",
              file=sys.stderr)  # fmt: skip
        return 2
    print(f"revoked API key {key.id} ({key.name})", file=sys.stderr)
    return 0


def _key_row(key: Any) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat(timespec="seconds") if value else None

    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "created_at": when(key.created_at),
        "last_used_at": when(key.last_used_at),
        "revoked_at": when(key.revoked_at),
    }


def _database() -> Any:
    """The service database, migrated to the newest schema (so ``keys create`` works on a fresh
    one), or a one-line error when it cannot be reached."""
    from parser_service.db import Database
    from parser_service.settings import get_settings

    settings = get_settings()
    _require_database(settings)
    return Database(settings.database())


# --- the queue: worker, beat, submit, jobs, sources ------------------------------------------
# These go through Redis and the database rather than extracting in this process.

#: Job statuses after which nothing more happens to a job.
FINISHED = ("succeeded", "failed")


def add_beat(commands: Any) -> None:
    beat = commands.add_parser(
        "beat",
        help="run the scheduler: folder scans and the job reconciler",
        description="Run Celery beat and a worker of its own queue (PARSER_SERVICE_QUEUE.schedule): every "
        "PARSER_SERVICE_SCAN_EVERY_S seconds it scans the watched folders whose interval has elapsed, and it runs "
        "the reconciler, however busy the job workers are. Run exactly one, where the watched folders and the "
        "blob folder are.",
    )
    beat.add_argument("--loglevel", default="INFO", help="Celery log level (default: INFO)")
    beat.set_defaults(handler=cmd_beat)


def add_worker(commands: Any) -> None:
    worker = commands.add_parser("worker", help="run a Celery worker that processes queued jobs",
                                 description="Run a Celery worker on the service's queue (REDIS_URL). "
                                 "Each worker process loads the model once and keeps it.")
    worker.add_argument("--concurrency", "-c", type=_positive_int, default=1,
                        help="worker processes in this worker (default: 1; each holds its own model)")
    worker.add_argument("--queue", "-Q", help="queue to consume (default: PARSER_SERVICE_QUEUE)")
    worker.add_argument("--name", "-n", help="node name, unique per host when several run (default: celery@HOST)")
    worker.add_argument("--loglevel", default="INFO", help="Celery log level (default: INFO)")
    worker.set_defaults(handler=cmd_worker)


def add_submit(commands: Any) -> None:
    submit = commands.add_parser("submit", help="queue documents for the workers and follow their jobs",
                                 description="Store each PATH, queue a job for it and (with --wait, the default) "
                                 "show each job's progress on stderr until it ends. Prints a JSON summary on "
                                 "stdout; exits 1 if any document or job failed.")
    submit.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="documents to process")
    add_domain_option(submit, "domain to extract (default: chosen from the inferred document type)")
    submit.add_argument("--wait", action=argparse.BooleanOptionalAction, default=True,
                        help="follow the jobs until they end (default) or return once they are queued")
    submit.add_argument("--again", action="store_true",
                        help="a new job even for a document processed before (after a plugin or model change)")
    submit.add_argument("--timeout", type=float, help="with --wait: give up waiting after this many seconds")
    submit.set_defaults(handler=cmd_submit)


def add_jobs(commands: Any) -> None:
    jobs = commands.add_parser("jobs", help="list jobs, or show one job's status",
                               description="`jobs` or `jobs list`: the latest jobs; `jobs status ID`: one job "
                               "(an id prefix is enough).")
    _jobs_options(jobs, argparse.SUPPRESS)
    jobs.set_defaults(handler=cmd_jobs_list, status=None, json=False, limit=50)
    actions = jobs.add_subparsers(dest="jobs_command", metavar="ACTION")
    listing = actions.add_parser("list", help="the latest jobs")
    _jobs_options(listing, argparse.SUPPRESS)
    listing.set_defaults(handler=cmd_jobs_list)
    status = actions.add_parser("status", help="one job: status, progress, error, record counts")
    status.add_argument("job_id", metavar="ID", help="job id, or the first characters of one")
    status.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    status.set_defaults(handler=cmd_jobs_status)


def _jobs_options(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument("--status", choices=["pending", "running", "succeeded", "failed"], default=default,
                        help="only jobs with this status")
    parser.add_argument("--limit", type=_positive_int, default=default, help="how many jobs (default: 50)")
    parser.add_argument("--json", action="store_true", default=default, help="print JSON instead of a table")


def add_sources(commands: Any) -> None:
    sources = commands.add_parser("sources", help="watched folders: add, list, remove, scan",
                                  description="Watched folders whose new files become jobs. A file is taken once "
                                  "its size is the same on two scans, or when NAME.ready / NAME.done is beside it.")
    actions = sources.add_subparsers(dest="sources_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="watch a folder")
    add.add_argument("name", help="a name for the source")
    add.add_argument("path", type=Path, help="the folder to watch")
    add.add_argument("--pattern", default="*", help="glob of the files to take, e.g. '*.pdf' ('**/' to recurse)")
    add_domain_option(add, "domain of its files (default: chosen from each document's type)")
    add.add_argument("--interval", type=_positive_int, default=60, help="seconds between scans (default: 60)")
    add.add_argument("--move-to", type=Path, help="move processed files to this folder (created if needed)")
    add.add_argument("--disabled", action="store_true", help="add it without scanning it yet")
    add.set_defaults(handler=cmd_sources_add)
    listing = actions.add_parser("list", help="the watched folders")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(handler=cmd_sources_list)
    remove = actions.add_parser("remove", help="stop watching a folder (its documents and jobs stay)")
    remove.add_argument("name")
    remove.set_defaults(handler=cmd_sources_remove)
    scan = actions.add_parser("scan", help="scan now (one source, or every enabled one), without beat")
    scan.add_argument("name", nargs="?", help="the source (default: every enabled source)")
    scan.set_defaults(handler=cmd_sources_scan)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


# --- worker and beat: exec Celery --------------------------------------------------------------


def cmd_worker(args: argparse.Namespace) -> int:
    from parser_service.settings import Settings

    settings = Settings()
    _require_redis(settings)
    _require_database(settings)
    _require_blob_store(settings, claim=False)
    queue = args.queue or settings.queue
    name = ["--hostname", args.name] if args.name else []
    _exec_celery(["worker", "-Q", queue, "--concurrency", str(args.concurrency), "--loglevel", args.loglevel, *name])


def cmd_beat(args: argparse.Namespace) -> int:
    from parser_service.settings import Settings

    settings = Settings()
    _require_redis(settings)
    _require_database(settings)
    _require_blob_store(settings, claim=False)  # its folder scans store documents
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    schedule = settings.data_dir / "celerybeat-schedule"
    # beat embedded in a one-process worker of the schedule queue: the scans and the reconciler
    # run here, never behind the jobs of busy workers
    _exec_celery(["worker", "--beat", "--schedule", str(schedule), "-Q", settings.schedule_queue(),
                  "--pool", "solo", "--concurrency", "1", "--hostname", f"scheduler-{settings.queue}@%h",
                  "--loglevel", args.loglevel])  # fmt: skip


def _exec_celery(arguments: list[str]) -> NoReturn:
    """Replace this process with Celery, so signals (SIGTERM from compose or systemd) reach it."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "celery", "-A", "workers.app", *arguments])


# --- submit ------------------------------------------------------------------------------------


def cmd_submit(args: argparse.Namespace) -> int:
    service = _queue_service()
    if args.domain:
        service.pipeline.host.require(args.domain)  # an unknown domain stops everything, before storing
    from parser_service.service.queue import enqueue

    entries = [_submit_one(service, path, args, enqueue) for path in args.paths]
    if args.wait:
        _follow(service, entries, args.timeout)
    print(json.dumps(entries, indent=2))
    unfinished = ("failed", "pending", "running") if args.wait else ("failed",)
    return 1 if any(entry["status"] in unfinished for entry in entries) else 0


def _submit_one(
    service: Service, path: Path, args: argparse.Namespace, enqueue: Callable[[str], Any]
) -> dict[str, Any]:
    """One document: stored, a job queued (or the existing job when the same bytes were
    submitted before); a file that cannot be read is one failed entry, not the end of the run."""
    try:
        with path.open("rb") as stream:
            document, job, created = service.submit(stream, path.name, args.domain)
        if args.again and not created:
            job, created = service.new_job(document.id, args.domain), True
    except OSError as exc:
        return _failed_entry(path, f"{path.name}: {exc.strerror or exc}")
    except InputError as exc:
        return _failed_entry(path, exc.message)
    if created:
        enqueue(job.id)
    entry = {"file": str(path), "document_id": document.id, "job_id": job.id, "duplicate": not created}
    return {**entry, **_job_state(job)}


def _failed_entry(path: Path, reason: str) -> dict[str, Any]:
    _say(f"error: {reason}")
    return {"file": str(path), "document_id": None, "job_id": None, "duplicate": False,
            "status": "failed", "records_done": 0, "records_total": None, "error": reason}


def _job_state(job: Job) -> dict[str, Any]:
    return {"status": job.status, "records_done": job.records_done, "records_total": job.records_total,
            "error": job.error}


def _follow(service: Service, entries: list[dict[str, Any]], timeout: float | None) -> None:
    """Poll the database (the source of truth) until every job has ended, printing a line on
    stderr whenever a job's status or record count changes."""
    from sqlalchemy import select

    from parser_service.db import Job

    started = time.monotonic()
    shown: dict[str, tuple[Any, ...]] = {}
    waiting = [e for e in entries if e["job_id"]]
    while waiting:
        with service.db.session() as session:
            jobs = {j.id: j for j in session.scalars(select(Job).where(Job.id.in_([e["job_id"] for e in waiting])))}
        for entry in waiting:
            entry.update(_job_state(jobs[entry["job_id"]]))
            _show_progress(entry, shown, started)
        waiting = [e for e in waiting if e["status"] not in FINISHED]
        if waiting and timeout is not None and time.monotonic() - started > timeout:
            _say(f"error: {len(waiting)} job(s) still open after {timeout:g} s; they go on in the background "
                 "(`parser-service jobs` shows them)")
            return
        if waiting:
            time.sleep(0.5)


def _show_progress(entry: dict[str, Any], shown: dict[str, tuple[Any, ...]], started: float) -> None:
    state = (entry["status"], entry["records_done"], entry["records_total"])
    if shown.get(entry["job_id"]) == state:
        return
    shown[entry["job_id"]] = state
    total = "?" if entry["records_total"] is None else entry["records_total"]
    line = f"[{time.monotonic() - started:6.1f}s] {Path(entry['file']).name}: {entry['status']}, " \
           f"records {entry['records_done']}/{total}"
    _say(line + (f" ({entry['error']})" if entry["error"] else ""))


# --- jobs --------------------------------------------------------------------------------------


def cmd_jobs_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from parser_service.db import Job, StoredDocument

    service = _queue_service(queue=False)
    query = select(Job, StoredDocument.filename).join(StoredDocument, Job.document_id == StoredDocument.id)
    if args.status:
        query = query.where(Job.status == args.status)
    with service.db.session() as session:
        found = session.execute(query.order_by(Job.created_at.desc()).limit(args.limit)).all()
    rows = [_job_row(job, filename) for job, filename in found]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        total = "?" if row["records_total"] is None else row["records_total"]
        progress = f"{row['records_done']}/{total}"
        print(f"{row['id']}  {row['status']:<9} {progress:>9}  {printable(row['domain'] or '-'):<18} "
              f"{row['created_at'][:19]}  {printable(row['filename'])}")
    return 0


def cmd_jobs_status(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from parser_service.db import Job, StoredRecord

    service = _queue_service(queue=False)
    with service.db.session() as session:
        matches = list(session.scalars(select(Job).where(Job.id.startswith(args.job_id, autoescape=True)).limit(2)))
        if len(matches) != 1:
            what = "no job" if not matches else "more than one job"
            _say(f"error: {what} with an id starting with {args.job_id!r}; `parser-service jobs` lists them")
            return 2
        job = matches[0]
        row = _job_row(job, job.document.filename)
        counts = session.execute(select(StoredRecord.status, func.count()).where(StoredRecord.job_id == job.id)
                                 .group_by(StoredRecord.status)).all()
    row["records_by_status"] = {status: n for status, n in counts}
    if getattr(args, "json", False):
        print(json.dumps(row, indent=2))
    else:
        for key, value in row.items():
            print(f"{key:<18} {printable(value) if value is not None else '-'}")
    return 0


def _job_row(job: Job, filename: str) -> dict[str, Any]:
    return {"id": job.id, "status": job.status, "records_done": job.records_done,
            "records_total": job.records_total, "domain": job.domain, "filename": filename,
            "document_id": job.document_id, "error": job.error, "attempts": job.attempts,
            "created_at": _iso(job.created_at), "started_at": _iso(job.started_at),
            "finished_at": _iso(job.finished_at)}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- sources -----------------------------------------------------------------------------------


def cmd_sources_add(args: argparse.Namespace) -> int:
    from parser_service.service import ingestion

    source = ingestion.add_source(
        _queue_service(queue=False), args.name, args.path, pattern=args.pattern, domain=args.domain,
        interval_s=args.interval, move_to=args.move_to, enabled=not args.disabled,
    )
    print(json.dumps(_source_row(source), indent=2))
    return 0


def cmd_sources_list(args: argparse.Namespace) -> int:
    from parser_service.service import ingestion

    rows = [_source_row(source) for source in ingestion.list_sources(_queue_service(queue=False))]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        state = "" if row["enabled"] else "  (disabled)"
        print(f"{row['name']:<16} {row['path']}  {row['pattern']}  every {row['interval_s']} s  "
              f"domain {row['domain'] or 'by type'}" + (f"  -> {row['move_to']}" if row["move_to"] else "") + state)
    return 0


def cmd_sources_remove(args: argparse.Namespace) -> int:
    from parser_service.service import ingestion

    ingestion.remove_source(_queue_service(queue=False), args.name)
    _say(f"removed source {args.name!r}; its documents and jobs stay")
    return 0


def cmd_sources_scan(args: argparse.Namespace) -> int:
    """One scan now, in this process: new jobs go to the queue like beat's."""
    from parser_service.service import ingestion
    from parser_service.service.queue import enqueue

    service = _queue_service()
    sources = [ingestion.get_source(service, args.name)] if args.name else \
        [s for s in ingestion.list_sources(service) if s.enabled]
    reports = [ingestion.scan_source(service, source, enqueue=enqueue).to_dict() for source in sources]
    for report in reports:
        for path, reason in report["errors"].items():
            _say(f"warning: source {report['source']!r}: {path}: {reason}")
    print(json.dumps(reports, indent=2))
    return 0


def _source_row(source: IngestionSource) -> dict[str, Any]:
    return {"name": source.name, "path": source.path, "pattern": source.pattern, "domain": source.domain,
            "interval_s": source.interval_s, "move_to": source.move_to, "enabled": source.enabled,
            "last_scan_at": _iso(source.last_scan_at)}


# --- reaching Redis and the database -------------------------------------------------------------


def _queue_service(*, queue: bool = True) -> Service:
    """The service on a reachable, migrated database (and, with ``queue``, a reachable Redis),
    or a one-line error saying which is missing and what to set."""
    from parser_service.service.jobs import Service
    from parser_service.settings import Settings

    settings = Settings()
    if queue:
        _require_redis(settings)
    _require_database(settings)
    service = Service(settings)
    service.check_blob_store(claim=queue)  # the commands that queue (submit, sources scan) store files
    return service


def _require_redis(settings: Settings) -> None:
    import redis

    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3).ping()
    except (redis.RedisError, ValueError) as exc:
        raise ConfigError(f"cannot reach Redis at {_hide_password(settings.redis_url)} ({exc}); "
                          "start Redis or set REDIS_URL") from None


def _require_database(settings: Settings) -> None:
    """Connect and bring the schema up to date, as every service process does when it starts."""
    from sqlalchemy.exc import SQLAlchemyError

    from parser_service.db.migrate import upgrade

    try:
        upgrade(settings.database())
    except SQLAlchemyError as exc:
        raise ConfigError(database_error(settings, exc)) from None


def database_error(settings: Settings, exc: BaseException) -> str:
    """One line: the database URL (without its password) and the first line of the driver's reason."""
    cause = getattr(exc, "orig", None) or exc
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return f"cannot use the database at {_hide_password(settings.database())} ({reason}); start it or set DATABASE_URL"


def _require_blob_store(settings: Settings, *, claim: bool) -> None:
    """The blob folder is the one the database's documents are in (see ``Service.check_blob_store``)."""
    from parser_service.service.jobs import Service

    service = Service(settings)
    try:
        service.check_blob_store(claim=claim)
    finally:
        service.db.dispose()


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _say(message: str) -> None:
    print(f"parser-service: {printable(message, keep=chr(10))}", file=sys.stderr, flush=True)


def printable(text: object, keep: str = "") -> str:
    """``text`` with every character a terminal would act on rather than show (escape codes,
    carriage returns, bidirectional overrides: what a file name may hold) written as its
    Python escape, ``\\x1b``; ``keep``: characters left as they are."""
    return "".join(ch if ch.isprintable() or ch == " " or ch in keep else _escaped(ch) for ch in str(text))


def _escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


#: Registration functions of the service commands, called in order by ``cli.build_parser``.
COMMANDS: list[Callable[[Any], None]] = [add_api, add_keys, add_worker, add_beat, add_submit, add_jobs, add_sources]
