"""``workbench import``, ``match`` and ``archive`` as scripts use them: JSON and exit codes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.core.cli_runner import run
from workbench.models import Match
from workbench.store import Store

CHECKS = [
    {"id": "k1", "text": "North Korea sent 10,000 troops to Russia.", "verdict": "true"},
    {"id": "w1", "text": "Wind turbines cause cancer.", "verdict": "pants-fire"},
    {"id": "v1", "text": "Vaccines contain microchips that track people.", "verdict": "false"},
]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "cli.db")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "snopes.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in CHECKS) + "\nnot json\n", encoding="utf-8")
    return path


def test_import_reports_and_is_idempotent(db: str, archive: Path) -> None:
    code, out = run("import", str(archive), "--db", db)
    assert code == 0
    assert out == "imported 3 claims into 'snopes' (0 duplicates, 1 malformed: line 4)\n"
    code, out = run("import", str(archive), "--db", db, "--json", "--source", "S")
    assert code == 0
    data = json.loads(out)
    assert data == {"source": "S", "format": "jsonl", "read": 3, "added": 3, "updated": 0,
                    "duplicates": 0,
                    "malformed": [{"line": 4, "reason": "not valid JSON"}],
                    "embedded": 3}  # fmt: skip
    code, out = run("import", str(archive), "--db", db, "--json", "--source", "S")
    assert json.loads(out)["added"] == 0 and json.loads(out)["duplicates"] == 3


def test_malformed_file_exits_2_with_one_line(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    code, out = run("import", str(bad), "--db", db)
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert err.startswith("workbench: error: bad.json is not valid JSON") and err.count("\n") == 1
    code, out = run("archive", "--db", db, "--json")
    assert code == 0 and json.loads(out) == []


def test_match_text_json(db: str, archive: Path) -> None:
    run("import", str(archive), "--db", db)
    code, out = run("match", "N. Korea sent 10,000 troops to Russia", "--db", db, "--json")
    assert code == 0
    (line,) = out.splitlines()
    data = json.loads(line)
    assert data["query_id"] is None
    best = data["matches"][0]
    assert set(best) == {"id", "score", "text", "verdict"}
    assert best["id"] == "k1" and best["verdict"] == "true" and 0 <= best["score"] <= 1
    code, out = run("match", "wind turbines cancer", "--db", db, "--json", "--explain")
    best = json.loads(out)["matches"][0]
    assert best["id"] == "w1" and {"strength", "shared", "conflicts", "url"} <= set(best)
    code, out = run("match", "wind turbines cancer", "--db", db)
    assert code == 0 and "Wind turbines cause cancer." in out and "pants-fire" in out


def test_match_queries_file_one_line_per_query_in_order(
    db: str, archive: Path, tmp_path: Path
) -> None:
    run("import", str(archive), "--db", db)
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        '{"id": "q1", "text": "vaccines have microchips"}\n\n'
        '{"id": 2, "text": "Do wind turbines cause cancer?"}\n'
        '{"id": "q3", "text": "zzzz"}\n',
        encoding="utf-8",
    )
    code, out = run("match", "--queries", str(queries), "--top", "2", "--json", "--db", db)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [d["query_id"] for d in lines] == ["q1", 2, "q3"]
    assert lines[0]["matches"][0]["id"] == "v1" and len(lines[0]["matches"]) <= 2
    assert lines[1]["matches"][0]["id"] == "w1"
    assert lines[2]["matches"] == []
    for d in lines:
        scores = [m["score"] for m in d["matches"]]
        assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("mode", [["--json", "--explain"], []])
def test_match_queries_are_matched_and_written_a_slice_at_a_time(
    db: str, archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: list[str]
) -> None:
    """20,000 queries took 2.0 GB and printed nothing until all were matched (audit 14)."""
    import io

    from workbench import matching
    from workbench.cli import archive as cli_archive
    from workbench.cli import main

    run("import", str(archive), "--db", db)
    claims = ["vaccines have microchips", "wind turbines cancer", "zzzz", "troops to Russia"]
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        "".join(json.dumps({"id": n, "text": claims[n % 4]}) + "\n" for n in range(7)), "utf-8"
    )
    argv = ["match", "--queries", str(queries), "--db", db, *mode]
    whole = run(*argv)
    monkeypatch.setattr(cli_archive, "MATCH_SLICE", 3)
    out = io.StringIO()
    written: list[int] = []  # lines out when each slice is matched
    match_slice = matching.match_claims

    def counting(store: Store, texts: Sequence[str], **options: Any) -> list[list[Match]]:
        written.append(out.getvalue().count("\n"))
        return match_slice(store, texts, **options)

    monkeypatch.setattr(matching, "match_claims", counting)
    assert main(argv, out=out) == 0
    assert (0, out.getvalue()) == whole
    starts = [n for n, line in enumerate(whole[1].splitlines()) if not line.startswith(" ")]
    assert len(starts) == 7 and written == [0, starts[3], starts[6]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["match"], "either a claim TEXT or --queries"),
        (["match", "x", "--queries", "q.jsonl"], "either a claim TEXT or --queries"),
        (["match", "x", "--top", "0"], "--top must be at least 1"),
        (["match", "--queries", "missing.jsonl"], "cannot read the queries file"),
        (["import", "missing.jsonl"], "cannot read"),
    ],
)
def test_match_usage_errors_exit_2(
    db: str, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(*args, "--db", db)
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


def test_bad_queries_line_names_its_line(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": 1, "text": "ok"}\n{"id": 2}\n', encoding="utf-8")
    code, _ = run("match", "--queries", str(queries), "--json", "--db", db)
    assert code == 2 and "line 2" in capsys.readouterr().err
    # An id with a lone surrogate, or that is not a string or a number (an audit: exit 1).
    for ident in ('"q\\ud800"', '{"a": 1}', "true"):
        queries.write_text(f'{{"id": 1, "text": "ok"}}\n{{"id": {ident}, "text": "ok"}}\n')
        for command in ("match", "score"):
            option = "--queries" if command == "match" else "--sentences"
            code, _ = run(command, option, str(queries), "--json", "--db", db)
            err = capsys.readouterr().err
            assert code == 2 and "line 2" in err and err.count("\n") == 1, err


def test_archive_lists_sources_and_searches(db: str, archive: Path) -> None:
    run("import", str(archive), "--db", db)
    code, out = run("archive", "--db", db, "--json")
    assert code == 0 and json.loads(out)[0]["source"] == "snopes"
    assert json.loads(out)[0]["claims"] == 3
    code, out = run("archive", "--search", "micro", "--db", db, "--json")
    assert [c["id"] for c in json.loads(out)] == ["v1"]
    code, out = run("archive", "--db", db)
    assert "snopes" in out


def test_match_prints_only_http_addresses(db: str, tmp_path: Path) -> None:
    """An imported javascript: or data: address came out as the past check's link line."""
    hostile = tmp_path / "hostile.jsonl"
    records = [
        {"id": "1", "text": "The unemployment rate fell to 3.5 percent in 2019.",
         "verdict": "true", "url": "javascript:alert(1)"},
        {"id": "2", "text": "The unemployment rate fell to 3.6 percent in 2019.",
         "verdict": "false", "url": "https://checks.example/unemployment"},
    ]  # fmt: skip
    hostile.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    assert run("import", str(hostile), "--db", db, "--no-embed")[0] == 0
    code, out = run("match", "The unemployment rate fell to 3.5 percent in 2019.", "--db", db)
    assert code == 0 and "javascript:" not in out
    assert "https://checks.example/unemployment" in out


def test_a_long_id_is_kept_whole_and_a_long_source_refused(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "long.jsonl"
    huge = "https://example.org/" + "x" * 20_000
    path.write_text(json.dumps({"id": huge, "text": "Wind turbines cause cancer."}) + "\n")
    for added in (1, 0):
        code, out = run("import", str(path), "--db", db, "--json")
        assert code == 0 and json.loads(out)["added"] == added
    code, out = run("archive", "--search", "turbines", "--db", db, "--json")
    assert code == 0 and json.loads(out)[0]["id"] == huge
    # A collection name is at most 100 characters: refused before the file is read.
    for source in ("s" * 101, "own", "  "):
        code, out = run("import", str(path), "--db", db, "--source", source)
        err = capsys.readouterr().err
        assert code == 2 and out == "" and err.count("\n") == 1, err
    code, out = run("archive", "--db", db, "--json")
    assert [row["source"] for row in json.loads(out)] == ["long"]
    # A name is one line: a line break forged a line of the listing (an audit).
    code, out = run("import", str(path), "--db", db, "--source", "a\n   99,999  forged", "--json")
    assert code == 0 and json.loads(out)["source"] == "a 99,999 forged"
    # A long file name gives its first 100 characters.
    named = path.rename(tmp_path / f"{'n' * 150}.jsonl")
    code, out = run("import", str(named), "--db", db, "--json")
    assert code == 0 and json.loads(out)["source"] == "n" * 100
