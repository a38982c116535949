"""The README keeps up with the code: every hook, every Domain field, every setting."""

from __future__ import annotations

import dataclasses
import inspect
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from parser_service.domains import hookspecs
from parser_service.domains.domain import Domain
from parser_service.settings import Settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_hook_is_documented_with_its_signature():
    hooks = [name for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("register_")]
    assert hooks
    for name in hooks:
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"`{name}({params})`" in README, name


def test_every_domain_field_a_plugin_author_sets_is_documented():
    for field in dataclasses.fields(Domain):
        assert f"`{field.name}`" in README, field.name


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"PARSER_SERVICE_{name.upper()}" in README, name


#: The README's set-up section (its level-2 heading) and the commands it shows, in order.
SETUP_HEADING = "Two commands"
THE_TWO_COMMANDS = ["make run", "make test"]
#: Fenced blocks read as shell: these info strings, or none.
SHELL_FENCES = {"", "sh", "shell", "bash", "console"}


def fenced_blocks(markdown: str) -> list[tuple[str, list[str]]]:
    """Each fenced block as (info string, lines), so that a ``#`` in a block is no heading."""
    blocks: list[tuple[str, list[str]]] = []
    body: list[str] | None = None
    for line in markdown.splitlines():
        if line.startswith("```"):
            if body is None:
                body = []
                blocks.append((line[3:].strip().casefold(), body))
            else:
                body = None
        elif body is not None:
            body.append(line)
    return blocks


def section(markdown: str, heading: str) -> str:
    """The text under the level-2 ``heading``, up to the next heading of level 1 or 2."""
    lines, inside, fenced, found = [], False, False, False
    for line in markdown.splitlines():
        fenced ^= line.startswith("```")
        if not fenced and re.match(r"#{1,2} ", line):
            inside = line.rstrip() == f"## {heading}"
            found |= inside
        elif inside:
            lines.append(line)
    assert found, f"the README has no section '## {heading}'"
    return "\n".join(lines)


def shell_commands(markdown: str) -> list[str]:
    """The commands of the shell blocks, without prompts (``$ ``) and comments."""
    commands = []
    for info, body in fenced_blocks(markdown):
        for line in body if info in SHELL_FENCES else ():
            command = re.sub(r"(^|\s+)#.*", "", line.strip().removeprefix("$ ")).strip()
            if command:
                commands.append(command)
    return commands


def test_readme_shows_exactly_the_two_commands():
    assert shell_commands(section(README, SETUP_HEADING)) == THE_TWO_COMMANDS


def pip_installs(target: str, venv: Path) -> list[list[str]]:
    """The ``pip install`` commands ``make TARGET`` runs on a machine without the venv
    (``make -n``: printed, not run), each as its words."""
    script = subprocess.run(["make", "-n", "-C", str(ROOT), target, f"VENV={venv}"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    steps = re.split(r"\|\||&&|;|\n", script.replace("\\\n", " "))
    return [shlex.split(step) for step in steps if re.search(r"\bpip install\b", step)]


def from_the_lock(words: list[str]) -> bool:
    """Installs pinned files of ``requirements/``, every one checked against its hash."""
    files = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "-r"]
    return "--require-hashes" in words and bool(files) and all(f.startswith("requirements/") for f in files)


def this_tree_only(words: list[str]) -> bool:
    """Installs folders of this repository and nothing they depend on (``--no-deps``)."""
    after = words[words.index("install") + 1:]
    folders = [after[i + 1] for i, word in enumerate(after[:-1]) if word == "-e"]
    named = [w for i, w in enumerate(after) if not w.startswith("-") and (i == 0 or after[i - 1] != "-e")]
    return "--no-deps" in after and bool(folders) and not named and all((ROOT / f).is_dir() for f in folders)


@pytest.mark.parametrize("command", THE_TWO_COMMANDS)
def test_the_two_commands_install_from_the_lock(command, tmp_path):
    installs = pip_installs(command.removeprefix("make "), tmp_path / "venv")
    assert any(from_the_lock(words) and "requirements/main.txt" in words for words in installs), installs
    for words in installs:
        assert from_the_lock(words) or this_tree_only(words), shlex.join(words)
