"""``workbench --help`` starts fast: parsing arguments imports none of the heavy libraries.

spaCy, numpy, onnxruntime, the readers' and the reports' libraries and the store load
inside the commands that use them. Each check runs in a fresh interpreter, where
``sys.modules`` holds only what importing the command line really imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import workbench.reports

SCRIPT = Path(sys.executable).with_name("workbench")

HEAVY = (
    "spacy",
    "thinc",
    "numpy",
    "onnxruntime",
    "tokenizers",
    "trafilatura",
    "lxml",
    "docx",
    "pypdf",
    "cryptography",
    "jinja2",
    "sqlite_utils",
    "psycopg",
)
"""What ``--help`` must not import: the NLP pipeline, the encoder, the readers, the
report templates, the store (sqlite-utils imports numpy) and the team server's driver."""

COMMANDS = (
    [],
    ["analyze"],
    ["export"],
    ["import"],
    ["embed"],
    ["match"],
    ["score"],
    ["gui"],
    ["train-checkworthiness"],
    ["claim", "set"],
    ["settings", "set"],
    ["backup", "list"],
    ["library", "add"],
    ["library", "index"],
    ["evidence"],
    ["team", "sync"],
    ["team", "connect"],
)

HELP_EVERY_COMMAND = r"""
import contextlib, io, json, sys
import workbench.cli

workbench.cli.build_parser()
codes = []
for command in json.loads(sys.argv[1]):
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            workbench.cli.main([*command, "--help"])
    except SystemExit as exc:
        codes.append(exc.code)
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2])))
print(json.dumps({"codes": codes, "heavy": heavy}))
"""


def test_help_imports_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HELP_EVERY_COMMAND, json.dumps(COMMANDS), json.dumps(HEAVY)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    found = json.loads(done.stdout)
    assert found["codes"] == [0] * len(COMMANDS)
    assert found["heavy"] == []


@pytest.mark.skipif(not SCRIPT.exists(), reason="the package is not installed in this venv")
@pytest.mark.parametrize("command", [[], ["export"], ["analyze"]], ids=" ".join)
def test_installed_help_exits_0(command: list[str]) -> None:
    done = subprocess.run(
        [str(SCRIPT), *command, "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {' '.join(['workbench', *command])} ")
    assert done.stderr == ""


def test_every_report_name_still_imports_from_the_package() -> None:
    """``workbench.reports`` loads its submodules on first use; every public name resolves."""
    for name in workbench.reports.__all__:
        assert getattr(workbench.reports, name) is not None
    assert set(dir(workbench.reports)) >= set(workbench.reports.__all__)
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = workbench.reports.no_such_name  # type: ignore[attr-defined]
