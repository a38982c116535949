"""The decoder's KV caches and its CPU attention, on tensors (no model loaded)."""

from __future__ import annotations

import pytest
import torch

from parser_service.backends import attention
from parser_service.backends.guided import cache_keyword
from parser_service.backends.kv_cache import HEADROOM, GrowingLayer, PrefixCache, stack_caches


def states(batch: int, time: int, seed: int) -> torch.Tensor:
    return torch.randn((batch, 3, time, 8), generator=torch.Generator().manual_seed(seed))


def test_a_growing_layer_holds_what_was_appended_without_reallocating_each_step():
    layer = GrowingLayer.holding(states(2, 5, 0), states(2, 5, 1))
    buffer = layer.keys.data_ptr()
    appended_keys, appended_values = [states(2, 5, 0)], [states(2, 5, 1)]
    for step in range(10):
        keys, values = states(2, 1 + step % 3, 10 + step), states(2, 1 + step % 3, 20 + step)
        appended_keys.append(keys)
        appended_values.append(values)
        out_keys, out_values = layer.update(keys, values)
        assert out_keys.data_ptr() == buffer  # written into the room it had
    assert torch.equal(layer.keys, torch.cat(appended_keys, dim=-2))
    assert torch.equal(layer.values, torch.cat(appended_values, dim=-2))
    assert layer.get_seq_length() == 5 + sum(1 + s % 3 for s in range(10))


def test_a_growing_layer_moves_to_a_larger_buffer_when_its_room_runs_out():
    layer = GrowingLayer.holding(states(1, 4, 0), states(1, 4, 1))
    big = states(1, HEADROOM + 1, 2)
    layer.update(big, big)
    assert layer.get_seq_length() == 4 + HEADROOM + 1
    assert torch.equal(layer.keys[..., 4:, :], big) and torch.equal(layer.keys[..., :4, :], states(1, 4, 0))


def test_rows_selected_or_cropped_stay_right_through_later_updates():
    layer = GrowingLayer.holding(states(3, 6, 0), states(3, 6, 1))
    layer.batch_select_indices(torch.tensor([0, 2]))
    extra = states(2, 2, 3)
    layer.update(extra, extra)
    assert torch.equal(layer.keys, torch.cat([states(3, 6, 0)[[0, 2]], extra], dim=-2))
    layer.crop(-3)
    layer.update(extra, extra)
    assert torch.equal(layer.keys, torch.cat([states(3, 6, 0)[[0, 2]][..., :5, :], extra], dim=-2))


def test_stacked_caches_are_left_padded_and_masked():
    class Part:  # a cache of one layer, as the model returns it
        def __init__(self, rows: int, time: int, seed: int) -> None:
            self.layers = [GrowingLayer.holding(states(rows, time, seed), states(rows, time, seed + 1))]

    two_rows_mask = torch.tensor([[0, 1, 1], [1, 1, 1]])  # a part may hold pads of its own
    kv, mask = stack_caches([(Part(2, 3, 0), two_rows_mask), (Part(1, 5, 2), torch.ones(1, 5, dtype=torch.long))])
    assert mask.tolist() == [[0, 0, 0, 1, 1], [0, 0, 1, 1, 1], [1, 1, 1, 1, 1]]
    keys, values = kv.layers[0].keys, kv.layers[0].values
    assert keys.shape == (3, 3, 5, 8)
    assert torch.equal(keys[:2, :, 2:], states(2, 3, 0)) and not keys[:2, :, :2].any() and not values[:2, :, :2].any()
    assert torch.equal(keys[2], states(1, 5, 2)[0]) and torch.equal(values[2], states(1, 5, 3)[0])
    kv.layers[0].update(states(3, 1, 9), states(3, 1, 9))  # the room to grow is there already
    assert kv.layers[0].keys.shape == (3, 3, 6, 8) and torch.equal(kv.layers[0].keys[2, :, :5], states(1, 5, 2)[0])


def test_prefill_groups_put_similar_short_tails_together():
    from parser_service.backends.guided import prefill_groups

    assert prefill_groups([100, 90, 95, 600, 610, 40], budget=1024, padding=0.25) == [[5], [1, 2, 0], [3], [4]]
    assert prefill_groups([50, 50, 50], budget=0, padding=0.25) == [[0], [1], [2]]  # no budget: one by one
    assert prefill_groups([], budget=1024, padding=0.25) == []


def test_the_prefix_cache_hands_out_the_shared_part():
    from transformers import DynamicCache

    kv = DynamicCache(ddp_cache_data=[(states(1, 5, 0), states(1, 5, 1))])
    cache = PrefixCache()
    cache.keep([1, 2, 3, 4, 5], kv)
    assert cache.reuse([1, 2, 3, 4, 5, 6]) == (5, kv)  # all of it: the cached object itself
    shared, cropped = cache.reuse([1, 2, 3, 9])
    assert shared == 3 and cropped is not kv and cropped.get_seq_length() == 3
    assert cache.kv.get_seq_length() == 5  # the kept one untouched
    assert cache.reuse([7, 8]) == (0, None)


@pytest.mark.parametrize("width", [1, 4])
def test_grouped_query_attention_matches_repeated_heads_under_a_padding_mask(width):
    from transformers.integrations.sdpa_attention import repeat_kv

    query = torch.randn((2, 9, width, 16), generator=torch.Generator().manual_seed(0))
    key, value = states(2, 12, 1).repeat(1, 1, 1, 2), states(2, 12, 2).repeat(1, 1, 1, 2)
    mask = torch.ones((2, 1, width, 12), dtype=torch.bool)
    mask[0, :, :, :5] = False  # the first row left-padded
    module = torch.nn.Module()
    out, _ = attention.grouped_query_attention(module, query, key, value, mask)
    expected = torch.nn.functional.scaled_dot_product_attention(
        query, repeat_kv(key, 3), repeat_kv(value, 3), attn_mask=mask
    ).transpose(1, 2)
    assert out.shape == (2, width, 9, 16)
    assert torch.allclose(out, expected, atol=1e-6)


def test_the_cpu_attention_is_registered_for_the_cpu_only():
    from transformers import AttentionInterface

    assert attention.implementation("cuda") == "sdpa"
    assert attention.implementation("cpu") == attention.NAME
    assert AttentionInterface()[attention.NAME] is attention.grouped_query_attention


def test_a_draft_is_what_followed_the_longest_matching_tail_of_the_answer():
    from parser_service.backends.drafts import SourceDrafts

    eos = 0
    source = SourceDrafts([5, 6, 7, 8, 9, 0, 6, 7, 3, 4], stop=eos)
    assert source.propose([1, 5, 6, 7], 3) == [8, 9]  # (5, 6, 7) matched; cut at the end-of-text token
    assert source.propose([2, 6, 7], 2) == [3, 4]  # (6, 7): its last occurrence
    assert source.propose([4], 3) == []  # nothing after it
    assert source.propose([42], 3) == [] and source.propose([], 3) == []


def test_the_output_head_gets_a_contiguous_copy_of_a_strided_slice():
    """A (rows, 1, hidden) slice of the last hidden states (``logits_to_keep=1``) keeps the
    strides of all the tokens; the head must see a plain tensor, with the same numbers."""
    from parser_service.backends.output_head import make_head_input_contiguous

    class Model(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.head = torch.nn.Linear(8, 5, bias=False)

        def get_output_embeddings(self) -> torch.nn.Module:
            return self.head

    model, seen = Model(), []
    model.head.register_forward_hook(lambda module, args, out: seen.append(args[0].stride()))
    hidden = torch.randn(3, 7, 8)[:, -1:, :]
    expected = hidden.reshape(3, 8) @ model.head.weight.T
    make_head_input_contiguous(model)
    out = model.head(hidden)
    assert seen == [(8, 8, 1)] and torch.allclose(out.reshape(3, 5), expected)


@pytest.mark.parametrize("width", [1, 3])
def test_folded_query_heads_keep_each_position_under_its_own_mask_row(width):
    """Decoding passes fold the query heads of a key/value head into one: each
    position must still see only what its own row of a causal, padded mask allows."""
    from transformers.integrations.sdpa_attention import repeat_kv

    generator = torch.Generator().manual_seed(1)
    query = torch.randn((2, 9, width, 16), generator=generator)
    key, value = torch.randn((2, 3, 10, 16), generator=generator), torch.randn((2, 3, 10, 16), generator=generator)
    mask = torch.ones((2, 1, width, 10), dtype=torch.bool).tril(10 - width)  # each position sees up to itself
    mask[1, :, :, :4] = False  # the second row left-padded
    out, _ = attention.grouped_query_attention(torch.nn.Module(), query, key, value, mask)
    expected = torch.nn.functional.scaled_dot_product_attention(
        query, repeat_kv(key, 3), repeat_kv(value, 3), attn_mask=mask
    ).transpose(1, 2)
    assert torch.allclose(out, expected, atol=1e-6)
    folded, folded_mask = attention.fold_heads(query, mask, 3)
    assert folded.shape == (2, 3, 3 * width, 16) and folded_mask is not None and folded_mask.shape == (2, 1, 3 * width, 10)


def test_one_position_without_a_mask_attends_to_every_key():
    """A lone row's decoding step comes without a mask: folded, its three query
    positions must not be read as a causal run."""
    from transformers.integrations.sdpa_attention import repeat_kv

    generator = torch.Generator().manual_seed(2)
    query = torch.randn((1, 9, 1, 16), generator=generator)
    key, value = torch.randn((1, 3, 7, 16), generator=generator), torch.randn((1, 3, 7, 16), generator=generator)
    out, _ = attention.grouped_query_attention(torch.nn.Module(), query, key, value, None)
    expected = torch.nn.functional.scaled_dot_product_attention(query, repeat_kv(key, 3), repeat_kv(value, 3))
    assert torch.allclose(out, expected.transpose(1, 2), atol=1e-6)


class _Renamed:
    def forward(self, input_ids=None, attention_mask=None, cache=None, use_cache=None, **kwargs): ...


class _Older:
    def forward(self, input_ids=None, attention_mask=None, past_key_values=None, use_cache=None, **kwargs): ...


def test_the_cache_goes_by_the_keyword_the_model_names():
    """transformers 5.24 takes the cache as ``cache`` (``past_key_values`` warns there);
    earlier releases only as ``past_key_values`` (``cache`` would vanish into kwargs)."""
    assert cache_keyword(_Renamed) == "cache"
    assert cache_keyword(_Older) == "past_key_values"
