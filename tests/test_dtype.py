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


@pytest.mark.parametrize(
    ("flags", "first", "units"),
    [
        ({"avx", "avx2"}, "float32", "AVX2, bfloat16 emulated"),
        ({"avx", "avx2", "avx512f", "avx512_bf16"}, "bfloat16", "AVX512, native bfloat16"),
        (set(), "float32", "no AVX, bfloat16 emulated"),
    ],
)
def test_the_benchmark_measures_batching_in_the_native_dtype(monkeypatch, flags, first, units):
    from parser_service.bench.suite import vector_units
    from parser_service.cli.bench import native_first

    monkeypatch.setattr(settings_module, "cpu_flags", lambda: frozenset(flags))
    dtypes = native_first()
    assert dtypes[0] == first
    assert sorted(dtypes) == ["bfloat16", "float32", "int8"]
    assert vector_units() == units
