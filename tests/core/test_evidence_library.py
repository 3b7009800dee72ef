"""The evidence library: registering folders, indexing them (incremental, resumable, never
stopped by a bad file), and the passages suggested for a claim."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.cli_runner import run
from tests.core.test_ingest import make_pdf, text_page
from workbench import evidence_library
from workbench.engine import Engine
from workbench.errors import NotFoundError, ValidationError
from workbench.evidence_library import (
    LibraryIndexReport,
    add_folder,
    index_library,
    library_status,
    remove_folder,
    suggest_evidence,
)
from workbench.ingest import read_path
from workbench.nlp.encoder import ENCODER_DIR, ModelLoadError, SentenceEncoder
from workbench.passages import MAX_WORDS, split_passages
from workbench.store import Store

STATS = (
    "Labour market statistics\n\n"
    "The national statistics office reported that unemployment fell to 4.1 percent in"
    " March 2024, the lowest level since 2019. About 12,000 jobs were added in the"
    " construction sector alone, and wages rose by 3 percent over the year.\n\n"
    "Regional figures varied widely: the north recorded the highest rate, while the capital"
    " recorded the lowest. The office will publish its next report, with the figures"
    " for April and May, in the middle of June.\n\n"
    "How the survey works: every quarter, interviewers ask about forty thousand"
    " households whether their members worked for pay in the week before, looked for"
    " work, or were available to start within two weeks. Answers are weighted to match"
    " the population by age, sex and region, and the estimates are revised each spring"
    " when the census projections are updated. Sampling error is about two tenths of a"
    " point either way for the national rate, more for the regions.\n"
)
HEALTH = (
    "# Hospital capacity\n\n"
    "The ministry of health said that 300 hospital beds were closed in the northern"
    " region last winter because of staff shortages.\n"
)
BRIDGE = (
    "<html><head><title>Bridge inquiry</title></head><body><article>"
    "<h1>Bridge inquiry</h1><p>The regional transport authority found that the new bridge"
    " cost 1.2 billion euros, twice the budget approved by parliament in 2015.</p>"
    "</article></body></html>"
)
CLAIM = "Unemployment fell to 3.9 percent in March 2024, the lowest level since 2019."


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder(ENCODER_DIR)


def _no_encoder() -> SentenceEncoder:
    raise ModelLoadError("not in this test")


@pytest.fixture
def engine() -> Iterator[Engine]:
    """An engine without a sentence encoder: the library is searched by words alone."""
    with Engine(encoder=_no_encoder) as built:
        yield built


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "trusted"
    (docs / "health").mkdir(parents=True)
    (docs / "stats.txt").write_text(STATS, encoding="utf-8")
    (docs / "health" / "beds.md").write_text(HEALTH, encoding="utf-8")
    (docs / "bridge.html").write_text(BRIDGE, encoding="utf-8")
    (docs / "notes.xyz").write_text("not a document the readers know", encoding="utf-8")
    (docs / ".hidden.txt").write_text("a hidden file is not read", encoding="utf-8")
    return docs


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "wb.db", user="tester") as s:
        yield s


def indexed(store: Store, folder: Path, engine: Engine) -> evidence_library.LibraryIndexReport:
    add_folder(store, folder)
    return index_library(store, engine=engine)


def titles(found: list[evidence_library.EvidenceSuggestion]) -> list[str]:
    return [s.title for s in found]


# -- passages -----------------------------------------------------------------------------


def test_passages_hold_every_word_and_point_into_the_text() -> None:
    sentence = "Dr. Smith said the U.S. economy grew by 2.5 percent in Jan. 2024 as expected. "
    text = "A short heading\n\n" + sentence * 30 + "\n\nA last line of four words."
    passages = split_passages(text)
    assert " ".join(text[p.start : p.end] for p in passages).split() == text.split()
    assert all(p.words <= MAX_WORDS for p in passages)
    # The long paragraph is cut at sentence ends, never after "Dr." "U.S." or "Jan.".
    for p in passages:
        piece = text[p.start : p.end]
        assert not piece.endswith(("Dr.", "U.S.", "Jan."))
        assert piece == piece.strip()
    assert text[passages[0].start :].startswith("A short heading")  # joined to what follows


def test_one_endless_sentence_is_cut_between_words() -> None:
    text = " ".join(f"word{n}" for n in range(400))
    passages = split_passages(text)
    assert len(passages) >= 3 and all(p.words <= MAX_WORDS for p in passages)
    assert " ".join(text[p.start : p.end] for p in passages) == text


# -- registering folders ------------------------------------------------------------------


def test_a_folder_must_exist_and_be_a_folder(store: Store, folder: Path, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        add_folder(store, tmp_path / "nowhere")
    with pytest.raises(ValidationError, match="is a file, not a folder"):
        add_folder(store, folder / "stats.txt")
    add_folder(store, folder)
    with pytest.raises(ValidationError, match="already"):
        add_folder(store, folder)
    with pytest.raises(ValidationError, match="inside"):
        add_folder(store, folder / "health")
    with pytest.raises(NotFoundError):
        remove_folder(store, tmp_path / "nowhere")
    assert [f.path for f in store.library_folders()] == [str(folder.resolve())]


def test_a_parent_folder_takes_the_place_of_those_inside_it(
    store: Store, folder: Path, engine: Engine
) -> None:
    indexed(store, folder / "health", engine)
    added, replaced = add_folder(store, folder)
    assert replaced == [str((folder / "health").resolve())]
    report = index_library(store, engine=engine)
    assert [f.path for f in store.library_folders()] == [added.path]
    assert report.unchanged == 1 and report.read == 2  # beds.md was not read again


# -- indexing -----------------------------------------------------------------------------


def test_indexing_reads_every_document_into_passages(
    store: Store, folder: Path, engine: Engine
) -> None:
    report = indexed(store, folder, engine)
    assert (report.files, report.read, report.failed) == (3, 3, 0)
    documents = {Path(d.path).name: d for d in store.library_documents()}
    assert set(documents) == {"stats.txt", "beds.md", "bridge.html"}
    assert documents["stats.txt"].title == "Labour market statistics"
    for document in documents.values():
        text = read_path(document.path).text
        passages = store.library_passages(document.id)
        assert passages and all(text[p.start : p.end] == p.text for p in passages)
    assert library_status(store).passages == sum(d.passages for d in documents.values())
    assert report.semantic  # no encoder in this engine: it says why nothing was embedded


def test_the_summary_counts_in_words_a_person_reads() -> None:
    """A folder of one document was "1 documents in 1 folder; 1 read (1 passages)"."""
    counts = dict.fromkeys(
        ("folders", "files", "unchanged", "read", "failed", "removed", "passages",
         "embedded", "remaining", "to_embed"), 0
    )  # fmt: skip
    one = LibraryIndexReport(
        **{**counts, "folders": 1, "files": 1, "read": 1, "passages": 1, "embedded": 1},
        seconds=0.1,
    )
    assert one.summary() == "1 document in 1 folder; 1 read (1 passage); 1 passage embedded"
    many = LibraryIndexReport(
        **{**counts, "folders": 2, "files": 300, "unchanged": 300, "to_embed": 2_554},
        seconds=0.1,
    )
    assert many.summary() == (
        "300 documents in 2 folders; 300 unchanged; 2,554 passages still to embed"
    )


def test_indexing_again_skips_unchanged_files_and_follows_changes(
    store: Store, folder: Path, engine: Engine
) -> None:
    indexed(store, folder, engine)
    again = index_library(store, engine=engine)
    assert (again.unchanged, again.read, again.removed) == (3, 0, 0)

    (folder / "stats.txt").write_text(STATS.replace("4.1 percent", "4.4 percent"), "utf-8")
    os.utime(folder / "bridge.html", ns=(1, 1))  # a new time, the same bytes
    (folder / "health" / "beds.md").unlink()
    (folder / "new.txt").write_text("Ferry traffic doubled to 40,000 cars in 2023.", "utf-8")
    report = index_library(store, engine=engine)
    assert (report.read, report.unchanged, report.removed) == (2, 1, 1)
    names = {Path(d.path).name for d in store.library_documents()}
    assert names == {"stats.txt", "bridge.html", "new.txt"}
    found = suggest_evidence(store, CLAIM, engine=engine)
    assert "4.4 percent" in found[0].text and "4.1 percent" not in found[0].text
    assert not suggest_evidence(store, "hospital beds closed by the ministry", engine=engine)
    assert index_library(store, engine=engine).unchanged == 3  # the new time was recorded


def test_a_file_that_cannot_be_read_is_recorded_and_skipped(
    store: Store, folder: Path, engine: Engine
) -> None:
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 this is not really a PDF")
    (folder / "empty.txt").write_bytes(b"")
    report = indexed(store, folder, engine)
    assert (report.read, report.failed) == (3, 2)
    errors = dict(report.errors)
    assert set(map(lambda p: Path(p).name, errors)) == {"broken.pdf", "empty.txt"}
    assert all(message and "\n" not in message for message in errors.values())
    stored = {Path(d.path).name: d.error for d in store.library_documents() if d.error}
    assert stored.keys() == {"broken.pdf", "empty.txt"}
    assert index_library(store, engine=engine).failed == 0  # not read again until it changes


def test_a_missing_folder_keeps_its_documents(
    store: Store, folder: Path, engine: Engine, tmp_path: Path
) -> None:
    indexed(store, folder, engine)
    folder.rename(tmp_path / "unplugged")
    report = index_library(store, engine=engine)
    assert report.removed == 0 and any("is missing" in p for p in report.problems)
    assert store.library_document_count() == 3


def test_a_cancelled_run_keeps_what_it_wrote_and_the_next_goes_on(
    store: Store, folder: Path, encoder: SentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence_library, "WRITE_PASSAGES", 1)  # a batch per document
    monkeypatch.setattr(evidence_library, "EMBED_BATCH", 1)
    add_folder(store, folder)
    first = index_library(
        store, encoder=encoder, cancel=lambda: store.library_document_count() >= 2
    )
    assert first.cancelled and (first.read, first.remaining) == (2, 1)
    assert store.library_document_count() == 2 and store.library_embedding_state().rows == 0

    # Reading goes on where it stopped; the run is cancelled as embedding begins.
    second = index_library(
        store, encoder=encoder, cancel=lambda: store.library_document_count() >= 3
    )
    assert (second.read, second.unchanged, second.remaining, second.embedded) == (1, 2, 0, 0)

    third = index_library(
        store, encoder=encoder, cancel=lambda: store.library_embedding_state().rows >= 1
    )
    assert (third.unchanged, third.embedded) == (3, 1)
    last = index_library(store, encoder=encoder)
    assert last.embedded == store.library_passage_count() - 1 and last.to_embed == 0


def test_edits_get_in_between_the_batches(
    store: Store, folder: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence_library, "WRITE_PASSAGES", 1)
    add_folder(store, folder)
    with Store(store.path, check=False) as other:
        other.conn.execute("PRAGMA busy_timeout = 0")  # refused at once if the lock is held
        saved = []

        def edit() -> bool:
            # Called between files: no transaction of the indexer may be open.
            other.set_setting("test.counter", str(len(saved)))
            saved.append(True)
            return False

        report = index_library(store, engine=engine, cancel=edit)
    assert report.read == 3 and len(saved) >= 3


def test_pdf_passages_know_their_page(store: Store, tmp_path: Path, engine: Engine) -> None:
    first = [
        (720 - 14 * i, f"Line {i} of the budget summary says spending rose.") for i in range(9)
    ]
    second = [(720, "The second page reports that the ferry subsidy was cut to 40 million euros.")]
    second += [(706 - 14 * i, f"Line {i} of the transport annex lists routes.") for i in range(9)]
    docs = tmp_path / "pdfs"
    docs.mkdir()
    (docs / "budget.pdf").write_bytes(make_pdf([text_page(first), text_page(second)]))
    indexed(store, docs, engine)
    [found] = suggest_evidence(
        store, "The ferry subsidy was cut to 40 million euros", engine=engine
    )
    assert found.page == 2
    text = read_path(docs / "budget.pdf").text
    assert text[found.start : found.end] == found.text


# -- suggestions --------------------------------------------------------------------------


def test_the_right_passage_comes_first_with_shared_terms_and_a_conflict(
    store: Store, folder: Path, engine: Engine
) -> None:
    indexed(store, folder, engine)
    found = suggest_evidence(store, CLAIM, engine=engine)
    best = found[0]
    assert best.title == "Labour market statistics"
    assert "unemployment fell to 4.1 percent" in best.text
    shared = {t.text.lower() for t in best.shared}
    assert {"unemployment", "march", "2024", "2019"} <= shared
    for term in best.shared:
        for start, end in term.archive_spans:
            assert best.text[start:end].lower() == term.text.lower()
        for start, end in term.query_spans:
            assert CLAIM[start:end].lower() == term.text.lower()
    assert [str(c) for c in best.conflicts] == ["3.9 percent vs 4.1 percent"]
    assert best.text[slice(*best.conflicts[0].archive_span)] == "4.1 percent"
    assert best.after.startswith("How the survey works")  # context, to re-find a quote
    assert 0.0 < best.score <= 1.0


def test_a_claim_in_other_words_is_found_by_its_meaning(
    store: Store, folder: Path, encoder: SentenceEncoder
) -> None:
    with Engine(encoder=lambda: encoder) as engine:
        indexed(store, folder, engine)
        claim = "Medical wards lost hundreds of places in the north during the cold months."
        by_words = suggest_evidence(store, claim, engine=engine, semantic=False, min_score=0)
        found = suggest_evidence(store, claim, engine=engine, min_score=0)
        shared = suggest_evidence(store, "Hospitals closed 300 beds in winter", engine=engine)
    assert "Hospital capacity" not in titles(by_words)  # not one word in common
    assert found[0].title == "Hospital capacity" and found[0].cosine is not None
    assert found[0].score < evidence_library.MIN_SCORE  # meaning alone is not enough to show it
    assert shared[0].title == "Hospital capacity" and shared[0].score > 0.5


def test_suggestions_are_few_per_document_and_none_for_an_empty_library(
    store: Store, folder: Path, engine: Engine
) -> None:
    assert suggest_evidence(store, CLAIM, engine=engine) == []
    long_stats = "\n\n".join(STATS.replace("4.1", f"4.{n}") * 3 for n in range(6))
    (folder / "stats.txt").write_text(long_stats, encoding="utf-8")
    indexed(store, folder, engine)
    found = suggest_evidence(store, CLAIM, engine=engine, limit=10)
    per_document = [s.path for s in found]
    assert max(per_document.count(p) for p in per_document) == evidence_library.PER_DOCUMENT
    assert len(suggest_evidence(store, CLAIM, engine=engine, per_document=0)) > len(found)


def test_removing_a_folder_forgets_its_documents(
    store: Store, folder: Path, engine: Engine
) -> None:
    indexed(store, folder, engine)
    assert remove_folder(store, folder) == 3
    assert store.library_folders() == [] and store.library_document_count() == 0
    assert suggest_evidence(store, CLAIM, engine=engine) == []
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT COUNT(*) FROM library_fts").fetchone()[0] == 0
    conn.close()


# -- the command line ---------------------------------------------------------------------


def test_the_command_line_registers_indexes_and_suggests(folder: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    code, out = run("--db", db, "library", "add", str(folder))
    assert code == 0 and "3 read" in out
    code, out = run("--db", db, "library", "list", "--json")
    [listed] = json.loads(out)
    assert listed["documents"] == 3 and listed["passages"] >= 3 and listed["unreadable"] == []
    code, out = run("--db", db, "analyze", str(folder / "stats.txt"), "--json")
    claim = next(c for c in json.loads(out)["claims"] if "unemployment" in c["text"])
    code, out = run("--db", db, "evidence", str(claim["id"]), "--json", "--top", "2")
    suggestions = json.loads(out)["suggestions"]
    assert code == 0 and suggestions[0]["document"]["title"] == "Labour market statistics"
    passage = suggestions[0]["passage"]
    text = read_path(folder / "stats.txt").text
    assert text[passage["start"] : passage["end"]] == passage["text"]
    code, out = run("--db", db, "evidence", str(claim["id"]))
    assert code == 0 and out.startswith("1. ") and "shared:" in out
    code, out = run("--db", db, "library", "remove", str(folder))
    assert code == 0 and "3 documents forgotten" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["library", "add", "{tmp}/nowhere"], "does not exist"),
        (["library", "add", "{folder}/stats.txt"], "is a file, not a folder"),
        (["library", "remove", "{tmp}/nowhere"], "is not a folder of the evidence library"),
        (["library", "index"], "the evidence library is empty"),
        (["evidence", "999"], "no claim with id 999"),
        (["evidence", "1", "--top", "0"], "--top must be at least 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    argv = [a.format(tmp=tmp_path, folder=folder) for a in args]
    Store(tmp_path / "cli.db").close()
    code, out = run("--db", str(tmp_path / "cli.db"), *argv)
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("workbench: error:") and message in err


def test_terminal_output_loses_control_characters(folder: Path, tmp_path: Path) -> None:
    hostile = "The ministry said 300 hospital beds were closed \u202e in the north."
    (folder / "health" / "beds.md").write_text(hostile, encoding="utf-8")
    db = str(tmp_path / "cli.db")
    run("--db", db, "library", "add", str(folder))
    code, out = run("--db", db, "analyze", str(folder / "health" / "beds.md"), "--json")
    claim_id = json.loads(out)["claims"][0]["id"]
    code, out = run("--db", db, "evidence", str(claim_id))
    assert code == 0 and "hospital beds" in out and "\u202e" not in out


def test_a_file_name_with_a_line_break_stays_on_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name with a newline split the command's output, so a hostile name could forge a line."""
    docs = tmp_path / "trusted"
    docs.mkdir()
    (docs / "evil\nforged line.pdf").write_bytes(b"not a pdf at all")
    db = str(tmp_path / "wb.db")
    code, out = run("library", "add", str(docs), "--db", db)
    assert code == 0
    code, out = run("library", "list", "--db", db)
    assert code == 0
    assert not any(line.startswith("forged line") for line in out.splitlines())
    assert any("evil forged line.pdf" in line for line in out.splitlines())


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_document_swapped_for_a_pipe_while_indexing_is_skipped_not_waited_for(
    tmp_path: Path,
) -> None:
    """The scan saw a regular file; by the time it was read it was a pipe, and the
    index waited for a writer for ever (found by an audit, replacing a file mid-index)."""
    pipe = tmp_path / "swapped.txt"
    os.mkfifo(pipe)
    result = evidence_library._read_document(evidence_library._File(str(pipe), 10, 0), "")
    assert (
        result is not None
        and result.error == "swapped.txt cannot be read (it is no longer a regular file)"
    )


def test_the_database_itself_in_a_library_folder_is_never_opened(
    store: Store, folder: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link in a trusted folder to the open database's files: reading it, then closing
    it, dropped the process's SQLite locks (POSIX locks go with any descriptor of the
    file), the way verdicts are lost (found by an audit)."""
    for suffix in ("", "-wal", "-shm"):
        (folder / f"notes{suffix or '-db'}.txt").symlink_to(f"{store.path}{suffix}")
    opened: list[str] = []
    real_open = os.open

    def watching_open(path: str, *args: int) -> int:
        opened.append(os.path.realpath(path))
        return real_open(path, *args)

    monkeypatch.setattr(evidence_library.os, "open", watching_open)
    report = indexed(store, folder, engine)
    assert not any(path.startswith(str(store.path)) for path in opened)
    assert report.failed == 0
    assert {Path(d.path).name for d in store.library_documents()}.isdisjoint(
        {"notes-db.txt", "notes-wal.txt", "notes-shm.txt"}
    )
    problems = [p for p in report.problems if "own database" in p]
    assert len(problems) == 3


@pytest.mark.parametrize("folder", ["/", "/proc", "/usr"])
def test_the_whole_disk_or_the_systems_folders_are_refused(store: Store, folder: str) -> None:
    with pytest.raises(ValidationError, match="the whole disk or the system's"):
        add_folder(store, folder)
    assert store.library_folders() == []
