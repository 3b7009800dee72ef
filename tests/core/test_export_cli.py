"""``workbench export`` and ``workbench settings`` as a desk uses them from a shell."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.cli_runner import run
from tests.core.test_wall import BLOCK_QT_AND_RUN_CLI
from workbench.models import ArticleDraft, DetectedClaim
from workbench.reports import read_report_json
from workbench.reports.claimreview import validate_claim_reviews
from workbench.store import Store

TEXT = (
    "North Korea sent some 12,000 troops to Russia, the minister said.\n\n"
    "On Thursday, 70 lawmakers introduced a resolution.\n\n"
    "Unemployment fell to 4.1% in October."
)
SENTENCES = (
    "North Korea sent some 12,000 troops to Russia, the minister said.",
    "On Thursday, 70 lawmakers introduced a resolution.",
    "Unemployment fell to 4.1% in October.",
)
SCRIPT_NOTE = "Checked <script>alert(1)</script> & confirmed"
FORMULA_NOTE = "=1+2"
EVIDENCE = "https://stats.example/report?year=2024&month=10"


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A database with one article whose claims were marked through the CLI."""
    path = tmp_path / "cli.db"
    claims = [
        DetectedClaim(TEXT.index(s), TEXT.index(s) + len(s), s, 0.9, ("number",)) for s in SENTENCES
    ]
    with Store(path) as store:
        draft = ArticleDraft(TEXT, title="Troops", source="Herald", url="https://h.example/a")
        ids = [c.id for c in store.add_article(draft, claims).claims]
    db = str(path)
    steps = [
        ["claim", "set", str(ids[0]), "--status", "verified", "--note", SCRIPT_NOTE,
         "--claimant", "The minister", "--evidence", EVIDENCE, "--evidence-title", "Stats & facts"],
        ["claim", "set", str(ids[1]), "--status", "disputed", "--note", FORMULA_NOTE],
        ["settings", "set", "report.organisation", "Example Checks"],
        ["settings", "set", "report.review_url_template",
         "https://checks.example/{article_id}#{claim_id}"],
    ]  # fmt: skip
    for argv in steps:
        assert run(*argv, "--db", db)[0] == 0
    return db


def test_export_every_text_format_from_marked_claims(db: str, tmp_path: Path) -> None:
    outputs = {}
    for fmt, name in [("html", "r.html"), ("md", "r.md"), ("csv", "r.csv"), ("json", "r.json"),
                      ("claimreview", "r.jsonld")]:  # fmt: skip
        path = tmp_path / name
        code, out = run("export", "1", "--format", fmt, "-o", str(path), "--db", db)
        assert code == 0
        assert out.startswith(f"wrote {path} ({fmt}:")
        outputs[fmt] = path.read_bytes()

    html = outputs["html"].decode("utf-8")
    assert "<script" not in html
    assert "Checked &lt;script&gt;alert(1)&lt;/script&gt; &amp; confirmed" in html
    assert 'href="https://stats.example/report?year=2024&amp;month=10"' in html

    rows = list(csv.DictReader(io.StringIO(outputs["csv"].decode("utf-8-sig"), newline="")))
    assert rows[1]["note"] == "'=1+2"
    assert rows[0]["evidence_urls"] == EVIDENCE

    (report,) = read_report_json(outputs["json"])
    assert report.claims[0].note == SCRIPT_NOTE and report.claims[1].note == FORMULA_NOTE

    reviews = json.loads(outputs["claimreview"])
    validate_claim_reviews(reviews)
    assert len(reviews) == 2  # the unchecked claim has none
    assert reviews[0]["author"]["name"] == "Example Checks"
    assert reviews[0]["url"] == "https://checks.example/1#1"
    assert r"Checked \<script\>alert(1)\</script\> \& confirmed" in outputs["md"].decode("utf-8")


def test_format_from_the_file_extension_and_stdout(db: str, tmp_path: Path) -> None:
    code, out = run("export", "1", "-o", str(tmp_path / "r.md"), "--db", db)
    assert code == 0 and "(md:" in out
    code, out = run("export", "1", "-f", "csv", "-o", "-", "--db", db)
    assert code == 0 and out.startswith('\ufeff"article_id",')
    code, out = run("export", "1", "-f", "json", "-o", "-", "--db", db)
    assert json.loads(out)["schema_version"] == 5


def test_show_and_the_json_report_give_articles_and_claims_one_shape(db: str) -> None:
    """What the shell prints of an article is what its report holds, tags included."""
    assert run("article", "tag", "1", "--add", "elections", "--db", db)[0] == 0
    assert run("claim", "tag", "1", "--add", "troops", "--db", db)[0] == 0
    shown = json.loads(run("show", "1", "--json", "--db", db)[1])
    report = json.loads(run("export", "1", "-f", "json", "-o", "-", "--db", db)[1])["reports"][0]
    assert shown["article"] == report["article"]
    assert shown["article"]["tags"] == ["elections"]
    assert shown["claims"] == report["claims"]
    assert shown["claims"][0]["tags"] == ["troops"]
    assert shown["claims"][0]["evidence"][0]["file"] is None
    (read,) = read_report_json(run("export", "1", "-f", "json", "-o", "-", "--db", db)[1])
    assert read.article.tags == ("elections",) and read.claims[0].tags == ("troops",)


def test_several_articles_and_all(db: str, tmp_path: Path) -> None:
    with Store(db) as store:
        store.add_article(ArticleDraft("Another article, no claims.", title="Other"), [])
    code, out = run("export", "1", "2", "-f", "json", "-o", "-", "--db", db)
    assert code == 0 and json.loads(out)["totals"]["articles"] == 2
    path = tmp_path / "tally.csv"
    code, out = run("export", "--all", "-o", str(path), "--db", db)
    assert code == 0 and "2 articles, 3 claims" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "1", "2", "-f", "html", "-o", "x.html"], "the html format holds one article"),
        (["export", "1", "-f", "pdf", "-o", "-"], "pdf is not text"),
        (["export", "1", "-o", "report.txt"], "say which format with --format"),
        (["export", "-f", "csv", "-o", "x.csv"], "give the ARTICLE_ID to export"),
        (["export", "1", "--all", "-f", "csv", "-o", "x.csv"], "not both"),
        (["export", "9", "-f", "csv", "-o", "x.csv"], "no article with id 9"),
        (["export", "1", "-f", "csv", "-o", "/nonexistent/dir/x.csv"], "cannot write"),
        (["settings", "set", "report.organisation_url", "ftp://x"], "must be an http or https"),
        (["settings", "set", "report.colour", "red"], "unknown report setting"),
        # The app's own keys are checked where they are written (the app, `team connect`).
        (["settings", "set", "team.dsn", "postgresql://" + "a" * 70], "unknown setting"),
        (["settings", "set", "ui.last_claim", "²"], "unknown setting"),
        (["settings", "set", "priority.hihg", "0.9"], "unknown setting"),
    ],
)
def test_problems_are_one_line_exit_2_and_write_nothing(
    db: str,
    tmp_path: Path,
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _ = run(*argv, "--db", db)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("workbench: error: ") and err.count("\n") == 1
    assert message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize(
    "target", ["cli.db", "cli.db-wal", "cli.db-journal", "cli.db.vault/ab/c", "backups/x.db",
               "cli.db.index/archive/m.npy", "link.db", "sub/../cli.db"],
)  # fmt: skip
@pytest.mark.parametrize("fmt", ["html", "bundle"])
def test_export_never_replaces_the_databases_own_files(
    db: str, tmp_path: Path, target: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Renamed over the open database, a report left the app writing to a deleted file."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "cli.db.vault" / "ab").mkdir(parents=True)
    os.link(db, tmp_path / "link.db")  # the database under another name
    before = Path(db).read_bytes()
    code, _ = run("export", "1", "-f", fmt, "-o", str(tmp_path / target), "--db", db)
    err = capsys.readouterr().err
    assert code == 2 and "belongs to the workbench database cli.db" in err
    assert err.count("\n") == 1
    assert Path(db).read_bytes() == before
    assert not (tmp_path / "cli.db.vault" / "ab" / "c").exists()
    assert run("export", "1", "-f", fmt, "-o", str(tmp_path / "sub" / "r"), "--db", db)[0] == 0


def refuse_to_replace(src: object, dst: object) -> None:
    raise AssertionError(f"{dst} was about to be replaced")


@pytest.mark.parametrize("target", ["fifo", "/dev/null"])
def test_export_to_a_pipe_or_device_is_refused(
    db: str,
    tmp_path: Path,
    target: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out" / "report.html" if target == "fifo" else Path(target)
    if target == "fifo":
        out.parent.mkdir()
        os.mkfifo(out)
    monkeypatch.setattr(os, "replace", refuse_to_replace)  # /dev/null must survive a bug
    code, _ = run("export", "1", "-f", "html", "-o", str(out), "--db", db)
    err = capsys.readouterr().err
    assert code == 2
    problem = (
        "it is a named pipe, not a regular file"
        if target == "fifo"
        else "/dev holds the system's devices, not files (for the standard output, use -o -)"
    )
    assert err == f"workbench: error: cannot write {out}: {problem}\n"
    assert stat.S_ISFIFO(out.lstat().st_mode) or stat.S_ISCHR(out.lstat().st_mode)
    if target == "fifo":
        assert os.listdir(out.parent) == ["report.html"]


def test_export_over_a_private_report_keeps_it_private(db: str, tmp_path: Path) -> None:
    out = tmp_path / "report.md"
    out.write_text("last week's", encoding="utf-8")
    out.chmod(0o600)
    assert run("export", "1", "-o", str(out), "--db", db)[0] == 0
    assert out.read_text(encoding="utf-8").startswith("*Verification report")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_settings_list_and_json(db: str) -> None:
    code, out = run("settings", "--db", db)
    assert code == 0
    assert "report.organisation = Example Checks" in out
    assert "# report.organisation_url is not set" in out
    code, out = run("settings", "--json", "--db", db)
    assert json.loads(out)["report.organisation"] == "Example Checks"


def test_pdf_export_without_qt_is_a_clear_error(db: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_QT_AND_RUN_CLI, "export", "1", "-o",
         str(tmp_path / "r.pdf"), "--db", db],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("workbench: error: the PDF renderer")
    assert not (tmp_path / "r.pdf").exists()


def test_markdown_keeps_the_spaces_between_a_claim_and_the_sentences_around_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plain text beside a claim lost its edge spaces: "…he said.**Republic of Korea"."""
    text = "The minister spoke. North Korea sent 12,000 troops. Officials disagreed, he said."
    claim = "North Korea sent 12,000 troops."
    path = tmp_path / "md.db"
    with Store(path) as store:
        start = text.index(claim)
        store.add_article(
            ArticleDraft(text, title="Troops"),
            [DetectedClaim(start, start + len(claim), claim, 0.9, ("number",))],
        )
    code, out = run("export", "1", "-f", "md", "-o", "-", "--db", str(path))
    assert code == 0
    assert "The minister spoke. **North Korea sent 12,000 troops.** (" in out
    assert " 1) Officials disagreed, he said." in out
