"""Where ``extract -o`` writes: a regular file is replaced atomically, anything else
(a device, a pipe) is written to and never replaced, ``-`` is stdout. A reader that
goes away (``| head -1``) ends a command quietly, with exit 141."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from parser_service.cli.entry import EXIT_INTERNAL, EXIT_PIPE, OutputClosed, _write_output, main
from parser_service.errors import ConfigError
from tests.conftest import BANK_EXAMPLES, ROOT


def _hello(handle) -> None:
    handle.write('{"hello": 1}')


def _null_device(tmp_path: Path) -> Path:
    """A character device like /dev/null, made where the test may break it (root only)."""
    path = tmp_path / "null"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, AttributeError) as exc:
        pytest.skip(f"cannot make a device node here ({exc})")
    return path


def test_character_device_is_written_to_not_replaced(tmp_path: Path) -> None:
    device = _null_device(tmp_path)
    _write_output(_hello, device)
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]  # no temporary file left


def test_symlink_to_a_device_keeps_link_and_device(tmp_path: Path) -> None:
    device = _null_device(tmp_path)
    link = tmp_path / "out.json"
    link.symlink_to(device)
    _write_output(_hello, link)
    assert link.is_symlink() and os.readlink(link) == str(device)
    assert stat.S_ISCHR(os.stat(device).st_mode)


@pytest.mark.skipif(os.geteuid() == 0, reason="as root a regression would replace the machine's "
                    "/dev/null; the device-node tests above cover it")
def test_dev_null_stays_a_character_device() -> None:
    _write_output(_hello, Path(os.devnull))
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_fifo_is_written_to_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    _write_output(_hello, fifo)
    reader.join(10)
    assert received == [b'{"hello": 1}\n']
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_dash_is_stdout(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    _write_output(_hello, Path("-"))
    assert capsys.readouterr().out == '{"hello": 1}\n'
    assert list(tmp_path.iterdir()) == []


def test_regular_file_replaced_with_its_mode_kept(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("old")
    out.chmod(0o640)
    _write_output(_hello, out)
    assert out.read_text() == '{"hello": 1}\n'
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_new_file_gets_the_umask_mode_not_0600(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "out.json"
    old = os.umask(0o022)
    try:
        _write_output(_hello, out)
    finally:
        os.umask(old)
    assert out.read_text() == '{"hello": 1}\n'
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_symlink_to_a_regular_file_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "out.json"
    link.symlink_to(target)
    _write_output(_hello, link)
    assert link.is_symlink()
    assert target.read_text() == '{"hello": 1}\n'


def test_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        _write_output(_hello, tmp_path)


def test_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("old")

    def broken(handle) -> None:
        handle.write("half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        _write_output(broken, out)
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


# --- the output's reader gone: ``parser-service … | head -1`` ------------------------------

OCBC = BANK_EXAMPLES / "TransactionHistory_20180418043121.csv"
_EXTRACT = ["extract", str(OCBC), "--domain", "bank_transactions", "--backend", "deterministic", "-q"]


@pytest.mark.parametrize(
    "command",
    [["plugins"], ["plugins", "--json"], _EXTRACT, [*_EXTRACT, "-o", "-"], [*_EXTRACT, "-o", "/dev/stdout"]],
    ids=["plugins", "plugins-json", "extract", "extract-o-dash", "extract-o-dev-stdout"],
)
def test_a_closed_pipe_on_stdout_ends_quietly_with_141(command: list[str]) -> None:
    if "/dev/stdout" in command and not Path("/dev/stdout").exists():
        pytest.skip("no /dev/stdout here")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first write: EPIPE every time, no race
    try:
        done = subprocess.run(
            [sys.executable, "-m", "parser_service.cli", *command],
            stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=300,
        )
    finally:
        os.close(write_end)
    assert done.returncode == EXIT_PIPE, done.stderr
    assert done.stderr == ""  # no "internal error", no traceback, no "Exception ignored"


def test_a_closed_fifo_output_is_output_closed_not_a_bug() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        with pytest.raises(OutputClosed):
            _write_output(_hello, Path(f"/dev/fd/{write_end}"))
    finally:
        os.close(write_end)


def test_a_broken_pipe_elsewhere_is_still_an_internal_error(monkeypatch, capsys) -> None:
    """A socket to a server that closed is not the output's reader leaving."""
    import parser_service.cli.entry as cli

    def handler(args) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(cli, "cmd_plugins", handler)
    monkeypatch.delenv("PARSER_SERVICE_DEBUG", raising=False)
    assert main(["plugins"]) == EXIT_INTERNAL
    assert "internal error (BrokenPipeError" in capsys.readouterr().err
