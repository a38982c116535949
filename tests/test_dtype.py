"""The default weights dtype: bfloat16 where the hardware computes it natively (it
measured as accurate as float32 and 1.5x faster), float32 where torch would emulate it."""

from __future__ import annotations

import pytest

from parser_service import settings as settings_module
from parser_service.settings import Settings


@pytest.mark.parametrize(
    ("flags", "device", "expected"),
    [
        ({"avx2", "avx512_bf16"}, "cpu", "bfloat16"),
        ({"avx2", "amx_bf16"}, "cpu", "bfloat16"),
        ({"avx2", "avx512f"}, "cpu", "float32"),
        (set(), "cuda", "bfloat16"),
    ],
)
def test_auto_picks_bfloat16_only_where_it_is_native(monkeypatch, flags, device, expected):
    monkeypatch.setattr(settings_module, "cpu_flags", lambda: frozenset(flags))
    assert Settings(device=device).dtype == expected
    assert Settings(device=device, dtype="float32").dtype == "float32"  # a choice is kept


def test_the_environment_sets_it(monkeypatch):
    monkeypatch.setenv("PARSER_SERVICE_DTYPE", "float16")
    assert Settings().dtype == "float16"
    monkeypatch.setenv("PARSER_SERVICE_DTYPE", "int4")
    with pytest.raises(ValueError):
        Settings()


def test_this_machines_flags_are_read():
    flags = settings_module.cpu_flags()
    assert isinstance(flags, frozenset)
    assert settings_module.auto_dtype("cpu") == ("bfloat16" if flags & settings_module.BF16_FLAGS else "float32")
