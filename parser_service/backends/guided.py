"""Greedy decoding under JSON-schema grammars, a batch of rows at once, with a KV cache.

The loop the in-process backend runs instead of ``model.generate``:

- every row has a grammar of its own (an llguidance matcher, which computes each
  step's token mask lazily: a schema "compiles" in about a millisecond, where an
  index over the whole vocabulary took seconds for an extractive schema), so records
  whose extractive schemas differ still share a batch;
- the prompt prefix common to the batch (chat template, system prompt, the plugin's
  instructions) is computed once and its KV cache kept for the next batch, which
  reuses as much of it as it shares; the prompts' own tails run in groups of
  similar length, one prefill pass per group (a pass of a few tokens costs nearly
  what one of a few hundred does on a CPU);
- fast-forward: the tokens a grammar forces next (keys, quotes, punctuation, the
  common start of every candidate) go into the next forward pass together with the
  chosen token, rather than one pass per token;
- drafts: tokens the row's prompt holds after the answer's last few tokens run in
  the same pass, and stay where the model would have chosen them (``drafts.py``);
- the log probability of every output token (the model's, before the grammar's
  mask) comes from the same forward passes, so confidence costs no second pass.

Rows are left-padded wherever their lengths differ; an attention mask hides the pads
and position ids count real tokens only, so a row's numbers do not depend on the
rows beside it.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers.cache_utils import Cache, DynamicCache

from parser_service.backends.drafts import SourceDrafts
from parser_service.backends.kv_cache import PrefixCache, common_length, stack_caches
from parser_service.backends.span_grammar import closed, has_spans, lark_grammar

#: Grammars kept per schema (building one takes about a millisecond; this only saves
#: re-serialising the same schema for every record of a spreadsheet).
GRAMMAR_CACHE = 256

#: Prompt tails run together in one prefill pass: at most this many tokens, pads
#: included, of which at most this share pads. On a CPU a pass of 50 tokens costs
#: nearly what one of 250 does (the weights are read either way), while long tails of
#: unequal length padded into one pass cost more than each run alone.
PREFILL_TOKENS = 1024
PREFILL_PADDING = 0.25

#: Drafted tokens one decoding pass may carry over all its rows, and at least a row. A
#: pass of one row and a few tokens costs about what one token does (the weights are read
#: either way), but a batch's pass is already wide: drafts padded across many rows made
#: it compute-bound (int8, 16 records at once: 6 drafted tokens a row took 35 s, 2 took
#: 25-28 s, none 27-28 s). On 32 records in bfloat16, side by side in one process: 2 a
#: row at 16 and 25 rows (budget 32, floor 2) made 115 passes 100 and ran 5% faster than
#: budget 16 at batch 16, 6% faster than 1 a row at batch 32; 4 a row at 16 rows, 10% slower.
DRAFT_BUDGET = 32
DRAFT_FLOOR = 2

#: Tokens of a forced run (a key, or a value that only one candidate starts with) one row
#: feeds in a pass beside other rows; the rest follows in the next passes. Every row of a
#: pass is padded to its widest: one row's run of 40 tokens made a pass of 7 rows cost
#: 0.6 s where its neighbours needed 3 positions each (bfloat16, 2 cores).
RUN_TOKENS = 8


class GrammarError(ValueError):
    """A schema the grammar engine cannot turn into a grammar."""


@dataclass(slots=True)
class Decoded:
    """One row's answer: output token ids (end-of-text left out), their log
    probabilities, and whether it stopped at the token limit."""

    token_ids: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    truncated: bool = False


@dataclass(slots=True)
class Step:
    """What one row runs in a forward pass: the chosen token and the ones the grammar
    forces after it, or the next part of such a run (taken already; ``at``: the index of
    the chunk's first token in the row's output), then a draft to verify (not taken yet)."""

    row: Decoded
    matcher: Any
    chunk: list[int]
    draft: list[int]
    at: int


class Grammars:
    """JSON-schema grammars for one tokenizer: compact JSON (no optional whitespace),
    as the adapters were trained to write it, and objects closed (no property the
    schema does not name) unless the schema sets ``additionalProperties`` itself. A
    schema with any-span nodes becomes a lark grammar (``span_grammar.py``)."""

    def __init__(self, tokenizer: Any) -> None:
        import llguidance.hf

        self.tokenizer = llguidance.hf.from_tokenizer(tokenizer)
        self._grammars: OrderedDict[str, str] = OrderedDict()

    def grammar(self, schema: dict[str, Any]) -> str:
        key = json.dumps(schema)
        if key in self._grammars:
            self._grammars.move_to_end(key)
            return self._grammars[key]
        try:
            grammar = schema_grammar(schema)
        except ValueError as exc:
            raise GrammarError(f"the schema cannot be turned into a grammar: {exc}") from exc
        problem = _problem(grammar, self.tokenizer)
        if problem:
            raise GrammarError(f"the schema cannot be turned into a grammar: {problem}")
        self._grammars[key] = grammar
        if len(self._grammars) > GRAMMAR_CACHE:
            self._grammars.popitem(last=False)
        return grammar

    def matcher(self, schema: dict[str, Any]) -> Any:
        import llguidance

        return llguidance.LLMatcher(self.tokenizer, self.grammar(schema))


def schema_grammar(schema: dict[str, Any]) -> str:
    """llguidance's grammar for ``schema``: its JSON schema as it is, or the lark grammar of
    a schema with any-span nodes."""
    import llguidance

    if has_spans(schema):
        return str(llguidance.LLMatcher.grammar_from_lark(lark_grammar(schema)))
    return str(
        llguidance.LLMatcher.grammar_from_json_schema(json.dumps(closed(schema)), defaults={"whitespace_flexible": False})
    )


def _problem(grammar: str, tokenizer: Any) -> str | None:
    """What is wrong with ``grammar`` for ``tokenizer``, or None."""
    import llguidance

    is_error, messages = llguidance.LLMatcher.validate_grammar_with_warnings(grammar, tokenizer)
    if not is_error:
        return None
    return "; ".join(messages) or "invalid grammar"


class GuidedDecoder:
    """Runs ``model`` (a Hugging Face causal LM) greedily, each row under its matcher;
    with ``draft_tokens``, each step also tries up to that many tokens drafted from the
    row's prompt (``drafts.py``; fewer a row when many rows share the pass,
    ``DRAFT_BUDGET``, ``DRAFT_FLOOR``) and keeps those the model agrees with."""

    def __init__(self, model: Any, eos_token_id: int, vocab_size: int, draft_tokens: int = 0) -> None:
        self.model = model
        self.eos = eos_token_id
        self.vocab_size = vocab_size
        self.draft_tokens = draft_tokens
        self.prefix = PrefixCache()
        self._draft_mask: torch.Tensor | None = None  # one row's token mask, for verifying drafts
        # counted, for tests and the benchmark
        self.forward_passes = self.tokens_run = self.drafted = self.accepted = 0
        self.prefill_s = 0.0  # seconds spent reading prompts (the rest is decoding)

    @torch.no_grad()
    def decode(self, prompts: Sequence[Sequence[int]], matchers: Sequence[Any], limits: Sequence[int]) -> list[Decoded]:
        import llguidance.torch

        rows = [Decoded() for _ in prompts]
        sources = [SourceDrafts(p, self.eos) if self.draft_tokens else None for p in prompts]
        bitmask = llguidance.torch.allocate_token_bitmask(len(prompts), self.vocab_size)
        started = time.perf_counter()
        live, logits, kv, mask = self._prefill([list(p) for p in prompts])  # live: row of each slot
        self.prefill_s += time.perf_counter() - started
        queues: list[list[int]] = [[] for _ in prompts]  # forced tokens taken, not yet run
        while live:
            room = min(self.draft_tokens, max(DRAFT_FLOOR, DRAFT_BUDGET // len(live)))
            run = RUN_TOKENS if len(live) > 1 else None  # alone, a row's run widens no one's pass
            for slot, row in enumerate(live):
                if not queues[row]:
                    llguidance.torch.fill_next_token_bitmask(matchers[row], bitmask, slot)
            chosen = self._choose(logits, bitmask[: len(live)])
            steps, keep = [], []
            for slot, row in enumerate(live):
                step = self._step(rows[row], matchers[row], queues[row], logits[slot], chosen[slot], limits[row])
                if step is None:
                    continue
                if run and len(step.chunk) > run:
                    queues[row][:], step.chunk = step.chunk[run:], step.chunk[:run]
                else:
                    queues[row].clear()
                    step.draft = self._draft(rows[row], matchers[row], sources[row], limits[row], room)
                steps.append(step)
                keep.append(slot)
            if not keep:
                break
            if len(keep) < len(live):
                kv.batch_select_indices(torch.tensor(keep, device=self._device))
                mask = mask[keep]
                live = [live[slot] for slot in keep]
            logits, mask = self._forward_steps(steps, kv, mask)
        return rows

    # -- one step -----------------------------------------------------------------

    def _step(
        self, row: Decoded, matcher: Any, queue: list[int], logits: torch.Tensor, chosen: tuple[int, float], limit: int
    ) -> Step | None:
        """What the row runs next: the rest of its queued forced run (its first token's log
        probability read off ``logits``), or else the chosen token and what the grammar
        forces after it; None when the row is done."""
        if queue:
            at = len(row.token_ids) - len(queue)
            row.logprobs[at] = float(torch.log_softmax(logits.float(), -1)[queue[0]])
            return Step(row, matcher, list(queue), [], at)
        chunk = self._advance(row, matcher, chosen, limit)
        return Step(row, matcher, chunk, [], len(row.token_ids) - len(chunk)) if chunk else None

    def _choose(self, logits: torch.Tensor, bitmask: torch.Tensor) -> list[tuple[int, float]]:
        """Per row: the best token the grammar allows, and its log probability before the mask."""
        import llguidance.torch

        scores = logits.float()
        logprobs = torch.log_softmax(scores, -1)
        masked = scores.clone()
        llguidance.torch.apply_token_bitmask_inplace(masked, bitmask.to(masked.device))
        tokens = masked.argmax(-1)
        picked = logprobs.gather(1, tokens.unsqueeze(1)).squeeze(1)
        return list(zip(tokens.tolist(), picked.tolist()))

    def _advance(self, row: Decoded, matcher: Any, chosen: tuple[int, float], limit: int) -> list[int]:
        """Take the chosen token and what the grammar forces after it. Returns the
        tokens to run next ([] when the row is done)."""
        if matcher.is_stopped():  # finished by the last step's forced tokens
            return []
        if len(row.token_ids) >= limit:
            row.truncated = True
            return []
        token, logprob = chosen
        if token == self.eos:
            return []
        if not matcher.consume_token(token):
            raise RuntimeError(f"the grammar refused token {token}: {matcher.get_error()}")
        row.token_ids.append(token)
        row.logprobs.append(logprob)
        forced = list(matcher.compute_ff_tokens())[: max(0, limit - len(row.token_ids))]
        if forced:
            matcher.consume_tokens(forced)
            row.token_ids += forced
            row.logprobs += [float("nan")] * len(forced)  # from the next forward pass
        if matcher.is_stopped() and not forced:
            return []
        return [token, *forced]

    # -- the model ----------------------------------------------------------------

    @property
    def _device(self) -> torch.device:
        return torch.device(self.model.device)

    def _prefill(self, prompts: list[list[int]]) -> tuple[list[int], torch.Tensor, Any, torch.Tensor]:
        """The rows in the order the batch holds them, the logits after each prompt, the
        batch's KV cache and its attention mask.

        The prefix the prompts share runs once; the prompts' own tails run in groups of
        similar length (``prefill_groups``), and the groups' caches are stacked,
        left-padded. A tail run after a cached prefix needs an explicit attention mask,
        and on a CPU masked attention costs about three times the plain causal one: so
        a prompt alone in its group whose tail is longer than the prefix runs whole.
        """
        shared = min(common_length(prompts), min(len(p) for p in prompts) - 1)  # each row keeps a token to run
        tails = [len(p) - shared for p in prompts]
        head: Any = None
        order: list[int] = []
        logits, parts = [], []
        for group in prefill_groups(tails, PREFILL_TOKENS, PREFILL_PADDING):
            start = shared if len(group) > 1 or tails[group[0]] <= shared else 0
            if start and head is None:
                head = self._head(prompts[0][:shared])
            last, kv, mask = self._run_tails([prompts[i][start:] for i in group], head if start else None, start)
            logits.append(last)
            parts.append((kv, mask))
            order += group
        kv, mask = stack_caches(parts)
        return order, torch.cat(logits), kv, mask

    def _run_tails(self, tails: list[list[int]], head: Any, start: int) -> tuple[torch.Tensor, Cache, torch.Tensor]:
        """One pass over prompt tails after a copy of ``head``, the KV cache of the
        ``start`` tokens before them (None: the tails are whole prompts). Returns the
        logits after each tail, the tails' KV cache (``head``'s positions included) and
        its attention mask."""
        kv = copy.deepcopy(head) if head is not None else self._new_cache()
        if head is not None and len(tails) > 1:
            kv.batch_repeat_interleave(len(tails))
        ids, tail_mask = left_pad(tails, self.eos, self._device)
        ones = torch.ones((len(tails), start), dtype=torch.long, device=self._device)
        mask = torch.cat([ones, tail_mask], dim=1)
        return self._run(ids, kv, mask, 1).logits[:, -1], kv, mask

    def _head(self, head: list[int]) -> Any:
        """The KV cache of ``head``, from the prefix cache as far as it reaches."""
        if not head:
            return None
        cached, kv = self.prefix.reuse(head)
        if len(head) > cached:
            if kv is None:
                kv = self._new_cache()
            elif kv is self.prefix.kv:
                kv = copy.deepcopy(kv)  # running more tokens extends it in place
            ids = torch.tensor([head[cached:]], device=self._device)
            ones = torch.ones((1, len(head)), dtype=torch.long, device=self._device)
            self._run(ids, kv, ones, 1)
        if kv is not self.prefix.kv:
            self.prefix.keep(head, kv)
        return kv

    def _forward_steps(self, steps: list[Step], kv: Any, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One pass over every row's step; returns each row's logits for its next
        choice and the mask, where the drafted tokens the model refused are hidden."""
        ids, chunk_mask = left_pad([step.chunk + step.draft for step in steps], self.eos, self._device)
        mask = torch.cat([mask, chunk_mask], dim=1)
        width = ids.shape[1]
        logits = self._run(ids, kv, mask, width).logits  # (rows, width, vocab)
        following = []
        for slot, step in enumerate(steps):
            start = width - len(step.chunk) - len(step.draft)
            last = start + len(step.chunk) - 1  # the position after which the draft starts
            if len(step.chunk) > 1:  # the forced tokens' log probabilities, from this pass
                scores = torch.log_softmax(logits[slot, start:last].float(), -1)
                forced = torch.tensor(step.chunk[1:], device=scores.device).unsqueeze(1)
                step.row.logprobs[step.at + 1 : step.at + len(step.chunk)] = scores.gather(1, forced).squeeze(1).tolist()
            accepted = self._verify(step, logits[slot, last : last + len(step.draft)])
            if accepted < len(step.draft):  # the refused tail of the draft: hidden from now on
                mask[slot, mask.shape[1] - len(step.draft) + accepted :] = 0
            following.append(logits[slot, last + accepted])
        return torch.stack(following), mask

    def _draft(self, row: Decoded, matcher: Any, source: SourceDrafts | None, limit: int, room: int) -> list[int]:
        """Up to ``room`` tokens from the prompt that may come next, as far as the grammar allows them."""
        room = min(room, limit - len(row.token_ids))
        if source is None or room <= 0 or matcher.is_stopped():
            return []
        draft = source.propose(row.token_ids, room)
        return draft[: matcher.validate_tokens(draft)] if draft else []

    def _verify(self, step: Step, scores: torch.Tensor) -> int:
        """Take the draft's tokens while each is the model's choice under the grammar
        (``scores``: the logits before each draft token); returns how many were taken."""
        import llguidance.torch

        self.drafted += len(step.draft)
        if self._draft_mask is None:
            self._draft_mask = llguidance.torch.allocate_token_bitmask(1, self.vocab_size)
        bitmask = self._draft_mask
        for taken, token in enumerate(step.draft):
            llguidance.torch.fill_next_token_bitmask(step.matcher, bitmask, 0)
            ((choice, logprob),) = self._choose(scores[taken : taken + 1], bitmask)
            if choice != token:
                return taken
            step.matcher.consume_token(token)
            step.row.token_ids.append(token)
            step.row.logprobs.append(logprob)
            self.accepted += 1
        return len(step.draft)

    def _new_cache(self) -> Cache:
        """An empty KV cache, the one the model would make itself when given none."""
        return DynamicCache(config=self.model.config)

    def _run(self, ids: torch.Tensor, kv: Cache, mask: torch.Tensor, keep: int) -> Any:
        """One forward pass; the model appends the positions it runs to ``kv`` in place.
        The decoder always hands it a cache of its own and keeps using that object, so
        it never reads the cache back off the model's output."""
        self.forward_passes += 1
        self.tokens_run += int(mask[:, -ids.shape[1] :].sum())
        positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, -ids.shape[1] :]
        cache = {cache_keyword(self.model.__class__): kv}
        return self.model(
            input_ids=ids, attention_mask=mask, position_ids=positions, use_cache=True, logits_to_keep=keep, **cache
        )


@functools.cache
def cache_keyword(model_class: Any) -> str:
    """The keyword a model's ``forward`` takes its KV cache by. transformers renamed
    ``past_key_values`` to ``cache`` (5.24): the old name still works there but warns
    (a FutureWarning on every run) and goes in 5.40; releases before 5.24 know only
    the old one, and would ignore ``cache`` (passed on as an unused keyword)."""
    parameters = inspect.signature(model_class.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def prefill_groups(lengths: Sequence[int], budget: int, padding: float) -> list[list[int]]:
    """Rows (by index) whose prompt tails run in one prefill pass: similar lengths, at
    most ``budget`` tokens a pass pads included, and at most ``padding`` of it pads."""
    groups: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):  # each row the longest yet
        if groups:
            group = groups[-1]
            padded = (len(group) + 1) * lengths[i]
            real = sum(lengths[j] for j in group) + lengths[i]
            if padded <= budget and padded - real <= padding * padded:
                group.append(i)
                continue
        groups.append([i])
    return groups


def left_pad(rows: list[list[int]], pad: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of token ids right-aligned in one tensor, and the mask of the real ones."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            ids[i, width - len(row) :] = torch.tensor(row)
            mask[i, width - len(row) :] = 1
    return ids.to(device), mask.to(device)
