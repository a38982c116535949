"""Damaged copies of real files never escape as anything but an InputError."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import pytest

from parser_service.errors import InputError
from parser_service.parsers import builtin_parsers
from parser_service.parsers.sniff import parse_file

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.mark.parametrize("name", ["oyo.pdf", "QualityHosting.pdf", "gls.csv", "Orlen.txt"])
@pytest.mark.parametrize("seed", range(20))
def test_flipped_bytes_parse_or_fail_cleanly(name, seed, tmp_path):
    data = bytearray((DATA / name).read_bytes())
    rng = random.Random(seed)
    for _ in range(max(1, len(data) // (2000 if seed % 2 else 200))):
        data[rng.randrange(len(data))] = rng.randrange(256)
    path = tmp_path / name
    path.write_bytes(bytes(data))
    try:
        document = parse_file(path, builtin_parsers())
    except InputError as exc:
        assert name in str(exc)
    else:
        assert document.pages


@pytest.mark.parametrize("seed", range(100))
def test_damaged_workbook_fails_cleanly(seed, tmp_path):
    data = bytearray((DATA / "transactions.xlsx").read_bytes())
    rng = random.Random(seed)
    for _ in range(1 + seed % 20):
        data[rng.randrange(len(data))] = rng.randrange(256)
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    try:
        parse_file(path, builtin_parsers())
    except InputError as exc:
        assert "damaged.xlsx" in str(exc)


def test_a_damaged_pdf_logs_nothing(tmp_path, capfd):
    data = bytearray((DATA / "QualityHosting.pdf").read_bytes())
    rng = random.Random(7)
    for _ in range(60):
        data[rng.randrange(len(data))] = rng.randrange(256)
    path = tmp_path / "noisy.pdf"
    path.write_bytes(bytes(data))
    with contextlib.suppress(InputError):
        parse_file(path, builtin_parsers())
    assert capfd.readouterr().err == ""
