"""Hostile input: every reader, fed arbitrary bytes and damaged valid files.

Each example must give a result or a one-line :class:`WorkbenchError`, never another
exception. The number of examples comes
from the Hypothesis profile (``tests/conftest.py``): ``ci`` by default, ``long`` with
``HYPOTHESIS_PROFILE=long``. A refused import must leave the database unchanged.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.test_ingest import article_pdf
from workbench.archive import import_archive, read_archive
from workbench.cli import main
from workbench.errors import IngestError, WorkbenchError
from workbench.ingest import read_bytes
from workbench.store import Store

ARTICLE = (
    "Troops from the North\n\n"
    "North Korea sent some 12,000 troops to Russia, the minister said on Wednesday.\n\n"
    "On Thursday, 70 lawmakers introduced a resolution urging the government to act.\n"
)
HTML = (
    "<!doctype html><html><head><title>Troops</title>"
    '<script src="https://evil.example/x.js"></script>'
    '<meta name="author" content="A. Writer"></head><body><article><h1>Troops</h1>'
    '<p onclick="alert(1)">North Korea sent some 12,000 troops to Russia, the minister said.</p>'
    '<img src="https://tracker.example/p.gif"><script>alert("x")</script>'
    "<p>On Thursday, 70 lawmakers introduced a resolution.</p></article></body></html>"
)
MARKDOWN = "---\ntitle: Troops\n---\n# Troops\n\n*North Korea* sent [12,000](http://x) troops.\n"
JSONL = "\n".join(
    json.dumps({"id": str(i), "text": f"Claim {i} about 12,000 troops", "verdict": "False"})
    for i in range(5)
)
CSV = (
    'id,text,verdict,url,date\n1,Claim one,False,https://x.org,2024-01-02\n2,"Two, quoted",True,,\n'
)
CLAIMREVIEW = json.dumps(
    {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": "North Korea sent 12,000 troops",
        "reviewRating": {"@type": "Rating", "alternateName": "False"},
        "url": "https://example.org/check",
        "datePublished": "2024-11-01",
        "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "X"}},
    }
)


def make_docx() -> bytes:
    document = docx.Document()
    document.add_heading("Troops from the North", level=1)
    for paragraph in ARTICLE.split("\n\n")[1:]:
        document.add_paragraph(paragraph.strip())
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "troops"
    table.rows[0].cells[1].text = "12,000"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


SEEDS: dict[str, bytes] = {
    "txt": ARTICLE.encode("utf-8"),
    "md": MARKDOWN.encode("utf-8"),
    "html": HTML.encode("utf-8"),
    "docx": make_docx(),
    "pdf": article_pdf(),
}
ARCHIVE_SEEDS: dict[str, bytes] = {
    "jsonl": JSONL.encode("utf-8"),
    "csv": CSV.encode("utf-8-sig"),
    "json": CLAIMREVIEW.encode("utf-8"),
}


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few bytes flipped, runs deleted or duplicated, junk inserted, or cut."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "delete", "insert", "duplicate", "truncate"]))
        if kind == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif kind == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 512))]
        else:
            del data[at:]
    return bytes(data)


def inputs(seed: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(mutated(seed), st.binary(max_size=3000))


def check_article(data: bytes, name: str) -> None:
    try:
        draft = read_bytes(data, name=name)
    except IngestError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert draft.text.strip()


@pytest.fixture(scope="module", autouse=True)
def _warm_up() -> None:
    """Import every reader's libraries once, before the examples."""
    for ext, seed in SEEDS.items():
        read_bytes(seed, name=f"a.{ext}")


@given(data=inputs(SEEDS["txt"]))
def test_txt_reader(data: bytes) -> None:
    check_article(data, "a.txt")


@given(data=inputs(SEEDS["md"]))
def test_markdown_reader(data: bytes) -> None:
    check_article(data, "a.md")


@given(data=inputs(SEEDS["html"]))
def test_html_reader(data: bytes) -> None:
    check_article(data, "a.html")


@given(data=inputs(SEEDS["docx"]))
def test_docx_reader(data: bytes) -> None:
    check_article(data, "a.docx")


@given(data=inputs(SEEDS["pdf"]))
def test_pdf_reader(data: bytes) -> None:
    check_article(data, "a.pdf")


@given(data=st.one_of(*(mutated(seed) for seed in SEEDS.values())))
def test_sniffing_without_a_name(data: bytes) -> None:
    check_article(data, "")


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def store(scratch: Path) -> Iterator[Store]:
    with Store(scratch / "fuzz.db", user="fuzz") as opened:
        yield opened


def check_archive(store: Store, scratch: Path, data: bytes, suffix: str) -> None:
    """Reading gives records or an ImportFormatError; a refused import writes nothing."""
    path = scratch / f"archive{suffix}"
    path.write_bytes(data)
    try:
        parsed = read_archive(path)
    except WorkbenchError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert all(r.text.strip() for r in parsed.records)
    before = store.db.conn.total_changes
    try:
        import_archive(store, path, source="fuzz")
    except WorkbenchError:
        assert store.db.conn.total_changes == before  # all or nothing


@given(data=inputs(ARCHIVE_SEEDS["jsonl"]))
def test_jsonl_archive_reader(store: Store, scratch: Path, data: bytes) -> None:
    check_archive(store, scratch, data, ".jsonl")


@given(data=inputs(ARCHIVE_SEEDS["csv"]))
def test_csv_archive_reader(store: Store, scratch: Path, data: bytes) -> None:
    check_archive(store, scratch, data, ".csv")


@given(data=inputs(ARCHIVE_SEEDS["json"]))
def test_claimreview_archive_reader(store: Store, scratch: Path, data: bytes) -> None:
    check_archive(store, scratch, data, ".json")


@given(data=st.one_of(*(mutated(seed) for seed in ARCHIVE_SEEDS.values())))
def test_archive_format_guessed_without_a_suffix(store: Store, scratch: Path, data: bytes) -> None:
    check_archive(store, scratch, data, "")


@pytest.mark.parametrize(
    ("name", "data", "command"),
    [
        ("cut.pdf", SEEDS["pdf"][: len(SEEDS["pdf"]) // 2], "analyze"),
        ("cut.docx", SEEDS["docx"][:-200], "analyze"),
        ("bin.txt", b"\x00\x01\x02" * 100, "analyze"),
        ("broken.jsonl", b'{"text": \n[1,2\n', "import"),
        ("broken.json", b'{"@type": "ClaimReview", ', "import"),
    ],
)
def test_refused_input_leaves_the_database_byte_identical(
    tmp_path: Path, name: str, data: bytes, command: str
) -> None:
    db = tmp_path / "wb.db"
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    assert main(["analyze", str(good), "--db", str(db)], out=io.StringIO()) == 0
    before = db.read_bytes()
    bad = tmp_path / name
    bad.write_bytes(data)
    assert main([command, str(bad), "--db", str(db)], out=io.StringIO()) == 2
    assert db.read_bytes() == before
