"""Start the desktop app: the ``gui`` entry point of the ``workbench`` command."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from workbench import __version__
from workbench.errors import WorkbenchError
from workbench.store import Store, default_db_path

log = logging.getLogger("ui.app")


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """A bug in a slot: log it and say so in a dialog instead of dying silently."""
    log.error("unhandled exception", exc_info=(kind, exc, tb))
    details = "".join(traceback.format_exception(kind, exc, tb))
    box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error", f"{kind.__name__}: {exc}")
    box.setInformativeText("Your saved work is safe. Please report this problem.")
    box.setDetailedText(details)
    box.exec()


def create_application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("Fact-Checking Workbench")
    app.setOrganizationName("factcheck-workbench")
    app.setApplicationVersion(__version__)
    return app


def run(files: Sequence[str], db_path: Path | None = None) -> int:
    """Open the main window on ``db_path`` (or the default database) and ``files``."""
    from ui.main_window import MainWindow

    app = create_application()
    try:
        store = Store(db_path or default_db_path())
    except WorkbenchError as exc:
        QMessageBox.critical(None, "Cannot open the database", str(exc))
        return 2
    sys.excepthook = _excepthook
    window = MainWindow(store)
    window.show()
    window.start(files)
    try:
        return app.exec()
    finally:
        store.close()
