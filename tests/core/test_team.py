"""The team archive against a real PostgreSQL server, with two checkers and a reader.

One server for the session (initdb into a temporary folder, a Unix socket only; see
``team_server.py``), a fresh database on it per test. Logins: ``ana`` and ``ben``
(checkers), ``rita`` (reader); their passwords come from a ``PGPASSFILE``, as a
member's would from ``~/.pgpass``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keyring
import psycopg
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from tests.core.cli_runner import run
from tests.core.team_server import (
    TeamServer,
    create_logins,
    find_pg_bin,
    keyring_in_use,
    running_server,
    team_database,
    use_password_file,
)
from workbench.errors import (
    TeamAuthError,
    TeamConfigError,
    TeamConnectionLostError,
    TeamError,
    TeamPermissionError,
    TeamSchemaError,
    TeamUnreachableError,
    ValidationError,
)
from workbench.models import ArticleDraft, DetectedClaim, Status
from workbench.store import TEAM_SOURCE, Store
from workbench.team.passwords import NO_KEYRING, SERVICE

if TYPE_CHECKING:
    from workbench.team import SyncReport

PG_BIN = find_pg_bin()
pytestmark = pytest.mark.skipif(
    PG_BIN is None,
    reason="no PostgreSQL: initdb is neither on PATH nor in /usr/lib/postgresql/*/bin"
    " (.ci/run installs Debian's postgresql package)",
)

PASSWORDS = {"ana": "pw-ana-Xq7", "ben": "pw-ben-Zr4", "rita": "pw-rita-Kd9"}
NAMES = {"ana": "Ana Lima", "ben": "Ben Okafor", "rita": "Rita Sousa"}
CHECKERS = ("ana", "ben")
READERS = ("rita",)

TEXT = (
    "The city built 4,000 new homes last year, the mayor said. "
    "Unemployment fell to 3.1 percent in March. "
    "Crime rose by 12 percent since 2020, according to the police."
)
SENTENCES = (
    "The city built 4,000 new homes last year, the mayor said.",
    "Unemployment fell to 3.1 percent in March.",
    "Crime rose by 12 percent since 2020, according to the police.",
)


@pytest.fixture(scope="session")
def pg() -> Iterator[TeamServer]:
    assert PG_BIN is not None
    with running_server(PG_BIN) as server:
        create_logins(server, PASSWORDS)
        yield server


_numbers = itertools.count(1)


@pytest.fixture
def team(pg: TeamServer) -> Iterator[str]:
    """A new database with the team archive made by ``team init``, and the members granted."""
    with team_database(pg, f"desk{next(_numbers)}", checkers=CHECKERS, readers=READERS) as name:
        yield name


class MemoryKeyring(KeyringBackend):
    """A system keyring in a dict: the tests never touch the machine's own."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    with keyring_in_use(MemoryKeyring()) as ring:
        yield ring


@pytest.fixture(autouse=True)
def _passwords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Members' passwords in a password file, as in ~/.pgpass; none in the environment."""
    use_password_file(tmp_path, PASSWORDS, monkeypatch)


class Desk:
    """The members' local databases, each connected to the team as its login."""

    def __init__(self, pg: TeamServer, team: str, root: Path) -> None:
        self.pg, self.team, self.root = pg, team, root
        self.stores: dict[str, Store] = {}

    def member(self, login: str, *, join: bool = True) -> Store:
        from workbench.team import join_team

        store = Store(self.root / f"{login}.db", user=login)
        self.stores[login] = store
        if join:
            join_team(store, self.dsn(login), name=NAMES[login])
        return store

    def dsn(self, login: str) -> str:
        return self.pg.dsn(self.team, login)

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.pg.dsn(self.team), autocommit=True)

    def server_rows(self) -> list[tuple[Any, ...]]:
        with self.admin() as conn:
            return conn.execute(
                "SELECT change_id::text, claim_uid::text, status, note, login::text,"
                " checker_name FROM workbench_team.verdicts ORDER BY seq"
            ).fetchall()

    def close(self) -> None:
        for store in self.stores.values():
            store.close()


@pytest.fixture
def desk(pg: TeamServer, team: str, tmp_path: Path) -> Iterator[Desk]:
    d = Desk(pg, team, tmp_path)
    yield d
    d.close()


def article(store: Store, title: str = "City figures") -> list[int]:
    """An article with the three claims; returns their ids."""
    claims = [
        DetectedClaim(TEXT.index(s), TEXT.index(s) + len(s), s, 0.8, ("number",)) for s in SENTENCES
    ]
    draft = ArticleDraft(f"{TEXT} ({title})", title=title, url="https://news.example.org/city")
    result = store.add_article(draft, claims)
    return [c.id for c in store.claims(result.article.id)]


def outbox(store: Store) -> list[tuple[str, str, str]]:
    return [(c.claim_text, c.status, c.change_id) for c in store.team_outbox()]


def team_past_checks(store: Store) -> dict[str, tuple[str, str, str]]:
    """The team's verdicts in ``store``'s archive: text -> (verdict, publisher, first url)."""
    found = store.archive_search("", source=TEAM_SOURCE, limit=100)
    return {p.text: (p.verdict, p.publisher, p.url) for p in found}


def sync(store: Store, **options: Any) -> SyncReport:
    from workbench.team import sync as team_sync

    return team_sync(store, **options)


# -- init and connect -----------------------------------------------------------------


def test_init_makes_the_archive_once_and_says_so(pg: TeamServer, team: str) -> None:
    from workbench.team import TEAM_SCHEMA_VERSION, init_team

    again = init_team(pg.dsn(team))
    assert (again.before, again.after) == (TEAM_SCHEMA_VERSION, TEAM_SCHEMA_VERSION)
    assert again.roles_created == ()
    code, out = run("team", "init", pg.dsn(team))
    assert code == 0 and "is up to date" in out
    with psycopg.connect(pg.dsn(team), autocommit=True) as conn:
        (versions,) = conn.execute(
            "SELECT array_agg(version ORDER BY version) FROM workbench_team.team_migrations"
        ).fetchone()
        assert versions == list(range(1, TEAM_SCHEMA_VERSION + 1))
        # Full-text search over the published claims, for the server-side search to come.
        conn.execute(
            "INSERT INTO workbench_team.verdicts (change_id, claim_uid, origin, claim_text,"
            " status, checker_name, changed_at) VALUES (gen_random_uuid(), gen_random_uuid(),"
            " gen_random_uuid(), 'Unemployment fell sharply', 'verified', 'x', now())"
        )
        (hits,) = conn.execute(
            "SELECT count(*) FROM workbench_team.verdicts"
            " WHERE search @@ plainto_tsquery('english', 'sharply unemployed')"
        ).fetchone()
        assert hits == 1


def test_a_new_database_gets_the_archive_and_the_roles(pg: TeamServer) -> None:
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE fresh_desk")
    try:
        code, out = run("team", "init", pg.dsn("fresh_desk"))
        assert code == 0
        assert "created the team archive" in out
    finally:
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            conn.execute("DROP DATABASE fresh_desk WITH (FORCE)")


def test_connect_refuses_a_password_and_never_shows_it(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    store = desk.member("ana", join=False)
    db = str(store.path)
    secret = "s3cret-Do-Not-Show"
    for dsn in (
        f"{desk.dsn('ana')} password={secret}",
        f"postgresql://ana:{secret}@localhost/{desk.team}",
    ):
        code, out = run("team", "connect", dsn, "--name", "Ana", "--db", db)
        err = capsys.readouterr().err
        assert code == 2
        assert err.startswith("workbench: error: the connection string holds a password")
        assert err.count("\n") == 1
        assert secret not in out + err
    assert store.settings(prefix="team.") == {}
    # A connection string that cannot be parsed is not repeated either.
    code, _ = run("team", "connect", f"host='unclosed password={secret}", "--db", db)
    err = capsys.readouterr().err
    assert code == 2 and secret not in err and "not valid" in err
    # A host name no lookup can encode (a label over 63 characters) was saved, and every
    # team command after it crashed with a UnicodeError.
    code, _ = run("team", "connect", f"host={'a' * 64}.example.org dbname=d user=ana",
                  "--name", "Ana", "--db", db)  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "host name is not valid" in err and err.count("\n") == 1
    # A port that is not a number read as "the server is unreachable".
    for port in ("abc", "70000", "0", "5432,x"):
        code, _ = run("team", "connect", f"host=localhost,localhost port={port} dbname=d",
                      "--name", "Ana", "--db", db)  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and "port is not valid" in err and err.count("\n") == 1, err
    assert store.settings(prefix="team.") == {}


def test_connect_works_offline_and_queues_the_verdicts_already_recorded(
    desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = desk.member("ana", join=False)
    first, second, third = article(store)
    store.update_claim(first, status="verified", evidence=[("https://stats.example.org/1", "")])
    store.update_claim(second, status="disputed")
    store.update_claim(third, note="not checked yet")
    assert outbox(store) == []  # not on a team: nothing is queued
    down = f"host={tmp_path} port=5432 dbname={desk.team} user=ana"
    code, out = run("team", "connect", down, "--name", "Ana Lima", "--db", str(store.path))
    assert code == 0
    assert "2 verdicts queued" in out
    assert "is unreachable" in capsys.readouterr().err
    assert sorted(status for _, status, _ in outbox(store)) == ["disputed", "verified"]
    # Pointed at the real server, the same outbox goes out.
    code, out = run("team", "connect", desk.dsn("ana"), "--db", str(store.path))
    assert code == 0 and "as Ana Lima" in out
    report = sync(store)
    assert report.sent == 2 and report.pending == 0
    assert [(r[2], r[4], r[5]) for r in desk.server_rows()] == [
        ("verified", "ana", "Ana Lima"),
        ("disputed", "ana", "Ana Lima"),
    ]


def test_connect_needs_a_name(desk: Desk) -> None:
    from workbench.team import join_team

    store = desk.member("ana", join=False)
    with pytest.raises(ValidationError, match="--name"):
        join_team(store, desk.dsn("ana"))


# -- the outbox -----------------------------------------------------------------------


def test_every_verdict_change_is_queued_in_its_own_transaction(desk: Desk) -> None:
    store = desk.member("ana")
    first, second, _ = article(store)
    store.update_claim(second, note="a note on an unchecked claim is not a verdict")
    assert outbox(store) == []
    store.update_claim(first, status="verified", note="Census table 4")
    [(text, status, change)] = outbox(store)
    assert (text, status) == (SENTENCES[0], "verified")
    # Each later change replaces the pending one (the latest state goes out), new id.
    evidence = store.add_evidence(first, "https://stats.example.org/homes", title="Table 4")
    store.update_claim(first, claimant="the mayor")
    [pending] = store.team_outbox()
    assert pending.change_id != change
    assert pending.evidence == (("https://stats.example.org/homes", "Table 4"),)
    assert (pending.note, pending.claimant) == ("Census table 4", "the mayor")
    assert pending.article_title == "City figures"
    # A change that fails is not queued: it and its outbox row are one transaction.
    with pytest.raises(ValidationError):
        store.update_claim(first, status="disputed", evidence=[("javascript:alert(1)", "")])
    assert [c.change_id for c in store.team_outbox()] == [pending.change_id]
    with pytest.raises(RuntimeError), store.transaction():
        store.update_claim(first, status="disputed")
        raise RuntimeError("the app crashed mid-operation")
    assert store.claim(first).status is Status.VERIFIED
    assert [c.change_id for c in store.team_outbox()] == [pending.change_id]
    # Removing evidence, and going back to unchecked (withdrawing), are changes too.
    store.remove_evidence(evidence.id)
    assert store.team_outbox()[0].evidence == ()
    store.update_claim(first, status="unchecked")
    assert [c.status for c in store.team_outbox()] == ["unchecked"]


def test_removing_a_checked_claim_withdraws_its_verdict(desk: Desk) -> None:
    ana, ben = desk.member("ana"), desk.member("ben")
    first, second, _ = article(ana)
    ana.update_claim(first, status="verified")
    ana.update_claim(second, status="disputed")
    sync(ana)
    sync(ben)
    assert len(team_past_checks(ben)) == 2
    ana.remove_claim(first)
    report = sync(ana)
    assert report.sent == 1
    sync(ben)
    assert list(team_past_checks(ben)) == [SENTENCES[1]]


def test_a_removal_undone_keeps_the_claims_team_identity(tmp_path: Path) -> None:
    """The team saw a withdrawn verdict and a new claim: the identity was made again."""
    from workbench import operations
    from workbench.store.outbox import TEAM_DSN

    with Store(tmp_path / "w.db", user="ana") as store:
        store.set_setting(TEAM_DSN, "postgresql://team.example.org/desk")
        first, _, _ = article(store)
        store.update_claim(first, status="verified")
        uid = store.team_claim_uid(first)
        removed = operations.run(store, operations.remove_claim(first))
        assert [(c.claim_uid, c.status) for c in store.team_outbox()] == [(uid, "unchecked")]
        operations.run(store, removed.undo)
        assert [(c.claim_uid, c.status) for c in store.team_outbox()] == [(uid, "verified")]


# -- the whole flow ---------------------------------------------------------------------


def test_two_checkers_and_a_reader_share_their_verdicts(desk: Desk) -> None:
    ana, ben, rita = desk.member("ana"), desk.member("ben"), desk.member("rita")
    a1, a2, _ = article(ana)
    b1, b2, b3 = article(ben, title="Crime report")
    ana.update_claim(
        a1,
        status="verified",
        note="Matches the housing register.",
        evidence=[
            ("https://stats.example.org/homes", "Housing register"),
            ("https://archive.example.org/mayor", "Speech"),
        ],
    )
    ben.update_claim(b3, status="disputed", claimant="the police")
    ben.update_claim(b2, status="unverifiable")
    for store in (ana, ben, rita):
        sync(store)
    sync(ana)  # ben's verdicts were published after ana's first sync
    # Each receives the other's verdicts, not their own, as past checks of the team.
    assert team_past_checks(ana) == {
        SENTENCES[2]: ("disputed", "Ben Okafor (ben)", ""),
        SENTENCES[1]: ("unverifiable", "Ben Okafor (ben)", ""),
    }
    assert team_past_checks(ben) == {
        SENTENCES[0]: ("verified", "Ana Lima (ana)", "https://stats.example.org/homes"),
    }
    assert len(team_past_checks(rita)) == 3
    # Who checked, when, and every evidence link.
    [past] = ben.archive_search("homes", source=TEAM_SOURCE)
    received = ben.team_received(past.external_id)
    assert received is not None
    assert (received.checker_name, received.login) == ("Ana Lima", "ana")
    assert received.note == "Matches the housing register."
    assert received.evidence == (
        ("https://stats.example.org/homes", "Housing register"),
        ("https://archive.example.org/mayor", "Speech"),
    )
    assert past.date.startswith("20") and past.date.endswith("+00:00")
    # Applying a colleague's verdict brings all their links.
    applied = ben.apply_past_verdict(b1, past.id)
    assert applied.status is Status.VERIFIED
    assert {e.url for e in applied.evidence} >= {
        "https://stats.example.org/homes",
        "https://archive.example.org/mayor",
    }
    assert "Ana Lima" in applied.note
    # ben's application is his own verdict: it goes out too, and ana receives it.
    sync(ben)
    sync(ana)
    assert team_past_checks(ana)[SENTENCES[0]][:2] == ("verified", "Ben Okafor (ben)")

    # A later verdict on the same claim replaces the earlier one; the server keeps both.
    ana.update_claim(a1, status="disputed", note="The register counts permits, not homes.")
    ana.update_claim(a2, status="verified")
    sync(ana)
    report = sync(ben)
    assert report.received.replaced == 1 and report.received.added == 1
    assert team_past_checks(ben)[SENTENCES[0]][:2] == ("disputed", "Ana Lima (ana)")
    assert ben.archive_count(TEAM_SOURCE) == 2
    uid = past.external_id
    history = [(r[2], r[3]) for r in desk.server_rows() if r[1] == uid]
    assert history == [
        ("verified", "Matches the housing register."),
        ("disputed", "The register counts permits, not homes."),
    ]
    # Nothing new: a sync receives nothing and sends nothing.
    again = sync(ben)
    assert again.sent == 0 and again.received.added + again.received.replaced == 0


def test_sync_from_the_command_line_and_status(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    ana, ben = desk.member("ana"), desk.member("ben")
    a1, _, _ = article(ana)
    ana.update_claim(a1, status="verified")
    ana.close()
    ben.close()
    code, out = run("team", "status", "--db", str(ana.path))
    assert code == 0
    assert "1 verdict waiting to be published" in out
    assert "server: reachable" in out
    code, out = run("team", "sync", "--no-embed", "--db", str(ana.path))
    assert code == 0 and "published 1 verdict change" in out
    code, out = run("team", "sync", "--no-embed", "--json", "--db", str(ben.path))
    assert code == 0 and '"added": 1' in out
    code, out = run("team", "status", "--json", "--db", str(ben.path))
    assert code == 0 and '"reachable": true' in out and '"last_seq": ' in out
    out_err = capsys.readouterr()
    assert PASSWORDS["ana"] not in out + out_err.out + out_err.err


# -- idempotence and cuts ---------------------------------------------------------------


def test_a_retried_push_never_duplicates(desk: Desk) -> None:
    ana = desk.member("ana")
    ids = article(ana)
    for claim_id in ids:
        ana.update_claim(claim_id, status="verified")
    sent_rows = ana.conn.execute("SELECT * FROM team_outbox").fetchall()
    sync(ana)
    assert len(desk.server_rows()) == 3
    # The server committed, but the answer was lost: the outbox still holds the rows.
    with ana.transaction():
        ana.conn.executemany(
            f"INSERT INTO team_outbox VALUES ({', '.join('?' * len(sent_rows[0]))})",
            [tuple(r) for r in sent_rows],
        )
    report = sync(ana)
    assert report.sent == 3 and report.pending == 0
    assert len(desk.server_rows()) == 3


def test_a_connection_cut_between_batches_loses_nothing(desk: Desk) -> None:
    ana, ben = desk.member("ana"), desk.member("ben")
    for title in ("One", "Two"):
        for claim_id in article(ana, title=title):
            ana.update_claim(claim_id, status="disputed")
    assert len(outbox(ana)) == 6

    def cut(sent: int) -> None:
        with desk.admin() as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE usename = 'ana' AND application_name = 'workbench'"
            )

    with pytest.raises(TeamConnectionLostError) as caught:
        sync(ana, push_batch=2, after_push_batch=cut)
    message = str(caught.value)
    assert "connection to the team server" in message and "4 verdicts wait" in message
    assert "\n" not in message
    assert len(outbox(ana)) == 4 and len(desk.server_rows()) == 2
    report = sync(ana, push_batch=2)
    assert report.sent == 4 and report.pending == 0
    rows = desk.server_rows()
    assert len(rows) == 6 and len({r[0] for r in rows}) == 6
    sync(ben)
    assert ben.archive_count(TEAM_SOURCE) == 6  # two articles with the same three claims


def test_the_server_going_down_mid_push_and_coming_back(desk: Desk) -> None:
    ana = desk.member("ana")
    for claim_id in article(ana):
        ana.update_claim(claim_id, status="verified")

    def crash(sent: int) -> None:
        desk.pg.stop()

    try:
        with pytest.raises(TeamConnectionLostError):
            sync(ana, push_batch=1, after_push_batch=crash)
        assert len(outbox(ana)) == 2
        with pytest.raises(TeamUnreachableError, match="is unreachable"):
            sync(ana)
        assert len(outbox(ana)) == 2
    finally:
        desk.pg.start_if_stopped()
    report = sync(ana)
    assert report.sent == 2 and report.pending == 0
    assert len(desk.server_rows()) == 3


def test_an_archive_made_anew_gets_everything_again(desk: Desk) -> None:
    from workbench.team import init_team

    ana, ben = desk.member("ana"), desk.member("ben")
    a1, _, _ = article(ana)
    ana.update_claim(a1, status="verified")
    sync(ana)
    sync(ben)
    with desk.admin() as admin:
        admin.execute("DROP SCHEMA workbench_team CASCADE")
    init_team(desk.pg.dsn(desk.team))
    report = sync(ana)
    assert report.restarted and report.sent == 1
    report = sync(ben)
    assert report.restarted and report.received.added == 1
    assert list(team_past_checks(ben)) == [SENTENCES[0]]


# -- bad conditions, as the command line says them --------------------------------------


def test_server_down(desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = desk.member("ana", join=False)
    first, _, _ = article(store)
    nowhere = tmp_path / "no-server"
    nowhere.mkdir()
    run("team", "connect", f"host={nowhere} dbname=desk user=ana", "--name", "Ana",
        "--db", str(store.path))  # fmt: skip
    capsys.readouterr()
    store.update_claim(first, status="verified")
    code, _ = run("team", "sync", "--db", str(store.path))
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"workbench: error: the team server at {nowhere}:5432/desk is unreachable"
        " (no server on that socket)\n"
    )
    code, out = run("team", "status", "--db", str(store.path))
    assert code == 0
    assert "is unreachable" in out and "1 verdict waiting" in out
    assert len(outbox(store)) == 1


def test_wrong_password(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = desk.member("ana")
    first, _, _ = article(store)
    store.update_claim(first, status="verified")
    monkeypatch.setenv("PGPASSWORD", "not-her-password")
    with pytest.raises(TeamAuthError, match="refused the password for ana"):
        sync(store)
    code, _ = run("team", "sync", "--db", str(store.path))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "not-her-password" not in err and "refused the password for ana" in err
    assert len(outbox(store)) == 1
    monkeypatch.delenv("PGPASSWORD")
    assert sync(store).sent == 1


def test_a_newer_team_schema_is_refused(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    store = desk.member("ana")
    first, _, _ = article(store)
    store.update_claim(first, status="verified")
    with desk.admin() as admin:
        admin.execute(
            "INSERT INTO workbench_team.team_migrations (version, name) VALUES (99, 'future')"
        )
    with pytest.raises(TeamSchemaError, match="team schema 99, newer"):
        sync(store)
    code, _ = run("team", "sync", "--db", str(store.path))
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("workbench: error: the team server at ")
    assert "team schema 99" in err and err.count("\n") == 1
    code, _ = run("team", "init", desk.pg.dsn(desk.team))
    assert code == 2 and "please upgrade" in capsys.readouterr().err
    assert len(outbox(store)) == 1


def test_no_team_archive_on_the_server(pg: TeamServer, tmp_path: Path) -> None:
    from workbench.team import join_team

    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE bare_desk")
        conn.execute("GRANT CONNECT ON DATABASE bare_desk TO ana")
    try:
        with Store(tmp_path / "ana.db") as store:
            report = join_team(store, pg.dsn("bare_desk", "ana"), name="Ana")
            assert report.problem is not None and "no team archive yet" in report.problem
            with pytest.raises(TeamSchemaError, match="workbench team init"):
                sync(store)
    finally:
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            conn.execute("DROP DATABASE bare_desk WITH (FORCE)")


def test_a_password_stored_by_hand_is_refused(desk: Desk) -> None:
    store = desk.member("ana")
    store.set_setting("team.dsn", desk.dsn("ana") + " password=typed-by-hand")
    with pytest.raises(TeamConfigError) as caught:
        sync(store)
    assert "typed-by-hand" not in str(caught.value)


# -- permissions ------------------------------------------------------------------------


def test_a_reader_receives_but_cannot_publish(desk: Desk) -> None:
    ana, rita = desk.member("ana"), desk.member("rita")
    a1, _, _ = article(ana)
    ana.update_claim(a1, status="verified")
    sync(ana)
    r1, _, _ = article(rita)
    rita.update_claim(r1, status="disputed")
    with pytest.raises(TeamPermissionError, match="does not let rita publish") as caught:
        sync(rita)
    assert "1 verdict waits in the outbox" in str(caught.value)
    assert len(outbox(rita)) == 1
    assert team_past_checks(rita) == {SENTENCES[0]: ("verified", "Ana Lima (ana)", "")}
    with (
        psycopg.connect(desk.dsn("rita"), autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("UPDATE workbench_team.verdicts SET note = 'x'")


def test_a_checker_writes_only_their_own_verdicts(desk: Desk) -> None:
    ana, ben = desk.member("ana"), desk.member("ben")
    article(ana)
    article(ben)
    ana.update_claim(ana.claims(1)[0].id, status="verified")
    ben.update_claim(ben.claims(1)[0].id, status="disputed")
    sync(ana)
    sync(ben)
    with psycopg.connect(desk.dsn("ana"), autocommit=True) as conn:
        # Someone else's verdicts are out of reach; one's own can be corrected.
        changed = conn.execute(
            "UPDATE workbench_team.verdicts SET note = 'overwritten' WHERE login = 'ben'"
        )
        assert changed.rowcount == 0
        changed = conn.execute("UPDATE workbench_team.verdicts SET note = 'corrected'")
        assert changed.rowcount == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM workbench_team.verdicts")
        # Publishing in someone else's name: the server writes the real login.
        conn.execute(
            "INSERT INTO workbench_team.verdicts (change_id, claim_uid, origin, claim_text,"
            " status, checker_name, login, changed_at) VALUES (gen_random_uuid(),"
            " gen_random_uuid(), gen_random_uuid(), 'forged', 'verified', 'Ben', 'ben', now())"
        )
    rows = {(r[3], r[4]) for r in desk.server_rows()}
    assert rows == {("corrected", "ana"), ("", "ben"), ("", "ana")}


def test_no_checker_can_overwrite_or_withdraw_a_colleagues_verdict(desk: Desk) -> None:
    """Found by auditing: ben published rows with ana's claim identity and database, and
    everyone's archive showed her claim "verified by Ana Lima" with his link, or withdrew
    it, while her own syncs skipped the rows as hers."""
    ana, ben, rita = desk.member("ana"), desk.member("ben"), desk.member("rita")
    a1, _, _ = article(ana)
    ana.update_claim(a1, status="disputed")
    sync(ana)
    [(claim_uid, origin)] = [
        (r[1], str(ana.setting("team.database_id"))) for r in desk.server_rows()
    ]
    forge = (
        "INSERT INTO workbench_team.verdicts (change_id, claim_uid, origin, claim_text,"
        " status, checker_name, changed_at, evidence) VALUES (gen_random_uuid(), %s, %s,"
        " %s, %s, 'Ana Lima', now(), %s)"
    )
    proof = '[{"url": "https://evil.example/proof", "title": "proof"}]'
    with psycopg.connect(desk.dsn("ben"), autocommit=True) as conn:
        for uid, db in ((claim_uid, origin), (claim_uid, str(uuid.uuid4()))):
            for status in ("verified", "unchecked"):
                with pytest.raises(psycopg.Error, match="another login"):
                    conn.execute(forge, (uid, db, SENTENCES[0], status, proof))
        # Posing as ana's database with a claim of his own is refused too.
        with pytest.raises(psycopg.Error, match="another login"):
            conn.execute(forge, (str(uuid.uuid4()), origin, "forged", "verified", proof))
        # His own row cannot be turned into hers by an update either.
        ben.update_claim(article(ben)[1], status="verified")
        sync(ben)
        conn.execute("UPDATE workbench_team.verdicts SET claim_uid = %s", (claim_uid,))
    sync(rita)
    shown = team_past_checks(rita)
    assert list(shown.values()).count(("disputed", "Ana Lima (ana)", "")) == 1
    assert ("verified", "Ben Okafor (ben)", "") in shown.values()
    assert all("evil.example" not in url for _, _, url in shown.values())


def test_a_member_keeps_a_claim_with_the_login_it_came_from(tmp_path: Path) -> None:
    """The same, received from a server that did not refuse it (team schema 2): in server
    order within a batch too, and after the owner withdrew it (review)."""
    from workbench.store.outbox import TeamVerdict

    store = Store(tmp_path / "r.db")

    def verdict(seq: int, login: str, status: str) -> TeamVerdict:
        return TeamVerdict(
            seq, str(uuid.uuid4()), "claim-1", "db-1", "Rents rose 9%.", status, "", "",
            (), "Ana Lima", login, "", "", "2024-05-01T10:00:00+00:00",
        )  # fmt: skip

    def shown() -> list[tuple[str, str]]:
        found = store.archive_search("", source=TEAM_SOURCE, limit=10)
        return [(p.verdict, p.publisher) for p in found]

    result = store.team_receive(
        [verdict(1, "ana", "disputed"), verdict(2, "ben", "verified")], through_seq=2
    )
    assert (result.added, result.refused) == (1, 1)
    result = store.team_receive([verdict(3, "ben", "unchecked")], through_seq=3)
    assert (result.refused, result.withdrawn) == (1, 0)
    assert shown() == [("disputed", "Ana Lima (ana)")]
    store.team_receive([verdict(4, "ana", "unchecked")], through_seq=4)  # ana withdraws
    assert shown() == []
    result = store.team_receive([verdict(5, "ben", "verified")], through_seq=5)
    assert result.refused == 1 and shown() == []
    store.team_receive([verdict(6, "ana", "verified")], through_seq=6)
    assert shown() == [("verified", "Ana Lima (ana)")]
    store.close()


def test_an_upgraded_server_keeps_claims_with_their_first_login(
    pg: TeamServer, tmp_path: Path
) -> None:
    """A review: rows a schema-2 server already held (a forger's on ana's claim) locked
    ana out of her own claim once migrated, and one refused change held up the outbox."""
    from workbench.team import TEAM_SCHEMA_VERSION, init_team

    name = f"desk{next(_numbers)}"
    with team_database(pg, name, checkers=CHECKERS, readers=READERS, schema=2) as db:
        desk = Desk(pg, db, tmp_path)
        ana, ben = desk.member("ana"), desk.member("ben")
        a1, a2, _ = article(ana)
        ana.update_claim(a1, status="disputed")
        sync(ana)
        [(claim_uid,)] = [(r[1],) for r in desk.server_rows()]
        with psycopg.connect(desk.dsn("ben"), autocommit=True) as conn:  # schema 2: accepted
            conn.execute(
                "INSERT INTO workbench_team.verdicts (change_id, claim_uid, origin, claim_text,"
                " status, checker_name, changed_at) VALUES (gen_random_uuid(), %s,"
                " gen_random_uuid(), 'forged', 'verified', 'Ana Lima', now())",
                (claim_uid,),
            )
        assert init_team(pg.dsn(db)).after == TEAM_SCHEMA_VERSION
        ana.update_claim(a1, status="verified")
        ana.update_claim(a2, status="disputed")
        report = sync(ana)
        assert (report.sent, report.refused, report.pending) == (2, 0, 0)
        # ben's database copied under ana's claims: refused, set aside, the rest goes out.
        ben.team_connect(desk.dsn("ben"), name="Ben", database_id=str(ana.setting(
            "team.database_id")), new_server=False)  # fmt: skip
        b1, _, _ = article(ben)
        ben.update_claim(b1, status="verified")
        report = sync(ben)
        assert (report.sent, report.refused, report.pending) == (0, 1, 0)
        desk.close()


def test_a_change_refused_as_another_logins_does_not_hold_up_the_others(desk: Desk) -> None:
    ana, ben = desk.member("ana"), desk.member("ben")
    a1, _, _ = article(ana)
    ana.update_claim(a1, status="disputed")
    sync(ana)
    b1, b2, _ = article(ben)
    ben.update_claim(b1, status="verified")
    ben.update_claim(b2, status="disputed")
    # One of ben's claims carries ana's claim identity (a database copied from hers).
    ana_uid = ana.team_claim_uid(a1)
    ben.conn.execute("UPDATE team_outbox SET claim_uid = ? WHERE claim_id = ?", (ana_uid, b1))
    ben.conn.commit()
    report = sync(ben)
    assert (report.sent, report.refused, report.pending) == (1, 1, 0)
    assert [r[2] for r in desk.server_rows()] == ["disputed", "disputed"]


def test_no_reader_can_stall_publishing(desk: Desk) -> None:
    """Session 12's audit: publishing was ordered by an advisory lock, which any login may
    take; a reader holding it stalled every publisher, and the error blamed the server."""
    from workbench.team.schema import PUBLISH_LOCK, TAKE_PUBLISH_TURN

    ana, _ = desk.member("ana"), desk.member("rita")
    a1, _, _ = article(ana)
    ana.update_claim(a1, status="verified")
    with psycopg.connect(desk.dsn("rita")) as rita:  # a transaction left open
        rita.execute("SELECT pg_advisory_xact_lock(%s)", (PUBLISH_LOCK,))
        for taking in (
            TAKE_PUBLISH_TURN,
            "SELECT 1 FROM workbench_team.publish_turn FOR UPDATE",
            "LOCK TABLE workbench_team.publish_turn",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), rita.transaction():
                rita.execute(taking)
        report = sync(ana)
    assert (report.sent, report.pending) == (1, 0)
    assert [r[2] for r in desk.server_rows()] == ["verified"]


def test_publishers_become_visible_in_sequence_order(desk: Desk) -> None:
    """A reader that has seen sequence number N never later finds a smaller one committed."""
    insert = (
        "INSERT INTO workbench_team.verdicts (change_id, claim_uid, origin, claim_text,"
        " status, checker_name, changed_at) VALUES (gen_random_uuid(), gen_random_uuid(),"
        " gen_random_uuid(), %s, 'verified', 'x', now()) RETURNING seq"
    )
    with (
        psycopg.connect(desk.dsn("ana")) as first,
        psycopg.connect(desk.dsn("ben"), autocommit=True) as second,
        desk.admin() as admin,
    ):
        (first_seq,) = first.execute(insert, ("first",)).fetchone()  # not committed yet
        found: list[int] = []
        waiting = threading.Thread(
            target=lambda: found.append(second.execute(insert, ("second",)).fetchone()[0])
        )
        waiting.start()
        pid = second.info.backend_pid
        for _ in range(10_000):
            (event,) = admin.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
            if event == "Lock":
                break
            threading.Event().wait(0.005)
        assert event == "Lock"  # the second publisher waits for the first to commit
        assert desk.server_rows() == []
        first.commit()
        waiting.join(timeout=30)
    assert found and found[0] > first_seq


# -- the local database -----------------------------------------------------------------


def test_the_team_source_is_reserved(tmp_path: Path) -> None:
    from workbench.models import ArchiveRecord

    with Store(tmp_path / "w.db") as store:
        with pytest.raises(ValidationError, match="team"):
            store.import_archive_records([ArchiveRecord("A claim")], source="team")
        with pytest.raises(ValidationError, match="team"):
            store.remove_archive_source("team")


def test_receiving_the_same_batch_twice_changes_nothing(tmp_path: Path) -> None:
    from workbench.store import TeamVerdict

    verdict = TeamVerdict(
        7, "c0000000-0000-4000-8000-000000000001", "u0000000-0000-4000-8000-000000000001",
        "o", "Bridges collapsed in 2019", "disputed", "", "", (("https://e.org/x", "X"),),
        "Ana", "ana", "Bridges", "", "2025-01-02T03:04:05+00:00",
    )  # fmt: skip
    with Store(tmp_path / "w.db") as store:
        first = store.team_receive([verdict], through_seq=7)
        second = store.team_receive([verdict], through_seq=7)
        assert (first.added, second.replaced, store.archive_count(TEAM_SOURCE)) == (1, 1, 1)
        assert store.team_last_seq() == 7
        assert [p.text for p in store.archive_search("bridges")] == ["Bridges collapsed in 2019"]
        # Within one batch only the latest verdict on a claim counts.
        later = dataclasses.replace(verdict, seq=8, status="verified")
        withdrawn = dataclasses.replace(verdict, seq=9, status="unchecked")
        result = store.team_receive([later, withdrawn], through_seq=9)
        assert result.withdrawn == 1 and store.archive_count(TEAM_SOURCE) == 0
        assert store.archive_search("bridges") == []
        with sqlite3.connect(store.path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            conn.execute("INSERT INTO archive_fts(archive_fts) VALUES ('integrity-check')")


# -- the keyring and leaving ------------------------------------------------------------


def test_a_password_kept_in_the_keyring_is_used_and_forgotten_on_leaving(
    desk: Desk,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = desk.member("ana")
    first, _, _ = article(store)
    store.update_claim(first, status="verified")
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))  # no ~/.pgpass from here on
    with pytest.raises(TeamAuthError):
        sync(store)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORDS["ana"] + "\n"))
    code, out = run("team", "password", "--stdin", "--db", str(store.path))
    entry = f"ana@{desk.pg.socket_dir}:54329/{desk.team}"
    assert code == 0 and out == f"saved the password for {entry} in the system keyring\n"
    assert memory_keyring.entries == {(SERVICE, entry): PASSWORDS["ana"]}
    assert sync(store).sent == 1
    store.update_claim(first, note="checked twice")
    code, _ = run("team", "disconnect", "--db", str(store.path))
    assert code == 2 and "1 verdict change still wait" in capsys.readouterr().err
    assert len(outbox(store)) == 1 and store.setting("team.dsn")
    code, out = run("team", "disconnect", "--force", "--db", str(store.path))
    assert code == 0 and "1 verdict change left unpublished" in out
    assert "password saved in the system keyring is forgotten" in out
    assert memory_keyring.entries == {} and outbox(store) == []
    store.update_claim(first, status="disputed")  # not queued any more
    assert outbox(store) == []
    assert PASSWORDS["ana"] not in out + capsys.readouterr().err


def test_received_verdicts_stay_after_leaving(desk: Desk) -> None:
    ana, ben = desk.member("ana"), desk.member("ben")
    a1, _, _ = article(ana)
    ana.update_claim(a1, status="verified")
    sync(ana)
    sync(ben)
    assert SENTENCES[0] in team_past_checks(ben)
    code, _ = run("team", "disconnect", "--db", str(ben.path))
    assert code == 0
    assert SENTENCES[0] in team_past_checks(ben)
    code, out = run("team", "status", "--db", str(ben.path))
    assert code == 0 and out.startswith("not connected to a team")


def test_no_keyring_is_a_one_line_error(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = desk.member("ana")
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setattr("sys.stdin", io.StringIO("secret\n"))
    code, _ = run("team", "password", "--stdin", "--db", str(store.path))
    assert code == 2
    assert capsys.readouterr().err == f"workbench: error: {NO_KEYRING}\n"
    assert sync(store).pending == 0  # reading a missing keyring is no error: ~/.pgpass serves


# -- a hostile server -------------------------------------------------------------------


def test_malformed_or_huge_rows_from_the_server_neither_block_nor_flood_receiving(
    desk: Desk,
) -> None:
    """Found by auditing against a hostile server: one row with a date past year 9999
    stopped all receiving for good (DataError), a NULL text blamed the local database,
    evidence nested 5,000 deep crashed as a bug, and a 10 MB note was kept whole."""
    from workbench.team.client import RECEIVED_LIMITS

    ana, ben = desk.member("ana"), desk.member("ben")
    a1, a2, _ = article(ana)
    ana.update_claim(a1, status="verified", note="x" * 50_000)
    sync(ana)
    with desk.admin() as conn:
        conn.execute("ALTER TABLE workbench_team.verdicts ALTER claim_text DROP NOT NULL")
        conn.execute("ALTER TABLE workbench_team.verdicts DISABLE TRIGGER USER")
        insert = (
            "INSERT INTO workbench_team.verdicts (change_id, claim_uid, origin, claim_text,"
            " status, checker_name, changed_at, evidence) VALUES"
            " (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), %s, 'verified', 'E',"
            " %s, %s::jsonb)"
        )
        conn.execute(insert, ("far future", "infinity", "[]"))
        conn.execute(insert, (None, "2024-01-01", "[]"))
        conn.execute(insert, ("deep links", "2024-01-01", "[" * 5000 + "]" * 5000))
        conn.execute("ALTER TABLE workbench_team.verdicts ENABLE TRIGGER USER")
    ana.update_claim(a2, status="disputed")
    sync(ana)  # published after the bad rows

    sync(ben)
    received = team_past_checks(ben)
    assert SENTENCES[1] in received  # the rows after the bad ones arrived
    assert received["deep links"][2] == ""  # kept, without its unreadable links
    assert "far future" not in received and len(received) == 3
    [[longest]] = ben.conn.execute("SELECT max(length(note)) FROM team_received").fetchall()
    assert longest == RECEIVED_LIMITS["note"]  # the 50,000-character note, cut


def test_huge_identities_and_messages_from_the_server_stay_small(
    desk: Desk, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by auditing: ids of 40 MB each grew a member's database to 1 GB, and a
    trigger's 5 MB message became a 5 MB "one-line" error."""
    from workbench.team.client import IDENTITY_LIMIT, SERVER_MESSAGE_LIMIT

    ana, ben = desk.member("ana"), desk.member("ben")
    a1, a2, _ = article(ana)
    ana.update_claim(a1, status="verified")
    sync(ana)
    with desk.admin() as conn:
        for column in ("claim_uid", "change_id", "origin"):
            conn.execute(f"ALTER TABLE workbench_team.verdicts ALTER {column} TYPE text")
        conn.execute("ALTER TABLE workbench_team.verdicts DISABLE TRIGGER USER")
        conn.execute(
            "INSERT INTO workbench_team.verdicts (change_id, claim_uid, origin, claim_text,"
            " status, checker_name, changed_at) VALUES (repeat('c', 200000),"
            " repeat('u', 200000), repeat('o', 200000), 'huge ids', 'verified', 'E', now())"
        )
        conn.execute("ALTER TABLE workbench_team.verdicts ENABLE TRIGGER USER")
    sync(ben)
    [[longest]] = ben.conn.execute("SELECT max(length(claim_uid)) FROM team_received").fetchall()
    assert longest <= IDENTITY_LIMIT
    with desk.admin() as conn:
        conn.execute(
            "CREATE FUNCTION workbench_team.refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION '%', repeat('no ', 100000); END $$"
        )
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON workbench_team.verdicts"
            " FOR EACH ROW EXECUTE FUNCTION workbench_team.refuse()"
        )
    ana.update_claim(a2, status="disputed")
    code, _ = run("team", "sync", "--no-embed", "--db", str(ana.path))
    error = capsys.readouterr().err
    assert code == 2 and error.count("\n") == 1
    assert "no no no" in error and len(error) < SERVER_MESSAGE_LIMIT + 200


def test_a_stalled_server_gives_an_error_not_a_sync_that_never_ends(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.team import client

    ana = desk.member("ana")
    monkeypatch.setattr(client, "STATEMENT_TIMEOUT_MS", 300)
    with desk.admin() as locker:
        locker.autocommit = False
        locker.execute("LOCK TABLE workbench_team.verdicts IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(TeamError) as stalled:
            sync(ana)
        locker.rollback()
    assert "\n" not in str(stalled.value)
    sync(ana)  # once the server answers again


def test_team_search_links_only_http_evidence(desk: Desk) -> None:
    from workbench.team.search import _claim

    row = (0.9, 0, 7, "x", "team", "A claim.", "", "false", "javascript:alert(1)", "", "", "",
           "2024-01-01T00:00:00+00:00")  # fmt: skip
    assert _claim(row).url == ""


def test_a_saved_password_goes_only_to_its_address_and_never_in_clear(
    memory_keyring: MemoryKeyring,
) -> None:
    """Found by auditing: a connection string naming the desk's host with ``hostaddr=``
    pointing elsewhere got the host's saved password, sent in clear to whoever asked."""
    import socket
    import struct

    from workbench.team.client import open_connection
    from workbench.team.dsn import parse_dsn
    from workbench.team.passwords import save_password, saved_password

    desk = "host=desk.example.org port=55432 dbname=desk user=ana"
    save_password(parse_dsn(desk), "pw-saved")
    elsewhere = f"{desk} hostaddr=127.0.0.1"
    assert saved_password(parse_dsn(desk)) == "pw-saved"
    assert saved_password(parse_dsn(elsewhere)) is None
    # Saved for that address too, it is still never sent in clear text.
    save_password(parse_dsn(elsewhere), "pw-saved")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    save_password(parse_dsn(elsewhere.replace("55432", str(port))), "pw-saved")
    received: list[bytes] = []

    def asks_in_clear() -> None:
        client, _ = listener.accept()
        with client:
            size = struct.unpack("!I", client.recv(4))[0]
            body = client.recv(size - 4)
            if struct.unpack("!I", body[:4])[0] == 80877103:  # SSLRequest: not here
                client.sendall(b"N")
                size = struct.unpack("!I", client.recv(4))[0]
                client.recv(size - 4)
            client.sendall(b"R" + struct.pack("!II", 8, 3))  # AuthenticationCleartextPassword
            client.settimeout(5)
            with contextlib.suppress(OSError):
                received.append(client.recv(4096))

    server = threading.Thread(target=asks_in_clear, daemon=True)
    server.start()
    with pytest.raises(TeamError), open_connection(elsewhere.replace("55432", str(port))):
        pass
    server.join(10)
    listener.close()
    assert not any(b"pw-saved" in data for data in received)
    # Leaving forgets the entry an earlier version named without the address (review).
    from workbench.team.passwords import forget_password

    memory_keyring.entries = {(SERVICE, "ana@desk.example.org:55432/desk"): "pw-old"}
    assert forget_password(parse_dsn(elsewhere)) and memory_keyring.entries == {}


def test_a_server_that_stops_answering_is_cut_and_nothing_is_lost(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by auditing: a stopped server (SIGSTOP, a frozen machine) held a sync, a
    status probe and a search forever; the server's statement timeout cannot fire then."""
    import os
    import signal

    from workbench.team import client

    ana = desk.member("ana")
    first, second, _ = article(ana)
    ana.update_claim(first, status="verified")
    ana.update_claim(second, status="disputed")
    monkeypatch.setattr(client, "ANSWER_TIMEOUT_S", 1.0)
    stopped: list[int] = []

    def stop_the_server(sent: int) -> None:
        with desk.admin() as admin:
            [(pid,)] = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE usename = 'ana'"
                " AND application_name = 'workbench'"
            ).fetchall()
        os.kill(pid, signal.SIGSTOP)
        stopped.append(pid)

    try:
        with pytest.raises(TeamError, match="stopped answering while publishing verdicts"):
            sync(ana, push_batch=1, after_push_batch=stop_the_server)
    finally:
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
    assert len(stopped) == 1 and len(outbox(ana)) == 1  # the first batch was sent
    assert sync(ana).sent == 1  # the next sync completes
    assert [r[2] for r in desk.server_rows()] == ["verified", "disputed"]


def test_a_nul_from_an_imported_archive_does_not_jam_publishing(desk: Desk) -> None:
    """PostgreSQL's text and jsonb hold no NUL; an archive's JSON may spell one
    ("\\u0000"). Applied as a verdict, its link and the note naming it went into the
    outbox, the server refused the batch at every sync, and nothing after it went out."""
    from workbench.models import ArchiveRecord

    ana, ben = desk.member("ana"), desk.member("ben")
    a1, a2, _ = article(ana)
    ana.import_archive_records(
        [ArchiveRecord(SENTENCES[0], "x1", verdict="True\x00", url="https://x.example/\x00a")],
        source="imported",
    )
    [past] = ana.archive_search("homes", source="imported")
    ana.apply_past_verdict(a1, past.id)
    ana.update_claim(a2, status="disputed", claimant="the\x00 police")
    report = sync(ana)
    assert (report.sent, report.pending) == (2, 0)
    sync(ben)
    received = team_past_checks(ben)
    assert received[SENTENCES[0]] == ("verified", "Ana Lima (ana)", "https://x.example/a")
    assert received[SENTENCES[1]][0] == "disputed"
