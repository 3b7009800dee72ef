"""The claim panel: the article's claims in reading order, and the selected claim's verdict.

Status buttons, claimant, note and evidence links all edit through the workspace, so
every change is saved as it is made and can be undone.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QSettings,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import EvidenceDialog
from ui.document_view import DocumentDialog
from ui.evidence_view import EvidenceView
from ui.file_dialogs import open_file_name
from ui.item_models import ClaimFilter, ClaimListModel, EvidenceListModel, ItemRole, claim_summary
from ui.past_checks import PastChecksView
from ui.safe_text import narrow_combo, open_web_link, plain_label, shown_text, tooltip
from ui.status_style import LABELS, SHORTCUT_KEYS, status_icon
from ui.workspace import Workspace
from workbench.history import describe
from workbench.models import Claim, ClaimType, Evidence, Status
from workbench.textsafety import http_url

if TYPE_CHECKING:
    from workbench.evidence_library import EvidenceSuggestion

log = logging.getLogger("ui.claim_panel")

CLAIM_LIST_BATCH = 100
"""Rows of the claim list laid out per turn of the event loop. Each row's height is its
wrapped text's: laid out all at once, the 1,514 claims of a 60,000-word article held
the window."""
SAVED_FILTERS_KEY = "ui.saved_claim_filters"
"""The setting that holds the claim list's named filters (JSON: name → filter state)."""

VAULT_FILTER = (
    "Documents and images (*.pdf *.docx *.html *.htm *.mhtml *.mht *.txt *.md *.csv *.png"
    " *.jpg *.jpeg *.gif *.webp);;All files (*)"
)

_TEXT_FIELDS = frozenset({"note", "quote"})
"""History fields whose whole text before and after a change can be copied back."""
_BEFORE_AFTER_ROLE = Qt.ItemDataRole.UserRole

BY_PRIORITY_SETTING = "ui/claims_by_priority"
"""Where "Most urgent first" is kept between runs (QSettings, per user)."""
PRIORITY_CHOICES = (
    ("high", "High"),
    ("medium", "Medium"),
    ("low", "Low"),
    ("", "As the detector scores it"),
)
"""A claim's priority as the fact-checker may set it (value stored, menu label)."""

NOTE_SAVE_DELAY_MS = 400
"""Typing pauses this long before the note is saved (and always on leaving the claim)."""


class ClaimListView(QListView):
    """The claim list: laid out :data:`CLAIM_LIST_BATCH` rows at a time, and still
    scrolled to a claim selected before its row is laid out.

    Qt's ``scrollTo`` does nothing for a row the batched layout has not reached (it has
    no place yet): the claim selected on reopening a long article, or after its claims
    were read again, stayed out of sight at the bottom of the list.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(CLAIM_LIST_BATCH)
        self._scroll_to = QPersistentModelIndex()

    def show_row(self, index: QModelIndex) -> None:
        """Scroll to ``index`` now, or once the layout reaches its row."""
        self._scroll_to = QPersistentModelIndex()
        if self.visualRect(index).isValid():
            self.scrollTo(index)
        elif index.isValid():
            self._scroll_to = QPersistentModelIndex(index)

    def updateGeometries(self) -> None:
        """Called as the batched layout goes on, and when it is done."""
        super().updateGeometries()
        pending = self._scroll_to
        if not pending.isValid():
            return
        index = self.model().index(pending.row(), pending.column())
        if index != self.currentIndex():  # another claim was selected meanwhile
            self._scroll_to = QPersistentModelIndex()
        elif self.visualRect(index).isValid():
            self._scroll_to = QPersistentModelIndex()
            self.scrollTo(index)


class ClaimPanel(QWidget):
    """List of claims above the editor for the selected one."""

    error_occurred = Signal(str)
    editing_left = Signal()  # Esc in the note or claimant: focus goes back to the article

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("claim_panel")
        self.setAcceptDrops(True)
        self.workspace = workspace
        self._shown_claim_id: int | None = None
        self._following_workspace = False
        """The list moves because a claim changed, not because the user moved in it."""

        self.claim_model = ClaimListModel(self)
        self.claim_filter = ClaimFilter(self.claim_model, self)
        self.show_combo = narrow_combo(QComboBox(self))
        self.show_combo.setObjectName("claim_show")
        self.show_combo.setToolTip("Which claims the list shows")
        for key, label in ClaimFilter.SHOW.items():
            self.show_combo.addItem(label, key)
        self.show_combo.currentIndexChanged.connect(self._on_show_changed)
        self.type_combo = narrow_combo(QComboBox(self))
        self.type_combo.setObjectName("claim_type")
        self.type_combo.setToolTip("Only claims of one type")
        self.type_combo.addItem("All types", None)
        for claim_type in ClaimType:
            self.type_combo.addItem(claim_type.label.capitalize(), claim_type.value)
        self.type_combo.currentIndexChanged.connect(self._on_type_changed)
        self.by_priority = QCheckBox("Most urgent first", self)
        self.by_priority.setObjectName("claim_by_priority")
        self.by_priority.setToolTip("Order the list by priority instead of reading order")
        remembered = bool(QSettings().value(BY_PRIORITY_SETTING, False, type=bool))
        self.by_priority.setChecked(remembered)
        self.claim_filter.set_by_priority(remembered)
        self.by_priority.toggled.connect(self._on_by_priority_toggled)
        self.claim_list = ClaimListView(self)
        self.claim_list.setObjectName("claim_list")
        self.claim_list.setModel(self.claim_filter)
        self.claim_list.setWordWrap(True)
        self.claim_list.setAlternatingRowColors(True)
        # No spacing between rows: with it, Qt wraps a row's text for its height and for
        # painting at two widths, and a row whose text wrapped once more when painted
        # lost its status line to an ellipsis ("... to Ukraine...."). The alternating
        # colours keep rows apart.
        self.claim_list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.claim_list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.claim_list.selectionModel().currentChanged.connect(self._on_claim_list_current)
        self.claim_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.claim_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.claim_list.customContextMenuRequested.connect(self._show_list_menu)
        self.filter_text = QLineEdit(self)
        self.filter_text.setObjectName("claim_filter_text")
        self.filter_text.setPlaceholderText("Filter claims: words of the text, claimant, note")
        self.filter_text.setClearButtonEnabled(True)
        self.filter_text.textChanged.connect(self._on_filter_text_changed)
        self.filter_text.installEventFilter(self)
        self.tag_combo = narrow_combo(QComboBox(self))
        self.tag_combo.setObjectName("claim_tag_filter")
        self.tag_combo.setToolTip("Only claims with one tag")
        self.tag_combo.currentIndexChanged.connect(self._on_tag_filter_changed)
        self.saved_filters = QToolButton(self)
        self.saved_filters.setObjectName("saved_filters")
        self.saved_filters.setText("Saved filters")
        self.saved_filters.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.saved_filters.setMenu(QMenu(self.saved_filters))
        self.saved_filters.menu().aboutToShow.connect(self._fill_saved_filters_menu)

        self.editor = QWidget(self)
        self.claim_text = plain_label(parent=self.editor)
        self.claim_text.setObjectName("claim_text")
        self.claim_text.setWordWrap(True)
        # Set apart by a rule, not by quotation marks: a claim is often a quote already.
        self.claim_text.setStyleSheet(
            "#claim_text { border-left: 3px solid palette(highlight); padding-left: 6px; }"
        )
        self.claim_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reasons = plain_label(parent=self.editor)
        self.reasons.setWordWrap(True)
        self.reasons.setObjectName("claim_reasons")

        self.status_group = QButtonGroup(self)
        self.status_group.setExclusive(True)
        self.status_buttons: dict[Status, QPushButton] = {}
        status_row = QHBoxLayout()
        status_row.setSpacing(4)
        for status in (Status.VERIFIED, Status.DISPUTED, Status.UNVERIFIABLE, Status.UNCHECKED):
            button = QPushButton(status_icon(status), LABELS[status], self.editor)
            button.setCheckable(True)
            button.setToolTip(f"Mark {LABELS[status].lower()} ({SHORTCUT_KEYS[status]})")
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.clicked.connect(lambda _=False, s=status: self._request_status(s))
            self.status_group.addButton(button)
            self.status_buttons[status] = button
            status_row.addWidget(button)

        self.claimant = QLineEdit(self.editor)
        self.claimant.setPlaceholderText("Who made the claim")
        self.claimant.editingFinished.connect(self._save_claimant)
        self.tags = QLineEdit(self.editor)
        self.tags.setObjectName("claim_tags")
        self.tags.setPlaceholderText("Labels, separated by commas")
        self.tags.editingFinished.connect(self._save_tags)
        self.tag_completer = QCompleter([], self.tags)
        self.tag_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tags.setCompleter(self.tag_completer)
        self.note = QPlainTextEdit(self.editor)
        self.note.setObjectName("note_editor")
        self.note.setPlaceholderText(
            "Notes: what you checked, sources, reasoning (saved as you type)"
        )
        self.note.setTabChangesFocus(True)
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.setInterval(NOTE_SAVE_DELAY_MS)
        self._note_timer.timeout.connect(self.save_note)
        self.note.textChanged.connect(self._on_note_text_changed)
        self.note.textChanged.connect(self._fit_note)
        self.note.installEventFilter(self)
        self.claimant.installEventFilter(self)
        self.tags.installEventFilter(self)

        self.evidence_model = EvidenceListModel(self)
        self.evidence_list = QListView(self.editor)
        self.evidence_list.installEventFilter(self)  # Delete removes the evidence selected
        self.evidence_list.setObjectName("evidence_list")
        self.evidence_list.setModel(self.evidence_model)
        self.evidence_list.setWordWrap(True)
        self.evidence_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.evidence_list.doubleClicked.connect(self._on_evidence_double_clicked)
        self.evidence_list.setToolTip("Double-click to open; drop a link here to add it")
        self.add_evidence_button = QPushButton("Add link…", self.editor)
        self.add_evidence_button.setToolTip("Add an evidence link (L); or drop a URL on the panel")
        # Not the method itself: PySide passes clicked's "checked" to a slot that takes an
        # argument, and that bool became the dialog's URL.
        self.add_evidence_button.clicked.connect(lambda: self.request_add_evidence())
        self.add_file_button = QPushButton("Add file…", self.editor)
        self.add_file_button.setObjectName("add_evidence_file")
        self.add_file_button.setToolTip(
            "Keep a document or image as evidence in the vault (PDF, .docx, saved page, text,"
            " CSV, image); or drop the file on the panel"
        )
        self.add_file_button.clicked.connect(self.request_add_file)
        self.edit_evidence_button = QPushButton("Edit…", self.editor)
        self.edit_evidence_button.clicked.connect(self._edit_current_evidence)
        self.remove_evidence_button = QPushButton("Remove", self.editor)
        self.remove_evidence_button.clicked.connect(self._remove_current_evidence)
        self.open_evidence_button = QPushButton("Open", self.editor)
        self.open_evidence_button.setToolTip("Open in the web browser (http and https links only)")
        self.open_evidence_button.clicked.connect(self._open_current_evidence)
        evidence_buttons = QHBoxLayout()
        for button in (
            self.add_evidence_button,
            self.add_file_button,
            self.edit_evidence_button,
            self.remove_evidence_button,
            self.open_evidence_button,
        ):
            # As narrow as their words when the panel is: at Qt's 80 pixels each, the row
            # kept the verdict editor 500 pixels wide, scrolled sideways on a 1,024-pixel
            # screen.
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance(button.text()) + 12)
            evidence_buttons.addWidget(button)
        evidence_buttons.addStretch(1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Claimant", self.claimant)
        form.addRow("Tags", self.tags)
        form.addRow("Note", self.note)
        evidence_box = QVBoxLayout()
        evidence_box.addWidget(self.evidence_list)
        evidence_box.addLayout(evidence_buttons)
        form.addRow("Evidence", evidence_box)

        editor_layout = QVBoxLayout(self.editor)
        editor_layout.setContentsMargins(6, 6, 6, 6)
        editor_layout.addWidget(self.claim_text)
        editor_layout.addWidget(self.reasons)
        editor_layout.addLayout(status_row)
        editor_layout.addLayout(form)
        editor_layout.addStretch(1)  # empty editors stay small: the list gets the room

        self.past_checks = PastChecksView(workspace, self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("claim_tabs")
        # A short panel scrolls the editor rather than squeezing its fields into each other.
        editor_scroll = self.editor_scroll = QScrollArea(self)
        editor_scroll.setObjectName("verdict_scroll")
        editor_scroll.setWidgetResizable(True)
        editor_scroll.setFrameShape(QFrame.Shape.NoFrame)
        editor_scroll.setWidget(self.editor)
        self.tabs.addTab(editor_scroll, "Verdict")
        self.tabs.addTab(self.past_checks, "Past checks")
        self.evidence_view = EvidenceView(workspace, self)
        self.evidence_view.cite_requested.connect(self._cite)
        self.tabs.addTab(self.evidence_view, "Evidence")
        self.history = QListWidget(self)
        self.history.setObjectName("claim_history")
        self.history.setWordWrap(True)
        self.history.setAlternatingRowColors(True)
        self.history.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.history.customContextMenuRequested.connect(self._show_history_menu)
        self.tabs.addTab(self.history, "History")

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("claim_splitter")
        list_box = QWidget(self)
        list_layout = QVBoxLayout(list_box)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.setSpacing(2)
        list_controls = QHBoxLayout()
        list_controls.addWidget(self.show_combo, 1)
        list_controls.addWidget(self.type_combo, 1)
        list_controls.addWidget(self.by_priority)
        list_layout.addLayout(list_controls)
        filter_controls = QHBoxLayout()
        filter_controls.addWidget(self.filter_text, 2)
        filter_controls.addWidget(self.tag_combo, 1)
        filter_controls.addWidget(self.saved_filters)
        list_layout.addLayout(filter_controls)
        list_layout.addWidget(self.claim_list, 1)
        self.splitter.addWidget(list_box)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([600, 400])  # the claims first; the editor needs less when empty
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        workspace.article_leaving.connect(self._on_workspace_article_leaving)
        workspace.article_opened.connect(self._on_workspace_article_opened)
        workspace.claims_changed.connect(self._on_workspace_claims_changed)
        workspace.claim_updated.connect(self._on_workspace_claim_updated)
        workspace.claim_selected.connect(self._on_workspace_claim_selected)
        workspace.matches_changed.connect(self._on_workspace_matches_changed)
        self._show_claim(None)

    # -- sizes and keys -----------------------------------------------------------------

    def _fit_note(self) -> None:
        """The note editor is as tall as its text (3 to 12 lines), then scrolls."""
        lines = self.note.document().size().height()  # in lines for a plain text edit
        line = self.note.fontMetrics().lineSpacing()
        frame = 2 * self.note.frameWidth() + 8
        self.note.setFixedHeight(int(max(3, min(12, lines + 1)) * line + frame))

    def _reveal_evidence(self) -> None:
        self.editor_scroll.ensureWidgetVisible(self.evidence_list)

    def _fit_evidence(self) -> None:
        """No empty box for links: the list shows only when there are some, as tall as them."""
        rows = self.evidence_model.rowCount()
        self.evidence_list.setVisible(rows > 0)
        if rows:
            # Lines of text, not sizeHintForRow: before the list is laid out its rows
            # report one line each.
            line = self.evidence_list.fontMetrics().lineSpacing()
            lines = sum(
                str(self.evidence_model.index(r, 0).data() or "").count("\n") + 1
                for r in range(min(rows, 4))
            )
            padding = 2 * self.evidence_list.frameWidth() + 4 * min(rows, 4) + 4
            self.evidence_list.setFixedHeight(lines * line + padding)
        self.edit_evidence_button.setVisible(rows > 0)
        self.add_file_button.setVisible(True)
        self.remove_evidence_button.setVisible(rows > 0)
        self.open_evidence_button.setVisible(rows > 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.evidence_list
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Delete
            and not event.modifiers()
        ):
            self._remove_current_evidence()  # the link or file selected, not the claim
            return True
        escape = (
            watched in (self.note, self.claimant, self.tags, self.filter_text)
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        )
        if escape and event.type() == QEvent.Type.ShortcutOverride:
            event.accept()  # Esc is ours here, whatever else it is bound to
            return True
        if escape and event.type() == QEvent.Type.KeyPress:
            if watched is self.note:
                self.save_note()
            elif watched is self.claimant:
                self._save_claimant()
            elif watched is self.tags:
                self._save_tags()
            # Saved: leaving the field must not save it again (its editingFinished), a
            # second undo step that changed nothing, taken back by the next Ctrl+Z.
            blocked = watched.blockSignals(True)
            self.editing_left.emit()
            watched.blockSignals(blocked)
            return True
        return super().eventFilter(watched, event)

    def _show_history(self, claim: Claim | None) -> None:
        self.history.clear()
        if claim is None:
            return
        entries = self.workspace.store.history(claim.id)
        for entry in reversed(entries):  # newest first
            when = entry.changed_at[:16].replace("T", " ")
            item = QListWidgetItem(f"{describe(entry)}\n{when} · {entry.changed_by}")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            if entry.field in _TEXT_FIELDS:  # the line shows 60 characters; keep the rest
                item.setData(_BEFORE_AFTER_ROLE, (entry.old or "", entry.new or ""))
                item.setToolTip(
                    tooltip(f"Before:\n{entry.old or '—'}\n\nAfter:\n{entry.new or '—'}")
                )
            self.history.addItem(item)
        self.tabs.setTabText(
            self.tabs.indexOf(self.history), f"History ({len(entries)})" if entries else "History"
        )

    def _show_history_menu(self, point: QPoint) -> None:
        """Copy the whole text a note or quote had before or after a change (to restore it)."""
        item = self.history.itemAt(point)
        texts = item.data(_BEFORE_AFTER_ROLE) if item is not None else None
        if not texts:
            return
        menu = QMenu(self)
        for label, text in zip(("Copy the text before", "Copy the text after"), texts, strict=True):
            action = menu.addAction(label)
            action.setEnabled(bool(text))
            action.triggered.connect(functools.partial(QApplication.clipboard().setText, text))
        menu.exec(self.history.viewport().mapToGlobal(point))

    # -- requests from the user -------------------------------------------------------

    def focus_note(self) -> None:
        if self._shown_claim_id is not None:
            self.note.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.note.moveCursor(self.note.textCursor().MoveOperation.End)

    def request_add_evidence(self, url: str = "") -> None:
        claim_id = self._shown_claim_id
        if claim_id is None:
            return
        answer = EvidenceDialog.ask(self, url=url)
        if answer is not None:
            self.workspace.add_evidence(claim_id, *answer)

    def save_note(self) -> None:
        """Write the note now (also called before switching claims or closing)."""
        self._note_timer.stop()
        if self._shown_claim_id is not None:
            self.workspace.set_note(self._shown_claim_id, self.note.toPlainText())

    def _request_status(self, status: Status) -> None:
        if self._shown_claim_id is not None:
            self.workspace.set_status(self._shown_claim_id, status)

    def _save_tags(self) -> None:
        claim = self.workspace.claim(self._shown_claim_id) if self._shown_claim_id else None
        if claim is None:
            return
        wanted = [t.strip() for t in self.tags.text().split(",") if t.strip()]
        have = {t.casefold() for t in claim.tags}
        keep = {t.casefold() for t in wanted}
        self.workspace.tag_claims(
            [claim.id],
            add=[t for t in wanted if t.casefold() not in have],
            remove=[t for t in claim.tags if t.casefold() not in keep],
        )

    def _save_claimant(self) -> None:
        if self._shown_claim_id is not None:
            self.workspace.set_claimant(self._shown_claim_id, self.claimant.text())

    def _current_evidence(self) -> Evidence | None:
        index = self.evidence_list.currentIndex()
        item = index.data(ItemRole) if index.isValid() else None
        return item if isinstance(item, Evidence) else None

    def _edit_current_evidence(self) -> None:
        item = self._current_evidence()
        if item is None:
            return
        answer = EvidenceDialog.ask(
            self,
            url=item.url,
            title=item.title,
            note=item.note,
            file_name=item.file.original_name if item.file is not None else "",
        )
        if answer is not None:
            self.workspace.edit_evidence(item, *answer)

    def _remove_current_evidence(self) -> None:
        item = self._current_evidence()
        if item is not None:
            self.workspace.remove_evidence(item)

    def _open_current_evidence(self) -> None:
        item = self._current_evidence()
        if item is not None:
            self.open_evidence(item)

    def _on_evidence_double_clicked(self, index: QModelIndex) -> None:
        item = index.data(ItemRole)
        if isinstance(item, Evidence):
            self.open_evidence(item)

    def open_evidence(self, item: Evidence) -> None:
        """A vaulted document in the app (no network); a link in the browser."""
        if item.file is not None:
            DocumentDialog(self.workspace, item, self).open()
        else:
            self._open_url(item.url)

    def _cite(self, suggestion: EvidenceSuggestion) -> None:
        """A passage of the library becomes evidence: its document kept in the vault, the
        passage its quote (found again in the document as read now)."""
        claim_id = self._shown_claim_id
        if claim_id is not None:
            document = suggestion.document
            self.workspace.add_file_evidence(
                claim_id, document.path, quote=suggestion.text, title=document.title
            )
            self.tabs.setCurrentIndex(0)

    def request_add_file(self) -> None:
        claim_id = self._shown_claim_id
        if claim_id is None:
            return
        path = open_file_name(self, "Keep a file as evidence", str(Path.home()), VAULT_FILTER)
        if path:
            self.workspace.add_file_evidence(claim_id, path)

    def _open_url(self, url: str) -> None:
        if not open_web_link(url):
            self.error_occurred.emit(f"Only http and https links are opened: {url}")

    # -- drops: a link dropped on the panel becomes evidence -------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        dropped = self._dropped_files(event) or self._dropped_url(event)
        if self._shown_claim_id is not None and dropped:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        """A link becomes an evidence link; a file, a document kept in the vault."""
        claim_id = self._shown_claim_id
        files = self._dropped_files(event)
        url = None if files else self._dropped_url(event)
        if claim_id is None or not (files or url):
            event.ignore()
            return
        event.acceptProposedAction()
        for path in files:
            self.workspace.add_file_evidence(claim_id, path)
        if url is not None:
            self.workspace.add_evidence(claim_id, url)

    @staticmethod
    def _dropped_files(event: QDragEnterEvent | QDropEvent) -> list[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]

    @staticmethod
    def _dropped_url(event: QDragEnterEvent | QDropEvent) -> str | None:
        mime = event.mimeData()
        candidates = [u.toString() for u in mime.urls()] if mime.hasUrls() else []
        if mime.hasText():
            candidates.append(mime.text().strip())
        return next((c for c in candidates if http_url(c)), None)

    # -- following the workspace ------------------------------------------------------

    def _on_workspace_article_leaving(self) -> None:
        """A note typed and not saved yet is written before its claim leaves the panel
        (the article can change under the fact-checker's hands: a file opened earlier
        has been read or analysed)."""
        if self._note_timer.isActive():
            self.save_note()

    def _on_workspace_article_opened(self) -> None:
        self._refresh_tags()
        self._note_timer.stop()
        self._shown_claim_id = None
        self.claim_model.set_items(self.workspace.claims, self.workspace.priorities)
        self._show_claim(None)

    def _on_workspace_claims_changed(self) -> None:
        self._refresh_tags()
        self.claim_model.set_items(self.workspace.claims, self.workspace.priorities)
        self._show_claim(self.workspace.selected_claim)
        self._select_row_of(self.workspace.selected_claim_id)

    def _on_workspace_claim_updated(self, claim: Claim) -> None:
        self._refresh_tags()
        # A priority given to one claim can move another into (or out of) the article's
        # best-scored claims: the list is graded again (cheap: the grading is cached).
        self.claim_model.set_thresholds(self.workspace.priorities)
        row = self.claim_model.row_of(claim.id)
        if row >= 0:
            neighbours = self._neighbours(claim.id)
            self._following_workspace = True  # the list's moves are not the user's
            try:
                self.claim_model.replace_item(row, claim)
            finally:
                self._following_workspace = False
            self._keep_a_shown_claim_selected(claim.id, neighbours)
        if claim.id == self._shown_claim_id:
            self._show_claim(claim, keep_note=True)

    def shown_claim_ids(self) -> list[int]:
        """The claims the list shows, in its order (filtered, and sorted if asked)."""
        items = (self.claim_filter.index(row, 0).data(ItemRole)
                 for row in range(self.claim_filter.rowCount()))  # fmt: skip
        return [item.id for item in items if isinstance(item, Claim)]

    def _neighbours(self, claim_id: int) -> tuple[int | None, int | None]:
        """The claims just below and above ``claim_id`` in the list, if it is selected
        and shown (only then can a change move the selection)."""
        row = self.claim_filter.row_of(claim_id)
        if claim_id != self.workspace.selected_claim_id or row < 0:
            return None, None

        def at(r: int) -> int | None:
            item = self.claim_filter.index(r, 0).data(ItemRole)
            return item.id if isinstance(item, Claim) else None

        return at(row + 1), at(row - 1) if row > 0 else None

    def _keep_a_shown_claim_selected(
        self, claim_id: int, neighbours: tuple[int | None, int | None]
    ) -> None:
        """The selected claim just left the filtered list (marked verified while the list
        shows unchecked ones): the claim below it becomes the selected one, as after a
        verdict in an unfiltered list the next claim is the one to look at."""
        if claim_id != self.workspace.selected_claim_id:
            return
        if self.claim_filter.row_of(claim_id) >= 0 or neighbours == (None, None):
            self._select_row_of(claim_id)
            return
        below, above = neighbours
        self.workspace.select_claim(below if below is not None else above)

    def _on_workspace_claim_selected(self, claim_id: int | None) -> None:
        if self._note_timer.isActive():
            self.save_note()
        self._show_claim(self.workspace.selected_claim)
        self._select_row_of(claim_id)
        self._update_past_checks_tab()

    def _on_workspace_matches_changed(self) -> None:
        seen = {
            claim_id: (best.archive.verdict or "no verdict").upper()
            for claim_id, best in self.workspace.strong_matches().items()
        }
        self.claim_model.set_seen(seen)
        self._update_past_checks_tab()

    def _update_past_checks_tab(self) -> None:
        claim_id = self.workspace.selected_claim_id
        count = len(self.workspace.matches_for(claim_id)) if claim_id is not None else 0
        badge = "◆ " if claim_id is not None and self.workspace.strong_match(claim_id) else ""
        self.tabs.setTabText(1, f"{badge}Past checks ({count})" if count else "Past checks")

    def _on_claim_list_current(self, current: QModelIndex) -> None:
        if self._following_workspace:
            return
        claim = current.data(ItemRole) if current.isValid() else None
        if isinstance(claim, Claim):
            self.workspace.select_claim(claim.id)

    def _on_note_text_changed(self) -> None:
        if self._shown_claim_id is not None and not self.note.isReadOnly():
            self._note_timer.start()

    # -- showing ----------------------------------------------------------------------

    def _on_show_changed(self) -> None:
        self.claim_filter.set_show(str(self.show_combo.currentData()))
        self._select_row_of(self.workspace.selected_claim_id)

    def _on_type_changed(self) -> None:
        value = self.type_combo.currentData()
        self.claim_filter.set_claim_type(None if value is None else ClaimType(value))
        self._select_row_of(self.workspace.selected_claim_id)

    def _on_filter_text_changed(self, text: str) -> None:
        self.claim_filter.set_text(text)
        self._select_row_of(self.workspace.selected_claim_id)

    def _on_tag_filter_changed(self) -> None:
        value = self.tag_combo.currentData()
        self.claim_filter.set_tag(str(value) if value else None)
        self._select_row_of(self.workspace.selected_claim_id)

    def _refresh_tags(self) -> None:
        """The tags in use, for the filter and the editor's completion."""
        tags = self.workspace.store.tags()
        self.tag_completer.setModel(QStringListModel(tags, self.tag_completer))
        current = self.tag_combo.currentData()
        self.tag_combo.blockSignals(True)
        self.tag_combo.clear()
        self.tag_combo.addItem("All tags", None)
        for tag in tags:
            self.tag_combo.addItem(tag, tag)
        at = self.tag_combo.findData(current) if current else 0
        self.tag_combo.setCurrentIndex(max(0, at))
        self.tag_combo.blockSignals(False)
        if current and at < 0:
            self._on_tag_filter_changed()  # the tag is gone: show every claim again

    # -- saved filters ------------------------------------------------------------------

    def saved_filter_names(self) -> list[str]:
        return sorted(self._saved_filters(), key=str.casefold)

    def _saved_filters(self) -> dict[str, dict[str, object]]:
        raw = self.workspace.store.setting(SAVED_FILTERS_KEY) or "{}"
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):  # edited by hand: "[[[[..." nests too deep
            return {}
        return (
            {str(k): v for k, v in value.items() if isinstance(v, dict)}
            if isinstance(value, dict)
            else {}
        )

    def save_filter(self, name: str) -> None:
        """Keep the list's current filter under ``name`` (replacing one of that name)."""
        name = " ".join(name.split())
        if not name:
            return
        filters = self._saved_filters()
        filters[name] = self.claim_filter.state()
        self.workspace.remember(SAVED_FILTERS_KEY, json.dumps(filters, sort_keys=True))

    def apply_filter(self, name: str) -> None:
        state = self._saved_filters().get(name)
        if state is None:
            return
        self.show_combo.setCurrentIndex(max(0, self.show_combo.findData(state.get("show"))))
        self.type_combo.setCurrentIndex(max(0, self.type_combo.findData(state.get("type"))))
        tag = state.get("tag")
        self.tag_combo.setCurrentIndex(max(0, self.tag_combo.findData(tag) if tag else 0))
        if tag and self.tag_combo.findData(tag) < 0:  # spelt otherwise now: match any case
            match = next(
                (
                    i
                    for i in range(self.tag_combo.count())
                    if str(self.tag_combo.itemData(i) or "").casefold() == tag
                ),
                0,
            )
            self.tag_combo.setCurrentIndex(match)  # fmt: skip
        self.filter_text.setText(str(state.get("text") or ""))
        self.by_priority.setChecked(bool(state.get("by_priority")))

    def delete_filter(self, name: str) -> None:
        filters = self._saved_filters()
        if filters.pop(name, None) is not None:
            self.workspace.remember(SAVED_FILTERS_KEY, json.dumps(filters, sort_keys=True))

    def _fill_saved_filters_menu(self) -> None:
        menu = self.saved_filters.menu()
        menu.clear()
        names = self.saved_filter_names()
        for name in names:
            menu.addAction(name.replace("&", "&&"), functools.partial(self.apply_filter, name))
        if names:
            menu.addSeparator()
        menu.addAction("Save the current filter as…", self._ask_save_filter)
        if names:
            delete = menu.addMenu("Delete a saved filter")
            for name in names:
                delete.addAction(
                    name.replace("&", "&&"), functools.partial(self.delete_filter, name)
                )

    def _ask_save_filter(self) -> None:
        name, ok = QInputDialog.getText(self, "Save filter", "Name of this filter:")
        if ok:
            self.save_filter(name)

    # -- bulk actions on the selected claims ------------------------------------------

    def selected_claim_ids(self) -> list[int]:
        """The claims selected in the list, in the list's order."""
        rows = sorted(index.row() for index in self.claim_list.selectionModel().selectedRows())
        items = [self.claim_filter.index(row, 0).data(ItemRole) for row in rows]
        return [item.id for item in items if isinstance(item, Claim)]

    def _show_list_menu(self, position: QPoint) -> None:
        ids = self.selected_claim_ids()
        if not ids:
            return
        menu = QMenu(self)
        count = "this claim" if len(ids) == 1 else f"the {len(ids)} selected claims"
        for status in (Status.VERIFIED, Status.DISPUTED, Status.UNVERIFIABLE, Status.UNCHECKED):
            mark = functools.partial(self.workspace.set_statuses, ids, status)
            menu.addAction(status_icon(status), f"Mark {count} {LABELS[status].lower()}", mark)
        self._add_priority_menu(menu, ids)
        menu.addSeparator()
        menu.addAction(f"Add a tag to {count}…", lambda: self._ask_tag(ids))
        tags = sorted({t for i in ids if (c := self.workspace.claim(i)) for t in c.tags})
        if tags:
            remove = menu.addMenu(f"Remove a tag from {count}")
            for tag in tags:
                untag = functools.partial(self.workspace.tag_claims, ids, remove=[tag])
                remove.addAction(tag.replace("&", "&&"), untag)
        menu.exec(self.claim_list.viewport().mapToGlobal(position))

    def _add_priority_menu(self, menu: QMenu, ids: list[int]) -> None:
        """Your priority for the claims: later articles rank claims like them the same way.
        A choice is ticked when every selected claim has it."""
        chosen = {c.chosen_priority for i in ids if (c := self.workspace.claim(i)) is not None}
        choices = menu.addMenu("Priority")
        for value, label in PRIORITY_CHOICES:
            action = choices.addAction(
                label, functools.partial(self.workspace.set_priorities, ids, value)
            )
            action.setCheckable(True)
            action.setChecked(chosen == {value})

    def _ask_tag(self, ids: list[int]) -> None:
        tag, ok = QInputDialog.getItem(
            self, "Add a tag", "Tag:", self.workspace.store.tags(), editable=True
        )
        if ok and tag.strip():
            self.workspace.tag_claims(ids, add=[tag])

    def _on_by_priority_toggled(self, checked: bool) -> None:
        self.claim_filter.set_by_priority(checked)
        QSettings().setValue(BY_PRIORITY_SETTING, checked)  # kept for the next run
        self._select_row_of(self.workspace.selected_claim_id)

    def _select_row_of(self, claim_id: int | None) -> None:
        row = -1 if claim_id is None else self.claim_filter.row_of(claim_id)
        selection = self.claim_list.selectionModel()
        if row < 0:
            selection.clearSelection()
            return
        index = self.claim_filter.index(row, 0)
        if self.claim_list.currentIndex() != index:
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.claim_list.show_row(index)

    def _show_claim(self, claim: Claim | None, *, keep_note: bool = False) -> None:
        changed = claim is None or claim.id != self._shown_claim_id
        self._shown_claim_id = None if claim is None else claim.id
        self.editor.setEnabled(claim is not None)
        if claim is None:
            self.claim_text.setText("Select a claim (J / K) to record a verdict.")
            self.reasons.clear()
            self.status_group.setExclusive(False)
            for button in self.status_buttons.values():
                button.setChecked(False)
            self.status_group.setExclusive(True)
            self.note.blockSignals(True)
            self.note.clear()
            self.note.blockSignals(False)
            self.note.document().setModified(False)
            self.claimant.clear()
            self.tags.clear()
            self.evidence_model.set_items([])
            self._fit_evidence()
            self._fit_note()
            self._show_history(None)
            self.tabs.setTabText(self.tabs.indexOf(self.history), "History")
            return
        self.claim_text.setText(shown_text(claim.text))
        self.reasons.setText(claim_summary(claim, self.workspace.priorities).replace("\n", " · "))
        self.status_buttons[claim.status].setChecked(True)
        typing = keep_note and (self.note.hasFocus() or self._note_timer.isActive())
        # Text typed here and not saved yet stays in the editor; a note whose save failed
        # (a full disk, a lock: a dialog said so) comes back with its claim until a note
        # of that claim is saved.
        unsaved = self.note.document().isModified() and self.note.toPlainText() != claim.note
        kept = self.workspace.unsaved_notes.get(claim.id)
        if changed and kept is not None and kept != claim.note:
            self.note.blockSignals(True)
            self.note.setPlainText(kept)  # typed here, not saved: shown until it is
            self.note.blockSignals(False)
            self.note.document().setModified(True)
        elif (changed or not (typing or unsaved)) and self.note.toPlainText() != claim.note:
            self.note.blockSignals(True)
            self.note.setPlainText(claim.note)
            self.note.blockSignals(False)
        if self.note.toPlainText() == claim.note:
            self.note.document().setModified(False)
        if changed or not self.claimant.hasFocus():
            self.claimant.setText(claim.claimant)
        if changed or not self.tags.hasFocus():
            self.tags.setText(", ".join(claim.tags))
        added = not changed and len(claim.evidence) > self.evidence_model.rowCount()
        self.evidence_model.set_items(claim.evidence)
        self._fit_evidence()
        self._fit_note()
        self._show_history(claim)
        if added:  # cited, dropped or added: show it, however small the panel
            last = self.evidence_model.index(self.evidence_model.rowCount() - 1, 0)
            self.evidence_list.scrollTo(last)
            # Once the editor is laid out again at its new height.
            QTimer.singleShot(0, self, self._reveal_evidence)
