"""Start-up speed: ``workbench --help``, a shown window, and opening a 10,000-word article.

Prints medians of several runs, each in a fresh process timed from before it is
spawned: an empty interpreter and a bare PySide6 window (the floors), ``workbench --help``
and ``workbench export --help`` (target < 0.15 s), the app's main window through the real
``workbench gui`` path: shown, saying the database is being opened (target: within 2x
of the bare window, and < 1.5 s), then with its panels built and painted, on a database
with no article and on one whose 10,000-word article it reopens; then that article opened
and highlighted in a running app (target < 1 s), and a new file of about as many words
(``--article FILE``, else the same made-up paragraphs) opened there: its text shown, then
its claims highlighted, each run a file the app has not seen, the detector's cache of
scores emptied (target: the text within 1 s). A window counts as shown when it is
first painted (with its panels: after ``build()`` and ``start()``); the reopened
article is timed to its own paint. Uses the offscreen platform unless
DISPLAY is set. Python files are compiled on each run when PYTHONDONTWRITEBYTECODE is set;
a cache (PYTHONPYCACHEPREFIX=/tmp/pycache) gives the figures of an installed app.

    python benchmarks/gui_startup.py [--runs 7] [--article FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Each child prints the seconds from t0 (argv[1], taken by the parent before spawning it)
# to the first paint of its main window, then ends at once (the app's background loading
# of the language model is not waited for). With "article" as its last argument, the app's
# child waits instead for the reopened article to be shown (``MainWindow.started``, then
# the reading pane painted).
_T0 = r"""
import os, sys, time
t0 = float(sys.argv[1])
"""

_SHOWN = r"""
from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class App(QApplication):
    def exec(self):
        window = next(w for w in self.topLevelWidgets() if isinstance(w, QMainWindow))
        if sys.argv[-1] == "article":
            window.started.connect(lambda: QTimer.singleShot(0, self.shown))
        else:
            window.installEventFilter(self)
        return super().exec()

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self.shown)
        return False

    def shown(self):
        window = next(w for w in self.topLevelWidgets() if isinstance(w, QMainWindow))
        if sys.argv[-1] == "article":
            window.article_view.viewport().repaint()
        print(f"{time.time() - t0:.4f}", flush=True)
        os._exit(0)
"""

BARE_WINDOW = (
    _T0
    + _SHOWN
    + r"""
from PySide6.QtWidgets import QMainWindow
app = App(sys.argv[:1])
window = QMainWindow()
window.show()
app.exec()
"""
)

# Imported in the order of `workbench gui`: the command line, then ui.app (its entry
# point), which imports the store before Qt; the App subclass needs Qt only after that.
APP_WINDOW = (
    _T0
    + r"""
from workbench.cli import main
import ui.app
"""
    + _SHOWN
    + r"""
if sys.argv[-1] == "shown":  # the window's first paint, before the panels are built
    waited = ui.app._wait_for_paint

    def first_paint(window):
        waited(window)  # returns once the paint is on screen
        print(f"{time.time() - t0:.4f}", flush=True)
        os._exit(0)

    ui.app._wait_for_paint = first_paint
app = App(sys.argv[:1])  # ui.app.create_application() takes it as the app's instance
main(["gui", "--db", sys.argv[2]])
"""
)

PARAGRAPH = (
    "The ministry said on Tuesday that 4,500 people had been evacuated from 12 villages "
    "near the river, and officials reported damage worth about $3 million. Local residents "
    "described the night as frightening. “We lost everything we had,” one farmer said. "
    "The regional governor, Maria Lopez, promised that aid would arrive by Friday. "
)


def seeded_text(words: int) -> str:
    count = max(1, words // len(PARAGRAPH.split()))
    return "\n\n".join(f"{PARAGRAPH.strip()} (Report {i}.)" for i in range(count))


def seeded_db(directory: Path, words: int) -> tuple[Path, int]:
    from workbench.analysis import analyze_article
    from workbench.models import ArticleDraft
    from workbench.store import Store

    text = seeded_text(words)
    path = directory / "bench.db"
    with Store(path) as store:
        article_id = analyze_article(store, ArticleDraft(text, title="Floods")).article.id
    return path, article_id


def _env() -> dict[str, str]:
    env = {**os.environ}
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def wall_times(command: list[str], runs: int) -> list[float]:
    """Seconds from spawning ``command`` to its exit (which must be 0)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, env=_env(), cwd=ROOT, check=True)
        times.append(time.perf_counter() - start)
    return times


def shown_times(script: str, args: list[str], runs: int) -> list[float]:
    """Seconds from spawning a child running ``script`` to its window's first event-loop turn."""
    times = []
    for _ in range(runs):
        start = time.time()
        done = subprocess.run(
            [sys.executable, "-c", script, repr(start), *args],
            capture_output=True, text=True, env=_env(), cwd=ROOT, check=True,
        )  # fmt: skip
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return times


def cli_command(*args: str) -> list[str]:
    """``workbench ARGS`` as installed (its console script), else through the interpreter."""
    script = Path(sys.executable).with_name("workbench")
    if script.is_file():
        return [str(script), *args]
    run = "import sys; from workbench.cli import main; sys.exit(main())"
    return [sys.executable, "-c", run, *args]


def running_window(db: Path) -> tuple[Any, Any]:
    """The application and a shown main window on ``db``, in this process."""
    if not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from ui.app import create_application
    from ui.main_window import MainWindow
    from workbench.store import Store

    app = create_application()
    window = MainWindow(Store(db))
    window.show()
    app.processEvents()
    return app, window


def _until(app: Any, done: Callable[[], bool]) -> None:
    while not done():
        app.processEvents()
        time.sleep(0.001)


def open_new_files(
    app: Any, window: Any, text: str, runs: int, folder: Path
) -> tuple[list[float], list[float], int]:
    """Seconds from opening a new file to its text shown, and to its claims highlighted."""
    from workbench.nlp import claim_detector

    window.opener.warm_up()  # the language model loaded, as in an app open for a while
    _until(app, lambda: not window.opener.busy)
    texts, highlights = [], []
    for run in range(runs):
        path = folder / f"new-{run}.txt"
        path.write_text(f"{text}\n\nRun {run} of the benchmark.\n", encoding="utf-8")
        claim_detector(window.opener.engine.pipeline()).cache.clear()  # new to the model
        shown = window.workspace.article
        before = shown.id if shown is not None else None
        start = time.perf_counter()
        window.open_files([str(path)])
        _until(app, lambda: window.workspace.article is None)
        mark = f"Run {run} of the benchmark."  # the reader may take the first line as title
        _until(app, lambda m=mark: m in window.article_view.toPlainText())
        window.article_view.viewport().repaint()
        texts.append(time.perf_counter() - start)
        _until(
            app,
            lambda b=before: (
                window.workspace.article is not None and window.workspace.article.id != b
            ),
        )
        window.article_view.viewport().repaint()
        highlights.append(time.perf_counter() - start)
    return texts, highlights, len(window.article_view.highlights())


def open_article(app: Any, window: Any, article_id: int, runs: int) -> tuple[list[float], int]:
    times = []
    for _ in range(runs):
        window.workspace.open_article(None)
        app.processEvents()
        start = time.perf_counter()
        window.workspace.open_article(article_id)
        window.article_view.viewport().repaint()
        app.processEvents()
        times.append(time.perf_counter() - start)
    return times, len(window.article_view.highlights())


def _report(label: str, times: list[float], target: str = "") -> float:
    median = statistics.median(times)
    runs = ", ".join(f"{t:.3f}" for t in times)
    print(f"{label}: median {median:.3f} s (runs: {runs}){f'; {target}' if target else ''}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--article", type=Path, help="a text file to open as a new article")
    args = parser.parse_args()
    from workbench.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CONFIG_HOME"] = tmp  # the user's window settings stay untouched
        db, article_id = seeded_db(Path(tmp), args.words)
        empty = _report("empty interpreter", wall_times([sys.executable, "-c", "pass"], args.runs))
        helped = _report("workbench --help", wall_times(cli_command("--help"), args.runs))
        print(f"  {helped / empty:.1f}x an empty interpreter; target < 0.15 s")
        _report(
            "workbench export --help",
            wall_times(cli_command("export", "--help"), args.runs),
            "target < 0.15 s",
        )
        bare = _report("bare PySide6 window shown", shown_times(BARE_WINDOW, [], args.runs))
        empty_db = Path(tmp) / "empty.db"
        Store(empty_db).close()
        shown = _report(
            "the app's window shown (saying the database is being opened)",
            shown_times(APP_WINDOW, [str(empty_db), "shown"], args.runs),
        )
        print(f"  {shown / bare:.1f}x a bare window; target within 2x, and < 1.5 s")
        shown = _report(
            "  ... its panels built and painted, no article yet (the sample follows)",
            shown_times(APP_WINDOW, [str(empty_db)], args.runs),
        )
        print(f"  {shown / bare:.1f}x a bare window")
        shown = _report(
            f"  ... the same, reopening the {args.words:,}-word article",
            shown_times(APP_WINDOW, [str(db)], args.runs),
        )
        print(f"  {shown / bare:.1f}x a bare window")
        _report(
            "  ... and the reopened article shown in it",
            shown_times(APP_WINDOW, [str(db), "article"], args.runs),
        )
        app, window = running_window(db)
        opens, highlights = open_article(app, window, article_id, args.runs)
        _report(
            f"open + highlight a {args.words:,}-word article ({highlights} claims)",
            opens,
            "target < 1 s",
        )
        new_text = (
            args.article.read_text(encoding="utf-8") if args.article else seeded_text(args.words)
        )
        texts, found, claims = open_new_files(app, window, new_text, args.runs, Path(tmp))
        words = len(new_text.split())
        _report(f"a new {words:,}-word file opened: its text shown", texts, "target < 1 s")
        _report(f"  ... and its {claims} claims highlighted", found)
        window.close()


if __name__ == "__main__":
    main()
