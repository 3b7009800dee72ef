"""The claim panel: the article's claims in reading order, and the selected claim's verdict.

Status buttons, claimant, note and evidence links all edit through the workspace, so
every change is saved as it is made and can be undone.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.dialogs import EvidenceDialog
from ui.item_models import ClaimFilter, ClaimListModel, EvidenceListModel, ItemRole, claim_summary
from ui.past_checks import PastChecksView
from ui.safe_text import open_web_link, plain_label
from ui.status_style import LABELS, SHORTCUT_KEYS, status_icon
from ui.workspace import Workspace
from workbench.history import describe
from workbench.models import Claim, ClaimType, Evidence, Status
from workbench.textsafety import http_url

log = logging.getLogger("ui.claim_panel")

NOTE_SAVE_DELAY_MS = 400
"""Typing pauses this long before the note is saved (and always on leaving the claim)."""


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

        self.claim_model = ClaimListModel(self)
        self.claim_filter = ClaimFilter(self.claim_model, self)
        self.show_combo = QComboBox(self)
        self.show_combo.setObjectName("claim_show")
        self.show_combo.setToolTip("Which claims the list shows")
        for key, label in ClaimFilter.SHOW.items():
            self.show_combo.addItem(label, key)
        self.show_combo.currentIndexChanged.connect(self._on_show_changed)
        self.type_combo = QComboBox(self)
        self.type_combo.setObjectName("claim_type")
        self.type_combo.setToolTip("Only claims of one type")
        self.type_combo.addItem("All types", None)
        for claim_type in ClaimType:
            self.type_combo.addItem(claim_type.label.capitalize(), claim_type.value)
        self.type_combo.currentIndexChanged.connect(self._on_type_changed)
        self.by_priority = QCheckBox("Most urgent first", self)
        self.by_priority.setObjectName("claim_by_priority")
        self.by_priority.setToolTip("Order the list by priority instead of reading order")
        self.by_priority.toggled.connect(self._on_by_priority_toggled)
        self.claim_list = QListView(self)
        self.claim_list.setObjectName("claim_list")
        self.claim_list.setModel(self.claim_filter)
        self.claim_list.setWordWrap(True)
        self.claim_list.setAlternatingRowColors(True)
        self.claim_list.setSpacing(2)
        self.claim_list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.claim_list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.claim_list.selectionModel().currentChanged.connect(self._on_claim_list_current)

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

        self.evidence_model = EvidenceListModel(self)
        self.evidence_list = QListView(self.editor)
        self.evidence_list.setObjectName("evidence_list")
        self.evidence_list.setModel(self.evidence_model)
        self.evidence_list.setWordWrap(True)
        self.evidence_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.evidence_list.doubleClicked.connect(self._on_evidence_double_clicked)
        self.evidence_list.setToolTip("Double-click to open; drop a link here to add it")
        self.add_evidence_button = QPushButton("Add link…", self.editor)
        self.add_evidence_button.setToolTip("Add an evidence link (L); or drop a URL on the panel")
        self.add_evidence_button.clicked.connect(self.request_add_evidence)
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
            self.edit_evidence_button,
            self.remove_evidence_button,
            self.open_evidence_button,
        ):
            evidence_buttons.addWidget(button)
        evidence_buttons.addStretch(1)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Claimant", self.claimant)
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
        self.tabs.addTab(self.editor, "Verdict")
        self.tabs.addTab(self.past_checks, "Past checks")
        self.history = QListWidget(self)
        self.history.setObjectName("claim_history")
        self.history.setWordWrap(True)
        self.history.setAlternatingRowColors(True)
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

    def _fit_evidence(self) -> None:
        """No empty box for links: the list shows only when there are some, as tall as them."""
        rows = self.evidence_model.rowCount()
        self.evidence_list.setVisible(rows > 0)
        if rows:
            height = sum(self.evidence_list.sizeHintForRow(r) for r in range(min(rows, 5)))
            self.evidence_list.setFixedHeight(height + 2 * self.evidence_list.frameWidth() + 6)
        self.edit_evidence_button.setVisible(rows > 0)
        self.remove_evidence_button.setVisible(rows > 0)
        self.open_evidence_button.setVisible(rows > 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        escape = (
            watched in (self.note, self.claimant)
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        )
        if escape and event.type() == QEvent.Type.ShortcutOverride:
            event.accept()  # Esc is ours here, whatever else it is bound to
            return True
        if escape and event.type() == QEvent.Type.KeyPress:
            if watched is self.note:
                self.save_note()
            else:
                self._save_claimant()
            self.editing_left.emit()
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
            self.history.addItem(item)
        self.tabs.setTabText(2, f"History ({len(entries)})" if entries else "History")

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
        answer = EvidenceDialog.ask(self, url=item.url, title=item.title, note=item.note)
        if answer is not None:
            self.workspace.edit_evidence(item, *answer)

    def _remove_current_evidence(self) -> None:
        item = self._current_evidence()
        if item is not None:
            self.workspace.remove_evidence(item)

    def _open_current_evidence(self) -> None:
        item = self._current_evidence()
        if item is not None:
            self._open_url(item.url)

    def _on_evidence_double_clicked(self, index: QModelIndex) -> None:
        item = index.data(ItemRole)
        if isinstance(item, Evidence):
            self._open_url(item.url)

    def _open_url(self, url: str) -> None:
        if not open_web_link(url):
            self.error_occurred.emit(f"Only http and https links are opened: {url}")

    # -- drops: a link dropped on the panel becomes evidence -------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._shown_claim_id is not None and self._dropped_url(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        url = self._dropped_url(event)
        if url is not None and self._shown_claim_id is not None:
            event.acceptProposedAction()
            self.workspace.add_evidence(self._shown_claim_id, url)
        else:
            event.ignore()

    @staticmethod
    def _dropped_url(event: QDragEnterEvent | QDropEvent) -> str | None:
        mime = event.mimeData()
        candidates = [u.toString() for u in mime.urls()] if mime.hasUrls() else []
        if mime.hasText():
            candidates.append(mime.text().strip())
        return next((c for c in candidates if http_url(c)), None)

    # -- following the workspace ------------------------------------------------------

    def _on_workspace_article_opened(self) -> None:
        self._note_timer.stop()
        self._shown_claim_id = None
        self.claim_model.set_thresholds(self.workspace.priorities)
        self.claim_model.set_items(self.workspace.claims)
        self._show_claim(None)

    def _on_workspace_claims_changed(self) -> None:
        self.claim_model.set_items(self.workspace.claims)
        self._show_claim(self.workspace.selected_claim)
        self._select_row_of(self.workspace.selected_claim_id)

    def _on_workspace_claim_updated(self, claim: Claim) -> None:
        row = self.claim_model.row_of(claim.id)
        if row >= 0:
            self.claim_model.replace_item(row, claim)
        if claim.id == self._shown_claim_id:
            self._show_claim(claim, keep_note=True)

    def _on_workspace_claim_selected(self, claim_id: int | None) -> None:
        if self._note_timer.isActive():
            self.save_note()
        self._show_claim(self.workspace.selected_claim)
        self._select_row_of(claim_id)
        self._update_past_checks_tab()

    def _on_workspace_matches_changed(self) -> None:
        seen = {}
        for claim in self.workspace.claims:
            best = self.workspace.strong_match(claim.id)
            if best is not None:
                seen[claim.id] = (best.archive.verdict or "no verdict").upper()
        self.claim_model.set_seen(seen)
        self._update_past_checks_tab()

    def _update_past_checks_tab(self) -> None:
        claim_id = self.workspace.selected_claim_id
        count = len(self.workspace.matches_for(claim_id)) if claim_id is not None else 0
        badge = "◆ " if claim_id is not None and self.workspace.strong_match(claim_id) else ""
        self.tabs.setTabText(1, f"{badge}Past checks ({count})" if count else "Past checks")

    def _on_claim_list_current(self, current: QModelIndex) -> None:
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

    def _on_by_priority_toggled(self, checked: bool) -> None:
        self.claim_filter.set_by_priority(checked)
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
        self.claim_list.scrollTo(index)

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
            self.evidence_model.set_items([])
            self._fit_evidence()
            self._fit_note()
            self._show_history(None)
            self.tabs.setTabText(2, "History")
            return
        self.claim_text.setText(claim.text)
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
        self.evidence_model.set_items(claim.evidence)
        self._fit_evidence()
        self._fit_note()
        self._show_history(claim)
