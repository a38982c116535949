"""Table rows as records: a wide row's text is bounded, its cells whole, and each cell's
provenance (made when asked) the one the row's cells always had."""

from __future__ import annotations

from parser_service.document import Provenance, Row, Table, column_letter
from parser_service.records import MAX_ROW_TEXT_CHARS, Record, chunks, iter_rows


def _row(values: list[str | None], number: int = 2) -> Row:
    where = Provenance(cell_range=f"A{number}:{column_letter(len(values))}{number}", line_start=number, line_end=number)
    return Row(list(values), where)


def test_a_row_record_has_its_cells_text_and_each_cells_provenance() -> None:
    table = Table(["Date", "", "Amount"], [_row(["2024-01-02", "Coffee", "2.50", "extra"])], Provenance())
    (record,) = iter_rows(table)
    assert record.cells == {"Date": "2024-01-02", "column 2": "Coffee", "Amount": "2.50", "column 4": "extra"}
    assert record.text == "Date: 2024-01-02\ncolumn 2: Coffee\nAmount: 2.50\ncolumn 4: extra"
    cell = {name: Provenance(cell_range=f"{letter}2", line_start=2, line_end=2)
            for name, letter in zip(record.cells, "ABCD")}  # fmt: skip
    assert dict(record.cell_provenance) == cell and "Amount" in record.cell_provenance
    assert "Total" not in record.cell_provenance and record.cell_provenance.get("Total") is None
    assert list(record.spans) == [(0, 16, cell["Date"]), (17, 33, cell["column 2"]), (34, 46, cell["Amount"]),
                                  (47, 62, cell["column 4"])]  # fmt: skip
    assert record.provenance_at(record.text.index("2.50")) == cell["Amount"]


def test_a_wide_rows_text_stops_at_the_limit_and_its_cells_stay_whole() -> None:
    width = 10_000
    header = ["Date", "Payee", "Amount", *(f"Extra {i}" for i in range(width - 3))]
    table = Table(header, [_row(["2024-01-02", "Shop", "2.50", *(str(i) for i in range(width - 3))], 7)], Provenance())
    (record,) = iter_rows(table)
    assert len(record.cells or {}) == width and (record.cells or {})["Extra 9996"] == "9996"
    assert MAX_ROW_TEXT_CHARS <= len(record.text) < MAX_ROW_TEXT_CHARS + 30
    assert record.text.startswith("Date: 2024-01-02\nPayee: Shop\nAmount: 2.50\nExtra 0: 0\n")
    assert len(record.spans) == record.text.count("\n") + 1 < width
    assert record.cell_provenance["Extra 9996"].cell_range == f"{column_letter(width)}7"
    last = record.text.rindex("\n") + 1
    name = record.text[last:].split(":")[0]
    assert record.provenance_at(last) == record.cell_provenance[name]


def test_chunks_end_at_a_count_or_at_the_characters_of_their_text() -> None:
    records = [Record(i, "x" * size, []) for i, size in enumerate([10, 10, 10, 500, 10, 10, 10, 10])]
    assert [len(c) for c in chunks(records, 3)] == [3, 3, 2]
    assert [[r.index for r in c] for c in chunks(records, 3, max_chars=25)] == [[0, 1, 2], [3], [4, 5, 6], [7]]
    assert [len(c) for c in chunks(records, 100, max_chars=1)] == [1] * 8  # one record at least
    assert list(chunks([], 3, max_chars=10)) == []
