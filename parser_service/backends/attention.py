"""Attention for the in-process model on a CPU: grouped-query attention without copies.

The embedded model has 9 query heads over 3 key/value heads. With an attention mask
(a batch of left-padded rows always has one), transformers' ``sdpa`` attention first
repeats every key and value head three times, a copy of the whole KV cache in every
layer at every step; on a CPU that copy and the larger attention it feeds took most
of a batched decoding pass. PyTorch's own ``scaled_dot_product_attention`` takes the
grouped heads as they are (``enable_gqa``), mask or not, with the same numbers.

A decoding pass asks attention for a few query positions a row. PyTorch's CPU kernel
works per (row, head, block of queries), so a pass of 16 rows of 3 positions was 144
tiny tasks, and attention took 40% of the pass (bfloat16, 2 cores). Where the query
positions carry their own mask rows (always, in a batch) or there is one position, the
query heads that share a key/value head are folded into one head of three times the
positions: 48 tasks of 9 queries each, the same kernel and numbers, 2.6x faster
(``fold_heads``). A causal prompt pass is left as it is.

``NAME`` is registered with transformers (an attention function and its mask, the
``sdpa`` one) the first time ``implementation`` is asked for.
"""

from __future__ import annotations

from typing import Any

import torch

NAME = "sdpa_gqa"


def implementation(device: str) -> str:
    """The attention implementation to load a model with on ``device``. Elsewhere than
    the CPU, a masked grouped-query call can fall back to a slower kernel: ``sdpa``."""
    if device != "cpu":
        return "sdpa"
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(NAME, grouped_query_attention)
    AttentionMaskInterface.register(NAME, sdpa_mask)
    return NAME


def grouped_query_attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    is_causal: bool | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """transformers' attention-function signature; (batch, heads, time, dim) in,
    (batch, time, heads, dim) out. Causal without a mask only where the query is the
    whole sequence (the mask function leaves the mask out exactly then)."""
    causal = is_causal if is_causal is not None else getattr(module, "is_causal", True)
    batch, heads, positions, dim = query.shape
    causal = bool(causal and attention_mask is None and positions > 1)
    groups = heads // key.shape[1]
    if groups > 1 and not causal:
        query, attention_mask = fold_heads(query, attention_mask, groups)
    out = torch.nn.functional.scaled_dot_product_attention(
        query,
        key,
        value,
        attn_mask=attention_mask,
        dropout_p=dropout,
        scale=scaling,
        is_causal=causal,
        enable_gqa=key.shape[1] != query.shape[1],
    )
    return out.view(batch, heads, positions, dim).transpose(1, 2).contiguous(), None


def fold_heads(
    query: torch.Tensor, mask: torch.Tensor | None, groups: int
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(batch, heads, positions, dim) as (batch, heads / groups, groups * positions, dim):
    the ``groups`` query heads that share a key/value head one after the other, each
    with its positions' rows of ``mask`` (batch, 1, positions, keys). Never for a causal
    call: the kernel would read the folded positions as later ones."""
    batch, heads, positions, dim = query.shape
    folded = query.reshape(batch, heads // groups, groups * positions, dim)
    return folded, None if mask is None else mask.repeat(1, 1, groups, 1)
