"""Documents per minute through the whole service, with one worker and with two.

    python -m parser_service.bench.service_throughput [--workers 1,2] [--backend transformers]
        [--threads N] [--domain invoices] [DOCUMENT ...]

For each worker layout, side by side in one run: a fresh database (a new PostgreSQL
database, else SQLite), a fresh blob folder and a queue of its own on Redis; N worker
processes started with ``parser-service worker --concurrency 1``; one warm-up document
per worker (a copy of an example with a byte appended, so it is not a duplicate) so
every worker has loaded the model and built the schema's grammar; then every document
submitted at once with ``parser-service submit --wait``. Documents per minute run from
the first job's creation to the last job's end, as the database recorded them.

Default documents: the invoices plugin's example PDFs; default backend: the real
embedded model (``transformers``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from parser_service.bench.upload_latency import DEFAULT_ADMIN, database, flush_queue

READY_TIMEOUT_S = 120.0


@dataclass
class LayoutResult:
    workers: int
    documents: int
    span_s: float
    submit_wall_s: float
    per_job_s: list[float]
    statuses: dict[str, int]
    records: dict[str, int]

    @property
    def per_minute(self) -> float:
        return 60 * self.documents / self.span_s if self.span_s else 0.0

    def row(self) -> str:
        mean = sum(self.per_job_s) / len(self.per_job_s) if self.per_job_s else 0.0
        label = "1 worker (-c 1)" if self.workers == 1 else f"{self.workers} worker processes"
        return (f"{label:<22} {self.documents:>5} {self.span_s:>8.1f} {self.per_minute:>9.2f} {mean:>11.1f} "
                f"{self.submit_wall_s:>9.1f}  jobs {self.statuses}  records {self.records}")


HEADER = f"{'layout':<22} {'docs':>5} {'span s':>8} {'docs/min':>9} {'s/doc/job':>11} {'submit s':>9}"


def example_documents() -> list[Path]:
    """The invoices plugin's example PDFs, found through its entry point like any plugin's."""
    from parser_service.domains.host import build_host

    found = sorted(e.document for e in build_host().domain("invoices").examples if e.document.suffix == ".pdf")
    if not found:
        raise SystemExit("the invoices plugin ships no example PDFs; pass DOCUMENT paths")
    return found


@contextmanager
def workers(count: int, env: Mapping[str, str], queue: str, logs: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``count`` worker processes through the CLI, each ``--concurrency 1``; stopped after."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for i in range(count):
            log = logs / f"worker-{i}.log"
            command = [sys.executable, "-m", "parser_service.cli", "worker", "--concurrency", "1",
                       "--queue", queue, "--name", f"bench{i}-{queue}@%h", "--loglevel", "INFO"]  # fmt: skip
            with log.open("wb") as sink:
                procs.append(subprocess.Popen(command, env={**os.environ, **env}, stdout=sink,
                                              stderr=subprocess.STDOUT, start_new_session=True))  # fmt: skip
        for i, proc in enumerate(procs):
            _wait_ready(proc, logs / f"worker-{i}.log")
        yield procs
    finally:
        for proc in procs:
            _stop(proc)


def _wait_ready(proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while " ready." not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"a worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def submit(paths: Sequence[Path], domain: str, env: Mapping[str, str]) -> tuple[list[dict[str, object]], float]:
    """``parser-service submit --wait``: the job entries it prints, and its wall time."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "parser_service.cli", "submit", "--domain", domain, *map(str, paths)],
                          env={**os.environ, **env}, capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - started
    if not done.stdout.strip().startswith("["):
        raise RuntimeError(f"submit failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout), wall


def warm_up_copies(documents: Sequence[Path], count: int, folder: Path) -> list[Path]:
    """One distinct file per worker: an example with a trailing comment (a PDF ignores it)."""
    copies = []
    for i in range(count):
        source = documents[i % len(documents)]
        target = folder / f"warm-up-{i}{source.suffix}"
        target.write_bytes(source.read_bytes() + f"\n% warm-up {i} {uuid.uuid4().hex}\n".encode())
        copies.append(target)
    return copies


def measure(url: str, job_ids: Sequence[str], count: int, wall: float) -> LayoutResult:
    """Times and outcomes of the timed jobs, as the database recorded them."""
    from sqlalchemy import func, select

    from parser_service.db import Database, Job, StoredRecord

    db = Database(url)
    try:
        with db.session() as session:
            jobs = list(session.scalars(select(Job).where(Job.id.in_(job_ids))))
            counted = select(StoredRecord.status, func.count()).where(StoredRecord.job_id.in_(job_ids))
            records = dict(session.execute(counted.group_by(StoredRecord.status)).tuples().all())
    finally:
        db.dispose()
    first = min(job.created_at for job in jobs)
    last = max(job.finished_at or job.updated_at for job in jobs)
    per_job = [(job.finished_at - job.started_at).total_seconds() for job in jobs if job.finished_at and job.started_at]
    statuses: dict[str, int] = {}
    for job in jobs:
        statuses[job.status] = statuses.get(job.status, 0) + 1
    return LayoutResult(count, len(jobs), (last - first).total_seconds(), wall, per_job, statuses, records)


def run_layout(count: int, documents: Sequence[Path], args: argparse.Namespace) -> LayoutResult:
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    with tempfile.TemporaryDirectory(prefix="ps-throughput-") as tmp, database(
        args.database_url, args.postgres_admin, Path(tmp)
    ) as url:
        env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "PARSER_SERVICE_DATA_DIR": tmp,
               "PARSER_SERVICE_QUEUE": queue, "PARSER_SERVICE_BACKEND": args.backend}  # fmt: skip
        if args.threads:
            env["PARSER_SERVICE_THREADS"] = str(args.threads)
        try:
            with workers(count, env, queue, Path(tmp)):
                print(f"{count} worker(s) up; warming up", file=sys.stderr)
                submit(warm_up_copies(documents, count, Path(tmp)), args.domain, env)
                print(f"{count} worker(s) warm; {len(documents)} documents", file=sys.stderr)
                entries, wall = submit(documents, args.domain, env)
            ids = [str(e["job_id"]) for e in entries if e.get("job_id")]
            return measure(url, ids, count, wall)
        finally:
            flush_queue(redis_url, queue)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parser_service.bench.service_throughput", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("documents", nargs="*", type=Path, help="documents (default: the invoice examples)")
    parser.add_argument("--workers", default="1,2", help="worker process counts to compare (default: 1,2)")
    parser.add_argument("--backend", default="transformers", help="model backend (default: transformers)")
    parser.add_argument("--threads", type=int, help="torch threads per worker (default: torch's)")
    parser.add_argument("--domain", "--plugin", dest="domain", default="invoices",
                        help="domain of every document (default: invoices; --plugin: its old name)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="use this database (default: DATABASE_URL, else a fresh PostgreSQL database)")  # fmt: skip
    parser.add_argument("--postgres-admin", default=os.environ.get("PARSER_SERVICE_BENCH_POSTGRES", DEFAULT_ADMIN),
                        help="admin URL to create the fresh databases with")  # fmt: skip
    args = parser.parse_args(argv)
    documents = args.documents or example_documents()
    results = [run_layout(int(n), documents, args) for n in args.workers.split(",")]
    print(f"{len(documents)} documents, backend {args.backend}, {os.cpu_count()} CPUs")
    print(HEADER)
    for result in results:
        print(result.row())
    if args.json:
        args.json.write_text(json.dumps([{**asdict(r), "per_minute": r.per_minute} for r in results], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
