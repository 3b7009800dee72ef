"""Qt item models: thin adapters over lists of core objects."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel

from ui.safe_text import (
    MAX_SHOWN_TITLE,
    MAX_TOOLTIP_URL,
    shown_field,
    shown_link,
    shown_text,
    shown_title,
    tooltip,
)
from ui.status_style import GLYPHS, LABELS, status_icon
from workbench.display import display_date, speaker_name
from workbench.models import ArchiveClaim, Claim, ClaimOrigin, ClaimType, Evidence, Match, Status
from workbench.priority import Priority, PriorityThresholds
from workbench.store import ArticleSummary
from workbench.textsafety import clipped, shown_url

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex

MAX_SHOWN_VERDICT = 80
"""The most characters of a past check's verdict a row shows ("FALSE", "Half true")."""

ItemRole = Qt.ItemDataRole.UserRole + 1
"""The core object behind a row (an ``ArticleSummary``, ``Claim`` or ``Evidence``)."""
UrgencyRole = ItemRole + 1
"""A claim's place when the list shows the most urgent first (text Qt sorts by)."""
_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren
)


class _ListModel(QAbstractListModel, Generic[T]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[T] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt API)
        return 0 if parent.isValid() else len(self._items)

    @property
    def items(self) -> list[T]:
        return list(self._items)

    def item(self, row: int) -> T:
        return self._items[row]

    def set_items(self, items: Sequence[T]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def replace_item(self, row: int, item: T) -> None:
        self._items[row] = item
        index = self.index(row, 0)
        self.dataChanged.emit(index, index)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == ItemRole:
            return item
        return self._data(item, role)

    def _data(self, item: T, role: int) -> Any:
        raise NotImplementedError


class ArticleListModel(_ListModel[ArticleSummary]):
    """The library: one row per stored article, newest first."""

    def row_of(self, article_id: int) -> int:
        return next((i for i, a in enumerate(self._items) if a.id == article_id), -1)

    def _data(self, item: ArticleSummary, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            date = item.published or f"imported {item.imported_at[:10]}"
            archived = "archived" if item.archived_at else ""
            tags = f"tags: {', '.join(item.tags)}" if item.tags else ""
            details = " · ".join(p for p in (item.source, date, archived, tags) if p)
            progress = f"{item.checked_count}/{item.claim_count} checked"
            return f"{shown_title(item.title)}\n{details} · {progress}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(item.title)
        return None


class ClaimListModel(QStandardItemModel):
    """An article's claims in reading order, with status, priority and a seen-before badge.

    Each row's text, icon, font, tooltip and sort key are worked out when its claim
    arrives or changes, and Qt keeps them: the list measures every row through about
    sixteen calls to the model, and a model written in Python answered each of them
    in Python. On a 61,000-word article (1,542 claims) that was 50,000 calls into
    Python when it opened, 0.8 s on an idle machine and seconds while other work held
    the interpreter.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: list[Claim] = []
        self._rows: dict[int, int] = {}
        self._seen: dict[int, str] = {}
        self.thresholds = PriorityThresholds()

    def item_at(self, row: int) -> Claim:
        """The claim of a row (``QStandardItemModel.item`` is Qt's own item)."""
        return self._items[row]

    def row_of(self, claim_id: int) -> int:
        return self._rows.get(claim_id, -1)

    def set_items(self, claims: Sequence[Claim], thresholds: PriorityThresholds) -> None:
        """Show ``claims``, graded with ``thresholds`` (given here: set apart, the rows
        shown before would be worked out again with them first)."""
        self.thresholds = thresholds
        self._items = list(claims)
        self._rows = {claim.id: row for row, claim in enumerate(self._items)}
        self.setRowCount(0)
        rows = []
        for claim in self._items:
            row = QStandardItem()
            row.setFlags(_ROW_FLAGS)
            self._fill(row, claim)
            rows.append(row)
        self.invisibleRootItem().appendRows(rows)  # one insertion, not one per claim

    def replace_item(self, row: int, claim: Claim) -> None:
        self._items[row] = claim
        self._rows[claim.id] = row
        self._fill(self.item(row), claim)

    def set_thresholds(self, thresholds: PriorityThresholds) -> None:
        """The boundaries between high, medium and low priority (from the settings),
        graded against the article; the rows are worked out again only if they moved."""
        if thresholds == self.thresholds:
            return
        self.thresholds = thresholds
        for row, claim in enumerate(self._items):
            self._fill(self.item(row), claim)

    def set_seen(self, seen: dict[int, str]) -> None:
        """Claims with a strong past match, and that match's verdict.

        Only the rows whose badge changed are redrawn: matching reports a slice of claims
        at a time, and redrawing every row held the window up for 17 s on a
        61,000-word article while other work ran.
        """
        changed = {i for i in self._seen.keys() | seen.keys() if self._seen.get(i) != seen.get(i)}
        self._seen = dict(seen)
        for claim_id in changed:
            row = self._rows.get(claim_id, -1)
            if row >= 0:
                self._fill(self.item(row), self._items[row])

    def _fill(self, row: QStandardItem, claim: Claim) -> None:
        """Set every role of the row of ``claim``."""
        thresholds = self.thresholds
        priority = thresholds.of(claim)
        label = priority_label(claim, thresholds)
        seen = (
            f" · ◆ checked before: {shown_field(self._seen[claim.id], MAX_SHOWN_VERDICT)}"
            if claim.id in self._seen
            else ""
        )
        tags = f" · tags: {', '.join(claim.tags)}" if claim.tags else ""
        unchecked = claim.status is Status.UNCHECKED
        # The few claims to look at first stand out in the list as in the text.
        urgent = unchecked and priority is Priority.HIGH
        # Unchecked before checked (a verdict given is no longer urgent), then by
        # priority, then by score, then in reading order; Qt compares the keys as text.
        score = min(max(claim.score, 0.0), 1.0)
        key = f"{0 if unchecked else 1}{priority.rank:02d}{1.0 - score:.9f}{claim.start:012d}"
        values: dict[int, object] = {
            Qt.ItemDataRole.DisplayRole: (
                f"{shown_text(claim.text)}\n"
                f"{GLYPHS[claim.status]} {LABELS[claim.status]} · {label}{tags}{seen}"
            ),
            Qt.ItemDataRole.DecorationRole: status_icon(claim.status),
            Qt.ItemDataRole.FontRole: _bold() if urgent else None,
            Qt.ItemDataRole.ToolTipRole: tooltip(claim_summary(claim, thresholds)),
            Qt.ItemDataRole.AccessibleTextRole: (
                f"{LABELS[claim.status]} claim, {label.lower()}: {shown_text(claim.text)}"
            ),
            ItemRole: claim,
            UrgencyRole: key,
        }
        if row.model() is None:  # a new row: nothing shows it yet
            for role, value in values.items():
                row.setData(value, role)
        else:  # one change for the list, whatever changed
            self.setItemData(row.index(), values)


@cache
def _bold() -> QFont:
    """The list's font in bold (made on first use: a font needs the application)."""
    font = QFont()
    font.setBold(True)
    return font


def priority_label(claim: Claim, thresholds: PriorityThresholds) -> str:
    """ "High priority", or "High priority (yours)" for one the fact-checker gave."""
    label = thresholds.of(claim).label
    return f"{label} (yours)" if claim.chosen_priority else label


def claim_summary(claim: Claim, thresholds: PriorityThresholds) -> str:
    """Status, priority (with the detector's score) and reasons, for tooltips and the panel."""
    priority = thresholds.of(claim)
    if claim.origin is ClaimOrigin.USER:
        given = f"{priority.label.lower()} (yours) · " if claim.chosen_priority else ""
        return f"{LABELS[claim.status]} · {given}added by you"
    reasons = ", ".join(claim.reasons) or "no reasons recorded"
    if claim.chosen_priority:
        score = f"yours; the detector scored it {claim.score:.2f}"
    else:
        rank = thresholds.rank_note(claim)
        score = f"score {claim.score:.2f}{'; ' if rank else ''}{rank}"
    return f"{LABELS[claim.status]} · {priority.label} ({score})\n{reasons}"


class ClaimFilter(QSortFilterProxyModel):
    """The claim list as the fact-checker asks to see it: which claims, in what order."""

    SHOW: ClassVar[dict[str, str]] = {
        "all": "All claims",
        "unchecked": "Unchecked",
        "urgent": "High priority and yours",
        "urgent_unchecked": "Unchecked, high priority and yours",
        "checked": "With a verdict",
        Status.VERIFIED.value: "Verified",
        Status.DISPUTED.value: "Disputed",
        Status.UNVERIFIABLE.value: "Unverifiable",
    }

    def __init__(self, source: ClaimListModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.claims = source
        self.setSourceModel(source)
        self.setSortRole(UrgencyRole)
        self.showing = "all"
        self.claim_type: ClaimType | None = None
        self.by_priority = False
        self.tag: str | None = None
        self.words: list[str] = []

    def set_tag(self, tag: str | None) -> None:
        """Only claims with this tag (None: with any tags or none)."""
        self.tag = tag.casefold() if tag else None
        self.invalidate()

    def set_text(self, text: str) -> None:
        """Only claims whose text, claimant, note or tags hold every word of ``text``."""
        self.words = text.casefold().split()
        self.invalidate()

    def state(self) -> dict[str, object]:
        """The filter as a saved filter keeps it."""
        return {
            "show": self.showing,
            "type": self.claim_type.value if self.claim_type is not None else None,
            "tag": self.tag,
            "text": " ".join(self.words),
            "by_priority": self.by_priority,
        }

    def set_show(self, show: str) -> None:
        if show not in self.SHOW:
            raise ValueError(f"unknown claim filter {show!r}")
        self.showing = show
        self.invalidate()

    def set_claim_type(self, claim_type: ClaimType | None) -> None:
        """Only claims of this type (None: every type)."""
        self.claim_type = claim_type
        self.invalidate()

    def set_by_priority(self, by_priority: bool) -> None:
        """Most urgent first (``UrgencyRole``, see :class:`ClaimListModel`), or reading
        order alone."""
        self.by_priority = by_priority
        self.invalidate()
        self.sort(0 if by_priority else -1)

    def row_of(self, claim_id: int) -> int:
        """The claim's row in the list as shown, or -1 if it is filtered out."""
        source_row = self.claims.row_of(claim_id)
        if source_row < 0:
            return -1
        return self.mapFromSource(self.claims.index(source_row, 0)).row()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        claim = self.claims.item_at(source_row)
        if self.claim_type is not None and claim.type is not self.claim_type:
            return False
        if self.tag is not None and self.tag not in {t.casefold() for t in claim.tags}:
            return False
        if self.words:
            haystack = " ".join((claim.text, claim.claimant, claim.note, *claim.tags)).casefold()
            if not all(word in haystack for word in self.words):
                return False
        if (
            self.showing in ("unchecked", "urgent_unchecked")
            and claim.status is not Status.UNCHECKED
        ):
            return False
        if self.showing in ("urgent", "urgent_unchecked"):
            return self.claims.thresholds.of(claim) in (Priority.HIGH, Priority.MANUAL)
        if self.showing == "checked":
            return claim.status is not Status.UNCHECKED
        if self.showing in (Status.VERIFIED, Status.DISPUTED, Status.UNVERIFIABLE):
            return claim.status.value == self.showing
        return True


class EvidenceListModel(_ListModel[Evidence]):
    """A claim's evidence: a link's title (or URL) with the URL beneath; a vaulted file's
    title with its name, page and quote."""

    def _data(self, item: Evidence, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if item.file is not None:
                page = f", page {item.quote.page}" if item.quote and item.quote.page else ""
                name = shown_field(item.file.original_name)
                lines = [shown_field(item.title) or name, f"File: {name}{page}"]
                if item.quote is not None:
                    lines.append(f"“{shown_field(item.quote.text, 160)}”")
                return "\n".join(lines)
            url = shown_link(item.url)
            title = shown_field(item.title)
            return f"{title}\n{url}" if title else url
        if role == Qt.ItemDataRole.ToolTipRole:
            kept = (
                f"Kept in the evidence vault; SHA-256 {item.file.sha256}. Double-click to open."
                if item.file is not None
                else ""
            )
            url = shown_url(item.url, limit=MAX_TOOLTIP_URL) if item.url else ""
            return tooltip("\n".join(p for p in (url, kept, item.note) if p))
        return None


class MatchListModel(_ListModel[Match]):
    """Past checks similar to the selected claim, best first."""

    def _data(self, item: Match, role: int) -> Any:
        past = item.archive
        if role == Qt.ItemDataRole.DisplayRole:
            details = " · ".join(
                p
                for p in (
                    f"{item.score:.2f} {item.strength.value}",
                    shown_field((past.verdict or "no verdict").upper(), MAX_SHOWN_VERDICT),
                    shown_field(past.publisher or past.source),
                    display_date(past.date),
                )
                if p
            )
            conflict = (
                f"\n⚠ differs: {shown_text('; '.join(map(str, item.conflicts)))}"
                if item.conflicts
                else ""
            )
            return f"{details}\n{shown_text(past.text)}{conflict}"
        if role == Qt.ItemDataRole.ToolTipRole:
            signals = ", ".join(f"{name} {value:.2f}" for name, value in item.signals)
            # A look-alike host with its real name, before the tooltip's cut.
            url = shown_url(past.url, limit=MAX_TOOLTIP_URL) if past.url else ""
            title = clipped(past.title, MAX_SHOWN_TITLE)
            return tooltip("\n".join(p for p in (title, url, signals) if p))
        return None


class ArchiveListModel(_ListModel[ArchiveClaim]):
    """Past checks found by an archive search."""

    def _data(self, item: ArchiveClaim, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            source = "your verdict" if item.source == "own" else (item.publisher or item.source)
            verdict = shown_field((item.verdict or "").upper(), MAX_SHOWN_VERDICT)
            details = " · ".join(
                p for p in (verdict, shown_field(source), display_date(item.date)) if p
            )
            return f"{shown_text(item.text)}\n{details}"
        if role == Qt.ItemDataRole.ToolTipRole:
            speaker = speaker_name(item.speaker)
            # A look-alike host with its real name, before the tooltip's cut.
            url = shown_url(item.url, limit=MAX_TOOLTIP_URL) if item.url else ""
            title = clipped(item.title, MAX_SHOWN_TITLE)
            return tooltip("\n".join(p for p in (title, shown_field(speaker), url) if p))
        return None
