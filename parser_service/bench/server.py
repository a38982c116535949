"""Run the real API in a child process (uvicorn, a free port) for measurements and
end-to-end tests: the same code path as ``parser-service api``, over a real socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

#: Seconds to wait for the API to answer /health after starting it.
START_TIMEOUT = 60.0


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_api(env: Mapping[str, str], *, log: Path | None = None, workers: int = 1) -> Iterator[str]:
    """Start ``uvicorn`` on the API factory with ``env``; yield its base URL; stop it after."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "parser_service.api.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
    ]  # fmt: skip
    sink = log.open("wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(proc, base_url, log)
        yield base_url
    finally:
        _stop(proc)
        if log and not isinstance(sink, int):
            sink.close()


def _wait_until_up(proc: subprocess.Popen[bytes], base_url: str, log: Path | None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"the API exited with {proc.returncode} before answering:\n{output}")
        try:
            httpx.get(f"{base_url}/health", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"the API did not answer on {base_url} within {START_TIMEOUT:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)
