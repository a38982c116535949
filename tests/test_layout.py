"""The package's imports run one way: no module imports one that imports it back (however
long the way round), and the library never imports the workers, which consume its queue."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "parser_service"


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def imported(tree: ast.AST) -> set[str]:
    """Every module named by an import, lazy ones inside functions included; ``from package
    import module`` names the module."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = ROOT.joinpath(*node.module.split("."), f"{alias.name}.py")
                names.add(f"{node.module}.{alias.name}" if submodule.exists() else node.module)
    return names


def import_graph() -> dict[str, set[str]]:
    return {module_name(path): imported(ast.parse(path.read_text(encoding="utf-8")))
            for path in PACKAGE.rglob("*.py")}  # fmt: skip


def test_no_module_of_the_package_imports_itself_back() -> None:
    graph = {name: {t for t in targets if t.startswith("parser_service")} for name, targets in import_graph().items()}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"an import circle: {' -> '.join(exc.args[1])}") from None


def test_the_library_never_imports_the_workers() -> None:
    reaching = sorted(name for name, targets in import_graph().items() if any(t.split(".")[0] == "workers" for t in targets))
    assert reaching == []
