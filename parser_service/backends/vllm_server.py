"""The ``vllm-server`` backend: an async client of a running vLLM OpenAI-compatible server.

Each request goes to ``/v1/chat/completions`` with the JSON schema as
``response_format`` (``json_schema``), never the removed ``guided_*`` fields that
current servers ignore; a schema with any-span nodes goes as the lark grammar of
``span_grammar.py`` in ``structured_outputs.grammar`` (vLLM's guidance backend reads it). A plugin's adapter is asked for by name in ``model`` (the
server serves it with ``--lora-modules NAME=PATH``, see ``adapters.py``); without
one, the server's base model answers. Requests run side by side up to
``vllm_concurrency``; a lost connection, a timeout, 429 and 5xx answers are retried
with exponential backoff, then reported as a retryable ``GenerationError``.

Prompts are cut with the model's tokenizer loaded here (the same model the server
runs: ``PARSER_SERVICE_MODEL``); only the tokenizer is loaded, not the weights.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from parser_service.backends.adapters import Adapter, describe_adapters
from parser_service.backends.base import Generation, GenerationRequest
from parser_service.backends.model_source import load_tokenizer
from parser_service.backends.span_grammar import closed, has_spans, lark_grammar
from parser_service.backends.tokens import TokenizedBackend, Tokens
from parser_service.errors import ConfigError, GenerationError
from parser_service.settings import Settings

T = TypeVar("T")
#: Answers worth another try: rate limited, or the server (or a proxy before it) failed.
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
#: Seconds before the first retry; doubled each time.
BACKOFF_S = 0.5


class VllmServerBackend(TokenizedBackend):
    name = "vllm-server"
    supports_lora = True
    supports_logprobs = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server = ServerClient(settings)
        self.url = self.server.url
        self.tokens = Tokens(load_tokenizer(settings.model, settings.cache_dir))
        self._served: dict[str, dict[str, Any]] | None = None  # model id -> its /v1/models card

    # -- Backend interface -------------------------------------------------

    def generate(self, requests: Sequence[GenerationRequest], *, logprobs: bool = False) -> list[Generation]:
        return run_sync(self.agenerate(requests, logprobs=logprobs))

    async def agenerate(
        self, requests: Sequence[GenerationRequest], *, logprobs: bool = False
    ) -> list[Generation]:
        """``generate`` for callers that run an event loop."""
        if not requests:
            return []
        async with self.server.open() as client:
            names = await self._model_names(client, [r.adapter for r in requests])
            limit = asyncio.Semaphore(self.settings.vllm_concurrency)

            async def one(request: GenerationRequest) -> Generation:
                async with limit:
                    body = self.body(request, names[request.adapter], logprobs)
                    return self._generation(await self.server.post(client, "/v1/chat/completions", body), logprobs)

            return list(await asyncio.gather(*(one(r) for r in requests)))

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.settings.model, "server": self.url}

    def health(self) -> dict[str, Any]:
        """The server's ``/health`` and the models it serves; raises GenerationError when it is down."""
        self._served = None
        return server_health(self.settings)

    # -- the request ---------------------------------------------------------

    def body(self, request: GenerationRequest, model: str, logprobs: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "messages": request.messages,
            "max_tokens": request.max_new_tokens,
            "temperature": 0.0,
        }
        if has_spans(request.schema):  # vLLM's own field: the lark grammar the other engines read
            body["structured_outputs"] = {"grammar": lark_grammar(request.schema)}
        else:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "record", "schema": closed(request.schema), "strict": True},
            }
        if logprobs:  # token ids, so that tokens split inside a character are placed exactly
            body.update(logprobs=True, top_logprobs=0, return_tokens_as_token_ids=True)
        return body

    def _generation(self, answer: dict[str, Any], logprobs: bool) -> Generation:
        try:
            choice = answer["choices"][0]
            text = choice["message"]["content"] or ""
            n_tokens = int(answer.get("usage", {}).get("completion_tokens", 0))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise GenerationError(f"unexpected answer from the vLLM server at {self.url}: {exc!r}") from exc
        generation = Generation.from_text(text, n_tokens)
        if choice.get("finish_reason") == "length" and generation.data is None:
            generation.truncated = True
        content = (choice.get("logprobs") or {}).get("content") if logprobs else None
        if content:
            ids = [int(str(step["token"]).removeprefix("token_id:")) for step in content]
            generation.logprobs = self.tokens.logprobs(ids, [float(step["logprob"]) for step in content])
        return generation

    # -- adapters and models -------------------------------------------------

    async def _model_names(self, client: httpx.AsyncClient, adapters: list[Path | None]) -> dict[Path | None, str]:
        """The ``model`` to ask for each adapter (None: the base model), loading unknown
        adapters at run time when the settings allow it."""
        served = await self._models(client)
        names: dict[Path | None, str] = {None: self._base_model(served)}
        for adapter in describe_adapters(adapters):
            if adapter.name not in served:
                await self._load_adapter(client, adapter, served)
            names[adapter.path] = adapter.name
        return {path: names[Path(path).resolve() if path is not None else None] for path in adapters}

    async def _models(self, client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
        if self._served is None:
            answer = await self.server.request(client, "GET", "/v1/models")
            self._served = {card["id"]: card for card in answer.get("data", []) if "id" in card}
        return self._served

    def _base_model(self, served: dict[str, dict[str, Any]]) -> str:
        bases = [name for name, card in served.items() if not card.get("parent")]
        if not bases:
            raise GenerationError(f"the vLLM server at {self.url} lists no base model in /v1/models")
        return bases[0]

    async def _load_adapter(self, client: httpx.AsyncClient, adapter: Adapter, served: dict[str, Any]) -> None:
        if not self.settings.vllm_load_adapters:
            raise ConfigError(
                f"the vLLM server at {self.url} does not serve adapter {adapter.name!r} (it serves: "
                f"{', '.join(sorted(served)) or 'nothing'}); start it with --enable-lora --lora-modules "
                f"{adapter.lora_module}, or set PARSER_SERVICE_VLLM_LOAD_ADAPTERS=true to load it at run time"
            )
        await self.server.post(
            client, "/v1/load_lora_adapter", {"lora_name": adapter.name, "lora_path": str(adapter.path)}
        )
        self._served = None
        await self._models(client)


class ServerClient:
    """HTTP to one vLLM server: auth, timeouts, retries, and errors that say what to do."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.vllm_url.rstrip("/")

    def open(self) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.settings.vllm_api_key}"} if self.settings.vllm_api_key else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=self.settings.vllm_timeout_s)

    async def post(self, client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.request(client, "POST", path, body)

    async def request(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        retries: int | None = None,
    ) -> dict[str, Any]:
        """One call, retried with exponential backoff while the failure may pass."""
        tries = 1 + (self.settings.vllm_retries if retries is None else retries)
        problem = ""
        for attempt in range(tries):
            if attempt:
                await asyncio.sleep(BACKOFF_S * 2 ** (attempt - 1))
            try:
                response = await client.request(method, path, json=body)
            except httpx.TimeoutException:
                problem = f"no answer within {self.settings.vllm_timeout_s:g} s"
                continue
            except httpx.TransportError as exc:
                problem = f"cannot connect ({type(exc).__name__}: {exc})"
                continue
            if response.status_code in RETRY_STATUS:
                problem = f"HTTP {response.status_code}: {_detail(response)}"
                continue
            return self._answer(response, path)
        raise GenerationError(
            f"the vLLM server at {self.url} failed {method} {path} after {tries} tries: {problem}. "
            "Is it running? (python -m vllm.entrypoints.openai.api_server --model ...)",
            retryable=True,
        )

    def _answer(self, response: httpx.Response, path: str) -> dict[str, Any]:
        if response.status_code == 404 and "does not exist" in response.text:
            raise ConfigError(f"the vLLM server at {self.url} does not know the model asked for: {_detail(response)}")
        if response.status_code >= 400:
            raise GenerationError(f"the vLLM server at {self.url} refused {path}: HTTP {response.status_code}: "
                                  f"{_detail(response)}")
        if not response.content:
            return {}
        try:
            answer = response.json()
        except json.JSONDecodeError:
            return {"text": response.text}
        return answer if isinstance(answer, dict) else {"data": answer}

    async def health(self) -> dict[str, Any]:
        """The server's ``/health``, then the models it serves (no retries: a probe)."""
        async with self.open() as client:
            await self.request(client, "GET", "/health", retries=0)
            answer = await self.request(client, "GET", "/v1/models", retries=0)
        return {"url": self.url, "models": sorted(card.get("id", "?") for card in answer.get("data", []))}


def server_health(settings: Settings) -> dict[str, Any]:
    """``ServerClient.health`` from synchronous code; raises GenerationError when the server is down."""
    return run_sync(ServerClient(settings).health())


def _detail(response: httpx.Response, limit: int = 300) -> str:
    """The server's error message, short."""
    try:
        answer = response.json()
        message = answer.get("error", {}).get("message") if isinstance(answer.get("error"), dict) else None
        text = str(message or answer.get("message") or answer.get("detail") or answer)
    except (json.JSONDecodeError, AttributeError):
        text = response.text
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + " …"


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end from synchronous code, even inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
