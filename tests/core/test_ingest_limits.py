"""Inputs too big to be an article are refused in one line, before the expensive work.

Each limit is tested with a small input and the limit lowered, plus once at its real
value where that is cheap, so the suite stays fast. Nothing here measures time: a limit
that holds is shown by what never runs (spies on the expensive step) or by the message.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
import spacy
from docx.text.paragraph import Paragraph
from pypdf import PdfReader

import workbench.nlp as nlp_module
from tests.core.test_ingest import PARAGRAPHS, PDF_LINES, make_pdf, pdf_file, text_page
from workbench.analysis import analyze_article
from workbench.errors import IngestError
from workbench.ingest import MAX_ARTICLE_CHARS, MAX_FILE_BYTES, read_bytes, read_text
from workbench.ingest import assemble as assemble_module
from workbench.ingest import docx as docx_reader
from workbench.ingest import pdf as pdf_reader
from workbench.models import ArticleDraft
from workbench.nlp import build_pipeline
from workbench.store import Store


def refusal(data: bytes, name: str) -> str:
    with pytest.raises(IngestError) as caught:
        read_bytes(data, name=name)
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- characters -------------------------------------------------------------------------


@pytest.fixture
def limit_100(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(assemble_module, "MAX_ARTICLE_CHARS", 100)
    return 100


def test_the_limit_is_well_under_what_the_files_let_in() -> None:
    """A file under the byte limit can hold 50 times the characters an article may have."""
    assert MAX_ARTICLE_CHARS * 10 < MAX_FILE_BYTES
    assert MAX_ARTICLE_CHARS >= 100_000  # the longest news features are some 50,000


def test_one_line_text_over_the_limit_is_refused(limit_100: int) -> None:
    text = "x" * 150
    message = "long.txt is too long (150 characters; the limit is 100)"
    assert refusal(text.encode(), "long.txt") == message
    assert refusal(text.encode(), "long.md") == message.replace(".txt", ".md")
    with pytest.raises(IngestError, match=r"^the pasted text is too long \(150 characters; "):
        read_text(text)
    assert read_text("x" * 100).text == "x" * 100


def test_every_format_measures_the_article_it_read(limit_100: int) -> None:
    """Markup is not counted: a page of 2,000 characters with a short article is read."""
    article = " ".join(PARAGRAPHS)
    page = f"<html><head><title>T</title><script>{'x' * 2000}</script></head><body><p>Hi.</p>"
    assert read_text(page).text == "Hi."
    html = f"<html><body><p>{article}</p></body></html>"
    expected = f"is too long ({len(article):,} characters; the limit is 100)"
    assert refusal(html.encode(), "a.html") == f"a.html {expected}"
    with pytest.raises(IngestError, match=r"^the pasted text is too long \("):
        read_text(html)
    document = docx.Document()
    document.add_paragraph(article)
    buffer = io.BytesIO()
    document.save(buffer)
    assert refusal(buffer.getvalue(), "a.docx") == f"a.docx {expected}"
    pdf = make_pdf([text_page([*PDF_LINES])])
    assert refusal(pdf, "a.pdf").startswith("a.pdf is too long (")


def test_text_over_the_real_limit_is_refused_before_it_is_split(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's 49 MB one-line file, scaled down: refused without being worked on."""

    def not_split(*_: object, **__: object) -> list[str]:
        raise AssertionError("the text was split into paragraphs")

    monkeypatch.setattr("workbench.ingest.text.split_paragraphs", not_split)
    data = b"a" * (MAX_ARTICLE_CHARS + 1)
    assert refusal(data, "big.txt") == (
        f"big.txt is too long ({MAX_ARTICLE_CHARS + 1:,} characters; "
        f"the limit is {MAX_ARTICLE_CHARS:,})"
    )


def test_text_at_the_real_limit_is_read() -> None:
    assert len(read_bytes(b"a" * MAX_ARTICLE_CHARS, name="big.txt").text) == MAX_ARTICLE_CHARS


def test_every_pipeline_takes_the_longest_article(monkeypatch: pytest.MonkeyPatch) -> None:
    """spaCy refuses longer texts (nlp.max_length); a trained pipeline keeps its 1M default."""
    assert build_pipeline(use_model=False).max_length >= MAX_ARTICLE_CHARS
    monkeypatch.setattr(nlp_module, "MAX_ARTICLE_CHARS", 30_000_000)
    assert build_pipeline(use_model=False).max_length >= 30_000_000
    monkeypatch.setattr(spacy, "load", lambda name, **_: spacy.blank("en"))
    assert spacy.blank("en").max_length < 30_000_000  # what a trained pipeline has
    assert build_pipeline("en_core_web_sm", use_model=False).max_length >= 30_000_000


def test_analysis_refuses_a_draft_over_the_limit(tmp_path: Path) -> None:
    """A draft built by hand gets the readers' message, not spaCy's ValueError."""
    draft = ArticleDraft(text="a" * (MAX_ARTICLE_CHARS + 1), title="Built by hand")
    with Store(tmp_path / "a.db", user="tester") as store:
        before = store.db.conn.total_changes
        with pytest.raises(IngestError, match=r"^the article is too long \("):
            analyze_article(store, draft)
        assert store.db.conn.total_changes == before


# -- Word: expanded XML and paragraphs --------------------------------------------------


def blank_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph(PARAGRAPHS[0])
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rebuilt_docx(
    *,
    body: bytes = b"",
    extra: dict[str, bytes] | None = None,
    content_types: bytes = b"",
    method: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """python-docx's document with ``body`` added to document.xml and ``extra`` members."""
    source = zipfile.ZipFile(io.BytesIO(blank_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "word/document.xml":
                head, tag, tail = data.partition(b"<w:body>")
                data = head + tag + body + tail
            elif member.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", content_types + b"</Types>")
            archive.writestr(member.filename, data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def varied_paragraphs(size: int) -> bytes:
    """At least ``size`` bytes of body that compresses like text, not like a zip bomb."""
    paragraphs = (
        f"<w:p><w:r><w:t>Paragraph {i}: {i * 7919 % 104729} troops, {i * 31} km.</w:t></w:r></w:p>"
        for i in range(size // 60 + 1)
    )
    return "".join(paragraphs).encode()


@pytest.fixture
def never_parsed(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records any opening of the package's XML, which must not happen on refused files."""
    calls: list[object] = []

    def spy(*args: object, **_: object) -> None:
        calls.append(args)
        raise AssertionError("the .docx package was opened")

    monkeypatch.setattr(docx_reader, "_Package", spy)
    return calls


def test_docx_with_too_much_xml_is_refused_before_parsing(
    monkeypatch: pytest.MonkeyPatch, never_parsed: list[object]
) -> None:
    # python-docx's template alone holds 0.8 MB of XML (its styles).
    monkeypatch.setattr(docx_reader, "MAX_XML_BYTES", 2 * 2**20)
    data = rebuilt_docx(body=varied_paragraphs(2 * 2**20))
    assert len(data) * docx_reader.MAX_COMPRESSION_RATIO > 4 * 2**20  # not a ratio refusal
    message = refusal(data, "bloated.docx")
    assert re.fullmatch(r"bloated\.docx holds \d\.\d MB of XML; at most 2 MB can be read", message)
    assert never_parsed == []


def test_docx_at_the_real_xml_limit_is_refused_whatever_its_ratio(
    never_parsed: list[object],
) -> None:
    """The issue's 192 MB body passed the ratio check; stored uncompressed, ratio 1:1."""
    body = b"<w:p/>" * (docx_reader.MAX_XML_BYTES // 6 + 1)
    data = rebuilt_docx(body=body, method=zipfile.ZIP_STORED)
    assert docx_reader.MAX_XML_BYTES < docx_reader.MAX_UNCOMPRESSED_BYTES
    limit = docx_reader.MAX_XML_BYTES // 2**20
    assert refusal(data, "stored.docx").endswith(f"MB of XML; at most {limit} MB can be read")
    assert never_parsed == []


def test_docx_xml_is_known_by_content_type_not_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large picture is no XML; XML stored under a picture's name or no known type is."""
    monkeypatch.setattr(docx_reader, "MAX_XML_BYTES", 2 * 2**20)
    blob = varied_paragraphs(2 * 2**20)
    png = b'<Default Extension="png" ContentType="image/png"/>'
    picture = rebuilt_docx(extra={"word/media/image1.png": blob}, content_types=png)
    assert read_bytes(picture, name="photo.docx").text == PARAGRAPHS[0]
    override = (
        b'<Override PartName="/word/media/image1.png" ContentType="application/'
        b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    )
    disguised = rebuilt_docx(extra={"word/media/image1.png": blob}, content_types=png + override)
    assert "MB of XML" in refusal(disguised, "disguised.docx")
    untyped = rebuilt_docx(extra={"word/part.unknown": blob})
    assert "MB of XML" in refusal(untyped, "untyped.docx")


def test_docx_with_too_many_paragraphs_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docx_reader, "MAX_PARAGRAPHS", 50)
    document = docx.Document()
    for _ in range(50):
        document.add_paragraph("")
    table = document.add_table(rows=1, cols=2)  # a cell holds a paragraph too
    table.rows[0].cells[0].text = "troops"
    buffer = io.BytesIO()
    document.save(buffer)
    assert refusal(buffer.getvalue(), "empty.docx") == (
        "empty.docx has 52 paragraphs; at most 50 can be read"
    )


def test_docx_looks_up_one_style_however_long_the_body(monkeypatch: pytest.MonkeyPatch) -> None:
    """Looking up every paragraph's style took minutes on long bodies; only the first counts."""
    document = docx.Document()
    document.add_heading("Troops from the North", level=0)
    for index in range(200):
        document.add_paragraph(f"Paragraph {index} about the troops.")
    buffer = io.BytesIO()
    document.save(buffer)
    looked_up: list[Paragraph] = []
    style = vars(Paragraph)["style"]

    def counting(paragraph: Paragraph) -> object:
        looked_up.append(paragraph)
        return style.__get__(paragraph)

    monkeypatch.setattr(Paragraph, "style", property(counting))
    draft = read_bytes(buffer.getvalue(), name="long.docx")
    assert draft.title == "Troops from the North"
    assert len(looked_up) <= 2  # "style is not None", then its name


# -- PDF: pages -------------------------------------------------------------------------


@pytest.fixture
def flattened(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records each walk of a page tree (pypdf's ``_flatten``), letting it run."""
    calls: list[object] = []
    walk = PdfReader._flatten

    def spy(reader: PdfReader, *args: object, **kwargs: object) -> None:
        calls.append(reader)
        walk(reader, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PdfReader, "_flatten", spy)
    return calls


def two_pages(count: str | None = None) -> bytes:
    first = text_page([*PDF_LINES])
    second = text_page([(720, "Critics said the delay was avoidable.")])
    return make_pdf([first, second], count=count)


def test_pdf_claiming_many_pages_is_refused_without_walking_them(
    flattened: list[object],
) -> None:
    """A 100,000-page PDF took a minute to list before it was refused."""
    assert refusal(two_pages("100000"), "book.pdf") == (
        f"book.pdf has 100,000 pages; at most {pdf_reader.MAX_PAGES:,} can be read"
    )
    assert flattened == []


@pytest.mark.parametrize("count", ["", "/Many", "-3", "(12)", "2.5", "99 0 R"])
def test_pdf_without_a_usable_page_count_is_read(count: str, flattened: list[object]) -> None:
    draft = read_bytes(two_pages(count), name="odd.pdf")
    assert draft.text.endswith("Critics said the delay was avoidable.")
    assert flattened  # the page list counted them instead


def test_pdf_understating_its_pages_is_still_refused(
    monkeypatch: pytest.MonkeyPatch, flattened: list[object]
) -> None:
    monkeypatch.setattr(pdf_reader, "MAX_PAGES", 1)
    assert refusal(two_pages("1"), "short.pdf") == "short.pdf has 2 pages; at most 1 can be read"
    assert flattened


def test_a_pdf_stops_being_read_once_it_holds_more_text_than_an_article(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pypdf takes seconds per million characters: a small file can make many millions."""
    monkeypatch.setattr(pdf_reader, "MAX_ARTICLE_CHARS", 300)
    monkeypatch.setattr(pdf_reader, "FURNITURE_ALLOWANCE", 100)
    read: list[object] = []
    page_lines = pdf_reader._page_lines

    def counted(page: object, budget: pdf_reader._TextBudget) -> object:
        read.append(page)
        return page_lines(page, budget)

    monkeypatch.setattr(pdf_reader, "_page_lines", counted)
    pdf = make_pdf([text_page([*PDF_LINES]) for _ in range(20)])  # some 330 characters a page
    assert refusal(pdf, "many.pdf") == (
        "many.pdf is too long (over 400 characters of text; an article has at most 300)"
    )
    assert len(read) == 2  # not the other 18 pages


def form_calling_pdf(calls: int, form_operators: int) -> bytes:
    """One page of text that then calls a form (a drawing kept by name) ``calls`` times;
    the form shows ``form_operators`` empty strings. The page's own stream is short."""
    form = ("BT /F1 1 Tf " + "() Tj " * form_operators + "ET").encode()
    page = (text_page([*PDF_LINES]) + "\n" + "/X Do " * calls).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R"
        b" /Resources << /Font << /F1 3 0 R >> /XObject << /X 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(page), page),
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792]"
        b" /Resources << /Font << /F1 3 0 R >> >> /Length %d >>\nstream\n%s\nendstream"
        % (len(form), form),
    ]
    return pdf_file(objects)


def test_a_pdf_whose_page_calls_a_form_again_and_again_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tokens counted beforehand are the page's own: a 1.8 kB page calling a form of
    20,000 empty strings 100 times took 106 s, 5,000 times hours (audit). Reading counts
    the operators run, forms included, and stops when the budget is spent."""
    monkeypatch.setattr(pdf_reader, "MAX_DRAWING_OPERATIONS", 5_000)
    ran: list[int] = []
    before = pdf_reader._Budget.before

    def counted(budget: pdf_reader._Budget, operator: bytes, *args: object) -> None:
        ran.append(budget.forms)
        before(budget, operator, *args)

    monkeypatch.setattr(pdf_reader._Budget, "before", counted)
    assert read_bytes(form_calling_pdf(calls=10, form_operators=300), name="ok.pdf").text
    ran.clear()
    assert refusal(form_calling_pdf(calls=1_000, form_operators=300), "forms.pdf") == (
        "forms.pdf draws too much to be read as an article"
        " (over 5,000 drawing instructions by page 1)"
    )
    assert sum(1 for depth in ran if depth) <= 5_001  # stopped when spent, not at 300,000
    # The pages' own operators were counted as tokens before reading: a chart of 6,000
    # within that limit is read, whatever this budget (review).
    chart = "\n".join(["0 0 m 1 1 l S"] * 2_000)
    assert read_bytes(make_pdf([text_page([*PDF_LINES]) + "\n" + chart]), name="c.pdf").text


def test_a_pdf_that_draws_much_and_writes_nothing_is_refused_without_reading_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 16 kB file of 2,000 pages of do-nothing operators would have taken hours: they
    drew no text, so the text budget never ran out."""
    monkeypatch.setattr(pdf_reader, "MAX_DRAWING_TOKENS", 7_000)
    read: list[object] = []
    page_lines = pdf_reader._page_lines
    monkeypatch.setattr(
        pdf_reader,
        "_page_lines",
        lambda page, budget: read.append(page) or page_lines(page, budget),
    )
    scribble = "\n".join(["0 0 m 1 1 l S"] * 400)  # 2,800 tokens, no text
    tight = "()" * 3_000  # 3,000 empty strings, not one space between them
    pdf = make_pdf([text_page([*PDF_LINES]) + "\n" + scribble for _ in range(10)])
    assert refusal(pdf, "busy.pdf") == (
        "busy.pdf draws too much to be read as an article"
        " (over 7,000 drawing instructions by page 3)"
    )
    assert read == []  # every page is counted before any is interpreted
    read.clear()
    monkeypatch.setattr(pdf_reader, "MAX_DRAWING_TOKENS", 30_000)  # room for all ten pages
    assert read_bytes(pdf, name="busy.pdf").text  # (its repeated lines read as page furniture)
    assert len(read) == 10
    # Tokens need no white space between them: "()()()" is counted too (review).
    monkeypatch.setattr(pdf_reader, "MAX_DRAWING_TOKENS", 7_000)
    read.clear()
    packed = make_pdf([text_page([*PDF_LINES]) + "\n" + tight for _ in range(10)])
    assert refusal(packed, "packed.pdf").startswith("packed.pdf draws too much")
    assert read == []


def test_a_page_built_to_keep_the_parser_busy_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """2 million attributes on one tag would have been parsed for hours; 5 million
    elements ended in "unexpected XPathEvalError" (helper audit)."""
    from workbench.ingest import html as html_reader

    sentence = "North Korea sent some 12,000 troops to Russia, the minister said on Wednesday."
    attributes = " ".join(f'a{i}="x"' for i in range(1_500))
    page = f"<html><body><p {attributes}>{sentence}</p></body></html>".encode()
    assert refusal(page, "attrs.html") == (
        "attrs.html has an element with over 1,000 attributes, too many to read"
    )
    image = f'<img alt="chart" src="data:image/png;base64,{"QUJD" * 5_000}=">'
    fine = f"<html><body>{image}<p>{sentence}</p></body></html>".encode()
    assert "12,000 troops" in read_bytes(fine, name="image.html").text  # a long tag is fine
    monkeypatch.setattr(html_reader, "MAX_ELEMENTS", 50)
    many = f"<html><body>{'<p>a' * 60}<p>{sentence}</p></body></html>".encode()
    assert refusal(many, "many.html") == (
        "many.html has over 50 elements, too many for an article page"
    )


def nested(levels: int) -> bytes:
    sentence = "North Korea sent some 12,000 troops to Russia, the minister said on Wednesday."
    return (
        f"<html><body>{'<div>' * levels}<p>{sentence}</p>{'</div>' * levels}</body></html>".encode()
    )


def test_a_page_nested_past_256_levels_is_read_and_past_2048_refused_as_such() -> None:
    """libxml2 drops what lies below 256 levels unless told otherwise: such a page was
    refused as having "no article text"."""
    assert "12,000 troops" in read_bytes(nested(300), name="deep.html").text
    assert refusal(nested(3000), "deeper.html") == (
        "deeper.html nests its elements more than 2,048 levels deep, too deep to read"
    )


def test_titles_lose_reordering_controls_and_are_kept_to_a_sane_length() -> None:
    """A file named with a right-to-left override made the app's own text read
    backwards; a 500 KB Markdown heading froze the window."""
    body = b"North Korea sent some 12,000 troops to Russia, the minister said on Wednesday.\n"
    named = read_bytes(body, name="Minister\u202etroper\x1b[31m.txt")
    assert "\u202e" not in named.title and "\x1b" not in named.title
    heading = b"# " + b"Long " * 100_000 + b"\n\n" + body + body
    title = read_bytes(heading, name="long.md").title
    assert len(title) == assemble_module.MAX_STORED_TITLE_CHARS and title.endswith("…")


def test_a_page_with_hidden_elements_is_read() -> None:
    """A regression of this session's deep-nesting change (lxml.html no longer imported
    where hidden elements are dropped): every such page failed with NameError."""
    page = (
        "<html><head><title>Jobs</title></head><body><p>The unemployment rate fell to 3.5"
        " percent in 2019, the Bureau of Labor Statistics said.</p><div hidden>secret</div>"
        '<p aria-hidden="true">also secret</p><div style="display:none">more</div></body></html>'
    )
    draft = read_bytes(page.encode(), name="hid.html")
    assert "3.5 percent" in draft.text
