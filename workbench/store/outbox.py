"""The team archive's local side: the outbox of verdicts to publish, and verdicts received.

Once the database is connected to a team (the setting ``team.dsn``), triggers of
migration 0010 queue every change to a verdict in ``team_outbox`` inside the change's
own transaction; :mod:`workbench.team` sends the queue and takes a row out only once the
server has committed it (:meth:`TeamMixin.team_outbox_sent`). The other members'
verdicts arrive through :meth:`TeamMixin.team_receive` as past checks of the source
``"team"``, with the server's sequence number they were read up to, in one transaction:
reading the same verdicts twice changes nothing.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from workbench.errors import ValidationError
from workbench.models import Status
from workbench.past_checks import TEAM_SOURCE
from workbench.store.archive import _index_archive_rows_after, _last_archive_id
from workbench.store.db import StoreBase
from workbench.store.rows import UUID_SQL, _now

log = logging.getLogger("workbench.store")

TEAM_DSN = "team.dsn"
"""Setting: the team server's connection string, without a password. Set: connected."""
TEAM_NAME = "team.name"
"""Setting: how this checker is named to the team ("Ana Lima")."""
TEAM_DATABASE_ID = "team.database_id"
"""Setting: this database's UUID on the team (its verdicts come back to it: it skips them)."""
TEAM_LAST_SEQ = "team.last_seq"
"""Setting: the server sequence number received up to (0: nothing yet)."""
TEAM_ARCHIVE_ID = "team.archive_id"
"""Setting: the UUID of the team archive received from (see :meth:`TeamMixin.team_use_archive`)."""
TEAM_LAST_RECEIVED_AT = "team.last_received_at"
TEAM_LAST_SENT_AT = "team.last_sent_at"

EvidenceLinks = tuple[tuple[str, str], ...]
"""Evidence links as ``(url, title)`` pairs, in the order they were added."""


@dataclass(frozen=True, slots=True)
class OutboxChange:
    """A verdict waiting to be published: the claim's state when it last changed.

    ``status`` unchecked withdraws the claim's verdict from the team.
    """

    change_id: str
    claim_uid: str
    claim_id: int
    claim_text: str
    status: str
    note: str
    claimant: str
    evidence: EvidenceLinks
    article_title: str
    article_url: str
    changed_at: str


@dataclass(frozen=True, slots=True)
class TeamVerdict:
    """A verdict as the team server holds it: one published change, numbered by ``seq``."""

    seq: int
    change_id: str
    claim_uid: str
    origin: str
    claim_text: str
    status: str
    note: str
    claimant: str
    evidence: EvidenceLinks
    checker_name: str
    login: str
    article_title: str
    article_url: str
    changed_at: str


@dataclass(frozen=True, slots=True)
class OutboxState:
    """What waits to go out: how many verdicts, and since when (the oldest change)."""

    pending: int
    oldest: str | None


@dataclass(frozen=True, slots=True)
class ReceiveResult:
    """What a batch of received verdicts did to the archive."""

    added: int = 0
    replaced: int = 0
    withdrawn: int = 0
    refused: int = 0
    """Verdicts on a claim received before from another login (kept as it was)."""

    def __add__(self, other: ReceiveResult) -> ReceiveResult:
        return ReceiveResult(
            self.added + other.added,
            self.replaced + other.replaced,
            self.withdrawn + other.withdrawn,
            self.refused + other.refused,
        )


def _keep_received(conn: sqlite3.Connection, v: TeamVerdict) -> None:
    """What the archive row has no room for: who, their login, every link (a withdrawn
    verdict keeps its row, status unchecked, so that the claim keeps its owner)."""
    conn.execute(
        "INSERT INTO team_received (claim_uid, seq, change_id, checker_name, login,"
        " status, note, evidence, article_title, article_url, changed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (claim_uid) DO UPDATE"
        " SET seq = excluded.seq, change_id = excluded.change_id,"
        " checker_name = excluded.checker_name, login = excluded.login,"
        " status = excluded.status, note = excluded.note,"
        " evidence = excluded.evidence, article_title = excluded.article_title,"
        " article_url = excluded.article_url, changed_at = excluded.changed_at",
        (
            v.claim_uid, v.seq, v.change_id, v.checker_name, v.login, v.status,
            v.note, links_json(v.evidence), v.article_title, v.article_url,
            v.changed_at,
        ),
    )  # fmt: skip


def team_publisher(name: str, login: str) -> str:
    """Who published a team verdict, as past checks show it: the name they gave, which
    anyone may give, and the login the server vouches for ("Ana Lima (ana)")."""
    if not login or login == name:
        return name or login
    return f"{name} ({login})" if name else login


def links_from_json(value: str | None) -> EvidenceLinks:
    """Evidence links as JSON ``[{"url", "title"}]`` (stored, or received from the team
    server); damaged ones, or ones nested too deep to read, read as none."""
    try:
        items = json.loads(value or "[]")
    except (ValueError, RecursionError):
        log.info("team evidence links are damaged: %.60r", value)
        return ()
    if not isinstance(items, list):
        return ()
    return tuple(
        (str(item.get("url", "")), str(item.get("title", "")))
        for item in items
        if isinstance(item, dict) and item.get("url")
    )


def links_json(links: EvidenceLinks) -> str:
    return json.dumps([{"url": url, "title": title} for url, title in links], ensure_ascii=False)


class TeamMixin(StoreBase):
    """The outbox of verdicts to publish, and the team's verdicts received."""

    def team_outbox(self, *, limit: int = 500) -> list[OutboxChange]:
        """The oldest ``limit`` changes waiting to be published, oldest first."""
        rows = self._read(
            "SELECT change_id, claim_uid, claim_id, claim_text, status, note, claimant, evidence,"
            " article_title, article_url, changed_at FROM team_outbox ORDER BY id LIMIT ?",
            (limit,),
        )
        return [
            OutboxChange(**(dict(r) | {"evidence": links_from_json(r["evidence"])})) for r in rows
        ]

    def team_outbox_state(self) -> OutboxState:
        row = self._read("SELECT COUNT(*), MIN(changed_at) FROM team_outbox")[0]
        return OutboxState(int(row[0]), row[1])

    def team_outbox_sent(self, change_ids: Sequence[str]) -> int:
        """Take out of the outbox the changes the server has committed.

        A change replaced meanwhile by a newer one of the same claim has another id
        and stays: the newer state still has to go out.
        """
        with self._write() as conn:
            cur = conn.executemany(
                "DELETE FROM team_outbox WHERE change_id = ?", [(c,) for c in change_ids]
            )
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (TEAM_LAST_SENT_AT, _now()),
            )
        return max(cur.rowcount, 0)

    def team_queue_existing(self) -> int:
        """Queue every current verdict not already waiting (when joining a team).

        Returns how many were queued.
        """
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO team_claims (claim_id, uid) SELECT id, {UUID_SQL} FROM claims"
                " WHERE status != 'unchecked' AND id NOT IN (SELECT claim_id FROM team_claims)"
            )
            cur = conn.execute(
                "INSERT INTO team_outbox (change_id, claim_uid, claim_id, claim_text, status,"
                " note, claimant, evidence, article_title, article_url, changed_at)"
                f" SELECT {UUID_SQL}, v.claim_uid, v.claim_id, v.claim_text, v.status, v.note,"
                " v.claimant, v.evidence, v.article_title, v.article_url, c.updated_at"
                " FROM team_verdict_now v JOIN claims c ON c.id = v.claim_id"
                " WHERE v.status != 'unchecked' AND NOT EXISTS"
                " (SELECT 1 FROM team_outbox o WHERE o.claim_uid = v.claim_uid)"
                " ORDER BY c.updated_at, c.id"
            )
        return max(cur.rowcount, 0)

    def team_receive(self, verdicts: Sequence[TeamVerdict], *, through_seq: int) -> ReceiveResult:
        """Put the team's verdicts into the archive and note ``through_seq``, in one transaction.

        ``verdicts`` are in server order; for a claim published several times only
        the last counts (a later verdict replaces the earlier one; the server keeps
        both). Unchecked withdraws the claim's verdict from the archive. The caller
        leaves out this database's own verdicts but reads past them: ``through_seq``
        is the highest sequence number read.
        """
        added = replaced = withdrawn = refused = 0
        now = _now()
        with self._write() as conn:
            # A claim belongs to the login that first published it (a server before team
            # schema 3 let any checker publish on a colleague's claim), in server order,
            # within this batch too; a withdrawn claim keeps its row, so its owner stays.
            owners: dict[str, str] = {}
            latest: dict[str, TeamVerdict] = {}
            for verdict in verdicts:
                owner = owners.get(verdict.claim_uid)
                if owner is None:
                    row = conn.execute(
                        "SELECT login FROM team_received WHERE claim_uid = ?", (verdict.claim_uid,)
                    ).fetchone()
                    owner = owners[verdict.claim_uid] = row["login"] if row else verdict.login
                if verdict.login != owner:
                    log.warning("a team verdict on another login's claim was set aside")
                    refused += 1
                    continue
                latest.pop(verdict.claim_uid, None)  # keep server order for the survivors
                latest[verdict.claim_uid] = verdict
            # New rows are indexed in one statement at the end; a row is touched at most
            # once per batch, so no update or delete reaches a row not yet indexed.
            last_id = _last_archive_id(conn)
            for v in latest.values():
                known = conn.execute(
                    "SELECT id FROM archive_claims WHERE source = ? AND external_id = ?",
                    (TEAM_SOURCE, v.claim_uid),
                ).fetchone()
                if v.status == Status.UNCHECKED.value:
                    if known is not None:
                        conn.execute("DELETE FROM archive_claims WHERE id = ?", (known["id"],))
                        withdrawn += 1
                    _keep_received(conn, v)
                    continue
                values = (
                    v.claim_text, v.article_title, v.status,
                    v.evidence[0][0] if v.evidence else "", v.changed_at, v.claimant,
                    team_publisher(v.checker_name, v.login),
                )  # fmt: skip
                if known is None:
                    conn.execute(
                        "INSERT INTO archive_claims (external_id, source, text, title, verdict,"
                        " url, date, speaker, publisher, imported_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (v.claim_uid, TEAM_SOURCE, *values, now),
                    )
                    added += 1
                else:
                    conn.execute(
                        "UPDATE archive_claims SET text = ?, title = ?, verdict = ?, url = ?,"
                        " date = ?, speaker = ?, publisher = ?, imported_at = ? WHERE id = ?",
                        (*values, now, known["id"]),
                    )
                    replaced += 1
                _keep_received(conn, v)
            _index_archive_rows_after(conn, last_id)
            conn.executemany(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(TEAM_LAST_SEQ, str(through_seq)), (TEAM_LAST_RECEIVED_AT, now)],
            )
        if added or replaced or withdrawn:
            self._term_counts.clear()
        return ReceiveResult(added, replaced, withdrawn, refused)

    def team_claim_uid(self, claim_id: int) -> str | None:
        """The claim's identity on the team (None until one of its verdicts was queued)."""
        rows = self._read("SELECT uid FROM team_claims WHERE claim_id = ?", (claim_id,))
        return str(rows[0]["uid"]) if rows else None

    def team_last_seq(self) -> int:
        rows = self._read("SELECT value FROM settings WHERE key = ?", (TEAM_LAST_SEQ,))
        try:
            return int(rows[0]["value"]) if rows else 0
        except ValueError:
            return 0

    def team_received(self, claim_uid: str) -> TeamVerdict | None:
        """What was received of a team past check (its ``external_id``): who, links, note."""
        rows = self._read(
            "SELECT r.*, a.text, a.speaker FROM team_received r JOIN archive_claims a"
            " ON a.source = ? AND a.external_id = r.claim_uid WHERE r.claim_uid = ?",
            (TEAM_SOURCE, claim_uid),
        )
        if not rows:
            return None
        r = rows[0]
        return TeamVerdict(
            r["seq"], r["change_id"], r["claim_uid"], "", r["text"], r["status"], r["note"],
            r["speaker"], links_from_json(r["evidence"]), r["checker_name"], r["login"],
            r["article_title"], r["article_url"], r["changed_at"],
        )  # fmt: skip

    def _team_evidence(self, claim_uid: str) -> list[tuple[str, str]]:
        rows = self._read("SELECT evidence FROM team_received WHERE claim_uid = ?", (claim_uid,))
        return list(links_from_json(rows[0]["evidence"])) if rows else []

    def team_use_archive(self, archive_id: str) -> bool:
        """Note which team archive the server holds; start afresh if it is another one.

        An archive made anew (the server rebuilt, its database restored from elsewhere)
        numbers its verdicts from 1 again and lacks ours: what came from the previous
        one leaves the archive, reading starts from the beginning, and every current
        verdict is queued again. Returns True when that happened.
        """
        rows = self._read("SELECT value FROM settings WHERE key = ?", (TEAM_ARCHIVE_ID,))
        known = str(rows[0]["value"]) if rows else None
        if known == archive_id:
            return False
        with self._write() as conn:
            if known is not None:
                self._team_forget_received(conn)
                self.team_queue_existing()
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (TEAM_ARCHIVE_ID, archive_id),
            )
        if known is not None:
            log.info("the team archive changed (%s to %s): receiving anew", known, archive_id)
        return known is not None

    def _team_forget_received(self, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM archive_claims WHERE source = ?", (TEAM_SOURCE,))
        conn.execute("DELETE FROM team_received")
        conn.execute(
            "DELETE FROM settings WHERE key IN (?, ?, ?)",
            (TEAM_LAST_SEQ, TEAM_LAST_RECEIVED_AT, TEAM_ARCHIVE_ID),
        )
        self._term_counts.clear()

    def team_disconnect(self, *, drop_pending: bool = False) -> int:
        """Stop sharing with the team: the connection is forgotten, no change is queued.

        The team's verdicts received so far stay in the archive of past checks (a later
        ``team connect`` receives them anew); the name and the database's id stay, so
        connecting again is the same member. Changes not yet published are refused
        unless ``drop_pending`` (the verdicts stay here, they are only not published).
        Returns how many waiting changes were dropped.

        Raises:
            ValidationError: changes wait and ``drop_pending`` is not given (nothing
                changed).
        """
        with self._write() as conn:
            waiting = int(conn.execute("SELECT COUNT(*) FROM team_outbox").fetchone()[0])
            if waiting and not drop_pending:
                raise ValidationError(
                    f"{waiting:,} verdict change{'' if waiting == 1 else 's'} still wait to be"
                    " published: run workbench team sync first, or disconnect with --force"
                    " to leave them unpublished (nothing was changed)"
                )
            conn.execute("DELETE FROM team_outbox")
            conn.execute("DELETE FROM settings WHERE key = ?", (TEAM_DSN,))
        return waiting

    def team_connect(self, dsn: str, *, name: str, database_id: str, new_server: bool) -> int:
        """Store the team connection (``dsn`` without a password) and queue existing verdicts.

        Connecting to another server (``new_server``) forgets what the previous one
        sent (its past checks leave the archive) and starts reading from the start.
        Returns how many verdicts were queued.
        """
        if not name.strip():
            raise ValidationError("a team member needs a display name (--name)")
        with self._write() as conn:
            if new_server:
                self._team_forget_received(conn)
            conn.executemany(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(TEAM_DSN, dsn), (TEAM_NAME, " ".join(name.split())),
                 (TEAM_DATABASE_ID, database_id)],
            )  # fmt: skip
            queued = self.team_queue_existing()
        return queued
