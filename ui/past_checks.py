"""Past checks similar to the selected claim: score, verdict, source and date; why they
match (shared words, numbers and names marked side by side, differing figures flagged);
and one action to apply a past verdict. Dates read as dates and speakers stored as
slugs as names (:mod:`workbench.display`).

On a team, the collection menu also offers the team server: the selected claim is then
searched in the archive on the server (:func:`workbench.team.search.search_team`), in a
job off the UI thread, and its results are kept per claim until the options change."""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QListView,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.archive_work import TOP_MATCHES
from ui.dialogs import Messages
from ui.item_models import MAX_SHOWN_VERDICT, ItemRole, MatchListModel
from ui.jobs import JobContext, JobRunner
from ui.safe_text import narrow_combo, open_web_link, plain_label, shown_field
from ui.workspace import Workspace
from workbench.display import display_date, speaker_name
from workbench.engine import Engine
from workbench.models import Claim, Match
from workbench.store import Store
from workbench.store.outbox import TEAM_DSN
from workbench.textsafety import http_url, without_controls

Span = tuple[int, int]

ON_SERVER = "\x00team-server"
"""The collection menu's entry for searching the team server (no collection has this name)."""


def _escaped(text: str) -> str:
    """A piece of outside text for HTML: escaped, without the controls that reorder
    what follows it (a past claim ending in U+202E reversed the verdict line below)."""
    return html.escape(without_controls(text))


def marked_html(text: str, shared: Iterable[Span], differing: Iterable[Span]) -> str:
    """``text`` escaped, shared spans in bold, differing spans underlined in red."""
    marks = sorted(
        [(s, e, "shared") for s, e in shared] + [(s, e, "differs") for s, e in differing]
    )
    out, pos = [], 0
    for start, end, kind in marks:
        if start < pos or end <= start:
            continue  # overlapping spans: the first one wins
        out.append(_escaped(text[pos:start]))
        inner = _escaped(text[start:end])
        if kind == "shared":
            out.append(f"<b>{inner}</b>")
        else:
            out.append(f'<span style="color:#c0392b; text-decoration: underline;">{inner}</span>')
        pos = end
    out.append(_escaped(text[pos:]))
    return "".join(out)


def explanation_html(claim: Claim, match: Match) -> str:
    """The claim and the past check side by side, what they share and where they differ."""
    past = match.archive
    claim_side = marked_html(
        claim.text,
        [span for term in match.shared for span in term.query_spans],
        [c.query_span for c in match.conflicts],
    )
    past_side = marked_html(
        past.text,
        [span for term in match.shared for span in term.archive_spans],
        [c.archive_span for c in match.conflicts],
    )
    rows = [
        "<table width='100%' cellspacing='6'><tr>"
        "<th align='left'>This claim</th><th align='left'>Past check</th></tr><tr>",
        f"<td valign='top'>{claim_side}</td><td valign='top'>{past_side}</td></tr></table>",
    ]
    if match.conflicts:
        differences = "; ".join(_escaped(str(c)) for c in match.conflicts)
        warning = f"⚠ This claim and the past check differ: {differences}"
        rows.append(f"<p style='color:#c0392b'>{warning}</p>")
    terms = ", ".join(_escaped(t.text) for t in match.shared[:12])
    if terms:
        rows.append(f"<p>Shared: {terms}</p>")
    # upper first: &amp; stays
    verdict = html.escape(shown_field((past.verdict or "no verdict").upper(), MAX_SHOWN_VERDICT))
    details = (past.publisher or past.source, speaker_name(past.speaker), display_date(past.date))
    who = html.escape(" · ".join(shown_field(p) for p in details if p))
    rows.append(f"<p><b>{verdict}</b> · {who}</p>")
    return "".join(rows)


class PastChecksView(QWidget):
    """The list of similar past checks for the selected claim, with the chosen one explained."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("past_checks")
        self.workspace = workspace
        self.model = MatchListModel(self)
        self.list = QListView(self)
        self.list.setObjectName("past_check_list")
        self.list.setModel(self.model)
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        self.list.setAlternatingRowColors(True)
        self.list.selectionModel().currentChanged.connect(self._on_list_current)
        self.list.doubleClicked.connect(self._open_link)
        self.explanation = QTextBrowser(self)
        self.explanation.setObjectName("match_explanation")
        self.explanation.setOpenLinks(False)
        self.status = plain_label(parent=self)
        self.status.setWordWrap(True)
        self.source = narrow_combo(QComboBox(self))
        self.source.setObjectName("match_source")
        self.source.setToolTip("Compare with every past check, or only one collection")
        self.recent = QCheckBox("Prefer recent checks", self)
        self.source.activated.connect(self._on_options_changed)
        self.recent.toggled.connect(self._on_options_changed)
        options = QHBoxLayout()
        options.addWidget(self.source, 1)
        options.addWidget(self.recent)
        self.apply_button = QPushButton("Apply this verdict", self)
        self.apply_button.setToolTip("Copy the past verdict and its link to this claim (undoable)")
        self.apply_button.clicked.connect(self.apply_selected)
        self.open_button = QPushButton("Open link", self)
        self.open_button.clicked.connect(lambda: self._open_link(self.list.currentIndex()))
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.list)
        splitter.addWidget(self.explanation)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(options)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        workspace.matches_changed.connect(self.refresh)
        workspace.claim_selected.connect(self.refresh)
        workspace.matcher.busy_changed.connect(self._on_matcher_busy)
        workspace.matcher.mode_changed.connect(self.refresh)
        workspace.archive_counted.connect(self._list_sources)
        self.runner = JobRunner("team-search", self)
        self._server_results: dict[tuple[int, str], list[Match] | str] = {}
        """Per claim (id and text): the server's matches, or why it could not be searched."""
        self.refresh_sources()
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh_sources()  # your own verdicts may have started a new collection

    def refresh_sources(self) -> None:
        """The archive's collections, for restricting matches to one of them: counted on
        a worker (:meth:`Workspace.count_archive`), listed by :meth:`_list_sources`."""
        self.workspace.count_archive()

    def _list_sources(self, counts: dict[str, int], embedded: int) -> None:
        current = self.source.currentData()
        self.source.clear()
        self.source.addItem("All past checks", None)
        for name, count in counts.items():
            label = "Your own verdicts" if name == "own" else name
            self.source.addItem(f"{label} ({count:,})", name)
        if self.workspace.store.setting(TEAM_DSN):
            self.source.addItem("The team archive, searched on the server", ON_SERVER)
        self.source.setCurrentIndex(max(0, self.source.findData(current)))

    @property
    def on_server(self) -> bool:
        """Whether the claims are searched on the team server rather than in the database."""
        return bool(self.source.currentData() == ON_SERVER)

    def _on_options_changed(self) -> None:
        self._server_results.clear()
        if self.on_server:
            self.refresh()
            return
        source = self.source.currentData()
        self.workspace.set_match_options(
            source=source if isinstance(source, str) else None,
            prefer_recent=self.recent.isChecked(),
        )
        self.refresh()

    def shutdown(self) -> None:
        self.runner.shutdown()

    def refresh(self) -> None:
        if self.on_server:
            self._refresh_from_server()
            return
        claim = self.workspace.selected_claim
        matches = self.workspace.matches_for(claim.id) if claim else []
        # Matches arrive a slice of claims at a time: when this claim's are unchanged,
        # the list keeps the reader's place.
        unchanged = bool(matches) and matches == self.model.items
        if not unchanged:
            self.model.set_items(matches)
        if claim is None:
            text = "Select a claim to see similar past checks."
        elif claim.id not in self.workspace.matches and self.workspace.matcher.busy:
            text = "Looking for past checks…"
        elif not matches:
            text = "No similar past check in the archive."
        else:
            n = len(matches)
            text = "1 similar past check." if n == 1 else f"{n} similar past checks, best first."
        mode = self.workspace.matcher.mode
        self.status.setText(f"{text}\n{mode[:1].upper()}{mode[1:]}." if mode else text)
        if unchanged:
            pass
        elif matches:
            self.list.setCurrentIndex(self.model.index(0, 0))
        else:
            self.explanation.clear()
        self._update_buttons()

    def _refresh_from_server(self) -> None:
        claim = self.workspace.selected_claim
        if claim is None:
            self._show([], "Select a claim to search the team server for similar past checks.")
            return
        key = (claim.id, claim.text)
        found = self._server_results.get(key)
        if found is None:
            self._show([], "Searching the team archive on the server…")
            self._search_server(claim)
        elif isinstance(found, str):
            self._show([], f"The team server could not be searched: {found}.")
        elif not found:
            self._show([], "No similar past check in the team archive on the server.")
        else:
            n = len(found)
            self._show(
                found,
                "1 similar past check on the team server."
                if n == 1
                else f"{n} similar past checks on the team server, best first.",
            )

    def _show(self, matches: list[Match], text: str) -> None:
        if matches != self.model.items:
            self.model.set_items(matches)
            if matches:
                self.list.setCurrentIndex(self.model.index(0, 0))
            else:
                self.explanation.clear()
        self.status.setText(text)
        self._update_buttons()

    def _search_server(self, claim: Claim) -> None:
        key = (claim.id, claim.text)
        db_path: Path = self.workspace.store.path
        engine: Engine = self.workspace.engine
        recent = self.recent.isChecked()

        def search(context: JobContext) -> tuple[tuple[int, str], list[Match]]:
            from workbench.matching import POSSIBLE_MATCH
            from workbench.team import team_link
            from workbench.team.search import search_team

            with Store(db_path, check=False) as store:
                link = team_link(store)
                own = store.team_claim_uid(claim.id)
            [matches] = search_team(
                link,
                [claim.text],
                top_k=TOP_MATCHES,
                min_score=POSSIBLE_MATCH,  # as the local matching shows
                prefer_recent=recent,
                exclude_team_claims=[own] if own else (),
                encoder=engine.encoder(),
            )
            return key, matches

        def failed(message: str) -> None:
            self._server_results[key] = message
            self.refresh()

        self.runner.submit(
            search, group="search", supersede=True, latest_only=True,
            done=self._on_server_results, failed=failed,
        )  # fmt: skip

    def _on_server_results(self, result: tuple[tuple[int, str], list[Match]]) -> None:
        key, matches = result
        self._server_results[key] = matches
        self.refresh()

    def current_match(self) -> Match | None:
        index = self.list.currentIndex()
        item = index.data(ItemRole) if index.isValid() else None
        return item if isinstance(item, Match) else None

    def apply_selected(self) -> None:
        match, claim = self.current_match(), self.workspace.selected_claim
        if match is None or claim is None:
            return
        denial = next((c for c in match.conflicts if c.kind == "negation"), None)
        if denial is not None:
            verdict = shown_field(
                (match.archive.verdict or "no verdict").upper(), MAX_SHOWN_VERDICT
            )
            if not Messages.confirm(
                self,
                "Apply a verdict on the opposite claim?",
                f"This past check seems to say the opposite of this claim ({denial}).",
                f"Its verdict, {verdict}, may not hold for this claim as it stands.",
                action="Apply anyway",
            ):
                return
        self.workspace.apply_past_verdict(claim.id, match, on_server=self.on_server)

    def _on_list_current(self, current: QModelIndex) -> None:
        match, claim = self.current_match(), self.workspace.selected_claim
        if match is not None and claim is not None and current.isValid():
            self.explanation.setHtml(explanation_html(claim, match))
        self._update_buttons()

    def _update_buttons(self) -> None:
        match = self.current_match()
        self.apply_button.setEnabled(match is not None)
        self.open_button.setEnabled(match is not None and bool(http_url(match.archive.url)))

    def _open_link(self, index: QModelIndex) -> None:
        item = index.data(ItemRole) if index.isValid() else None
        if isinstance(item, Match):
            open_web_link(item.archive.url)

    def _on_matcher_busy(self, busy: bool) -> None:
        if self.on_server:
            return
        if busy and self.workspace.selected_claim is not None and not self.model.rowCount():
            self.status.setText("Looking for past checks…")
        elif not busy:
            self.refresh()
