"""Start the desktop app: the ``gui`` entry point of the ``workbench`` command."""

from __future__ import annotations

import gc
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, NoReturn

# Little of the core comes before the window: the rest (the store, the engine) loads once
# it shows (``run``). Once imported, PySide6 reads the source of every module imported
# after it, unless it was told about it (the import hook behind its ``__feature__``
# switches; see ``declare_modules``).
from workbench import __version__
from workbench.errors import DatabaseUnusableError, WorkbenchError

# isort: split
_LOADED_BEFORE_QT = frozenset(sys.modules)

from PySide6.QtCore import QEventLoop  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget  # noqa: E402

if TYPE_CHECKING:
    from workbench.engine import Engine
    from workbench.store import Store


def declare_modules() -> int:
    """Tell PySide6 which modules use it, so that it does not read their source to find out.

    Once imported, PySide6 replaces ``__import__`` with a hook that, the first time any
    module is named in an import statement after that (``import logging`` included),
    reads the module's whole source (``inspect.getsource``) to learn whether it mentions
    PySide6, for its opt-in ``__feature__`` switches (snake_case, true_property), which
    this app does not use: about 30 ms before the window showed. The hook skips a module
    it already knows: the ``ui`` modules are declared as using PySide6 (0, what the hook
    finds), the core's and resources' modules (which never import Qt), those loaded
    before PySide6 and the standard library's top-level modules (``html``, ``queue``...,
    imported by the panels; submodules such as ``concurrent.futures`` are still read)
    as not (-1). Returns how many were declared: 0 where
    PySide6 keeps no such table (another version).
    """
    feature = sys.modules.get("shibokensupport.feature")
    known = getattr(feature, "pyside_feature_dict", None)
    if not isinstance(known, dict):
        return 0
    here = Path(__file__).resolve().parent
    declared = {
        name: -1
        for package in ("workbench", "resources")
        for name in _package_modules(here.parent / package, package)
    }
    declared.update(
        (name, -1)
        for name in _LOADED_BEFORE_QT | sys.stdlib_module_names
        if name.partition(".")[0] not in ("ui", "PySide6", "shiboken6")
    )
    declared.update(dict.fromkeys(_package_modules(here, "ui"), 0))
    new = declared.keys() - known.keys()
    for name in new:
        known[name] = declared[name]
    return len(new)


def _package_modules(folder: Path, name: str) -> list[str]:
    """``name`` and the names of every module and subpackage in its ``folder``, unimported."""
    import pkgutil

    names = [name]
    for info in pkgutil.iter_modules([str(folder)], f"{name}."):
        if info.ispkg:
            names += _package_modules(folder / info.name.rpartition(".")[2], info.name)
        else:
            names.append(info.name)
    return names


declare_modules()

log = logging.getLogger("ui.app")


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """A bug in a slot: log it and say so in a dialog instead of dying silently."""
    from ui.safe_text import message_box

    log.error("unhandled exception", exc_info=(kind, exc, tb))
    details = "".join(traceback.format_exception(kind, exc, tb))
    box = message_box(QMessageBox.Icon.Critical, "Unexpected error", f"{kind.__name__}: {exc}")
    box.setInformativeText("Your saved work is safe. Please report this problem.")
    box.setDetailedText(details)
    box.exec()


def _critical(title: str, message: str) -> None:
    from ui.safe_text import message_box

    message_box(QMessageBox.Icon.Critical, title, message).exec()


def create_application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Fact-Checking Workbench")
    app.setOrganizationName("factcheck-workbench")
    app.setApplicationVersion(__version__)
    return app


def open_store_interactively(path: Path) -> Store | None:
    """Open the database; if it cannot be used, offer to restore a backup or open another."""
    from ui.database_dialogs import DatabaseProblemDialog
    from workbench.store import Store

    while True:
        try:
            return Store(path)  # the daily backup runs once the window shows (MainWindow)
        except DatabaseUnusableError as exc:
            from workbench.backup import list_backups, restore_backup  # not before the window

            choice = DatabaseProblemDialog.ask(None, str(exc), list_backups(path))
            if choice is None:
                return None
            action, target = choice
            if action == "open":
                path = target
                continue
            try:
                result = restore_backup(path, target)
            except WorkbenchError as error:
                _critical("Could not restore the backup", str(error))
            else:
                log.info("restored %s; the previous file is kept as %s", path, result.kept)
        except WorkbenchError as exc:
            _critical("Cannot open the database", str(exc))
            return None


def close_import_circles() -> None:
    """Import, on this thread and before the workers start, the standard library's modules
    that import one another in a circle which the workers' libraries enter at different
    modules.

    ``importlib.abc`` imports ``importlib.resources.abc``, whose package
    ``importlib.resources`` imports it back. Reading a web page (urllib3), the team sync
    (psycopg) and loading spaCy (catalogue) first import ``importlib.metadata``, thus
    ``importlib.abc``; a ClaimReview export first imports ``importlib.resources``
    (jsonschema). Begun at once, each thread holds the module the other needs and Python
    fails one of them: "_DeadlockError: deadlock detected by
    _ModuleLock('importlib.resources.abc')". Imported whole here, before any worker
    thread exists (about 4 ms, behind the window shown), the circle is closed.
    """
    import importlib.abc  # noqa: F401  (with it importlib.resources, whole)


def _leave(code: int) -> NoReturn:
    """End the process now that the window is closed and every edit is written.

    Background jobs were cancelled but may still be inside a step (onnxruntime, a
    SQLite batch) on their daemon threads; the interpreter's teardown would wait for
    none of them and then abort the process under them (``std::terminate``). Leaving
    with ``os._exit`` skips that teardown: an unfinished batch is rolled back by
    SQLite, as if the step had not started.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run(files: Sequence[str], db_path: Path | None = None) -> int:
    """Open the main window on ``db_path`` (or the default database) and ``files``.

    File > Restore a backup closes the window; the backup is restored once every
    connection is closed, and the window reopens on the restored database.
    """
    from ui.main_window import MainWindow

    app = create_application()
    sys.excepthook = _excepthook
    engine: Engine | None = None
    if db_path is None:
        from workbench.locations import default_db_path

        db_path = default_db_path()
    path = db_path
    pending = list(files)
    while True:
        # The window shows first, saying that the database is being opened; the panels
        # and most of the app load behind it (a few hundred milliseconds).
        window = MainWindow(None)
        window.show()
        _wait_for_paint(window)
        if not window.isVisible():
            _leave(0)  # closed before it was ready (after a restore, old workers may run)
        store = open_store_interactively(path)
        if store is None:
            _leave(2)
        path = store.path
        from workbench.engine import Engine
        from workbench.store.batches import SWITCH_INTERVAL_S

        close_import_circles()  # before build starts the workers
        sys.setswitchinterval(SWITCH_INTERVAL_S)  # edits and the UI get the lock back sooner
        engine = engine or Engine()  # the pipeline, models and indexes, for every window
        window.build(store, engine=engine)
        # The language models' objects live as long as the process: once loaded they are
        # left out of the garbage collector's full passes, which went through all of
        # them each time (80 ms with the UI thread waiting, measured, several times while
        # a long article is matched). Not done for the windows tests build.
        window.opener.warmed_up.connect(gc.freeze)
        window.start(pending)
        pending = []
        code = app.exec()
        store.close()
        restore = window.restore_requested
        if restore is None:
            for runner in window.runners():
                if runner.grace_on_quit:
                    runner.join(timeout=runner.grace_on_quit)
            _leave(code)
        # The file is about to be replaced: every worker lets go of it first (each
        # was cancelled when the window closed, so it ends within a batch).
        for runner in window.runners():
            if not runner.join(timeout=60):
                log.warning("%s still running before the restore", runner.name)
        window.deleteLater()
        from workbench.backup import restore_backup  # only here, and when the file is unusable

        try:
            result = restore_backup(path, restore)
        except WorkbenchError as exc:
            _critical("Could not restore the backup", str(exc))
        else:
            from ui.safe_text import message_box

            message_box(
                QMessageBox.Icon.Information,
                "Backup restored",
                f"The database now holds the backup {restore.name}."
                + (f"\nThe previous file is kept as {result.kept}." if result.kept else ""),
            ).exec()


def _wait_for_paint(window: QWidget) -> None:
    """Run the events until ``window`` is on screen (:func:`ui.main_window.after_first_paint`)."""
    from ui.main_window import after_first_paint

    loop = QEventLoop()
    after_first_paint(window, loop.quit)
    loop.exec()
