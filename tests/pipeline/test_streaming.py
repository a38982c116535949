"""Large files stream end to end: results come out chunk by chunk, and the JSON the CLI
writes record by record is exactly the JSON of the whole extraction. Deterministic
backend (no model): every row here is read by the column mapping."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from parser_service.pipeline.run import CHUNK_CHARS, CHUNK_RECORDS, Pipeline
from parser_service.records import MAX_ROW_TEXT_CHARS
from parser_service.settings import Settings


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(Settings(backend="deterministic"))


def _export(path: Path, rows: int) -> Path:
    lines = ["Date,Payee,Amount,Balance"] + [f"2024-05-{n % 28 + 1:02d},Shop {n},-{n}.10,{9000 - n}.00" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _header_only(path: Path) -> Path:
    """An export of a month without transactions: one line of CSV reads as text, not as a
    table (the bank plugin refuses it), so the empty table is a workbook's."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Date", "Payee", "Amount", "Balance"])
    book.save(path)
    return path


@pytest.mark.parametrize("rows", [0, 3, CHUNK_RECORDS + 5])
def test_written_record_by_record_is_the_whole_extraction(pipeline: Pipeline, tmp_path: Path, rows: int) -> None:
    path = _export(tmp_path / "bank.csv", rows) if rows else _header_only(tmp_path / "bank.xlsx")
    whole = pipeline.extract(path, domain="bank_transactions")
    streamed = pipeline.extract(path, domain="bank_transactions", stream=True)
    assert streamed.records == [] and streamed.pending is not None  # nothing extracted yet
    out = io.StringIO()
    streamed.write_json(out)
    assert out.getvalue() == json.dumps(whole.to_dict(), indent=2, ensure_ascii=False)
    assert len(json.loads(out.getvalue())["records"]) == rows == len(whole.records)


def test_results_come_in_chunks_with_progress_over_the_whole_file(pipeline: Pipeline, tmp_path: Path) -> None:
    path = _export(tmp_path / "bank.csv", 2 * CHUNK_RECORDS + 1)
    domain = pipeline.host.domain("bank_transactions")
    seen: list[tuple[int, int]] = []
    chunks = pipeline.stream_domain(pipeline.parse(path), domain, lambda _, d, t: seen.append((d, t)))
    sizes = [len(chunk) for chunk in chunks]
    assert sizes == [CHUNK_RECORDS, CHUNK_RECORDS, 1]
    assert seen[0] == (0, 2 * CHUNK_RECORDS + 1) and seen[-1] == (2 * CHUNK_RECORDS + 1,) * 2
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)  # never goes back


def test_text_with_unicode_line_separators_is_written_unchanged(pipeline: Pipeline, tmp_path: Path) -> None:
    """JSON keeps U+2028 and U+0085 raw (ensure_ascii=False); indenting must not cut there."""
    from dataclasses import replace

    path = _export(tmp_path / "bank.csv", 2)
    whole = pipeline.extract(path, domain="bank_transactions")
    odd = [replace(r, data={**(r.data or {}), "memo": "line\u2028two\x85three"}) for r in whole.records]
    whole.records = odd
    streamed = replace(whole, records=[], pending=iter([odd]))
    out = io.StringIO()
    streamed.write_json(out)
    assert out.getvalue() == json.dumps(whole.to_dict(), indent=2, ensure_ascii=False)
    assert json.loads(out.getvalue())["records"][1]["data"]["memo"] == "line\u2028two\x85three"


def test_rows_of_3000_columns_come_in_chunks_bounded_by_their_text(pipeline: Pipeline, tmp_path: Path) -> None:
    """A chunk of 1,024 rows of 10,000 columns held 3 GB: a chunk now ends at
    ``CHUNK_CHARS`` of record text, and each row's text stops near ``MAX_ROW_TEXT_CHARS``."""
    extra = [f"Extra {i}" for i in range(2997)]
    lines = [",".join(["Date", "Payee", "Amount", *extra])]
    lines += [",".join([f"2024-05-{n % 28 + 1:02d}", f"Shop {n}", f"-{n}.10", *("1" * len(extra))]) for n in range(80)]
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    chunks = list(pipeline.stream_domain(pipeline.parse(path), pipeline.host.domain("bank_transactions")))
    per_chunk = CHUNK_CHARS // MAX_ROW_TEXT_CHARS
    assert [len(chunk) for chunk in chunks] == [per_chunk, per_chunk, 80 - 2 * per_chunk]
    results = [result for chunk in chunks for result in chunk]
    assert {result.status for result in results} == {"ok"}
    assert results[79].data == {"date": "2024-05-24", "amount": -79.1, "payee": "Shop 79", "memo": None, "balance": None}
    assert results[79].provenance["fields"]["amount"]["cell_range"] == "C81"
