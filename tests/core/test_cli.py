"""The command line as a user and a script see it: output, JSON contract, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.core.cli_runner import run
from workbench.store import Store

ARTICLE = """Troops from the North

North Korea sent some 12,000 troops to Russia, the Ukrainian defense minister said on Wednesday.

“I’m not supposed to give more details,” he added.

On Thursday, 70 lawmakers of the Democratic Party introduced a resolution urging the \
government to end its involvement.

Will the war end soon?
"""


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "cli.db")


@pytest.fixture
def article_file(tmp_path: Path) -> Path:
    path = tmp_path / "troops.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def analyze(db: str, path: Path) -> dict[str, Any]:
    code, out = run("analyze", str(path), "--db", db, "--json")
    assert code == 0
    data: dict[str, Any] = json.loads(out)
    return data


def test_analyze_json_contract(db: str, article_file: Path) -> None:
    data = analyze(db, article_file)
    assert set(data) == {"article", "claims"}
    assert set(data["article"]) == {
        "id", "title", "source", "author", "url", "published", "imported_at", "origin",
        "content_hash", "tags", "text",
    }  # fmt: skip
    text = data["article"]["text"]
    assert data["claims"], "the factual sentences must be flagged"
    for claim in data["claims"]:
        assert set(claim) == {
            "id", "text", "start", "end", "score", "priority", "reasons", "status", "claimant",
            "type",
        }  # fmt: skip
        assert claim["priority"] in ("high", "medium", "low")
        assert text[claim["start"] : claim["end"]] == claim["text"]
        assert 0.0 <= claim["score"] <= 1.0
        assert claim["status"] == "unchecked"
        assert claim["reasons"]
    flagged = " ".join(c["text"] for c in data["claims"])
    assert "12,000 troops" in flagged
    assert "70 lawmakers" in flagged
    assert "not supposed to give more details" not in flagged
    assert "Will the war end soon?" not in flagged
    troops = next(c for c in data["claims"] if "12,000 troops" in c["text"])
    assert troops["claimant"] == "the Ukrainian defense minister"
    assert troops["type"] == "quantity"
    assert troops["reasons"][0].startswith("type: quantity or statistic")


def test_analyze_twice_does_not_duplicate(db: str, article_file: Path) -> None:
    first = analyze(db, article_file)
    second = analyze(db, article_file)
    assert first["article"]["id"] == second["article"]["id"]
    assert [c["id"] for c in first["claims"]] == [c["id"] for c in second["claims"]]
    code, out = run("articles", "--db", db, "--json")
    assert code == 0 and len(json.loads(out)) == 1


def test_human_summary_lists_claims(db: str, article_file: Path) -> None:
    code, out = run("analyze", str(article_file), "--db", db)
    assert code == 0
    assert "stored as article 1" in out
    assert "12,000 troops" in out


def test_human_summary_of_an_article_without_claims(db: str, tmp_path: Path) -> None:
    path = tmp_path / "mood.txt"
    path.write_text("What a lovely day it was.\n\nWe all enjoyed it.\n", encoding="utf-8")
    code, out = run("analyze", str(path), "--db", db)
    assert code == 0
    assert out.splitlines()[-1] == "no check-worthy claims in 10 words"


def test_verdict_note_and_evidence_round_trip(db: str, article_file: Path) -> None:
    claim_id = str(analyze(db, article_file)["claims"][0]["id"])
    code, _ = run(
        "claim", "set", claim_id, "--db", db, "--status", "disputed",
        "--note", "<script>alert(1)</script> & more", "--claimant", "Umerov",
        "--evidence", "https://example.org/a?x=1&y=2", "--evidence-title", "Report",
        "--evidence", "http://example.com/b",
    )  # fmt: skip
    assert code == 0
    code, out = run("show", "1", "--db", db, "--json")
    assert code == 0
    claim = next(c for c in json.loads(out)["claims"] if str(c["id"]) == claim_id)
    assert claim["status"] == "disputed"
    assert claim["note"] == "<script>alert(1)</script> & more"
    assert claim["claimant"] == "Umerov"
    assert [(e["url"], e["title"]) for e in claim["evidence"]] == [
        ("https://example.org/a?x=1&y=2", "Report"),
        ("http://example.com/b", ""),
    ]
    code, out = run("articles", "--db", db)
    assert "1/" in out and "checked" in out


def test_javascript_evidence_is_refused_and_nothing_changes(
    db: str, article_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    claim_id = str(analyze(db, article_file)["claims"][0]["id"])
    before = run("show", "1", "--db", db, "--json")[1]
    code, _ = run(
        "claim", "set", claim_id, "--db", db, "--status", "verified",
        "--evidence", "javascript:alert(1)",
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error:") and err.count("\n") == 1
    assert run("show", "1", "--db", db, "--json")[1] == before


def test_claim_add_and_remove(db: str, article_file: Path) -> None:
    data = analyze(db, article_file)
    text = data["article"]["text"]
    sentence = "Will the war end soon?"
    start = text.index(sentence)
    code, out = run("claim", "add", "1", str(start), str(start + len(sentence)), "--db", db)
    assert code == 0 and sentence in out
    code, out = run("claim", "remove", str(data["claims"][0]["id"]), "--db", db)
    assert code == 0
    shown = json.loads(run("show", "1", "--db", db, "--json")[1])
    texts = [c["text"] for c in shown["claims"]]
    assert sentence in texts and data["claims"][0]["text"] not in texts


@pytest.mark.parametrize(
    "argv",
    [
        ["articles"],
        ["show", "1"],
        ["export", "1", "-f", "json", "-o", "-"],
        ["claim", "set", "1", "--status", "verified"],
        ["archive"],
        ["match", "Unemployment fell to 3.4 percent."],
        ["settings"],
        ["settings", "set", "priority.high", "0.85"],  # would be kept in a new file alone
        ["team", "import", "archive.jsonl"],  # the server named by the database's settings
    ],
)
def test_a_mistyped_database_is_refused_not_made(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A command that reads or changes what is there never reports on a new, empty file."""
    typo = tmp_path / "workbnech.db"
    code, out = run(*argv, "--db", str(typo))
    err = capsys.readouterr().err
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"there is no database at {typo}" in err
    assert not typo.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["articles"], ["check"], ["backup"], ["settings"], ["gui"]])
def test_a_database_path_that_cannot_name_a_file_gives_one_line(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A file name over 255 bytes made every command say "unexpected OSError ... this
    is a bug" with exit code 1 (audit); so did a loop of symbolic links."""
    loop = tmp_path / "loop.db"
    loop.symlink_to(loop)
    for path in (tmp_path / ("a" * 300 + ".db"), loop):
        code, out = run(*argv, "--db", str(path))
        err = capsys.readouterr().err
        assert code == 2 and out == "" and err.count("\n") == 1
        assert f"cannot use {path} as a database: " in err and "bug" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["loop.db"]


def test_the_default_database_and_commands_that_add_are_made_when_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKBENCH_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, out = run("articles")  # a first run: the empty list is the truth
    assert code == 0 and "No articles yet" in out
    (tmp_path / "article.txt").write_text(ARTICLE, encoding="utf-8")
    new = tmp_path / "new.db"
    code, _ = run("analyze", str(tmp_path / "article.txt"), "--db", str(new))
    assert code == 0 and new.is_file()


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "42"],
        ["claim", "set", "42", "--status", "verified"],
        ["claim", "remove", "42"],
        ["claim", "add", "42", "0", "5"],
    ],
)
def test_missing_ids_exit_2(db: str, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    Store(db).close()
    code, _ = run(*argv, "--db", db)
    assert code == 2
    err = capsys.readouterr().err
    assert "no article" in err or "no claim" in err


def test_bad_files_exit_2_and_leave_database_alone(
    db: str, article_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    analyze(db, article_file)
    before = Path(db).read_bytes()
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n\t\n")
    binary = tmp_path / "noise.txt"
    binary.write_bytes(bytes(range(256)) * 40)
    fake_pdf = tmp_path / "fake.pdf"
    fake_pdf.write_text("not a pdf at all")
    fake_docx = tmp_path / "fake.docx"
    fake_docx.write_bytes(b"PK\x03\x04 truncated zip")
    for bad in (tmp_path / "missing.txt", empty, binary, fake_pdf, fake_docx, tmp_path):
        code, _ = run("analyze", str(bad), "--db", db)
        err = capsys.readouterr().err
        assert code == 2, bad
        assert err.startswith("workbench: error:") and err.count("\n") == 1, err
        assert "Traceback" not in err
    assert Path(db).read_bytes() == before


def test_corrupt_database_exit_2_untouched(
    tmp_path: Path, article_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "junk.db"
    db.write_bytes(b"\x00garbage" * 100)
    code, _ = run("analyze", str(article_file), "--db", str(db))
    assert code == 2
    assert "not a workbench database" in capsys.readouterr().err
    assert db.read_bytes() == b"\x00garbage" * 100


def test_environment_variable_chooses_database(
    tmp_path: Path, article_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "env.db"))
    assert run("analyze", str(article_file))[0] == 0
    assert (tmp_path / "env.db").exists()


def test_console_script_reads_stdin_without_traceback(tmp_path: Path) -> None:
    """The installed ``workbench`` command, as a shell user runs it."""
    exe = Path(sys.executable).with_name("workbench")
    if not exe.exists():
        pytest.skip("console script not installed")
    env = {**os.environ, "WORKBENCH_DB": str(tmp_path / "s.db")}
    done = subprocess.run(
        [str(exe), "analyze", "-", "--json"],
        input=ARTICLE.encode(), capture_output=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["claims"]
    done = subprocess.run([str(exe), "show", "7"], capture_output=True, env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.decode().strip() == "workbench: error: no article with id 7"


def test_a_database_under_a_file_says_which_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said "cannot create …: File exists" (review), naming nothing that was wrong."""
    (tmp_path / "notes").write_text("not a folder", encoding="utf-8")
    article = tmp_path / "a.txt"
    article.write_text("Prices rose 5% in 2023, the agency said.", encoding="utf-8")
    code, out = run("analyze", str(article), "--db", str(tmp_path / "notes" / "w.db"))
    err = capsys.readouterr().err
    assert code == 2 and out == "" and err.count("\n") == 1
    assert f"{tmp_path / 'notes'} is a file, not a folder" in err


def test_python_dash_m_workbench_is_the_command(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    done = subprocess.run(
        [sys.executable, "-m", "workbench", "--db", str(missing), "articles"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith(f"workbench: error: there is no database at {missing}")
