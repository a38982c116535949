"""Large inputs: throughput and peak memory on big bank exports and a long PDF.

    python -m parser_service.bench.large_inputs [--sizes 10000,100000] [--pages 200]

Spreadsheets: a generated bank export (Date, Payee, Memo, Amount, Balance; a running
balance that holds) of N rows, as CSV and as XLSX, goes through the
``bank_transactions`` plugin's fast path as the service streams it: the real parser
(``Pipeline.parse``, which counts the rows and keeps none), then
``Pipeline.stream_domain``: the plugin's splitter (the column mapping inferred once per
table, from its first rows) yields records as the rows are read again (the CSV from the file, the XLSX
sheet from the parser's spool), extracted a chunk
at a time (prefill from the mapping, schema validation, validators, confidence); the
child keeps a tally of each chunk, not the results. The metadata call is skipped: the plugin is named, as a caller naming it
would. The backend is the deterministic test backend wrapped in a counter, so the
table shows how many requests still reached a backend (0: no row needed the model).
Rows/s covers parse + split + map + validate; generating the file is not timed.

PDF: a generated statement of P pages (text lines and a ruled table on every page)
parsed with ``Pipeline.parse`` (pdfplumber): pages/s.

Each measurement runs in a fresh child process that prints one JSON line, so its peak
RSS is its own. The child records its RSS after imports, before the work (the
baseline); the table shows peak minus baseline. On Linux the peak is VmHWM, reset
after imports: a child that ``subprocess`` starts with vfork inherits the parent's
``ru_maxrss``, and import-time garbage would hide a smaller peak. Elsewhere it is
``ru_maxrss`` (also reported by the child on Linux). Inputs are generated once into
the work folder, from a fixed seed.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parser_service.backends.base import Generation, GenerationRequest
from parser_service.backends.deterministic import DeterministicBackend
from parser_service.bench.table import Row
from parser_service.records import RecordResult

SECTION = "large inputs"
SEED = 1234
DOMAIN = "bank_transactions"
HEADER = ("Date", "Payee", "Memo", "Amount", "Balance")
DATE_FORMAT = "%d/%m/%Y"
START = datetime.date(2023, 3, 15)
SPAN_DAYS = 500
#: The smaller PDF, measured beside ``pages`` so growth shows.
SMALL_PDF_PAGES = 50
PDF_TABLE_ROWS = 18
CHILD_TIMEOUT_S = 1800

# --------------------------------------------------------------------------- the inputs

_MERCHANTS = (
    "TESCO STORES", "SAINSBURYS S/MKT", "AMAZON MARKETPLACE", "SHELL", "BP CONNECT", "PRET A MANGER",
    "COSTA COFFEE", "UBER TRIP", "TFL TRAVEL CHARGE", "BOOTS", "WAITROSE", "JOHN LEWIS", "IKEA",
    "DELIVEROO", "NETFLIX.COM", "SPOTIFY", "APPLE.COM/BILL", "CURRYS", "ARGOS", "LIDL GB",
)
_DIRECT_DEBITS = ("BRITISH GAS", "THAMES WATER", "VODAFONE LTD", "COUNCIL TAX", "AVIVA INSURANCE", "VIRGIN MEDIA")
_PEOPLE = ("J SMITH", "A PATEL", "M JONES", "S WILLIAMS", "K BROWN", "L TAYLOR", "R KHAN", "E DAVIES")
_CITIES = ("LONDON", "LEEDS", "BRISTOL", "MANCHESTER", "YORK", "CARDIFF", "GLASGOW")


@dataclass(frozen=True, slots=True)
class Transaction:
    date: datetime.date
    payee: str
    memo: str
    cents: int
    balance_cents: int

    def truth(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "amount": self.cents / 100, "payee": self.payee,
                "memo": self.memo, "balance": self.balance_cents / 100}


def transactions(n: int, seed: int = SEED) -> Iterator[Transaction]:
    """``n`` transactions, oldest first, over about ``SPAN_DAYS`` days (a busy account for
    large ``n``); each balance follows from the one before."""
    rng = random.Random(seed)
    day, balance = START, 250_000
    step = min(0.5, SPAN_DAYS / max(n, 1))  # chance that a row starts a new day
    for _ in range(n):
        day += datetime.timedelta(days=int(rng.random() < step))
        payee, memo, cents = _kind(rng)
        balance += cents
        yield Transaction(day, payee, memo, cents, balance)


def _kind(rng: random.Random) -> tuple[str, str, int]:
    roll = rng.random()
    if roll < 0.04:
        return "ACME HOLDINGS PLC", f"SALARY REF {rng.randrange(10**6):06d}", rng.randrange(180_000, 420_000)
    if roll < 0.12:
        return rng.choice(_DIRECT_DEBITS), f"Direct debit, ref {rng.randrange(10**8):08d}", -rng.randrange(1_500, 20_000)
    if roll < 0.22:
        sign = 1 if rng.random() < 0.5 else -1
        return rng.choice(_PEOPLE), f"Faster payment {rng.randrange(10**6):06d}", sign * rng.randrange(500, 60_000)
    merchant = f"{rng.choice(_MERCHANTS)} {rng.randrange(1000, 9999)}"
    return merchant, f"Card payment, {rng.choice(_CITIES)}", -rng.randrange(99, 15_000)


def bank_export(work_dir: Path, fmt: str, n: int) -> tuple[Path, Path]:
    """The export of ``n`` rows in ``fmt`` ("csv" or "xlsx") and its truth file; made once."""
    path = work_dir / f"bank-{n}.{fmt}"
    truth = work_dir / f"bank-{n}.truth.json"
    if not path.exists():
        _write_once(path, lambda part: (_write_csv if fmt == "csv" else _write_xlsx)(part, n))
    if not truth.exists():
        _write_truth(truth, n)
    return path, truth


def _write_truth(path: Path, n: int) -> None:
    first = last = None
    for t in transactions(n):
        first, last = first or t, t
    assert first is not None and last is not None
    path.write_text(json.dumps({"rows": n, "first": first.truth(), "last": last.truth()}), encoding="utf-8")


def _write_csv(path: Path, n: int) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for t in transactions(n):
            writer.writerow([t.date.strftime(DATE_FORMAT), t.payee, t.memo, f"{t.cents / 100:.2f}",
                             f"{t.balance_cents / 100:.2f}"])


def _write_xlsx(path: Path, n: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Transactions")
    sheet.append(list(HEADER))
    for t in transactions(n):  # real date and number cells, as a bank's XLSX export has
        sheet.append([t.date, t.payee, t.memo, t.cents / 100, t.balance_cents / 100])
    with path.open("wb") as handle:
        workbook.save(handle)


def statement_pdf(work_dir: Path, pages: int) -> Path:
    """A ``pages``-page statement: text lines and a ruled table on every page; made once."""
    path = work_dir / f"statement-{pages}.pdf"
    if not path.exists():
        _write_once(path, lambda part: _write_pdf(part, pages))
    return path


def _write_once(path: Path, write: Callable[[Path], None]) -> None:
    """``write`` a part file, then move it into place: a killed run leaves no half file."""
    part = path.with_name(path.name + ".part")
    write(part)
    part.replace(path)


def _write_pdf(path: Path, pages: int) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path), pagesize=A4, invariant=1)  # invariant: same bytes every run
    rows = transactions(pages * PDF_TABLE_ROWS)
    for number in range(1, pages + 1):
        _pdf_page(canvas, number, pages, [next(rows) for _ in range(PDF_TABLE_ROWS)])
        canvas.showPage()
    canvas.save()


def _pdf_page(canvas: Any, number: int, pages: int, rows: list[Transaction]) -> None:
    top = 800
    canvas.setFont("Helvetica-Bold", 13)
    canvas.drawString(50, top, f"Northbank plc - Statement of account 41-22-07 18830412 - page {number} of {pages}")
    canvas.setFont("Helvetica", 9)
    lines = ("Ms A Example, 12 High Street, Leeds LS1 4AB",
             f"Period {rows[0].date:%d %B %Y} to {rows[-1].date:%d %B %Y}",
             "Your deposit is eligible for protection under the Financial Services Compensation Scheme.",
             "Please check this statement and tell us about any entry you do not recognise.")
    for i, line in enumerate(lines):
        canvas.drawString(50, top - 20 - 13 * i, line)
    _pdf_table(canvas, rows, top - 90)
    canvas.drawString(50, 60, f"Balance carried forward {rows[-1].balance_cents / 100:,.2f} GBP")


def _pdf_table(canvas: Any, rows: list[Transaction], top: float) -> None:
    xs = [50, 120, 270, 400, 470, 545]
    height = 16
    ys = [top - height * i for i in range(len(rows) + 2)]
    canvas.grid(xs, ys)
    cells = [HEADER] + [(f"{t.date:%d/%m/%Y}", t.payee, t.memo[:24], f"{t.cents / 100:.2f}",
                         f"{t.balance_cents / 100:.2f}") for t in rows]
    for y, values in zip(ys, cells):
        for x, value in zip(xs, values):
            canvas.drawString(x + 3, y - 11, value)


# --------------------------------------------------------------------------- the child


class CountingBackend(DeterministicBackend):
    """The deterministic test backend, counting the requests that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0

    def generate(self, requests: Sequence[GenerationRequest], *, logprobs: bool = False) -> list[Generation]:
        self.requests += len(requests)
        return super().generate(requests, logprobs=logprobs)


def maxrss_mib() -> float:
    """``ru_maxrss`` of this process (KiB on Linux, bytes on macOS).

    On Linux a child started with vfork (``subprocess``'s default) inherits its parent's
    high-water mark here, so this is never below the parent's peak; ``peak_mib`` is not.
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _proc_status_mib(key: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_mib() -> float:
    """This process's own peak RSS since ``reset_peak``: Linux's VmHWM, else ``ru_maxrss``."""
    peak = _proc_status_mib("VmHWM")
    return maxrss_mib() if peak is None else peak


def rss_mib() -> float:
    """The RSS now (VmRSS), where the system says; else the peak so far."""
    rss = _proc_status_mib("VmRSS")
    return peak_mib() if rss is None else rss


def reset_peak() -> bool:
    """Reset the peak to the RSS now (Linux: ``/proc/self/clear_refs``), so the import's
    transient allocations do not hide a smaller peak of the work. False: not possible."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


class _Clock:
    """Seconds and peak RSS at the end of each stage."""

    def __init__(self) -> None:
        self.peak_reset = reset_peak()
        self.baseline = rss_mib()
        self.stages: dict[str, float] = {}
        self.peaks: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage], self._last = now - self._last, now
        self.peaks[stage] = peak_mib()

    def report(self) -> dict[str, Any]:
        return {"baseline_mib": self.baseline, "peak_mib": peak_mib(), "ru_maxrss_mib": maxrss_mib(),
                "peak_reset": self.peak_reset, "seconds": sum(self.stages.values()),
                "stages": self.stages, "stage_peak_mib": self.peaks}


def child_spreadsheet(path: Path) -> dict[str, Any]:
    """Parse, split and extract ``path`` with the bank plugin, as a caller that writes each
    chunk of results out would (``Pipeline.stream_domain``); what it took and what came out."""
    import openpyxl  # noqa: F401  (imported before the baseline, as the parser would import it)

    from parser_service.pipeline.run import Pipeline
    from parser_service.settings import Settings

    backend = CountingBackend()
    pipeline = Pipeline(Settings(backend="deterministic"), backend=backend)
    domain = pipeline.host.domain(DOMAIN)
    clock = _Clock()
    document = pipeline.parse(path)
    clock.lap("parse")
    tally = _Tally()
    for chunk in pipeline.stream_domain(document, domain):
        tally.add(chunk)
    clock.lap("split + extract")
    out = clock.report()
    out.update(tally.report(), backend_requests=backend.requests)
    return out


class _Tally:
    """What the checks need from the results, kept as they stream past (not the results)."""

    def __init__(self) -> None:
        self.items = 0
        self.statuses: Counter[str] = Counter()
        self.sources: Counter[str] = Counter()
        self.breaks = 0
        self.first: RecordResult | None = None
        self.last: RecordResult | None = None

    def add(self, results: Sequence[RecordResult]) -> None:
        for result in results:
            self.items += 1
            self.statuses[result.status] += 1
            self.sources.update(f["source"] for f in result.provenance["fields"].values())
            if self.last is not None:
                self.breaks += balance_breaks([self.last.data or {}, result.data or {}])
            self.first = self.first or result
            self.last = result

    def report(self) -> dict[str, Any]:
        return {"items": self.items, "statuses": dict(self.statuses), "field_sources": dict(self.sources),
                "balance_breaks": self.breaks, "first": _summary(self.first) if self.first else None,
                "last": _summary(self.last) if self.last else None}


def _summary(result: RecordResult) -> dict[str, Any]:
    return {"status": result.status, "data": result.data, "errors": [e.message for e in result.errors]}


def balance_breaks(data: Sequence[dict[str, Any]]) -> int:
    """Rows whose balance does not follow from the one before and the amount."""
    breaks = 0
    for before, after in zip(data, data[1:]):
        start, amount, end = before.get("balance"), after.get("amount"), after.get("balance")
        if start is None or amount is None or end is None or abs(start + amount - end) > 0.005:
            breaks += 1
    return breaks


def child_pdf(path: Path) -> dict[str, Any]:
    """Parse ``path`` with the project's PDF parser; what it took and what came out."""
    import pdfplumber  # noqa: F401  (imported before the baseline, as the parser would import it)

    from parser_service.pipeline.run import Pipeline
    from parser_service.settings import Settings

    pipeline = Pipeline(Settings(backend="deterministic"))
    pipeline.host.parser_list()
    clock = _Clock()
    document = pipeline.parse(path)
    clock.lap("parse")
    out = clock.report()
    pages = document.pages
    out.update(items=len(pages), words=sum(len(p.words) for p in pages),
               tables=sum(len(p.tables) for p in pages),
               table_rows=sum(len(t.rows) for p in pages for t in p.tables))
    return out


# --------------------------------------------------------------------------- the parent


@dataclass
class Measurement:
    """One child's report; ``problems`` lists what did not match the generated truth."""

    kind: str  # "csv", "xlsx" or "pdf"
    size: int  # rows or pages asked for
    report: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return float(self.report["seconds"])

    @property
    def rate(self) -> float:
        """Rows (or pages) per second."""
        return self.report["items"] / self.seconds if self.seconds else 0.0

    @property
    def peak_mib(self) -> float:
        return float(self.report["peak_mib"])

    @property
    def baseline_mib(self) -> float:
        return float(self.report["baseline_mib"])

    @property
    def growth_mib(self) -> float:
        """Peak RSS minus the baseline after imports."""
        return self.peak_mib - self.baseline_mib


def run_child(kind: str, path: Path) -> dict[str, Any]:
    """Measure ``path`` in a fresh interpreter; its one JSON line."""
    command = [sys.executable, "-m", "parser_service.bench.large_inputs", "--child", kind, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"the {kind} measurement of {path.name} failed:\n{done.stderr[-4000:]}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def measure_bank(work_dir: Path, fmt: str, n: int) -> Measurement:
    path, truth_path = bank_export(work_dir, fmt, n)
    report = run_child("spreadsheet", path)
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    return Measurement(fmt, n, report, bank_problems(report, truth))


def bank_problems(report: dict[str, Any], truth: dict[str, Any]) -> list[str]:
    """How the child's records differ from the generated truth (empty: they match)."""
    problems = []
    if report["items"] != truth["rows"]:
        problems.append(f"{report['items']} records for {truth['rows']} rows")
    not_ok = {s: c for s, c in report["statuses"].items() if s != "ok"}
    if not_ok:
        problems.append(f"records not ok: {not_ok}")
    for end in ("first", "last"):
        got = report[end]
        if got is None:
            problems.append(f"no {end} record")
        elif got["status"] != "ok":
            problems.append(f"{end} record {got['status']}: {'; '.join(got['errors'])}")
        elif not _same(got["data"] or {}, truth[end]):
            problems.append(f"{end} record: got {got['data']}, want {truth[end]}")
    if report["balance_breaks"]:
        problems.append(f"{report['balance_breaks']} running-balance breaks")
    return problems


def _same(data: dict[str, Any], want: dict[str, Any]) -> bool:
    def norm(value: Any) -> Any:
        return round(value, 2) if isinstance(value, float) else value

    return {k: norm(data.get(k)) for k in want} == {k: norm(v) for k, v in want.items()}


def measure_pdf(work_dir: Path, pages: int) -> Measurement:
    report = run_child("pdf", statement_pdf(work_dir, pages))
    problems = []
    if report["items"] != pages:
        problems.append(f"{report['items']} pages parsed of {pages}")
    if report["tables"] != pages or report["table_rows"] != pages * PDF_TABLE_ROWS:
        problems.append(f"{report['tables']} tables, {report['table_rows']} rows found "
                        f"(want {pages}, {pages * PDF_TABLE_ROWS})")
    return Measurement("pdf", pages, report, problems)


# --------------------------------------------------------------------------- the rows


def _count(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def _stages(m: Measurement) -> str:
    return " + ".join(f"{name} {s:.2f} s" for name, s in m.report["stages"].items())


def _memory_note(m: Measurement) -> str:
    peaks = ", ".join(f"{name} +{p - m.baseline_mib:.0f}" for name, p in m.report["stage_peak_mib"].items())
    return f"peak {m.peak_mib:.0f} MiB over a baseline of {m.baseline_mib:.0f} MiB; peak after {peaks} MiB"


def _check_note(m: Measurement) -> str:
    return "MISMATCH: " + "; ".join(m.problems) if m.problems else "checked against the generated truth"


def bank_rows(m: Measurement) -> list[Row]:
    label = f"{m.size:,} rows ({m.kind.upper()})"
    r = m.report
    sources = ", ".join(f"{c:,} {s}" for s, c in sorted(r["field_sources"].items()))
    note = (f"parse + split + map + validate, no metadata call: {_stages(m)}; {r['items']:,} records, "
            f"{r['statuses'].get('ok', 0):,} ok; {r['backend_requests']} requests reached the backend; "
            f"fields: {sources}; {_check_note(m)}")
    return [Row(SECTION, f"rows/s, {label}", m.rate, "rows/s", note),
            Row(SECTION, f"peak memory, {label}", m.growth_mib, "MiB over baseline", _memory_note(m))]


def pdf_rows(m: Measurement) -> list[Row]:
    label = f"{m.size} pages (PDF)"
    r = m.report
    note = (f"Pipeline.parse (pdfplumber): lines, words, ruled tables; {r['words']:,} words, {r['tables']} tables; "
            f"{_check_note(m)}")
    return [Row(SECTION, f"pages/s, {label}", m.rate, "pages/s", note),
            Row(SECTION, f"peak memory, {label}", m.growth_mib, "MiB over baseline", _memory_note(m))]


def growth_row(small: Measurement, large: Measurement, unit: str) -> Row:
    ratio: float | str = large.growth_mib / small.growth_mib if small.growth_mib > 0 else "n/a"
    measure = f"memory growth {_count(small.size)} → {_count(large.size)} {unit} ({small.kind.upper()})"
    note = (f"peak minus baseline, {large.growth_mib:.0f} / {small.growth_mib:.0f} MiB, for "
            f"{large.size / small.size:.0f}× the input (flat: 1×)")
    return Row(SECTION, measure, ratio, "×", note)


def run(
    work_dir: Path,
    sizes: Sequence[int] = (10_000, 100_000),
    pages: int = 200,
    progress: Callable[[str], None] | None = None,
) -> list[Row]:
    """Every measurement of this section, each in a child process; inputs cached in ``work_dir``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda message: None)
    rows: list[Row] = []
    for fmt in ("csv", "xlsx"):
        done = []
        for n in sorted(sizes):
            say(f"large inputs: {n:,} rows ({fmt.upper()})")
            done.append(measure_bank(work_dir, fmt, n))
            rows += bank_rows(done[-1])
        if len(done) > 1:
            rows.append(growth_row(done[0], done[-1], "rows"))
    done = []
    for count in sorted({min(SMALL_PDF_PAGES, pages), pages}):
        say(f"large inputs: {count} PDF pages")
        done.append(measure_pdf(work_dir, count))
        rows += pdf_rows(done[-1])
    if len(done) > 1:
        rows.append(growth_row(done[0], done[-1], "pages"))
    return rows


# --------------------------------------------------------------------------- the command


CHILDREN: dict[str, Callable[[Path], dict[str, Any]]] = {"spreadsheet": child_spreadsheet, "pdf": child_pdf}


def main(argv: Sequence[str] | None = None) -> None:
    from parser_service.bench.table import markdown

    parser = argparse.ArgumentParser(prog="python -m parser_service.bench.large_inputs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="spreadsheet rows, comma-separated")
    parser.add_argument("--pages", type=int, default=200, help="pages of the long PDF")
    parser.add_argument("--work-dir", type=Path, help="where inputs are generated and kept (default: a temp folder)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](Path(args.child[1]))), flush=True)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    if args.work_dir:
        rows = run(args.work_dir, sizes, args.pages, say)
    else:
        with tempfile.TemporaryDirectory(prefix="large-inputs-") as folder:
            rows = run(Path(folder), sizes, args.pages, say)
    print(markdown(rows))


if __name__ == "__main__":
    main()
