"""The CLI contract for bad input: one line naming the file and the problem, a
non-zero exit, no traceback, nothing written. None of these loads the model."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from parser_service.cli.entry import EXIT_CONFIG, EXIT_INPUT, EXIT_INTERNAL, main
from tests.conftest import DATA, ROOT


def _empty(tmp: Path) -> Path:
    path = tmp / "empty.pdf"
    path.write_bytes(b"")
    return path


def _truncated_pdf(tmp: Path) -> Path:
    data = (DATA / "oyo.pdf").read_bytes()
    path = tmp / "truncated.pdf"
    path.write_bytes(data[: len(data) // 3])
    return path


def _encrypted_pdf(tmp: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(DATA / "oyo.pdf").pages:
        writer.add_page(page)
    writer.encrypt("secret")
    path = tmp / "locked.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def _scanned_pdf(tmp: Path) -> Path:
    from reportlab.pdfgen import canvas

    path = tmp / "scan.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.rect(50, 50, 200, 300, fill=1)  # shapes only: no text layer
    pdf.save()
    return path


def _garbage(tmp: Path) -> Path:
    path = tmp / "invoice.pdf.bin"
    path.write_bytes(random.Random(0).randbytes(4096))
    return path


def _other_zip(tmp: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    path = tmp / "sheet.xlsx"
    path.write_bytes(buffer.getvalue())
    return path


def _undecodable_csv(tmp: Path) -> Path:
    path = tmp / "export.csv"
    path.write_bytes("Datum;Betrag\n".encode("utf-16-le") + bytes(range(32)) * 20)
    return path


CASES = {
    "empty": (_empty, "empty"),
    "truncated pdf": (_truncated_pdf, "damaged or truncated"),
    "encrypted pdf": (_encrypted_pdf, "encrypted"),
    "no text layer": (_scanned_pdf, "OCR is not available"),
    "binary garbage": (_garbage, "unsupported file type"),
    "zip named xlsx": (_other_zip, "unsupported file type"),
    "undetectable encoding": (_undecodable_csv, ""),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_clear_line(case, tmp_path, capsys):
    make, words = CASES[case]
    path = make(tmp_path)
    output = tmp_path / "out.json"
    code = main(["extract", str(path), "--domain", "invoices", "--output", str(output), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_INPUT
    assert len(err) == 1 and err[0].startswith("parser-service: error: ")
    assert path.name in err[0] and words in err[0]
    assert "Traceback" not in err[0]
    assert not output.exists()
    assert list(tmp_path.glob(".out.json*")) == []  # no half-written temp file


def test_unknown_domain_lists_the_installed_ones(capsys):
    code = main(["extract", str(DATA / "oyo.pdf"), "--domain", "nope", "--quiet"])
    err = capsys.readouterr().err
    assert code == EXIT_CONFIG
    assert "unknown domain 'nope'" in err and "invoices" in err


def test_missing_file(tmp_path, capsys):
    code = main(["extract", str(tmp_path / "nothere.pdf"), "--domain", "invoices", "--quiet"])
    assert code == EXIT_INPUT
    assert "nothere.pdf: no such file" in capsys.readouterr().err


def test_console_script_prints_no_traceback(tmp_path):
    path = _garbage(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "parser_service.cli", "extract", str(path)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == EXIT_INPUT
    assert done.stdout == ""
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert errors == ["parser-service: error: invoice.pdf.bin: unsupported file type "
                      "(not a PDF, XLSX, CSV or text file)"]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [[], ["extract"], ["plugins"]])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: parser-service" in capsys.readouterr().out


def test_plugins_lists_versions(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "invoices" in out and "0.1.0" in out and "pdf" in out


def test_a_bug_is_one_line_with_exit_code_70(monkeypatch, capsys):
    import parser_service.cli.entry as cli

    def broken(_args):
        raise RuntimeError("first line of the bug\nsecond line\nthird line")

    monkeypatch.setattr(cli, "cmd_plugins", broken)
    monkeypatch.delenv("PARSER_SERVICE_DEBUG", raising=False)
    assert main(["plugins"]) == EXIT_INTERNAL == 70
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["parser-service: error: internal error (RuntimeError: first line of the bug); "
                   "set PARSER_SERVICE_DEBUG=1 for the traceback"]
    monkeypatch.setenv("PARSER_SERVICE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="first line"):
        main(["plugins"])


def test_the_readme_documents_every_exit_code():
    import parser_service.cli.entry as cli

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    cli_section = readme[readme.index("\n## CLI") : readme.index("\n## Running the service")]
    codes = {value for name, value in vars(cli).items() if name.startswith("EXIT_")}
    assert codes == {1, 2, 3, 4, 70, 130, 141}
    for code in {0} | codes:
        assert f"`{code}`" in cli_section, code
