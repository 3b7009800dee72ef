"""Reports as a reader sees them: who checked (by name), no database ids, no detector
score for a claim the fact-checker added; dates and speakers as people write them."""

from __future__ import annotations

import builtins
import csv
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.core.cli_runner import run
from workbench.display import display_date, is_slug, speaker_name
from workbench.errors import ValidationError
from workbench.models import ArticleDraft, DetectedClaim, Status
from workbench.reports import build_report, check_setting, render_reports
from workbench.reports.html import render_html
from workbench.reports.model import human_date
from workbench.reports.settings import account_full_name
from workbench.store import Store

TEXT = (
    "North Korea sent some 12,000 troops to Russia, the minister said.\n\n"
    "On Thursday, 70 lawmakers introduced a resolution.\n\n"
    "Unemployment fell to 4.1% in October."
)
DETECTED = "North Korea sent some 12,000 troops to Russia, the minister said."
ADDED = "Unemployment fell to 4.1% in October."


class _Text(HTMLParser):
    """The text of a page, as a reader sees it (no tags, no attributes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def fake_account(monkeypatch: pytest.MonkeyPatch, login: str, gecos: str) -> None:
    """This process runs as ``login``, whose password entry has ``gecos``."""
    pwd = pytest.importorskip("pwd")
    entry = pwd.struct_passwd((login, "x", 1000, 1000, gecos, f"/home/{login}", "/bin/sh"))
    monkeypatch.setattr(pwd, "getpwuid", lambda uid: entry)
    monkeypatch.setattr("getpass.getuser", lambda: login)


def add_article(store: Store, tail: str = "") -> int:
    """An article with a detected claim (checked) and one added by hand."""
    text = TEXT + tail
    start = text.index(DETECTED)
    detected = DetectedClaim(start, start + len(DETECTED), DETECTED, 0.8, ("number",))
    aid = store.add_article(ArticleDraft(text, title="Troops"), [detected]).article.id
    start = text.index(ADDED)
    added = store.add_claim(aid, start, start + len(ADDED))
    for claim in store.claims(aid):
        store.update_claim(claim.id, status=Status.VERIFIED)
    assert added.score == 1.0  # what the store gives it, only to sort it first
    return aid


def human_formats(store: Store, aid: int) -> dict[str, str]:
    """The report as a reader sees it in HTML, the PDF's HTML and Markdown."""
    report = build_report(store, aid, generated_at="2024-12-01T10:00:00+00:00")
    return {
        "html": visible_text(render_html(report)),
        "pdf": visible_text(render_html(report, pdf=True)),
        "md": render_reports([report], "md").decode("utf-8"),
    }


# -- who checked --------------------------------------------------------------------------


def test_account_full_name_is_the_gecos_name(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_account(monkeypatch, "jdoe", "Jane Q. Doe,Room 12,555-0100,,")
    assert account_full_name() == "Jane Q. Doe"
    assert account_full_name("jdoe") == "Jane Q. Doe"
    # WORKBENCH_USER set to someone else: the account's name is not theirs.
    assert account_full_name("alice") == "alice"
    fake_account(monkeypatch, "jdoe", "& Doe,,,")  # finger's shorthand for the login
    assert account_full_name() == "Jdoe Doe"


@pytest.mark.parametrize("gecos", ["", ",,,", "   "])
def test_account_full_name_falls_back_to_the_login(
    monkeypatch: pytest.MonkeyPatch, gecos: str
) -> None:
    fake_account(monkeypatch, "jdoe", gecos)
    assert account_full_name() == "jdoe"


def test_account_full_name_without_pwd(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on Windows: no password database, the login name."""
    real_import = builtins.__import__

    def no_pwd(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pwd":
            raise ImportError("no pwd here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pwd)
    monkeypatch.setattr("getpass.getuser", lambda: "JDoe")
    assert account_full_name() == "JDoe"
    assert account_full_name("tester") == "tester"


def test_reports_name_the_checker_by_full_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_account(monkeypatch, "jdoe", "Jane Doe,,,")
    with Store(tmp_path / "wb.db", user="jdoe") as store:
        aid = add_article(store)
        for name, text in human_formats(store, aid).items():
            assert "Checked by Jane Doe;" in text, name
            assert "jdoe" not in text, name
        report = build_report(store, aid)
        document = json.loads(render_reports([report], "json"))
        assert [c["name"] for c in document["reports"][0]["summary"]["checked_by"]] == ["Jane Doe"]


def test_the_checker_name_setting_wins_and_others_keep_theirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_account(monkeypatch, "jdoe", "Jane Doe,,,")
    path = tmp_path / "wb.db"
    with Store(path, user="alice") as store:
        aid = add_article(store)  # alice checked first
    with Store(path, user="jdoe") as store:
        store.update_claim(store.claims(aid)[0].id, note="Confirmed by the ministry")
        key = "report.checker_name"
        store.set_setting(key, check_setting(key, "  J. Doe\n (Desk)  "))
        for name, text in human_formats(store, aid).items():
            assert "Checked by alice, J. Doe (Desk);" in text, name


def test_checker_name_setting_is_one_line_of_text() -> None:
    assert check_setting("report.checker_name", " Jane \t Doe ") == "Jane Doe"
    assert check_setting("report.checker_name", "") == ""  # back to the account's name
    with pytest.raises(ValidationError, match="control characters"):
        check_setting("report.checker_name", "Jane\x1b[31m Doe")


def test_checker_name_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    with Store(db) as store:  # WORKBENCH_USER is "tester" in the tests
        aid = add_article(store)
    code, out = run("settings", "--db", db)
    assert code == 0
    assert "# report.checker_name is not set" in out and "reports now say 'tester'" in out
    code, out = run("settings", "set", "report.checker_name", "Tess Ter", "--db", db)
    assert (code, out) == (0, "report.checker_name = Tess Ter\n")
    code, out = run("export", str(aid), "-f", "md", "-o", "-", "--db", db)
    assert code == 0 and "Checked by Tess Ter;" in out


# -- what a reader never sees ---------------------------------------------------------------


def test_human_formats_show_no_database_ids(tmp_path: Path) -> None:
    with Store(tmp_path / "wb.db") as store:
        for i in range(3):  # later ids differ from the claims' numbers in the report
            add_article(store, f"\n\nUpdate {i}.")
        aid = add_article(store)
        ids = [c.id for c in store.claims(aid)]
        assert min(ids) > 2
        for name, text in human_formats(store, aid).items():
            assert "claim id" not in text.lower(), name
            assert not re.search(r"#\s?\d", text), name
            for claim_id in ids:
                assert not re.search(rf"\b(id|claim) {claim_id}\b", text, re.IGNORECASE), name
            assert "Claim 1" in text and "Claim 2" in text  # numbered for the reader


def claim_section(text: str, sentence: str) -> str:
    """From the claim's card (after the article) to the next card."""
    cards = text[text.rindex("Claim 1") :]
    start = cards.index(sentence)
    end = cards.find("Claim ", start)
    return cards[start : end if end != -1 else len(cards)]


def test_a_claim_added_by_hand_has_no_detector_score(tmp_path: Path) -> None:
    with Store(tmp_path / "wb.db") as store:
        aid = add_article(store)
        for name, text in human_formats(store, aid).items():
            added = claim_section(text, ADDED)
            detected = claim_section(text, DETECTED)
            assert "Added by you" in added, name
            assert "score" not in added.lower() and "1.00" not in added, name
            assert "Last changed" in added, name
            assert "Detector score 0.80" in detected, name


def test_machine_formats_keep_their_fields(tmp_path: Path) -> None:
    """CSV keeps its columns (the added claim's score cell is empty); JSON keeps every
    field, ids included, and says where the claim came from."""
    with Store(tmp_path / "wb.db") as store:
        aid = add_article(store)
        report = build_report(store, aid)
    data = render_reports([report], "csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert [(r["claim_text"], r["score"], r["priority"]) for r in rows] == [
        (DETECTED, "0.8", "medium"),
        (ADDED, "", "added by you"),
    ]
    assert all(r["claim_id"] for r in rows)
    claims = json.loads(render_reports([report], "json"))["reports"][0]["claims"]
    assert [(c["origin"], c["score"], c["priority"]) for c in claims] == [
        ("detector", 0.8, "medium"),
        ("user", 1.0, "added by you"),
    ]


# -- dates and speakers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2021-03-12T00:00:00Z", "12 Mar 2021"),
        ("2021-03-12", "12 Mar 2021"),
        ("2021-03-12T23:30:00-05:00", "12 Mar 2021"),  # the day it was written, not UTC's
        ("2021-03-12 08:15:00", "12 Mar 2021"),
        ("March 2021", "March 2021"),  # not ISO: as the archive gave it
        ("  ", ""),
        ("", ""),
        (None, ""),
        ("2021-13-45", "2021-13-45"),
    ],
)
def test_display_date(stored: str | None, shown: str) -> None:
    assert display_date(stored) == shown


def test_display_date_long_and_report_dates_are_english() -> None:
    assert display_date("2024-11-28T09:00:00Z", short=False) == "28 November 2024"
    assert human_date("2024-11-28") == "28 November 2024"
    assert human_date("2024-12-01T10:00:00+00:00") == "1 December 2024, 10:00 UTC"
    assert human_date("sometime in 2024") == "sometime in 2024"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("rick-santorum", "Rick Santorum"),
        ("donald-trump", "Donald Trump"),
        ("bloggers", "Bloggers"),
        ("facebook-posts", "Facebook Posts"),
        ("Rick Santorum", "Rick Santorum"),
        ("bell hooks", "bell hooks"),  # a space: written for people already
        ("will.i.am", "will.i.am"),
        ("Jean-Luc Mélenchon", "Jean-Luc Mélenchon"),
        ("josé-garcía", "José García"),
        ("-trump", "-trump"),
        ("2020", "2020"),
        ("", ""),
        ("  donald-trump ", "Donald Trump"),
    ],
)
def test_speaker_name(stored: str, shown: str) -> None:
    assert speaker_name(stored) == shown


def test_is_slug() -> None:
    assert is_slug("rick-santorum") and is_slug("obama")
    assert not is_slug("Rick-Santorum") and not is_slug("rick santorum")
    assert not is_slug("rick--santorum") and not is_slug("rick_santorum")


def test_a_claim_that_is_a_quote_keeps_its_own_quotation_marks(tmp_path: Path) -> None:
    text = "“We lost everything we had,” one farmer said of the 4,500 people evacuated.\n"
    with Store(tmp_path / "w.db") as store:
        detected = DetectedClaim(0, len(text) - 1, text.strip(), 0.8, ("quote",))
        aid = store.add_article(ArticleDraft(text, title="Floods"), [detected]).article.id
        shown = human_formats(store, aid)
    for name in ("html", "pdf"):
        assert "““We" not in shown[name] and "evacuated.”" not in shown[name], name
        assert "“We lost everything we had,” one farmer said" in shown[name], name
