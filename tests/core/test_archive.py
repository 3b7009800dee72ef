"""The archive of past checks: reading each format, importing in batches, own verdicts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.archive import import_archive, parse_archive, parse_date, read_archive
from workbench.errors import ImportFormatError, ValidationError
from workbench.models import ArchiveRecord, ArticleDraft, DetectedClaim, Status
from workbench.past_checks import verdict_to_status
from workbench.store import Store, batches
from workbench.textsafety import http_url, json_line_blocks, json_lines, shown_url

from .test_store import snapshot

RECORDS = [
    {"id": "a1", "text": "North Korea sent 12,000 troops to Russia.", "verdict": "true",
     "url": "https://example.org/a1", "date": "2024-11-01", "speaker": "Minister"},
    {"id": "a2", "text": "Wind turbines cause cancer.", "verdict": "pants-fire",
     "title": "No, wind turbines do not cause cancer", "date": "May 3, 2019"},
    {"id": "a3", "text": "The minimum wage was raised to $15 in 2021.", "source": "PolitiFact"},
]  # fmt: skip

ARTICLE = "Officials said 12,000 troops from North Korea went to Russia.\n\nIt rained."


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "wb.db", user="tester") as s:
        yield s  # type: ignore[misc]


def write_jsonl(path: Path, rows: Sequence[object], extra_lines: Sequence[str] = ()) -> Path:
    lines = [json.dumps(r) for r in rows] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_records_keep_their_fields(tmp_path: Path) -> None:
    parsed = read_archive(write_jsonl(tmp_path / "checks.jsonl", RECORDS))
    assert parsed.format == "jsonl" and not parsed.skipped
    first, second, third = parsed.records
    assert first.external_id == "a1" and first.verdict == "true" and first.speaker == "Minister"
    assert second.date == "2019-05-03" and second.title.startswith("No, wind")
    assert third.publisher == "PolitiFact" and third.line == 3


def test_malformed_jsonl_lines_are_skipped_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "checks.jsonl"
    path.write_text(
        json.dumps(RECORDS[0]) + "\n{not json\n\n" + json.dumps({"id": "x"}) + "\n"
        '["a list"]\n' + json.dumps({"text": "   "}) + "\n" + json.dumps(RECORDS[1]) + "\n",
        encoding="utf-8",
    )
    parsed = read_archive(path)
    assert [r.external_id for r in parsed.records] == ["a1", "a2"]
    assert [n for n, _ in parsed.skipped] == [2, 4, 5, 6]
    assert "JSON" in parsed.skipped[0][1] and "text" in parsed.skipped[1][1]


def test_a_line_separator_inside_a_jsonl_record_does_not_split_it(tmp_path: Path) -> None:
    # JSON leaves U+2028, U+2029 and U+0085 unescaped in strings (pasted web text has
    # them); str.splitlines() would cut such a record in two and skip both halves.
    pasted = {"id": "p1", "text": "The minister said\u2028that 5% of jobs\u0085went\u2029abroad."}
    path = tmp_path / "checks.jsonl"
    path.write_text(
        json.dumps(pasted, ensure_ascii=False) + "\r\n{not json\r" + json.dumps(RECORDS[0]),
        encoding="utf-8",
    )
    parsed = read_archive(path)
    assert [r.external_id for r in parsed.records] == ["p1", "a1"]
    assert (
        parsed.records[0].text.startswith("The minister said")
        and "abroad" in parsed.records[0].text
    )
    assert [n for n, _ in parsed.skipped] == [2]  # line numbers still count every line


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "{}", " ", "\n", "\r", "\r\n", "\v", "\x1e", "\u2028", "\x85"]))
)
def test_json_lines_break_where_splitlines_does_but_inside_json_strings(parts: list[str]) -> None:
    text = "".join(parts)
    lines = json_lines(text)
    if lines[-1] == "":
        lines.pop()  # splitlines() gives no empty line after a final break
    kept = {"\u2028": "L", "\x85": "N"}  # JSON strings may hold these: no break there
    masked = text.translate(str.maketrans(kept))
    assert [line.translate(str.maketrans(kept)) for line in lines] == masked.splitlines()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "{}", "\n", "\r", "\r\n", "\v", "\x1e", "\u2028"])),
    st.integers(min_value=1, max_value=4),
)
def test_json_line_blocks_hold_the_same_lines(parts: list[str], size: int) -> None:
    text = "".join(parts)
    blocks = json_line_blocks(text, size=size)
    assert [line for block in blocks for line in json_lines(block)] == json_lines(text)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_a_spreadsheets_unicode_text_export_is_read(tmp_path: Path, encoding: str) -> None:
    # Excel's "Unicode text": UTF-16 with a byte-order mark, columns separated by tabs.
    table = "id\ttext\tverdict\r\nx1\tExports fell 5%, the ministry said.\tfalse\r\n"
    path = tmp_path / "checks.txt"
    path.write_bytes("\ufeff".encode(encoding) + table.encode(encoding))
    (record,) = read_archive(path).records
    assert (record.external_id, record.verdict) == ("x1", "false")
    assert record.text == "Exports fell 5%, the ministry said."


def test_csv_with_bom_and_header(tmp_path: Path) -> None:
    path = tmp_path / "checks.csv"
    path.write_bytes(
        "\ufeffid,text,verdict,url\n"
        'c1,"Wind turbines cause cancer, a post says.",false,https://example.org/c1\n'
        "c2,,false,\n"
        "c3,too,many,fields,here\n"
        "c4,Vaccines contain microchips.,false,\n".encode()
    )
    parsed = read_archive(path)
    assert parsed.format == "csv"
    assert [r.external_id for r in parsed.records] == ["c1", "c4"]
    assert parsed.records[0].text == "Wind turbines cause cancer, a post says."
    assert [n for n, _ in parsed.skipped] == [3, 4]


def test_csv_without_text_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "checks.csv"
    path.write_text("id,claim\n1,Something\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="no 'text' column"):
        read_archive(path)


def claim_review(text: str, rating: str, url: str) -> dict[str, object]:
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": text,
        "datePublished": "2020-06-01",
        "author": {"@type": "Organization", "name": "Example Checks"},
        "reviewRating": {"@type": "Rating", "ratingValue": 1, "alternateName": rating},
        "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "A Senator"}},
    }


@pytest.mark.parametrize("shape", ["single", "array", "graph", "feed"])
def test_claimreview_documents(tmp_path: Path, shape: str) -> None:
    one = claim_review("Wind turbines cause cancer.", "False", "https://example.org/r1")
    two = claim_review("Crime fell 10% in 2019.", "Mostly True", "https://example.org/r2")
    doc: object = {
        "single": one,
        "array": [one, two],
        "graph": {"@context": "https://schema.org", "@graph": [one, two]},
        "feed": {
            "@type": "DataFeed",
            "dataFeedElement": [{"@type": "DataFeedItem", "item": one}, two],
        },
    }[shape]
    path = tmp_path / "reviews.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    parsed = read_archive(path)
    assert parsed.format == "claimreview"
    first = parsed.records[0]
    assert first.text == "Wind turbines cause cancer." and first.verdict == "False"
    assert first.url == first.external_id == "https://example.org/r1"
    assert first.speaker == "A Senator" and first.publisher == "Example Checks"
    assert first.date == "2020-06-01"
    assert len(parsed.records) == (1 if shape == "single" else 2)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.jsonl", b"", "empty"),
        ("bad.json", b'{"@type": "ClaimReview", ', "not valid JSON"),
        ("other.json", b'{"hello": 1}', "not a ClaimReview"),
        ("binary.jsonl", b"\x00\x01\x02garbage", "binary"),
        ("latin.csv", "text\ncaf\xe9\n".encode("latin-1"), "not UTF-8 text .* save it as UTF-8"),
        ("cut.csv", b"\xff\xfet\x00e\x00x", "not UTF-16 text"),
        ("none.jsonl", b'{"id": 1}\n{"id": 2}\n', "no valid claim"),
        ("plain.jsonl", b"hello\nworld\n", "not JSON Lines"),
        ("table.xlsx", b"PK\x03\x04", "unknown archive format"),
    ],
)
def test_unreadable_files_are_refused_and_import_nothing(
    store: Store, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    before = snapshot(store.path)
    with pytest.raises(ImportFormatError, match=message):
        import_archive(store, path)
    assert snapshot(store.path) == before


def test_missing_file_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="cannot read"):
        import_archive(store, tmp_path / "nope.jsonl")


def test_reimport_adds_nothing_twice(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "checks.jsonl", [*RECORDS, {"text": "No id at all."}])
    first = import_archive(store, path)
    assert (first.added, first.duplicates, first.source) == (4, 0, "checks")
    again = import_archive(store, path)
    assert (again.added, again.duplicates) == (0, 4)
    assert store.archive_count() == 4
    assert "0 claims" in again.summary() and "4 duplicates" in again.summary()
    other = import_archive(store, path, source="mirror")
    assert other.added == 4 and store.archive_count("mirror") == 4
    revised = [{**RECORDS[0], "verdict": "half-true"}, *RECORDS[1:]]
    newer = import_archive(store, write_jsonl(tmp_path / "checks.jsonl", revised))
    assert (newer.added, newer.updated, newer.duplicates) == (0, 1, 2)
    assert newer.summary() == "imported 0 claims into 'checks' (1 updated, 2 duplicates)"


def test_summary_names_malformed_lines(store: Store, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", RECORDS, extra_lines=["oops", '{"id": 9}'])
    report = import_archive(store, path)
    assert report.summary() == (
        "imported 3 claims into 'c' (0 duplicates, 2 malformed: lines 4, 5)"
    )


def test_cancelled_import_keeps_its_batches_and_progress_is_reported(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "ARCHIVE_BATCH", 500)
    monkeypatch.setattr(batches, "BATCH_WORK_S", 0.0)  # every batch 500 records
    records = [ArchiveRecord(text=f"Claim number {i}", external_id=str(i)) for i in range(12_000)]
    seen: list[tuple[int, int]] = []
    result = store.import_archive_records(
        records, source="big", progress=lambda d, t: seen.append((d, t)),
        cancel=lambda: len(seen) > 2,
    )  # fmt: skip
    assert seen == [(0, 12_000), (500, 12_000), (1_000, 12_000)]
    assert result.cancelled and (result.added, result.remaining) == (1_000, 11_000)
    assert store.archive_count("big") == 1_000
    again = store.import_archive_records(records, source="big", progress=lambda d, t: None)
    assert (again.added, again.skipped_duplicates, again.cancelled) == (11_000, 1_000, False)
    assert store.archive_count("big") == 12_000


def test_cancelled_file_import_reports_what_it_kept(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "ARCHIVE_BATCH", 2)
    seen: list[int] = []
    report = import_archive(
        store,
        write_jsonl(tmp_path / "checks.jsonl", RECORDS),
        progress=lambda done, total: seen.append(done),
        cancel=lambda: len(seen) > 1,
    )
    assert report.cancelled and (report.added, report.remaining) == (2, 1)
    assert store.archive_count("checks") == 2
    assert report.summary() == (
        "cancelled after importing 2 claims into 'checks' (0 duplicates); 1 record was not imported"
    )


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_an_import_cancelled_while_reading_stops_there_and_stores_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """A real-app check: a million records took a minute to read, and Cancel waited for it."""
    from workbench import archive

    monkeypatch.setattr(archive, "CANCEL_EVERY", 10)
    path = tmp_path / f"big{suffix}"
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps({"text": f"Claim {n}."}) + "\n" for n in range(100)))
    else:
        path.write_text("text\n" + "".join(f"Claim {n}.\n" for n in range(100)))
    asked: list[int] = []
    report = import_archive(store, path, cancel=lambda: asked.append(1) is None)
    assert report.cancelled and report.added == 0 and report.remaining >= 80
    assert len(asked) == 1 and store.archive_count() == 0
    assert report.summary().startswith("cancelled after importing 0 claims into 'big'")


def test_json_lines_are_cut_a_block_at_a_time_and_let_go(monkeypatch: pytest.MonkeyPatch) -> None:
    """A million records peaked at 1.36 GB with the file's text, its lines and the
    records all held (0.83 GB once each line is let go as read, and the text once split).
    A 100 MB file of 3-byte lines took 2.6 GB, all its lines cut before the first was read
    though reading stops at the 100,000th malformed one (audit 14): blocks are cut as read."""
    from workbench import archive

    blocks = json_line_blocks("".join(json.dumps({"text": f"Claim {n}."}) + "\n" for n in range(5)))
    parsed = archive._parse_jsonl(blocks, "x.jsonl")
    assert len(parsed.records) == 5 and blocks == [""]
    cut: list[int] = []
    monkeypatch.setattr(
        archive, "json_lines", lambda text: cut.append(len(text)) or json_lines(text)
    )
    monkeypatch.setattr(archive, "MAX_MALFORMED", 50)
    tiny = json.dumps({"text": "A claim."}) + "\n" + "12\n" * 1_000_000  # 3 MB
    with pytest.raises(ImportFormatError, match="over 50 of its records, nine in ten,"):
        parse_archive(tiny, name="tiny.jsonl", suffix=".jsonl")
    assert 0 < sum(cut) < 2**21  # its first block of about 2**20 characters, not all
    with pytest.raises(ImportFormatError, match="is empty"):
        parse_archive(" \n\t\n", name="blank.jsonl", suffix=".jsonl")


def test_an_import_keeps_one_record_of_an_id_while_reading(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 10 MB CSV of 3.5 million rows of one claim held every record read, then a row
    for each, and took 1.5 GB to import (audit 14). Of an id only the last record is kept
    as the file is read, in the place of the first, as the store keeps it."""
    rows = [f"{n % 3},Claim {n % 3} about troops.,rated {n}" for n in range(3_000)]
    path = tmp_path / "repeats.csv"
    path.write_text("id,text,verdict\n" + "\n".join([*rows, "9,Another claim.,true"]) + "\n")
    handed: list[int] = []
    store_them = store.import_archive_records
    monkeypatch.setattr(
        store,
        "import_archive_records",
        lambda records, **options: handed.append(len(records)) or store_them(records, **options),
    )
    report = import_archive(store, path)
    assert handed == [4]
    assert (report.read, report.added, report.duplicates, report.updated) == (3_001, 4, 2_997, 0)
    listed = [(c.external_id, c.verdict) for c in reversed(store.archive_search(""))]
    assert listed == [("0", "rated 2997"), ("1", "rated 2998"), ("2", "rated 2999"), ("9", "true")]
    again = import_archive(store, path)
    assert (again.read, again.added, again.duplicates, again.updated) == (3_001, 0, 3_001, 0)
    assert len(read_archive(path).records) == 3_001  # other readers get every record


def test_reserved_or_empty_source_names_are_refused(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.import_archive_records([ArchiveRecord("x")], source="own")
    with pytest.raises(ValidationError):
        store.import_archive_records([ArchiveRecord("x")], source="  ")


def test_archive_search_as_you_type(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_archive(store, write_jsonl(tmp_path / "checks.jsonl", RECORDS))
    found = store.archive_search("wind turb")
    assert [c.external_id for c in found] == ["a2"]
    assert store.archive_search('"troops" (') != []  # FTS syntax in user text is harmless
    assert len(store.archive_search("")) == 3
    # Each word once, at most 16 of them, the last typed a prefix: 3,000 repeats of
    # "the" pasted in took minutes (an audit).
    queries: list[str] = []
    candidates = store.archive_candidates
    monkeypatch.setattr(
        store, "archive_candidates", lambda q, **k: queries.append(q) or candidates(q, **k)
    )
    assert store.archive_search("Wind " * 3_000 + "turb") == found
    assert store.archive_search(" ".join(f"w{n}" for n in range(40)) + " turb") == []
    assert queries[0] == '"Wind" AND "turb"*'
    # Searched as typed: "Straße" folds to "strasse", a word the index does not hold.
    store.import_archive_records([ArchiveRecord("Die Straße in Berlin ist gesperrt.")], source="de")
    for typed in ("Straße Berlin", "straße berlin straße", "Berlin Straße"):
        assert len(store.archive_search(typed)) == 1, typed
    store.remove_archive_source("de")
    assert queries[1].count(" AND ") == 15 and queries[1].endswith('"turb"*')
    assert [s.name for s in store.archive_sources()] == ["checks"]
    assert store.remove_archive_source("checks") == 3 and store.archive_count() == 0


def test_dates_and_verdicts() -> None:
    assert parse_date("stated on October 22, 2019 in a campaign mailer.:") == "2019-10-22"
    assert parse_date("26 May 2015") == "2015-05-26"
    assert parse_date("2020-01-02T10:00:00Z") == "2020-01-02"
    assert parse_date("sometime in spring") == "sometime in spring"
    # A date no calendar has is kept as written, not turned into another one.
    assert parse_date("99999-01-01") == "99999-01-01"
    assert parse_date("-0001-01-01") == "-0001-01-01"
    assert parse_date("2024-02-30") == "2024-02-30"
    assert verdict_to_status("pants-fire") is Status.DISPUTED
    assert verdict_to_status("Mostly True") is Status.VERIFIED
    assert verdict_to_status("half-true") is Status.UNVERIFIABLE
    assert verdict_to_status("disputed") is Status.DISPUTED
    assert verdict_to_status("full-flop") is None


# -- own verdicts -------------------------------------------------------------------------


@pytest.fixture
def claim_id(store: Store) -> int:
    sentence = ARTICLE.split("\n")[0]
    detected = DetectedClaim(0, len(sentence), sentence, 0.9)
    return store.add_article(ArticleDraft(ARTICLE, title="Troops"), [detected]).claims[0].id


def test_own_verdicts_enter_and_leave_the_archive(store: Store, claim_id: int) -> None:
    assert store.archive_count() == 0
    store.update_claim(
        claim_id, status="disputed", evidence=[("https://example.org/ev", "Ministry")]
    )
    (own,) = store.archive_search("troops")
    assert (own.source, own.external_id, own.verdict) == ("own", f"claim-{claim_id}", "disputed")
    assert own.url == "https://example.org/ev" and own.claim_id == claim_id
    store.update_claim(claim_id, status="verified")
    assert store.archive_claim(own.id).verdict == "verified"
    store.update_claim(claim_id, status="unchecked")
    assert store.archive_count() == 0
    store.update_claim(claim_id, status="verified")
    removed = store.remove_claim(claim_id)
    assert store.archive_count() == 0
    store.restore_claim(removed)
    assert store.archive_count("own") == 1
    store.delete_article(removed.article_id)
    assert store.archive_count() == 0


def test_apply_past_verdict_and_undo(store: Store, claim_id: int, tmp_path: Path) -> None:
    import_archive(store, write_jsonl(tmp_path / "checks.jsonl", RECORDS))
    (past,) = [c for c in store.archive_search("troops") if c.external_id == "a1"]
    before = store.claim(claim_id)
    store.update_claim(claim_id, note="my note")
    before = store.claim(claim_id)
    after = store.apply_past_verdict(claim_id, past.id)
    assert after.status is Status.VERIFIED
    # The note names the past check: who rated it, how, when, and where to read it.
    assert after.note == (
        "my note\n\nChecked before by checks: rated “true” on 2024-11-01 (https://example.org/a1)."
    )
    assert [e.url for e in after.evidence] == ["https://example.org/a1"]
    provenance = [h for h in store.history(claim_id) if h.field == "applied_from"]
    assert provenance[-1].new == "checks:a1"
    assert store.archive_count("own") == 1
    # Removing the links it added and putting back status and note undoes it all, and
    # takes the claim out of the archive.
    old_ids = {e.id for e in before.evidence}
    for item in after.evidence:
        if item.id not in old_ids:
            store.remove_evidence(item.id)
    undone = store.update_claim(claim_id, status=before.status, note=before.note)
    assert (undone.status, undone.evidence, undone.note) == (Status.UNCHECKED, (), "my note")
    assert store.archive_count("own") == 0


def test_applying_a_past_verdict_keeps_its_link_with_a_user_name(
    store: Store, claim_id: int, tmp_path: Path
) -> None:
    """Such a link is refused when typed in, and never made a link, but the past check's
    own address was dropped when its verdict was applied (review)."""
    odd = "https://www.politifact.com@evil.example/a1"
    import_archive(store, write_jsonl(tmp_path / "checks.jsonl", [{**RECORDS[0], "url": odd}]))
    (past,) = store.archive_search("troops")
    after = store.apply_past_verdict(claim_id, past.id)
    assert [e.url for e in after.evidence] == [odd]
    assert shown_url(odd) == f"{odd} [evil.example]"  # as the app and reports show it


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example\\@www.politifact.com/a1",
        "https://evil.example\\x@www.politifact.com/a1",
        "https://evil.example\\www.politifact.com/a1",
    ],
)
def test_a_backslash_before_the_host_ends_shows_the_host_a_browser_opens(url: str) -> None:
    """A browser ends the host at a "\\" as at a "/": these open evil.example, but were
    shown as "[www.politifact.com]", the name after the "@", or not at all (audit)."""
    assert shown_url(url) == f"{url} [evil.example]"
    assert http_url(url) in ("", "https://evil.example%5Cwww.politifact.com/a1")  # no link


def test_apply_past_verdict_without_equivalent_status(store: Store, claim_id: int) -> None:
    store.import_archive_records(
        [ArchiveRecord("Troops flip-flop.", external_id="f", verdict="full-flop")], source="s"
    )
    (past,) = store.archive_search("flip")
    before = snapshot(store.path)
    with pytest.raises(ValidationError, match="choose the status"):
        store.apply_past_verdict(claim_id, past.id)
    assert snapshot(store.path) == before
    assert store.apply_past_verdict(claim_id, past.id, status="disputed").status is Status.DISPUTED


def test_candidates_come_in_fts5_rank_order(store: Store) -> None:
    """``archive_candidates`` calls ``bm25()`` in its query rather than FTS5's ``rank
    MATCH`` (which runs a second, internal query per search): the same past checks, the
    same scores and the same order, tied scores and a source filter included."""
    from workbench.store import ARCHIVE_TITLE_WEIGHT

    records = [
        ArchiveRecord(f"Wind turbines cause cancer, says post {n}.", f"w{n}",
                      title="Wind turbines" if n % 3 else "")
        for n in range(24)
    ]  # fmt: skip
    store.import_archive_records(records[:12], source="a")
    store.import_archive_records(records[12:], source="b")
    rank = f"bm25(1.0, {ARCHIVE_TITLE_WEIGHT})"
    for query in ('"wind"', '"cancer" OR "post"', '"turbines" AND "says"*'):
        for source in (None, "b"):
            where = "" if source is None else " AND a.source = ?"
            expected = store.conn.execute(
                "SELECT a.id, archive_fts.rank FROM archive_fts"
                " JOIN archive_claims a ON a.id = archive_fts.rowid"
                f" WHERE archive_fts MATCH ? AND rank MATCH ?{where} ORDER BY archive_fts.rank",
                (query, rank) if source is None else (query, rank, source),
            ).fetchall()
            assert len({score for _, score in expected}) < len(expected)  # ties
            for limit in (1, 5, 50):
                found = store.archive_candidates(query, limit=limit, source=source)
                assert [(c.claim.id, -c.bm25) for c in found] == [
                    (i, score) for i, score in expected[:limit]
                ]
                # Read by position: every field is the past check's, as read by id.
                assert [c.claim for c in found] == [
                    store.archive_claim(i) for i, _ in expected[:limit]
                ]
                assert store.archive_claims_by_id(c.claim.id for c in found) == {
                    c.claim.id: c.claim for c in found
                }


def test_json_lines_joined_from_files_with_a_bom_keep_every_record(tmp_path: Path) -> None:
    """``cat a.jsonl b.jsonl`` of two files saved "UTF-8 with BOM" (Notepad's default)
    puts a byte-order mark before the second file's first line: that record was skipped
    as "not valid JSON"."""
    part = '{"id": "%s", "text": "Claim number %s."}\n'
    path = tmp_path / "joined.jsonl"
    path.write_bytes(b"".join(("\ufeff" + part % (n, n)).encode() for n in "12"))
    parsed = read_archive(path)
    assert [r.external_id for r in parsed.records] == ["1", "2"] and parsed.skipped == ()


def test_a_file_that_became_a_named_pipe_once_checked_is_refused_not_waited_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app (``pipes=False``) checks the file's kind, then opens it: a file swapped for
    a named pipe in between was opened waiting for a writer for ever, past any Cancel,
    and every later import queued behind it."""
    import os
    import threading

    regular = tmp_path / "checks.jsonl"
    regular.write_text('{"id": "1", "text": "Taxes rose."}\n', encoding="utf-8")
    fifo = tmp_path / "swapped.jsonl"
    os.mkfifo(fifo)
    stat_of = Path.stat

    def checked_before_the_swap(self: Path, **kwargs: bool) -> os.stat_result:
        return stat_of(regular if self == fifo else self, **kwargs)

    monkeypatch.setattr(Path, "stat", checked_before_the_swap)
    outcome: list[BaseException | object] = []

    def read() -> None:
        try:
            outcome.append(read_archive(fifo, pipes=False))
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=30)
    if reader.is_alive():  # let it go: opening the pipe for writing ends its wait
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=30)
        pytest.fail("read_archive waited on a named pipe")
    (raised,) = outcome
    assert isinstance(raised, ImportFormatError)
    assert str(raised) == f"cannot read {fifo}: it is no longer a regular file"
