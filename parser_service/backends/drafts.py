"""Drafts from the record's own text, for speculative decoding of copied values.

Most of an answer is copied out of the prompt: an extractive field can only be a span
of the record, and dates, amounts and names are written as they are printed. So the
tokens that followed the answer's last few tokens where they occur in the prompt are
a good guess of what comes next ("prompt lookup"). The decoder runs such a draft in
the same forward pass as the step's own tokens and keeps the part the model would
have chosen anyway, token by token under the grammar: the answer is the one plain
greedy decoding gives, in fewer passes.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Longest run of answer tokens looked up in the prompt (the longest match is used).
LONGEST_MATCH = 3


class SourceDrafts:
    """An index of a prompt's n-grams (n ≤ ``LONGEST_MATCH``) to where each last occurs."""

    def __init__(self, source: Sequence[int], stop: int) -> None:
        self.source = list(source)
        self.stop = stop  # end-of-text: never drafted (the prompt's turns end with it)
        self._after: dict[tuple[int, ...], int] = {}
        for n in range(1, LONGEST_MATCH + 1):
            for end in range(n, len(self.source)):  # an occurrence with something after it
                self._after[tuple(self.source[end - n : end])] = end

    def propose(self, answer: Sequence[int], count: int) -> list[int]:
        """Up to ``count`` tokens that followed the longest tail of ``answer`` found in the prompt."""
        for n in range(min(LONGEST_MATCH, len(answer)), 0, -1):
            end = self._after.get(tuple(answer[-n:]))
            if end is not None:
                draft = self.source[end : end + count]
                return draft[: draft.index(self.stop)] if self.stop in draft else draft
        return []
