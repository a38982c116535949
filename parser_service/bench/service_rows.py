"""Rows per second: the service storing a large bank export against the CLI extracting it.

    python -m parser_service.bench.service_rows [--rows 20000] [--database URL]

A generated bank export of N rows (``large_inputs``'s generator, fixed seed) goes
through the ``bank_transactions`` plugin twice, with the deterministic test backend
(no model: what is measured is the pipeline and the storage, not a language model):

- **CLI**: what ``parser-service extract --domain bank_transactions -o FILE`` does
  (``Pipeline.extract`` with the records streamed into the JSON file);
- **service**: ``Service.submit`` (not timed) then ``Service.run_job`` (parse, metadata,
  split, extract, every record stored in the database), as a worker does.

The database is a fresh PostgreSQL database (dropped afterwards) where PostgreSQL
answers, else an SQLite file in a temporary folder; ``--database`` names one to use.
The figures printed are rows, seconds and rows per second of each, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from parser_service.bench.large_inputs import DOMAIN, bank_export
from parser_service.bench.upload_latency import DEFAULT_ADMIN, database

if TYPE_CHECKING:
    from parser_service.domains.host import PluginHost


def cli_rows(path: Path, out: Path, host: PluginHost) -> tuple[int, float]:
    """Rows and seconds of ``parser-service extract --domain bank_transactions -o OUT``: parse,
    metadata, split, extract, the JSON written to a file as the records are drawn."""
    from parser_service.pipeline.run import Pipeline
    from parser_service.settings import Settings

    pipeline = Pipeline(Settings(backend="deterministic"), host=host)
    started = time.perf_counter()
    extraction = pipeline.extract(path, domain=DOMAIN, stream=True)
    with out.open("w", encoding="utf-8") as handle:
        extraction.write_json(handle)
    seconds = time.perf_counter() - started
    return len(json.loads(out.read_text(encoding="utf-8"))["records"]), seconds


def service_rows(path: Path, url: str, data_dir: Path, host: PluginHost) -> tuple[int, float]:
    """Rows stored and seconds of ``Service.run_job`` (the submit is not timed)."""
    from parser_service.db.migrate import upgrade
    from parser_service.service.jobs import Service
    from parser_service.settings import Settings

    upgrade(url)
    service = Service(Settings(backend="deterministic", DATABASE_URL=url, data_dir=data_dir), host=host)
    try:
        with path.open("rb") as handle:
            _, job, _ = service.submit(handle, path.name, DOMAIN)
        started = time.perf_counter()
        done = service.run_job(job.id)
        seconds = time.perf_counter() - started
        if done.status != "succeeded":
            raise SystemExit(f"the service's job ended {done.status}: {done.error}")
        return done.records_done, seconds
    finally:
        service.db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows in the generated export (default 20000)")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh PostgreSQL database, else SQLite)")
    parser.add_argument("--admin", default=DEFAULT_ADMIN, help="PostgreSQL admin URL for the fresh database")
    args = parser.parse_args(argv)
    from parser_service.domains.host import build_host

    host = build_host()  # this process's one, loaded before either clock starts
    with tempfile.TemporaryDirectory(prefix="service-rows-") as work:
        folder = Path(work)
        path, _ = bank_export(folder, "csv", args.rows)
        cli_n, cli_s = cli_rows(path, folder / "extract.json", host)
        with database(args.database, args.admin, folder) as url:
            svc_n, svc_s = service_rows(path, url, folder / "data", host)
            where = url.split("://", 1)[0]
    print(f"{'path':<10} {'rows':>8} {'seconds':>9} {'rows/s':>9}")
    print(f"{'CLI':<10} {cli_n:>8} {cli_s:>9.2f} {cli_n / cli_s:>9.0f}")
    print(f"{'service':<10} {svc_n:>8} {svc_s:>9.2f} {svc_n / svc_s:>9.0f}   ({where})")
    print(f"the service takes {svc_s / cli_s:.2f}x the CLI's time")
    return 0 if cli_n == svc_n else 1


if __name__ == "__main__":
    sys.exit(main())
