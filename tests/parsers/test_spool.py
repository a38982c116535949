"""The spool gives back what was written, in order, as often as it is read."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from parser_service.parsers.spool import CHUNK_ITEMS, Spool


def test_rows_come_back_in_order_across_chunks_every_time() -> None:
    spool = Spool()
    rows = [(n, [n, f"row {n}", n * 0.5, None, n % 2 == 0]) for n in range(CHUNK_ITEMS * 3 + 7)]
    for row in rows:
        spool.append(row)
    assert len(spool) == len(rows)
    assert list(spool) == rows
    assert list(spool) == rows  # read twice, the same


def test_readers_in_threads_do_not_disturb_each_other() -> None:
    spool = Spool()
    for n in range(CHUNK_ITEMS * 4):
        spool.append((n, [str(n)]))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: [number for number, _ in spool], range(8)))
    assert all(result == list(range(CHUNK_ITEMS * 4)) for result in results)


def test_an_iteration_sees_the_rows_appended_before_it_began() -> None:
    spool = Spool()
    spool.append((1, ["a"]))
    reader = iter(spool)
    assert next(reader) == (1, ["a"])
    spool.append((2, ["b"]))
    assert list(reader) == []
    assert list(spool) == [(1, ["a"]), (2, ["b"])]
