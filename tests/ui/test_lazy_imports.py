"""The window comes first: building and showing it imports no reader, template or model library.

spaCy and the check-worthiness model load on the analysis thread once the window is
up (``MainWindow.start``); the readers with the first file opened, Jinja2 with the
first export. Checked in a fresh interpreter, through the entry point ``workbench gui``
uses, up to the window shown.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.core.test_lazy_imports import SLOW_DISK

NOT_BEFORE_THE_WINDOW = (
    "spacy",
    "thinc",
    "onnxruntime",
    "tokenizers",
    "trafilatura",
    "lxml",
    "docx",
    "pypdf",
    "cryptography",
    "jinja2",
)

SHOW_THE_WINDOW = r"""
import json, os, sys
from pathlib import Path

from workbench.plugins import load_entry_point

load_entry_point("workbench.frontends", "gui", purpose="the desktop app")  # ui.app
from ui.app import create_application, open_store_interactively
from ui.main_window import MainWindow

app = create_application()
store = open_store_interactively(Path(sys.argv[1]))
window = MainWindow(store)
window.show()
app.processEvents()
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2])))
print(json.dumps({"visible": window.isVisible(), "heavy": heavy}), flush=True)
os._exit(0)
"""


def test_showing_the_main_window_imports_no_heavy_library(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", SHOW_THE_WINDOW, str(tmp_path / "w.db"),
         json.dumps(NOT_BEFORE_THE_WINDOW)],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"visible": True, "heavy": []}


def test_reopening_a_database_loads_neither_sqlite_utils_nor_numpy(tmp_path: Path) -> None:
    """sqlite-utils (and numpy, which it imports) are needed to migrate, not to open."""
    from workbench.store import Store

    database = tmp_path / "w.db"
    Store(database).close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    heavy = [*NOT_BEFORE_THE_WINDOW, "sqlite_utils", "numpy"]
    done = subprocess.run(
        [sys.executable, "-c", SHOW_THE_WINDOW, str(database), json.dumps(heavy)],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"visible": True, "heavy": []}


COUNT_SOURCE_READS = r"""
import inspect, json, os, sys
from pathlib import Path

read = []
getsource = inspect.getsource

def counting(target):
    read.append(getattr(target, "__name__", "?"))
    return getsource(target)

inspect.getsource = counting
from ui.app import create_application, open_store_interactively
from ui.main_window import MainWindow

app = create_application()
window = MainWindow(open_store_interactively(Path(sys.argv[1])))
window.show()
app.processEvents()
print(json.dumps(sorted({n for n in read if n.split(".")[0] in ("ui", "workbench", "resources")})))
os._exit(0)
"""


def test_pyside_reads_the_source_of_none_of_our_modules(tmp_path: Path) -> None:
    """PySide6's import hook would read each module's source; ``declare_modules`` spares it."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", COUNT_SOURCE_READS, str(tmp_path / "w.db")],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


SHOW_THE_EMPTY_WINDOW = r"""
import json, os, sys

from workbench.plugins import load_entry_point

load_entry_point("workbench.frontends", "gui", purpose="the desktop app")  # ui.app
from ui.app import create_application
from ui.main_window import MainWindow

app = create_application()
window = MainWindow(None)
window.show()
app.processEvents()
loaded = sorted(
    name for name in sys.modules
    if name in ("workbench.store", "workbench.engine", "workbench.models")
    or name.startswith(("ui.workspace", "ui.claim_panel", "ui.article_view", "ui.dialogs"))
)
text = window.centralWidget().text()
print(json.dumps({"visible": window.isVisible(), "text": text, "loaded": loaded}), flush=True)
os._exit(0)
"""


def test_the_window_shows_before_the_store_and_the_panels_load(tmp_path: Path) -> None:
    """``ui.app.run`` shows the window, then opens the database and builds the panels
    behind it: the window came a few hundred milliseconds later otherwise."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", SHOW_THE_EMPTY_WINDOW],
        capture_output=True, text=True, env=env, timeout=120, check=True,
    )  # fmt: skip
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"visible": True, "text": "Opening the database…", "loaded": []}


IMPORT_CIRCLE_AT_ONCE = (
    r"""
import json, sys, threading

from ui.app import close_import_circles

if sys.argv[1] == "closed":
    close_import_circles()
slow = "importlib.resources"
"""
    + SLOW_DISK
    + r"""
sys.meta_path.insert(0, SlowDisk())
problems = []
together = threading.Barrier(2)

def claimreview_export():
    from workbench.reports.claimreview import validator

    try:
        validator()
    finally:
        reading.set()  # importlib.resources was imported before, or failed

def web_page_team_sync_or_spacy():
    reading.wait(timeout=60)
    import importlib.metadata  # what urllib3, psycopg and catalogue import first

def run(work):
    together.wait()
    try:
        work()
    except Exception as exc:
        problems.append(f"{work.__name__}: {type(exc).__name__}: {exc}")

threads = [threading.Thread(target=run, args=(work,))
           for work in (claimreview_export, web_page_team_sync_or_spacy)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(problems))
"""
)


def test_the_workers_may_begin_the_standard_librarys_import_circle_at_once() -> None:
    """As in the app: a ClaimReview export (jsonschema imports importlib.resources) while
    a web page is read, the team syncs or spaCy loads (importlib.metadata, thus
    importlib.abc). Each held what the other needed: "_DeadlockError: deadlock detected
    by _ModuleLock('importlib.resources.abc')"."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_CIRCLE_AT_ONCE, "closed"],
        capture_output=True, text=True, env=env, timeout=300, check=True,
    )  # fmt: skip
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
