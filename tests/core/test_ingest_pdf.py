"""PDFs as reports and press releases come: ligatures, chapter headers, cover pages.

The PDFs are written here (with the hand-made writer of ``test_ingest``), so the tests need
neither the network nor data files.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

from tests.core.test_ingest import make_pdf, text_page
from workbench.errors import IngestError
from workbench.ingest import read_bytes, read_text
from workbench.ingest.normalize import fold_ligatures
from workbench.matching import match_claim, normalize_query, tokenize
from workbench.models import ArchiveRecord, ArticleDraft
from workbench.store import Store

LIGATURES = "ﬀﬁﬂﬃﬄﬅﬆ"  # U+FB00-U+FB06


def words(draft: ArticleDraft) -> str:
    """The article's text with its paragraph breaks as spaces, to compare word for word."""
    return " ".join(draft.text.split())


# -- ligatures ----------------------------------------------------------------------------

# Codes of a font whose /Differences name the ligature glyphs, as typesetting programs
# write them; cp1252 characters stand for the codes in the hand-made content stream.
LIGATURE_GLYPHS = {"ﬀ": (128, "ff"), "ﬁ": (130, "fi"), "ﬂ": (131, "fl"), "ﬃ": (132, "ffi"),
                   "ﬄ": (133, "ffl"), "ﬅ": (134, "longs_t")}  # fmt: skip


def ligature_pdf(lines: list[tuple[float, str]], *, info: dict[str, str] | None = None) -> bytes:
    """One page of ``lines`` in a font that draws ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ as single glyphs."""
    codes = {lig: bytes([code]).decode("cp1252") for lig, (code, _) in LIGATURE_GLYPHS.items()}
    drawn = [(y, text.translate(str.maketrans(codes))) for y, text in lines]
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf([text_page(drawn)])))
    if info:
        writer.add_metadata({f"/{key}": value for key, value in info.items()})
    differences = ArrayObject()
    for code, glyph in LIGATURE_GLYPHS.values():
        differences.extend([NumberObject(code), NameObject(f"/{glyph}")])
    font = writer.pages[0]["/Resources"]["/Font"]["/F1"].get_object()
    font[NameObject("/Encoding")] = DictionaryObject({
        NameObject("/Type"): NameObject("/Encoding"),
        NameObject("/BaseEncoding"): NameObject("/WinAnsiEncoding"),
        NameObject("/Differences"): differences,
    })  # fmt: skip
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_ligatures_are_spelled_out_in_text_and_title() -> None:
    data = ligature_pdf(
        [
            (720, "The ﬁrst oﬃce closed after the ﬂood, the staﬀ said."),
            (692, "Traﬃc was baﬄing, and the ﬅreet stayed shut."),
        ],
        info={"Title": "Oﬃce ﬂooded"},
    )
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata is not None and reader.metadata.title == "Oﬃce ﬂooded"
    layer = reader.pages[0].extract_text()
    assert {"ﬁ", "ﬃ", "ﬂ", "ﬀ", "ﬄ", "ﬅ"} <= set(layer)  # the fixture really has them
    draft = read_bytes(data, name="flood.pdf")
    assert draft.title == "Office flooded"
    assert words(draft) == (
        "The first office closed after the flood, the staff said. "
        "Traffic was baffling, and the street stayed shut."
    )


def make_docx(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


SPELLED = "The ﬁrst oﬃce: ﬀ ﬂ ﬄ ﬅ ﬆ, 5 m², ½ cup, ＦＵＬＬ width, ﬁnal."


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.txt", SPELLED.encode()),
        ("a.md", f"# Notes\n\n{SPELLED}\n".encode()),
        ("a.html", f"<html><body><p>{SPELLED}</p></body></html>".encode()),
        ("a.docx", make_docx(SPELLED)),
    ],
    ids=["txt", "md", "html", "docx"],
)
def test_every_reader_spells_out_ligatures_and_nothing_else(name: str, data: bytes) -> None:
    draft = read_bytes(data, name=name)
    assert "The first office: ff fl ffl st st, 5 m², ½ cup, ＦＵＬＬ width, final." in draft.text


def test_pasted_text_is_folded_too() -> None:
    assert read_text("Oﬃcials ﬁrst said so.").text == "Officials first said so."


@given(st.text())
def test_only_the_ligatures_change(text: str) -> None:
    folded = fold_ligatures(text)
    assert not set(folded) & set(LIGATURES)
    plain = "".join(ch for ch in text if ch not in LIGATURES)
    assert fold_ligatures(plain) == plain
    assert folded == "".join(
        unicodedata.normalize("NFKC", ch) if ch in LIGATURES else ch for ch in text
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    records = [
        ArchiveRecord("Officials fled the flooded office buildings in Riverton.", "f1"),
        ArchiveRecord("The first vaccine trial was stopped in 2021.", "v1"),
    ]
    with Store(tmp_path / "wb.db", user="tester") as s:
        s.import_archive_records(records, source="checks")
        yield s


def test_a_claim_with_ligatures_finds_the_past_check(store: Store) -> None:
    """Copied from a PDF's text layer, every word of this claim has a ligature."""
    pasted = "The oﬃcials ﬂed the ﬂooded oﬃce"
    plain = "The officials fled the flooded office"
    assert normalize_query(pasted) == plain
    found = match_claim(store, pasted)
    expected = match_claim(store, plain)
    assert [m.archive.external_id for m in found] == ["f1"]
    assert found[0].score == pytest.approx(expected[0].score)
    assert [t.text for t in found[0].shared] == [t.text for t in expected[0].shared]
    assert {"fled", "flooded", "office"} <= {t.text for t in found[0].shared}
    for term in found[0].shared:  # highlighted where the pasted text has the word
        for start, end in term.query_spans:
            assert fold_ligatures(pasted[start:end]).casefold() == term.text.casefold()


def test_ligature_tokens_keep_their_place_in_the_text() -> None:
    text = "The oﬃce ﬂooded"
    tokens = tokenize(text)
    assert [t.key for t in tokens] == [t.key for t in tokenize("The office flooded")]
    assert [text[t.start : t.end] for t in tokens] == ["The", "oﬃce", "ﬂooded"]


# -- running headers and footers ----------------------------------------------------------

BODY = [
    "The ministry said the budget for regional hospitals would fall by a fifth.",
    "Officials added that the cut would be spread over three years.",
    "Opposition members called the plan a disaster for rural areas.",
    "Health spending per person rose by 4 percent in the last year.",
    "Waiting lists grew in every region except the capital, the data show.",
    "Nurses' unions announced a strike for the first week of March.",
    "Schools will receive 300 new teachers under the same budget.",
    "The finance minister is due to present the final figures in May.",
]


def paged(headers: list[list[str]], *, body: list[str] = BODY) -> bytes:
    """One page per sentence of ``body``, under its header lines, above "Page n of N"."""
    pages = []
    for number, (header, text) in enumerate(zip(headers, body, strict=True), 1):
        lines = [(770 - 14 * i, line) for i, line in enumerate(header)]
        lines += [(720, text), (40, f"Page {number} of {len(body)}")]
        pages.append(text_page(lines))
    return make_pdf(pages)


def test_headers_that_name_the_chapter_are_dropped() -> None:
    chapters = ["Chapter 1 — Budget"] * 3 + ["Chapter 2 — Health"] * 3 + ["Chapter 3 — Schools"] * 2
    draft = read_bytes(paged([[chapter] for chapter in chapters]), name="report.pdf")
    assert words(draft) == " ".join(BODY)


def test_two_header_lines_and_alternating_headers_are_dropped() -> None:
    """A ministry's name on every page above the chapter; book-style alternating headers."""
    two_lines = [["Ministry of Finance", f"Part {1 + n // 4}: Spending"] for n in range(8)]
    assert words(read_bytes(paged(two_lines), name="a.pdf")) == " ".join(BODY)
    alternating = [
        ["Annual Report 2024"] if n % 2 else [f"Chapter {1 + n // 4} — Hospitals"] for n in range(8)
    ]
    assert words(read_bytes(paged(alternating), name="b.pdf")) == " ".join(BODY)


def test_a_line_that_starts_one_page_only_is_text() -> None:
    """Short headings that open a page are text unless pages nearby repeat them."""
    headings = [[], ["Key figures"], ["Hospitals"], [], ["Regions"], ["Key figures"], [], []]
    draft = read_bytes(paged(headings), name="report.pdf")
    expected = [" ".join([*h, text]) for h, text in zip(headings, BODY, strict=True)]
    assert words(draft) == " ".join(expected)


def test_a_figure_above_the_page_number_is_text() -> None:
    pages = [
        text_page([(720, text), *([(60, "12")] if number == 2 else []), (40, str(number))])
        for number, text in enumerate(BODY[:4], 1)
    ]
    draft = read_bytes(make_pdf(pages), name="report.pdf")
    assert words(draft) == " ".join([BODY[0], BODY[1], "12", BODY[2], BODY[3]])


# -- the title ----------------------------------------------------------------------------

HEADLINE = "Budget cuts hit regional hospitals"
STORY = [
    (664, "The ministry said on Tuesday that the budget for regional hospitals would fall"),
    (650, "by a fifth over the next three years, starting in January."),
    (622, "Opposition members called the plan a disaster for rural areas."),
]
STORY_TEXT = (
    "The ministry said on Tuesday that the budget for regional hospitals would fall by a "
    "fifth over the next three years, starting in January. Opposition members called the "
    "plan a disaster for rural areas."
)


def cover(*front: str, info: dict[str, str] | None = None) -> bytes:
    """A page with ``front`` lines (stamps, a date) above the headline and the story."""
    lines = [(760 - 20 * i, text) for i, text in enumerate(front)]
    return make_pdf([text_page([*lines, (700, HEADLINE), *STORY])], info=info)


@pytest.mark.parametrize(
    "stamp",
    [
        "CONFIDENTIAL",
        "DRAFT",
        "FOR IMMEDIATE RELEASE",
        "DRAFT – NOT FOR PUBLICATION",
        "EMBARGOED UNTIL 00:01 TUESDAY 5 MARCH",
        "PRESS RELEASE 5 March 2024",
        "Official-Sensitive",
    ],
)
def test_a_stamp_is_not_the_title(stamp: str) -> None:
    draft = read_bytes(cover(stamp), name="release.pdf")
    assert draft.title == HEADLINE
    assert HEADLINE not in draft.text


@pytest.mark.parametrize("date", ["5 March 2024", "Tuesday, March 5, 2024", "2024-03-05"])
def test_a_date_alone_is_not_the_title_but_the_date(date: str) -> None:
    draft = read_bytes(cover(date), name="release.pdf")
    assert draft.title == HEADLINE
    assert draft.published == "2024-03-05"
    assert words(draft) == STORY_TEXT


def test_stamp_and_date_before_the_headline() -> None:
    draft = read_bytes(cover("FOR IMMEDIATE RELEASE", "5 March 2024"), name="release.pdf")
    assert draft.title == HEADLINE
    assert words(draft).endswith(STORY_TEXT)
    assert HEADLINE not in draft.text


def test_a_contents_page_is_neither_title_nor_text() -> None:
    contents = text_page(
        [
            (720, "Contents"),
            (692, "Budget ........................................ 2"),
            (678, "Health . . . . . . . . . . . . . . . . . . . . 2"),
            (664, "Outlook ....................................... iv"),
        ]
    )
    plain_contents = text_page(
        [(720, "Table of Contents"), (692, "1 Budget 3"), (678, "2 Health 5")]
    )
    story = text_page([(700, HEADLINE), *STORY])
    for first in (contents, plain_contents):
        draft = read_bytes(make_pdf([first, story]), name="report.pdf")
        assert draft.title == HEADLINE
        assert words(draft) == STORY_TEXT


def test_a_table_header_is_not_the_title() -> None:
    table = [
        (720, "Region Budget Change"),
        (706, "North 1,200 -5%"),
        (692, "South 900 -12%"),
        (678, "Capital 2,400 +3%"),
    ]
    draft = read_bytes(make_pdf([text_page([*table, *STORY])]), name="spending.pdf")
    assert draft.title == "spending"  # the file's name: the page has no headline
    assert draft.text.split("\n\n") == [
        "Region Budget Change",
        "North 1,200 -5%",
        "South 900 -12%",
        "Capital 2,400 +3%",
        "The ministry said on Tuesday that the budget for regional hospitals would fall by a "
        "fifth over the next three years, starting in January.",
        "Opposition members called the plan a disaster for rural areas.",
    ]


def test_a_headline_after_a_table_is_the_title() -> None:
    table = [(760, "Region 2023 2024"), (746, "North 1,200 1,140"), (732, "South 900 790")]
    draft = read_bytes(make_pdf([text_page([*table, (700, HEADLINE), *STORY])]), name="a.pdf")
    assert draft.title == HEADLINE


def test_a_meaningful_metadata_title_wins_and_is_not_repeated() -> None:
    draft = read_bytes(cover("CONFIDENTIAL", info={"Title": "Hospital budgets 2025"}), name="a.pdf")
    assert draft.title == "Hospital budgets 2025"
    assert HEADLINE in draft.text  # a different heading is the article's
    same = read_bytes(cover("CONFIDENTIAL", info={"Title": HEADLINE.upper()}), name="a.pdf")
    assert same.title == HEADLINE.upper()
    assert HEADLINE not in same.text


@pytest.mark.parametrize(
    "placeholder",
    [
        "Microsoft Word - budget.docx",
        "Microsoft PowerPoint - Presentation1",
        "untitled",
        "Untitled-3",
        "Document1",
        "C:\\Users\\ana\\Desktop\\report.pdf",
        "budget_final_v2",
        "DRAFT",
        "12/03/2024",
    ],
)
def test_a_placeholder_metadata_title_gives_way_to_the_headline(placeholder: str) -> None:
    draft = read_bytes(cover("DRAFT", info={"Title": placeholder}), name="a.pdf")
    assert draft.title == HEADLINE


# -- any layout ---------------------------------------------------------------------------

LINE = st.one_of(
    st.sampled_from(
        ["Contents", "CONFIDENTIAL", "5 March 2024", "Region 2023 2024", "North 1,200 1,140",
         "Budget ........ 3", "Chapter 1 — Budget", "Page 2 of 9", "7", HEADLINE]
    ),
    st.text(st.sampled_from("abcdefghij ABC 0123.,-—%"), min_size=1, max_size=60),
)  # fmt: skip


@given(st.lists(st.lists(LINE, min_size=0, max_size=8), min_size=1, max_size=6))
def test_any_layout_gives_an_article_or_a_clear_error(pages: list[list[str]]) -> None:
    """Whatever the pages hold, the text keeps what it keeps in order, and adds nothing."""
    data = make_pdf([text_page([(760 - 14 * i, t) for i, t in enumerate(p)]) for p in pages])
    try:
        draft = read_bytes(data, name="any.pdf")
    except IngestError as exc:
        assert "\n" not in str(exc)
        return
    assert draft.text.strip()
    source = iter("".join(ch for page in pages for line in page for ch in line if ch.isalnum()))
    kept = (ch for ch in draft.text if ch.isalnum())
    assert all(ch in source for ch in kept)  # a subsequence of the pages' letters and digits


def test_archive_text_is_folded_so_search_finds_it(tmp_path: Path) -> None:
    from workbench.archive import import_archive
    from workbench.store import Store

    path = tmp_path / "checks.jsonl"
    path.write_text('{"id": "1", "text": "The oﬃce ﬂooded twice", "verdict": "false"}\n')
    with Store(tmp_path / "a.db") as store:
        import_archive(store, path)
        assert [c.text for c in store.archive_search("office flooded")] == [
            "The office flooded twice"
        ]
