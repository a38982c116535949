"""The ``parser-service`` command.

Exit codes: 0 the document was processed (some records may be invalid), 1 the
input could not be read (``submit``: a file or job failed), 2 bad usage, 3 a domain, plugin
or configuration problem (the database or Redis out of reach included), 4 the model
backend failed, 70 a bug in parser-service (EX_SOFTWARE; set PARSER_SERVICE_DEBUG=1
for the traceback), 130 interrupted (Ctrl-C), 141 the output's reader went away (a pipe
into ``head``: the rest is not written, quietly, as a tool killed by SIGPIPE exits).
Errors are one line on stderr, naming the file. The README's CLI section lists the same.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import stat
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from parser_service import __version__
from parser_service.cli.options import add_domain_option
from parser_service.errors import BackendError, ConfigError, InputError, ParserServiceError

if TYPE_CHECKING:
    from parser_service.domains.host import PluginHost

EXIT_INPUT, EXIT_USAGE, EXIT_CONFIG, EXIT_BACKEND, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 2, 3, 4, 70, 130
#: 128 + SIGPIPE: what a shell reports for a tool that pipe killed (``yes | head -1``).
EXIT_PIPE = 141


class OutputClosed(Exception):
    """The reader of the output (a pipe's or FIFO's other end) went away."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parser-service",
        description="Turn documents (PDF, XLSX, CSV, text) into schema-valid records with a small local model.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_extract(commands)
    _add_eval(commands)
    plugins = commands.add_parser("plugins", help="list the installed domains (what --domain takes) and parsers, with versions")
    plugins.add_argument("--json", action="store_true", help="print JSON instead of a table")
    plugins.set_defaults(handler=cmd_plugins)
    from parser_service.cli.adapters import add_adapters
    from parser_service.cli.service import COMMANDS

    for add_command in COMMANDS:
        add_command(commands)
    add_adapters(commands)
    from parser_service.cli.bench import add_bench
    from parser_service.cli.model import add_model

    add_bench(commands)
    add_model(commands)
    return parser


def _add_extract(commands: Any) -> None:
    extract = commands.add_parser(
        "extract",
        help="extract records from one document now, in this process",
        description="Parse PATH, infer its metadata, and extract records with the domain's schema. "
        "Prints one JSON object; progress goes to stderr.",
    )
    extract.add_argument("path", type=Path, help="the document: PDF, XLSX, CSV/TSV or text")
    add_domain_option(extract, "domain to extract (default: chosen from the inferred document type)")
    extract.add_argument("--schema", metavar="FILE|MODULE:CLASS",
                         help="extract into this JSON Schema file, or pydantic class, instead of a domain's "
                              "(the whole document, one record)")  # fmt: skip
    extract.add_argument("--backend", help="model backend (default: PARSER_SERVICE_BACKEND or 'transformers')")
    extract.add_argument("--model", help="'embedded' or a local Hugging Face model folder")
    extract.add_argument("--output", "-o", type=Path, help="write the JSON here instead of stdout")
    extract.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    extract.set_defaults(handler=cmd_extract)


def _add_eval(commands: Any) -> None:
    evaluate = commands.add_parser(
        "eval",
        help="score a plugin's extraction against expected outputs in a folder",
        description="Extract every document in DATA_DIR that has an expected output beside it "
        "(by the plugin's naming rules) and print precision, recall and F1 per field, missing and "
        "invented values, and seconds per document, for each variant of the pipeline asked for.",
    )
    evaluate.add_argument("data_dir", type=Path, help="folder of documents with expected outputs")
    add_domain_option(evaluate, "the domain to evaluate", required=True)
    evaluate.add_argument(
        "--variants",
        type=_variants,
        metavar="LIST",
        help="comma-separated configurations to compare on the same documents: base (no adapter, "
        "free strings), adapter, base+extractive, adapter+extractive (default: the pipeline as configured)",
    )
    evaluate.add_argument("--json", type=Path, metavar="REPORT", help="also write the full report as JSON here")
    evaluate.add_argument("--chart", type=Path, metavar="PNG", help="also draw F1 per field and invented rate per variant (PNG)")
    evaluate.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    evaluate.set_defaults(handler=cmd_eval)


def _variants(text: str) -> list[Any]:
    from parser_service.evaluation.evaluate import parse_variants

    try:
        return parse_variants(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_eval(args: argparse.Namespace) -> int:
    from parser_service.cli.progress import StderrProgress
    from parser_service.evaluation import chart, evaluate, report
    from parser_service.pipeline.run import Pipeline
    from parser_service.settings import Settings

    pipeline = Pipeline(Settings(), host=args.plugin_host())
    domain = pipeline.host.domain(args.domain)
    variants = args.variants or [evaluate.default_variant(domain, pipeline.settings.extractive_decoding)]
    progress = None if args.quiet else StderrProgress()
    result = evaluate.evaluate_folder(pipeline, domain, args.data_dir, variants, progress)
    if progress:
        progress.close()
    print(report.format_table(result))
    if args.json:
        _write_json(result, args.json)
    if args.chart:
        chart.write_chart(result, args.chart)
    return 0


def _target(args: argparse.Namespace) -> Any:
    """What ``extract`` reads the document into: a schema file's domain, a domain's name, or None."""
    if args.schema is None:
        return args.domain
    if args.domain:
        raise ConfigError("--schema and --domain both name a target: give one")
    from parser_service.schemas.request import target_domain

    return target_domain(args.schema)


def cmd_extract(args: argparse.Namespace) -> int:
    from parser_service.cli.progress import StderrProgress
    from parser_service.pipeline.run import Pipeline
    from parser_service.settings import Settings

    overrides = {k: v for k, v in (("backend", args.backend), ("model", args.model)) if v}
    pipeline = Pipeline(Settings(**overrides), host=args.plugin_host())
    progress = None if args.quiet else StderrProgress()
    result = pipeline.extract(args.path, domain=_target(args), filename=args.path.name, progress=progress, stream=True)
    if result.domain is None:
        _warn(f"{args.path.name}: no domain matches document type "
              f"{result.metadata.get('document_type')!r}; pass --domain NAME to choose one")
    _write_output(result.write_json, args.output)  # records are extracted as they are written
    if progress:
        progress.close()
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    host = args.plugin_host()
    rows = [
        {"kind": "domain", "name": name, "version": r.item.version, "document_type": r.item.document_type,
         "from": r.distribution, "adapter": str(r.item.adapter) if r.item.adapter else None,
         "plugin": r.plugin, "location": str(r.location) if r.location else None}
        for name, r in sorted(host.domains.items())
    ] + [
        {"kind": "parser", "name": name, "version": r.version, "media_type": r.item.media_type, "from": r.distribution}
        for name, r in sorted(host.parsers.items())
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        detail = row.get("document_type") or row.get("media_type")
        where = f" ({row['location']})" if row.get("location") else ""
        source = row["from"] or row.get("plugin")
        print(f"{row['kind']:<7} {row['name']:<20} {row['version'] or '?':<10} {detail:<28} {source}{where}")
    return 0


def _write_json(payload: dict[str, Any], output: Path | None) -> None:
    _write_output(lambda handle: handle.write(json.dumps(payload, indent=2, ensure_ascii=False)), output)


def _write_output(write: Callable[[TextIO], object], output: Path | None) -> None:
    """``write`` to stdout (``output`` None or ``-``), or to ``output``; a newline ends it.

    A regular file (or a name where nothing exists yet) is written through a temporary
    file beside it, moved into place when complete: an interrupted run leaves no half
    file, and a symlink's target is the file replaced, the link kept. Anything else
    (``/dev/null``, a pipe, a terminal) is written straight to: it is never replaced.
    """
    if output is None or str(output) == "-":
        write(sys.stdout)
        sys.stdout.write("\n")
        return
    target = Path(os.path.realpath(output))
    try:
        # the name as given, followed by the kernel: /dev/stdout on a pipe is a pipe, where
        # realpath gives a "pipe:[…]" entry that cannot be opened by name
        mode = os.stat(output).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise ConfigError(f"cannot write the output to {output}: {exc.strerror}") from exc
    if mode is not None and stat.S_ISDIR(mode):
        raise ConfigError(f"cannot write the output to {output}: it is a directory")
    if mode is not None and not stat.S_ISREG(mode):
        try:
            handle = open(output, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise ConfigError(f"cannot write the output to {output}: {exc.strerror}") from exc
        try:
            with handle:
                write(handle)
                handle.write("\n")
        except BrokenPipeError as exc:  # closing flushes too: the handle is closed either way
            raise OutputClosed(str(output)) from exc
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise ConfigError(f"cannot write the output to {output}: {exc.strerror}") from exc
    try:
        # mkstemp makes the file 0600: give it the mode the file had, or a new file's
        os.fchmod(fd, stat.S_IMODE(mode) if mode is not None else 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            write(handle)
            handle.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _warn(message: str) -> None:
    print(f"parser-service: warning: {message}", file=sys.stderr)


def _fail(message: str, code: int) -> int:
    print(f"parser-service: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.plugin_host = plugin_host_once()
    try:
        code = int(args.handler(args))
        sys.stdout.flush()  # a reader gone is found here, not when the interpreter exits
        return code
    except OutputClosed:
        return _output_closed()
    except InputError as exc:
        return _fail(exc.message, EXIT_INPUT)
    except BackendError as exc:
        return _fail(exc.message, EXIT_BACKEND)
    except ParserServiceError as exc:
        return _fail(exc.message, EXIT_CONFIG)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:
        if isinstance(exc, BrokenPipeError) and _stdout_gone():  # not a socket's: stdout's reader left
            return _output_closed()
        if _is_database_error(exc):  # the database went away after the command's own check
            from parser_service.cli.service import database_error
            from parser_service.settings import Settings

            return _fail(database_error(Settings(), exc), EXIT_CONFIG)
        if os.environ.get("PARSER_SERVICE_DEBUG"):  # a bug: still one line, the traceback only on request
            raise
        where = f"{args.path.name}: " if getattr(args, "path", None) else ""
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return _fail(f"{where}internal error ({type(exc).__name__}: {first_line}); "
                     "set PARSER_SERVICE_DEBUG=1 for the traceback", EXIT_INTERNAL)


def plugin_host_once() -> Callable[[], PluginHost]:
    """The command's plugin host (``args.plugin_host()``): built on first use, so a command
    that needs no plugin loads none, and the same object for everything the command does,
    one per process (its pipeline, evaluation, training)."""
    built: list[PluginHost] = []

    def plugin_host() -> PluginHost:
        if not built:
            from parser_service.domains.host import build_host

            built.append(build_host())
        return built[0]

    return plugin_host


def _stdout_gone() -> bool:
    """Whether stdout is a pipe (or socket) whose reading end is closed: poll reports an
    error on it (a BrokenPipeError from elsewhere, a socket to a server, is not this)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # replaced by a non-file, or closed
        return False
    if not hasattr(select, "poll"):  # Windows: no poll; a broken stdout is the likely one
        return True
    poller = select.poll()
    poller.register(fd, 0)  # errors and hang-ups are reported whatever is asked for
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def _output_closed() -> int:
    """Stop quietly, as a Unix tool killed by SIGPIPE does: no message, exit 141. Stdout,
    if it is the closed pipe, is pointed at the null device, so that the interpreter's
    flush at exit writes what is still buffered there instead of failing again (the
    pattern the Python documentation gives for SIGPIPE)."""
    if _stdout_gone():
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_PIPE


def _is_database_error(exc: BaseException) -> bool:
    """A lost or refused database connection (without importing SQLAlchemy where it was not)."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, (errors.OperationalError, errors.InterfaceError))


if __name__ == "__main__":
    sys.exit(main())
