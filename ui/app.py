"""Start the desktop app: the ``gui`` entry point of the ``workbench`` command."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from workbench.errors import WorkbenchError
from workbench.store import Store, default_db_path


def run(files: Sequence[str], db_path: Path | None = None) -> int:
    """Open the main window on ``db_path`` (or the default database) and ``files``."""
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Fact-Checking Workbench")
    app.setOrganizationName("factcheck-workbench")
    try:
        store = Store(db_path or default_db_path())
    except WorkbenchError as exc:
        QMessageBox.critical(None, "Cannot open the database", str(exc))
        return 2
    window = MainWindow(store)
    window.show()
    window.open_files(files)
    try:
        return app.exec()
    finally:
        store.close()
