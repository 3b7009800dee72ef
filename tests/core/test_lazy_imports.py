"""``workbench --help`` starts fast: parsing arguments imports none of the heavy libraries.

spaCy, numpy, onnxruntime, the readers' and the reports' libraries and the store load
inside the commands that use them. Each check runs in a fresh interpreter, where
``sys.modules`` holds only what importing the command line really imported.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import workbench.reports
from workbench.cli.parser import Handler, build_parser

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

NOT_FOR_HELP = (
    "workbench.models",
    "workbench.store",
    "workbench.dbfile",
    "workbench.engine",
    "workbench.priority",
    "sqlite3",
    "logging",
    "dataclasses",
)
"""Nor, since they took most of its time: the data classes (each is compiled when its
module loads), the database layer, the commands' modules, logging."""

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
loaded = sorted(set(sys.modules) & set(json.loads(sys.argv[3])))
handlers = sorted(name for name in sys.modules if name.startswith("workbench.cli."))
print(json.dumps({"codes": codes, "heavy": heavy, "loaded": loaded, "handlers": handlers}))
"""


def test_help_imports_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HELP_EVERY_COMMAND, json.dumps(COMMANDS), json.dumps(HEAVY),
         json.dumps(NOT_FOR_HELP)],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    found = json.loads(done.stdout)
    assert found["codes"] == [0] * len(COMMANDS)
    assert found["heavy"] == []
    assert found["loaded"] == []
    # The parser and its shared helpers; the training module names the default data.
    assert found["handlers"] == [
        "workbench.cli.common",
        "workbench.cli.parser",
        "workbench.cli.training",
    ]


def test_every_command_finds_its_handler() -> None:
    """Handlers are named, not imported, by the parser: each name must resolve."""
    parsers, handlers = [build_parser()], []
    while parsers:
        parser = parsers.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
        handler = parser.get_default("handler")
        if handler is not None:
            assert isinstance(handler, Handler)
            module = importlib.import_module(f"workbench.cli.{handler.module}")
            assert callable(getattr(module, handler.name)), handler.name
            handlers.append(handler.name)
    assert len(handlers) == len(set(handlers)) == 38


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


FIRST_IMPORTS_AT_ONCE = r"""
import json, threading
from workbench.nlp import load_pipeline
from workbench.nlp.claim_types import describe

problems = []
together = threading.Barrier(2)

def run(work):
    together.wait()
    try:
        work()
    except Exception as exc:
        problems.append(f"{type(exc).__name__}: {exc}")

text = "The minister said unemployment fell by 5% last year."
works = [lambda: load_pipeline(use_model=False), lambda: describe(text, 0, len(text))]
threads = [threading.Thread(target=run, args=(work,)) for work in works]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(problems))
"""


def test_two_threads_may_import_spacy_for_the_first_time_at_once() -> None:
    """As in the app: the analysis thread loads the pipeline while the writer works out
    the type of a claim added by hand. Both once failed with "cannot import name
    'Language' from partially initialized module 'spacy.language'"."""
    done = subprocess.run(
        [sys.executable, "-c", FIRST_IMPORTS_AT_ONCE],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


SLOW_DISK = r"""
import importlib.machinery, threading, time

reading = threading.Event()


class SlowDisk:
    # Reading the module named by ``slow`` takes a moment, as from a cold disk, and the
    # other thread begins meanwhile: without it the window is a few microseconds wide.
    # The wait is in create_module, outside the global import lock, after the module's
    # own lock is taken and before the module is in sys.modules.
    def find_spec(self, name, path=None, target=None):
        if name != slow:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        self.loader, spec.loader = spec.loader, self
        return spec

    def create_module(self, spec):
        reading.set()
        time.sleep(0.2)
        return None

    def exec_module(self, module):
        self.loader.exec_module(module)


"""
"""Makes a module (``slow``, set before) slow to read in a test's child interpreter."""

PACKAGE_AND_ITS_MODULE_AT_ONCE = (
    r"""
import importlib, json, sys, threading

package, module = sys.argv[1:3]
slow = package
"""
    + SLOW_DISK
    + r"""
sys.meta_path.insert(0, SlowDisk())
problems = []
together = threading.Barrier(2)

def run(name, after):
    together.wait()
    if after is not None:
        after.wait(timeout=60)
    try:
        importlib.import_module(name)
    except Exception as exc:
        problems.append(f"{name}: {type(exc).__name__}: {exc}")

threads = [
    threading.Thread(target=run, args=(package, None)),
    threading.Thread(target=run, args=(module, reading)),
]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(problems))
"""
)


@pytest.mark.parametrize(
    ("package", "module"),
    [
        ("workbench.ingest", "workbench.ingest.dispatch"),  # the evidence library
        ("workbench.ingest", "workbench.ingest.normalize"),  # matching, an archive import
    ],
)
def test_a_package_and_one_of_its_modules_may_be_imported_first_at_once(
    package: str, module: str
) -> None:
    """As in the app: the opener reads an article (``workbench.ingest``) while matching
    or the evidence library imports a reader's module. A matching job once failed with
    "_DeadlockError: deadlock detected by _ModuleLock('workbench.ingest.dispatch')"."""
    done = subprocess.run(
        [sys.executable, "-c", PACKAGE_AND_ITS_MODULE_AT_ONCE, package, module],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_readers_names_still_import_from_the_package() -> None:
    """``workbench.ingest`` loads its modules on first use; every public name resolves."""
    import workbench.ingest

    for name in workbench.ingest.__all__:
        assert getattr(workbench.ingest, name) is not None
    assert set(dir(workbench.ingest)) >= set(workbench.ingest.__all__)
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = workbench.ingest.no_such_name  # type: ignore[attr-defined]
