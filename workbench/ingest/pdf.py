"""PDF files: the text layer, with lines joined back into paragraphs.

pypdf gives lines, not paragraphs. The vertical position of each line tells where the
paragraphs are: a gap clearly larger than the usual line spacing (or a jump up to the
next column) starts a new one. Inside a paragraph, lines are joined and a word split
across lines by a hyphen is mended. Page numbers, running headers and footers (also
those that name the chapter) and a table of contents are dropped; the rows of a table
stay one paragraph each.

The title is the document information's, unless that is a placeholder ("Microsoft Word -
report.docx", "Untitled"); otherwise the first headline-like paragraph, after any stamp
("CONFIDENTIAL", "FOR IMMEDIATE RELEASE"), date, contents list or table.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise, takewhile
from typing import Any, NamedTuple

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError
from pypdf.generic import DictionaryObject

from workbench.errors import IngestError
from workbench.ingest.assemble import InputInfo, assemble_draft, looks_like_title
from workbench.ingest.chrome import strip_page_chrome
from workbench.ingest.normalize import (
    clean_line,
    ends_sentence,
    join_lines,
    unwrap_lines,
)
from workbench.models import MAX_ARTICLE_CHARS, ArticleDraft

log = logging.getLogger("workbench.ingest")

# pypdf logs a warning or an error for every flaw it works around in a damaged file;
# the user gets one clear IngestError instead. An application that wants them can
# lower this level again.
if logging.getLogger("pypdf").level == logging.NOTSET:
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)

MAX_PAGES = 2000
"""Refuse longer documents: a book, not an article, and minutes of extraction."""
MAX_DRAWING_TOKENS = 8_000_000
"""The most content-stream tokens (operators and operands) all pages may hold together.

pypdf reads some 200,000 to 400,000 tokens a second, whether they draw text or not: a
16 kB file whose 2,000 pages share one stream of 1.9 million do-nothing operators took
9.7 s a page (hours in all), and gave no text for :class:`_Budget` to count. A page
of text holds a few thousand tokens and a dense chart some 75,000 (a 50-page report with
one on each page, 3.75 million, reads in 17 s); this many is read in under a minute. All
pages are counted before any is read (:func:`_drawing_tokens`), so a file over the
budget is refused at once."""
MAX_DRAWING_OPERATIONS = 2_000_000
"""The most operators reading all pages may run inside forms (see :class:`_Budget`; the
pages' own are bounded by :data:`MAX_DRAWING_TOKENS`): pypdf runs some 50,000 a second
when they show text, so this many is under a minute."""
PARAGRAPH_GAP = 1.4
"""A gap this many times the usual line spacing separates paragraphs."""
RAGGED = 0.85
"""Character counts only approximate widths in proportional fonts: be careful with fits."""
EDGE_LINES = 3
"""Running headers and footers are looked for among this many lines at each end of a page."""
NEIGHBOUR_PAGES = 2
"""A line repeated at the same end of a page this few pages away is a running header or
footer: the pages of one chapter, or its odd or even pages."""
MAX_HEADER_CHARS = 100
"""Longest line taken for a stamp or for a contents entry without dot leaders."""
MAX_ROW_CHARS = 160
"""Longest line taken for a table row or a contents entry."""

NOT_PDF = "is not a valid PDF file"
# A dependency, so only a broken installation lacks it; the file itself is fine.
NEEDS_CRYPTOGRAPHY = (
    "is encrypted with AES, which needs the cryptography package (reinstall the workbench)"
)
_PAGE_NUMBER = re.compile(
    r"(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|[-–—]\s*\d{1,4}\s*[-–—]", re.IGNORECASE
)
_FILE_NAME = re.compile(
    r"\.(?:docx?|pdf|indd|rtf|odt|txt|tex|qxd|pages|pptx?|xlsx?|html?|e?ps)$", re.IGNORECASE
)
# What office programs and PDF printers put in the title when the author did not.
_APPLICATION_PREFIX = re.compile(r"^microsoft (?:office )?(?:word|powerpoint|excel) - ", re.I)
_PLACEHOLDER_TITLE = re.compile(
    r"(?:untitled(?: document)?|no title|none|null|unknown|n/?a|title|doc|document|"
    r"new document|(?:powerpoint )?presentation|slide|book|workbook|sheet|page)?[\s_-]*\d*",
    re.IGNORECASE,
)
_PATH_LIKE = re.compile(r"\S*[\\/_]\S*")  # "C:\Temp\x", "/tmp/x", "budget_final_v2"
# Stamps on a page: whole paragraphs, alone or joined by a dash or bar ("DRAFT – NOT FOR
# PUBLICATION"); never the title.
_STAMP = re.compile(
    r"(?:strictly |highly |private and |commercial in )?confidential|"
    r"(?:final |working |revised )?draft(?: (?:only|copy|version|report|v?\d+(?:\.\d+)*|"
    r"for (?:comment|consultation|discussion|review)))?|"
    r"for (?:immediate )?(?:release|publication)|(?:press|news|media) release|"
    r"(?:strictly )?(?:embargoed|under embargo)(?: until\b.{0,80})?|"
    r"(?:for )?(?:internal|official) use(?: only)?|internal|restricted|sensitive|"
    r"official(?:[- ]sensitive)?|(?:top )?secret|classified|unclassified|"
    r"not (?:for (?:publication|distribution|circulation|attribution)|"
    r"to be (?:published|distributed|circulated))|"
    r"do not (?:distribute|circulate|copy|cite|quote)|copy|sample|specimen|"
    r"preliminary|provisional|version \d+(?:\.\d+)*|v\d+(?:\.\d+)*",
    re.IGNORECASE,
)
_STAMP_SEPARATOR = re.compile(r"\s*[|•·–—]\s*|\s+[-/]\s+|\s*:\s+")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# A date alone, perhaps with a weekday, a time or a label: "Updated: Tuesday, 5 March 2024".
_DATE = re.compile(
    r"(?:(?:(?:last )?updated|published|posted|issued|released|dated?|as (?:of|at))\s*:?\s*)?"
    r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
    rf"(?:{_DAY}\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}|{_MONTH}\s+{_DAY},?\s+\d{{4}}|"
    rf"{_MONTH},?\s+\d{{4}}|\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}})"
    r"(?:,?\s+(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s+[a-z]{2,4})?)?",
    re.IGNORECASE,
)
_CONTENTS = re.compile(
    r"(?:table of )?contents|contents page|in this (?:issue|report|edition|document)",
    re.IGNORECASE,
)
# A contents entry: dot leaders and a page number ("Budget ........ 3", "Foreword . . . iv").
_LEADERS = re.compile(r"(?:[.·…_]\s?){3,}\s*(?:\d{1,4}|[ivxlcdm]{1,7})$", re.IGNORECASE)
_ENDS_WITH_PAGE = re.compile(r"\s\d{1,4}$")
_NUMBER_CELL = re.compile(r"[(+±−-]?[$£€¥]?\d[\d.,]*[%kmb]?\)?|[-–—]|n/?a", re.IGNORECASE)
_EDGE_PUNCTUATION = " *_-–—|[](){}<>:·•"


class _Line(NamedTuple):
    text: str
    y: float | None
    """Baseline height on the page, in points from the bottom; None if unknown."""


class _Paragraph(NamedTuple):
    text: str
    tabular: bool = False
    """A row of a table (or its header row): never a title, never joined to text."""


def read_pdf(data: bytes, *, info: InputInfo) -> ArticleDraft:
    """Read a PDF's text layer and its document information (title, author, date).

    Raises:
        IngestError: Not a PDF, damaged, password-protected, too long, or without text.
    """
    reader, count = _open(data, info)
    pages: list[list[_Line]] = []
    budget = _Budget(MAX_ARTICLE_CHARS + FURNITURE_ALLOWANCE, MAX_DRAWING_OPERATIONS)
    for number in range(count):
        try:
            pages.append(_page_lines(reader.pages[number], budget))
        except _TooMuchText:
            raise info.error(
                f"is too long (over {budget.text_limit:,} characters of text; "
                f"an article has at most {MAX_ARTICLE_CHARS:,})"
            ) from None
        except _TooMuchDrawing:
            raise _drawing_error(info, MAX_DRAWING_OPERATIONS, number) from None
        except DependencyError as exc:  # AES-128 streams: the password check needs no AES
            raise info.error(NEEDS_CRYPTOGRAPHY) from exc
        except Exception as exc:  # a damaged content stream or font
            raise info.error(f"cannot be read: page {number + 1} is damaged") from exc
    if not any(pages):
        raise info.error("has no text layer (scanned PDF?)")
    title, author, published = _metadata(reader, info)
    texts = tuple("\n".join(line.text for line in lines) for lines in pages)
    title, body = _settle_title(title, _paragraphs(pages))
    draft = assemble_draft(
        body,
        info=info,
        title=title,
        author=author,
        published=published,
        title_from_body=False,  # settled here, where tables and stamps are known
    )
    return dataclasses.replace(draft, pages=texts)


def _open(data: bytes, info: InputInfo) -> tuple[PdfReader, int]:
    """The PDF's reader and page count, within the page and drawing limits.

    Raises:
        IngestError: Not a PDF, damaged, password-protected or over a limit.
    """
    if b"%PDF-" not in data[:1024]:
        raise info.error(NOT_PDF)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _decrypt(reader, info)
        # Listing the pages walks the whole page tree (up to a minute for 100,000 pages), so
        # the count the tree declares is checked first; the real one is checked after.
        declared = _declared_page_count(reader)
        if declared is not None and declared > MAX_PAGES:
            raise _too_long(declared, info)
        count = len(reader.pages)
    except IngestError:
        raise
    except DependencyError as exc:  # AES without the cryptography package
        raise info.error(NEEDS_CRYPTOGRAPHY) from exc
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise info.error(f"{NOT_PDF} (it is damaged)") from exc
    if count > MAX_PAGES:
        raise _too_long(count, info)
    _check_drawing(reader, count, info)
    return reader, count


def _decrypt(reader: PdfReader, info: InputInfo) -> None:
    """Open a PDF that is encrypted with an empty password, as many are.

    Such a file has only an owner password, which restricts printing or copying but
    not reading.
    """
    try:
        result = reader.decrypt("")
    except DependencyError as exc:
        raise info.error(NEEDS_CRYPTOGRAPHY) from exc
    except Exception as exc:  # an unsupported algorithm
        raise info.error("is encrypted and cannot be opened") from exc
    if result == PasswordType.NOT_DECRYPTED:
        raise info.error("is password-protected")


def _declared_page_count(reader: PdfReader) -> int | None:
    """The ``/Count`` of the page tree's root, read without walking the tree.

    None when it is missing or not a count; the page list then says how many there are.
    """
    try:
        tree = reader.root_object.get("/Pages")
        tree = tree.get_object() if tree is not None else None
        count = tree.get("/Count") if isinstance(tree, DictionaryObject) else None
        count = count.get_object() if count is not None else None
    except Exception:  # not a dictionary, a dangling or looping reference
        log.debug("no usable page count in the page tree", exc_info=True)
        return None
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return int(count)
    return None


def _too_long(count: int, info: InputInfo) -> IngestError:
    return info.error(f"has {count:,} pages; at most {MAX_PAGES:,} can be read")


FURNITURE_ALLOWANCE = 200_000
"""Characters of running heads, page numbers and the like a PDF may have beyond the
longest article, before it is refused as too long (see :class:`_Budget`)."""


class _OverBudget(BaseException):
    """Reading the pages has taken all :class:`_Budget` allows.

    Not an ``Exception``: raised from a visitor inside a form (a drawing a page calls by
    name), pypdf would log and swallow it, and go on with the next call of the form.
    """


class _TooMuchText(_OverBudget):
    """The pages read so far hold more text than the budget allows."""


class _TooMuchDrawing(_OverBudget):
    """The pages read so far have run more drawing operators than the budget allows."""


class _Budget:
    """What all pages may give and run together, counted as pypdf reads them.

    Text: pypdf takes seconds per million characters, and a small file can make many
    millions (a 22 kB page drawing one line a thousand times gave 6.4 million characters
    in 29 seconds). Operators run inside forms: the pages' own are counted before
    reading (:func:`_check_drawing`), but a form (a drawing kept by name) runs its whole
    stream again at each call (a 1.8 kB page calling a form of 20,000 empty strings 100
    times took 106 s, 5,000 times hours). Reading stops as soon as either is spent.
    """

    def __init__(self, text: int, operations: int) -> None:
        self.text_limit = text
        self.text_left = text
        self.operations_left = operations
        self.forms = 0
        """How many forms deep the operator being run is."""

    def spend(self, characters: int) -> None:
        self.text_left -= characters
        if self.text_left < 0:
            raise _TooMuchText

    def before(self, operator: bytes, *_: object) -> None:
        if self.forms:
            self.operations_left -= 1
            if self.operations_left < 0:
                raise _TooMuchDrawing
        if operator == b"Do":  # a form's operators follow, then after() for this one
            self.forms += 1

    def after(self, operator: bytes, *_: object) -> None:
        if operator == b"Do":
            self.forms -= 1


def _check_drawing(reader: PdfReader, count: int, info: InputInfo) -> None:
    """Refuse a file whose pages together hold over :data:`MAX_DRAWING_TOKENS` tokens,
    before any page is read."""
    left = MAX_DRAWING_TOKENS
    for number in range(count):
        try:
            left -= _drawing_tokens(reader.pages[number])
        except DependencyError as exc:  # AES-128 streams: the password check needs no AES
            raise info.error(NEEDS_CRYPTOGRAPHY) from exc
        except Exception as exc:  # a damaged content stream
            raise info.error(f"cannot be read: page {number + 1} is damaged") from exc
        if left < 0:
            raise _drawing_error(info, MAX_DRAWING_TOKENS, number)


def _drawing_error(info: InputInfo, limit: int, number: int) -> IngestError:
    return info.error(
        f"draws too much to be read as an article (over {limit:,}"
        f" drawing instructions by page {number + 1})"
    )


_TOKEN_STARTS = (b" ", b"\n", b"\r", b"\t", b"(", b"/", b"[", b"<")
"""Bytes that start or end a token of a content stream: white space, and the delimiters
that need none before them (``()()()``, ``/A/B``, ``[]``, ``<>`` are many tokens)."""


def _drawing_tokens(page: Any) -> int:
    """About how many tokens the page's content streams hold, counted in C."""
    contents = page.get_contents()
    if contents is None:
        return 0
    data: bytes = contents.get_data()
    return sum(data.count(start) for start in _TOKEN_STARTS) + 1


def _page_lines(page: Any, budget: _Budget) -> list[_Line]:
    """The page's lines in content order, each with the height of its baseline."""
    fragments: list[tuple[str, float]] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], *_: object) -> None:
        budget.spend(len(text))
        fragments.append((text, cm[1] * tm[4] + cm[3] * tm[5] + cm[5]))

    page.extract_text(
        visitor_text=visit,
        visitor_operand_before=budget.before,
        visitor_operand_after=budget.after,
    )
    lines: list[_Line] = []
    current = ""
    y: float | None = None
    for text, fragment_y in fragments:
        for index, part in enumerate(text.split("\n")):
            if index:
                lines.append(_Line(current, y))
                current, y = "", None
            if y is None and part.strip():
                y = fragment_y
            current += part
    lines.append(_Line(current, y))
    cleaned = (_Line(clean_line(line.text), line.y) for line in lines)
    return [line for line in cleaned if line.text]


def _paragraphs(pages: list[list[_Line]]) -> list[_Paragraph]:
    """Join every page's lines into paragraphs; one running across pages is mended.

    Page furniture and a table of contents go first; a table's rows stay one each.
    """
    paragraphs: list[_Paragraph] = []
    for page in _drop_page_furniture(pages):
        lines = _drop_contents(page)
        if not lines:
            continue
        tabular = _table_lines([line.text for line in lines])
        text_lines = [line.text for line, row in zip(lines, tabular, strict=True) if not row]
        width = max(map(len, text_lines), default=0)
        found: list[_Paragraph] = []
        for group in _gap_groups(lines):
            text: list[str] = []
            for index in group:
                if tabular[index]:
                    found.extend(_unwrap(text, width))
                    found.append(_Paragraph(lines[index].text, tabular=True))
                    text = []
                else:
                    text.append(lines[index].text)
            found.extend(_unwrap(text, width))
        if (
            paragraphs
            and found
            and not (paragraphs[-1].tabular or found[0].tabular)
            and _continues(paragraphs[-1].text, found[0].text)
        ):
            joined = join_lines([paragraphs[-1].text, found.pop(0).text], dehyphenate=True)
            paragraphs[-1] = _Paragraph(joined)
        paragraphs.extend(found)
    return paragraphs


def _unwrap(lines: list[str], width: int) -> list[_Paragraph]:
    if not lines:
        return []
    found = unwrap_lines(lines, width=width, dehyphenate=True, ragged=RAGGED)
    return [_Paragraph(text) for text in found]


def _gap_groups(lines: Sequence[_Line]) -> list[list[int]]:
    """Split lines (by index) where the vertical gap is larger than usual or the text jumps up."""
    gaps = [
        above.y - below.y
        for above, below in pairwise(lines)
        if above.y is not None and below.y is not None and above.y > below.y
    ]
    usual = statistics.median(gaps) if gaps else 0.0
    groups: list[list[int]] = [[0]]
    for index, (above, below) in enumerate(pairwise(lines), 1):
        gap = above.y - below.y if above.y is not None and below.y is not None else None
        if usual and gap is not None and (gap > PARAGRAPH_GAP * usual or gap < -usual / 2):
            groups.append([])
        groups[-1].append(index)
    return groups


def _continues(paragraph: str, following: str) -> bool:
    """True if a page's first paragraph carries on the previous page's last one."""
    if paragraph.endswith("-") and following[:1].isalpha():
        return True
    return not ends_sentence(paragraph) and following[:1].islower()


# -- page furniture -----------------------------------------------------------------------


def _drop_page_furniture(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Drop page numbers, running headers and footers from the ends of every page.

    A line among the first or last :data:`EDGE_LINES` of a page, with only furniture
    between it and the edge, is furniture when, page numbers blanked out, it is also
    found at an end of most pages ("The Daily Example — Annual report", "Report 2024 —
    page #"), or at the same end of a page at most :data:`NEIGHBOUR_PAGES` away: a header
    that names the chapter ("Chapter 2 — Health") changes with the chapter. A line that
    opens or closes one page only is text. A page's only line stays, unless a page number.
    """
    tops = [{_shape(line.text) for line in lines[:EDGE_LINES]} for lines in pages]
    bottoms = [{_shape(line.text) for line in lines[-EDGE_LINES:]} for lines in pages]
    seen = Counter(shape for n in range(len(pages)) for shape in tops[n] | bottoms[n])
    threshold = max(3, len(pages) // 2)
    everywhere = {shape for shape, count in seen.items() if count >= threshold}
    kept: list[list[_Line]] = []
    for number, lines in enumerate(pages):
        start, end = 0, len(lines)
        for top, ends in ((False, bottoms), (True, tops)):
            running = everywhere | _recurring(ends, number)
            numbered = False
            for depth in range(EDGE_LINES):
                if start >= end:
                    break
                text = lines[start if top else end - 1].text
                if not numbered and _PAGE_NUMBER.fullmatch(text):
                    numbered = True  # one page number per end: a figure next to it is text
                elif (
                    end - start < 2
                    or _shape(text) not in running
                    or (depth and not any(ch.isalpha() for ch in text))
                ):
                    break
                start, end = (start + 1, end) if top else (start, end - 1)
        kept.append(lines[start:end])
    return kept


def _recurring(ends: Sequence[set[str]], number: int) -> set[str]:
    """The lines at one end of page ``number`` also found at that end of a page nearby."""
    near = range(max(0, number - NEIGHBOUR_PAGES), min(len(ends), number + NEIGHBOUR_PAGES + 1))
    others = set[str]().union(*(ends[other] for other in near if other != number))
    # Letters required: a bare "#." is a numbered paragraph more often than a header.
    return {shape for shape in ends[number] & others if any(ch.isalpha() for ch in shape)}


def _shape(text: str) -> str:
    """A header or footer with its page number blanked out: "Report 2024 — page #"."""
    return re.sub(r"\d+", "#", text.casefold())


def _drop_contents(lines: list[_Line]) -> list[_Line]:
    """Drop a table of contents: its heading and its entries.

    Entries with dot leaders go on any page that has two of them or a "Contents"
    heading; entries without ("2 Health 14") only right under the heading.
    """
    texts = [line.text for line in lines]
    dropped: set[int] = set()
    for index, text in enumerate(texts):
        if _is_contents_heading(text):
            following = range(index + 1, len(texts))
            entries = list(takewhile(lambda i: _is_contents_entry(texts[i]), following))
            if len(entries) >= 2:
                dropped.update([index, *entries])
    leaders = {index for index, text in enumerate(texts) if _has_leaders(text)}
    if dropped or len(leaders) >= 2:
        dropped |= leaders
    return [line for index, line in enumerate(lines) if index not in dropped]


def _is_contents_heading(text: str) -> bool:
    return _CONTENTS.fullmatch(_bare(text)) is not None


def _has_leaders(text: str) -> bool:
    """A contents entry with dot leaders: "Budget ........ 3"."""
    return (
        len(text) <= MAX_ROW_CHARS
        and any(ch.isalpha() for ch in text)
        and _LEADERS.search(text) is not None
    )


def _is_contents_entry(text: str) -> bool:
    """A contents entry, with or without leaders: "2 Health 14", "Foreword ..... iv"."""
    if _has_leaders(text):
        return True
    return (
        len(text) <= MAX_HEADER_CHARS
        and any(ch.isalpha() for ch in text)
        and _ENDS_WITH_PAGE.search(text) is not None
    )


def _table_lines(texts: Sequence[str]) -> list[bool]:
    """Which lines belong to a table: two or more rows of figures, and the header above.

    A row has at least two figures and more figures than lowercase words ("North 1,200
    1,350 +12.5%"), so a sentence full of numbers is not one. The line above the rows is
    their header if it is not a sentence ("Region Budget Change").
    """
    rows = [_is_table_row(text) for text in texts]
    tabular = [False] * len(texts)
    index = 0
    while index < len(texts):
        end = index
        while end < len(texts) and rows[end]:
            end += 1
        if end - index >= 2:
            tabular[index:end] = [True] * (end - index)
            if index and not tabular[index - 1] and _is_header_row(texts[index - 1]):
                tabular[index - 1] = True
        index = max(end, index + 1)
    return tabular


def _is_table_row(text: str) -> bool:
    if len(text) > MAX_ROW_CHARS or ends_sentence(text):
        return False
    cells = text.split()
    figures = sum(1 for cell in cells if _NUMBER_CELL.fullmatch(cell))
    words = sum(1 for cell in cells if cell[:1].islower() and not _NUMBER_CELL.fullmatch(cell))
    return figures >= 2 and figures > words


def _is_header_row(text: str) -> bool:
    return (
        len(text) <= MAX_ROW_CHARS
        and len(text.split()) >= 2
        and not text[:1].islower()
        and not ends_sentence(text)
    )


# -- title --------------------------------------------------------------------------------


def _settle_title(title: str, paragraphs: Sequence[_Paragraph]) -> tuple[str, list[str]]:
    """The article's title, and its paragraphs without the one that became the title.

    A title from the document information stays, and the heading that repeats it
    leaves the body. Otherwise the first paragraph after the front matter (stamps,
    dates, a contents list, tables: see :func:`_front_matter_end`) is the title if it
    looks like a headline; if it does not, there is none and the reader falls back on
    the file's name.
    """
    body = [paragraph.text for paragraph in paragraphs]
    first = _front_matter_end(paragraphs)
    if title:
        if first < len(body) and len(body) > 1 and _same_text(body[first], title):
            del body[first]
    elif first + 1 < len(body) and looks_like_title(body[first]):  # text must follow
        title = body.pop(first)
    return title, body


def _front_matter_end(paragraphs: Sequence[_Paragraph]) -> int:
    """Where the front matter ends: the index of the first paragraph that is text.

    Front matter is what comes before the headline on a page and is never one: stamps,
    dates, page numbers, web furniture, a contents list (its heading and entries), the
    rows of a table and its header, lines without letters.
    """
    in_contents = False
    for index, paragraph in enumerate(paragraphs):
        text = paragraph.text
        if _is_contents_heading(text):
            in_contents = True
            continue
        if in_contents and _is_contents_entry(text):
            continue
        in_contents = False
        if not (
            paragraph.tabular
            or _has_leaders(text)
            or _is_stamp(text)
            or _PAGE_NUMBER.fullmatch(text)
            or not any(ch.isalpha() for ch in text)
            or not strip_page_chrome([text])  # "Share", "Advertisement", "© 2024 ..."
        ):
            return index
    return len(paragraphs)


def _is_stamp(text: str) -> bool:
    """A stamp or a date alone, never a title.

    "CONFIDENTIAL", "DRAFT – NOT FOR PUBLICATION", "5 March 2024", "FOR IMMEDIATE
    RELEASE: 5 March 2024": stamps and dates, joined by a dash, a bar or a colon.
    """
    if len(text) > MAX_HEADER_CHARS or not any(ch.isalnum() for ch in text):
        return False
    if _is_stamp_part(_bare(text)):  # "Updated: 5 March 2024" as a whole
        return True
    parts = [_bare(part) for part in _STAMP_SEPARATOR.split(text)]
    return all(_is_stamp_part(part) for part in parts if part)


def _is_stamp_part(text: str) -> bool:
    text = text.rstrip(".")
    if _STAMP.fullmatch(text) or _DATE.fullmatch(text):
        return True
    stamp = _STAMP.match(text)  # "PRESS RELEASE 5 March 2024"
    return stamp is not None and _DATE.fullmatch(text[stamp.end() :].strip(" ,")) is not None


def _bare(text: str) -> str:
    return text.strip().strip(_EDGE_PUNCTUATION)


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def _metadata(reader: PdfReader, info: InputInfo) -> tuple[str, str, str | None]:
    """Title, author and creation date from the document information, when usable."""
    try:
        meta = reader.metadata
        if meta is None:
            return "", "", None
        title = clean_line(str(meta.title or ""))
        author = clean_line(str(meta.author or ""))
        created = meta.creation_date
    except Exception:  # malformed dates and strings are common; the text matters more
        log.debug("%s: unreadable document information", info.label, exc_info=True)
        return "", "", None
    title = _meaningful_title(title)
    return title, author, created.date().isoformat() if created is not None else None


def _meaningful_title(title: str) -> str:
    """``title``, or "" if it names a file or says nothing.

    Office programs and PDF printers fill in "Microsoft Word - report.docx", "Untitled-1",
    "Document1" or "C:\\Temp\\x.pdf" when the author did not; a stamp ("DRAFT") or a
    date is no title either.
    """
    title = _APPLICATION_PREFIX.sub("", title, count=1)
    if (
        _FILE_NAME.search(title)
        or _PLACEHOLDER_TITLE.fullmatch(title)
        or _PATH_LIKE.fullmatch(title)
        or not any(ch.isalpha() for ch in title)
        or _is_stamp(title)
        or _is_contents_heading(title)
    ):
        return ""
    return title
