"""The PDF report through the Qt renderer: searchable text, page numbers, any thread,
and links that can only be links."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication

from tests.core.test_reports import (
    ARTICLE_TARGET,
    ARTICLE_URL,
    HOSTILE_LINKS,
    ORGANISATION_TARGET,
    with_hostile_links,
)
from ui.pdf_renderer import _open_long_runs, render_pdf
from workbench.models import ArticleDraft, DetectedClaim
from workbench.reports import build_report, load_pdf_renderer, render_reports
from workbench.reports.model import Report
from workbench.store import Store

SENTENCE = "In {year}, the port of Haldane handled {n} containers, officials said."


def make_report(tmp_path: Path, paragraphs: int) -> tuple[Report, Path]:
    text = "\n\n".join(
        SENTENCE.format(year=1900 + i, n=1000 + i) + " Nothing else happened that day." * 3
        for i in range(paragraphs)
    )
    claims = []
    for i in range(paragraphs):
        sentence = SENTENCE.format(year=1900 + i, n=1000 + i)
        start = text.index(sentence)
        claims.append(DetectedClaim(start, start + len(sentence), sentence, 0.9))
    path = tmp_path / "pdf.db"
    with Store(path) as store:
        draft = ArticleDraft(text, title="Port traffic, fiscal year", source="Gazette")
        aid = store.add_article(draft, claims).article.id
        first = store.claims(aid)[0]
        store.update_claim(
            first.id,
            status="disputed",
            note="Port figures <script>x</script> & fish",
            evidence=[("https://port.example/stats?y=1900&t=c", "Port statistics")],
        )
        return build_report(store, aid), path


def pdf_pages(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return [page.extract_text() for page in reader.pages]


def flat(text: str) -> str:
    return " ".join(text.split())


def test_pdf_has_searchable_claims_and_page_numbers(qapp: QApplication, tmp_path: Path) -> None:
    report, _ = make_report(tmp_path, paragraphs=60)
    data = render_reports([report], "pdf", pdf_renderer=load_pdf_renderer())
    assert data.startswith(b"%PDF-")
    pages = pdf_pages(data)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in flat(text)
    everything = flat(" ".join(pages))
    for claim in report.claims:
        assert flat(claim.text) in everything  # no ligatures: "fiscal" is found as typed
    assert "Port figures <script>x</script> & fish" in everything  # shown as text
    assert "https://port.example/stats?y=1900&t=c" in everything
    metadata = PdfReader(io.BytesIO(data)).metadata
    assert metadata is not None
    assert metadata.title == "Verification report: Port traffic, fiscal year"


def test_no_text_is_drawn_twice_across_a_page_break(qapp: QApplication, tmp_path: Path) -> None:
    report, _ = make_report(tmp_path, paragraphs=60)
    pages = pdf_pages(render_reports([report], "pdf", pdf_renderer=load_pdf_renderer()))
    everything = flat(" ".join(pages))
    for claim in report.claims:
        # Once in the article, once in the claims list: a line clipped at a page edge
        # and drawn on both pages would make it three.
        assert everything.count(flat(claim.text)) == 2, claim.text


def test_renders_on_a_worker_thread(qapp: QApplication, tmp_path: Path) -> None:
    report, _ = make_report(tmp_path, paragraphs=5)
    renderer = load_pdf_renderer()
    result: dict[str, bytes | BaseException] = {}

    def work() -> None:
        try:
            result["pdf"] = render_reports([report], "pdf", pdf_renderer=renderer)
        except BaseException as exc:  # reported below
            result["pdf"] = exc

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=60)
    data = result["pdf"]
    assert isinstance(data, bytes), data
    assert "Page 1 of" in flat(pdf_pages(data)[0])


@pytest.mark.parametrize("display", [None, ":99"])
def test_command_line_pdf_needs_no_display(tmp_path: Path, display: str | None) -> None:
    _, db = make_report(tmp_path, paragraphs=3)
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    if display:
        env["DISPLAY"] = display  # a display that does not exist must not matter
    out = tmp_path / "report.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "export", "1", "-o", str(out), "--db", str(db)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    assert "Page 1 of" in flat(pdf_pages(out.read_bytes())[0])


# -- links ----------------------------------------------------------------------------

FORBIDDEN_NAMES = {
    "/JavaScript", "/JS", "/Launch", "/SubmitForm", "/GoToR", "/GoToE", "/ImportData",
    "/ResetForm", "/Rendition", "/RichMediaExecute", "/OpenAction", "/AA", "/EmbeddedFile",
}  # fmt: skip


def pdf_names(obj: Any, seen: set[tuple[int, int]]) -> set[str]:
    """Every name (as a key or a value) in the objects reachable from ``obj``."""
    if isinstance(obj, IndirectObject):
        key = (obj.idnum, obj.generation)
        if key in seen:
            return set()
        seen.add(key)
        return pdf_names(obj.get_object(), seen)
    names: set[str] = set()
    if isinstance(obj, DictionaryObject):  # streams too: their dictionary
        for key, value in obj.items():
            names |= {str(key)} | pdf_names(value, seen)
    elif isinstance(obj, ArrayObject):
        for value in obj:
            names |= pdf_names(value, seen)
    elif isinstance(obj, NameObject):
        names.add(str(obj))
    return names


def link_targets(data: bytes) -> set[str]:
    """The targets of the PDF's links, checking that nothing else is there.

    Only /Link annotations with a /URI action; no document or page actions, no
    JavaScript name tree; and no action name anywhere in any object of the file.
    """
    reader = PdfReader(io.BytesIO(data))
    catalog = reader.trailer["/Root"].get_object()
    assert isinstance(catalog, DictionaryObject)
    assert "/OpenAction" not in catalog and "/AA" not in catalog
    assert "/JavaScript" not in catalog.get("/Names", {})
    targets = set()
    for page in reader.pages:
        assert "/AA" not in page
        for ref in page.get("/Annots", []):
            annotation = ref.get_object()
            assert annotation["/Subtype"] == "/Link", annotation
            action = annotation["/A"].get_object()
            assert set(action) <= {"/Type", "/S", "/URI"}, action
            assert action["/S"] == "/URI", action
            targets.add(str(action["/URI"]))
    seen: set[tuple[int, int]] = set()
    names = pdf_names(reader.trailer, seen)
    for generation, numbers in reader.xref.items():  # objects nothing refers to, too
        for number in numbers:
            names |= pdf_names(IndirectObject(number, generation, reader), seen)
    assert not names & FORBIDDEN_NAMES
    return targets


def test_hostile_urls_become_plain_uri_links(qapp: QApplication, tmp_path: Path) -> None:
    report, _ = make_report(tmp_path, paragraphs=2)
    report = with_hostile_links(report)
    report = replace(report, organisation=replace(report.organisation, name="Desk"))
    data = render_reports([report], "pdf", pdf_renderer=load_pdf_renderer())
    expected = {t for t in HOSTILE_LINKS.values() if t} | {ARTICLE_TARGET, ORGANISATION_TARGET}
    assert link_targets(data) == expected
    shown = "".join("".join(pdf_pages(data)).split())  # long URLs are wrapped anywhere
    assert "javascript:app.alert(1)//https://x.example/" in shown  # shown, not linked
    assert "https://bücher.example/straße?q=ü" in shown  # the stored text, as it is
    assert ARTICLE_URL in shown


def test_the_renderer_makes_any_html_link_safe(qapp: QApplication) -> None:
    """Whatever HTML it is given: the renderer is a plug-in any caller can use."""
    anchors = "".join(
        f'<p><a href="{url.replace("&", "&amp;").replace(chr(34), "&quot;")}">link</a></p>'
        for url in [*HOSTILE_LINKS, "#claim-1", "file:///etc/passwd"]
    )
    data = render_pdf(f"<html><body><a name='top'></a>{anchors}</body></html>", title="T")
    assert link_targets(data) == {t for t in HOSTILE_LINKS.values() if t}


def test_long_urls_and_long_runs_make_a_small_pdf(qapp: QApplication, tmp_path: Path) -> None:
    """A link's target was repeated on every line its text wrapped to (one 100,000-
    character URL: a 105 MB PDF), and a run without spaces took Qt minutes to lay out
    (audit): the shown URL is cut to 200 characters, and long runs get places to break."""
    report, path = make_report(tmp_path, 2)
    url = "https://long.example/" + "a" * 8_000
    run = "x" * 5_000
    with Store(path) as store:
        claim = store.claims(report.article.id)[0]
        store.update_claim(claim.id, note=f"See {run} here.", evidence=[(url, "")])
        report = build_report(store, report.article.id)
    data = render_reports([report], "pdf")
    reader = PdfReader(io.BytesIO(data))
    annotations = [a.get_object() for page in reader.pages for a in page.get("/Annots", [])]
    long_links = [a for a in annotations if str(a["/A"]["/URI"]).startswith(url[:40])]
    assert 1 <= len(long_links) <= 10  # a few lines of the cut text (8,000 shown: ~100)
    text = "".join(pdf_pages(data)).replace("\u200b", "")
    assert text.count("x") >= len(run)  # all of it, over several pages
    assert url[:150] in "".join(text.split()) and url not in "".join(text.split())


def test_only_very_long_runs_get_places_to_break(qapp: QApplication) -> None:
    """A zero-width space comes out of a PDF as a tab: a link's text or CJK prose with
    one inside no longer matched when copied (review). Only runs of 1,000 characters
    or more without a space, and not CJK text (which breaks anywhere), get them."""
    url = "https://news.example/2024/11/a-long-slug-" + "x" * 300
    chinese = "北京" * 1_000
    emoji = "😀" + "y" * 2_999
    document = QTextDocument()
    document.setPlainText(f"{url} {chinese} {emoji}")
    _open_long_runs(document)
    words = document.toPlainText().split(" ")
    assert words[:2] == [url, chinese]
    assert words[2].replace("\u200b", "") == emoji
    # A line may break after the emoji: the 2,999 "y" after it are the unbroken stretch.
    assert [i for i, c in enumerate(words[2]) if c == "\u200b"] == [501, 1002, 1503, 2004, 2505]


def test_a_long_run_with_cjk_in_it_still_gets_places_to_break(qapp: QApplication) -> None:
    """A run was left whole when it held one CJK character anywhere: "中" before 150,000
    letters took 58 s to lay out in a report (audit). So was a run of CJK characters no
    line breaks inside ("。", "ー"). Only the stretches where Qt finds no place to break
    get places to break; CJK prose, which breaks anywhere, still gets none."""
    runs = ["中" + "x" * 2_999, "。" * 3_000, "ー" * 3_000, "北京" * 1_500]
    runs.append("x" * 999 + "中" * 2_000)
    document = QTextDocument()
    document.setPlainText(" ".join(runs))
    _open_long_runs(document)
    words = document.toPlainText().split(" ")
    assert [w.replace("\u200b", "") for w in words] == runs
    places = [[i for i, c in enumerate(w) if c == "\u200b"] for w in words]
    assert places[0] == [501, 1002, 1503, 2004, 2505]  # after the "中", as for any run
    assert places[1] == places[2] == [500, 1001, 1502, 2003, 2504]
    assert places[3] == places[4] == []
