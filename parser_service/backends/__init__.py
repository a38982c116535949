"""Model backends behind one interface, picked by name.

Heavy engines are imported inside the backend module that uses them, so importing
``parser_service`` stays fast and vLLM is never imported unless chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module

from parser_service.backends.adapters import Adapter
from parser_service.backends.base import Backend, Generation, GenerationRequest, TokenLogprob
from parser_service.errors import ConfigError
from parser_service.settings import Settings

__all__ = ["BACKENDS", "Backend", "Generation", "GenerationRequest", "TokenLogprob", "load_backend"]

#: name -> "module:class", imported only when chosen.
BACKENDS: dict[str, str] = {
    "transformers": "parser_service.backends.transformers_backend:TransformersBackend",
    "vllm": "parser_service.backends.vllm_backend:VllmBackend",
    "vllm-server": "parser_service.backends.vllm_server:VllmServerBackend",
    "deterministic": "parser_service.backends.deterministic:DeterministicBackend",  # tests only: no model
}


def load_backend(settings: Settings, adapters: Sequence[Adapter] = ()) -> Backend:
    """The backend ``settings`` name; ``adapters`` (the plugins', see ``describe_adapters``)
    go to a backend that must know them when it starts."""
    try:
        target = BACKENDS[settings.backend]
    except KeyError:
        names = ", ".join(sorted(BACKENDS))
        raise ConfigError(f"unknown backend {settings.backend!r}; choose one of: {names}") from None
    module_name, class_name = target.split(":")
    backend_class = getattr(import_module(module_name), class_name)
    backend: Backend = backend_class(settings, adapters=adapters) if backend_class.takes_adapters else backend_class(settings)
    return backend
