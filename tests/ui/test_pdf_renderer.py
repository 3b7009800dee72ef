"""The PDF report through the Qt renderer: searchable text, page numbers, any thread."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QApplication

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
    assert PdfReader(io.BytesIO(data)).metadata.title == (
        "Verification report: Port traffic, fiscal year"
    )


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
