"""Bad input from the command line: one line on stderr, exit 2, nothing saved changed.

Deep JSON, lone surrogates, oversized CSV fields, terminal escape sequences in imported
text, a full disk, two backups at once, a damaged database's many-line SQLite messages.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.core.cli_runner import run
from workbench import operations
from workbench.archive import INVALID_UNICODE, TOO_DEEP, read_archive
from workbench.backup import create_backup, list_backups, verify_backup
from workbench.cli import main
from workbench.dbfile import check_database, store_error
from workbench.errors import (
    DiskFullError,
    ImportFormatError,
    IngestError,
    StoreError,
    ValidationError,
)
from workbench.files import open_regular_file
from workbench.ingest import read_bytes, read_path
from workbench.models import ArticleDraft, DetectedClaim
from workbench.store import Store
from workbench.store.rows import validate_url
from workbench.textsafety import MAX_URL_CHARS, for_terminal, has_lone_surrogate, http_url, one_line
from workbench.vault import store_file

TEXT = "North Korea sent some 12,000 troops to Russia, the minister said on Wednesday."
ESCAPES = (
    "\x1b[2J\x1b[H"  # clear the screen
    "\x1b]0;pwned\x07"  # set the window title
    "\x1b[8mhidden\x1b[0m"  # concealed text
    "\x1b]8;;https://evil.example/\x1b\\https://good.example/\x1b]8;;\x1b\\"  # lying link
    "\x9b31m\u202e"  # a C1 CSI and a right-to-left override
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "bad.db"


@pytest.fixture
def claim_db(db: Path) -> Path:
    with Store(db, user="tester") as store:
        claim = DetectedClaim(0, len(TEXT), TEXT, 0.9, ("number",))
        store.add_article(ArticleDraft(TEXT, title="Troops"), [claim])
    return db


def snapshot(path: Path) -> bytes:
    """The database's bytes with its log folded in: what a refused command must not change."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path.read_bytes()


def one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: ") and err.count("\n") == 1, err
    return err


# -- the text helpers ----------------------------------------------------------------------


def test_for_terminal_drops_what_a_terminal_obeys() -> None:
    shown = for_terminal(f"a{ESCAPES}b\tc\r\nd\re\u2028f")
    assert not any(ch in shown for ch in "\x1b\x07\x9b\u202e\r\u2028")
    assert shown.startswith("a") and "b\tc\nd\ne\nf" in shown
    assert for_terminal("bad \ud800") == "bad \ufffd"
    assert one_line("two\nlines\x1b[2J") == "two lines[2J"
    assert has_lone_surrogate("x\udcff") and not has_lone_surrogate("ok 😀")


# -- archives --------------------------------------------------------------------------------


def test_deeply_nested_json_is_refused_or_skipped(tmp_path: Path, db: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(ImportFormatError, match=TOO_DEEP):
        read_archive(deep)
    lines = tmp_path / "deep.jsonl"
    lines.write_text(
        json.dumps({"id": "1", "text": "A sound claim about 12,000 troops."})
        + '\n{"id": "2", "text": '
        + "[" * 50_000
        + "\n"
        + json.dumps({"id": "3", "text": "Another claim about 70 lawmakers."})
        + "\n",
        encoding="utf-8",
    )
    parsed = read_archive(lines)
    assert [r.external_id for r in parsed.records] == ["1", "3"]
    assert parsed.skipped == ((2, TOO_DEEP),)


def test_archives_built_to_exhaust_memory_are_refused(tmp_path: Path) -> None:
    """150 MB of empty JSON objects grew to 12 GB before "unexpected MemoryError"; a CSV
    with a 300 MB field took 3.5 GB to skip (helper audit). Here at small scale."""
    import workbench.archive as archive

    sound = json.dumps({"id": "1", "text": "A sound claim about 12,000 troops."})
    empties = tmp_path / "empties.json"
    empties.write_text(f"[{sound}, " + "{}, " * 200 + "{}]", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(archive, "MAX_JSON_VALUES", 100)
        with pytest.raises(ImportFormatError, match="over 100 JSON values"):
            read_archive(empties)
        patch.setattr(archive, "MAX_MALFORMED", 50)
        patch.setattr(archive, "MAX_JSON_VALUES", 1_000)
        with pytest.raises(ImportFormatError, match="over 50 of its records, nine in ten,"):
            read_archive(empties)
        # Many rows without text among good ones are no reason to refuse the file (review).
        halves = tmp_path / "halves.csv"
        rows = [f"{i},{'A claim about 70 lawmakers.' if i % 2 else ''}" for i in range(200)]
        halves.write_text("id,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
        parsed = read_archive(halves)
        assert len(parsed.records) == 100 and len(parsed.skipped) == 100
        lines = tmp_path / "empties.jsonl"
        lines.write_text(sound + "\n" + "[" + "[], " * 200 + "[]]\n", encoding="utf-8")
        patch.setattr(archive, "MAX_LINE_VALUES", 100)
        parsed = read_archive(lines)
        assert [r.external_id for r in parsed.records] == ["1"]
        assert parsed.skipped == ((2, "holds over 100 JSON values"),)
    field = tmp_path / "field.csv"
    huge = "x " * (archive.MAX_FIELD_CHARS // 2 + 1)
    field.write_text(f"id,text,title\n1,A claim about 70 lawmakers.,\n2,{huge},\n", "utf-8")
    parsed = read_archive(field)
    assert [r.external_id for r in parsed.records] == ["1"]
    assert parsed.skipped == ((3, "a field is longer than 100,000 characters"),)


def test_json_of_short_values_is_refused_or_skipped_before_it_is_parsed(tmp_path: Path) -> None:
    """A 100 MB array of "ab" took 3.1 GB to refuse, and a 100 MB line of them would take
    as much: only objects and arrays were counted against the limits (audit 14)."""
    import workbench.archive as archive

    sound = json.dumps({"id": "1", "text": "A sound claim about 12000 troops."})
    flat = tmp_path / "flat.json"
    flat.write_text(f"[{sound}" + ', "ab"' * 2_000 + "]", encoding="utf-8")
    lines = tmp_path / "flat.jsonl"
    lines.write_text(f"{sound}\n[" + '"ab", ' * 2_000 + '"ab"]\n', encoding="utf-8")
    saved = tmp_path / "lines.json"  # JSON Lines saved as .json are read a line at a time
    saved.write_text(f"{sound}\n" * 2 + json.dumps({"text": "Another, and another."}) + "\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(archive, "MAX_JSON_VALUES", 1_000)
        patch.setattr(archive, "MAX_LINE_VALUES", 1_000)
        with pytest.raises(ImportFormatError, match=r"flat.json holds over 1,000 JSON values"):
            read_archive(flat)
        parsed = read_archive(lines)
        assert [r.external_id for r in parsed.records] == ["1"]
        assert parsed.skipped == ((2, "holds over 1,000 JSON values"),)
        patch.setattr(archive, "MAX_JSON_VALUES", 3)
        parsed = read_archive(saved)
        assert (len(parsed.records), parsed.unit, parsed.format) == (3, "line", "jsonl")


def test_lone_surrogate_skips_its_record_only(tmp_path: Path, db: Path) -> None:
    path = tmp_path / "checks.jsonl"
    path.write_text(
        '{"id": "1", "text": "A claim about 12,000 troops."}\n'
        '{"id": "2", "text": "bad \\ud800 text"}\n'
        '{"id": "3", "text": "fine", "speaker": "\\udcff"}\n'
        '{"id": "4", "text": "A claim about 70 lawmakers."}\n',
        encoding="utf-8",
    )
    code, out = run("import", str(path), "--db", str(db), "--no-embed")
    assert code == 0
    assert out == "imported 2 claims into 'checks' (0 duplicates, 2 malformed: lines 2, 3)\n"
    assert read_archive(path).skipped == ((2, INVALID_UNICODE), (3, INVALID_UNICODE))


def test_oversized_csv_field_skips_one_row_not_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "checks.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerow(["1", "A claim about 12,000 troops."])
        writer.writerow(["2", "x" * 300_000])  # beyond the csv module's default field limit
        writer.writerow(["3", "A claim about 70 lawmakers."])
    parsed = read_archive(path)
    assert [r.external_id for r in parsed.records] == ["1", "3"]
    assert [line for line, _ in parsed.skipped] == [3]


def test_a_csv_field_over_a_million_characters_is_not_built(tmp_path: Path, db: Path) -> None:
    """A 1 GiB field took 7.4 GB to skip (audit 14): the csv module built it whole. Now
    it stops at the limit, and the rows from there on are reported as not read."""
    from workbench.archive import MAX_FIELD_CHARS

    path = tmp_path / "checks.csv"
    path.write_text(
        "id,text,body\n"
        f"1,A claim about 12000 troops.,{'an article ' * 30_000}\n"  # 330,000: kept
        f"2,{'x' * (10 * MAX_FIELD_CHARS + 1)},\n"
        "3,A claim about 70 lawmakers.,\n",
        encoding="utf-8",
    )
    parsed = read_archive(path)
    assert [r.external_id for r in parsed.records] == ["1"]
    assert parsed.skipped == (
        (3, "a field is longer than 1,000,000 characters; lines 3 to 4 were not read"),
    )
    code, out = run("import", str(path), "--db", str(db), "--no-embed")
    assert code == 0
    assert out == "imported 1 claim into 'checks' (0 duplicates, 1 malformed: line 3)\n"


def test_broken_csv_says_which_rows_were_not_read(tmp_path: Path) -> None:
    path = tmp_path / "checks.csv"
    path.write_text('id,text\n1,one claim\n2,"two"x\n3,three\n4,four\n', encoding="utf-8")
    parsed = read_archive(path)
    assert [r.external_id for r in parsed.records] == ["1"]
    ((line, reason),) = parsed.skipped
    assert line == 3 and "lines 3 to 5 were not read" in reason


def test_deep_or_invalid_query_files_exit_2(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "q.jsonl"
    deep.write_text('{"id": 1, "text": "ok"}\n' + "[" * 100_000 + "\n", encoding="utf-8")
    surrogate = tmp_path / "s.jsonl"
    surrogate.write_text('{"id": 1, "text": "bad \\ud800"}\n', encoding="utf-8")
    for command in ("match", "score"):
        flag = "--queries" if command == "match" else "--sentences"
        code, _ = run(command, flag, str(deep), "--db", str(db))
        assert code == 2 and "line 2: JSON nested too deeply" in one_error(capsys)
        code, _ = run(command, flag, str(surrogate), "--db", str(db))
        assert code == 2 and "line 1: the text is not valid Unicode" in one_error(capsys)


def test_query_files_with_numbers_json_cannot_hold_exit_2(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 5,000-digit number was "unexpected ValueError ... this is a bug" (exit 1), and an
    id of NaN was echoed as ``"query_id": NaN``, which is not JSON."""
    long_number = tmp_path / "long.jsonl"
    long_number.write_text('{"id": 1, "text": "ok", "n": ' + "9" * 5_000 + "}\n", encoding="utf-8")
    not_finite = tmp_path / "nan.jsonl"
    not_finite.write_text('{"id": 1, "text": "ok"}\n{"id": NaN, "text": "ok"}\n', encoding="utf-8")
    for command in ("match", "score"):
        flag = "--queries" if command == "match" else "--sentences"
        code, out = run(command, flag, str(long_number), "--json", "--db", str(db))
        assert code == 2 and out == ""
        assert "line 1: holds a number too long to read" in one_error(capsys)
        code, out = run(command, flag, str(not_finite), "--json", "--db", str(db))
        assert code == 2 and out == ""
        assert 'line 2: "id" must be a finite number' in one_error(capsys)


# -- arguments -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["claim", "set", "1", "--note", "bad \udcff"],
        ["claim", "set", "1", "--claimant", "\udcfe"],
        ["claim", "set", "1", "--evidence", "https://x.example/\udcff"],
        ["claim", "set", "1", "--evidence", "https://x.example/", "--evidence-title", "\udcff"],
        ["match", "troops \udcff"],
        ["settings", "set", "report.organisation", "\udcff"],
    ],
)
def test_undecodable_arguments_are_refused(
    claim_db: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(claim_db)
    code, out = run(*argv, "--db", str(claim_db))
    assert code == 2 and out == ""
    assert "not valid text" in one_error(capsys)
    assert snapshot(claim_db) == before


def test_undecodable_bytes_from_a_real_shell(claim_db: Path, tmp_path: Path) -> None:
    """The bytes arrive as the OS gives them, through the installed entry point."""
    script = "import sys; from workbench.cli import main; sys.exit(main())"
    argv = [sys.executable, "-c", script, "--db", os.fsencode(claim_db), "claim", "set", "1"]
    result = subprocess.run(
        [*argv, b"--note", b"caf\xe9 \xff"],
        capture_output=True,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count(b"\n") == 1 and b"--note holds bytes" in result.stderr


def test_a_store_write_of_a_lone_surrogate_changes_nothing(claim_db: Path) -> None:
    before = snapshot(claim_db)
    with Store(claim_db) as store, pytest.raises(ValidationError, match="not valid Unicode"):
        store.update_claim(1, note="bad \ud800")
    assert snapshot(claim_db) == before


# -- the terminal ----------------------------------------------------------------------------


def test_imported_escape_sequences_never_reach_the_terminal(tmp_path: Path, db: Path) -> None:
    path = tmp_path / "hostile.jsonl"
    record = {
        "id": "e1",
        "text": f"North Korea sent 12,000 troops {ESCAPES} to Russia.",
        "verdict": f"false{ESCAPES}",
        "url": "https://x.example/a",
        "source": "S\x1b[2J",
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert run("import", str(path), "--db", str(db), "--no-embed")[0] == 0
    outputs = [
        run("archive", "--db", str(db), "--search", "troops")[1],
        run("archive", "--db", str(db))[1],
        run("match", "North Korea sent 12,000 troops to Russia", "--db", str(db))[1],
    ]
    for out in outputs:
        assert "troops" in out or "hostile" in out
        assert not any(ch in out for ch in "\x1b\x07\x9b\u202e")
    # JSON keeps the text exactly, escaped as JSON does.
    code, out = run("archive", "--db", str(db), "--search", "troops", "--json")
    assert (
        code == 0
        and "\x1b" not in out
        and json.loads(out)[0]["text"] == " ".join(record["text"].split())
    )


def test_error_messages_are_one_clean_line(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = tmp_path / "evil\x1b]0;title\x07\nname.jsonl"
    name.write_text("{nope", encoding="utf-8")
    code, _ = run("import", str(name), "--db", str(db))
    assert code == 2
    assert "\x1b" not in one_error(capsys)


# -- the disk and the database ---------------------------------------------------------------


def test_full_database_says_the_disk_is_full_and_keeps_what_was_saved(
    claim_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(claim_db)
    with Store(claim_db) as store:
        pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
        store.db.conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(DiskFullError, match="full; nothing was saved") as caught:
            store.update_claim(1, note="x" * 200_000)
    assert "restore" not in str(caught.value)
    assert snapshot(claim_db) == before


def test_an_io_error_on_a_nearly_full_disk_is_called_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = sqlite3.OperationalError("disk I/O error")
    error.sqlite_errorcode = 4874  # type: ignore[attr-defined]  # SQLITE_IOERR_SHMSIZE
    error.sqlite_errorname = "SQLITE_IOERR_SHMSIZE"  # type: ignore[attr-defined]
    path = tmp_path / "w.db"
    found = store_error(path, error)
    assert type(found) is StoreError and "restore" not in str(found)
    monkeypatch.setattr(
        "workbench.dbfile.shutil.disk_usage",
        lambda _: type("U", (), {"free": 4096, "total": 2**30, "used": 2**30})(),
    )
    assert isinstance(store_error(path, error), DiskFullError)


def _mount_tiny_disk(folder: Path) -> bool:
    if os.geteuid() != 0:
        return False
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def test_a_really_full_disk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """On a 1 MB file system (root can mount one): every command says the disk is full."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount_tiny_disk(disk):
        pytest.skip("cannot mount a small file system here (needs root)")
    try:
        db = disk / "w.db"
        with Store(db, user="tester") as store:
            claim = DetectedClaim(0, len(TEXT), TEXT, 0.9, ("number",))
            store.add_article(ArticleDraft(TEXT, title="Troops"), [claim])
        filler = disk / "filler"
        with filler.open("wb", buffering=0) as handle, pytest.raises(OSError):
            while True:
                handle.write(b"\0" * 65536)
        capsys.readouterr()
        for argv in (["claim", "set", "1", "--note", "y" * 100_000], ["backup"]):
            code, _ = run(*argv, "--db", str(db))
            err = one_error(capsys)
            assert code == 2 and "is full" in err and "restore" not in err
        filler.unlink()
        assert run("check", "--db", str(db))[0] == 0
        with Store(db) as store:
            assert store.claim(1).note == ""
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_two_backups_at_once_both_land(db: Path) -> None:
    with Store(db, user="tester") as store:
        store.add_article(ArticleDraft(TEXT, title="Troops"), [])
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    errors: list[BaseException] = []

    def backup() -> None:
        try:
            create_backup(db, now=now)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=backup) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    backups = list_backups(db)
    assert len(backups) == 4 and len({b.path for b in backups}) == 4
    for b in backups:
        verify_backup(b.path)
    assert not [p for p in (db.parent / "backups").iterdir() if p.name.endswith(".partial")]


def test_a_database_on_a_read_only_disk_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's "unable to open database file" names the cause when the disk is read-only."""
    cannot_open = sqlite3.OperationalError("unable to open database file")
    cannot_open.sqlite_errorcode = sqlite3.SQLITE_CANTOPEN  # type: ignore[attr-defined]
    path = tmp_path / "w.db"
    assert "cannot be opened" in str(store_error(path, cannot_open))

    class ReadOnlyMount:
        f_flag = os.ST_RDONLY

    monkeypatch.setattr(os, "statvfs", lambda place: ReadOnlyMount())
    message = str(store_error(path, cannot_open))
    assert "is on a read-only disk" in message and "copy it to a folder" in message


def test_a_database_in_a_read_only_folder_says_it_is_the_folder(tmp_path: Path) -> None:
    """A database whose folder is read-only (not the file) cannot be opened, even to read
    it: SQLite makes its -wal and -shm there. "the database ... is read-only" sent the user
    to change the file's permissions, which changed nothing (an audit, run as a user)."""
    readonly_folder = sqlite3.OperationalError("attempt to write a readonly database")
    readonly_folder.sqlite_errorcode = 1544  # type: ignore[attr-defined]  # SQLITE_READONLY_DIRECTORY
    path = tmp_path / "w.db"
    message = str(store_error(path, readonly_folder))
    assert f"the folder {tmp_path} is read-only" in message
    assert "copy the database to a folder" in message
    readonly_file = sqlite3.OperationalError("attempt to write a readonly database")
    readonly_file.sqlite_errorcode = sqlite3.SQLITE_READONLY  # type: ignore[attr-defined]
    assert str(store_error(path, readonly_file)) == f"the database {path} is read-only"


@pytest.mark.parametrize("damage", ["pages", "schema"])
def test_a_damaged_database_is_one_line_and_left_untouched(
    claim_db: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot(claim_db)  # everything in the main file
    data = bytearray(claim_db.read_bytes())
    if damage == "pages":
        for page in range(2 * 4096, len(data), 4096):  # every page after the first two
            for offset in range(page + 200, page + 4096 - 64, 900):  # wherever its cells are
                data[offset : offset + 64] = bytes(range(64))
    else:  # bytes that are not UTF-8 in a table's name: SQLite quotes it in its message
        at = data.index(b"tablesettingssettings", 100)  # the sqlite_master row of "settings"
        data[at + 5 : at + 8] = b"\xf9\xf9\xf9"
        data[at + 27 : at + 31] = b"\xf9\xf9\xf9\xf9"
    claim_db.write_bytes(bytes(data))
    before = claim_db.read_bytes()
    for argv in (["check"], ["articles"], ["backup"], ["show", "1"]):
        code, _ = run(*argv, "--db", str(claim_db))
        assert code == 2 and "damaged" in one_error(capsys)
    assert claim_db.read_bytes() == before


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("fmt", ["md", "csv", "html", "json"])
def test_a_report_shown_on_a_terminal_cannot_steer_it(claim_db: Path, fmt: str) -> None:
    assert run("claim", "set", "1", "--note", f"note {ESCAPES}", "--db", str(claim_db))[0] == 0
    terminal, piped = _Terminal(), io.StringIO()
    assert main(["export", "1", "-f", fmt, "-o", "-", "--db", str(claim_db)], out=terminal) == 0
    assert main(["export", "1", "-f", fmt, "-o", "-", "--db", str(claim_db)], out=piped) == 0
    assert "note" in terminal.getvalue()
    assert not any(ch in terminal.getvalue() for ch in "\x1b\x07\x9b\u202e")
    if fmt != "json":  # a file gets shown with cat too: it loses them (JSON escapes them)
        assert not any(ch in piped.getvalue() for ch in "\x1b\x07\x9b\u202e")


def test_a_device_is_not_read_forever(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["import", "/dev/zero"], ["match", "--queries", "/dev/zero"]):
        code, _ = run(*argv, "--db", str(db))
        assert code == 2 and "is a device" in one_error(capsys)


def test_an_archive_from_a_pipe_is_read(tmp_path: Path, db: Path) -> None:
    pipe = tmp_path / "checks.jsonl"
    os.mkfifo(pipe)
    record = json.dumps({"id": "1", "text": "A claim about 12,000 troops."}) + "\n"
    writer = threading.Thread(target=lambda: pipe.write_text(record, encoding="utf-8"))
    writer.start()
    code, out = run("import", str(pipe), "--db", str(db), "--no-embed")
    writer.join()
    assert code == 0 and out.startswith("imported 1 claim into 'checks'")


def test_json_on_a_terminal_loses_what_json_does_not_escape(tmp_path: Path, db: Path) -> None:
    """json.dumps escapes C0 controls only: CSI (0x9b) and bidi overrides went through."""
    path = tmp_path / "hostile.jsonl"
    record = {"id": "e1", "text": "North Korea sent 12,000 troops \x9b2J\u202e to Russia."}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert run("import", str(path), "--db", str(db), "--no-embed")[0] == 0
    terminal = _Terminal()
    argv = ["archive", "--db", str(db), "--search", "troops", "--json"]
    assert main(argv, out=terminal) == 0
    assert "troops" in terminal.getvalue()
    assert not any(ch in terminal.getvalue() for ch in "\x9b\u202e")
    assert "\x9b" in run(*argv)[1]  # a pipe gets the exact text


# -- the database's own files -------------------------------------------------------------


def test_the_open_database_is_never_read_as_an_article_evidence_or_archive(
    claim_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reading it would drop the process's SQLite locks (POSIX locks go with any close)."""
    from workbench.ingest import read_path
    from workbench.vault import store_file

    with Store(claim_db) as store:
        store.set_setting("report.organisation", "Desk")  # the log is there
        link = claim_db.with_name("innocent.txt")
        os.link(claim_db.with_name(f"{claim_db.name}-wal"), link)  # another name, same file
        for own in (claim_db, Path(f"{claim_db}-wal"), Path(f"{claim_db}-shm"), link):
            with pytest.raises(IngestError, match="the workbench's own database"):
                read_path(own)
            with pytest.raises(ValidationError, match="the workbench's own database"):
                store_file(claim_db, own)
            with pytest.raises(ImportFormatError, match="the workbench's own database"):
                read_archive(own)
        assert check_database(claim_db, thorough=False).ok  # checked by SQLite alone
        code = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('select 1').close()"
        subprocess.run([sys.executable, "-c", code, str(claim_db)], check=True)
        assert Path(f"{claim_db}-wal").exists()  # nobody took the database for unused
    link.unlink()
    before = snapshot(claim_db)
    for argv in (
        ["analyze", str(claim_db)],
        ["claim", "set", "1", "--evidence-file", str(claim_db)],
        ["import", str(claim_db)],
    ):
        code, _ = run(*argv, "--db", str(claim_db))  # read before or after it opens the db
        assert code == 2 and one_error(capsys)
    assert snapshot(claim_db) == before
    with pytest.raises(IngestError) as refused:  # closed, it is any binary file again
        read_path(claim_db)
    assert "own database" not in str(refused.value)


def test_a_checkpoint_cut_short_by_a_full_disk_is_not_damage(tmp_path: Path) -> None:
    """Page 1 written, the file not grown: the missing pages are still in the log.

    The audit's disk-full import left such a file, and every command then called it
    damaged ("truncated: 62 of its 87 pages are left") and pointed to a backup.
    """
    with Store(tmp_path / "live.db", user="tester") as store:
        store.add_article(ArticleDraft(TEXT, title="Troops"), [])
    writer = sqlite3.connect(tmp_path / "live.db")
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # the new pages stay in the log
    writer.execute("CREATE TABLE filler (x BLOB)")
    writer.executemany("INSERT INTO filler VALUES (randomblob(3000))", [()] * 40)
    writer.commit()
    page_size = writer.execute("PRAGMA page_size").fetchone()[0]
    pages = writer.execute("PRAGMA page_count").fetchone()[0]
    path = tmp_path / "cut.db"  # a copy of the database and its log, as they are now
    path.write_bytes((tmp_path / "live.db").read_bytes())
    log = Path(f"{tmp_path / 'live.db'}-wal").read_bytes()
    Path(f"{path}-wal").write_bytes(log)
    writer.close()
    frame = 24 + page_size
    copies_of_page_one = [
        log[at + 24 : at + frame]
        for at in range(32, len(log) - frame + 1, frame)
        if int.from_bytes(log[at : at + 4], "big") == 1
    ]
    with path.open("r+b") as main:  # the checkpoint wrote the newest page 1, no further
        main.write(copies_of_page_one[-1])
    assert path.stat().st_size < pages * page_size  # shorter than its header says

    result = check_database(path, thorough=True)
    assert result.ok, result.problems
    with Store(path) as reopened:
        assert [a.title for a in reopened.articles()] == ["Troops"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "99999999999999999999"], "no such id or offset: 99999999999999999999"),
        (["claim", "set", "9223372036854775808", "--status", "verified"], "no such id"),
        (["export", "1" + "0" * 30, "-f", "md", "-o", "-"], "no such id"),
        (["archive", "--search", "troops", "--limit", "0"], "must be at least 1, not 0"),
        (["show", "one"], "not a whole number: 'one'"),
        (["show", "--bogus", "1"], "unrecognized arguments: --bogus"),
    ],
)
def test_argument_errors_are_one_line_and_exit_2(
    claim_db: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An id past SQLite's integers crashed as "this is a bug" (OverflowError), exit 1."""
    with pytest.raises(SystemExit) as ended:  # argparse's way out, as the console script's
        main([*argv, "--db", str(claim_db)])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("workbench"), err


class _FullDisk(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize(
    "argv", [["articles"], ["show", "1"], ["export", "1", "-f", "md", "-o", "-"]]
)
def test_output_that_cannot_be_written_is_a_one_line_error(
    claim_db: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``> /dev/full`` was reported as a bug (exit 1)."""
    assert main([*argv, "--db", str(claim_db)], out=_FullDisk()) == 2
    assert "cannot write the output: No space left on device" in one_error(capsys)


def test_a_file_name_that_is_not_utf8_is_no_reason_to_refuse_its_text(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was refused as "the text is not valid Unicode (a lone surrogate)"."""
    name = os.fsdecode(b"brief_\xe9t\xe9.txt")  # Latin-1 bytes: lone surrogates in Python
    path = tmp_path / name
    path.write_text("North Korea sent some 12,000 troops to Russia, the minister said.\n")
    code, _ = run("analyze", str(path), "--db", str(db))
    assert code == 0, capsys.readouterr().err
    with Store(db) as store:
        (article,) = store.articles()
        assert article.title == "brief \ufffdt\ufffd"  # from the name, "_" read as a space


def test_urls_over_the_limit_are_refused_kept_out_and_never_linked() -> None:
    """One 100,000-character URL made a 105 MB PDF report (audit); its error message
    repeated it whole."""
    long = "https://long.example/" + "a" * MAX_URL_CHARS
    with pytest.raises(ValidationError) as refused:
        validate_url(long)
    assert len(str(refused.value)) < 200 and "at most 8,192 characters" in str(refused.value)
    assert validate_url(long[:MAX_URL_CHARS]) == long[:MAX_URL_CHARS]
    assert http_url(long) == "" and http_url(long[:MAX_URL_CHARS])
    page = f"---\nurl: {long}\n---\n\nPrices rose 5% in 2023, the agency said on Tuesday."
    draft = read_bytes(page.encode(), name="article.md")
    assert draft.url == ""
    assert any("address is over 8,192 characters" in w for w in draft.warnings)


@pytest.mark.parametrize(
    "url",
    ["https://www.politifact.com@evil.example/", "https://www.politifact.com\\@evil.example/"],
)
def test_a_link_that_reads_as_one_host_and_opens_another_is_refused(url: str) -> None:
    """A user name before the host hides the host the link opens (audit: shown as
    PolitiFact, opened evil.example). New links are refused; stored ones are not linked."""
    with pytest.raises(ValidationError, match="user name before its host"):
        validate_url(url)
    assert validate_url(url, new=False) == url  # an undo puts back what was stored
    assert http_url(url) == ""
    assert validate_url("https://x.example/who@where") == "https://x.example/who@where"


def test_a_file_swapped_for_a_pipe_after_its_check_is_refused_not_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The readers, the vault and the bundle check a file with stat, then open it: a
    file swapped for a named pipe in between made the open wait for a writer for ever
    (audit). They open without blocking and check the descriptor."""
    pipe = tmp_path / "evidence.pdf"
    os.mkfifo(pipe)
    with pytest.raises(OSError, match="no longer a regular file"):
        open_regular_file(pipe)
    regular = tmp_path / "regular.pdf"
    regular.write_bytes(b"%PDF-1.4 not much")
    checked = regular.stat()
    real_stat = Path.stat

    def as_if_still_regular(path: Path, **kwargs: bool) -> os.stat_result:
        return checked if path == pipe else real_stat(path, **kwargs)

    monkeypatch.setattr(Path, "stat", as_if_still_regular)
    with pytest.raises(ValidationError, match=r"evidence\.pdf: it is no longer a regular file"):
        store_file(tmp_path / "wb.db", pipe)
    with pytest.raises(IngestError, match="no longer a regular file"):
        read_path(pipe)


def test_a_link_stored_before_the_url_limit_can_be_put_back_and_edited(tmp_path: Path) -> None:
    """The limit is for URLs entered: a removal undone, or a title edited with the URL
    passed back as it was, failed for a link stored before it (review)."""
    long = "https://old.example/?q=" + "a" * MAX_URL_CHARS
    article_id, claim_id, item_id = _links_stored_before_a_rule(tmp_path / "wb.db", long)
    with Store(tmp_path / "wb.db") as store:
        change = operations.run(store, operations.remove_evidence(item_id))
        operations.run(store, change.undo)
        assert [e.url for e in store.claim(claim_id).evidence] == [long]
        operations.run(
            store, operations.edit_evidence(item_id, url=long, title="Old source", note="")
        )
        assert store.claim(claim_id).evidence[0].title == "Old source"
        store.update_article(article_id, title="New title", url=long)
        assert store.article(article_id).url == long
        with pytest.raises(ValidationError, match="at most 8,192"):
            store.add_evidence(claim_id, long)


def _links_stored_before_a_rule(db: Path, url: str) -> tuple[int, int, int]:
    """A database whose article and evidence links are ``url``, written past the checks
    as a database from before a rule on links would hold them: (article, claim, evidence)."""
    with Store(db) as store:
        text = "Unemployment rose to 12% in 2023, the ministry said."
        article_id = store.add_article(
            ArticleDraft(text, title="T"), [DetectedClaim(0, len(text), text, 0.9)]
        ).article.id
        claim = store.claims(article_id)[0]
        item = store.add_evidence(claim.id, "https://short.example/")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE evidence SET url = ? WHERE id = ?", (url, item.id))
        conn.execute("UPDATE articles SET url = ? WHERE id = ?", (url, article_id))
    conn.close()
    return article_id, claim.id, item.id


def test_an_undo_puts_back_a_stored_link_with_a_user_name(tmp_path: Path) -> None:
    """A link with a user name before its host is refused when new, but one stored before
    that rule (or by an import) must come back when an edit of it is undone: the
    evidence link's and the article's undo raised ValidationError (review)."""
    odd = "https://www.politifact.com@evil.example/x"
    article_id, _, item_id = _links_stored_before_a_rule(tmp_path / "wb.db", odd)
    with Store(tmp_path / "wb.db") as store:
        fixed = "https://evil.example/x"
        change = operations.run(
            store, operations.edit_evidence(item_id, url=fixed, title="", note="")
        )
        undone = operations.run(store, change.undo)
        assert store.evidence(item_id).url == odd
        operations.run(store, undone.undo)  # and the redo
        assert store.evidence(item_id).url == fixed
        change = operations.run(store, operations.edit_article(article_id, url=fixed))
        undone = operations.run(store, change.undo)
        assert store.article(article_id).url == odd
        operations.run(store, undone.undo)
        assert store.article(article_id).url == fixed
        with pytest.raises(ValidationError, match="user name before its host"):
            operations.run(store, operations.edit_article(article_id, url=odd))
        with pytest.raises(ValidationError, match="user name before its host"):
            operations.run(store, operations.edit_evidence(item_id, url=odd, title="", note=""))


def test_a_teammates_link_with_a_user_name_is_received_not_dropped() -> None:
    """Team sync dropped a received evidence link with a user name before its host,
    silently and for good (the sync does not read the row again): it is kept, shown as
    text and never linked; a link over the length limit or not http(s) is still dropped
    (review)."""
    from workbench.team.client import _links

    odd = "https://user@example.org/doc"
    received = json.dumps([
        {"url": odd, "title": "Budget"},
        {"url": "https://example.org/ok", "title": "OK"},
        {"url": "javascript:alert(1)", "title": "no"},
        {"url": "https://example.org/?q=" + "a" * MAX_URL_CHARS, "title": "long"},
    ])  # fmt: skip
    assert _links(received) == ((odd, "Budget"), ("https://example.org/ok", "OK"))
    assert http_url(odd) == ""
