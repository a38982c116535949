"""Cutting a document to a number of tokens costs what those tokens cost, whatever the
document's length, and cuts where tokenizing the whole text would, moved back to the
last whole word."""

from __future__ import annotations

import pytest

from parser_service.backends.base import cut_between_words
from parser_service.backends.deterministic import DeterministicBackend
from parser_service.backends.model_source import load_tokenizer
from parser_service.backends.tokens import Tokens
from parser_service.settings import Settings


@pytest.fixture(scope="module")
def tokens() -> Tokens:
    settings = Settings()
    return Tokens(load_tokenizer(settings.model, settings.cache_dir))


def whole_cut(tokens: Tokens, text: str, max_tokens: int) -> str:
    offsets = tokens.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    return text if len(offsets) <= max_tokens else cut_between_words(text, offsets[max_tokens - 1][1])


@pytest.mark.parametrize("unit", ["Rechnung Nr. 4711 vom 13.11.2017, 1.234,56 € ", "-" * 97 + " ", "x"])
def test_the_cut_is_the_whole_texts_cut(tokens: Tokens, unit: str) -> None:
    text = unit * 3000
    for max_tokens in (1, 7, 256):
        assert tokens.truncate(text, max_tokens) == whole_cut(tokens, text, max_tokens)
    assert tokens.truncate("short", 256) == "short"


def test_only_the_head_is_tokenized(tokens: Tokens, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = tokens.tokenizer.__class__.__call__

    def spy(self, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(len(text))
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(tokens.tokenizer.__class__, "__call__", spy)
    tokens.truncate("word " * 2_000_000, 100)
    assert seen and max(seen) <= 101 * tokens.longest_token < 10_000_000


@pytest.mark.parametrize(
    ("text", "end", "cut"),
    [
        ("dated 05.01.2024 total", 14, "dated "),  # inside a date: the date goes, never "05.01.20"
        ("dated 05.01.2024 total", 16, "dated 05.01.2024"),  # at a word's end
        ("dated 05.01.2024 total", 17, "dated 05.01.2024 "),  # after the space
        ("05.01.2024", 5, "05.01"),  # one word and nothing else: cut where asked
        ("line one\nline two", 12, "line one\n"),
        ("short", 99, "short"),
    ],
)
def test_a_cut_falls_between_words(text: str, end: int, cut: str) -> None:
    assert cut_between_words(text, end) == cut


def test_a_cut_by_tokens_never_splits_a_value(tokens: Tokens) -> None:
    """The model copies spans of the text it sees: a date cut in two would be another date."""
    text = "Invoice 42 dated 05.01.2024 total 37.50 EUR " * 200
    for max_tokens in range(1, 60):
        cut = tokens.truncate(text, max_tokens)
        whole_words = cut[-1] == " " or text[len(cut)] == " "
        assert text.startswith(cut) and (whole_words or " " not in cut), (max_tokens, cut[-20:])  # the first word alone
    backend = DeterministicBackend()
    assert backend.truncate("dated 05.01.2024 total", 3).endswith("dated ")
