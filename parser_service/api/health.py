"""Health of what the service depends on: the database, Redis, the workers and the model backend.

Each check runs in a thread with a deadline, so a server that does not answer makes
its check fail instead of hanging the health route. The workers check asks the
workers of this deployment's queue which queues they consume (a Celery broadcast
under the deployment's Redis key prefix, answered within ``PARSER_SERVICE_WORKER_PING_S``):
none answering is an error, since uploads would then wait forever. A worker answers
from its main process, so a worker busy with a job answers too (the prefork pool of
``parser-service worker``; a ``--pool=solo`` worker cannot while it runs a job). The
plugins check says which installed plugins failed to load, and the blob store check
whether this process's blob folder is the database's (either keeps jobs pending). The
backend check looks at the configuration only (the backend exists, its model files are
there): loading a model belongs to the workers, not to a health probe.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from parser_service.api.schemas import Check, Health
from parser_service.backends import BACKENDS
from parser_service.backends.model_source import EMBEDDED, embedded_gguf, resolve_model
from parser_service.db import Database
from parser_service.errors import ConfigError
from parser_service.settings import Settings

if TYPE_CHECKING:
    from parser_service.domains.host import PluginHost
    from parser_service.service.jobs import Service

#: Seconds one check may take.
CHECK_TIMEOUT = 5.0
#: Characters of an error shown (the route is public: the first line, no more).
DETAIL_CHARS = 300


def check_database(db: Database) -> None:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def check_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


class NoWorkerError(Exception):
    """No worker of the queue answered."""


@lru_cache(maxsize=4)
def _celery(redis_url: str, queue: str) -> Any:
    """A Celery app for this deployment's broker and key prefix, kept for later checks."""
    from parser_service.service.queue import create_app

    return create_app(Settings(REDIS_URL=redis_url, queue=queue))


def check_workers(settings: Settings) -> int:
    """How many workers consume the deployment's queue; ``NoWorkerError`` when none answers."""
    check_redis(settings.redis_url)  # fail fast: Celery would retry a refused connection for seconds
    inspect = _celery(settings.redis_url, settings.queue).control.inspect(timeout=settings.worker_ping_s)
    answers: dict[str, list[dict[str, Any]]] = inspect.active_queues() or {}
    consuming = [name for name, queues in answers.items() if any(q.get("name") == settings.queue for q in queues)]
    if not consuming:
        others = f" ({len(answers)} answered, on other queues)" if answers else ""
        raise NoWorkerError(
            f"no worker of queue {settings.queue!r} answered within {settings.worker_ping_s:g} s{others}; "
            "start one with `parser-service worker`"
        )
    return len(consuming)


def check_backend(settings: Settings) -> None:
    """The configured backend is installed and, for local weights, the model is there;
    a vLLM server answers its own health route."""
    if settings.backend not in BACKENDS:
        raise ConfigError(f"unknown backend {settings.backend!r}; installed: {', '.join(sorted(BACKENDS))}")
    if settings.backend == "vllm" and importlib.util.find_spec("vllm") is None:
        raise ConfigError("the 'vllm' backend is selected but vLLM is not installed")
    if settings.backend in ("transformers", "vllm"):
        if settings.model == EMBEDDED:
            embedded_gguf()
        else:
            resolve_model(settings.model, settings.cache_dir)
    if settings.backend == "vllm-server":
        from parser_service.backends.vllm_server import server_health

        server_health(settings)


async def run_check(check: Callable[[], object], timeout: float = CHECK_TIMEOUT) -> Check:
    """``ok`` (with the count a check returns, if any) or ``error`` with the first line of why."""
    try:
        found = await asyncio.wait_for(run_in_threadpool(check), timeout)
    except TimeoutError:
        return Check(status="error", detail=f"no answer within {timeout:g} s")
    except NoWorkerError as exc:
        return Check(status="error", detail=str(exc)[:DETAIL_CHARS], count=0)
    except Exception as exc:  # any failure is the answer: the check is down
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return Check(status="error", detail=f"{type(exc).__name__}: {first_line}"[:DETAIL_CHARS])
    return Check(status="ok", count=found if isinstance(found, int) else None)


def check_plugins(host: PluginHost) -> None:
    """Every installed plugin loaded; jobs that need one that did not wait (pending)."""
    if host.broken:
        raise ConfigError("; ".join(f"plugin {name!r} failed to load ({why})" for name, why in sorted(host.broken.items()))
                          + ": jobs that need it stay pending until it is fixed")  # fmt: skip


async def health(settings: Settings, db: Database, service: Service | None = None) -> Health:
    """Every check, run side by side; the whole is ``ok`` only if each part is. With the
    ``service``, also the plugins (each loaded) and the blob store (the database's own):
    misconfigurations that keep jobs pending."""
    checks: dict[str, Callable[[], object]] = {
        "database": lambda: check_database(db),
        "redis": lambda: check_redis(settings.redis_url),
        "workers": lambda: check_workers(settings),
        "backend": lambda: check_backend(settings),
    }
    if service is not None:
        checks["plugins"] = lambda: check_plugins(service.pipeline.host)
        checks["blob_store"] = lambda: service.check_blob_store(claim=False, again=True)
    results = await asyncio.gather(*(run_check(check) for check in checks.values()))
    named = dict(zip(checks, results))
    overall = "ok" if all(result.status == "ok" for result in results) else "error"
    return Health(status=overall, workers=named["workers"].count, checks=named)
