"""Searching the team archive on the server: loading archives, ``match --team``, hostile text.

A real PostgreSQL (see ``team_server.py``), a fresh database per test with the team
archive made by ``team init``. Logins: ``ana`` (checker), ``rita`` (reader); the
administrator is the cluster's superuser, trusted on the socket.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

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
from workbench.errors import TeamAuthError, TeamPermissionError, TeamUnreachableError
from workbench.store import Store

PG_BIN = find_pg_bin()
pytestmark = pytest.mark.skipif(
    PG_BIN is None,
    reason="no PostgreSQL: initdb is neither on PATH nor in /usr/lib/postgresql/*/bin"
    " (.ci/run installs Debian's postgresql package)",
)

PASSWORDS = {"ana": "pw-ana-Xq7", "rita": "pw-rita-Kd9"}

ARCHIVE = [
    {"id": "pf-1", "text": "Says the city built 4,000 new homes last year.", "verdict": "false",
     "url": "https://example.org/homes", "date": "2023-02-01", "speaker": "Mayor Diaz",
     "source": "PolitiFact"},
    {"id": "pf-2", "text": "Unemployment fell to a record low of 3.1 percent in March.",
     "verdict": "mostly-true", "url": "https://example.org/jobs", "date": "2023-04-11"},
    {"id": "pf-3", "text": "Wind turbines cause cancer in people living nearby.",
     "verdict": "pants-fire", "url": "https://example.org/wind"},
    {"id": "pf-4", "text": "Crime rose by 12 percent since 2020, according to the police.",
     "verdict": "half-true"},
    {"id": "pf-5", "text": "The state spends more on prisons than on universities.",
     "verdict": "true"},
    {"id": "pf-6", "text": "Vaccines contain microchips that track people.",
     "verdict": "false", "title": "No, vaccines do not contain tracking microchips"},
]  # fmt: skip

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg() -> Iterator[TeamServer]:
    assert PG_BIN is not None
    with running_server(PG_BIN) as server:
        create_logins(server, PASSWORDS)
        yield server


@pytest.fixture
def team(pg: TeamServer) -> Iterator[str]:
    """A new database with the team archive, ana a checker and rita a reader."""
    with team_database(pg, f"search{next(_numbers)}", checkers=["ana"], readers=["rita"]) as name:
        yield name


@pytest.fixture(autouse=True)
def _passwords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Passwords in a password file, as in ~/.pgpass; no keyring, none in the environment."""
    use_password_file(tmp_path, PASSWORDS, monkeypatch)
    with keyring_in_use():
        yield


@pytest.fixture
def archive_file(tmp_path: Path) -> Path:
    path = tmp_path / "politifact.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ARCHIVE), encoding="utf-8")
    return path


@pytest.fixture
def loaded(pg: TeamServer, team: str, archive_file: Path) -> str:
    """The team database with the archive loaded by its administrator."""
    from workbench.team.archive import import_to_team

    report = import_to_team(pg.dsn(team), archive_file, source="politifact")
    assert (report.added, report.duplicates) == (len(ARCHIVE), 0)
    return team


def word_counts(pg: TeamServer, team: str) -> tuple[dict[str, int], dict[str, int], tuple]:
    """The kept word statistics next to a recount of the past checks as they are."""
    with psycopg.connect(pg.dsn(team), autocommit=True) as conn:
        kept = dict(
            conn.execute(
                "SELECT lexeme, docs FROM workbench_team.past_check_terms WHERE docs <> 0"
            ).fetchall()
        )
        recount = dict(
            conn.execute(
                "SELECT word, ndoc FROM ts_stat('SELECT search FROM workbench_team.past_checks')"
            ).fetchall()
        )
        totals = conn.execute(
            "SELECT t.docs = (SELECT count(*) FROM workbench_team.past_checks),"
            " t.tokens = (SELECT COALESCE(sum(workbench_team.tsvector_tokens(search)), 0)"
            " FROM workbench_team.past_checks) FROM workbench_team.past_check_totals t"
        ).fetchone()
    assert totals is not None
    return kept, recount, tuple(totals)


def publish(pg: TeamServer, team: str, claim_uid: str, text: str, status: str) -> None:
    """A verdict as ana's sync publishes it."""
    with psycopg.connect(pg.dsn(team, "ana"), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO workbench_team.verdicts (change_id, claim_uid, origin, claim_text,"
            " status, checker_name, article_title, changed_at, evidence)"
            " VALUES (%s, %s, %s, %s, %s, 'Ana Lima', 'City figures', %s, %s)",
            (uuid.uuid4(), claim_uid, uuid.uuid4(), text, status,
             datetime(2024, 5, 1, 10, tzinfo=UTC),
             json.dumps([{"url": "https://stats.example.org/t1", "title": "Table 1"}])),
        )  # fmt: skip


# -- loading --------------------------------------------------------------------------


def test_the_administrator_loads_an_archive_once(
    pg: TeamServer, team: str, archive_file: Path
) -> None:
    code, out = run("team", "import", str(archive_file), "--dsn", pg.dsn(team))
    assert code == 0
    assert out.startswith("loaded 6 past checks into 'politifact' on ")
    code, out = run("team", "import", str(archive_file), "--dsn", pg.dsn(team))
    assert code == 0
    assert "loaded 0 past checks" in out and "(6 already there)" in out
    kept, recount, totals = word_counts(pg, team)
    assert kept == recount and totals == (True, True)


def test_a_record_holding_a_nul_character_does_not_stop_a_load(
    pg: TeamServer, team: str, tmp_path: Path
) -> None:
    """An audit: PostgreSQL refused the whole batch of 5,000 ("DataError"), and the rest
    of the file with it; the local import takes the same file."""
    path = tmp_path / "nul.jsonl"
    records = [{"id": "n1", "text": "Wind\u0000 turbines cause cancer."}, *ARCHIVE]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    code, out = run("team", "import", str(path), "--dsn", pg.dsn(team))
    assert code == 0 and out.startswith(f"loaded {len(records)} past checks")
    with psycopg.connect(pg.dsn(team), autocommit=True) as conn:
        [(text,)] = conn.execute(
            "SELECT text FROM workbench_team.past_checks WHERE external_id = 'n1'"
        ).fetchall()
    assert text == "Wind turbines cause cancer."


def test_an_archive_loads_onto_a_server_not_yet_upgraded(
    pg: TeamServer, archive_file: Path
) -> None:
    """Before team schema 4 loads took the advisory lock publishers took then."""
    from workbench.team.archive import import_to_team

    with team_database(pg, f"search{next(_numbers)}", checkers=["ana"], schema=3) as name:
        report = import_to_team(pg.dsn(name), archive_file, source="politifact")
        assert report.added == len(ARCHIVE)


def test_a_huge_id_is_kept_as_its_hash(pg: TeamServer, team: str, tmp_path: Path) -> None:
    """An audit: a 20 kB id made the server refuse its whole batch ("index row requires
    ... bytes"); it is stored as its hash, and loading again adds nothing. A long id the
    server took before (it compresses) stays as it is."""
    path = tmp_path / "long-ids.jsonl"
    huge = "https://example.org/" + "\u0436" * 10_000  # 20 kB in UTF-8
    taken = "https://example.org/" + "x" * 3_000
    records = [
        {"id": huge, "text": "Wind turbines cause cancer."},
        {"id": taken, "text": "Tides are caused by the wind."},
        *ARCHIVE,
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with psycopg.connect(pg.dsn(team), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO workbench_team.past_checks (source, external_id, text)"
            " VALUES ('long-ids', %s, 'Tides are caused by the wind.')",
            (taken,),
        )
    for added in (len(records) - 1, 0):
        code, out = run("team", "import", str(path), "--dsn", pg.dsn(team))
        assert code == 0 and out.startswith(f"loaded {added} past checks"), out
    with psycopg.connect(pg.dsn(team), autocommit=True) as conn:
        [(key,)] = conn.execute(
            "SELECT external_id FROM workbench_team.past_checks"
            " WHERE text = 'Wind turbines cause cancer.'"
        ).fetchall()
        held = conn.execute(
            "SELECT external_id = %s FROM workbench_team.past_checks"
            " WHERE text = 'Tides are caused by the wind.'",
            (taken,),
        ).fetchall()
    assert key.startswith("sha1-id:") and len(key) < 100 and held == [(True,)]


def test_a_reader_searches_but_only_the_administrator_loads(
    pg: TeamServer, loaded: str, archive_file: Path
) -> None:
    from workbench.team.archive import import_to_team
    from workbench.team.search import search_team

    [matches] = search_team(pg.dsn(loaded, "rita"), ["Wind turbines give people cancer"])
    assert matches[0].archive.external_id == "pf-3"
    for login in ("rita", "ana"):
        with pytest.raises(TeamPermissionError, match=f"does not let {login} load archives"):
            import_to_team(pg.dsn(loaded, login), archive_file, source="more")
    with psycopg.connect(pg.dsn(loaded), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM workbench_team.past_checks").fetchone()
    assert row == (len(ARCHIVE),)


def test_the_team_source_is_kept_for_published_verdicts(
    pg: TeamServer, team: str, archive_file: Path
) -> None:
    from workbench.errors import ValidationError
    from workbench.team.archive import import_to_team

    with pytest.raises(ValidationError, match="kept for team verdicts"):
        import_to_team(pg.dsn(team), archive_file, source="team")


# -- searching ------------------------------------------------------------------------


def test_the_right_past_check_comes_first_and_explained(pg: TeamServer, loaded: str) -> None:
    from workbench.models import MatchStrength
    from workbench.team.search import search_team

    homes, jobs = search_team(
        pg.dsn(loaded, "rita"),
        [
            "The mayor said the city built 4,000 new homes last year.",
            "Unemployment fell to 3.4 percent in March, a record low.",
        ],
    )
    best = homes[0]
    assert best.archive.external_id == "pf-1"
    assert best.archive.verdict == "false" and best.archive.speaker == "Mayor Diaz"
    assert best.strength is MatchStrength.STRONG
    assert {"city", "built", "4,000", "homes"} <= {s.text for s in best.shared}
    assert jobs[0].archive.external_id == "pf-2"
    assert [c.description for c in jobs[0].conflicts] == ["3.4 percent vs 3.1 percent"]


def test_server_scores_are_the_local_scores(pg: TeamServer, loaded: str, tmp_path: Path) -> None:
    """The same archive, locally and on the server: the same matches, the same scores."""
    from workbench.archive import import_archive
    from workbench.engine import Engine
    from workbench.matching import match_claims
    from workbench.team.search import search_team

    claims = ["The city built 4,000 homes last year", "Vaccines have tracking microchips"]
    path = tmp_path / "politifact.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ARCHIVE), encoding="utf-8")
    with Store(tmp_path / "w.db") as store:
        import_archive(store, path, source="politifact")
        local = match_claims(store, claims, semantic=False, engine=Engine())
    server = search_team(pg.dsn(loaded, "rita"), claims)
    for here, there in zip(local, server, strict=True):
        assert [m.archive.external_id for m in here[:2]] == [
            m.archive.external_id for m in there[:2]
        ]
        assert here[0].score == pytest.approx(there[0].score, abs=0.05)
        assert here[0].shared == there[0].shared


def test_a_misspelt_word_still_finds_its_check(pg: TeamServer, loaded: str) -> None:
    from workbench.team.search import search_team

    [matches] = search_team(pg.dsn(loaded, "rita"), ["microchipps in vacines"])
    assert matches and matches[0].archive.external_id == "pf-6"


def test_published_verdicts_are_searched_too(pg: TeamServer, loaded: str) -> None:
    from workbench.team.search import search_team

    claim = str(uuid.uuid4())
    text = "The harbour tunnel cost 2.3 billion euros to build."
    publish(pg, loaded, claim, text, "disputed")
    [matches] = search_team(pg.dsn(loaded, "rita"), ["The harbour tunnel cost 2.3 billion"])
    past = matches[0].archive
    assert (past.source, past.external_id, past.text) == ("team", claim, text)
    assert (past.verdict, past.title) == ("disputed", "City figures")
    assert past.publisher == "Ana Lima (ana)"  # the name given, and the login
    assert past.url == "https://stats.example.org/t1"
    # A claim does not match its own published verdict when asked not to.
    [own] = search_team(
        pg.dsn(loaded, "rita"), ["The harbour tunnel cost 2.3 billion"],
        exclude_team_claims={claim},
    )  # fmt: skip
    assert all(m.archive.external_id != claim for m in own)
    # Set back to unchecked, it is withdrawn; the word statistics follow.
    publish(pg, loaded, claim, text, "unchecked")
    [matches] = search_team(pg.dsn(loaded, "rita"), ["The harbour tunnel cost 2.3 billion"])
    assert all(m.archive.source != "team" for m in matches)
    kept, recount, totals = word_counts(pg, loaded)
    assert kept == recount and totals == (True, True)


def test_a_huge_past_check_is_cut_not_read_whole(pg: TeamServer, loaded: str) -> None:
    """Found by auditing: a verdict with a 100 MB claim text made one search take 8 GB."""
    from workbench.team.search import FIELD_LIMITS, search_team

    text = "The harbour tunnel cost 2.3 billion euros to build. " + "x" * 300_000
    publish(pg, loaded, str(uuid.uuid4()), text, "disputed")
    [matches] = search_team(pg.dsn(loaded, "rita"), ["The harbour tunnel cost 2.3 billion"])
    past = matches[0].archive
    assert past.text.startswith("The harbour tunnel") and len(past.text) == FIELD_LIMITS["text"]


HOSTILE = [
    "",
    "   ",
    "'",
    "''''",
    "\\",
    "\\' OR 1=1; --",
    "it's & that | !not :* <-> (x)",
    "a & b | c ! d : e * f",
    "' | '",
    "!!! ::: *** &&& |||",
    "wind\ud800 turbines \udfff cancer",
    "wind\x00turbines",
    "%s %(text)s {} $1 $$",
    "turbines:* & !cancer",
    "x" * 5000,
    " ".join(f"word{i}" for i in range(500)),
    "日本語のテキスト 風力発電",
]


def test_hostile_text_never_breaks_the_query(pg: TeamServer, loaded: str) -> None:
    from workbench.team.search import search_team

    results = search_team(pg.dsn(loaded, "rita"), HOSTILE)
    assert len(results) == len(HOSTILE)
    assert results[0] == [] and results[1] == []
    wind = results[HOSTILE.index("wind\ud800 turbines \udfff cancer")]
    assert wind[0].archive.external_id == "pf-3"


# -- the command line -------------------------------------------------------------------


@pytest.fixture
def member_db(pg: TeamServer, loaded: str, tmp_path: Path) -> Path:
    path = tmp_path / "rita.db"
    code, _ = run(
        "team", "connect", pg.dsn(loaded, "rita"), "--name", "Rita Sousa", "--db", str(path)
    )
    assert code == 0
    return path


def test_match_team_searches_the_server(member_db: Path) -> None:
    code, out = run("match", "--team", "Wind turbines cause cancer", "--db", str(member_db))
    assert code == 0
    assert "pants-fire" in out and "Wind turbines cause cancer" in out
    assert "https://example.org/wind" in out
    code, out = run(
        "match", "--team", "the city built 4,000 homes", "--json", "--explain",
        "--db", str(member_db),
    )  # fmt: skip
    assert code == 0
    best = json.loads(out)["matches"][0]
    assert best["id"] == "pf-1" and best["source"] == "politifact"
    # Nothing was copied into the local archive.
    with Store(member_db) as store:
        assert store.archive_sources() == []


def test_match_team_with_the_server_down(
    pg: TeamServer, member_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pg.stop()
    try:
        code, out = run("match", "--team", "Wind turbines", "--db", str(member_db))
    finally:
        pg.start_if_stopped()
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert err.startswith("workbench: error: the team server at ")
    assert "unreachable" in err and err.count("\n") == 1 and "Traceback" not in err


def test_match_team_with_a_wrong_password(
    pg: TeamServer,
    member_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PGPASSWORD", "not-the-password")
    code, out = run("match", "--team", "Wind turbines", "--db", str(member_db))
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert err.startswith("workbench: error: the team server at ")
    assert "refused the password for rita" in err and err.count("\n") == 1


def test_match_team_without_a_team(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Store(tmp_path / "w.db").close()
    code, _ = run("match", "--team", "Wind turbines", "--db", str(tmp_path / "w.db"))
    assert code == 2
    assert "not connected to a team" in capsys.readouterr().err


def test_errors_name_the_server_not_the_password(pg: TeamServer, loaded: str) -> None:
    from workbench.team.search import search_team

    with pytest.raises(TeamAuthError) as refused:
        search_team(pg.dsn(loaded, "rita", password="wrong-secret"), ["x y z"])
    assert "wrong-secret" not in str(refused.value)
    with pytest.raises(TeamUnreachableError):
        search_team(f"host={pg.root}/nowhere dbname=x user=rita", ["x y z"], timeout=2)
