"""File > Export: choose a format and a destination, export in the background, and
open the file when asked (saying so when it cannot be opened)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.file_dialogs import save_file_name
from ui.jobs import JobContext, JobRunner
from ui.safe_text import plain_label
from workbench.display import counted
from workbench.errors import ValidationError
from workbench.reports.formats import FORMATS
from workbench.reports.settings import SETTING_ORGANISATION, SETTING_ORGANISATION_URL, check_setting
from workbench.store import Store

if TYPE_CHECKING:
    from workbench.reports import ExportResult

log = logging.getLogger("ui.export_dialog")


def safe_file_stem(title: str) -> str:
    """A file name from an article title: no path separators, no control characters."""
    stem = re.sub(r"[^\w\- ]+", "", title, flags=re.UNICODE).strip()
    return re.sub(r"\s+", "-", stem)[:80] or "report"


class ExportChoice(NamedTuple):
    """What the export dialog was asked for."""

    format: str
    path: Path
    all_articles: bool
    open_after: bool
    organisation: tuple[str, str] | None = None
    """The publishing organisation's name and web site when they were changed, to be kept
    as the ``report.organisation`` and ``report.organisation_url`` settings."""


CLAIMREVIEW = "claimreview"


class ExportDialog(QDialog):
    """Format, destination, all articles or this one, whether to open the result, and the
    organisation that publishes it (ClaimReview names it: it was only settable with
    ``workbench settings set``, so an app user could not export ClaimReview at all)."""

    def __init__(
        self,
        folder: Path,
        title: str,
        parent: QWidget | None = None,
        *,
        organisation: tuple[str, str] = ("", ""),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export verification report")
        self.setMinimumWidth(520)
        self._folder = folder
        self._stem = safe_file_stem(title)
        self.format = QComboBox(self)
        for spec in FORMATS.values():
            self.format.addItem(f"{spec.label} ({spec.extension})", spec.name)
        self.path = QLineEdit(self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        destination = QHBoxLayout()
        destination.addWidget(self.path, 1)
        destination.addWidget(browse)
        self.all_articles = QCheckBox("All articles (the desk's tally)", self)
        self.open_after = QCheckBox("Open when done", self)
        self.open_after.setChecked(True)
        self._organisation = organisation
        self.organisation = QLineEdit(organisation[0], self)
        self.organisation.setObjectName("export_organisation")
        self.organisation.setPlaceholderText(
            "Your fact-checking organisation (ClaimReview needs it)"
        )
        self.organisation_url = QLineEdit(organisation[1], self)
        self.organisation_url.setObjectName("export_organisation_url")
        self.organisation_url.setPlaceholderText("Its web site: https://… (optional)")
        self.problem: QLabel = plain_label(parent=self)
        self.problem.setStyleSheet("color: #a40000;")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Save as", destination)
        form.addRow("", self.all_articles)
        form.addRow("", self.open_after)
        form.addRow("Published by", self.organisation)
        form.addRow("Web site", self.organisation_url)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.format.currentIndexChanged.connect(self._on_format_changed)
        self._on_format_changed()

    def chosen_format(self) -> str:
        return str(self.format.currentData())

    def chosen_organisation(self) -> tuple[str, str]:
        """The organisation's name and web site as they will be stored.

        Raises:
            ValidationError: the web site is not an http or https address, or the name
                holds what a setting may not.
        """
        return (
            check_setting(SETTING_ORGANISATION, self.organisation.text()),
            check_setting(SETTING_ORGANISATION_URL, self.organisation_url.text()),
        )

    def accept(self) -> None:
        try:
            name, _ = self.chosen_organisation()
        except ValidationError as error:
            self._refuse(str(error))
            return
        if self.chosen_format() == CLAIMREVIEW and not name:
            self._refuse("ClaimReview names the organisation that publishes the review.")
            self.organisation.setFocus()
            return
        super().accept()

    def _refuse(self, problem: str) -> None:
        self.problem.setText(problem)
        self.problem.show()

    def _on_format_changed(self) -> None:
        spec = FORMATS[self.chosen_format()]
        current = Path(self.path.text()) if self.path.text() else self._folder / self._stem
        self.path.setText(str(current.with_suffix(spec.extension)))
        self.all_articles.setEnabled(spec.several_articles)
        if not spec.several_articles:
            self.all_articles.setChecked(False)

    def _browse(self) -> None:
        spec = FORMATS[self.chosen_format()]
        path = save_file_name(self, "Export as", self.path.text(), spec.dialog_filter)
        if path:
            self.path.setText(path)

    def choice(self) -> ExportChoice:
        """What was asked for (once accepted: the organisation is valid)."""
        organisation = self.chosen_organisation()
        return ExportChoice(
            self.chosen_format(),
            Path(self.path.text().strip()).expanduser(),
            self.all_articles.isChecked(),
            self.open_after.isChecked(),
            organisation if organisation != self._organisation else None,
        )

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        *,
        folder: Path,
        title: str,
        open_after: bool = True,
        organisation: tuple[str, str] = ("", ""),
    ) -> ExportChoice | None:
        """What to export and where, or None if cancelled.

        ``open_after``: how the "Open when done" box starts (as it was left last time);
        ``organisation``: the stored organisation's name and web site.
        """
        dialog = cls(folder, title, parent, organisation=organisation)
        dialog.open_after.setChecked(open_after)
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.path.text().strip():
            return None
        return dialog.choice()


def finish_export(
    result: ExportResult,
    *,
    open_after: bool,
    open_url: Callable[[QUrl], bool] | None = None,
) -> str:
    """Open the exported file if asked; returns the status-bar line that says how it went.

    ``QDesktopServices.openUrl`` (the default ``open_url``) says only whether it worked,
    so a failure is explained by what is likely: the file is gone, or nothing on this
    computer is set to open that kind of file.
    """
    done = f"Exported {result.claims} claims to {result.path}"
    if result.format.name == CLAIMREVIEW:  # one review per claim with a verdict
        reviews = counted(result.items, "ClaimReview")
        done = f"Exported {reviews} (the checked claims of {result.claims}) to {result.path}"
    if not open_after:
        return done
    opener = open_url or QDesktopServices.openUrl
    if opener(QUrl.fromLocalFile(str(result.path))):
        return done
    log.warning("could not open the exported file %s", result.path)
    if not result.path.is_file():
        why = "the file is no longer there"
    elif suffix := result.path.suffix.lower():
        why = f"no application is set to open {suffix} files"
    else:
        why = "no application is set to open it"
    return f"{done}, but it could not be opened: {why}."


EXPORT_GRACE_S = 3.0
"""How long Quit waits for an export under way (they take well under a second)."""


class ReportExporter(QObject):
    """Runs exports as background jobs, each on its own connection."""

    finished = Signal(object, bool)  # ExportResult, open it
    failed = Signal(str)

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.runner = JobRunner("export", self, grace_on_quit=EXPORT_GRACE_S)

    def export(
        self, article_ids: Sequence[int], path: Path, fmt: str, *, open_after: bool = False
    ) -> None:
        ids = list(article_ids)

        def work(context: JobContext) -> ExportResult:
            from workbench.reports import export_reports  # the writers load with the first

            with Store(self.db_path, check=False) as store:
                return export_reports(store, ids, path, fmt=fmt)

        self.runner.submit(
            work,
            group="export",
            done=lambda result: self.finished.emit(result, open_after),
            failed=self.failed.emit,
        )

    def shutdown(self) -> None:
        """Return at once; an export under way still writes its file (the process waits
        up to :data:`EXPORT_GRACE_S` for it), but nothing more is reported."""
        self.runner.shutdown()
