"""Starting a vLLM OpenAI-compatible server for the ``vllm-server`` backend.

``server_command`` is the command line that serves a model with every given plugin
adapter (``--enable-lora --lora-modules NAME=PATH ...``) and the structured-output
settings the backends rely on. ``VllmServer`` runs it as a child process on this
machine, waits until its ``/health`` answers and stops it: the tests and the
benchmarks use it; in production the server is its own service (docker-compose.yml).

The server is started as ``python -m vllm.entrypoints.openai.api_server``: the
``vllm serve`` entry point of the CPU build looks for a distribution named ``vllm``
and fails.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import httpx

from parser_service.backends.adapters import Adapter
from parser_service.backends.vllm_backend import engine_environment, on_cpu, structured_outputs_config
from parser_service.errors import BackendError
from parser_service.settings import Settings


def server_command(
    settings: Settings, model: Path, adapters: Sequence[Adapter], *, host: str = "127.0.0.1", port: int = 8000
) -> list[str]:
    command = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(model),
        "--host", host,
        "--port", str(port),
        "--dtype", settings.dtype,
        "--max-model-len", str(settings.vllm_max_model_len),
        "--seed", "0",
        "--structured-outputs-config", json.dumps(structured_outputs_config(settings)),
    ]  # fmt: skip
    if adapters:
        rank = max([settings.vllm_max_lora_rank or 1, *(a.rank for a in adapters)])
        command += ["--enable-lora", "--max-loras", str(settings.vllm_max_loras), "--max-lora-rank", str(rank)]
        command += ["--lora-modules", *(adapter.lora_module for adapter in adapters)]
    return command


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class VllmServer:
    """A vLLM server in a child process, for as long as a ``with`` block lasts.

    ``start()`` returns at once, so the server can load while the caller does other
    work; ``wait()`` blocks until it answers (or fails with its log's last lines).
    """

    def __init__(
        self,
        settings: Settings,
        model: Path,
        adapters: Sequence[Adapter] = (),
        *,
        log: Path,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = server_command(settings, model, adapters, port=self.port)
        self.env = os.environ | engine_environment(settings, on_cpu(), in_process=False) | (env or {})
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> VllmServer:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
            )
        return self

    def wait(self, timeout_s: float = 300) -> VllmServer:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise BackendError(f"the vLLM server exited before answering:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(1)
        raise BackendError(f"the vLLM server did not answer within {timeout_s:g} s:\n{self.tail()}")

    def stop(self, grace_s: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # the server and its engine process
        try:
            self.process.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> VllmServer:
        return self.start().wait()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
