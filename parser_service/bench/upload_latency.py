"""Latency of ``POST /documents`` under concurrent uploads.

    python -m parser_service.bench.upload_latency [--uploads 50] [--database-url URL]

Starts the API with uvicorn in a child process on a free port, against DATABASE_URL
(default: a fresh PostgreSQL database created for the run and dropped after, or an
SQLite file when PostgreSQL cannot be reached), fires ``--uploads`` uploads of distinct
small CSV files at once with httpx, and prints p50/p95/max latency and uploads per
second. Jobs go to a queue of their own on Redis (no worker consumes it; its keys are
deleted after), so the figure is the upload path: stream, hash, store, sniff, insert,
enqueue.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from parser_service.bench.server import running_api

DEFAULT_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Result:
    latencies: list[float]
    statuses: dict[int, int]
    queued: int
    wall_s: float

    def report(self) -> str:
        ordered = sorted(self.latencies)
        lines = [
            f"uploads: {len(ordered)}  statuses: {dict(sorted(self.statuses.items()))}  queued: {self.queued}",
            f"latency p50 {percentile(ordered, 50) * 1000:.0f} ms  p95 {percentile(ordered, 95) * 1000:.0f} ms  "
            f"max {ordered[-1] * 1000:.0f} ms  mean {statistics.fmean(ordered) * 1000:.0f} ms",
            f"throughput {len(ordered) / self.wall_s:.1f} uploads/s ({self.wall_s:.2f} s for all)",
        ]
        return "\n".join(lines)


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def sample_file(i: int, run: str, rows: int = 40) -> bytes:
    """A small bank-export CSV, different for every upload (so none is a duplicate)."""
    lines = ["date,amount,payee,memo"] + [
        f"2024-01-{(r % 28) + 1:02d},{i}.{r:02d},Bench payee {r},run {run} upload {i}" for r in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


async def fire(base_url: str, key: str, uploads: int, run: str) -> Result:
    files = [sample_file(i, run) for i in range(uploads)]
    limits = httpx.Limits(max_connections=uploads, max_keepalive_connections=uploads)
    async with httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": key}, timeout=120, limits=limits) as client:
        await _upload(client, sample_file(-1, run))  # warm-up: plugin host, connection pool

        started = time.perf_counter()
        timed = await asyncio.gather(*(_upload(client, body) for body in files))
        wall = time.perf_counter() - started
    statuses: dict[int, int] = {}
    for _, status, _ in timed:
        statuses[status] = statuses.get(status, 0) + 1
    return Result([t for t, _, _ in timed], statuses, sum(q for _, _, q in timed), wall)


async def _upload(client: httpx.AsyncClient, body: bytes) -> tuple[float, int, bool]:
    started = time.perf_counter()
    response = await client.post("/documents", files={"file": ("bench.csv", body)}, data={"domain": "bank_transactions"})
    elapsed = time.perf_counter() - started
    queued = response.status_code == 202 and bool(response.json().get("queued"))
    return elapsed, response.status_code, queued


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for the run (dropped after)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"ps_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(drivername="postgresql+psycopg", database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database(url: str | None, admin_url: str, data_dir: Path) -> Iterator[str]:
    """``url`` as given; else a fresh PostgreSQL database; else an SQLite file in ``data_dir``."""
    if url:
        yield url
    elif postgres_reachable(admin_url):
        with fresh_postgres(admin_url) as fresh:
            yield fresh
    else:
        yield f"sqlite:///{data_dir / 'bench.db'}"


def postgres_reachable(admin_url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(admin_url, connect_timeout=3):
            return True
    except psycopg.Error as exc:
        print(f"PostgreSQL unavailable at {admin_url} ({type(exc).__name__}); using SQLite", file=sys.stderr)
        return False


def flush_queue(redis_url: str, queue: str) -> None:
    """Delete the run's queue and keys (nothing consumed them)."""
    import redis

    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
        keys = list(client.scan_iter(match=f"{queue}:*", count=500))
        if keys:
            client.delete(*keys)
    except redis.RedisError as exc:
        print(f"could not clean Redis keys {queue}:*: {exc}", file=sys.stderr)


def run(args: argparse.Namespace) -> Result:
    from parser_service.db import Database
    from parser_service.db.migrate import upgrade
    from parser_service.service import apikeys

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    with tempfile.TemporaryDirectory(prefix="ps-bench-") as tmp, database(
        args.database_url, args.postgres_admin, Path(tmp)
    ) as url:
        upgrade(url)
        db = Database(url)
        _, key = apikeys.create_key(db, "bench")
        db.dispose()
        env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "PARSER_SERVICE_DATA_DIR": tmp,
               "PARSER_SERVICE_QUEUE": queue}  # fmt: skip
        print(f"database {url.split('@')[-1]}, {args.uploads} concurrent uploads, {args.workers} API process(es)",
              file=sys.stderr)  # fmt: skip
        try:
            with running_api(env, log=Path(tmp) / "api.log", workers=args.workers) as base_url:
                return asyncio.run(fire(base_url, key, args.uploads, queue))
        finally:
            flush_queue(redis_url, queue)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parser_service.bench.upload_latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--uploads", type=int, default=50, help="concurrent uploads (default 50)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (default 1)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="use this database (default: DATABASE_URL, else a fresh PostgreSQL database)")  # fmt: skip
    parser.add_argument("--postgres-admin", default=os.environ.get("PARSER_SERVICE_BENCH_POSTGRES", DEFAULT_ADMIN),
                        help="admin URL to create the fresh database with")  # fmt: skip
    args = parser.parse_args(argv)
    print(run(args).report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
