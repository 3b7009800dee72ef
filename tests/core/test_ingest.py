"""Reading articles as a user hands them over: files, pasted text, standard input.

Every fixture is generated here (PDFs written by hand, .docx files with python-docx), so
the tests need neither the network nor data files; the shared sample article and the
Wikinews set are used when the checkout has them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter

from workbench.errors import IngestError
from workbench.ingest import (
    MAX_FILE_BYTES,
    dispatch,
    read_bytes,
    read_path,
    read_text,
    strip_page_chrome,
)
from workbench.ingest import docx as docx_reader
from workbench.ingest import pdf as pdf_reader
from workbench.models import ArticleDraft

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SAMPLE = SHARED / "samples" / "korea-herald-ukraine-delegation.txt"
WIKINEWS = SHARED / "data" / "articles" / "wikinews_gum.jsonl"

PARAGRAPHS = [
    "North Korea sent some 12,000 troops to Russia, the Ukrainian defense minister said.",
    "“I’m not supposed to give more details,” he added.",
    "Seventy lawmakers introduced a resolution urging the government to end its involvement.",
]
ARTICLE = "Troops from the North\n\n" + "\n\n".join(PARAGRAPHS) + "\n"


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def paragraphs(draft: ArticleDraft) -> list[str]:
    return draft.text.split("\n\n")


def error_for(path: Path | str) -> str:
    with pytest.raises(IngestError) as caught:
        read_path(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- hand-made PDFs ---------------------------------------------------------------------


def pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_page(lines: list[tuple[float, str]], *, size: int = 11) -> str:
    """A content stream drawing each (baseline height, text) in Helvetica."""
    ops = ["BT", f"/F1 {size} Tf"]
    ops += [f"1 0 0 1 72 {y} Tm ({pdf_escape(text)}) Tj" for y, text in lines]
    return "\n".join([*ops, "ET"])


def make_pdf(
    pages: list[str], *, info: dict[str, str] | None = None, count: str | None = None
) -> bytes:
    """A minimal valid PDF: one Helvetica font, one content stream per page, a true xref.

    ``count`` replaces the page tree's ``/Count`` value ("" leaves the entry out).
    """
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    count = str(len(pages)) if count is None else count
    count_entry = f" /Count {count}" if count else ""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}]{count_entry} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, content in enumerate(pages):
        stream = content.encode("cp1252")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    if info:
        entries = " ".join(f"/{key} ({pdf_escape(value)})" for key, value in info.items())
        objects.append(f"<< {entries} >>".encode())
    return pdf_file(objects, info=len(objects) if info else None)


def pdf_file(objects: list[bytes], *, info: int | None = None) -> bytes:
    """A PDF of these objects (numbered from 1, the catalog first) with a true xref;
    ``info``: the number of the document information dictionary."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R"
    trailer += f" /Info {info} 0 R >>" if info is not None else " >>"
    out += b"trailer\n%s\nstartxref\n%d\n%%%%EOF\n" % (trailer.encode(), xref)
    return bytes(out)


PDF_LINES = [
    (720, "Officials confirmed on Tuesday that the new bridge will open to traffic in"),
    (706, "March, two years later than planned, after a lengthy review of its exam-"),
    (692, "ination reports by the regional transport authority."),
    (664, "The project cost 1.2 billion euros, according to the ministry, which said"),
    (650, "the overrun was caused by “unexpected ground conditions”."),
]


def article_pdf() -> bytes:
    second = text_page([(720, "Critics said the delay was avoidable."), (40, "2")])
    first = text_page([*PDF_LINES, (40, "1")])
    info = {"Title": "Bridge opening delayed", "Author": "Ana Ruiz", "CreationDate": "D:20240315"}
    return make_pdf([first, second], info=info)


# -- plain text and encodings -----------------------------------------------------------


def test_utf8_text_paragraphs_title_and_quotes(tmp_path: Path) -> None:
    draft = read_path(write(tmp_path, "troops.txt", ARTICLE))
    assert draft.title == "Troops from the North"
    assert paragraphs(draft) == PARAGRAPHS
    assert "“I’m not supposed" in draft.text
    assert draft.origin == str(tmp_path / "troops.txt")


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")],
)
def test_unicode_with_byte_order_mark(tmp_path: Path, encoding: str, bom: bytes) -> None:
    data = bom + ARTICLE.replace("\n", "\r\n").encode(encoding)
    draft = read_path(write(tmp_path, "troops.txt", data))
    assert draft.title == "Troops from the North"
    assert paragraphs(draft) == PARAGRAPHS


def test_utf16_without_bom_is_still_text(tmp_path: Path) -> None:
    draft = read_path(write(tmp_path, "troops.txt", ARTICLE.encode("utf-16-le")))
    assert paragraphs(draft) == PARAGRAPHS


def test_utf8_with_stray_cp1252_bytes(tmp_path: Path) -> None:
    data = "Le café de la gare a fermé, ".encode() + b"dit le \x93maire\x94."
    assert read_path(write(tmp_path, "mixed.txt", data)).text == (
        "Le café de la gare a fermé, dit le “maire”."
    )


def test_cp1252_curly_quotes_decode_to_typographic_quotes(tmp_path: Path) -> None:
    data = b"The minister said he \x93did not receive any proposals\x94 and didn\x92t know why."
    draft = read_path(write(tmp_path, "quotes.txt", data))
    assert draft.text == "The minister said he “did not receive any proposals” and didn’t know why."


def test_latin1_accents(tmp_path: Path) -> None:
    text = "Le café de la gare a fermé. Les élèves ont déjeuné à côté, dit le maire."
    draft = read_path(write(tmp_path, "gare.txt", text.encode("latin-1")))
    assert draft.text == text


def test_cyrillic_legacy_encoding_falls_back_to_detection(tmp_path: Path) -> None:
    text = "Министр обороны заявил, что делегация не просила о поставках оружия. " * 3
    draft = read_path(write(tmp_path, "ru.txt", text.encode("cp1251")))
    assert draft.text == text.strip()


def test_whitespace_is_normalised() -> None:
    raw = (
        "First\u00a0paragraph \t with   odd\u2009spaces and a zero\u200bwidth space.   \r\n"
        "\r\n\r\n\r\n"
        "Cafe\u0301 is spelt with a combining accent.\u00a0\r"
        "\r"
        "Third paragraph\ufeff here."
    )
    draft = read_text(raw)
    assert paragraphs(draft) == [
        "First paragraph with odd spaces and a zerowidth space.",
        "Café is spelt with a combining accent.",
        "Third paragraph here.",
    ]
    assert "\r" not in draft.text and "  " not in draft.text


def test_every_line_a_paragraph_like_pasted_web_text() -> None:
    lines = [p + " " + "More words follow in this long pasted paragraph." * 2 for p in PARAGRAPHS]
    draft = read_text("\n".join(lines))
    assert paragraphs(draft) == lines


def test_hard_wrapped_text_is_unwrapped() -> None:
    long_paragraphs = [(p + " ") * 3 for p in PARAGRAPHS]
    wrapped = "\n\n".join(textwrap.fill(p, 72) for p in long_paragraphs)
    assert max(len(line) for line in wrapped.splitlines()) <= 72
    draft = read_text(wrapped)
    assert paragraphs(draft) == [p.strip() for p in long_paragraphs]


def test_caption_first_is_kept_and_title_falls_back_to_file_name(tmp_path: Path) -> None:
    caption = "The minister speaks at the committee on Thursday. (Yonhap)"
    path = write(tmp_path, "ukraine-delegation.txt", caption + "\n" + "\n".join(PARAGRAPHS))
    draft = read_path(path)
    assert draft.title == "ukraine delegation"
    assert paragraphs(draft) == [caption, *PARAGRAPHS]


def test_pasted_text_without_headline_gets_first_sentence_as_title() -> None:
    draft = read_text("\n\n".join(PARAGRAPHS))
    assert draft.title == PARAGRAPHS[0][:77] + "…"  # cut at a word, within 80 characters
    assert draft.origin == "<clipboard>"
    assert paragraphs(draft) == PARAGRAPHS


def test_dateline_becomes_published_date() -> None:
    draft = read_text("Tuesday, September 1, 2015\n\n" + "\n\n".join(PARAGRAPHS))
    assert draft.published == "2015-09-01"
    assert paragraphs(draft) == PARAGRAPHS


# -- page chrome ------------------------------------------------------------------------


def test_sample_article_loses_only_the_page_chrome() -> None:
    if not SAMPLE.exists():
        pytest.skip("shared sample articles are not in this checkout")
    draft = read_path(SAMPLE)
    assert "MOST POPULAR" not in draft.text
    assert draft.text.endswith("returning with “something substantial.”")
    body = paragraphs(draft)
    assert body[0].endswith("Thursday. (Yonhap)")  # the photo caption stays in the text
    source_lines = [line for line in SAMPLE.read_text("utf-8").splitlines() if line.strip()]
    assert body == source_lines[:-1]
    assert draft.title == "korea herald ukraine delegation"


def test_trailing_chrome_and_standalone_ads_are_removed() -> None:
    page = [
        PARAGRAPHS[0],
        "Advertisement",
        PARAGRAPHS[1],
        "Share",
        PARAGRAPHS[2],
        "Share this article",
        "Tweet",
        "Related: Seoul weighs arms exports",
        "MOST POPULAR",
        "Celebrity chef opens restaurant on the moon",
        "Ten tips for a better night's sleep",
        "Sign up for our daily newsletter",
        "Follow us on Twitter",
        "© 2024 The Daily Example. All rights reserved.",
    ]
    assert strip_page_chrome(page) == PARAGRAPHS


def test_sentences_that_mention_chrome_words_are_kept() -> None:
    body = [
        "Readers who sign up for the newsletter were told about it on Monday.",
        "Comments made by the minister were criticised by the opposition.",
        "Read more about the decision in the report, the minister said.",
        "Trending topics on social media included the vote.",
        "Click here, he said, was all the message contained.",
    ]
    assert strip_page_chrome(body) == body
    assert strip_page_chrome([*body, "Comments", "12 comments"]) == body


def test_chrome_never_removes_the_whole_text() -> None:
    assert strip_page_chrome(["Most popular", "Headline one"]) == ["Most popular", "Headline one"]
    assert strip_page_chrome(["Advertisement"]) == []


# -- Markdown ---------------------------------------------------------------------------


MARKDOWN = """\
---
title: "Bridge opening delayed"
author: Ana Ruiz
date: 2024-03-15
---

# Bridge opening delayed

The **new bridge** will open in *March*, two years late, [officials said](https://x.example/a).
![a photo of the bridge](bridge.jpg)

> “Unexpected ground conditions” were to blame,
> the ministry said.

- The cost rose to 1.2 billion euros.
- Work stopped twice.

## Background

```
cost = 1.2e9
```

Snake_case_words and 2 * 3 * 4 stay as they are.
"""


def test_markdown_markup_is_stripped_and_front_matter_used(tmp_path: Path) -> None:
    draft = read_path(write(tmp_path, "bridge.md", MARKDOWN))
    assert draft.title == "Bridge opening delayed"
    assert draft.author == "Ana Ruiz"
    assert draft.published == "2024-03-15"
    assert paragraphs(draft) == [
        "The new bridge will open in March, two years late, officials said.",
        "“Unexpected ground conditions” were to blame, the ministry said.",
        "The cost rose to 1.2 billion euros.",
        "Work stopped twice.",
        "Background",
        "cost = 1.2e9",
        "Snake_case_words and 2 * 3 * 4 stay as they are.",
    ]


def test_markdown_heading_is_the_title_without_front_matter(tmp_path: Path) -> None:
    text = "# Troops from the North\n\nSome *very* important text\nwrapped on two lines.\n"
    draft = read_path(write(tmp_path, "notes.markdown", text))
    assert draft.title == "Troops from the North"
    assert draft.text == "Some very important text wrapped on two lines."


# -- HTML -------------------------------------------------------------------------------


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Ukraine delegation did not ask for air defence, minister says | The Daily Example</title>
<link rel="canonical" href="https://news.example.com/world/ukraine-delegation">
<meta property="og:site_name" content="The Daily Example">
<meta name="author" content="Kim So-yeon">
<script>window.dataLayer = [{"page": "article"}]; function track() { return 1; }</script>
<style>body { font-family: serif; }</style>
</head>
<body>
<header class="site-header"><nav><ul>
  <li><a href="/">Home</a></li><li><a href="/world">World</a></li>
  <li><a href="/sport">Sport</a></li>
</ul></nav></header>
<div id="cookie-banner" class="cookie-consent">We use cookies to improve your experience.
  <button>Accept all cookies</button></div>
<main>
<article>
  <h1>Ukraine delegation did not ask for air defence, minister says</h1>
  <p class="byline">By <span class="author">Kim So-yeon</span></p>
  <time datetime="2024-11-28T10:15:00+09:00">Nov. 28, 2024</time>
  <p>The delegation from Ukraine did not request that South Korea provide defensive weapons
  during a series of high-level meetings held Wednesday in Seoul, the defence minister said.</p>
  <p>Minister Kim Yong-hyun said he “did not receive any proposals” from the delegation
  about buying the Cheongung air defence system, as some reports had speculated.</p>
  <p>According to the minister, the delegation reported that Russia has deployed North Korean
  weapons such as short-range ballistic missiles and 240 mm multiple rocket launchers.</p>
  <p>“The war Russia is waging right now is an illegal invasion,” Kim told lawmakers.</p>
  <div class="share-buttons"><a href="#">Share on Facebook</a> <a href="#">Tweet</a></div>
</article>
<aside class="most-popular"><h2>Most popular</h2><ol>
  <li><a href="/a">Celebrity chef opens restaurant on the moon</a></li>
  <li><a href="/b">Ten tips for a better night's sleep</a></li>
</ol></aside>
</main>
<footer><p>© 2024 The Daily Example. All rights reserved.</p><a href="/privacy">Privacy</a></footer>
<script>track();</script>
</body>
</html>
"""


def test_html_page_keeps_only_the_article_and_its_metadata(tmp_path: Path) -> None:
    draft = read_path(write(tmp_path, "page.html", PAGE))
    assert draft.title == "Ukraine delegation did not ask for air defence, minister says"
    assert draft.author == "Kim So-yeon"
    assert draft.source == "The Daily Example"
    assert draft.url == "https://news.example.com/world/ukraine-delegation"
    assert draft.published == "2024-11-28"
    body = paragraphs(draft)
    assert len(body) == 4
    assert body[0].startswith("The delegation from Ukraine did not request")
    assert body[-1].startswith("“The war Russia is waging")
    assert body[-1].endswith("an illegal invasion,” Kim told lawmakers.")
    for chrome in ("cookies", "Most popular", "Celebrity chef", "Home", "Tweet", "track", "©"):
        assert chrome not in draft.text


def test_html_declared_legacy_charset(tmp_path: Path) -> None:
    page = '<html><head><meta charset="windows-1252"></head><p>Caf\xe9 \x93quoted\x94 text.</p>'
    draft = read_path(write(tmp_path, "legacy.htm", page.encode("latin-1")))
    assert draft.text == "Café “quoted” text."


@pytest.mark.parametrize(
    "charset", ["rot13", "base64", "zlib", "hex", "bz2", "undefined", "punycode", "unicode_escape"]
)
def test_html_charset_naming_no_web_encoding_is_ignored(tmp_path: Path, charset: str) -> None:
    """Python codecs that are no text encodings crashed the reader (LookupError,
    UnicodeError), and unicode_escape cut a paragraph short at a backslash."""
    page = (
        f'<html><head><meta charset="{charset}"></head><p>Prices rose 5% in 2023, according'
        " to official figures \\ud800 released on Tuesday.</p>"
    )
    draft = read_path(write(tmp_path, "page.html", page.encode()))
    assert draft.text.endswith("released on Tuesday.")


def test_tiny_html_falls_back_to_plain_paragraphs(tmp_path: Path) -> None:
    draft = read_path(write(tmp_path, "tiny.html", "<p>Hello world.</p><script>x()</script>"))
    assert draft.text == "Hello world."


def test_short_page_keeps_tables_and_lists_as_paragraphs() -> None:
    page = (
        "<html><body><article><h1>Budget</h1>"
        "<p>The defence budget rose again this year, the ministry said on Monday.</p>"
        "<table><tr><th>Year</th><th>Troops</th></tr><tr><td>2023</td><td>12,000</td></tr>"
        "</table><ul><li>First point</li><li>Second point</li></ul>"
        "<p>More text.<br>After a break.</p></article></body></html>"
    )
    draft = read_text(page)
    assert draft.title == "Budget"
    assert paragraphs(draft) == [
        "The defence budget rose again this year, the ministry said on Monday.",
        "Year | Troops",
        "2023 | 12,000",
        "First point",
        "Second point",
        "More text.",
        "After a break.",
    ]


def test_xhtml_with_xml_declaration() -> None:
    page = '<?xml version="1.0" encoding="utf-8"?>\n<html><head><title>T</title></head>'
    draft = read_bytes((page + "<body><p>Hello world.</p></body></html>").encode(), name="a.xhtml")
    assert (draft.title, draft.text) == ("T", "Hello world.")


def test_truncated_html_still_gives_its_text(tmp_path: Path) -> None:
    cut = PAGE[: PAGE.index("According to") + 40]
    draft = read_path(write(tmp_path, "cut.html", cut))
    assert draft.text.startswith("The delegation from Ukraine")
    assert "According to the minister" in draft.text


def test_html_without_text_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "blank.html", "<html><body><script>var a = 1;</script></body></html>")
    assert error_for(path) == "blank.html has no article text"


def test_pasted_html_is_reduced_like_a_page() -> None:
    draft = read_text(PAGE)
    assert draft.title.startswith("Ukraine delegation")
    assert "cookies" not in draft.text
    assert draft.origin == "<clipboard>"


def test_large_page_is_read_whole() -> None:
    """Its reading speed: benchmarks/reader_speed.py, never asserted here."""
    filler = "".join(
        f"<p>Paragraph {i} on matters of state and defence policy in the region, at length.</p>"
        for i in range(2500)
    )
    page = PAGE.replace("<p>The delegation", filler + "<p>The delegation")
    assert len(page) > 200_000
    draft = read_bytes(page.encode(), name="big.html")
    assert "Paragraph 2499" in draft.text


# -- Word -------------------------------------------------------------------------------


def test_docx_paragraphs_tables_and_properties(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Bridge opening delayed"
    document.core_properties.author = "Ana Ruiz"
    document.core_properties.created = dt.datetime(2024, 3, 15, 9, 30)
    document.add_heading("Bridge opening delayed", level=1)
    document.add_paragraph(PARAGRAPHS[0])
    document.add_paragraph("")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, (("Year", "Cost"), ("2024", "1.2 billion")), strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_paragraph(PARAGRAPHS[1])
    path = tmp_path / "bridge.docx"
    document.save(str(path))
    draft = read_path(path)
    assert draft.title == "Bridge opening delayed"
    assert draft.author == "Ana Ruiz"
    assert draft.published == "2024-03-15"
    assert paragraphs(draft) == [PARAGRAPHS[0], "Year | Cost", "2024 | 1.2 billion", PARAGRAPHS[1]]


def test_docx_title_from_title_style_when_properties_are_empty(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Troops from the North", level=0)
    document.add_paragraph(PARAGRAPHS[0])
    path = tmp_path / "troops.docx"
    document.save(str(path))
    draft = read_path(path)
    assert draft.title == "Troops from the North"
    assert draft.text == PARAGRAPHS[0]
    assert draft.author == ""  # python-docx's template author is not the article's
    assert draft.published is None  # nor is its template's creation date


def test_docx_that_is_not_a_docx(tmp_path: Path) -> None:
    assert error_for(write(tmp_path, "a.docx", b"PK\x03\x04 truncated zip")) == (
        "a.docx is not a valid .docx file"
    )
    assert error_for(write(tmp_path, "b.docx", ARTICLE)) == "b.docx is not a valid .docx file"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("content.xml", "<office/>")
    message = error_for(write(tmp_path, "c.docx", archive.getvalue()))
    assert message.startswith("c.docx is not a valid .docx file")


def test_docx_zip_bomb_is_refused_before_inflating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("[Content_Types].xml", "<Types/>")
        zipped.writestr("word/document.xml", b"\0" * 3_000_000)
    path = write(tmp_path, "bomb.docx", archive.getvalue())
    monkeypatch.setattr(docx_reader, "MAX_UNCOMPRESSED_BYTES", 2_000_000)
    assert "zip bomb" in error_for(path)
    monkeypatch.setattr(docx_reader, "MAX_UNCOMPRESSED_BYTES", 10_000_000)
    monkeypatch.setattr(docx_reader, "_RATIO_CHECK_FROM", 1_000_000)
    assert "compressed" in error_for(path)


# -- PDF --------------------------------------------------------------------------------


def test_pdf_lines_become_paragraphs_with_metadata(tmp_path: Path) -> None:
    draft = read_path(write(tmp_path, "bridge.pdf", article_pdf()))
    assert draft.title == "Bridge opening delayed"
    assert draft.author == "Ana Ruiz"
    assert draft.published == "2024-03-15"
    assert paragraphs(draft) == [
        "Officials confirmed on Tuesday that the new bridge will open to traffic in March, two "
        "years later than planned, after a lengthy review of its examination reports by the "
        "regional transport authority.",
        "The project cost 1.2 billion euros, according to the ministry, which said the overrun "
        "was caused by “unexpected ground conditions”.",
        "Critics said the delay was avoidable.",
    ]


def test_pdf_paragraph_running_across_pages_is_joined() -> None:
    first = text_page([(720, "The committee met on Thursday and heard that the"), (40, "Page 1")])
    second = text_page([(720, "budget had been cut by a third."), (40, "Page 2")])
    draft = read_bytes(make_pdf([first, second]), name="budget.pdf")
    assert draft.text == (
        "The committee met on Thursday and heard that the budget had been cut by a third."
    )


def test_pdf_running_headers_are_dropped() -> None:
    pages = [
        text_page([(760, "The Daily Example — Annual report"), (720, text), (40, f"- {n} -")])
        for n, text in enumerate(PARAGRAPHS * 2, 1)
    ]
    draft = read_bytes(make_pdf(pages), name="report.pdf")
    assert "Annual report" not in draft.text
    assert paragraphs(draft) == PARAGRAPHS * 2


def encrypted_pdf(*, user_password: str, algorithm: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(article_pdf()))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


ENCRYPTIONS = ["AES-256", "AES-256-R5", "AES-128", "RC4-128", "RC4-40"]


@pytest.mark.parametrize("algorithm", ENCRYPTIONS)
def test_pdf_encrypted_with_empty_password_is_read(algorithm: str) -> None:
    """An owner password only restricts printing or copying; the text opens as usual."""
    draft = read_bytes(encrypted_pdf(user_password="", algorithm=algorithm), name="open.pdf")
    assert draft.title == "Bridge opening delayed"
    assert draft.text.endswith("Critics said the delay was avoidable.")


@pytest.mark.parametrize("algorithm", ENCRYPTIONS)
def test_pdf_with_password_is_refused(algorithm: str) -> None:
    data = encrypted_pdf(user_password="secret", algorithm=algorithm)
    with pytest.raises(IngestError, match=r"^locked\.pdf is password-protected$"):
        read_bytes(data, name="locked.pdf")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter of this venv, from the repository."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def test_pdf_encrypted_with_aes_without_cryptography_is_not_called_damaged(
    tmp_path: Path,
) -> None:
    """The package is a dependency; should it be missing, the message says what is wrong."""
    for name, password in (("open.pdf", ""), ("locked.pdf", "secret")):
        data = encrypted_pdf(user_password=password, algorithm="AES-256")
        write(tmp_path, name, data)
    write(tmp_path, "aes128.pdf", encrypted_pdf(user_password="", algorithm="AES-128"))
    done = run_python(
        textwrap.dedent(f"""
            import sys
            sys.modules["cryptography"] = sys.modules["Crypto"] = None  # not installed
            from workbench.errors import IngestError
            from workbench.ingest import read_path
            for name in ("open.pdf", "locked.pdf", "aes128.pdf"):
                try:
                    read_path({str(tmp_path)!r} + "/" + name)
                except IngestError as exc:
                    print(exc)
        """)
    )
    assert done.returncode == 0, done.stderr
    needs = "is encrypted with AES, which needs the cryptography package (reinstall the workbench)"
    assert done.stdout.splitlines() == [
        f"open.pdf {needs}",
        f"locked.pdf {needs}",
        f"aes128.pdf {needs}",
    ]


def test_pdf_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert error_for(write(tmp_path, "fake.pdf", "not a pdf at all")) == (
        "fake.pdf is not a valid PDF file"
    )
    scanned = make_pdf(["0 0 m 200 200 l S"])
    assert error_for(write(tmp_path, "scan.pdf", scanned)) == (
        "scan.pdf has no text layer (scanned PDF?)"
    )
    cut = article_pdf()[:300]
    assert error_for(write(tmp_path, "cut.pdf", cut)).startswith("cut.pdf ")
    monkeypatch.setattr(pdf_reader, "MAX_PAGES", 1)
    assert error_for(write(tmp_path, "long.pdf", article_pdf())) == (
        "long.pdf has 2 pages; at most 1 can be read"
    )


# -- bad input and format sniffing ------------------------------------------------------


def test_bad_files_give_one_line_messages_naming_the_file(tmp_path: Path) -> None:
    assert error_for(tmp_path / "missing.txt") == "missing.txt does not exist"
    assert error_for(tmp_path) == f"{tmp_path.name} is a directory, not a file"
    assert error_for(write(tmp_path, "empty.txt", b"")) == "empty.txt is empty"
    assert error_for(write(tmp_path, "blank.txt", "  \n\t\n")) == "blank.txt is empty"
    binary = "noise.txt looks like a binary file, not text"
    assert error_for(write(tmp_path, "noise.txt", bytes(range(256)) * 40)) == binary
    controls = write(tmp_path, "ctl.txt", b"text\x01\x02\x03\x04\x05\x06 more\x07\x08" * 20)
    assert error_for(controls) == "ctl.txt looks like a binary file, not text"


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk space
    assert error_for(path) == "huge.txt is too large (50.0 MB; the limit is 50 MB)"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "secret.txt", ARTICLE)

    def refuse(*_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(dispatch, "open_regular_file", refuse)
    assert error_for(path) == "secret.txt cannot be read (permission denied)"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_file_without_read_permission(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.txt", ARTICLE)
    path.chmod(0)
    try:
        assert error_for(path) == "secret.txt cannot be read (permission denied)"
    finally:
        path.chmod(0o600)


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    assert read_path(write(tmp_path, "a.dat", article_pdf())).title == "Bridge opening delayed"
    assert read_path(write(tmp_path, "page", PAGE)).source == "The Daily Example"
    assert paragraphs(read_path(write(tmp_path, "notes.log", ARTICLE))) == PARAGRAPHS
    assert read_path(write(tmp_path, "scan.txt", article_pdf())).author == "Ana Ruiz"
    old_word = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    assert "old Word (.doc)" in error_for(write(tmp_path, "report.doc", old_word))


def test_saved_page_with_txt_extension_is_read_as_html(tmp_path: Path) -> None:
    draft = read_path(write(tmp_path, "page.txt", PAGE))
    assert "cookies" not in draft.text and draft.author == "Kim So-yeon"


def test_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeStdin:
        buffer = io.BytesIO(ARTICLE.encode("utf-16"))

    monkeypatch.setattr(sys, "stdin", FakeStdin())
    draft = read_path("-")
    assert draft.origin == "<stdin>"
    assert paragraphs(draft) == PARAGRAPHS
    monkeypatch.setattr(sys, "stdin", type("Empty", (), {"buffer": io.BytesIO(b"")})())
    with pytest.raises(IngestError, match=r"^standard input is empty$"):
        read_path("-")


def test_read_bytes_and_read_text_errors() -> None:
    with pytest.raises(IngestError, match=r"^notes\.txt is empty$"):
        read_bytes(b"", name="notes.txt")
    with pytest.raises(IngestError, match=r"^the pasted text is empty$"):
        read_text(" \n ")
    assert read_bytes(ARTICLE.encode()).title == "Troops from the North"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(lambda t: t.encode("utf-8")),
        st.sampled_from([b"%PDF-1.4\n", b"PK\x03\x04", b"<html><p>", b"\xff\xfe"]).flatmap(
            lambda head: st.binary(max_size=500).map(lambda tail: head + tail)
        ),
    ),
    name=st.sampled_from(["a.txt", "a.html", "a.md", "a.pdf", "a.docx", "a.bin", ""]),
)
def test_any_bytes_give_an_article_or_an_ingest_error(data: bytes, name: str) -> None:
    try:
        draft = read_bytes(data, name=name)
    except IngestError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert draft.text.strip()
        assert "\n\n\n" not in draft.text


# -- real articles ----------------------------------------------------------------------


def test_wikinews_articles_read_as_a_user_would(tmp_path: Path) -> None:
    if not WIKINEWS.exists():
        pytest.skip("the shared Wikinews articles are not in this checkout")
    records = [json.loads(line) for line in WIKINEWS.read_text("utf-8").splitlines()[:5]]
    for record in records:
        source = [p.strip() for p in record["text"].split("\n\n") if p.strip()]
        draft = read_path(write(tmp_path, f"{record['id']}.txt", record["text"]))
        body = paragraphs(draft)
        assert body == source[len(source) - len(body) :], record["id"]
        assert len(source) - len(body) <= 2  # at most a dateline and a headline
        wrapped = "\n\n".join(textwrap.fill(p, 72) for p in source)
        assert paragraphs(read_text(wrapped))[-len(body) :] == body


# -- installation and a quiet success ---------------------------------------------------

EXTRACTION_LIBRARIES = ("trafilatura", "justext", "htmldate", "courlan", "lxml_html_clean")


def test_dependencies_that_old_pip_leaves_out_are_declared() -> None:
    """pip 23.2 (Python 3.11's own) skips justext's "lxml[html_clean]"; pypdf's AES needs
    cryptography, which pypdf does not require."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    names = {
        re.split(r"[^A-Za-z0-9._-]", dependency, maxsplit=1)[0].lower().replace("_", "-")
        for dependency in project["dependencies"]
    }
    assert {"lxml", "lxml-html-clean", "cryptography"} <= names


def test_only_a_web_page_imports_the_extraction_libraries(tmp_path: Path) -> None:
    """A broken trafilatura install (or its half second of imports) never touches a .txt."""
    write(tmp_path, "a.txt", ARTICLE)
    write(tmp_path, "a.md", "# Troops\n\nSome text.\n")
    write(tmp_path, "a.pdf", article_pdf())
    write(tmp_path, "page.html", PAGE)
    done = run_python(
        textwrap.dedent(f"""
            import sys
            import workbench.ingest
            from workbench.ingest import read_path, read_text

            def loaded():
                return sorted(m for m in sys.modules if m.split(".")[0] in {EXTRACTION_LIBRARIES!r})

            for name in ("a.txt", "a.md", "a.pdf"):
                read_path({str(tmp_path)!r} + "/" + name)
            read_text("Some pasted text.")
            print(loaded())
            read_path({str(tmp_path)!r} + "/page.html")
            print("trafilatura" in loaded())
        """)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "True"]


QUIET_PAGES = {
    # trafilatura logs "parsed tree length: 0, wrong data type or not valid HTML" and
    # "empty HTML tree" at ERROR for a fragment, then the plain walk reads it.
    "fragment.html": "<div>North Korea sent some 12,000 troops to Russia, the minister said.</div>",
    "tiny.html": "<p>Hello world.</p><script>x()</script>",
    "malformed.html": "<html><body><div><p>Troops were sent<p>to Russia</div></span></b>he said.",
    "page.html": PAGE,
}


def test_successful_page_read_prints_nothing_on_stderr(tmp_path: Path) -> None:
    """``workbench analyze page.html`` as a user runs it: the article, and no log lines."""
    for name, page in QUIET_PAGES.items():
        write(tmp_path, name, page)
    db = tmp_path / "quiet.db"
    pages = [str(tmp_path / name) for name in QUIET_PAGES]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from workbench.cli import main\n"
            f"sys.exit(max(main(['analyze', page, '--db', {str(db)!r}]) for page in {pages!r}))",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "WORKBENCH_MODEL": "0"},  # the rules alone load faster
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "North Korea sent some 12,000 troops" in done.stdout
