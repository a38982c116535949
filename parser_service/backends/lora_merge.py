"""One LoRA adapter at a time merged into the base weights of an in-process model.

An unmerged PEFT adapter adds two small products and their Python overhead to each
of the ~200 adapted linear layers of the embedded model: about 40% of every forward
pass on a CPU. Merged, a pass costs what the base model's does. Requests come in
batches grouped by adapter, so switching (under a second) is rare next to decoding.

Unmerging by subtraction drifts in bfloat16, so the base weights of the adapted
layers are copied once, before the first merge, and restored exactly from the copy.
"""

from __future__ import annotations

from typing import Any


class MergedAdapter:
    def __init__(self, model: Any) -> None:
        self.model = model
        self.merged: str | None = None
        self._pristine: dict[str, Any] = {}

    def use(self, name: str | None) -> None:
        """Merge adapter ``name`` (loaded into the model already); None: the base model."""
        if name == self.merged:
            return
        self._restore()
        if name is None:
            return
        for path, layer in _lora_layers(self.model):
            if name in layer.lora_A:
                if path not in self._pristine:
                    self._pristine[path] = layer.get_base_layer().weight.detach().clone()
                layer.merge(adapter_names=[name])
        self.merged = name

    def _restore(self) -> None:
        if self.merged is None:
            return
        for path, layer in _lora_layers(self.model):
            if path in self._pristine and layer.merged_adapters:
                layer.get_base_layer().weight.data.copy_(self._pristine[path])
                layer.merged_adapters.clear()
        self.merged = None


def _lora_layers(model: Any) -> list[tuple[str, Any]]:
    from peft.tuners.lora import LoraLayer

    return [(path, module) for path, module in model.named_modules() if isinstance(module, LoraLayer)]
