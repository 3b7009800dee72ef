"""Word documents as people really make them: nested tables, content controls, text boxes,
merged cells, Strict Open XML.

Each file is built here, with python-docx or by writing the package's XML parts into a
zip, so the tests need neither the network nor data files.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import docx
import pytest
from docx.table import _Cell
from hypothesis import given
from hypothesis import strategies as st

from workbench.errors import IngestError
from workbench.ingest import docx as docx_reader
from workbench.ingest import read_bytes
from workbench.models import ArticleDraft

TRANSITIONAL = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
RELATIONSHIPS = {
    TRANSITIONAL: "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    STRICT: "http://purl.oclc.org/ooxml/officeDocument/relationships",
}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
)
STYLES = (
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
    "</w:style>"
    # Word names its built-in styles in English whatever the language; the id may not be.
    '<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style>'
)
DRAWING_NAMESPACES = (
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
    'mc:Ignorable="w14"'
)

STEPS = [
    "Close the inlet valve and confirm the pressure gauge reads zero before you start.",
    "Drain the remaining water from the housing into the approved container.",
    "Remove the four cover bolts with a 13 mm spanner and keep them together.",
    "Inspect the seal for cracks, and replace it if any part of it is hardened.",
]


# -- building packages by hand ----------------------------------------------------------


def package(
    body: str,
    *,
    namespace: str = TRANSITIONAL,
    title: str = "",
    author: str = "",
    created: str = "",
    document_type: str = MAIN_CONTENT_TYPE,
    root: str = "w:document",
    doctype: str = "",
) -> bytes:
    """A minimal .docx: ``body`` (XML using the ``w:`` prefix) and its package parts.

    ``namespace`` is Transitional or Strict WordprocessingML; the relationship types
    follow it, as they do in files Word saves.
    """
    relationships = RELATIONSHIPS[namespace]
    core_type = (
        "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
    )
    rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/word/document.xml" ContentType="{document_type}"/>'
            '<Override PartName="/word/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{rels}">'
            f'<Relationship Id="rId1" Type="{relationships}/officeDocument" '
            'Target="word/document.xml"/>'
            f'<Relationship Id="rId2" Type="{core_type}" Target="docProps/core.xml"/>'
            "</Relationships>"
        ),
        "word/_rels/document.xml.rels": (
            f'<Relationships xmlns="{rels}">'
            f'<Relationship Id="rId1" Type="{relationships}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId2" Type="{relationships}/hyperlink" '
            'Target="https://example.org/" TargetMode="External"/>'
            "</Relationships>"
        ),
        "word/document.xml": (
            f'{doctype}<{root} xmlns:w="{namespace}" {DRAWING_NAMESPACES}>'
            f"<w:body>{body}<w:sectPr/></w:body></{root}>"
        ),
        "word/styles.xml": f'<w:styles xmlns:w="{namespace}">{STYLES}</w:styles>',
        "docProps/core.xml": (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(title)}</dc:title><dc:creator>{escape(author)}</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
            "</cp:coreProperties>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, XML_DECLARATION + text)
    return out.getvalue()


def run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def p(*content: str, style: str = "") -> str:
    """A paragraph; plain strings are runs of text, markup (starting with "<") stays."""
    properties = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    inner = "".join(item if item.startswith("<") else run(item) for item in content)
    return f"<w:p>{properties}{inner}</w:p>"


def tc(*content: str, properties: str = "") -> str:
    inner = "".join(item if item.startswith("<") else p(item) for item in content)
    return f"<w:tc><w:tcPr>{properties}</w:tcPr>{inner or '<w:p/>'}</w:tc>"


def tr(*cells: str) -> str:
    return (
        "<w:tr>" + "".join(cell if cell.startswith("<") else tc(cell) for cell in cells) + "</w:tr>"
    )


def tbl(*rows: str) -> str:
    return "<w:tbl><w:tblPr/><w:tblGrid/>" + "".join(rows) + "</w:tbl>"


def sdt(*content: str, properties: str = "") -> str:
    """A content control around ``content`` (paragraphs, rows, cells or runs)."""
    inner = "".join(content)
    return f"<w:sdt><w:sdtPr>{properties}</w:sdtPr><w:sdtContent>{inner}</w:sdtContent></w:sdt>"


def text_box(*paragraphs: str) -> str:
    """A run holding a text box as Word saves one: a drawing, and VML for older readers."""
    content = "<w:txbxContent>" + "".join(paragraphs) + "</w:txbxContent>"
    return (
        "<w:r><mc:AlternateContent>"
        '<mc:Choice Requires="wps"><w:drawing><wp:anchor><wp:docPr id="1" name="Text Box 1"/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/'
        f'wordprocessingShape"><wps:wsp><wps:txbx>{content}</wps:txbx><wps:bodyPr/></wps:wsp>'
        "</a:graphicData></a:graphic></wp:anchor></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:shape><v:textbox>{content}</v:textbox></v:shape></w:pict>"
        "</mc:Fallback></mc:AlternateContent></w:r>"
    )


def read(data: bytes, name: str = "a.docx") -> ArticleDraft:
    return read_bytes(data, name=name)


def paragraphs(draft: ArticleDraft) -> list[str]:
    return draft.text.split("\n\n")


def refusal(data: bytes, name: str = "a.docx") -> str:
    with pytest.raises(IngestError) as caught:
        read_bytes(data, name=name)
    message = str(caught.value)
    assert "\n" not in message
    return message


def saved(document: docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# -- tables inside tables ---------------------------------------------------------------


def procedure_document(steps: int) -> tuple[bytes, list[str]]:
    """A procedure laid out as Word templates do, and the paragraphs it should read as.

    A one-cell layout table holds the title, an introduction and a table of steps; every
    fifth step's cell holds a sign-off table of its own.
    """
    document = docx.Document()
    layout = document.add_table(rows=1, cols=1).cell(0, 0)
    layout.paragraphs[0].text = "Valve maintenance procedure"
    layout.paragraphs[0].style = document.styles["Title"]
    introduction = "Follow every step in order; sign each one off when it is done."
    layout.add_paragraph(introduction)
    table = layout.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Step"
    table.cell(0, 1).text = "Action"
    expected = [introduction, "Step | Action"]
    for number in range(1, steps + 1):
        row = table.add_row()
        action = f"{STEPS[number % len(STEPS)]} (step {number})"
        row.cells[0].text = str(number)
        row.cells[1].text = action
        if number % 5:
            expected.append(f"{number} | {action}")
            continue
        sign_off = _Cell.add_table(row.cells[1], rows=1, cols=2)
        sign_off.cell(0, 0).text = f"Checked by, step {number}"
        sign_off.cell(0, 1).text = "Signature"
        # A row with a table in a cell is layout: its cells' paragraphs come one by one.
        expected += [str(number), action, f"Checked by, step {number} | Signature"]
    return saved(document), expected


def test_a_procedure_laid_out_as_nested_tables_is_read_in_full() -> None:
    """A 1,409-word procedure in this layout was refused as "has no article text"."""
    data, expected = procedure_document(steps=100)
    draft = read(data, "procedure.docx")
    assert draft.title == "Valve maintenance procedure"
    assert paragraphs(draft) == expected
    assert len(draft.text.replace(" | ", " ").split()) > 1409


def test_tables_nested_three_deep_keep_every_cell() -> None:
    inner = tbl(tr("Lisbon", "2.1 million"), tr("Porto", "1.7 million"))
    middle = tbl(tr(tc("Metropolitan areas", inner)))
    body = p("Population figures quoted by the minister.") + tbl(tr(tc(middle), "Source: INE"))
    assert paragraphs(read(package(body))) == [
        "Population figures quoted by the minister.",
        "Metropolitan areas",
        "Lisbon | 2.1 million",
        "Porto | 1.7 million",
        "Source: INE",
    ]


def test_a_one_cell_layout_table_keeps_its_paragraphs_apart() -> None:
    body = tbl(tr(tc(p("The minister spoke on Monday."), p("She denied the report."))))
    assert paragraphs(read(package(body))) == [
        "The minister spoke on Monday.",
        "She denied the report.",
    ]


def test_a_data_row_with_a_cell_of_two_paragraphs_stays_one_row() -> None:
    body = p("Costs:") + tbl(tr("Bridge", tc(p("1.2 billion"), p("(estimate)"))))
    assert paragraphs(read(package(body))) == ["Costs:", "Bridge | 1.2 billion (estimate)"]


# -- content controls -------------------------------------------------------------------


def drop_down(chosen: str, *, kind: str = "dropDownList") -> str:
    items = "".join(
        f'<w:listItem w:displayText="{item}" w:value="{item}"/>'
        for item in ("Pending", "Confirmed", "Disputed")
    )
    return sdt(run(chosen), properties=f'<w:alias w:val="Verdict"/><w:{kind}>{items}</w:{kind}>')


def test_content_controls_keep_their_text_wherever_they_are() -> None:
    body = (
        sdt(p("The council approved the budget on Tuesday."))  # around a paragraph
        + p("Turnout was ", sdt(run("62 per cent")), " according to officials.")  # in a line
        + tbl(
            tr("Item", "Cost"),
            sdt(tr("Roads", "4.1 million")),  # around a row (a repeating section)
            tr(sdt(tc("Schools")), tc(sdt(p("2.3 million")))),  # around and in a cell
        )
    )
    assert paragraphs(read(package(body))) == [
        "The council approved the budget on Tuesday.",
        "Turnout was 62 per cent according to officials.",
        "Item | Cost",
        "Roads | 4.1 million",
        "Schools | 2.3 million",
    ]


@pytest.mark.parametrize("kind", ["dropDownList", "comboBox"])
def test_a_drop_down_gives_its_chosen_value_only(kind: str) -> None:
    body = p("The claim was checked last week.") + tbl(
        tr("Claim", "Verdict"),
        tr("Turnout was 62 per cent", tc(p(drop_down("Confirmed", kind=kind)))),
    )
    draft = read(package(body))
    assert paragraphs(draft)[1:] == ["Claim | Verdict", "Turnout was 62 per cent | Confirmed"]
    assert "Pending" not in draft.text
    assert "Disputed" not in draft.text


def test_a_control_showing_its_placeholder_and_a_table_of_contents_are_not_text() -> None:
    placeholder = sdt(
        p("Click or tap here to enter text."),
        properties='<w:placeholder><w:docPart w:val="DefaultPlaceholder"/></w:placeholder>'
        "<w:showingPlcHdr/>",
    )
    contents = sdt(
        p("Contents"),
        p("Background", "<w:r><w:tab/></w:r>", "1"),
        properties="<w:docPartObj><w:docPartGallery w:val='Table of Contents'/>"
        "<w:docPartUnique/></w:docPartObj>",
    )
    filled = sdt(p("Reported by Ana Ruiz."), properties='<w:showingPlcHdr w:val="false"/>')
    body = contents + p("Background", style="berschrift1") + p("The bridge opened.")
    body += placeholder + filled
    draft = read(package(body))
    assert draft.title == "Background"
    assert paragraphs(draft) == ["The bridge opened.", "Reported by Ana Ruiz."]


# -- text boxes -------------------------------------------------------------------------


def test_a_text_box_is_read_once_after_the_paragraph_that_holds_it() -> None:
    box = text_box(p("“We will not pay,” the mayor said."), p("Pull quote, page 2"))
    body = p("The city council met on Monday.", box) + p("The vote is due in May.")
    assert paragraphs(read(package(body))) == [
        "The city council met on Monday.",
        "“We will not pay,” the mayor said.",
        "Pull quote, page 2",
        "The vote is due in May.",
    ]


def test_text_boxes_in_vml_only_and_in_a_table_cell_are_read() -> None:
    vml = "<w:r><w:pict><v:shape><v:textbox><w:txbxContent>"
    vml += (
        p("Sidebar: how the vote works.") + "</w:txbxContent></v:textbox></v:shape></w:pict></w:r>"
    )
    body = p("The council met.", vml) + tbl(tr(tc(p("Chart", text_box(p("Source: the council."))))))
    assert paragraphs(read(package(body))) == [
        "The council met.",
        "Sidebar: how the vote works.",
        "Chart",
        "Source: the council.",
    ]


def test_alternate_content_falls_back_when_its_choice_has_no_text() -> None:
    picture_or_box = (
        '<w:r><mc:AlternateContent><mc:Choice Requires="wpg"><w:drawing/></mc:Choice>'
        "<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>"
        + p("Figures from the ministry.")
        + "</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>"
        "</mc:AlternateContent></w:r>"
    )
    body = p("The budget grew.", picture_or_box)
    assert paragraphs(read(package(body))) == ["The budget grew.", "Figures from the ministry."]


# -- merged cells -----------------------------------------------------------------------


def test_a_vertically_merged_cell_is_not_repeated_in_the_rows_it_covers() -> None:
    document = docx.Document()
    document.add_paragraph("Spending by region, as the ministry reported it.")
    table = document.add_table(rows=3, cols=2)
    for row, (region, cost) in enumerate([("North", "12"), ("", "15"), ("South", "9")]):
        table.cell(row, 0).text = region
        table.cell(row, 1).text = cost
    table.cell(0, 0).merge(table.cell(1, 0))
    assert paragraphs(read(saved(document))) == [
        "Spending by region, as the ministry reported it.",
        "North | 12",
        "15",
        "South | 9",
    ]


def test_covered_cells_holding_a_copy_of_the_merged_text_add_nothing() -> None:
    """Some converters repeat the merged cell's text in the cells it covers."""
    body = p("Spending by region.") + tbl(
        tr(tc("North", properties='<w:vMerge w:val="restart"/>'), "12"),
        tr(tc("North", properties="<w:vMerge/>"), "15"),
        tr(
            tc("Total", properties='<w:hMerge w:val="restart"/>'),
            tc("Total", properties="<w:hMerge/>"),
        ),
    )
    assert paragraphs(read(package(body))) == ["Spending by region.", "North | 12", "15", "Total"]


def test_a_horizontally_merged_cell_is_read_once() -> None:
    document = docx.Document()
    document.add_paragraph("Spending, as the ministry reported it.")
    table = document.add_table(rows=2, cols=3)
    for column, text in enumerate(["North", "South", "East"]):
        table.cell(0, column).text = text
    merged = table.cell(1, 0).merge(table.cell(1, 2))
    merged.text = "Total: 36 million"
    assert paragraphs(read(saved(document))) == [
        "Spending, as the ministry reported it.",
        "North | South | East",
        "Total: 36 million",
    ]


# -- what a paragraph's text is ---------------------------------------------------------


def test_tracked_changes_fields_and_links_read_as_word_shows_them() -> None:
    deleted = '<w:del w:id="1" w:author="A"><w:r><w:delText>1.1</w:delText></w:r></w:del>'
    inserted = f'<w:ins w:id="2" w:author="A">{run("1.2")}</w:ins>'
    moved_from = f'<w:moveFrom w:id="3" w:author="A">{run("In March, ")}</w:moveFrom>'
    moved_to = f'<w:moveTo w:id="4" w:author="A">{run(" in March")}</w:moveTo>'
    field = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> DATE \\@ "d MMMM yyyy" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        + run("15 March 2024")
        + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    link = f'<w:hyperlink xmlns:r="{RELATIONSHIPS[TRANSITIONAL]}" r:id="rId2">'
    link += run("the ministry") + "</w:hyperlink>"
    simple = f'<w:fldSimple w:instr=" AUTHOR ">{run("Ana Ruiz")}</w:fldSimple>'
    body = p(moved_from, "The bridge cost ", deleted, inserted, " billion euros", moved_to, ".")
    body += p("Updated ", field, " by ", simple, ", citing ", link, ".")
    body += p("Lines", "<w:r><w:br/></w:r>", "broken", "<w:r><w:tab/></w:r>", "here")
    assert paragraphs(read(package(body))) == [
        "The bridge cost 1.2 billion euros in March.",
        "Updated 15 March 2024 by Ana Ruiz, citing the ministry.",
        "Lines",
        "broken here",
    ]


# -- Strict Open XML --------------------------------------------------------------------


def test_a_strict_open_xml_document_is_read() -> None:
    body = (
        p("Ferry fares to rise", style="berschrift1")
        + p("Fares on the island ferries will rise by 8 per cent in June, the operator said.")
        + tbl(tr("Route", "Fare"), tr("Mainland", tc(p(drop_down("Confirmed")))))
        + p("Anchor.", text_box(p("Fares last rose in 2019.")))
    )
    data = package(body, namespace=STRICT, author="Ana Ruiz", created="2024-03-15T09:30:00Z")
    draft = read(data, "strict.docx")
    assert draft.title == "Ferry fares to rise"  # its heading style found in styles.xml
    assert draft.author == "Ana Ruiz"
    assert draft.published == "2024-03-15"
    assert paragraphs(draft) == [
        "Fares on the island ferries will rise by 8 per cent in June, the operator said.",
        "Route | Fare",
        "Mainland | Confirmed",
        "Anchor.",
        "Fares last rose in 2019.",
    ]


def test_the_creation_date_is_taken_in_utc_and_a_partial_date_is_no_date() -> None:
    body = p("The council met.") + p("It voted.")
    late = package(body, title="Council", created="2024-03-15T01:00:00+02:00")
    assert read(late).published == "2024-03-14"
    assert read(package(body, title="Council", created="2024-03")).published is None


# -- damaged and hostile files ----------------------------------------------------------


def test_a_package_whose_main_part_is_not_a_word_document_is_refused() -> None:
    workbook = package(p("Cells."), root="w:workbook")
    assert refusal(workbook, "sheet.docx") == "sheet.docx is not a valid .docx file"
    no_body = io.BytesIO()
    with zipfile.ZipFile(no_body, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert refusal(no_body.getvalue(), "empty.docx") == "empty.docx is not a valid .docx file"


@pytest.mark.parametrize(
    ("doctype", "reference"),
    [
        (  # a billion laughs, never expanded
            '<!DOCTYPE w:document [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>',
            "&d;",
        ),
        (  # an external entity, never fetched
            '<!DOCTYPE w:document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
            "&secret;",
        ),
    ],
)
def test_a_document_type_declaration_is_refused_not_expanded(doctype: str, reference: str) -> None:
    body = p(f"<w:r><w:t>The text {reference}</w:t></w:r>")
    data = package(body, doctype=doctype)
    assert refusal(data, "entities.docx") == "entities.docx is not a valid .docx file"


def test_xml_typed_as_a_picture_still_counts_against_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = "".join(p(f"Paragraph {index} about the troops.") for index in range(200))
    data = package(body, document_type="image/png")
    typed_xml = [
        member.file_size
        for member in zipfile.ZipFile(io.BytesIO(data)).infolist()
        if member.filename != "word/document.xml"
    ]
    monkeypatch.setattr(docx_reader, "MAX_XML_BYTES", sum(typed_xml) + 100)
    assert "too much XML" in refusal(data, "disguised.docx")


def test_a_refused_archive_is_never_opened_as_a_package(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[object] = []

    def spy(*args: object, **_: object) -> None:
        opened.append(args)
        raise AssertionError("the package was opened")

    monkeypatch.setattr(docx_reader, "_Package", spy)
    monkeypatch.setattr(docx_reader, "MAX_UNCOMPRESSED_BYTES", 2_000)
    body = "".join(p(f"Paragraph {index} about the troops.") for index in range(100))
    assert "zip bomb" in refusal(package(body))
    assert opened == []


# -- any layout: every word once, in order ----------------------------------------------


@dataclass
class Words:
    """Hands out words that occur nowhere else, and remembers their order."""

    given: list[str] = field(default_factory=list)

    def take(self, count: int) -> str:
        words = [f"w{len(self.given) + index}x" for index in range(count)]
        self.given += words
        return " ".join(words)


@dataclass(frozen=True)
class Para:
    words: int
    controlled: bool  # its text inside an inline content control


@dataclass(frozen=True)
class Control:
    blocks: list[Node]


@dataclass(frozen=True)
class Box:
    anchor_words: int  # the text of the paragraph that holds the box
    blocks: list[Node]


@dataclass(frozen=True)
class Table:
    rows: list[list[list[Node]]]


Node = Para | Control | Box | Table

PARAGRAPHS = st.builds(Para, st.integers(1, 4), st.booleans())
LAYOUTS: st.SearchStrategy[list[Node]] = st.recursive(
    st.lists(PARAGRAPHS, min_size=1, max_size=3),
    lambda inner: st.lists(
        st.one_of(
            PARAGRAPHS,
            st.builds(Control, inner),
            st.builds(Box, st.integers(1, 3), inner),
            st.builds(Table, st.lists(st.lists(inner, min_size=1, max_size=3), max_size=3)),
        ),
        min_size=1,
        max_size=3,
    ),
    max_leaves=12,
)


def render(blocks: list[Node], words: Words) -> str:
    """The body XML of ``blocks``, taking their words from ``words`` in reading order."""
    out = []
    for block in blocks:
        if isinstance(block, Para):
            text = run(words.take(block.words))
            out.append(p(sdt(text) if block.controlled else text))
        elif isinstance(block, Control):
            out.append(sdt(render(block.blocks, words)))
        elif isinstance(block, Box):
            anchor = run(words.take(block.anchor_words))
            out.append(p(anchor, text_box(render(block.blocks, words))))
        else:
            rows = (tr(*(tc(render(cell, words)) for cell in row)) for row in block.rows)
            out.append(tbl(*rows))
    return "".join(out)


@given(layout=LAYOUTS)
def test_every_word_of_any_layout_is_read_once_and_in_order(layout: list[Node]) -> None:
    words = Words()
    data = package(p("Layout test.") + render(layout, words), title="Layout test")
    assert re.findall(r"w\d+x", read(data).text) == words.given
