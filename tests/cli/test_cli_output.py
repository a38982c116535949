"""Where ``extract -o`` writes: a regular file is replaced atomically, anything else
(a device, a pipe) is written to and never replaced, ``-`` is stdout."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from parser_service.cli import _write_output
from parser_service.errors import ConfigError


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
