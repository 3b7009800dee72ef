"""`pip install .` gives a working workbench: every package the code imports is declared."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOCAL = {"workbench", "ui", "tests", "resources", "__future__"}


def _imported_top_level_modules() -> set[str]:
    files = [REPO / "main.py", *(REPO / "workbench").rglob("*.py"), *(REPO / "ui").rglob("*.py")]
    found: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in LOCAL}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_package_is_a_declared_dependency() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    declared = {
        _normal(re.split(r"[^A-Za-z0-9._-]", dependency, maxsplit=1)[0])
        for dependency in project["dependencies"]
    }
    distributions = importlib.metadata.packages_distributions()
    missing = {}
    for module in sorted(_imported_top_level_modules()):
        providers = {_normal(d) for d in distributions.get(module, [])}
        assert providers, f"{module} is imported but no installed distribution provides it"
        if not providers & declared:
            missing[module] = sorted(providers)
    assert missing == {}, f"imported but not declared in pyproject.toml: {missing}"


def test_the_apps_own_parts_are_found_without_reading_every_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reading every installed package's entry points took 15-20 ms of the app's start."""
    from workbench import plugins

    def every_package(**kwargs: object) -> object:
        raise AssertionError("every package was read")

    monkeypatch.setattr(importlib.metadata, "entry_points", every_package)
    assert plugins.load_entry_point("workbench.renderers", "pdf", purpose="the PDF renderer")
    with pytest.raises(AssertionError, match="every package"):  # another package's part
        plugins.load_entry_point("workbench.renderers", "epub", purpose="an EPUB renderer")


def test_the_apps_own_parts_load_without_importlib_metadata() -> None:
    """Importing importlib.metadata (email, zipfile, csv ...) took 25-40 ms of the app's start."""
    code = (
        "import sys; from workbench import plugins; "
        "print(plugins.own_entry_points('workbench.frontends'), "
        "'importlib.metadata' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.split() == ["{'gui':", "'ui.app:run'}", "False"]


def test_an_entry_point_is_loaded_from_the_first_dist_info_on_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench import plugins

    info = tmp_path / "factcheck_workbench-9.9.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text(
        "# written by pip\n[workbench.renderers]\npdf = json:JSONDecoder.decode [extra]\n\n"
        "[workbench.frontends]\ngui=json:dumps\n",
        "utf-8",
    )
    monkeypatch.setattr(sys, "path", [str(tmp_path / "gone"), str(tmp_path), *sys.path])
    assert plugins.load_entry_point("workbench.frontends", "gui", purpose="the app") is json.dumps
    decode = plugins.load_entry_point("workbench.renderers", "pdf", purpose="the renderer")
    assert decode is json.JSONDecoder.decode
