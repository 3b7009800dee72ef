"""Verification reports as an editor and a spreadsheet see them: escaping, formats, files."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import shutil
import socket
import stat
import tempfile
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from resources import resource_path
from workbench.errors import NotFoundError, ValidationError
from workbench.models import ArticleDraft, ClaimType, DetectedClaim, Evidence, Status
from workbench.priority import Priority
from workbench.reports import (
    FORMATS,
    ClaimReviewError,
    ExportError,
    Report,
    ReportFormatError,
    build_report,
    build_reports,
    check_setting,
    claim_reviews,
    export_reports,
    format_for_path,
    read_report_json,
    render_reports,
    write_atomically,
)
from workbench.reports.claimreview import validate_claim_reviews
from workbench.reports.csv import COLUMNS, neutralise_cell
from workbench.reports.html import render_html
from workbench.reports.json import SCHEMA_FILE
from workbench.reports.markdown import escape_markdown
from workbench.reports.model import Organisation
from workbench.store import Store
from workbench.textsafety import http_url, shown_url, without_controls

TEXT = (
    "Troops & “tanks” <in> the North\n\n"
    "North Korea sent some 12,000 troops to Russia, the minister said on Wednesday. "
    "Officials gave no details.\n\n"
    "On Thursday, 70 lawmakers introduced a resolution.\n\n"
    "Unemployment fell to 4.1% in October, the agency said."
)
SENTENCES = (
    "North Korea sent some 12,000 troops to Russia, the minister said on Wednesday.",
    "On Thursday, 70 lawmakers introduced a resolution.",
    "Unemployment fell to 4.1% in October, the agency said.",
)
NOTE_SCRIPT = 'Per the <script>alert("x")</script> ministry & the "agency"'
NOTE_FORMULA = '=HYPERLINK("http://evil.example","click")'
EVIDENCE_URL = 'https://example.org/search?q=troops&lang=en"x'
EVIDENCE_TARGET = "https://example.org/search?q=troops&lang=en%22x"
REVIEW_TEMPLATE = "https://checks.example.org/{article_id}/#claim-{claim_id}"


def detected(sentence: str) -> DetectedClaim:
    start = TEXT.index(sentence)
    return DetectedClaim(start, start + len(sentence), sentence, 0.8, ("number",))


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Store(tmp_path / "wb.db", user="tester") as s:
        yield s


def add_article(store: Store, text: str = TEXT, title: str = "Troops <b>& tanks</b>") -> int:
    draft = ArticleDraft(
        text,
        title=title,
        source="Herald",
        url="https://news.example/troops?id=1&x=2",
        published="2024-11-28",
    )
    claims = [detected(s) for s in SENTENCES] if text == TEXT else []
    return store.add_article(draft, claims).article.id


@pytest.fixture
def article_id(store: Store) -> int:
    """An article with a verified, a disputed and an unchecked claim."""
    aid = add_article(store)
    first, second, _third = store.claims(aid)
    store.update_claim(
        first.id,
        status=Status.VERIFIED,
        note=NOTE_SCRIPT,
        claimant="Defence <Minister>",
        evidence=[(EVIDENCE_URL, "Ministry <statement>"), ("https://un.example/r", "")],
    )
    store.update_claim(second.id, status=Status.DISPUTED, note=NOTE_FORMULA, claimant="@lawmaker")
    store.set_setting("report.organisation", "Example Fact Check")
    store.set_setting("report.organisation_url", "https://factcheck.example")
    store.set_setting("report.review_url_template", REVIEW_TEMPLATE)
    return aid


@pytest.fixture
def report(store: Store, article_id: int) -> Report:
    return build_report(store, article_id, generated_at="2024-12-01T10:00:00+00:00")


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.hrefs: list[str] = []
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]
        self.attributes |= {k for k, _ in attrs}

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> TagCollector:
    parser = TagCollector()
    parser.feed(html)
    parser.close()
    return parser


# -- the model ------------------------------------------------------------------------


def test_report_model_counts_checkers_and_settings(report: Report) -> None:
    assert report.counts == {
        Status.VERIFIED: 1,
        Status.DISPUTED: 1,
        Status.UNVERIFIABLE: 0,
        Status.UNCHECKED: 1,
    }
    assert report.checked_count == 2
    assert [c.name for c in report.checkers] == ["tester"]
    assert report.last_checked_at is not None
    assert report.organisation == Organisation(
        "Example Fact Check", "https://factcheck.example", REVIEW_TEMPLATE
    )


def test_paragraphs_cover_the_article_and_mark_each_claim_once(report: Report) -> None:
    paragraphs = report.paragraphs()
    assert len(paragraphs) == 4
    joined = "\n\n".join("".join(seg.text for seg in p) for p in paragraphs)
    assert joined == TEXT
    ends = [seg.number for p in paragraphs for seg in p if seg.ends_claim]
    assert ends == [1, 2, 3]
    claim_segments = [seg for p in paragraphs for seg in p if seg.claim is not None]
    assert [seg.text for seg in claim_segments] == list(SENTENCES)


def test_unknown_article_is_a_clear_error(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no article with id 99"):
        build_reports(store, [99])


# -- links ----------------------------------------------------------------------------

HOSTILE_LINKS = {
    # stored URL (evidence, or a saved page's og:url) -> the only link target for it
    "https://x.example/)/Next<</S/JavaScript/JS(app.alert(1))>>/Z(": (
        "https://x.example/%29/Next%3C%3C/S/JavaScript/JS%28app.alert%281%29%29%3E%3E/Z%28"
    ),
    "https://x.example/a>>/S/Launch/F(calc.exe)>>": (
        "https://x.example/a%3E%3E/S/Launch/F%28calc.exe%29%3E%3E"
    ),
    "https://x.example/b\\)/S/SubmitForm/F(https://evil.example)": (
        "https://x.example/b%5C%29/S/SubmitForm/F%28https://evil.example%29"
    ),
    "https://x.example/c\n)>>/S/GoToR/F(x.pdf)": "https://x.example/c%0A%29%3E%3E/S/GoToR/F%28x.pdf%29",
    'https://x.example/d?q="quoted" \'single\' onmouseover="alert(1)': (
        "https://x.example/d?q=%22quoted%22%20%27single%27%20onmouseover=%22alert%281%29"
    ),
    "https://bücher.example/straße?q=ü#a#b": (
        "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC#a%23b"
    ),
    "javascript:app.alert(1)//https://x.example/": "",
}
"""Shared with the PDF test (tests/ui): the same URLs must give the same targets there."""
ARTICLE_URL = "https://news.example/a)/AA<</O<</S/ImportData/F(x)>>>>"
ARTICLE_TARGET = "https://news.example/a%29/AA%3C%3C/O%3C%3C/S/ImportData/F%28x%29%3E%3E%3E%3E"
ORGANISATION_URL = "https://org.example/(x)>>"
ORGANISATION_TARGET = "https://org.example/%28x%29%3E%3E"


def with_hostile_links(report: Report) -> Report:
    """The report with every URL in it replaced by a hostile one."""
    first = report.claims[0]
    evidence = tuple(
        Evidence(i, first.id, url, f"Source {i}", "", first.updated_at)
        for i, url in enumerate(HOSTILE_LINKS, start=1)
    )
    return replace(
        report,
        article=replace(report.article, url=ARTICLE_URL),
        claims=(replace(first, evidence=evidence), *report.claims[1:]),
        organisation=replace(report.organisation, url=ORGANISATION_URL),
    )


@pytest.mark.parametrize(
    ("url", "target"),
    [
        *HOSTILE_LINKS.items(),
        ("https://news.example/troops?id=1&x=2", "https://news.example/troops?id=1&x=2"),
        ("  https://x.example/a b\t ", "https://x.example/a%20b"),
        ("HTTPS://Example.ORG:8443/p", "https://Example.ORG:8443/p"),
        ("https://[2001:db8::1]:80/x[1]", "https://[2001:db8::1]:80/x%5B1%5D"),
        (
            "https://x.example/100%25/50%/%zz{}|^`",
            "https://x.example/100%25/50%25/%25zz%7B%7D%7C%5E%60",
        ),
        ("https://user@name:pw@x.example/", ""),
        ("https://www.politifact.com@evil.example/", ""),  # reads as one host, opens another
        ("https://www.politifact.com\\@evil.example/", ""),
        ("https://x.example/who@where?a=b@c", "https://x.example/who@where?a=b@c"),
        ("https://x.example)/", "https://x.example%29/"),
        ("https://x.example:port/", ""),
        ("https://[not-ipv6]/", ""),
        ("https:///path-only", ""),
        ("https://x.example/\ud800", ""),
        ("data:text/html,<script>", ""),
        ("file:///etc/passwd", ""),
        ("/relative/path", ""),
        ("", ""),
    ],
)
def test_link_targets_are_encoded_or_refused(url: str, target: str) -> None:
    assert http_url(url) == target
    assert http_url(target) == target  # already safe: unchanged


RFC3986 = re.compile(r"(?:[A-Za-z0-9\-._~:/?#@!$&*+,;=]|%[0-9A-Fa-f]{2})*")
"""RFC 3986's characters, less ( ) ' and [ ] (only in an IPv6 host), with valid escapes."""


@settings(max_examples=200)
@given(st.text(st.characters(codec="utf-8")))
def test_any_text_becomes_a_safe_target_or_none(text: str) -> None:
    for value in (text, "https://x.example/" + text, "http://" + text):
        target = http_url(value)
        if not target:
            continue
        assert target.startswith(("http://", "https://")) and urlsplit(target).hostname
        host = urlsplit(target).netloc.rpartition("@")[2]
        rest = target.replace(host, "", 1) if host.startswith("[") else target
        assert RFC3986.fullmatch(rest) and rest.count("#") <= 1, target
        assert http_url(target) == target


@given(
    st.text(st.characters(codec="utf-8", blacklist_characters="%?#")),
    st.text(st.characters(codec="utf-8", blacklist_characters="%#")),
)
def test_paths_and_queries_survive_the_encoding(path: str, query: str) -> None:
    target = http_url(f"https://x.example/{path}z?{query}z")
    parts = urlsplit(target)
    assert unquote(parts.path) == f"/{path}z"
    assert unquote(parts.query) == f"{query}z"
    assert parts.hostname == "x.example"


# -- HTML -----------------------------------------------------------------------------


def test_html_escapes_every_piece_of_user_and_article_text(report: Report) -> None:
    html = render_reports([report], "html").decode("utf-8")
    assert "<script" not in html.lower()
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; ministry &amp; the &#34;agency&#34;"
        in html
    )
    assert "Troops &lt;b&gt;&amp; tanks&lt;/b&gt;" in html  # the title
    assert "Defence &lt;Minister&gt;" in html
    assert 'href="https://example.org/search?q=troops&amp;lang=en%22x"' in html
    parsed = parse(html)
    assert EVIDENCE_TARGET in parsed.hrefs  # the stored URL, encoded as a link target
    assert EVIDENCE_URL in parsed.text  # and shown as it is
    assert NOTE_SCRIPT in "".join(parsed.text)
    assert not {"script", "img", "link", "iframe", "object", "embed"} & set(parsed.tags)


@pytest.mark.parametrize("pdf", [False, True])
def test_html_links_only_to_encoded_http_targets(report: Report, pdf: bool) -> None:
    hostile = with_hostile_links(report)
    html = render_html(hostile, pdf=pdf)
    parsed = parse(html)
    expected = {t for t in HOSTILE_LINKS.values() if t} | {ARTICLE_TARGET, ORGANISATION_TARGET}
    assert {h for h in parsed.hrefs if not h.startswith("#claim-")} == expected
    assert "" not in parsed.hrefs and not any(h.startswith("javascript") for h in parsed.hrefs)
    assert "onmouseover" not in parsed.attributes  # no quote ended an attribute
    shown = "".join(parsed.text)
    for url in [*HOSTILE_LINKS, ARTICLE_URL]:
        assert url in shown  # the stored text, as it is


def test_html_is_self_contained_and_shows_the_summary(report: Report) -> None:
    html = render_reports([report], "html").decode("utf-8")
    assert "default-src 'none'" in html  # the page may load nothing, even if text slipped in
    assert "src=" not in html and "@import" not in html and "url(" not in html
    text = " ".join("".join(parse(html).text).split())
    for expected in ("Herald", "28 November 2024", "2 of 3 claims checked", "Checked by tester"):
        assert expected in text
    assert "Example Fact Check" in text
    assert 'class="verified"' in html and 'class="disputed"' in html
    assert 'href="#claim-3"' in html and 'id="claim-3"' in html  # marker links to the card


def test_pdf_variant_uses_qt_friendly_markup(report: Report) -> None:
    html = render_html(report, pdf=True)
    assert "<mark" not in html and "display: grid" not in html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html


# -- Markdown -------------------------------------------------------------------------


def test_markdown_escapes_user_text(report: Report) -> None:
    md = render_reports([report], "md").decode("utf-8")
    assert "<script>" not in md
    assert r"\<script\>" in md
    assert r"Troops \<b\>\& tanks\</b\>" in md
    assert "[Ministry \\<statement\\>](<https://example.org/search?q=troops&lang=en%22x>)" in md
    assert "| ✓ Verified | 1 |" in md


def test_markdown_links_only_to_encoded_http_targets(report: Report) -> None:
    md = render_reports([with_hostile_links(report)], "md").decode("utf-8")
    targets = re.findall(r"\]\(<([^>]*)>\)", md)
    assert set(targets) == {t for t in HOSTILE_LINKS.values() if t} | {ARTICLE_TARGET}
    assert "](<javascript" not in md and "](javascript" not in md
    assert "javascript:app.alert(1)//https://x.example/" in md  # as text


LOOK_ALIKE = "https://аpple.com/login"  # a Cyrillic "а"


@pytest.mark.parametrize("fmt", ["html", "md", "pdf-html"])
def test_a_look_alike_host_is_shown_with_its_real_name(report: Report, fmt: str) -> None:
    """A report read "https://аpple.com/login" as apple.com while its link went to
    xn--pple-43d.com (audit): the host's IDNA name is shown beside it."""
    first = report.claims[0]
    evidence = (Evidence(1, first.id, LOOK_ALIKE, "", "", first.updated_at),)
    hostile = replace(
        report,
        article=replace(report.article, url="https://bücher.example/a"),
        claims=(replace(first, evidence=evidence), *report.claims[1:]),
    )
    if fmt == "pdf-html":
        text = render_html(hostile, pdf=True)
    else:
        text = render_reports([hostile], fmt).decode("utf-8")
    if fmt == "md":
        text = text.replace("\\[", "[").replace("\\]", "]")  # Markdown's escapes
    assert "аpple.com/login [xn--pple-43d.com]" in text
    assert "bücher.example/a [xn--bcher-kva.example]" in text
    assert shown_url("https://news.example/troops") == "https://news.example/troops"


def test_a_long_link_keeps_its_real_host_where_it_is_cut(report: Report) -> None:
    """The PDF's layout cut a link to 200 characters before the host's real name was
    worked out: an address with a long user name before its host lost the "@" and showed
    no host, a look-alike host of over 200 characters no name (audit)."""
    first = report.claims[0]
    hidden = "https://www.politifact.com.fact-check." + "x" * 300 + "@evil.example/a"
    evidence = (Evidence(1, first.id, hidden, "", "", first.updated_at),)
    labels = ".".join(letter * 60 for letter in "abc")  # a host name of 200 characters
    hostile = replace(
        report,
        article=replace(report.article, url=f"https://{labels}.b\u00fccher.example/a"),
        claims=(replace(first, evidence=evidence), *report.claims[1:]),
    )
    text = render_html(hostile, pdf=True)
    assert "… [evil.example]" in text
    assert f"[{labels}.xn--bcher-kva.example]" in text
    assert shown_url(hidden, limit=50) == f"{hidden[:49]}… [evil.example]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# not a heading", r"\# not a heading"),
        ("- not a list", r"\- not a list"),
        ("1. not a list", r"1\. not a list"),
        ("[link](http://x)", r"\[link\](http://x)"),
        ("*bold* and _it_", r"\*bold\* and \_it\_"),
        ("a\nb", "a\\\nb"),
        ("    code", "code"),
        ("AT&T <b>", r"AT\&T \<b\>"),
    ],
)
def test_escape_markdown(text: str, expected: str) -> None:
    assert escape_markdown(text) == expected


LINE_BREAKS = ["\r", "\r\n", "\n", "\v", "\f", "\x1c", "\x85", "\u2028", "\u2029"]
OWN_HEADINGS = re.compile(r"(# .*|## (Summary|The article|Claims)|### Claim \d+: .*)")


def markdown_headings(md: str) -> list[str]:
    """Every line a renderer could take for a heading: after any kind of line break,
    in a block quote or not, indented by up to three spaces."""
    lines = (re.sub(r"^( {0,3}>)*", "", line) for line in md.splitlines())
    return [line.strip() for line in lines if re.match(r" {0,3}#", line)]


@pytest.mark.parametrize(
    "field",
    ["note", "claimant", "evidence title", "evidence note", "organisation", "source", "author"],
)
def test_no_line_break_lets_user_text_start_a_heading(report: Report, field: str) -> None:
    hostile = "ok" + "".join(f"{brk}# Injected{brk}{brk}   ## Also" for brk in LINE_BREAKS)
    claim = report.claims[0]
    item = claim.evidence[0]
    changes: dict[str, Report] = {
        "note": replace(report, claims=(replace(claim, note=hostile), *report.claims[1:])),
        "claimant": replace(report, claims=(replace(claim, claimant=hostile), *report.claims[1:])),
        "evidence title": replace(
            report,
            claims=(replace(claim, evidence=(replace(item, title=hostile),)), *report.claims[1:]),
        ),
        "evidence note": replace(
            report,
            claims=(replace(claim, evidence=(replace(item, note=hostile),)), *report.claims[1:]),
        ),
        "organisation": replace(report, organisation=Organisation(name=hostile)),
        "source": replace(report, article=replace(report.article, source=hostile)),
        "author": replace(report, article=replace(report.article, author=hostile)),
    }
    md = render_reports([changes[field]], "md").decode("utf-8")
    headings = markdown_headings(md)
    assert all(OWN_HEADINGS.fullmatch(h) for h in headings), headings
    assert len(headings) == 4 + len(report.claims)  # title, 3 sections, one per claim
    assert "\\# Injected" in md  # still there, as text


@pytest.mark.parametrize("brk", LINE_BREAKS)
def test_escape_markdown_treats_every_line_break_alike(brk: str) -> None:
    assert escape_markdown(f"ok{brk}# Injected{brk}- item") == "ok\\\n\\# Injected\\\n\\- item"


# -- CSV ------------------------------------------------------------------------------


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so spreadsheets read UTF-8"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_one_row_per_claim_with_formulas_neutralised(report: Report) -> None:
    rows = read_csv(render_reports([report], "csv"))
    assert [r["claim_text"] for r in rows] == list(SENTENCES)
    first, second, third = rows
    assert first["status"] == "verified" and first["claimant"] == "Defence <Minister>"
    assert first["evidence_urls"].split("\n") == [EVIDENCE_URL, "https://un.example/r"]
    assert first["start"] == str(TEXT.index(SENTENCES[0]))
    assert second["note"] == "'" + NOTE_FORMULA
    assert second["claimant"] == "'@lawmaker"
    assert third["status"] == "unchecked" and third["note"] == ""
    assert first["article_title"] == "Troops <b>& tanks</b>"


@pytest.mark.parametrize(
    "first",
    [
        "=",
        "+",
        "-",
        "@",
        "\t",
        "\r",
        "＝",
        " =",
        "\n+",
        "\u00a0=",
        "\u3000+",
        "\u200b-",
        "\ufeff @",
        "\u200b \u200b=",  # any mix (review)
        "\u00ad\u2060 +",
    ],
)
def test_every_formula_trigger_is_neutralised(first: str) -> None:
    assert neutralise_cell(first + "1+1") == "'" + first + "1+1"


@pytest.mark.parametrize("safe", ["", "12,000 troops", "a=b", "'quoted", "e-mail"])
def test_ordinary_cells_are_left_alone(safe: str) -> None:
    assert neutralise_cell(safe) == safe


# -- JSON -----------------------------------------------------------------------------


def test_json_round_trips_into_the_report_model(report: Report) -> None:
    data = render_reports([report], "json")
    document = json.loads(data)
    assert document["schema_version"] == 5
    assert document["totals"]["by_status"]["verified"] == 1
    assert read_report_json(data) == [report]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(schema_version=6), "newer workbench"),
        (lambda d: d["reports"][0]["claims"][0].pop("tags"), "'tags' is a required"),
        (lambda d: d["reports"][0]["article"].pop("tags"), "'tags' is a required"),
        (lambda d: d["reports"][0]["claims"][0].update(tags=["a", "a"]), "claims/0/tags"),
        (lambda d: d.update(schema_version=4), "reports/0/article"),  # v4 has no tags
        (lambda d: d["reports"][0]["claims"][0].pop("chosen_priority"), "'chosen_priority' is"),
        (lambda d: d["reports"][0]["claims"][0].update(chosen_priority="top"), "claims/0"),
        (lambda d: d["reports"][0]["claims"][0].pop("priority"), "'priority' is a required"),
        (lambda d: d["reports"][0]["claims"][0].update(type="rumour"), "reports/0/claims/0"),
        (lambda d: d.update(schema_version=1), r"reports/0/(claims/\d|article)"),  # no type
        (lambda d: d.update(schema_version="1"), "unknown schema_version"),
        (lambda d: d.pop("schema_version"), "no schema_version"),
        (lambda d: d["reports"][0]["claims"][0].pop("status"), "'status' is a required"),
        (lambda d: d["reports"][0]["claims"][0].update(status="true"), "reports/0/claims/0"),
        (lambda d: d["reports"][0]["article"].update(extra=1), "Additional properties"),
        (lambda d: d["reports"][0]["summary"]["by_status"].update(verified=5), "summary"),
        (lambda d: d["reports"][0]["claims"][0].update(end=10**6), "outside article"),
    ],
)
def test_json_reader_is_strict(report: Report, change: Any, message: str) -> None:
    document = json.loads(render_reports([report], "json"))
    change(document)
    with pytest.raises(ReportFormatError, match=message):
        read_report_json(json.dumps(document))


def test_json_reader_refuses_what_is_not_json() -> None:
    with pytest.raises(ReportFormatError, match="not a JSON report"):
        read_report_json(b"\x89PNG")
    with pytest.raises(ReportFormatError, match="nested too deeply"):
        read_report_json("[" * 100_000)


# -- ClaimReview ----------------------------------------------------------------------


def test_claimreview_one_object_per_checked_claim(report: Report) -> None:
    reviews = json.loads(render_reports([report], "claimreview"))
    assert [r["claimReviewed"] for r in reviews] == list(SENTENCES[:2])  # unchecked left out
    verified, disputed = reviews
    for review in reviews:
        assert review["@context"] == "https://schema.org"
        assert review["@type"] == "ClaimReview"
        assert review["author"] == {
            "@type": "Organization",
            "name": "Example Fact Check",
            "url": "https://factcheck.example",
        }
        assert review["itemReviewed"]["@type"] == "Claim"
        assert review["itemReviewed"]["appearance"]["url"] == "https://news.example/troops?id=1&x=2"
        assert review["datePublished"][:4].isdigit()
        assert review["reviewRating"]["@type"] == "Rating"
    assert verified["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Accurate",
        "ratingValue": 2,
        "bestRating": 2,
        "worstRating": 1,
        "ratingExplanation": NOTE_SCRIPT,
    }
    assert disputed["reviewRating"]["alternateName"] == "Disputed"
    assert disputed["reviewRating"]["ratingValue"] == 1
    assert verified["itemReviewed"]["author"] == {"@type": "Person", "name": "Defence <Minister>"}
    claim_id = report.claims[0].id
    assert verified["url"] == f"https://checks.example.org/{report.article.id}/#claim-{claim_id}"
    validate_claim_reviews(reviews)


def test_claimreview_urls_are_encoded_http_targets(report: Report) -> None:
    hostile = with_hostile_links(report)
    template = "https://checks.example/{article_id}/(#{claim_id})\n<x>"
    hostile = replace(
        hostile, organisation=replace(hostile.organisation, review_url_template=template)
    )
    reviews = json.loads(render_reports([hostile], "claimreview"))  # validated: one line each
    assert len(reviews) == len(report.checked_claims) == 2
    for review, claim in zip(reviews, report.checked_claims, strict=True):
        assert review["author"]["url"] == ORGANISATION_TARGET
        assert review["itemReviewed"]["appearance"]["url"] == ARTICLE_TARGET
        assert review["url"] == (
            f"https://checks.example/{report.article.id}/%28#{claim.id}%29%0A%3Cx%3E"
        )
    article = replace(hostile.article, url="javascript:alert(1)")
    organisation = replace(hostile.organisation, url="javascript:alert(2)", review_url_template="")
    (review, _) = claim_reviews(replace(hostile, article=article, organisation=organisation))
    assert "url" not in review and "url" not in review["author"]
    assert "appearance" not in review["itemReviewed"]


def test_unverifiable_has_no_number(store: Store, article_id: int) -> None:
    third = store.claims(article_id)[2]
    store.update_claim(third.id, status="unverifiable")
    reviews = claim_reviews(build_report(store, article_id))
    rating = reviews[-1]["reviewRating"]
    assert rating == {"@type": "Rating", "alternateName": "Unverifiable"}
    validate_claim_reviews(reviews)


def test_claimreview_without_organisation_is_refused(store: Store) -> None:
    aid = add_article(store)
    store.update_claim(store.claims(aid)[0].id, status="verified")
    with pytest.raises(ClaimReviewError, match=r"settings set report\.organisation"):
        render_reports([build_report(store, aid)], "claimreview")


@pytest.mark.parametrize(
    "damage",
    [
        lambda r: r.pop("author"),
        lambda r: r.pop("@context"),
        lambda r: r["reviewRating"].pop("alternateName"),
        lambda r: r["reviewRating"].update(ratingValue=5),
        lambda r: r["reviewRating"].pop("bestRating"),
        lambda r: r["itemReviewed"].update({"@type": "Thing"}),
        lambda r: r.update(url="javascript:alert(1)"),
    ],
)
def test_schema_catches_invalid_claimreview(report: Report, damage: Any) -> None:
    reviews = claim_reviews(report)
    damage(reviews[0])
    with pytest.raises(ClaimReviewError, match="would be invalid"):
        validate_claim_reviews(reviews)


def test_claimreview_without_article_url_leaves_appearance_out(store: Store) -> None:
    aid = store.add_article(ArticleDraft(TEXT), [detected(SENTENCES[0])]).article.id
    store.update_claim(store.claims(aid)[0].id, status="disputed")
    store.set_setting("report.organisation", "Desk")
    (review,) = claim_reviews(build_report(store, aid))
    assert "appearance" not in review["itemReviewed"] and "url" not in review
    validate_claim_reviews([review])


# -- type and priority ----------------------------------------------------------------

KINDS = ["Quantity or statistic · High priority", "Medium priority", "Added by you"]


@pytest.fixture
def typed_report(store: Store) -> Report:
    """A typed claim the settings make high priority, an untyped medium one, one added by hand."""
    claims = [
        replace(detected(SENTENCES[0]), type=ClaimType.QUANTITY),  # score 0.8
        replace(detected(SENTENCES[1]), score=0.7),
    ]
    aid = store.add_article(ArticleDraft(TEXT, title="Typed"), claims).article.id
    start = TEXT.index(SENTENCES[2])
    store.add_claim(aid, start, start + len(SENTENCES[2]))
    store.set_setting("priority.high", "0.75")  # by default 0.8 is only medium
    return build_report(store, aid, generated_at="2024-12-01T10:00:00+00:00")


def test_priorities_follow_the_store_settings(typed_report: Report) -> None:
    claims = typed_report.claims
    assert [typed_report.priority(c) for c in claims] == [
        Priority.HIGH,
        Priority.MEDIUM,
        Priority.MANUAL,
    ]
    assert [typed_report.kind(c) for c in claims] == KINDS


def claim_sections(text: str, heading: str) -> list[str]:
    """The text from each claim's heading to the next one's."""
    return re.split(heading + r" \d+", text[text.index(heading + " 1") :])[1:]


@pytest.mark.parametrize("pdf", [False, True])
def test_html_shows_type_and_priority_under_each_claim(typed_report: Report, pdf: bool) -> None:
    text = "".join(parse(render_html(typed_report, pdf=pdf)).text)
    sections = claim_sections(text, "Claim")
    assert len(sections) == 3
    for section, sentence, kind in zip(sections, SENTENCES, KINDS, strict=True):
        assert sentence in section and section.index(kind) > section.index(sentence)


def test_markdown_shows_type_and_priority(typed_report: Report) -> None:
    md = render_reports([typed_report], "md").decode("utf-8")
    sections = claim_sections(md, "### Claim")
    assert len(sections) == 3
    for section, kind in zip(sections, KINDS, strict=True):
        assert f"\n*{kind}*\n" in section


def test_csv_appends_type_and_priority_columns(typed_report: Report) -> None:
    assert COLUMNS[:14] == (
        "article_id", "article_title", "article_url", "claim_id", "claim_number", "claim_text",
        "start", "end", "score", "status", "note", "claimant", "evidence_urls", "updated_at",
    )  # fmt: skip
    assert COLUMNS[14:16] == ("type", "priority")
    rows = read_csv(render_reports([typed_report], "csv"))
    assert [(r["type"], r["priority"]) for r in rows] == [
        ("quantity", "high"),
        ("", "medium"),
        ("", "added by you"),
    ]


def test_json_records_type_and_priority_and_round_trips(typed_report: Report) -> None:
    data = render_reports([typed_report], "json")
    claims = json.loads(data)["reports"][0]["claims"]
    assert [(c["type"], c["priority"]) for c in claims] == [
        ("quantity", "high"),
        (None, "medium"),
        (None, "added by you"),
    ]
    (back,) = read_report_json(data)
    assert back == typed_report
    assert [back.kind(c) for c in back.claims] == KINDS


def test_a_priority_the_fact_checker_gave_is_said_and_kept(store: Store) -> None:
    """A JSON report read back lost it, and no report said whose it was (review)."""
    from workbench import operations

    aid = store.add_article(ArticleDraft(TEXT, title="Given"), [detected(SENTENCES[0])]).article.id
    (claim,) = store.claims(aid)
    operations.run(store, operations.set_priority(claim.id, "low"))
    report = build_report(store, aid, generated_at="2024-12-01T10:00:00+00:00")
    assert report.kind(report.claims[0]) == "Low priority (the fact-checker's)"
    assert "Low priority (the fact-checker's)" in render_reports([report], "md").decode()
    data = render_reports([report], "json")
    assert json.loads(data)["reports"][0]["claims"][0]["chosen_priority"] == "low"
    (back,) = read_report_json(data)
    assert back == report and back.claims[0].chosen_priority == "low"


def test_a_version_1_report_is_still_read(typed_report: Report) -> None:
    document = json.loads(render_reports([typed_report], "json"))
    document["schema_version"] = 1
    del document["reports"][0]["article"]["tags"]
    for claim in document["reports"][0]["claims"]:
        del claim["type"], claim["priority"], claim["chosen_priority"], claim["tags"]
    (report,) = read_report_json(json.dumps(document))
    assert [c.type for c in report.claims] == [None, None, None]
    # With nothing recorded, the default thresholds grade the article: 0.8 is medium.
    assert [report.kind(c) for c in report.claims] == [
        "Medium priority",
        "Medium priority",
        "Added by you",
    ]


def test_schema_lists_every_type_and_priority() -> None:
    schema = json.loads(resource_path(*SCHEMA_FILE).read_text(encoding="utf-8"))
    claim = schema["$defs"]["claim"]["properties"]
    assert claim["type"]["enum"] == [t.value for t in ClaimType] + [None]
    assert claim["priority"]["enum"] == [p.value for p in Priority]


# -- several articles, files ----------------------------------------------------------


def test_several_articles_in_csv_and_json(store: Store, article_id: int) -> None:
    other = add_article(store, "A second article with no claims at all.", title="Second")
    reports = build_reports(store, [article_id, other, article_id])
    assert [r.article.id for r in reports] == [article_id, other]  # duplicates dropped
    rows = read_csv(render_reports(reports, "csv"))
    assert {r["article_id"] for r in rows} == {str(article_id)}
    document = json.loads(render_reports(reports, "json"))
    assert document["totals"] == {
        "articles": 2,
        "claims": 3,
        "checked": 2,
        "by_status": {"verified": 1, "disputed": 1, "unverifiable": 0, "unchecked": 1},
    }
    assert read_report_json(json.dumps(document)) == reports
    for name in ("html", "pdf", "md", "claimreview"):
        with pytest.raises(ExportError, match="holds one article"):
            render_reports(reports, name)


def test_formats_and_extensions() -> None:
    assert list(FORMATS) == ["html", "pdf", "md", "csv", "json", "claimreview", "bundle"]
    assert format_for_path("x/report.PDF") is FORMATS["pdf"]
    assert format_for_path("r.htm") is FORMATS["html"]
    assert format_for_path("r.txt") is None
    assert FORMATS["pdf"].dialog_filter == "PDF document (*.pdf)"
    assert FORMATS["pdf"].binary and not FORMATS["md"].binary


def test_export_writes_every_text_format(store: Store, article_id: int, tmp_path: Path) -> None:
    for spec in FORMATS.values():
        if spec.binary:
            continue
        path = tmp_path / f"report{spec.extension}"
        result = export_reports(store, [article_id], path, fmt=spec.name)
        assert path.read_bytes()[:1] in (b"<", b"*", b"\xef", b"{", b"[")
        assert result.size == path.stat().st_size and result.articles == 1
        assert result.items == (2 if spec.name == "claimreview" else 3)
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["wb.db", "wb.db-shm", "wb.db-wal"] + [f"report{f.extension}" for f in FORMATS.values()
                                               if not f.binary]
    )  # fmt: skip


def test_pdf_goes_through_the_renderer_given(report: Report) -> None:
    seen: dict[str, str] = {}

    def fake_renderer(html: str, /, *, title: str) -> bytes:
        seen["html"], seen["title"] = html, title
        return b"%PDF-fake"

    assert render_reports([report], "pdf", pdf_renderer=fake_renderer) == b"%PDF-fake"
    assert seen["title"] == "Verification report: Troops <b>& tanks</b>"
    assert "&lt;script&gt;" in seen["html"]


def test_failed_export_leaves_the_old_file(store: Store, tmp_path: Path) -> None:
    aid = add_article(store)
    store.update_claim(store.claims(aid)[0].id, status="verified")
    path = tmp_path / "out.jsonld"
    path.write_text("previous export", encoding="utf-8")
    with pytest.raises(ClaimReviewError):  # no organisation set: fails while rendering
        export_reports(store, [aid], path, fmt="claimreview")
    assert path.read_text(encoding="utf-8") == "previous export"


def test_atomic_write_cleans_up_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "report.html"
    path.write_text("old", encoding="utf-8")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ExportError, match=r"cannot write .*No space left"):
        write_atomically(path, b"new")
    assert path.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["report.html"]  # no temporary file left behind


def test_atomic_write_to_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"cannot write .*No such file"):
        write_atomically(tmp_path / "missing" / "r.csv", b"x")
    with pytest.raises(ExportError, match="it is a folder"):
        write_atomically(tmp_path, b"x")


@pytest.fixture
def umask_022() -> Any:
    """A known umask for the test (restored after): new files are then 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def refuse_to_replace(src: object, dst: object) -> None:
    """Stands in for os.replace where a target must never be replaced (/dev/null)."""
    raise AssertionError(f"{dst} was about to be replaced")


def test_special_files_are_refused_and_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "pipe.html"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.html"
    folder.mkdir()
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock.html"))
    targets = {fifo: "a named pipe", folder: "a folder", tmp_path / "sock.html": "a socket"}
    with server:
        for target, kind in targets.items():
            with pytest.raises(ExportError) as caught:
                write_atomically(target, b"report")
            assert str(caught.value) == f"cannot write {target}: it is {kind}, not a regular file"
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and stat.S_ISSOCK(
        os.lstat(tmp_path / "sock.html").st_mode
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.html", "pipe.html", "sock.html"]
    monkeypatch.setattr(os, "replace", refuse_to_replace)  # even if the check went missing
    # /dev/stdout is a link: as root, the report replaced it (found by an audit).
    stdout_was_a_link = os.path.islink("/dev/stdout")
    for system in ("/dev/null", "/dev/stdout", "/proc/self/report.html", "/sys/report.html"):
        with pytest.raises(ExportError, match=r"holds the system's devices.*use -o -\)$"):
            write_atomically(system, b"report")
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    assert os.path.islink("/dev/stdout") == stdout_was_a_link
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):  # files in memory
        monkeypatch.undo()
        shm = Path(tempfile.mkdtemp(dir="/dev/shm")) / "report.html"
        try:
            write_atomically(shm, b"report")
            assert shm.read_bytes() == b"report"
        finally:
            shutil.rmtree(shm.parent)


def test_a_device_node_is_refused(tmp_path: Path) -> None:
    device = tmp_path / "null.pdf"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # another /dev/null
    except PermissionError:
        pytest.skip("making a device node needs root")
    with pytest.raises(ExportError, match="it is a device, not a regular file"):
        write_atomically(device, b"report")
    assert stat.S_ISCHR(device.lstat().st_mode)


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path, umask_022: None) -> None:
    for mode in (0o600, 0o640, 0o444):
        path = tmp_path / f"report-{mode:o}.html"
        path.write_bytes(b"old")
        path.chmod(mode)
        write_atomically(path, b"new")
        assert path.read_bytes() == b"new"
        assert stat.S_IMODE(path.stat().st_mode) == mode
    new = tmp_path / "new.html"
    write_atomically(new, b"new")
    assert stat.S_IMODE(new.stat().st_mode) == 0o644  # what the umask gives


def test_a_symlink_is_replaced_never_written_through(tmp_path: Path, umask_022: None) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    private = elsewhere / "private.html"
    private.write_bytes(b"old")
    private.chmod(0o600)
    os.mkfifo(elsewhere / "pipe")
    links = {
        "to-file.html": private,
        "to-pipe.html": elsewhere / "pipe",
        "to-null.html": Path("/dev/null"),
        "to-folder.html": elsewhere,
        "dangling.html": elsewhere / "missing",
    }
    for name, target in links.items():
        (tmp_path / name).symlink_to(target)
        write_atomically(tmp_path / name, name.encode())
        assert not (tmp_path / name).is_symlink()
        assert (tmp_path / name).read_bytes() == name.encode()
    assert private.read_bytes() == b"old"
    assert stat.S_IMODE((tmp_path / "to-file.html").stat().st_mode) == 0o600  # as its file
    assert stat.S_IMODE((tmp_path / "to-pipe.html").stat().st_mode) == 0o644
    assert stat.S_ISFIFO((elsewhere / "pipe").lstat().st_mode)
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["pipe", "private.html"]


def test_temporary_names_never_collide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = iter(["same", "same", "other", "same", "third"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(names))
    taken = tmp_path / ".report.html.same.part"
    taken.write_bytes(b"another export's")  # two exports drew the same name at once
    write_atomically(tmp_path / "report.html", b"new")
    assert (tmp_path / "report.html").read_bytes() == b"new"
    assert taken.read_bytes() == b"another export's"
    taken.unlink()
    (tmp_path / "victim").write_bytes(b"victim")
    taken.symlink_to(tmp_path / "victim")  # a link planted where the temporary file goes
    write_atomically(tmp_path / "report.html", b"newer")
    assert (tmp_path / "report.html").read_bytes() == b"newer"
    assert (tmp_path / "victim").read_bytes() == b"victim"
    assert sorted(p.name for p in tmp_path.iterdir()) == [taken.name, "report.html", "victim"]


def test_a_long_file_name_is_written(tmp_path: Path) -> None:
    path = tmp_path / ("r" * 250 + ".html")  # the temporary file's name must still fit
    write_atomically(path, b"x")
    assert os.listdir(tmp_path) == [path.name]


@pytest.mark.parametrize(
    "failure", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=repr
)
def test_nothing_is_left_behind_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    path = tmp_path / "report.html"
    path.write_bytes(b"old")
    path.chmod(0o600)

    def broken_fsync(fd: int) -> None:
        raise failure

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(ExportError if isinstance(failure, OSError) else KeyboardInterrupt):
        write_atomically(path, b"new")
    assert os.listdir(tmp_path) == ["report.html"] and path.read_bytes() == b"old"


# -- settings -------------------------------------------------------------------------


def test_report_settings_are_validated() -> None:
    assert check_setting("report.organisation", "  Desk  ") == "Desk"
    assert check_setting("report.review_url_template", REVIEW_TEMPLATE) == REVIEW_TEMPLATE
    assert check_setting("ui.something", " kept ") == " kept "
    with pytest.raises(ValidationError, match="unknown report setting"):
        check_setting("report.organization", "typo")
    with pytest.raises(ValidationError, match="http or https"):
        check_setting("report.organisation_url", "javascript:alert(1)")
    with pytest.raises(ValidationError, match="placeholders"):
        check_setting("report.review_url_template", "https://x.example/{claim_id.__class__}")
    # The organisation is a name on one line, as the checker's is (typed in the app's
    # export dialog now, where a pasted paragraph or an escape could reach ClaimReview).
    assert check_setting("report.organisation", "Desk\n  Checks\t") == "Desk Checks"
    with pytest.raises(ValidationError, match="control characters"):
        check_setting("report.organisation", "Desk\x1b[31m")
    with pytest.raises(ValidationError) as refused:
        check_setting("report.organisation_url", "javascript:" + "x" * 10_000)
    assert len(str(refused.value)) < 200


# -- properties -----------------------------------------------------------------------

user_text = st.text(st.characters(codec="utf-8", blacklist_characters="\x00"), max_size=60)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(note=user_text, claimant=user_text)
@example(note="\x1b", claimant="\u202e")  # nothing left to show once controls are dropped
def test_any_note_or_claimant_stays_text(report: Report, note: str, claimant: str) -> None:
    claim = replace(report.claims[0], note=note, claimant=claimant.strip())
    changed = replace(report, claims=(claim, *report.claims[1:]))
    # The same shape of text with nothing special in it: the page must have the same tags.
    plain_note = "\n".join("n" for _ in note.split("\n")) if note else ""
    plain = replace(claim, note=plain_note, claimant="c" if claim.claimant else "")
    baseline = replace(report, claims=(plain, *report.claims[1:]))
    html = render_reports([changed], "html").decode("utf-8")
    assert parse(html).tags == parse(render_reports([baseline], "html").decode("utf-8")).tags
    assert without_controls(note) in "".join(parse(html).text)  # what a terminal obeys goes

    row = read_csv(render_reports([changed], "csv"))[0]
    for cell, original in ((row["note"], note), (row["claimant"], claim.claimant)):
        original = without_controls(original)  # what a terminal would obey is dropped
        if cell.startswith("'") and cell[1:] == original:
            continue  # neutralised
        assert cell == original
        first, first_visible = cell[:1], cell.lstrip(" \n")[:1]
        assert not (first and first in "=+-@\t\r") and not (
            first_visible and first_visible in "=+-@"
        )

    validate_claim_reviews(claim_reviews(changed))
