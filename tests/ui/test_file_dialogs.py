"""A file dialog showing the database's folder must not cost the app its SQLite locks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QFileInfo
from PySide6.QtWidgets import QFileDialog, QFileIconProvider, QFileSystemModel
from pytestqt.qtbot import QtBot

from ui.file_dialogs import FileDialog, NameOnlyIconProvider
from workbench.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX locks only")


def open_and_close_elsewhere(db: Path) -> None:
    """What any ``workbench`` command does: open the database in another process, close it."""
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        " c.execute('select count(*) from sqlite_master').fetchall(); c.close()"
    )
    subprocess.run([sys.executable, "-c", code, str(db)], check=True)


def look_at_every_file(provider: QFileIconProvider | NameOnlyIconProvider, folder: Path) -> None:
    """What a file dialog asks of its icon provider for each file it lists."""
    for path in sorted(folder.iterdir()):
        provider.icon(QFileInfo(str(path)))
        provider.type(QFileInfo(str(path)))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "w.db")
    store.set_setting("report.organisation", "Desk")  # the log and its index exist
    assert (tmp_path / "w.db-wal").exists() and (tmp_path / "w.db-shm").exists()
    return store


def test_qts_own_icons_read_files_and_would_let_another_program_delete_the_log(
    store: Store, tmp_path: Path, qapp: object
) -> None:
    """Why the app has its own provider: Qt's guesses the log's type from its first bytes."""
    look_at_every_file(QFileIconProvider(), tmp_path)
    open_and_close_elsewhere(store.path)  # it finds no lock left: it thinks it is alone
    assert not (tmp_path / "w.db-wal").exists()
    store.close()


def test_the_apps_file_dialog_lists_the_database_folder_and_keeps_its_locks(
    store: Store, tmp_path: Path, qtbot: QtBot
) -> None:
    (tmp_path / "article.txt").write_text("A claim.", encoding="utf-8")
    dialog = FileDialog(None, "Open articles", str(tmp_path), "All files (*)")
    qtbot.addWidget(dialog)
    assert dialog.testOption(QFileDialog.Option.DontUseNativeDialog)
    assert isinstance(dialog.iconProvider(), NameOnlyIconProvider)
    dialog.show()
    model = dialog.findChild(QFileSystemModel)
    assert model is not None
    qtbot.waitUntil(lambda: model.rowCount(model.index(str(tmp_path))) == 4)  # db, wal, shm, txt
    look_at_every_file(dialog.iconProvider(), tmp_path)
    dialog.close()

    open_and_close_elsewhere(store.path)
    assert (tmp_path / "w.db-wal").exists()  # the app's log is still the database's
    store.set_setting("report.organisation", "Desk 2")
    code = (
        "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("
        "\"select value from settings where key = 'report.organisation'\").fetchone()[0])"
    )
    seen = subprocess.run(
        [sys.executable, "-c", code, str(store.path)], capture_output=True, text=True, check=True
    )
    assert seen.stdout.strip() == "Desk 2"
    store.close()
