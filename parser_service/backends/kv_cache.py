"""KV caches of the in-process decoder: the batch's, and the prompt prefix kept between batches.

A Hugging Face ``DynamicCache`` grows by concatenation: every decoding step copies
the whole cache of every layer to append a few positions. For a batch of 16 rows of
1,700 positions that copy cost more than the model's matrix products. The batch's
cache here (``GrowingLayer``) writes each step into a buffer with room to spare and
hands the model a view of its filled part, reallocating only when the room runs out.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch
from transformers.cache_utils import Cache, DynamicLayer

#: Positions a batch cache keeps free beyond what it holds, so most steps copy nothing.
HEADROOM = 256


class GrowingLayer(DynamicLayer):
    """A cache layer whose ``keys``/``values`` are views of a larger buffer.

    The inherited methods (``crop``, ``batch_select_indices``) keep working on the
    views: cropping shortens the view within the same buffer; selecting rows makes a
    new tensor, and the next update moves it into a fresh buffer.
    """

    def __init__(self) -> None:
        super().__init__()
        self._keys: torch.Tensor | None = None
        self._values: torch.Tensor | None = None

    @classmethod
    def holding(cls, keys: torch.Tensor, values: torch.Tensor) -> GrowingLayer:
        layer = cls()
        layer.update(keys, values)
        return layer

    @classmethod
    def over(cls, keys: torch.Tensor, values: torch.Tensor, filled: int) -> GrowingLayer:
        """A layer holding the first ``filled`` positions of the buffers ``keys``/``values``."""
        layer = cls()
        layer.lazy_initialization(keys, values)
        layer._keys, layer._values = keys, values
        layer.keys, layer.values = keys[..., :filled, :], values[..., :filled, :]
        return layer

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        held, width = self.get_seq_length(), key_states.shape[-2]
        if not self._fits(held + width):
            self._reallocate(key_states, value_states, held, held + width + HEADROOM)
        assert self._keys is not None and self._values is not None
        self._keys[..., held : held + width, :] = key_states
        self._values[..., held : held + width, :] = value_states
        self.keys, self.values = self._keys[..., : held + width, :], self._values[..., : held + width, :]
        return self.keys, self.values

    def _fits(self, length: int) -> bool:
        """The buffer still backs ``keys`` (a row selection makes a new tensor) and has room."""
        buffer, keys = self._keys, self.keys
        return (
            buffer is not None
            and keys is not None
            and keys.data_ptr() == buffer.data_ptr()
            and length <= buffer.shape[-2]
        )

    def _reallocate(self, keys: torch.Tensor, values: torch.Tensor, held: int, room: int) -> None:
        shape = (keys.shape[0], keys.shape[1], room, keys.shape[-1])
        new_keys, new_values = keys.new_empty(shape), values.new_empty(shape)
        if held and self.keys is not None and self.values is not None:
            new_keys[..., :held, :] = self.keys
            new_values[..., :held, :] = self.values
        self._keys, self._values = new_keys, new_values


def stack_caches(parts: Sequence[tuple[Any, torch.Tensor]]) -> tuple[Cache, torch.Tensor]:
    """Batch caches of unequal lengths, each with its (rows, time) attention mask, as
    one left-padded growing cache (rows in the order given) and its mask. Each part is
    copied once, straight into the new buffers; the pads are zeros (masked, but read:
    garbage there could be NaN, and NaN times a zero weight is NaN), the headroom is
    left as allocated (nothing reads it before a step writes it)."""
    width = max(mask.shape[1] for _, mask in parts)
    masks = [torch.nn.functional.pad(mask, (width - mask.shape[1], 0)) for _, mask in parts]
    layers: list[Any] = []
    for layer in range(len(parts[0][0].layers)):
        pieces = [(kv.layers[layer].keys, kv.layers[layer].values) for kv, _ in parts]
        keys, values = pieces[0]
        shape = (sum(k.shape[0] for k, _ in pieces), keys.shape[1], width + HEADROOM, keys.shape[-1])
        new_keys, new_values = keys.new_empty(shape), values.new_empty(shape)
        row = 0
        for k, v in pieces:
            rows, time = k.shape[0], k.shape[2]
            new_keys[row : row + rows, :, : width - time] = 0
            new_values[row : row + rows, :, : width - time] = 0
            new_keys[row : row + rows, :, width - time : width] = k
            new_values[row : row + rows, :, width - time : width] = v
            row += rows
        layers.append(GrowingLayer.over(new_keys, new_values, width))
    return Cache(layers=layers), torch.cat(masks)


class PrefixCache:
    """The KV cache of the last prompt prefix computed, at batch 1."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.kv: Any = None

    def clear(self) -> None:
        self.ids, self.kv = [], None

    def reuse(self, prefix: Sequence[int]) -> tuple[int, Any]:
        """How many leading tokens of ``prefix`` are cached, and their KV: the cached one
        itself when all of it is shared (read only: copy it before running more tokens
        into it), else a cropped copy."""
        shared = common_length([self.ids, list(prefix)])
        if self.kv is None or shared == 0:
            return 0, None
        if shared == len(self.ids):
            return shared, self.kv
        kv = copy.deepcopy(self.kv)
        kv.crop(shared - len(self.ids))  # a negative count: the positions to drop from the end
        return shared, kv

    def keep(self, ids: Sequence[int], kv: Any) -> None:
        """Cache ``kv`` as it is: from now on it is only read (each row copies it)."""
        self.ids, self.kv = list(ids), kv


def common_length(seqs: Sequence[Sequence[int]]) -> int:
    """Length of the prefix all of ``seqs`` share."""
    if not seqs:
        return 0
    first, n = seqs[0], min(len(s) for s in seqs)
    for i in range(n):
        if any(s[i] != first[i] for s in seqs[1:]):
            return i
    return n
