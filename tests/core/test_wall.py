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
