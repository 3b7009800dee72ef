"""Evidence links of a claim, and the history of every change made to a claim.

The history is written inside the transaction of the change it records (by this module's
methods and by :mod:`workbench.store.articles` and :mod:`workbench.store.archive`), and
outlives the claim: it says who checked what, and when.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from workbench.errors import NotFoundError, ValidationError
from workbench.models import Claim, Evidence, HistoryEntry, Quote, VaultFile
from workbench.store.db import StoreBase
from workbench.store.rows import (
    EVIDENCE_COLUMNS,
    _evidence_from_row,
    _now,
    _vault_file_from_row,
    evidence_values,
    validate_url,
)
from workbench.vault import file_path

if TYPE_CHECKING:
    from workbench.vault import StoredFile

NOTE_COALESCE_S = 60.0
"""Note saves by one user within this many seconds form one history entry..."""
NOTE_KEPT_CUT = 40
"""...unless a save cuts more characters than this: the text before the cut is kept."""


def put_back_vault_records(conn: sqlite3.Connection, files: Sequence[VaultFile]) -> None:
    """Record again the vault files of evidence being put back (an undo of a removal).

    ``workbench vault prune`` forgets a file once no evidence uses it, even while the
    app could still undo the removal: without its record the evidence could not come
    back (and an undone article deletion would lose the article). If the file itself
    is gone by then, the evidence is back all the same and ``workbench check`` names
    the missing file.
    """
    conn.executemany(
        "INSERT INTO vault_files (sha256, size, media_type, original_name, source_url,"
        " captured_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
        [(f.sha256, f.size, f.media_type, f.original_name, f.source_url, f.captured_at)
         for f in files],
    )  # fmt: skip


def _cut_length(before: str, after: str) -> int:
    """How many characters of ``before`` are gone from ``after`` (deleted or replaced)."""
    prefix = 0
    limit = min(len(before), len(after))
    while prefix < limit and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and before[-1 - suffix] == after[-1 - suffix]:
        suffix += 1
    return len(before) - prefix - suffix


def _seconds_between(earlier: str, later: str) -> float:
    try:
        return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()
    except ValueError:
        return float("inf")


def _described(item: Evidence) -> str:
    """How the history names a piece of evidence: its link, or its file."""
    if item.file is not None:
        return f"file {item.file.original_name} ({item.file.sha256[:12]})"
    return item.url


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

    def add_file_evidence(
        self,
        claim_id: int,
        stored: StoredFile,
        *,
        original_name: str,
        source_url: str = "",
        title: str = "",
        note: str = "",
        quote: Quote | None = None,
    ) -> Evidence:
        """Attach a file already copied into the vault (:func:`workbench.vault.store_file`).

        The vault row is written once per file (the first capture is kept); ``source_url``
        is where the file came from (http(s) or empty), ``quote`` a passage of it.
        """
        source_url = validate_url(source_url, what="a file's address") if source_url else ""
        if quote is not None and not quote.text.strip():
            quote = None
        current = self.claim(claim_id)
        now = _now()
        name = " ".join(original_name.split())[:255]
        with self._write() as conn:
            if not file_path(self.path, stored.sha256).is_file():
                # `vault prune` found the copy unused between the copy and now: it holds
                # the same lock while it deletes files (forget_unused_vault_files).
                raise ValidationError(
                    f"the vault's copy of {name} was removed in the meantime; add it again"
                )
            quoted = quote.text if quote is not None else ""
            if conn.execute(
                "SELECT 1 FROM evidence WHERE claim_id = ? AND file_sha256 = ? AND quote_text = ?",
                (claim_id, stored.sha256, quoted),
            ).fetchone():
                # Added again (also how an altered copy in the vault is put right, which
                # the copy into the vault has done by now): not a second row.
                what = "with this quote" if quoted else "without a quote"
                raise ValidationError(f"{name} is already evidence for this claim, {what}")
            conn.execute(
                "INSERT INTO vault_files (sha256, size, media_type, original_name, source_url,"
                " captured_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
                (stored.sha256, stored.size, stored.media_type, name, source_url, now),
            )
            item = Evidence(
                0, claim_id, source_url, title.strip() or name, note, now,
                VaultFile(stored.sha256, stored.size, stored.media_type, name, source_url, now),
                quote,
            )  # fmt: skip
            values = evidence_values(item)[1:]
            cur = conn.execute(
                f"INSERT INTO evidence ({EVIDENCE_COLUMNS.removeprefix('id, ')})"
                f" VALUES ({', '.join('?' * len(values))})",
                values,
            )
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, claim_id))
            self._record(
                conn, current, "evidence", None, f"file {name} ({stored.sha256[:12]})", now
            )
            self._sync_own_archive(conn, claim_id, now)
            evidence_id = int(cur.lastrowid or 0)
        return self.evidence(evidence_id)

    def set_evidence_quote(self, evidence_id: int, quote: Quote | None) -> Evidence:
        """Give a piece of evidence its quoted passage (None: no quote)."""
        item = self.evidence(evidence_id)
        current = self.claim(item.claim_id)
        now = _now()
        values = evidence_values(dataclasses.replace(item, quote=quote))[7:]
        with self._write() as conn:
            conn.execute(
                "UPDATE evidence SET quote_text = ?, quote_start = ?, quote_end = ?,"
                " quote_page = ?, quote_before = ?, quote_after = ? WHERE id = ?",
                (*values, evidence_id),
            )
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, item.claim_id))
            old = item.quote.text if item.quote else None
            self._record(conn, current, "quote", old, quote.text if quote else None, now)
        return self.evidence(evidence_id)

    def evidence(self, evidence_id: int) -> Evidence:
        rows = self._read("SELECT * FROM evidence WHERE id = ?", (evidence_id,))
        if not rows:
            raise NotFoundError(f"no evidence with id {evidence_id}")
        sha = rows[0]["file_sha256"]
        return _evidence_from_row(rows[0], self._vault_files_for([sha] if sha else []))

    def _vault_files_for(self, hashes: Sequence[str]) -> dict[str, VaultFile]:
        if not hashes:
            return {}
        sql = "SELECT * FROM vault_files WHERE sha256 IN ({marks})"
        return {r["sha256"]: _vault_file_from_row(r) for r in self._read_in(sql, list(set(hashes)))}

    def vault_files(self) -> list[tuple[VaultFile, int]]:
        """Every file the vault should hold, with how many pieces of evidence use it."""
        rows = self._read(
            "SELECT v.*, (SELECT COUNT(*) FROM evidence e WHERE e.file_sha256 = v.sha256)"
            " AS uses FROM vault_files v ORDER BY v.captured_at, v.sha256"
        )
        return [(_vault_file_from_row(r), int(r["uses"])) for r in rows]

    def forget_unused_vault_files(self, remove: Callable[[VaultFile], bool]) -> list[VaultFile]:
        """Delete the vault files no evidence uses: ``remove`` deletes each one's file and
        says whether it did, and only those records are dropped; returns them.

        All under the write lock: no evidence can start using a file between the check
        and its removal (:meth:`add_file_evidence` checks its file under the same lock).
        """
        with self._write() as conn:
            rows = conn.execute(
                "SELECT * FROM vault_files v WHERE NOT EXISTS"
                " (SELECT 1 FROM evidence e WHERE e.file_sha256 = v.sha256)"
                " ORDER BY v.captured_at, v.sha256"
            ).fetchall()
            removed = [file for file in map(_vault_file_from_row, rows) if remove(file)]
            conn.executemany(
                "DELETE FROM vault_files WHERE sha256 = ?", [(f.sha256,) for f in removed]
            )
        return removed

    def update_evidence(
        self,
        evidence_id: int,
        *,
        url: str | None = None,
        title: str | None = None,
        note: str | None = None,
        restoring: bool = False,
    ) -> Evidence:
        """Edit an evidence link's URL, title or note (a file's address may be emptied).

        ``restoring``: they are put back as they were (an undo), so a link stored before
        a rule for new links came in is taken back.
        """
        item = self.evidence(evidence_id)
        if url is not None and not url.strip() and item.file is not None:
            new_url = ""
        elif url is None or url.strip() == item.url:
            new_url = item.url  # kept as it is, whatever limits came after it was stored
        else:
            new_url = validate_url(url, new=not restoring)
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
        if item.url or item.file is None:
            validate_url(item.url, new=False)
        with self._write() as conn:
            put_back_vault_records(conn, [item.file] if item.file else [])
            conn.execute(
                f"INSERT INTO evidence ({EVIDENCE_COLUMNS}) VALUES ({', '.join('?' * 13)})",
                evidence_values(item),
            )
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, item.claim_id))
            self._record(conn, current, "evidence", None, _described(item), now)
            self._sync_own_archive(conn, item.claim_id, now)
        return self.evidence(item.id)

    def remove_evidence(self, evidence_id: int) -> Evidence:
        item = self.evidence(evidence_id)
        current = self.claim(item.claim_id)
        now = _now()
        with self._write() as conn:
            conn.execute("DELETE FROM evidence WHERE id = ?", (evidence_id,))
            conn.execute("UPDATE claims SET updated_at = ? WHERE id = ?", (now, item.claim_id))
            self._record(conn, current, "evidence", _described(item), None, now)
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
        """Add a history row; a note typed in several saves within a minute is one change.

        A save that cuts a passage (a cleared note, a paragraph deleted or pasted over)
        starts a row of its own, so the history keeps the text as it was before the cut;
        so does a save by another store (the CLI, another window, even as the same user),
        whose text would otherwise vanish into this one's row.
        """
        if field == "note":
            last = conn.execute(
                "SELECT id, field, new, changed_by, changed_at FROM claim_history"
                " WHERE claim_id = ? ORDER BY id DESC LIMIT 1",
                (claim.id,),
            ).fetchone()
            if (
                last is not None
                and last["id"] == self._note_rows.get(claim.id)
                and last["field"] == "note"
                and last["new"] == old
                and last["changed_by"] == self.user
                and _seconds_between(last["changed_at"], when) < NOTE_COALESCE_S
                and _cut_length(old or "", new or "") <= NOTE_KEPT_CUT
            ):
                conn.execute(
                    "UPDATE claim_history SET new = ?, changed_at = ? WHERE id = ?",
                    (new, when, last["id"]),
                )
                return
        row = self._record_raw(conn, claim.id, claim.article_id, field, old, new, when)
        if field == "note":
            self._note_rows[claim.id] = row

    def _record_raw(
        self,
        conn: sqlite3.Connection,
        claim_id: int,
        article_id: int,
        field: str,
        old: str | None,
        new: str | None,
        when: str,
    ) -> int:
        """Add a history row as it is; its id."""
        cur = conn.execute(
            "INSERT INTO claim_history (claim_id, article_id, field, old, new, changed_by,"
            " changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (claim_id, article_id, field, old, new, self.user, when),
        )
        return int(cur.lastrowid or 0)
