"""Evidence links of a claim, and the history of every change made to a claim.

The history is written inside the transaction of the change it records (by this module's
methods and by :mod:`workbench.store.articles` and :mod:`workbench.store.archive`), and
outlives the claim: it says who checked what, and when.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from workbench.errors import NotFoundError
from workbench.models import Claim, Evidence, HistoryEntry
from workbench.store.db import StoreBase
from workbench.store.rows import _evidence_from_row, _now, validate_url

NOTE_COALESCE_S = 60.0
"""Note saves by one user within this many seconds form one history entry."""


def _seconds_between(earlier: str, later: str) -> float:
    try:
        return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()
    except ValueError:
        return float("inf")


class EvidenceMixin(StoreBase):
    """Evidence links and claim history."""

    def add_evidence(self, claim_id: int, url: str, *, title: str = "", note: str = "") -> Evidence:
        """Attach an evidence link; only http(s) URLs are accepted."""
        url = validate_url(url)
        current = self.claim(claim_id)
        now = _now()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO evidence (claim_id, url, title, note, added_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (claim_id, url, title.strip(), note, now),
            )
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, claim_id))
            self._record(conn, current, "evidence", None, url, now)
            self._sync_own_archive(conn, claim_id, now)
            evidence_id = int(cur.lastrowid or 0)
        return self.evidence(evidence_id)

    def evidence(self, evidence_id: int) -> Evidence:
        rows = self._read("SELECT * FROM evidence WHERE id = ?", (evidence_id,))
        if not rows:
            raise NotFoundError(f"no evidence link with id {evidence_id}")
        return _evidence_from_row(rows[0])

    def update_evidence(
        self,
        evidence_id: int,
        *,
        url: str | None = None,
        title: str | None = None,
        note: str | None = None,
    ) -> Evidence:
        """Edit an evidence link's URL, title or note."""
        item = self.evidence(evidence_id)
        new_url = validate_url(url) if url is not None else item.url
        new_title = title.strip() if title is not None else item.title
        new_note = note if note is not None else item.note
        if (new_url, new_title, new_note) == (item.url, item.title, item.note):
            return item
        current = self.claim(item.claim_id)
        now = _now()
        with self._write() as conn:
            conn.execute(
                "UPDATE evidence SET url = ?, title = ?, note = ? WHERE id = ?",
                (new_url, new_title, new_note, evidence_id),
            )
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, item.claim_id))
            if new_url != item.url:
                self._record(conn, current, "evidence", item.url, new_url, now)
                self._sync_own_archive(conn, item.claim_id, now)
        return self.evidence(evidence_id)

    def restore_evidence(self, item: Evidence) -> Evidence:
        """Put back a removed evidence link with its original id (undo of a removal)."""
        current = self.claim(item.claim_id)
        now = _now()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO evidence (id, claim_id, url, title, note, added_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (item.id, item.claim_id, validate_url(item.url), item.title, item.note,
                 item.added_at),
            )  # fmt: skip
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, item.claim_id))
            self._record(conn, current, "evidence", None, item.url, now)
            self._sync_own_archive(conn, item.claim_id, now)
        return self.evidence(item.id)

    def remove_evidence(self, evidence_id: int) -> Evidence:
        item = self.evidence(evidence_id)
        current = self.claim(item.claim_id)
        now = _now()
        with self._write() as conn:
            conn.execute("DELETE FROM evidence WHERE id = ?", (evidence_id,))
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, item.claim_id))
            self._record(conn, current, "evidence", item.url, None, now)
            self._sync_own_archive(conn, item.claim_id, now)
        return item

    # -- history -------------------------------------------------------------------

    def history(self, claim_id: int) -> list[HistoryEntry]:
        """Every recorded change to a claim, oldest first (kept after the claim is removed)."""
        rows = self._read(
            "SELECT id, claim_id, field, old, new, changed_by, changed_at FROM claim_history"
            " WHERE claim_id = ? ORDER BY id",
            (claim_id,),
        )
        return [HistoryEntry(**dict(r)) for r in rows]

    def checkers(self, article_id: int) -> list[tuple[str, str]]:
        """Who changed an article's claims, with when each last did: ``(user, changed_at)``.

        In order of each person's first change, for the "checked by" line of a report.
        """
        rows = self._read(
            "SELECT changed_by, MAX(changed_at) AS last FROM claim_history WHERE article_id = ?"
            " GROUP BY changed_by ORDER BY MIN(id)",
            (article_id,),
        )
        return [(str(r["changed_by"]), str(r["last"])) for r in rows]

    def _record(
        self,
        conn: sqlite3.Connection,
        claim: Claim,
        field: str,
        old: str | None,
        new: str | None,
        when: str,
    ) -> None:
        """Add a history row; a note typed in several saves within a minute is one change."""
        if field == "note":
            last = conn.execute(
                "SELECT id, field, new, changed_by, changed_at FROM claim_history"
                " WHERE claim_id = ? ORDER BY id DESC LIMIT 1",
                (claim.id,),
            ).fetchone()
            if (
                last is not None
                and last["field"] == "note"
                and last["new"] == old
                and last["changed_by"] == self.user
                and _seconds_between(last["changed_at"], when) < NOTE_COALESCE_S
            ):
                conn.execute(
                    "UPDATE claim_history SET new = ?, changed_at = ? WHERE id = ?",
                    (new, when, last["id"]),
                )
                return
        self._record_raw(conn, claim.id, claim.article_id, field, old, new, when)

    def _record_raw(
        self,
        conn: sqlite3.Connection,
        claim_id: int,
        article_id: int,
        field: str,
        old: str | None,
        new: str | None,
        when: str,
    ) -> None:
        conn.execute(
            "INSERT INTO claim_history (claim_id, article_id, field, old, new, changed_by,"
            " changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (claim_id, article_id, field, old, new, self.user, when),
        )
