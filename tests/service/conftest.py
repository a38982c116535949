"""Fixtures for the service tests: real PostgreSQL, real Redis, real Celery workers.

Every test gets its own PostgreSQL database (``CREATE DATABASE`` with a unique name,
dropped afterwards) and its own queue name, which is also the prefix of every Redis
key the service writes, so concurrent test runs on one PostgreSQL and one Redis never
see each other's rows, messages or liveness keys.

Where the servers are: ``PARSER_SERVICE_TEST_POSTGRES`` (an admin URL, default
``postgresql://postgres@127.0.0.1:5432/postgres``) and ``PARSER_SERVICE_TEST_REDIS``
(default ``redis://127.0.0.1:6379/0``). Tests that need one that is unreachable are
skipped with a message saying which.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis

from parser_service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ADMIN = os.environ.get("PARSER_SERVICE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("PARSER_SERVICE_TEST_REDIS", "redis://127.0.0.1:6379/0")

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float, *, interval: float = 0.2, what: str = "condition") -> T:
    """Poll ``predicate`` until it returns something truthy (returned) or fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def concurrently(target: Callable[[], object], times: int) -> list[BaseException]:
    """Run ``target`` in ``times`` threads at once; the exceptions they raised."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - collected for the caller's assertion
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.fixture
def wait() -> Callable[..., Any]:
    """``wait_for`` as a fixture, for test modules that prefer not to import from conftest."""
    return wait_for


# --- PostgreSQL -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _postgres_admin() -> str:
    """The admin URL, or a clean skip when PostgreSQL is not reachable."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN, connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN} (set PARSER_SERVICE_TEST_POSTGRES): {exc}")
    return POSTGRES_ADMIN


@pytest.fixture
def pg_url(_postgres_admin: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test (SQLAlchemy URL, psycopg 3 driver)."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"ps_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_postgres_admin, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(_postgres_admin).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_postgres_admin, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An SQLite database file in this test's temporary folder (created on first connect)."""
    return f"sqlite:///{tmp_path / 'service.db'}"


# --- Redis ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis URL, or a clean skip when Redis is not reachable."""
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis unreachable at {REDIS} (set PARSER_SERVICE_TEST_REDIS): {exc}")
    return REDIS


def flush_queue_keys(url: str, queue: str) -> int:
    """Delete every Redis key under this queue's prefix (what a Redis restart without
    persistence would lose for it), leaving other test runs' keys alone. Returns how many."""
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    keys = list(client.scan_iter(match=f"{queue}:*", count=500))
    return int(client.delete(*keys)) if keys else 0


# --- Settings and the service -------------------------------------------------------------


@pytest.fixture
def queue_name() -> str:
    """A queue (and Redis key prefix) no other test run uses."""
    return f"ps-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def service_settings(tmp_path: Path, pg_url: str, queue_name: str) -> Iterator[Settings]:
    """Settings for the service on this test's PostgreSQL database: the deterministic test
    backend, data in ``tmp_path``, a unique queue, and fast reconciler timings. Redis is
    not required here (tests that use it ask for ``redis_url`` or ``worker``)."""
    settings = Settings(
        backend="deterministic",
        data_dir=tmp_path / "data",
        DATABASE_URL=pg_url,
        REDIS_URL=REDIS,
        queue=queue_name,
        batch_size=4,
        heartbeat_s=3,
        stale_job_s=2,
        reconcile_every_s=1,
    )
    yield settings
    with contextlib.suppress(redis.RedisError):
        flush_queue_keys(REDIS, queue_name)


@pytest.fixture
def service(service_settings: Settings) -> Iterator[Any]:
    """A ``Service`` on a freshly migrated database."""
    from parser_service.db.migrate import upgrade
    from parser_service.service.jobs import Service

    upgrade(service_settings.database())
    svc = Service(service_settings)
    yield svc
    svc.db.dispose()


def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that make a child process build these same settings."""
    env: dict[str, str] = {}
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        if value is None:
            continue
        alias = info.validation_alias
        choices = getattr(alias, "choices", None)
        key = str(choices[0]) if choices else f"PARSER_SERVICE_{name.upper()}"
        env[key] = str(value)
    return env


# --- Celery workers -------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    """A real ``celery worker`` subprocess in its own process group (so ``kill`` takes it all)."""

    proc: subprocess.Popen[bytes]
    log: Path
    name: str
    stopped: bool = field(default=False)

    def ready(self) -> bool:
        return " ready." in self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> WorkerProcess:
        def up() -> bool:
            if self.proc.poll() is not None:
                pytest.fail(f"worker exited with {self.proc.returncode}:\n{self.output()}")
            return self.ready()

        wait_for(up, timeout, what=f"worker {self.name} to be ready")
        return self

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: a crash, nothing is acknowledged."""
        self._signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.stopped = True

    def stop(self, timeout: float = 20) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL if it does not exit in time."""
        if self.stopped:
            return
        self._signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=timeout)
        self._signal(signal.SIGKILL)  # and whatever it left behind (an embedded beat process)
        self.proc.wait(timeout=30)
        self.stopped = True

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)


@pytest.fixture
def worker(tmp_path: Path, redis_url: str) -> Iterator[Callable[..., WorkerProcess]]:
    """Factory: ``worker(settings, delay_s=None, beat=False, pool="solo", env=None, app="workers.app")``
    starts a Celery worker on ``settings.queue`` with those settings in its environment (``beat``
    embeds the beat scheduler, so the reconciler runs; ``app``: another Celery app module,
    ``tests.service.hostile_app``). Every worker is stopped afterwards."""
    started: list[WorkerProcess] = []

    def start(
        settings: Settings,
        *,
        delay_s: float | None = None,
        beat: bool = False,
        pool: str = "solo",
        env: dict[str, str] | None = None,
        app: str = "workers.app",
    ) -> WorkerProcess:
        name = f"w{len(started)}-{uuid.uuid4().hex[:6]}"
        child_env = {**os.environ, **settings_env(settings), **(env or {})}
        if delay_s is not None:
            child_env["PARSER_SERVICE_TEST_DELAY_S"] = str(delay_s)
        command = [
            sys.executable, "-m", "celery", "-A", app, "worker",
            "-Q", settings.queue, "-c", "1", f"--pool={pool}", "-n", f"{name}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
        ]  # fmt: skip
        if beat:  # and the schedule's queue, which the beat of ``parser-service beat`` consumes
            command[command.index("-Q") + 1] += f",{settings.schedule_queue()}"
            command += ["-B", "--schedule", str(tmp_path / f"beat-{name}")]
        log = tmp_path / f"{name}.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                command, cwd=ROOT, env=child_env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        handle = WorkerProcess(proc=proc, log=log, name=name)
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()


# --- documents ------------------------------------------------------------------------------


def write_bank_csv(path: Path, rows: int = 60) -> Path:
    """A bank export for the ``bank_transactions`` plugin with ``rows`` transactions. Every
    other row's date reads "Pending", which the column mapping cannot read, so the model is
    asked for it: each batch of records costs one model call."""
    lines = ["Date,Description,Amount,Balance"]
    for i in range(rows):
        date = "Pending" if i % 2 else f"2024-01-{i % 28 + 1:02d}"
        lines.append(f"{date},Payment {i} to Shop {i},-{i}.50,{5000 - i}.25")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def bank_csv(tmp_path: Path) -> Path:
    """A 60-row bank export (see ``write_bank_csv``)."""
    return write_bank_csv(tmp_path / "bank-export.csv")
