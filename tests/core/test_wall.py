"""The core works with Qt absent: the CLI is a complete client without the desktop app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BLOCK_QT_AND_RUN_CLI = r"""
import importlib.abc, sys

class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6", "ui"):
            raise ImportError(f"{name} is not available in this test")
        return None

sys.meta_path.insert(0, NoQt())
import pkgutil, importlib, workbench
for module in pkgutil.walk_packages(workbench.__path__, "workbench."):
    importlib.import_module(module.name)
from workbench.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_core_and_cli_run_without_qt(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Officials said 300 homes were destroyed on Monday.\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_QT_AND_RUN_CLI, "analyze", str(article), "--json",
         "--db", str(tmp_path / "w.db")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["claims"]


def test_gui_command_without_qt_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_QT_AND_RUN_CLI, "gui", "--db", str(tmp_path / "w.db")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("workbench: error: the desktop app cannot start")


def _core_imports() -> dict[str, set[str]]:
    """Every module of the core and the core modules it imports, anywhere in its text.

    Imports inside functions and under ``TYPE_CHECKING`` count: a newcomer reading the
    code sees them all, and a circle among them hides which module is underneath.
    """
    import ast

    root = Path(__file__).resolve().parents[2]
    files = {
        ".".join(f.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): f
        for f in (root / "workbench").rglob("*.py")
    }
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def test_the_core_has_no_import_circles() -> None:
    graph = _core_imports()
    assert "workbench.store.db" in graph and "workbench.dbfile" in graph["workbench.store.db"]
    circles = []
    for start in sorted(graph):
        # Depth-first search for a path that leads back to ``start``.
        stack = [(start, [start])]
        seen: set[str] = set()
        while stack:
            module, path = stack.pop()
            for imported in graph[module]:
                if imported == start:
                    circles.append(" -> ".join([*path, start]))
                elif imported not in seen:
                    seen.add(imported)
                    stack.append((imported, [*path, imported]))
    assert circles == []
