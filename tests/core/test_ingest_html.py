"""What a fact-checker sees of a saved page or a .txt: list numbers, titles, outlets,
copyright lines, and a warning when most of a page was left out.

Every page is written here; nothing is fetched.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.core.cli_runner import run
from workbench.ingest import read_bytes, read_path, read_text
from workbench.ingest.assemble import short_reading_warning

SENTENCE = (
    "The parliament passed the budget on Tuesday after a debate that lasted until dawn, "
    "the speaker said in a statement to reporters outside the building."
)
BODY = "".join(f"<p>{SENTENCE} It was point {n} of the report.</p>" for n in range(4))


def page(title: str, *, head: str = "", body: str = BODY, h1: str = "") -> str:
    heading = f"<h1>{h1}</h1>" if h1 else ""
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head>"
        f"<body><article>{heading}{body}</article></body></html>"
    )


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


# -- numbered lists ---------------------------------------------------------------------


def test_numbered_list_items_keep_their_numbers() -> None:
    html = page(
        "Five findings of the inquiry",
        h1="Five findings of the inquiry",
        body=(
            f"<p>{SENTENCE}</p>"
            "<ol><li>The ministry overspent by 12 million euros.</li>"
            "<li>Two contracts were signed without a tender.</li></ol>"
            "<p>The report lists what should change:</p>"
            "<ul><li>1. Publish all contracts online.</li><li>2) Hire an auditor.</li>"
            "<li>Report to parliament every year.</li></ul>"
            "<p>3. The minister was not informed, the report says in its third point.</p>"
            "<p>More steps follow:</p>"
            '<ol start="4"><li>Review the tenders.</li><li>Name a new director.</li></ol>'
            f"<p>{SENTENCE}</p>"
        ),
    )
    text = paragraphs(read_text(html).text)
    assert text[1:3] == [
        "1. The ministry overspent by 12 million euros.",
        "2. Two contracts were signed without a tender.",
    ]
    # numbers typed into the text stay; bullets of an unordered list do not show
    assert text[4:7] == [
        "1. Publish all contracts online.",
        "2) Hire an auditor.",
        "Report to parliament every year.",
    ]
    assert "3. The minister was not informed, the report says in its third point." in text
    assert "4. Review the tenders." in text and "5. Name a new director." in text
    assert not any(line.startswith(("- ", "• ")) for line in text)


def test_list_first_page_is_not_titled_by_its_number() -> None:
    draft = read_text("<html><body><ol><li>Publish the contracts.</li><li>Hire.</li></ol>")
    assert draft.text == "1. Publish the contracts.\n\n2. Hire."
    assert draft.title == "Publish the contracts."


# -- copyright lines --------------------------------------------------------------------

NOTICE = "© 2024 Example Media. All rights reserved"
BIO = "<p>Ana Ruiz is the paper's political correspondent and has covered parliament for years.</p>"


@pytest.mark.parametrize(
    "layout",
    [
        f"{BODY}<p>{NOTICE}</p>",
        f"{BODY}<p>{NOTICE}</p>{BIO}",  # above the author's bio
        f"<p>{NOTICE}</p>{BODY}",  # at the top
        f"{BODY[: len(BODY) // 2]}<p>{NOTICE}</p>{BODY[len(BODY) // 2 :]}",  # in the middle
        f"{BODY}<div>Copyright 2024 Example Media Ltd. All rights reserved.</div>{BIO}",
        f"{BODY}<p>By Ana Ruiz<br>Copyright © 2024 Example Media</p>",
    ],
)
def test_copyright_notice_is_never_body_text(layout: str) -> None:
    text = read_text(page("Budget passes", body=layout)).text
    assert "rights reserved" not in text.casefold()
    assert "©" not in text and "Copyright 2024" not in text
    assert SENTENCE in text


def test_sentences_about_copyright_stay() -> None:
    sentences = [
        "Copyright law was changed in 2019, the court said.",
        "The court said (c) the third option was void.",
        'The label on the box said "All rights reserved".',
    ]
    text = read_text("Ruling on the archive\n\n" + "\n\n".join([*sentences, SENTENCE])).text
    assert paragraphs(text) == [*sentences, SENTENCE]


def test_copyright_in_pasted_text_goes_wherever_it_is() -> None:
    text = read_text("\n\n".join(["Budget passes", SENTENCE, NOTICE, SENTENCE + " Again."])).text
    assert paragraphs(text) == [SENTENCE, SENTENCE + " Again."]


# -- titles and outlets -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "headline", "outlet"),
    [
        ("Budget passes – The Daily Ledger", "Budget passes", "The Daily Ledger"),
        ("Budget passes - The Daily Ledger", "Budget passes", "The Daily Ledger"),
        ("Budget passes | The Daily Ledger", "Budget passes", "The Daily Ledger"),
        ("Budget passes · BBC News", "Budget passes", "BBC News"),
        ("Budget passes | Politics | The Daily Ledger", "Budget passes", "The Daily Ledger"),
        (
            "Guerre en Ukraine : Zelensky appelle à l'aide - Le Monde",
            "Guerre en Ukraine : Zelensky appelle à l'aide",
            "Le Monde",
        ),
    ],
)
def test_site_name_leaves_the_title_for_the_outlet(title: str, headline: str, outlet: str) -> None:
    draft = read_text(page(title))
    assert (draft.title, draft.source) == (headline, outlet)


@pytest.mark.parametrize(
    "title",
    [
        "Biden - Trump debate: what we learned",
        "Biden - Trump Debate",
        "Budget passes — opposition walks out",
        "Trump Wins - Biden Concedes",  # Title Case: the second half is no site name
    ],
)
def test_a_dash_inside_a_headline_stays(title: str) -> None:
    draft = read_text(page(title))
    assert draft.title == title
    assert draft.source == ""


def test_site_name_confirmed_by_og_site_name_host_or_headline() -> None:
    # after a Title Case headline, two capitalised words could be its second half ...
    unnamed = read_text(page("Senate Votes On Budget - Daily Ledger"))
    assert (unnamed.title, unnamed.source) == ("Senate Votes On Budget - Daily Ledger", "")
    # ... unless the page names its site so
    named = read_text(
        page(
            "Senate Votes On Budget - Daily Ledger",
            head='<meta property="og:site_name" content="The Daily Ledger">',
        )
    )
    assert (named.title, named.source) == ("Senate Votes On Budget", "The Daily Ledger")
    hosted = read_text(
        page(
            "Senate Votes On Budget - Daily Ledger Online",
            head='<link rel="canonical" href="https://www.dailyledger.com/budget">',
        )
    )
    assert (hosted.title, hosted.source) == ("Senate Votes On Budget", "Daily Ledger Online")
    # the page's own headline is the part before the dash: the rest names the site
    headed = read_text(page("Budget passes - The Daily Ledger", h1="Budget passes"))
    assert (headed.title, headed.source) == ("Budget passes", "The Daily Ledger")


def test_site_name_before_the_headline_needs_confirmation() -> None:
    site = '<meta property="og:site_name" content="The Daily Ledger">'
    draft = read_text(page("The Daily Ledger | Budget passes after a long night", head=site))
    assert (draft.title, draft.source) == ("Budget passes after a long night", "The Daily Ledger")
    kicker = read_text(page("Analysis | Budget passes after a long night"))
    assert kicker.title == "Analysis | Budget passes after a long night"


def test_outlet_from_metadata_wins_over_the_title(tmp_path: Path) -> None:
    head = '<meta property="og:site_name" content="Ledger Media Group">'
    path = tmp_path / "budget.html"
    path.write_text(page("Budget passes - The Daily Ledger", head=head), encoding="utf-8")
    draft = read_path(path)
    assert (draft.title, draft.source) == ("Budget passes", "Ledger Media Group")


# -- short extraction warning -----------------------------------------------------------

COLUMN = "".join(
    f"<p>Paragraph {n}: the council's decision to close the library was short-sighted, and "
    "residents deserve better answers than the ones they were given at the meeting.</p>"
    for n in range(60)
)
CAPTION = (
    "<p>Residents protest outside the library on Tuesday, holding signs. (Photo: Ana Ruiz)</p>"
)
# trafilatura leaves out everything inside <figure>: here the column's whole body.
COLUMN_PAGE = page(
    "Close the library? Think again",
    h1="Close the library? Think again",
    body=f"{CAPTION}<figure>{COLUMN}</figure>",
)


def test_page_reduced_to_a_caption_is_read_with_a_warning() -> None:
    draft = read_text(COLUMN_PAGE)
    assert draft.text.startswith("Residents protest outside the library")
    assert len(draft.warnings) == 1
    warning = draft.warnings[0]
    assert warning.startswith(f"Only {len(draft.text.split())} of about 1,")
    assert warning.endswith(
        "words on the page were kept as the article: check the text against the original."
    )
    assert "\n" not in warning


def test_whole_article_has_no_warning() -> None:
    assert read_text(page("Budget passes - The Daily Ledger")).warnings == ()
    assert read_text("Budget passes\n\n" + SENTENCE).warnings == ()
    assert read_bytes(COLUMN.encode(), name="column.html").warnings == ()


@pytest.mark.parametrize(
    ("kept", "seen", "warned"),
    [(24, 1873, True), (24, 200, False), (400, 1900, False), (300, 1900, True)],
)
def test_warning_needs_a_small_share_and_many_words_left_out(
    kept: int, seen: int, warned: bool
) -> None:
    warning = short_reading_warning(kept, seen, on_page=True)
    assert (warning is not None) == warned
    if kept == 24 and warning:
        assert warning.startswith("Only 24 of about 1,900 words on the page were kept")


def test_cli_prints_the_warning_and_still_analyses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "column.html"
    path.write_text(COLUMN_PAGE, encoding="utf-8")
    code, out = run("analyze", str(path), "--db", str(tmp_path / "w.db"))
    assert code == 0
    assert "stored as article 1" in out
    lines = capsys.readouterr().err.splitlines()
    warnings = [line for line in lines if "warning: " in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("workbench: warning: Only ")
    assert warnings[0].endswith("check the text against the original.")


# -- .txt titles ------------------------------------------------------------------------

WRAPPED = textwrap.fill(SENTENCE * 3, 72) + "\n\n" + textwrap.fill(SENTENCE * 2, 72)


@pytest.mark.parametrize(
    "headline",
    [
        "Parliament passes the budget after a long night of debate",
        "Gov. Newsom signs the state budget into law",
        "iPhone sales fall in Europe for a third quarter",
        "Recession? Not yet, says the central bank",
    ],
)
@pytest.mark.parametrize("gap", ["\n", "\n\n"])
def test_txt_headline_is_the_title_not_the_file_name(
    tmp_path: Path, headline: str, gap: str
) -> None:
    path = tmp_path / "budget-story.txt"
    path.write_text(headline + gap + WRAPPED, encoding="utf-8")  # without a blank line too
    draft = read_path(path)
    assert draft.title == headline
    assert draft.text.startswith("The parliament passed the budget")
    assert headline not in draft.text


def test_txt_without_headline_keeps_the_file_name(tmp_path: Path) -> None:
    caption = "The minister speaks at the committee on Thursday. (Yonhap)"
    path = tmp_path / "budget-story.txt"
    path.write_text(caption + "\n\n" + WRAPPED, encoding="utf-8")
    assert read_path(path).title == "budget story"
    wrapped_only = tmp_path / "wrapped_only.txt"
    wrapped_only.write_text(WRAPPED, encoding="utf-8")
    assert read_path(wrapped_only).title == "wrapped only"
