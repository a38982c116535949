"""int8 weights for the CPU: torch dynamic quantization of the linear layers.

Quantized weights take no LoRA adapter afterwards, so the float32 model stays the
master: for each adapter in use (None: the base model) the adapter is merged into it,
the merged model is copied without its LoRA wrappers, and the copy's linear layers
are quantized (weights int8, activations quantized on the fly). Copies are kept, one
per adapter, about a third of the float32 model's size each.
"""

from __future__ import annotations

import copy
from typing import Any

from parser_service.backends.lora_merge import MergedAdapter


class QuantizedCopies:
    def __init__(self, model: Any, merged: MergedAdapter) -> None:
        self.model, self.merged = model, merged
        self._copies: dict[str | None, Any] = {}

    def model_for(self, name: str | None) -> Any:
        """The int8 model with adapter ``name`` merged in (built on first use)."""
        if name not in self._copies:
            self.merged.use(name)
            self._copies[name] = quantize(unwrapped(self.model))
        return self._copies[name]


def unwrapped(model: Any) -> Any:
    """A copy of ``model`` with each LoRA layer replaced by its (merged) base layer."""
    from peft.tuners.lora import LoraLayer

    clone = copy.deepcopy(model)
    for path, module in list(clone.named_modules()):
        if isinstance(module, LoraLayer):
            parent_path, _, child = path.rpartition(".")
            setattr(clone.get_submodule(parent_path) if parent_path else clone, child, module.get_base_layer())
    return clone


def quantize(model: Any) -> Any:
    import torch
    from torch.ao.quantization import quantize_dynamic

    return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
