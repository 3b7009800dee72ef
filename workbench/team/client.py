"""Talking to the team server: joining, publishing the outbox, receiving the others' verdicts.

Every exchange is safe to cut at any point. Publishing sends the outbox in batches, a
server transaction each (``ON CONFLICT (change_id) DO NOTHING``), and takes a batch
out of the outbox only after the server has committed it: a cut before the commit
leaves the batch to send again, a cut after it sends it again for nothing. Receiving
stores each batch with the sequence number it reached in one local transaction. So a
failed :func:`sync` loses nothing, and the next one completes.

Problems become one-line :class:`~workbench.errors.TeamError` subclasses naming the
server as ``HOST:PORT/DBNAME`` and the login, never the password
(:mod:`workbench.team.dsn`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.types.json import Jsonb

from workbench.errors import (
    TeamAuthError,
    TeamConfigError,
    TeamConnectionLostError,
    TeamError,
    TeamNotConnectedError,
    TeamPermissionError,
    TeamSchemaError,
    TeamUnreachableError,
    ValidationError,
)
from workbench.store.outbox import (
    TEAM_DATABASE_ID,
    TEAM_DSN,
    TEAM_LAST_RECEIVED_AT,
    TEAM_LAST_SENT_AT,
    TEAM_NAME,
    OutboxChange,
    ReceiveResult,
    TeamVerdict,
    links_from_json,
)
from workbench.store.rows import validate_url
from workbench.team.dsn import (
    has_password,
    login_of,
    parse_dsn,
    server_label,
    storable_dsn,
)
from workbench.team.passwords import (
    forget_password,
    keyring_account,
    save_password,
    saved_password,
)
from workbench.team.schema import (
    CHECKER_ROLE,
    NOT_YOURS,
    READER_ROLE,
    SCHEMA,
    InitReport,
    check_schema,
    ensure_roles,
    migrate,
)
from workbench.textsafety import MAX_URL_CHARS, clipped, one_line

if TYPE_CHECKING:
    from workbench.store import Store

log = logging.getLogger("workbench.team")

Connection = psycopg.Connection[tuple[Any, ...]]

ANSWER_TIMEOUT_S = 120.0
"""The longest a connected server may go without answering before the connection is cut
(:class:`Watchdog`): four times a statement's time on the server, since a batch may be a
few statements (each batch of a sync, a search or a load starts the count again)."""
CONNECT_TIMEOUT_S = 10
"""How long a sync waits for the server to answer a connection."""
STATUS_TIMEOUT_S = 3
"""How long ``team status`` (and the app's probe) waits: it must answer quickly."""
PUSH_BATCH = 200
"""Changes sent per server transaction."""
PULL_BATCH = 1000
"""Verdicts received per local transaction."""


# -- the connection ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TeamLink:
    """This database's team connection, as stored (no password)."""

    dsn: str
    name: str
    database_id: str

    @property
    def server(self) -> str:
        return server_label(parse_dsn(self.dsn))

    @property
    def login(self) -> str:
        return login_of(parse_dsn(self.dsn))


def team_link(store: Store) -> TeamLink:
    """The stored team connection.

    Raises:
        TeamNotConnectedError: this database has none.
        TeamConfigError: the stored one holds a password (set by hand): refused, unused.
    """
    values = store.settings(prefix="team.")
    dsn = values.get(TEAM_DSN)
    if not dsn:
        raise TeamNotConnectedError(
            "this database is not connected to a team; run: workbench team connect DSN --name NAME"
        )
    if has_password(parse_dsn(dsn)):
        raise TeamConfigError(
            "the stored team connection holds a password, which is never used from there:"
            " run workbench team connect again with a connection string without it"
        )
    return TeamLink(dsn, values.get(TEAM_NAME, ""), values.get(TEAM_DATABASE_ID, ""))


class Watchdog:
    """Cuts a connection whose server has not answered for ``silence`` seconds.

    Once connected, libpq waits for an answer as long as it takes, and the server's
    ``statement_timeout`` does nothing when the server itself is stopped (a frozen
    machine, a proxy gone silent): a sync, a status probe or a search then never
    ended. This thread shuts the socket down instead, so the waiting call fails at once
    with a connection error; every exchange is safe to cut (see the module's
    docstring). :meth:`answered` starts the ``silence`` again, after each batch.
    """

    def __init__(self, conn: Connection, silence: float) -> None:
        self.silence = silence
        self.fired = False
        # Its own descriptor of the socket: libpq closes its own when it sees the
        # connection broken, and the number may then belong to another file.
        self._socket = socket.socket(fileno=os.dup(conn.fileno()))
        self._deadline = time.monotonic() + silence
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="team-watchdog", daemon=True)
        self._thread.start()

    def answered(self) -> None:
        self._deadline = time.monotonic() + self.silence

    def close(self) -> None:
        """Stop watching, and let go of the watchdog's descriptor of the socket."""
        self._stop.set()
        self._thread.join()
        self._socket.close()

    def _watch(self) -> None:
        while not self._stop.wait(min(1.0, max(0.01, self._deadline - time.monotonic()))):
            if time.monotonic() >= self._deadline:
                self.fired = True
                log.warning("the team server did not answer for %.0f s: cut", self.silence)
                with contextlib.suppress(OSError):
                    self._socket.shutdown(socket.SHUT_RDWR)
                return


class TeamConnection(psycopg.Connection[tuple[Any, ...]]):
    """A connection to the team server, with the :class:`Watchdog` that cuts it when the
    server stops answering (none for ``team init``)."""

    watchdog: Watchdog | None = None


def answered(conn: Connection) -> None:
    """The server answered (a batch is done): ``conn``'s watchdog, if it has one, gives
    it the whole silence again."""
    if isinstance(conn, TeamConnection) and conn.watchdog is not None:
        conn.watchdog.answered()


def was_cut(conn: Connection) -> bool:
    """Whether ``conn``'s watchdog cut it (the server stopped answering)."""
    return isinstance(conn, TeamConnection) and conn.watchdog is not None and conn.watchdog.fired


@contextlib.contextmanager
def open_connection(
    dsn: str, *, timeout: float = CONNECT_TIMEOUT_S, silence: float | None = None
) -> Iterator[Connection]:
    """A connection to the team server (autocommit; transactions are explicit), closed after.

    The password: ``PGPASSWORD``, else the system keyring
    (:mod:`~workbench.team.passwords`), else libpq's ``~/.pgpass``. A password from the
    keyring is never sent in clear text (``require_auth``), and is the one saved for
    this very address (``hostaddr`` included).

    ``silence``: the connection is cut when the server has not answered for that long
    (default :data:`ANSWER_TIMEOUT_S`; 0: never, for the administrator's ``team init``,
    whose migrations may each take long on a big archive; see :class:`Watchdog`).

    Raises:
        TeamUnreachableError, TeamAuthError, TeamConfigError: see :func:`connect_error`.
    """
    parts = parse_dsn(dsn)
    saved = None if has_password(parts) else saved_password(parts)
    extra: dict[str, Any] = {"password": saved} if saved else {}
    if saved and "require_auth" not in parts and psycopg.pq.version() >= 160000:
        extra["require_auth"] = "!password"  # the server must not ask for it in clear
    try:
        conn = TeamConnection.connect(
            dsn,
            autocommit=True,
            connect_timeout=max(2, round(timeout)),
            application_name="workbench",
            # A network cut shows as an error within half a minute, not a hang.
            keepalives=1,
            keepalives_idle=10,
            keepalives_interval=5,
            keepalives_count=3,
            options=" ".join(
                filter(None, (parts.get("options"), f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"))
            ),
            **extra,
        )
    except psycopg.Error as exc:
        raise connect_error(exc, parts) from exc
    except UnicodeError as exc:  # a host name the name lookup cannot encode
        raise TeamConfigError(
            f"the team server's host name is not valid: {server_label(parts)}"
        ) from exc
    silence = ANSWER_TIMEOUT_S if silence is None else silence
    conn.watchdog = Watchdog(conn, silence) if silence > 0 else None
    try:
        yield conn
    finally:
        if conn.watchdog is not None:
            conn.watchdog.close()
        conn.close()


def connect_error(exc: psycopg.Error, parts: dict[str, str]) -> TeamError:
    """The one-line error for a failed connection, from libpq's message (no password in it)."""
    server, login = server_label(parts), login_of(parts)
    text = str(exc).lower()
    if "password authentication failed" in text or "authentication failed" in text:
        return TeamAuthError(f"the team server at {server} refused the password for {login}")
    if "no password supplied" in text:
        return TeamAuthError(
            f"the team server at {server} needs a password for {login}:"
            " give it in PGPASSWORD or ~/.pgpass"
        )
    if "role" in text and "does not exist" in text:
        return TeamAuthError(f"the team server at {server} has no login {login}")
    if "database" in text and "does not exist" in text:
        return TeamConfigError(f"the team server at {server} has no such database")
    if "pg_hba.conf" in text:
        return TeamAuthError(
            f"the team server at {server} does not let {login} connect from here (pg_hba.conf)"
        )
    return TeamUnreachableError(f"the team server at {server} is unreachable ({_reason(text)})")


def _reason(text: str) -> str:
    for needle, reason in (
        ("timeout", "no answer in time"),
        ("connection refused", "connection refused"),
        ("no such file or directory", "no server on that socket"),
        ("could not translate host name", "unknown host name"),
        ("name or service not known", "unknown host name"),
        ("network is unreachable", "no network"),
        ("no route to host", "no route to the host"),
        ("starting up", "the server is starting up"),
        ("shutting down", "the server is shutting down"),
        ("too many", "the server has too many connections"),
    ):
        if needle in text:
            return reason
    return "it did not answer"


PUBLISHING = "publishing verdicts"


def exchange_error(
    exc: psycopg.Error, link: TeamLink, *, doing: str, pending: int, conn: Connection | None = None
) -> TeamError:
    """The one-line error for an exchange that failed after connecting (on ``conn``)."""
    server, login = link.server, link.login
    waiting = f"{pending} verdict{'s' if pending != 1 else ''} wait{'s' if pending == 1 else ''}"
    if conn is not None and was_cut(conn):
        return TeamConnectionLostError(
            f"the team server at {server} stopped answering while {doing};"
            f" nothing is lost, {waiting} in the outbox for the next sync"
        )
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        if doing == PUBLISHING:
            what = f"publish verdicts (that needs the role {CHECKER_ROLE})"
        else:
            what = f"read the team archive (that needs the role {CHECKER_ROLE} or {READER_ROLE})"
        return TeamPermissionError(
            f"the team server at {server} does not let {login} {what}; {waiting} in the outbox"
        )
    if isinstance(exc, pg_errors.UndefinedTable | pg_errors.InvalidSchemaName):
        return TeamSchemaError(
            f"the team server at {server} has no team archive any more; {waiting} in the outbox"
        )
    if isinstance(exc, pg_errors.QueryCanceled):
        return TeamConnectionLostError(
            f"the team server at {server} did not answer in time while {doing};"
            f" nothing is lost, {waiting} in the outbox for the next sync"
        )
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return TeamConnectionLostError(
            f"the connection to the team server at {server} was lost while {doing};"
            f" nothing is lost, {waiting} in the outbox for the next sync"
        )
    return TeamError(f"the team server at {server} refused {doing}: {server_said(exc)}")


SERVER_MESSAGE_LIMIT = 300
"""The most characters of the server's own words in a message (a trigger may raise 5 MB)."""


def server_said(exc: psycopg.Error) -> str:
    """The server's message for ``exc`` on one line, cut to :data:`SERVER_MESSAGE_LIMIT`."""
    return clipped(one_line(exc.diag.message_primary or type(exc).__name__), SERVER_MESSAGE_LIMIT)


# -- joining and setting up -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JoinReport:
    """What ``team connect`` stored, the verdicts it queued, and the server's answer, if any."""

    server: str
    login: str
    name: str
    queued: int
    problem: str | None


def join_team(
    store: Store, dsn: str, *, name: str | None = None, timeout: float = STATUS_TIMEOUT_S
) -> JoinReport:
    """Connect this database to a team: store ``dsn`` (no password) and ``name``.

    Works offline: the connection is stored whether or not the server answers (the
    report says), and from then on every verdict change is queued for it. The
    verdicts already recorded are queued too, so the team gets them at the next sync.

    Raises:
        TeamConfigError: ``dsn`` is not valid or holds a password (nothing stored).
        ValidationError: no name given, none stored.
    """
    stored = storable_dsn(dsn)
    parts = parse_dsn(stored)
    settings = store.settings(prefix="team.")
    display = " ".join((name or settings.get(TEAM_NAME) or "").split())
    if not display:
        raise ValidationError("give your name as the team will see it: --name 'Ana Lima'")
    previous = settings.get(TEAM_DSN)
    new_server = previous is None or server_label(parse_dsn(previous)) != server_label(parts)
    database_id = settings.get(TEAM_DATABASE_ID) or str(uuid.uuid4())
    queued = store.team_connect(
        stored, name=display, database_id=database_id, new_server=new_server
    )
    problem = None
    try:
        with open_connection(stored, timeout=timeout, silence=timeout + 2) as conn:
            try:
                check_schema(conn, server_label(parts))
            except psycopg.Error as exc:
                link = TeamLink(stored, display, database_id)
                raise exchange_error(exc, link, doing="reading", pending=0, conn=conn) from exc
    except TeamError as exc:
        problem = str(exc)
    log.info("connected to the team at %s as %s", server_label(parts), login_of(parts))
    return JoinReport(server_label(parts), login_of(parts), display, queued, problem)


def init_team(dsn: str, *, timeout: float = CONNECT_TIMEOUT_S) -> InitReport:
    """Create or migrate the team archive on a server, with its roles (the administrator's step).

    ``dsn`` logs in as the database's owner or a superuser; it is not stored (a
    password in it is used once, and never shown).

    Raises:
        TeamSchemaError: the server's team schema is newer than this version's.
        TeamPermissionError: the login may not create the schema or the roles.
    """
    parts = parse_dsn(dsn)
    server, login = server_label(parts), login_of(parts)
    with open_connection(dsn, timeout=timeout, silence=0) as conn:
        try:
            created = ensure_roles(conn)
            before, after = migrate(conn, server)
        except pg_errors.InsufficientPrivilege as exc:
            raise TeamPermissionError(
                f"{login} may not set up the team archive on {server}: run team init as the"
                " database's owner with CREATEROLE, or as a superuser"
                f" ({server_said(exc)})"
            ) from exc
        except psycopg.Error as exc:
            raise TeamError(
                f"setting up the team archive on {server} failed: {server_said(exc)}"
            ) from exc
    return InitReport(server, before, after, created)


# -- publishing and receiving ---------------------------------------------------------

_INSERT = f"""
    INSERT INTO {SCHEMA}.verdicts (change_id, claim_uid, origin, claim_text, status, note,
        claimant, evidence, checker_name, article_title, article_url, changed_at)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT (change_id) DO NOTHING
"""
RECEIVED_LIMITS = {
    "claim_text": 10_000,
    "status": 40,
    "note": 20_000,
    "claimant": 500,
    "checker_name": 200,
    "article_title": 1_000,
    "article_url": 4_000,
}
"""The most characters of each field a received verdict keeps (the server's rows are
anyone's: a 100 MB note made one sync take 6 GB); longer ones are cut."""
MAX_EVIDENCE_JSON = 200_000
"""A verdict's evidence links as JSON, at most: more is received as no links."""
STATEMENT_TIMEOUT_MS = 30_000
"""The longest one statement of a sync may run on the server: a server that stalls (a
table locked, a trigger that sleeps) gives an error, not a sync that never ends."""

IDENTITY_LIMIT = 64
"""The most characters of an identity the server sends (a UUID, a login): a server whose
columns were changed could send megabytes in each."""

_SELECT = f"""
    SELECT seq, left(change_id::text, {IDENTITY_LIMIT}), left(claim_uid::text, {IDENTITY_LIMIT}),
        left(origin::text, {IDENTITY_LIMIT}),
        left(claim_text, {RECEIVED_LIMITS["claim_text"]}),
        left(status, {RECEIVED_LIMITS["status"]}),
        left(note, {RECEIVED_LIMITS["note"]}), left(claimant, {RECEIVED_LIMITS["claimant"]}),
        CASE WHEN octet_length(evidence::text) <= {MAX_EVIDENCE_JSON} THEN evidence::text END,
        left(checker_name, {RECEIVED_LIMITS["checker_name"]}), left(login::text, {IDENTITY_LIMIT}),
        left(article_title, {RECEIVED_LIMITS["article_title"]}),
        left(article_url, {RECEIVED_LIMITS["article_url"]}),
        CASE WHEN changed_at BETWEEN '1900-01-01' AND '9000-01-01'
            THEN to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') END
    FROM {SCHEMA}.verdicts WHERE seq > %s ORDER BY seq LIMIT %s
"""


def _when(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return datetime.now(UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def sendable(text: str) -> str:
    """``text`` as PostgreSQL's text and jsonb take it: without NUL characters, and each
    lone surrogate as U+FFFD (every sending to the server goes through it). An archive
    may spell a NUL ("\\u0000"); applied as a verdict, its link and the note naming it
    made the server refuse the batch ("DataError") at every sync, and every verdict after
    it waited in the outbox (an audit)."""
    text = text.replace("\x00", "")
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _row(change: OutboxChange, link: TeamLink) -> tuple[Any, ...]:
    return (
        uuid.UUID(change.change_id), uuid.UUID(change.claim_uid), uuid.UUID(link.database_id),
        sendable(change.claim_text), change.status, sendable(change.note),
        sendable(change.claimant),
        Jsonb([{"url": sendable(u), "title": sendable(t)} for u, t in change.evidence]),
        sendable(link.name), sendable(change.article_title), sendable(change.article_url),
        _when(change.changed_at),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class PushResult:
    sent: int = 0
    refused: int = 0
    """Changes the server refused for good: their claim, or this database, was first
    published by another login (a login changed, or a copied database). They leave the
    outbox, so that they do not hold up the others."""


def push(
    store: Store,
    conn: Connection,
    link: TeamLink,
    *,
    batch: int = PUSH_BATCH,
    cancelled: Callable[[], bool] | None = None,
    after_batch: Callable[[int], None] | None = None,
) -> PushResult:
    """Send the outbox, a batch per server transaction.

    A batch leaves the outbox only once the server has committed it. A batch the server
    refuses because one of its changes is another login's is sent again one change at a
    time, and those it refuses leave the outbox (counted, and logged). ``after_batch``
    is called with the running count after each one (tests cut the connection there).
    """
    sent = refused = 0
    while not (cancelled is not None and cancelled()):
        changes = store.team_outbox(limit=batch)
        if not changes:
            break
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(_INSERT, [_row(c, link) for c in changes])
        except psycopg.Error as exc:
            if exc.sqlstate != NOT_YOURS:
                raise
            refused += _push_one_by_one(conn, link, changes)
        answered(conn)
        store.team_outbox_sent([c.change_id for c in changes])
        sent += len(changes)
        if after_batch is not None:
            after_batch(sent)
    return PushResult(sent - refused, refused)


def _push_one_by_one(conn: Connection, link: TeamLink, changes: list[OutboxChange]) -> int:
    """Send ``changes`` a server transaction each; returns how many were refused as
    another login's."""
    refused = 0
    for change in changes:
        try:
            with conn.transaction():
                conn.execute(_INSERT, _row(change, link))
        except psycopg.Error as exc:
            if exc.sqlstate != NOT_YOURS:
                raise
            refused += 1
            log.warning("the team server refused a verdict: %s", server_said(exc))
        answered(conn)
    return refused


def _links(value: str | None) -> tuple[tuple[str, str], ...]:
    """Evidence links as received (JSON text): http(s) ones only, each ``(url, title)``.

    A teammate's link is kept as it was published (``new=False``), of at most
    :data:`MAX_URL_CHARS` characters: one with a user name before its host is shown
    and never linked (:func:`~workbench.textsafety.http_url`), not dropped.
    """
    links = []
    for url, title in links_from_json(value):
        if len(url.strip()) > MAX_URL_CHARS:
            continue
        try:
            links.append((validate_url(url, new=False), title[: RECEIVED_LIMITS["article_title"]]))
        except ValidationError:
            continue
    return tuple(links)


def _verdict(row: tuple[Any, ...]) -> TeamVerdict | None:
    """The verdict a row holds, or None for a row no checker could have published (no
    claim text, status or time): skipped, so that it cannot stop the rows after it."""
    texts = row[1:8] + row[9:13]
    if (
        not row[4]
        or not row[5]
        or not row[13]
        or any(value is not None and not isinstance(value, str) for value in texts)
    ):
        return None
    return TeamVerdict(
        int(row[0]), row[1] or "", row[2] or "", row[3] or "", row[4], row[5], row[6] or "",
        row[7] or "", _links(row[8]), row[9] or "", row[10] or "", row[11] or "",
        row[12] or "", row[13],
    )  # fmt: skip


def pull(
    store: Store,
    conn: Connection,
    link: TeamLink,
    *,
    batch: int = PULL_BATCH,
    cancelled: Callable[[], bool] | None = None,
) -> ReceiveResult:
    """Receive the verdicts published since the last one received, a batch per transaction.

    This database's own verdicts come back too: they are skipped (they are in the
    archive as your own) but counted as read.
    """
    total = ReceiveResult()
    last = store.team_last_seq()
    while not (cancelled is not None and cancelled()):
        rows = conn.execute(_SELECT, (last, batch)).fetchall()
        answered(conn)
        if not rows:
            break
        forged = sum(1 for r in rows if r[3] == link.database_id and r[10] != link.login)
        if forged:  # a server before migration 3 let another login pose as this database
            log.warning("%d verdicts on the team server pose as this database's", forged)
        read = [_verdict(r) for r in rows if r[3] != link.database_id]
        verdicts = [v for v in read if v is not None]
        if len(verdicts) < len(read):
            log.warning(
                "skipped %d malformed verdicts from the team server", len(read) - len(verdicts)
            )
        last = int(rows[-1][0])
        total += store.team_receive(verdicts, through_seq=last)
        if len(rows) < batch:
            break
    return total


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a sync did: changes sent, verdicts received, what still waits."""

    server: str
    sent: int
    received: ReceiveResult
    pending: int
    last_seq: int
    restarted: bool = False
    """The server holds a new team archive: what came from the old one was dropped."""
    refused: int = 0
    """Changes the server refused for good (see :class:`PushResult`)."""


def sync(
    store: Store,
    *,
    cancelled: Callable[[], bool] | None = None,
    timeout: float = CONNECT_TIMEOUT_S,
    push_batch: int = PUSH_BATCH,
    pull_batch: int = PULL_BATCH,
    after_push_batch: Callable[[int], None] | None = None,
) -> SyncReport:
    """Publish the outbox, then receive the team's new verdicts (the app's background job).

    ``cancelled()`` is asked between batches; what is done by then is kept.

    Raises:
        TeamError: a one-line reason (server down, password refused, newer schema,
            connection lost, not allowed to publish). Nothing is lost; the next sync
            completes. A login that may not publish still receives before the error.
    """
    link = team_link(store)
    server = link.server
    with open_connection(link.dsn, timeout=timeout) as conn:
        doing = "reading the team archive"
        try:
            check_schema(conn, server)
            row = conn.execute(
                f"SELECT left(id::text, {IDENTITY_LIMIT}) FROM {SCHEMA}.archive"
            ).fetchone()
            restarted = store.team_use_archive(str(row[0])) if row else False
            refused: psycopg.Error | None = None
            doing = PUBLISHING
            try:
                pushed = push(
                    store, conn, link, batch=push_batch, cancelled=cancelled,
                    after_batch=after_push_batch,
                )  # fmt: skip
            except pg_errors.InsufficientPrivilege as exc:
                refused, pushed = exc, PushResult()
            doing = "receiving verdicts"
            received = pull(store, conn, link, batch=pull_batch, cancelled=cancelled)
        except psycopg.Error as exc:
            pending = store.team_outbox_state().pending
            raise exchange_error(exc, link, doing=doing, pending=pending, conn=conn) from exc
    pending = store.team_outbox_state().pending
    if refused is not None:
        raise exchange_error(refused, link, doing=PUBLISHING, pending=pending)
    log.info("team sync with %s: %d sent, %s", server, pushed.sent, received)
    return SyncReport(
        server, pushed.sent, received, pending, store.team_last_seq(), restarted, pushed.refused
    )


# -- status ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TeamStatus:
    """What ``team status`` says: the connection, the outbox, the last exchange, the server."""

    connected: bool
    server: str | None = None
    login: str | None = None
    name: str | None = None
    pending: int = 0
    oldest_pending: str | None = None
    last_seq: int = 0
    last_received_at: str | None = None
    last_sent_at: str | None = None
    reachable: bool | None = None
    """None when not asked (not connected, or ``probe=False``)."""
    problem: str | None = None
    server_schema: int | None = None


def team_status(
    store: Store, *, probe: bool = True, timeout: float = STATUS_TIMEOUT_S
) -> TeamStatus:
    """The team connection's state; with ``probe``, whether the server answers in ``timeout``."""
    outbox = store.team_outbox_state()
    try:
        link = team_link(store)
    except TeamNotConnectedError:
        return TeamStatus(False, pending=outbox.pending, oldest_pending=outbox.oldest)
    settings = store.settings(prefix="team.")
    reachable: bool | None = None
    problem: str | None = None
    version: int | None = None
    if probe:
        try:
            with open_connection(link.dsn, timeout=timeout, silence=timeout + 2) as conn:
                try:
                    version = check_schema(conn, link.server)
                except psycopg.Error as exc:
                    raise exchange_error(exc, link, doing="reading", pending=0, conn=conn) from exc
            reachable = True
        except TeamUnreachableError as exc:
            reachable, problem = False, str(exc)
        except TeamError as exc:
            reachable, problem = True, str(exc)
    return TeamStatus(
        True,
        server=link.server,
        login=link.login,
        name=link.name,
        pending=outbox.pending,
        oldest_pending=outbox.oldest,
        last_seq=store.team_last_seq(),
        last_received_at=settings.get(TEAM_LAST_RECEIVED_AT),
        last_sent_at=settings.get(TEAM_LAST_SENT_AT),
        reachable=reachable,
        problem=problem,
        server_schema=version,
    )


# -- leaving, and the password ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeaveReport:
    server: str
    dropped: int
    """Changes that were waiting and will not be published."""
    password_forgotten: bool


def leave_team(store: Store, *, force: bool = False) -> LeaveReport:
    """Disconnect this database from its team (and forget the login's saved password).

    Raises:
        TeamNotConnectedError: not connected.
        ValidationError: changes still wait to be published and not ``force``.
    """
    values = store.settings(prefix="team.")
    dsn = values.get(TEAM_DSN)
    if not dsn:
        raise TeamNotConnectedError("this database is not connected to a team")
    parts = parse_dsn(dsn)
    dropped = store.team_disconnect(drop_pending=force)
    forgotten = forget_password(parts)
    log.info("left the team at %s (%d unpublished changes dropped)", server_label(parts), dropped)
    return LeaveReport(server_label(parts), dropped, forgotten)


def remember_password(store: Store, password: str) -> str:
    """Save the password of this database's team login in the system keyring.

    Returns the keyring entry's name (``LOGIN@SERVER``), for the message.

    Raises:
        TeamNotConnectedError: not connected (the login and server are not known).
        TeamConfigError: no keyring, or it refused; nothing saved.
    """
    parts = parse_dsn(team_link(store).dsn)
    save_password(parts, password)
    return keyring_account(parts)
