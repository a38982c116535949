"""Hostile inputs: status, seconds and peak memory of each through ``parser-service extract``.

    python -m parser_service.bench.hostile [--cases pdf-bomb,csv-50mb] [--backend transformers]

Each case is a file a hostile or careless user could upload within the 50 MB limit,
generated into the work folder (once, from a fixed recipe): a 1 MB PDF whose stream
inflates to 1 GiB, a 1 MB workbook of one 1 GiB cell, a 3 MB workbook of empty rows,
a 50 MB bank export, a 40 MB text of one line, a 50 MB CSV of 10,000 columns, a UTF-16
CSV, a CSV holding a NUL byte. Each runs as the command line runs it, in a child of its
own (``extract PATH -o FILE -q``), so the peak is that process's ``ru_maxrss``
(``os.wait4``; the cases are made in processes of their own, so that peak is the
child's); a case past ``--timeout`` is killed and shows as such. The status is
the exit code and the first line of stderr, or the records' statuses counted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from parser_service.bench.large_inputs import bank_export

MiB = 1 << 20
TEXT = b"BT /F1 12 Tf 72 720 Td (Invoice 42 total 12.50 EUR) Tj ET\n"
XLSX_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XLSX_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{XLSX_MAIN}"><sheetData>'.encode()
SHEET_TABLE = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c><c r="B1" t="inlineStr"><is><t>Amount</t>'
               b'</is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>2024-01-05</t></is></c><c r="B2"><v>12.5</v>'
               b"</c></row>")  # fmt: skip
SHEET_TAIL = b"</sheetData></worksheet>"


# -- the cases ----------------------------------------------------------------------------------


def pdf_bomb(path: Path) -> None:
    """One page: a line of text, then a content stream of 1 GiB of spaces deflated (about 1 MB)."""
    deflate = zlib.compressobj(9)
    bomb = b"".join(deflate.compress(b" " * MiB) for _ in range(1024)) + deflate.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(zlib.compress(TEXT)),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Contents [4 0 R 6 0 R] >>",
        _stream(bomb),
    ]
    path.write_bytes(_pdf(objects))


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.5\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def xlsx_huge_cell(path: Path) -> None:
    """A small table, then one inline cell of 1 GiB of one letter (about 1 MB zipped)."""
    cell = b'<row r="3"><c r="A3" t="inlineStr"><is><t>'
    _workbook(path, [SHEET_HEAD, SHEET_TABLE, cell, *([b"A" * MiB] * 1024), b"</t></is></c></row>", SHEET_TAIL])


def xlsx_empty_rows(path: Path) -> None:
    """A small table, then 350 million empty rows (2 GiB of XML, about 3 MB zipped)."""
    _workbook(path, [SHEET_HEAD, SHEET_TABLE, *([b"<row/>" * (MiB // 6)] * 2048), SHEET_TAIL])


def _workbook(path: Path, sheet: list[bytes]) -> None:
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
             'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
             '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
             'main+xml"/></Types>')  # fmt: skip
    relations = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/relationships"><Relationship Id="rId1" Type="{rels}/{kind}" Target="{target}"/>'
                 "</Relationships>")  # fmt: skip
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", relations.format(rels=XLSX_RELS, kind="officeDocument", target="xl/workbook.xml"))
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{XLSX_MAIN}" '
                         f'xmlns:r="{XLSX_RELS}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')  # fmt: skip
        archive.writestr("xl/_rels/workbook.xml.rels",
                         relations.format(rels=XLSX_RELS, kind="worksheet", target="worksheets/sheet1.xml"))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            for piece in sheet:
                out.write(piece)


def csv_50mb(path: Path) -> None:
    """A bank export of 50 MB (Date, Payee, Memo, Amount, Balance; about 830,000 rows)."""
    made, _ = bank_export(path.parent, "csv", 830_000)
    made.rename(path)


def text_one_line(path: Path) -> None:
    """40 MB of invoice-like words and figures with no line break."""
    words = b"Invoice 42 dated 05.01.2024 item widget qty 3 price 12.50 EUR total 37.50 EUR "
    with path.open("wb") as out:
        for _ in range(40 * MiB // (len(words) * 1000)):
            out.write(words * 1000)
        out.write(b"\n")


def csv_wide(path: Path) -> None:
    """10,000 columns, 50 MB: a header of names, then rows of short numbers."""
    header = ",".join(f"column{i}" for i in range(10_000)).encode() + b"\n"
    row = ",".join(str(i % 97) for i in range(10_000)).encode() + b"\n"
    with path.open("wb") as out:
        out.write(header)
        for _ in range(50 * MiB // len(row)):
            out.write(row)


def csv_utf16(path: Path) -> None:
    """A small bank export in UTF-16 with its byte-order mark, as Excel writes 'Unicode text'."""
    rows = ["Date\tPayee\tAmount", *(f"0{d}/01/2024\tShop {d}\t-{d}.50" for d in range(1, 9))]
    path.write_bytes("\n".join(rows).encode("utf-16"))


def csv_nul(path: Path) -> None:
    """A small bank export with a NUL byte in its fourth line."""
    path.write_bytes(b"Date,Payee,Amount\n01/01/2024,Shop,-1.50\n02/01/2024,Cafe,-2.50\n03/01/2024,Sh\x00op,-3.50\n")


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    filename: str
    make: Callable[[Path], None]
    domain: str | None = None


CASES = (
    Case("pdf-bomb", "bomb.pdf", pdf_bomb),
    Case("xlsx-huge-cell", "cell.xlsx", xlsx_huge_cell),
    Case("xlsx-empty-rows", "rows.xlsx", xlsx_empty_rows),
    Case("csv-50mb", "export.csv", csv_50mb, "bank_transactions"),
    Case("text-one-line-40mb", "line.txt", text_one_line),
    Case("csv-10000-columns", "wide.csv", csv_wide),
    Case("csv-utf16", "utf16.csv", csv_utf16, "bank_transactions"),
    Case("csv-nul", "nul.csv", csv_nul, "bank_transactions"),
)


# -- running one --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    case: str
    size_mib: float
    status: str
    seconds: float
    peak_mib: float


def generate(case: Case, work_dir: Path) -> Path:
    """The case's file, made once, in a fresh process: a child started later inherits this
    process's peak RSS as its own floor (Linux counts the parent's high-water mark at
    exec), so this process must never grow."""
    path = work_dir / case.filename
    if not path.exists():
        subprocess.run([sys.executable, "-m", "parser_service.bench.hostile", "--make", case.name,
                        "--work-dir", str(work_dir)], check=True)  # fmt: skip
    return path


def make(case: Case, work_dir: Path) -> None:
    partial = work_dir / f"partial-{case.filename}"
    case.make(partial)
    partial.rename(work_dir / case.filename)


def run_case(case: Case, path: Path, backend: str, timeout: float) -> Outcome:
    output = path.with_suffix(path.suffix + ".json")
    output.unlink(missing_ok=True)
    command = [sys.executable, "-m", "parser_service.cli", "extract", str(path), "-q", "-o", str(output),
               "--backend", backend, *(["--domain", case.domain] if case.domain else [])]  # fmt: skip
    started = time.monotonic()
    with tempfile.TemporaryFile() as stderr:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        code, peak_kib = _wait(child, timeout)
        seconds = time.monotonic() - started
        stderr.seek(0)
        message = stderr.read().decode(errors="replace").strip().splitlines()
    status = _status(code, message, output)
    return Outcome(case.name, path.stat().st_size / MiB, status, seconds, peak_kib / 1024)


def _wait(child: subprocess.Popen[bytes], timeout: float) -> tuple[int | None, int]:
    """The child's exit code (None when killed at ``timeout``) and its peak RSS in KiB."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return (child.returncode if time.monotonic() < deadline else None), usage.ru_maxrss
        if time.monotonic() >= deadline:
            child.send_signal(signal.SIGKILL)
        time.sleep(0.05)


def _status(code: int | None, stderr: list[str], output: Path) -> str:
    if code is None:
        return "killed at the time limit"
    if code == 0 and output.exists():  # counted in a process of its own (see ``generate``)
        counted = [sys.executable, "-m", "parser_service.bench.hostile", "--count", str(output)]
        return "exit 0: " + subprocess.run(counted, check=True, capture_output=True, text=True).stdout.strip()
    last = stderr[-1] if stderr else ""
    return f"exit {code}: {last[:160]}"


def count(output: Path) -> str:
    """The records' statuses in an output file, counted."""
    counts = Counter(r.get("status") for r in json.loads(output.read_text()).get("records", []))
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no records"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m parser_service.bench.hostile", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(c.name for c in CASES), help="comma-separated case names")
    parser.add_argument("--backend", default="transformers", help="the model backend (default: the embedded model)")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds before a case is killed")
    parser.add_argument("--work-dir", type=Path, help="where the cases are generated (default: a temporary folder)")
    parser.add_argument("--make", help=argparse.SUPPRESS)  # one case's file, in a process of its own
    parser.add_argument("--count", type=Path, help=argparse.SUPPRESS)  # an output's statuses, likewise
    args = parser.parse_args(argv)
    if args.count:
        print(count(args.count))
        return
    if args.make:
        make(next(c for c in CASES if c.name == args.make), args.work_dir)
        return
    wanted = set(args.cases.split(","))
    work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="parser-service-hostile-"))
    work_dir.mkdir(parents=True, exist_ok=True)
    print("| case | size | status | seconds | peak RSS |\n|---|---|---|---|---|", flush=True)
    for case in (c for c in CASES if c.name in wanted):
        outcome = run_case(case, generate(case, work_dir), args.backend, args.timeout)
        print(f"| {outcome.case} | {outcome.size_mib:.1f} MiB | {outcome.status} | {outcome.seconds:.1f} | "
              f"{outcome.peak_mib:,.0f} MiB |", flush=True)  # fmt: skip
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nEach peak includes this process's own, {floor:,.0f} MiB, which a child inherits.")


if __name__ == "__main__":
    main()
