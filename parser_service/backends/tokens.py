"""What every backend does with the model's tokenizer: render chat prompts, count and
cut text by tokens, and place output tokens in the answer's text.

One place for it, so that the in-process and the vLLM backends build the same
prompts, cut documents at the same token and report log probabilities the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from parser_service.backends.base import Backend, Message, TokenLogprob, cut_between_words


class Tokens:
    """A Hugging Face tokenizer, seen through what the backends need of it."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def prompt(self, messages: list[Message]) -> str:
        """The chat template applied to ``messages``, ready for the assistant's answer."""
        return str(self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))

    def count(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    @cached_property
    def longest_token(self) -> int:
        """An upper bound of the characters one token covers: the longest vocabulary
        entry (byte-level entries spell one character per byte, at least as long as
        what they decode to)."""
        return max(len(token) for token in self.tokenizer.get_vocab())

    def truncate(self, text: str, max_tokens: int) -> str:
        """The start of ``text`` that fits in ``max_tokens`` tokens. Only the part that
        that many tokens could cover (and one token more) is tokenized, so a document of
        any length costs what its first ``max_tokens`` tokens cost. The cut falls between
        words (``cut_between_words``)."""
        text = text[: (max_tokens + 1) * self.longest_token]
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        offsets = encoded["offset_mapping"]
        if len(offsets) <= max_tokens:
            return text
        return cut_between_words(text, offsets[max_tokens - 1][1])

    def logprobs(self, token_ids: Sequence[int], logprobs: Sequence[float]) -> list[TokenLogprob]:
        """One ``TokenLogprob`` per generated token, placed in the decoded text.

        Offsets come from decoding growing prefixes, so a character split over two
        byte-level tokens is placed where it ends, and special tokens (end of text)
        take no room.
        """
        out: list[TokenLogprob] = []
        previous = ""
        for i, logprob in enumerate(logprobs):
            text = self.tokenizer.decode(list(token_ids[: i + 1]), skip_special_tokens=True)
            if not text.startswith(previous):  # an incomplete character now completed
                previous = previous.rstrip("\ufffd")
            out.append(TokenLogprob(text[len(previous) :], float(logprob), len(previous)))
            previous = text
        return out


class TokenizedBackend(Backend):
    """A backend that counts and cuts text with its model's tokenizer (``self.tokens``)."""

    tokens: Tokens

    def count_tokens(self, text: str) -> int:
        return self.tokens.count(text)

    def truncate(self, text: str, max_tokens: int) -> str:
        return self.tokens.truncate(text, max_tokens)
