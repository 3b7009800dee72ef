"""``workbench article``: edit an article's header, archive it, delete it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.core.cli_runner import run

ARTICLE = "North Korea sent some 12,000 troops to Russia, the minister said on Wednesday.\n"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "troops.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    db = str(tmp_path / "cli.db")
    assert run("analyze", str(path), "--db", db)[0] == 0
    return db


def shown(db: str) -> dict[str, str]:
    code, out = run("show", "1", "--db", db, "--json")
    assert code == 0
    article: dict[str, str] = json.loads(out)["article"]
    return article


def test_edit_sets_every_header_field(db: str) -> None:
    code, out = run(
        "article", "edit", "1", "--db", db, "--title", "Troops sent", "--outlet", "The Ledger",
        "--byline", "Ann Lee", "--url", "https://ledger.example/t", "--date", "2024-10-23",
    )  # fmt: skip
    assert (code, out) == (0, "updated article 1: Troops sent\n")
    article = shown(db)
    assert (article["title"], article["source"], article["author"]) == (
        "Troops sent", "The Ledger", "Ann Lee",
    )  # fmt: skip
    assert (article["url"], article["published"]) == ("https://ledger.example/t", "2024-10-23")
    assert run("article", "edit", "1", "--db", db, "--date", "")[0] == 0
    assert shown(db)["published"] is None


@pytest.mark.parametrize(
    "option", [("--url", "javascript:alert(1)"), ("--date", "yesterday"), ("--title",)]
)
def test_bad_edits_exit_2_with_one_line_and_change_nothing(
    db: str, option: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    before = shown(db)
    args = ("--title", "Changed", *option) if len(option) == 2 else ()
    code, _ = run("article", "edit", "1", "--db", db, *args)
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error:") and err.count("\n") == 1
    assert shown(db) == before


def test_archive_and_restore(db: str) -> None:
    assert run("article", "archive", "1", "--db", db)[0] == 0
    assert json.loads(run("articles", "--db", db, "--json")[1]) == []
    archived = json.loads(run("articles", "--db", db, "--json", "--archived")[1])
    assert [a["id"] for a in archived] == [1]
    assert run("article", "archive", "1", "--db", db, "--restore")[0] == 0
    assert [a["id"] for a in json.loads(run("articles", "--db", db, "--json")[1])] == [1]


def test_delete_needs_yes(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("article", "delete", "1", "--db", db)[0] == 2
    assert "--yes" in capsys.readouterr().err
    assert run("show", "1", "--db", db)[0] == 0
    code, out = run("article", "delete", "1", "--db", db, "--yes")
    assert code == 0 and out.startswith("deleted article 1 and its 1 claim:")
    assert run("show", "1", "--db", db)[0] == 2


def test_tags_on_articles_and_claims_and_the_filters(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run("article", "tag", "1", "--db", db, "--add", "Korea", "--add", "war")
    assert (code, out) == (0, "article 1 tags: Korea, war\n")
    assert run("article", "tag", "1", "--db", db, "--remove", "WAR")[1] == "article 1 tags: Korea\n"
    code, out = run("claim", "tag", "1", "--db", db, "--add", "troops")
    assert (code, out) == (0, "claim 1 tags: troops\n")
    assert shown(db)["tags"] == ["Korea"]
    claim = json.loads(run("show", "1", "--db", db, "--json")[1])["claims"][0]
    assert claim["tags"] == ["troops"]
    assert [
        a["id"] for a in json.loads(run("articles", "--db", db, "--json", "--tag", "troops")[1])
    ] == [1]
    assert json.loads(run("articles", "--db", db, "--json", "--tag", "other")[1]) == []
    # Not "No articles yet. Add one ...": there is one (audit).
    assert run("articles", "--db", db, "--tag", "other")[1] == "No article matches.\n"
    assert run("articles", "--db", db, "--archived")[1] == "No archived articles.\n"
    assert [
        a["id"]
        for a in json.loads(run("articles", "--db", db, "--json", "--state", "unchecked")[1])
    ] == [1]
    assert json.loads(run("articles", "--db", db, "--json", "--state", "checked")[1]) == []
    assert run("claim", "tag", "1", "--db", db, "--add", "a,b")[0] == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert run("claim", "tag", "1", "--db", db)[0] == 2


def test_a_long_title_without_spaces_is_shown_cut_not_as_nothing(db: str) -> None:
    """A Japanese headline (no spaces between words) longer than a line was listed and
    confirmed as a bare "…": textwrap.shorten cuts only at spaces."""
    title = "北朝鮮がロシアに約一万二千人の兵士を派遣したと韓国の国防相が述べた" * 4
    code, out = run("article", "edit", "1", "--db", db, "--title", title)
    assert code == 0 and out == f"updated article 1: {title[:88]} …\n"
    code, out = run("articles", "--db", db)
    assert code == 0 and f"{title[:68]} …" in out
    code, out = run("article", "edit", "1", "--db", db, "--title", "Troops sent to Russia " * 6)
    assert out == "updated article 1: " + ("Troops sent to Russia " * 4).strip() + " …\n"


def test_show_keeps_each_field_on_its_own_lines(db: str) -> None:
    """A line break in a claimant or a title cannot forge a line of another claim."""
    forged = "Kim\n\n[99] VERIFIED  (high priority, score 1.00)"
    assert run("claim", "set", "1", "--db", db, "--claimant", forged)[0] == 0
    note = "checked the ministry's figures\n[98] DISPUTED"
    assert run("claim", "set", "1", "--db", db, "--note", note)[0] == 0
    assert run("article", "edit", "1", "--db", db, "--title", "Troops\n[97] VERIFIED")[0] == 0
    code, out = run("show", "1", "--db", db)
    assert code == 0
    assert not [line for line in out.splitlines() if line.startswith("[9")]
    assert "    claimant: Kim  [99] VERIFIED  (high priority, score 1.00)\n" in out
    assert "    note: checked the ministry's figures\n          [98] DISPUTED\n" in out
    assert out.startswith("Troops [97] VERIFIED  [article 1]\n")
