"""The team archive under load: checkers publish while others pull, through kills and a restart.

Issue 16: 20 simulated checkers each record 1,000 verdict changes while 20 others pull,
clients are SIGKILLed at random moments (and started again on the same database, where
they carry on from what their database holds), and the PostgreSQL server is stopped
(``pg_ctl stop -m immediate``) and started once in the middle. At the end: 0 verdicts
lost, 0 duplicated, every client converged.

Every client is its own process with its own SQLite database, going through the
workbench's own code: ``Store.update_claim`` for each change (status and note), the
outbox triggers, ``workbench.team.sync`` every ``--sync-every`` changes. A sync that fails
(server down, connection lost) is expected and retried at the next one. Pullers are
``workbench_reader`` logins that sync in a loop.

What the server must hold is read from the checkers' databases after the run, never from
what a worker meant to do: a SIGKILL during a local write is a crash, so a change that
committed locally must reach the server and one that did not never existed. To know the
change ids without changing the workbench, each checker database gets one extra trigger
(``bench_change_log``) that copies every row queued in ``team_outbox``, in the queueing
transaction itself, and notes why it left (replaced by a newer state, or sent). The checks:

- *lost*: a claim whose last committed state (status and note) is not the server's
  latest verdict for it; a change id that left the outbox as sent (the claim still held
  it), or is its claim's last, and is not on the server; every change committed locally
  (the notes in ``claim_history``) must have been queued;
- *duplicated*: server rows minus distinct change ids, plus rows minus distinct
  (claim, note) pairs (every change writes a unique note);
- *phantom*: server rows whose change id no checker queued, or whose note no checker
  committed; *reordered*: a claim whose server sequence does not follow its local order;
- *not converged*: a client whose received team verdicts (``team_received`` and the
  ``team`` past checks) differ from the server's latest verdict per claim (withdrawn
  ones absent, its own left out), or a checker whose outbox is not empty.

Changes replaced in the outbox before they were sent (a newer state of the same claim,
while the server was down) are by design never sent: they are counted as *coalesced*.

    python benchmarks/team_load.py [--checkers 20] [--verdicts 1000] [--pullers 20]
        [--kills 10] [--seed 0] [--runs 1] [--claims 100] [--sync-every 50]
        [--downtime 3] [--db-dir DIR]

Needs PostgreSQL's ``initdb`` and ``pg_ctl`` (Debian's ``postgresql`` package), as the
team tests do (``tests/core/team_server.py``).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import random
import selectors
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.core.team_server import TeamServer, find_pg_bin, running_server  # noqa: E402

DESK = "desk"
STATUSES = ("verified", "disputed", "unverifiable")
WITHDRAW_ROUND = 6
"""Every claim is set back to unchecked (its verdict withdrawn) in this round of 7."""
MAX_CONNECTIONS = 150
CONVERGE_TIMEOUT_S = 900.0

# -- the workers ------------------------------------------------------------------------

_CHANGE_LOG = """
    CREATE TABLE IF NOT EXISTS bench_change_log (
        id INTEGER PRIMARY KEY,
        change_id TEXT NOT NULL,
        claim_uid TEXT NOT NULL,
        status TEXT NOT NULL,
        note TEXT NOT NULL,
        fate TEXT
    );
    CREATE TRIGGER IF NOT EXISTS bench_change_log_ai AFTER INSERT ON team_outbox BEGIN
        INSERT INTO bench_change_log (change_id, claim_uid, status, note)
            VALUES (new.change_id, new.claim_uid, new.status, new.note);
    END;
    -- Why a change left the outbox: replaced by a newer state of its claim (the claim
    -- already holds another note), or taken out as sent (the claim still holds it).
    CREATE TRIGGER IF NOT EXISTS bench_change_log_ad AFTER DELETE ON team_outbox BEGIN
        UPDATE bench_change_log SET fate = CASE
            WHEN (SELECT note FROM claims WHERE id = old.claim_id) IS old.note THEN 'sent'
            ELSE 'replaced' END
        WHERE change_id = old.change_id;
    END;
"""


def _emit(line: str) -> None:
    """Tell the coordinator (one line on stdout)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _note(login: str, k: int) -> str:
    return f"{login} #{k}"


def _change_number(note: str, login: str) -> int | None:
    prefix = f"{login} #"
    if not note.startswith(prefix):
        return None
    try:
        return int(note[len(prefix) :])
    except ValueError:
        return None


def _article_text(login: str, count: int) -> list[str]:
    return [
        f"Desk figure {i} from {login}: spending rose by {i + 3} percent in {2000 + i % 25}."
        for i in range(count)
    ]


def _status_for(k: int, claims: int) -> str:
    """The status of change ``k``: it always differs from the claim's previous one."""
    round_, slot = divmod(k, claims)
    if round_ % 7 == WITHDRAW_ROUND:
        return "unchecked"
    return STATUSES[(round_ + slot) % len(STATUSES)]


def _stopping(run_dir: Path) -> bool:
    return (run_dir / "stop").exists()


def _try_sync(store: Any) -> Any:
    """One sync; a team error (server down, connection cut) is reported and left for later."""
    from workbench.errors import TeamError
    from workbench.team import sync

    _emit("b")
    try:
        report = sync(store, timeout=5)
    except TeamError as exc:
        _emit(f"e {type(exc).__name__}")
        return None
    _emit(f"s {report.last_seq} {report.pending} {report.sent}")
    return report


def _pull_until_stopped(store: Any, run_dir: Path, rng: random.Random) -> None:
    while not _stopping(run_dir):
        _try_sync(store)
        time.sleep(rng.uniform(0.1, 0.3))


def run_worker(args: argparse.Namespace) -> int:
    """A checker or a puller, started (again) on its own database."""
    from workbench.models import ArticleDraft, DetectedClaim
    from workbench.store import Store
    from workbench.team import join_team

    run_dir = Path(args.run_dir)
    rng = random.Random(f"{args.seed}-{args.login}-{os.getpid()}")
    store = Store(Path(args.db), user=args.login)
    if args.worker == "checker":
        with contextlib.closing(sqlite3.connect(store.path, timeout=30)) as conn:
            conn.executescript(_CHANGE_LOG)
    if not store.settings(prefix="team.").get("team.dsn"):
        join_team(store, args.dsn, name=f"Member {args.login}", timeout=3)
    if args.worker == "puller":
        _pull_until_stopped(store, run_dir, rng)
        return 0

    sentences = _article_text(args.login, args.claims)
    text = " ".join(sentences)
    draft = ArticleDraft(text, title=f"Figures of {args.login}", url="https://news.example.org/f")
    article_id = store.find_article(text)
    if article_id is None:
        detected = [
            DetectedClaim(text.index(s), text.index(s) + len(s), s, 0.8, ("number",))
            for s in sentences
        ]
        article_id = store.add_article(draft, detected).article.id
    claims = sorted(store.claims(article_id), key=lambda c: c.start)
    if len(claims) != args.claims:
        raise RuntimeError(f"{len(claims)} claims stored, {args.claims} expected")
    done = [n for c in claims if (n := _change_number(c.note, args.login)) is not None]
    start = max(done) + 1 if done else 0
    _emit(f"w {start - 1}")
    for k in range(start, args.verdicts):
        claim = claims[k % args.claims]
        store.update_claim(claim.id, status=_status_for(k, args.claims), note=_note(args.login, k))
        _emit(f"w {k}")
        if (k + 1) % args.sync_every == 0:
            _try_sync(store)
    _emit("done")
    while not _stopping(run_dir):
        report = _try_sync(store)
        if report is not None and report.pending == 0:
            break
        time.sleep(0.2)
    _pull_until_stopped(store, run_dir, rng)
    return 0


# -- the coordinator --------------------------------------------------------------------


@dataclass
class Client:
    """One simulated member: a worker process (started again after each kill) and its database."""

    kind: str
    login: str
    db: Path
    proc: subprocess.Popen[bytes] | None = None
    buffer: bytes = b""
    written: int = -1
    done: bool = False
    done_at: float | None = None
    first_write_at: float | None = None
    last_write_at: float | None = None
    drained_at: float | None = None
    last_seq: int = -1
    seqs: list[tuple[int, float]] = field(default_factory=list)
    """Each sync's sequence number read up to, and when it was reported."""
    killed: bool = False
    phase: str = "starting"
    """What the worker was doing by its last word: starting, writing, syncing, waiting."""
    kills: int = 0
    crashes: int = 0
    sync_errors: collections.Counter[str] = field(default_factory=collections.Counter)
    last_error_at: float | None = None


@dataclass
class RunResult:
    changes: int
    server_rows: int
    coalesced: int
    wall_s: float
    startup_s: float
    write_s: float
    publish_s: float
    converge_s: float
    kills: int
    kills_by_phase: dict[str, int]
    restarts: int
    crashes: int
    sync_errors: dict[str, int]
    errors_after_restart_s: float
    """From the server's start until the last failed sync."""
    lost: int
    duplicated: int
    phantom: int
    reordered: int
    not_queued: int
    not_converged: int
    damaged: int
    problems: list[str]

    @property
    def changes_per_s(self) -> float:
        return self.changes / self.write_s if self.write_s else 0.0

    @property
    def published_per_s(self) -> float:
        return self.server_rows / self.publish_s if self.publish_s else 0.0


class Coordinator:
    """Starts the members, kills them, restarts the server once, and watches them converge."""

    def __init__(self, args: argparse.Namespace, server: TeamServer, run_dir: Path) -> None:
        self.args, self.server, self.run_dir = args, server, run_dir
        self.rng = random.Random(args.seed)
        self.selector = selectors.DefaultSelector()
        self.clients = [
            Client("checker", f"checker{i:02d}", run_dir / f"checker{i:02d}.db")
            for i in range(1, args.checkers + 1)
        ] + [
            Client("puller", f"puller{i:02d}", run_dir / f"puller{i:02d}.db")
            for i in range(1, args.pullers + 1)
        ]
        self.env = {**os.environ, "PGPASSFILE": str(run_dir / "pgpass")}
        for name in ("PGPASSWORD", "PGHOST", "PGUSER", "PGDATABASE", "PGPORT", "PGSERVICE"):
            self.env.pop(name, None)
        self.restarts = 0
        self.kills_by_phase: collections.Counter[str] = collections.Counter()
        self.server_down_at: float | None = None
        self.server_restarted = False
        self.server_up_at: float | None = None

    @property
    def checkers(self) -> list[Client]:
        return [c for c in self.clients if c.kind == "checker"]

    def start(self, client: Client) -> None:
        command = [
            sys.executable, str(Path(__file__).resolve()), "--worker", client.kind,
            "--db", str(client.db), "--login", client.login,
            "--dsn", self.server.dsn(DESK, client.login), "--run-dir", str(self.run_dir),
            "--verdicts", str(self.args.verdicts), "--claims", str(self.args.claims),
            "--sync-every", str(self.args.sync_every), "--seed", str(self.args.seed),
        ]  # fmt: skip
        with (self.run_dir / f"{client.login}.log").open("ab") as log:
            client.proc = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=log, bufsize=0, env=self.env, cwd=ROOT
            )
        client.buffer, client.killed, client.phase = b"", False, "starting"
        assert client.proc.stdout is not None
        self.selector.register(client.proc.stdout, selectors.EVENT_READ, client)

    def _alive(self) -> list[Client]:
        """The clients running, and not killed already (their restart waits for their EOF)."""
        return [c for c in self.clients if c.proc is not None and not c.killed]

    def kill(self, client: Client) -> None:
        if client.proc is None or client.killed:
            return
        client.killed = True
        client.kills += 1
        self.kills_by_phase[f"{client.kind} {client.phase}"] += 1
        client.proc.send_signal(signal.SIGKILL)

    def _line(self, client: Client, line: str, now: float) -> None:
        kind, *rest = line.split()
        client.phase = {"w": "writing", "b": "syncing"}.get(kind, "waiting")
        if kind == "w":
            client.written = max(client.written, int(rest[0]))
            if client.written >= 0:
                client.first_write_at = client.first_write_at or now
                client.last_write_at = now
        elif kind == "done":
            if not client.done:
                client.done, client.done_at = True, now
        elif kind == "s":
            client.last_seq = int(rest[0])
            client.seqs.append((client.last_seq, now))
            if client.done and int(rest[1]) == 0 and client.drained_at is None:
                client.drained_at = now
        elif kind == "e":
            client.sync_errors[rest[0]] += 1
            client.last_error_at = now

    def _ended(self, client: Client) -> None:
        assert client.proc is not None and client.proc.stdout is not None
        self.selector.unregister(client.proc.stdout)
        client.proc.stdout.close()
        code = client.proc.wait()
        stopping = (self.run_dir / "stop").exists()
        if client.killed or (code != 0 and not stopping):
            if not client.killed:
                client.crashes += 1
                print(f"  {client.login} exited with {code}: see {client.login}.log")
            self.restarts += 1
            self.start(client)
        else:
            client.proc = None

    def pump(self, timeout: float) -> None:
        """Read what the workers said; start again the ones that were killed."""
        for key, _ in self.selector.select(timeout):
            client: Client = key.data
            assert client.proc is not None and client.proc.stdout is not None
            chunk = os.read(client.proc.stdout.fileno(), 65536)
            now = time.monotonic()
            if not chunk:
                self._ended(client)
                continue
            client.buffer += chunk
            *lines, client.buffer = client.buffer.split(b"\n")
            for raw in lines:
                with contextlib.suppress(ValueError, IndexError):
                    self._line(client, raw.decode(), now)

    def written(self) -> int:
        return sum(c.written + 1 for c in self.checkers)

    def run(self) -> dict[str, float]:
        args = self.args
        total = args.checkers * args.verdicts
        kill_at = sorted(self.rng.uniform(0.03, 0.97) * total for _ in range(args.kills))
        restart_at = 0.5 * total
        t0 = time.monotonic()
        for client in self.clients:
            self.start(client)
        last_report = t0
        while not all(c.done for c in self.checkers):
            self.pump(0.05)
            now = time.monotonic()
            progress = self.written()
            while kill_at and progress >= kill_at[0]:
                kill_at.pop(0)
                self.kill(self.rng.choice(self._alive()))
            if not self.server_restarted and progress >= restart_at:
                self.server_restarted = True
                self.server_down_at = now
                self.server.stop()
                print(f"  server stopped (-m immediate) at {progress:,} changes")
            if self.server_down_at is not None and now - self.server_down_at >= args.downtime:
                self._start_server_again()
            if now - last_report > 10:
                last_report = now
                print(f"  {now - t0:5.0f} s: {progress:,} of {total:,} changes written")
            if now - t0 > CONVERGE_TIMEOUT_S * 4:
                raise RuntimeError("the checkers did not finish writing")
        if self.server_down_at is not None:  # a tiny run finished while it was down
            self._start_server_again()
        while kill_at:  # a kill due at the very end
            kill_at.pop(0)
            self.kill(self.rng.choice(self._alive()))
        last_write = max(c.last_write_at or t0 for c in self.checkers)
        first_write = min(c.first_write_at or last_write for c in self.checkers)
        print(f"  all written at {last_write - t0:.1f} s; waiting for every client to converge")
        deadline = time.monotonic() + CONVERGE_TIMEOUT_S
        while not all(c.drained_at is not None for c in self.checkers):
            self.pump(0.05)
            if time.monotonic() > deadline:
                break
        published = max((c.drained_at or time.monotonic()) for c in self.checkers)
        max_seq = self._server_max_seq()
        while not all(c.last_seq >= max_seq for c in self.clients):
            self.pump(0.05)
            if time.monotonic() > deadline:
                print("  not converged in time")
                break
        converged = max(
            min((t for seq, t in c.seqs if seq >= max_seq), default=time.monotonic())
            for c in self.clients
        )
        (self.run_dir / "stop").touch()
        self._stop_all()
        return {
            "t0": t0,
            "first_write": first_write,
            "server_up": self.server_up_at or t0,
            "last_write": last_write,
            "published": published,
            "converged": converged,
            "end": time.monotonic(),
        }

    def _start_server_again(self) -> None:
        assert self.server_down_at is not None
        self.server.start()
        self.server_up_at = time.monotonic()
        print(f"  server started again after {self.server_up_at - self.server_down_at:.1f} s")
        self.server_down_at = None

    def _server_max_seq(self) -> int:
        import psycopg

        for _ in range(100):
            try:
                with psycopg.connect(self.server.dsn(DESK), autocommit=True) as conn:
                    row = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM workbench_team.verdicts")
                    found = row.fetchone()
                    return int(found[0]) if found else 0
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise RuntimeError("the server does not answer")

    def _stop_all(self) -> None:
        deadline = time.monotonic() + 30
        while any(c.proc is not None for c in self.clients) and time.monotonic() < deadline:
            self.pump(0.1)
        for client in self.clients:
            if client.proc is not None:
                client.proc.kill()
                client.proc.wait()
                print(f"  {client.login} did not stop; killed")


# -- checking what the server and the databases hold ------------------------------------


def _read_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _setting(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


@dataclass
class Verification:
    changes: int = 0
    server_rows: int = 0
    coalesced: int = 0
    lost: int = 0
    duplicated: int = 0
    phantom: int = 0
    reordered: int = 0
    not_queued: int = 0
    not_converged: int = 0
    damaged: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 30:
            self.problems.append(text)


def verify(server: TeamServer, clients: list[Client]) -> Verification:
    import psycopg

    result = Verification()
    with psycopg.connect(server.dsn(DESK), autocommit=True) as pg:
        rows = pg.execute(
            "SELECT seq, change_id::text, claim_uid::text, origin::text, status, note"
            " FROM workbench_team.verdicts ORDER BY seq"
        ).fetchall()
    result.server_rows = len(rows)
    result.duplicated = len(rows) - len({r[1] for r in rows})
    result.duplicated += len(rows) - len({(r[2], r[5]) for r in rows})
    by_change = {r[1]: r for r in rows}
    latest: dict[str, tuple[Any, ...]] = {}
    history: dict[str, list[tuple[Any, ...]]] = collections.defaultdict(list)
    for r in rows:
        latest[r[2]] = r
        history[r[2]].append(r)
    queued_anywhere: set[str] = set()
    committed_notes: set[tuple[str, str]] = set()

    for client in clients:
        with contextlib.closing(_read_db(client.db)) as db:
            if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                result.damaged += 1
                result.problem(f"{client.login}: integrity_check fails")
            origin = _setting(db, "team.database_id") or ""
            if client.kind == "checker":
                _verify_checker(client, db, origin, by_change, latest, history, result)
                for (change_id,) in db.execute("SELECT change_id FROM bench_change_log"):
                    queued_anywhere.add(change_id)
                committed_notes |= {
                    (r["uid"], r["new"])
                    for r in db.execute(
                        "SELECT t.uid, h.new FROM claim_history h"
                        " JOIN team_claims t ON t.claim_id = h.claim_id WHERE h.field = 'note'"
                    )
                }
            _verify_received(client, db, origin, latest, result)
    for r in rows:
        if r[1] not in queued_anywhere or (r[2], r[5]) not in committed_notes:
            result.phantom += 1
            result.problem(f"server row {r[0]} ({r[5]!r}) was never committed by a checker")
    return result


def _verify_checker(
    client: Client,
    db: sqlite3.Connection,
    origin: str,
    by_change: dict[str, tuple[Any, ...]],
    latest: dict[str, tuple[Any, ...]],
    history: dict[str, list[tuple[Any, ...]]],
    result: Verification,
) -> None:
    login = client.login
    notes = {
        r["new"]
        for r in db.execute("SELECT new FROM claim_history WHERE field = 'note'")
        if _change_number(r["new"] or "", login) is not None
    }
    result.changes += len(notes)
    log = db.execute(
        "SELECT change_id, claim_uid, status, note, fate FROM bench_change_log ORDER BY id"
    ).fetchall()
    queued_notes = {r["note"] for r in log}
    missing = notes - queued_notes
    result.not_queued += len(missing)
    for note in sorted(missing)[:3]:
        result.problem(f"{login}: {note!r} committed but never queued")
    last_queued: dict[str, str] = {}
    for r in log:
        last_queued[r["claim_uid"]] = r["change_id"]
    for r in log:
        if r["change_id"] in by_change:
            continue
        if last_queued[r["claim_uid"]] == r["change_id"]:
            result.lost += 1
            result.problem(f"{login}: the last change {r['note']!r} is not on the server")
        elif r["fate"] == "replaced":
            result.coalesced += 1
        else:
            result.lost += 1
            result.problem(f"{login}: {r['note']!r} left the outbox as sent, not on the server")
    pending = db.execute("SELECT COUNT(*) FROM team_outbox").fetchone()[0]
    if pending:
        result.not_converged += 1
        result.problem(f"{login}: {pending} changes still in the outbox")
    claims = db.execute(
        "SELECT c.status, c.note, t.uid FROM claims c LEFT JOIN team_claims t ON t.claim_id = c.id"
    ).fetchall()
    for c in claims:
        if c["note"] == "":
            continue  # never changed (a run with fewer changes than claims)
        server = latest.get(c["uid"]) if c["uid"] else None
        if server is None or (server[4], server[5]) != (c["status"], c["note"]):
            result.lost += 1
            result.problem(
                f"{login}: claim holds {c['status']} {c['note']!r}, the server"
                f" {(server[4], server[5]) if server else None}"
            )
            continue
        if server[3] != origin:
            result.problem(f"{login}: claim {c['uid']} published from another database")
        numbers = [_change_number(r[5], login) or -1 for r in history[c["uid"]]]
        if numbers != sorted(numbers):
            result.reordered += 1
            result.problem(f"{login}: claim {c['uid']} out of order on the server: {numbers}")


def _verify_received(
    client: Client,
    db: sqlite3.Connection,
    origin: str,
    latest: dict[str, tuple[Any, ...]],
    result: Verification,
) -> None:
    expected = {uid: r[1] for uid, r in latest.items() if r[3] != origin and r[4] != "unchecked"}
    received = {
        r["claim_uid"]: r["change_id"]
        for r in db.execute("SELECT claim_uid, change_id FROM team_received")
    }
    archived = {
        r[0] for r in db.execute("SELECT external_id FROM archive_claims WHERE source = 'team'")
    }
    last_seq = int(_setting(db, "team.last_seq") or 0)
    if received != expected or archived != set(expected):
        result.not_converged += 1
        stale = sum(1 for uid, c in expected.items() if received.get(uid) != c)
        extra = len(set(received) - set(expected))
        result.problem(
            f"{client.login}: {stale} verdicts missing or stale, {extra} extra,"
            f" {len(archived ^ set(expected))} archive rows off (read up to {last_seq})"
        )


# -- one run, several runs ---------------------------------------------------------------


def _set_up(server: TeamServer, args: argparse.Namespace, run_dir: Path) -> None:
    import psycopg

    from workbench.team import init_team

    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
    server.stop()
    server.start()
    passwords: dict[str, str] = {}
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DESK}")
    init_team(server.dsn(DESK))
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        for kind, count, role in (
            ("checker", args.checkers, "workbench_checker"),
            ("puller", args.pullers, "workbench_reader"),
        ):
            for i in range(1, count + 1):
                login = f"{kind}{i:02d}"
                passwords[login] = f"pw-{login}-{random.Random(login).randrange(10**9)}"
                conn.execute(
                    f"CREATE ROLE {login} LOGIN PASSWORD '{passwords[login]}' IN ROLE {role}"
                )
    passfile = run_dir / "pgpass"
    passfile.write_text("".join(f"*:*:*:{u}:{p}\n" for u, p in passwords.items()))
    passfile.chmod(0o600)


def one_run(args: argparse.Namespace, bin_dir: Path, run_dir: Path) -> RunResult:
    with running_server(bin_dir) as server:
        _set_up(server, args, run_dir)
        coordinator = Coordinator(args, server, run_dir)
        times = coordinator.run()
        found = verify(server, coordinator.clients)
    clients = coordinator.clients
    return RunResult(
        changes=found.changes,
        server_rows=found.server_rows,
        coalesced=found.coalesced,
        wall_s=times["end"] - times["t0"],
        startup_s=times["first_write"] - times["t0"],
        write_s=times["last_write"] - times["first_write"],
        publish_s=times["published"] - times["first_write"],
        converge_s=times["converged"] - times["last_write"],
        kills=sum(c.kills for c in clients),
        kills_by_phase=dict(coordinator.kills_by_phase),
        restarts=coordinator.restarts,
        crashes=sum(c.crashes for c in clients),
        sync_errors=dict(sum((c.sync_errors for c in clients), collections.Counter())),
        errors_after_restart_s=max(
            (c.last_error_at - times["server_up"] for c in clients if c.last_error_at),
            default=0.0,
        ),
        lost=found.lost,
        duplicated=found.duplicated,
        phantom=found.phantom,
        reordered=found.reordered,
        not_queued=found.not_queued,
        not_converged=found.not_converged,
        damaged=found.damaged,
        problems=found.problems,
    )


def _print_run(number: int, r: RunResult) -> None:
    print(
        f"run {number}: {r.changes:,} verdict changes committed by the checkers"
        f" ({r.changes_per_s:,.0f}/s over {r.write_s:.1f} s);"
        f" {r.server_rows:,} published ({r.published_per_s:,.0f}/s, all in"
        f" {r.publish_s:.1f} s), {r.coalesced:,} coalesced while offline;"
        f" converged {r.converge_s:.2f} s after the last write; wall {r.wall_s:.1f} s"
        f" (the first write {r.startup_s:.1f} s after starting the clients)"
    )
    print(
        f"  kills {r.kills}, restarts {r.restarts}, crashes {r.crashes},"
        f" sync errors ridden out {sum(r.sync_errors.values())} (the last"
        f" {r.errors_after_restart_s:.1f} s after the server was up again);"
        f" lost {r.lost}, duplicated {r.duplicated},"
        f" phantom {r.phantom}, reordered {r.reordered}, committed but not queued"
        f" {r.not_queued}, clients not converged {r.not_converged}, damaged {r.damaged}"
    )
    phases = ", ".join(f"{n} {p}" for p, n in sorted(r.kills_by_phase.items()))
    print(f"  killed while: {phases or 'no kills'}")
    errors = ", ".join(f"{n} {e}" for e, n in sorted(r.sync_errors.items()))
    print(f"  sync errors: {errors or 'none'}")
    for problem in r.problems:
        print("  problem:", problem)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkers", type=int, default=20)
    parser.add_argument("--verdicts", type=int, default=1000, help="changes per checker")
    parser.add_argument("--pullers", type=int, default=20)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--claims", type=int, default=100, help="claims in each checker's article")
    parser.add_argument("--sync-every", type=int, default=50)
    parser.add_argument("--downtime", type=float, default=3.0, help="seconds the server is down")
    parser.add_argument("--db-dir", help="where the databases go (default: a temp folder)")
    # A worker's own arguments (the coordinator starts this script again with them).
    parser.add_argument("--worker", choices=("checker", "puller"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--login", help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return run_worker(args)

    bin_dir = find_pg_bin()
    if bin_dir is None:
        print("no PostgreSQL: initdb is neither on PATH nor in /usr/lib/postgresql/*/bin")
        return 2
    print(
        f"{args.checkers} checkers x {args.verdicts:,} verdict changes ({args.claims} claims"
        f" each, a sync every {args.sync_every}), {args.pullers} pullers, {args.kills} kills,"
        f" one server restart ({args.downtime:g} s down), seed {args.seed}"
    )
    results: list[RunResult] = []
    first_seed = args.seed
    for number in range(1, args.runs + 1):
        args.seed = first_seed + number - 1
        with tempfile.TemporaryDirectory(prefix="team-load-", dir=args.db_dir) as folder:
            result = one_run(args, bin_dir, Path(folder))
        _print_run(number, result)
        results.append(result)
    if len(results) > 1:
        med = statistics.median
        print(
            f"median of {len(results)} runs: {med(r.changes_per_s for r in results):,.0f}"
            f" changes/s, {med(r.published_per_s for r in results):,.0f} published/s,"
            f" converged {med(r.converge_s for r in results):.2f} s after the last write,"
            f" wall {med(r.wall_s for r in results):.1f} s; kills"
            f" {sum(r.kills for r in results)}, lost {sum(r.lost for r in results)},"
            f" duplicated {sum(r.duplicated for r in results)}, not converged"
            f" {sum(r.not_converged for r in results)}"
        )
    bad = sum(
        r.lost + r.duplicated + r.phantom + r.reordered + r.not_queued + r.not_converged
        + r.damaged + r.crashes
        for r in results
    )  # fmt: skip
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
