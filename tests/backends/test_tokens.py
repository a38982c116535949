"""Cutting a document to a number of tokens costs what those tokens cost, whatever the
document's length, and cuts where tokenizing the whole text would."""

from __future__ import annotations

import pytest

from parser_service.backends.model_source import load_tokenizer
from parser_service.backends.tokens import Tokens
from parser_service.settings import Settings


@pytest.fixture(scope="module")
def tokens() -> Tokens:
    settings = Settings()
    return Tokens(load_tokenizer(settings.model, settings.cache_dir))


def whole_cut(tokens: Tokens, text: str, max_tokens: int) -> str:
    offsets = tokens.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    return text if len(offsets) <= max_tokens else text[: offsets[max_tokens - 1][1]]


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
