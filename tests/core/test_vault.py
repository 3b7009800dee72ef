"""The evidence vault: files kept by their hash, quotes found again, checks, backups."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.core.cli_runner import run
from tests.core.test_ingest import make_pdf, text_page
from workbench import operations, quotes, vault
from workbench.backup import create_backup, restore_backup
from workbench.errors import BackupError, IngestError, ValidationError
from workbench.models import ArticleDraft, DetectedClaim, Quote
from workbench.store import Store

TEXT = "The ministry said 12,000 troops were sent. Officials disagreed."
REPORT = (
    "Annual report of the ministry.\n\n"
    "In October, 10,000 troops were sent to the border, the report says.\n\n"
    "Spending rose by 4 percent."
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "vault.db"
    with Store(path) as store:
        store.add_article(
            ArticleDraft(TEXT, title="Troops"), [DetectedClaim(0, 42, TEXT[:42], 0.9)]
        )
    return path


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "ministry report.txt"
    path.write_text(REPORT, encoding="utf-8")
    return path


def vault_files(db: Path) -> list[Path]:
    return sorted(p for p in vault.vault_dir(db).rglob("*") if p.is_file())


def test_a_file_is_kept_once_by_its_hash_and_read_only(
    db: Path, report: Path, tmp_path: Path
) -> None:
    first = vault.store_file(db, report)
    copy = tmp_path / "copy.txt"
    copy.write_bytes(report.read_bytes())
    second = vault.store_file(db, copy)
    assert first.sha256 == second.sha256 and vault_files(db) == [first.path]
    assert first.path.name == first.sha256 and first.path.parent.name == first.sha256[:2]
    assert not first.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert (first.size, first.media_type) == (len(REPORT.encode()), "text/plain")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "is empty"),
        ("program.pdf", b"MZ\x90\x00 not a pdf", "is not a pdf file"),
        ("tool.exe", b"MZ\x90\x00", "the vault takes"),
        ("notes.txt", b"text\x00\x01\x02 with NULs", "is not a text file"),
        ("photo.png", b"GIF89a....", "is not a png file"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    db: Path, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValidationError, match=message) as error:
        vault.store_file(db, path)
    assert "\n" not in str(error.value)
    assert vault_files(db) == []


def test_missing_folder_and_oversized_files_are_refused(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValidationError):
        vault.store_file(db, tmp_path / "nothing.pdf")
    with pytest.raises(ValidationError, match="not a file"):
        vault.store_file(db, tmp_path)
    big = tmp_path / "big.txt"
    big.write_text("x" * 5000)
    monkeypatch.setattr(vault, "MAX_VAULT_FILE_BYTES", 4000)
    with pytest.raises(ValidationError, match="at most"):
        vault.store_file(db, big)
    assert vault_files(db) == []


def test_file_evidence_with_a_quote_and_its_undo(db: Path, report: Path) -> None:
    with Store(db) as store:
        claim_id = store.claims(1)[0].id
        change = operations.run(
            store,
            operations.add_file_evidence(
                claim_id, report, quote="10,000   troops were sent  to the border"
            ),
        )
        (item,) = store.claim(claim_id).evidence
        assert item.file is not None and item.file.original_name == "ministry report.txt"
        assert item.quote is not None
        assert item.quote.text == "10,000 troops were sent to the border"
        text = quotes.document_text(db, item.file)
        assert text[item.quote.start : item.quote.end] == item.quote.text
        assert item.quote.before.endswith("In October, ") and item.quote.after.startswith(", the")
        history = [h.new for h in store.history(claim_id) if h.field == "evidence"]
        assert history == [f"file ministry report.txt ({item.file.sha256[:12]})"]
        redo = operations.run(store, change.undo)
        assert store.claim(claim_id).evidence == ()
        assert vault_files(db) == [vault.file_path(db, item.file.sha256)]  # the file stays
        operations.run(store, redo.undo)
        assert store.claim(claim_id).evidence == (item,)


def test_adding_the_original_again_repairs_an_altered_copy(db: Path, report: Path) -> None:
    first = vault.store_file(db, report)
    os.chmod(first.path, 0o644)
    first.path.write_bytes(b"x" * len(REPORT))  # same size: only the hash tells
    assert vault.check_file(db, first.sha256, first.size) is not None
    again = vault.store_file(db, report)
    assert again.path == first.path
    assert vault.check_file(db, first.sha256, first.size) is None


def test_a_file_added_again_to_its_claim_repairs_the_copy_but_adds_no_second_row(
    db: Path, report: Path
) -> None:
    """Adding the original again is how an altered copy is put right: it also added the
    same evidence to the claim a second time."""
    with Store(db) as store:
        claim_id = store.claims(1)[0].id
        operations.run(store, operations.add_file_evidence(claim_id, report))
        (item,) = store.claim(claim_id).evidence
        assert item.file is not None
        copy = vault.file_path(db, item.file.sha256)
        os.chmod(copy, 0o644)
        copy.write_bytes(b"x" * len(REPORT))
        with pytest.raises(ValidationError) as refused:
            operations.run(store, operations.add_file_evidence(claim_id, report))
        assert str(refused.value) == (
            "ministry report.txt is already evidence for this claim, without a quote"
        )
        assert store.claim(claim_id).evidence == (item,)
        assert vault.check_file(db, item.file.sha256, item.file.size) is None  # put right
        # A passage of it is evidence of its own, once.
        quoted = operations.add_file_evidence(claim_id, report, quote="Spending rose")
        operations.run(store, quoted)
        with pytest.raises(ValidationError, match=r"already evidence .*, with this quote$"):
            operations.run(store, quoted)
        assert len(store.claim(claim_id).evidence) == 2


def test_a_vault_that_cannot_be_written_is_not_blamed_on_the_file(db: Path, report: Path) -> None:
    vault.vault_dir(db).write_text("a file where the vault folder should be")
    with pytest.raises(
        ValidationError, match=r"^cannot write to the evidence vault .*vault\.db\.vault"
    ):
        vault.store_file(db, report)


def test_a_saved_page_is_listed_by_its_title_and_its_heading_can_be_quoted(
    db: Path, tmp_path: Path
) -> None:
    """Listed as "mnd_briefing.html", its <h1> missing from the viewer: not quotable."""
    page = tmp_path / "mnd_briefing.html"
    page.write_text(
        "<html><head><title>MND press briefing, 28 November</title></head><body>\n"
        "<h1>Minister says 12,000 troops were sent</h1>\n"
        "<p>The ministry said on Thursday that 12,000 troops were sent to the border.</p>\n"
        "<p>Officials declined to say more about the deployment or its timing.</p>\n"
        "</body></html>\n",
        encoding="utf-8",
    )
    with Store(db) as store:
        claim_id = store.claims(1)[0].id
        operations.run(
            store, operations.add_file_evidence(claim_id, page, quote="12,000 troops were sent")
        )
        (item,) = store.claim(claim_id).evidence
    assert item.title == "Minister says 12,000 troops were sent"  # the page's headline
    assert item.file is not None
    assert quotes.document_text(db, item.file).startswith("Minister says 12,000 troops were sent")


def mhtml(page: str, *, charset: str = "utf-8", nested: int = 0) -> bytes:
    """A saved web archive: the page as its HTML part, maybe inside ``nested`` parts."""
    html_part = (
        f'Content-Type: text/html; charset="{charset}"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + page + "\r\n"
    )
    for level in range(nested + 1):
        html_part = (
            f'Content-Type: multipart/related; boundary="b{level}"\r\n\r\n'
            f"--b{level}\r\n{html_part}--b{level}--\r\n"
        )
    return ("MIME-Version: 1.0\r\n" + html_part).encode()


PAGE = (
    "<html><head><title>MND press briefing</title></head><body>"
    "<h1>Minister says 12,000 troops were sent</h1>"
    "<p>The ministry said on Thursday that 12,000 troops were sent to the border.</p>"
    "<p>Officials declined to say more about the deployment or its timing.</p></body></html>"
)


def test_a_saved_web_archive_is_read_through_its_page(db: Path, tmp_path: Path) -> None:
    """Also when its headers are built to make the e-mail parser work for minutes: 40,000
    encoded words in one Content-Type made a 560 kB file use 4 GB (helper audit)."""
    words = " ".join(["=?utf-8?q?a?="] * 40_000)
    for name, data in (("page.mhtml", mhtml(PAGE)), ("odd.mhtml", mhtml(PAGE, charset=words))):
        archive = tmp_path / name
        archive.write_bytes(data)
        with Store(db) as store:
            claim_id = store.claims(1)[0].id
            change = operations.run(
                store, operations.add_file_evidence(claim_id, archive, quote="12,000 troops")
            )
            item = store.claim(claim_id).evidence[-1]
            assert item.title == "Minister says 12,000 troops were sent"
            assert item.quote is not None and item.quote.text == "12,000 troops"
            operations.run(store, change.undo)


def test_a_web_archive_nested_too_deeply_is_refused_in_one_line(db: Path, tmp_path: Path) -> None:
    """5,000 nested parts: "unexpected RecursionError (this is a bug)", exit 1."""
    archive = tmp_path / "deep.mhtml"
    archive.write_bytes(mhtml(PAGE, nested=5_000))
    with Store(db) as store:
        claim_id = store.claims(1)[0].id
        with pytest.raises(
            IngestError, match=r"^deep\.mhtml nests its parts too deeply to be read$"
        ):
            operations.run(
                store, operations.add_file_evidence(claim_id, archive, quote="12,000 troops")
            )
        assert store.claim(claim_id).evidence == ()


def test_a_document_that_cannot_be_read_is_named_as_it_was_kept(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 150 MB CSV kept as evidence could not be shown: "big.txt is too large", a file
    the fact-checker never had (a .csv is read as text, and was named so)."""
    figures = tmp_path / "figures.csv"
    figures.write_text("year,troops\n2024,12000\n" * 50, encoding="utf-8")
    with Store(db) as store:
        claim_id = store.claims(1)[0].id
        operations.run(store, operations.add_file_evidence(claim_id, figures))
        (item,) = store.claim(claim_id).evidence
    assert item.file is not None
    assert "12000" in quotes.document_text(db, item.file)
    monkeypatch.setattr("workbench.ingest.dispatch.MAX_FILE_BYTES", 100)
    with pytest.raises(IngestError, match=r"^figures\.csv is too large \("):
        quotes.document_text(db, item.file)


def test_a_quote_not_in_the_document_is_refused(db: Path, report: Path) -> None:
    with Store(db) as store:
        claim_id = store.claims(1)[0].id
        with pytest.raises(ValidationError, match="not in the document"):
            operations.run(
                store, operations.add_file_evidence(claim_id, report, quote="20,000 troops")
            )
        assert store.claim(claim_id).evidence == ()


def test_a_pdf_quote_knows_its_page(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.ingest import pdf as pdf_reader

    opened: list[int] = []
    real_open = pdf_reader._open
    monkeypatch.setattr(pdf_reader, "_open", lambda *a: opened.append(1) or real_open(*a))
    pdf = tmp_path / "budget.pdf"
    pdf.write_bytes(
        make_pdf(
            [
                text_page([(700, "Budget review 2024"), (680, "The first page says little.")]),
                text_page([(700, "Health spending rose by 4 percent in 2024.")]),
            ]
        )
    )
    with Store(db) as store:
        claim_id = store.claims(1)[0].id
        operations.run(
            store, operations.add_file_evidence(claim_id, pdf, quote="rose by 4 percent")
        )
        (item,) = store.claim(claim_id).evidence
    assert item.quote is not None and item.quote.page == 2
    assert item.file is not None and item.file.media_type == "application/pdf"
    assert len(opened) == 1  # the pages come from the one reading (it was read twice)


def test_quotes_are_found_again_after_the_document_is_read_differently() -> None:
    quote = quotes.make_quote(REPORT, "10,000 troops were sent")
    assert quotes.locate(REPORT, quote) == (quote.start, quote.end)
    shifted = "A new preface.\n\n" + REPORT
    start, end = quotes.locate(shifted, quote) or (0, 0)
    assert shifted[start:end] == "10,000 troops were sent"
    respaced = REPORT.replace("10,000 troops were", "10,000\ntroops  were")
    start, end = quotes.locate(respaced, quote) or (0, 0)
    assert " ".join(respaced[start:end].split()) == "10,000 troops were sent"
    twice = REPORT + "\n\nAgain: 10,000 troops were sent, it says."
    moved = Quote(quote.text, start=None, end=None, before=quote.before, after=quote.after)
    assert quotes.locate(twice, moved) == (quote.start, quote.end)  # its context decides
    assert quotes.locate("nothing like it", quote) is None


def test_a_quote_is_found_whatever_its_spacing_and_case_and_in_linear_time() -> None:
    text = "Intro.\n\nThe  İstanbul office SAID\tthat 10,000 troops\nwere sent."
    quote = quotes.make_quote(text, "the istanbul office said that 10,000")
    assert text[quote.start : quote.end] == "The  İstanbul office SAID\tthat 10,000"
    quote = quotes.make_quote(text, "office said")
    assert text[quote.start : quote.end] == "office SAID"
    assert quotes.make_quote(text, "troops were sent.").text == "troops\nwere sent."
    assert quotes.make_quote(text, "ntro").text == "ntro"  # inside a word, as before
    assert quotes.make_quote("ELMA KIRMIZI.", "kırmızı").text == "KIRMIZI"  # review
    with pytest.raises(ValidationError, match="not in the document"):
        quotes.make_quote(text, "troops were not sent")
    # A 2,000-word quote that almost matches everywhere in 400,000 words: a pattern tried
    # at every place took minutes (audit); str.find is linear.
    long = " ".join(["a"] * 400_000)
    with pytest.raises(ValidationError, match="not in the document"):
        quotes.make_quote(long, " ".join(["a"] * 2_000) + " b")


def test_check_reports_an_altered_or_missing_file(
    db: Path, report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run("claim", "set", "1", "--db", str(db), "--evidence-file", str(report),
                    "--quote", "Spending rose by 4 percent", "--status", "disputed")  # fmt: skip
    assert (code, out) == (0, "claim 1: disputed, 1 piece of evidence\n")
    code, out = run("check", "--db", str(db))
    assert code == 0 and "vault's 1 file(s) match their SHA-256" in out
    (path,) = vault_files(db)
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes().replace(b"4 percent", b"9 percent"))
    assert run("check", "--db", str(db))[0] == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ministry report.txt" in err and "altered" in err
    with Store(db) as store:
        (item,) = store.claim(1).evidence
        assert item.file is not None
        with pytest.raises(ValidationError, match="altered"):
            quotes.document_text(db, item.file)  # never silently used
    path.unlink()
    assert run("check", "--db", str(db))[0] == 2
    assert "missing" in capsys.readouterr().err


def test_a_recorded_hash_that_is_not_one_is_reported_not_a_crash(
    db: Path, report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("claim", "set", "1", "--db", str(db), "--evidence-file", str(report))[0] == 0
    with Store(db) as store:
        conn = store.db.conn
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("UPDATE vault_files SET sha256 = upper(sha256)")
        conn.execute("UPDATE evidence SET file_sha256 = upper(file_sha256)")
        conn.execute(
            "INSERT INTO vault_files VALUES (?, 1, 'text/plain', 'x', '', 'now')",
            ("../" + "a" * 61,),
        )
        conn.commit()
    capsys.readouterr()
    assert run("check", "--db", str(db))[0] == 2
    assert "not a SHA-256" in capsys.readouterr().err
    assert run("vault", "prune", "--db", str(db))[0] == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "x: its recorded hash is not a SHA-256" in err
    with Store(db) as store:
        assert len(store.vault_files()) == 2  # neither record dropped


def test_prune_forgets_only_the_files_it_could_delete(
    db: Path, report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store(db) as store:
        change = operations.run(store, operations.add_file_evidence(1, report))
        operations.run(store, change.undo)
    (kept,) = vault_files(db)
    os.chmod(kept, 0o644)
    kept.unlink()
    (kept / "inside").mkdir(parents=True)  # unlink fails (as in a read-only folder), even as root
    assert run("vault", "prune", "--db", str(db))[0] == 2
    assert "ministry report.txt: Is a directory" in capsys.readouterr().err
    (kept / "inside").rmdir()
    kept.rmdir()
    with Store(db) as store:
        assert len(store.vault_files()) == 1  # still recorded: a later prune removes it
    assert run("vault", "prune", "--db", str(db))[1].startswith("removed 1 unused file(s)")
    with Store(db) as store:
        assert store.vault_files() == []


def test_a_file_pruned_between_its_copy_and_its_record_is_not_recorded(
    db: Path, report: Path
) -> None:
    """The copy found the file already there; prune then deleted it as unused."""
    with Store(db) as store:
        change = operations.run(store, operations.add_file_evidence(1, report))
        operations.run(store, change.undo)
        stored = vault.store_file(db, report)
        assert run("vault", "prune", "--db", str(db))[0] == 0
        with pytest.raises(ValidationError, match="removed in the meantime; add it again"):
            store.add_file_evidence(1, stored, original_name=report.name)
        assert store.claim(1).evidence == ()
        operations.run(store, operations.add_file_evidence(1, report))  # again: copied anew
        (item,) = store.claim(1).evidence
    assert item.file is not None and vault.check_file(db, item.file.sha256, item.file.size) is None


def test_cli_file_evidence_is_in_show_json_and_bad_files_change_nothing(
    db: Path, report: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = run("show", "1", "--db", str(db), "--json")[1]
    bad = tmp_path / "x.exe"
    bad.write_bytes(b"MZ")
    code, _ = run("claim", "set", "1", "--db", str(db), "--status", "verified",
                  "--evidence-file", str(bad))  # fmt: skip
    assert code == 2 and capsys.readouterr().err.count("\n") == 1
    code, _ = run("claim", "set", "1", "--db", str(db), "--status", "verified",
                  "--evidence-file", str(report), "--quote", "not there at all")  # fmt: skip
    assert code == 2
    assert run("show", "1", "--db", str(db), "--json")[1] == before  # the status too
    assert run("claim", "set", "1", "--db", str(db), "--evidence-file", str(report))[0] == 0
    (evidence,) = json.loads(run("show", "1", "--db", str(db), "--json")[1])["claims"][0][
        "evidence"
    ]
    assert evidence["file"]["original_name"] == "ministry report.txt"
    assert evidence["file"]["sha256"] == vault_files(db)[0].name and evidence["quote"] is None


def test_cli_show_names_a_kept_file_its_quote_and_a_look_alike_host(db: Path, report: Path) -> None:
    """A file kept as evidence was printed as "evidence: ministry report <>": no name,
    no hash, no quote; and a link to a look-alike host as if it were the real one."""
    code, _ = run("claim", "set", "1", "--db", str(db), "--evidence-file", str(report),
                  "--quote", "10,000 troops were sent")  # fmt: skip
    assert code == 0
    sha = vault_files(db)[0].name
    shown = run("show", "1", "--db", str(db))[1]
    assert "<>" not in shown
    assert f"[file ministry report.txt, SHA-256 {sha[:12]}…]\n" in shown
    assert "      quote: “10,000 troops were sent”\n" in shown
    assert run("claim", "set", "1", "--db", str(db), "--evidence", "https://аpple.com/")[0] == 0
    shown = run("show", "1", "--db", str(db))[1]
    assert "evidence: <https://аpple.com/ [xn--pple-43d.com]>\n" in shown  # a Cyrillic "а"


def test_prune_removes_only_unused_files(db: Path, report: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_text("Another document entirely.")
    with Store(db) as store:
        claim_id = store.claims(1)[0].id
        operations.run(store, operations.add_file_evidence(claim_id, report))
        change = operations.run(store, operations.add_file_evidence(claim_id, other))
        operations.run(store, change.undo)
    assert len(vault_files(db)) == 2
    code, out = run("vault", "prune", "--db", str(db))
    assert code == 0 and out.startswith("removed 1 unused file(s)")
    with Store(db) as store:
        (item,) = store.claim(claim_id).evidence
    assert item.file is not None and vault_files(db) == [vault.file_path(db, item.file.sha256)]


def test_prune_removes_copies_never_recorded_but_not_one_under_way(
    db: Path, report: Path, tmp_path: Path
) -> None:
    """A quit during a copy, or an add that failed after it (no claim 999): the copy
    stayed in the vault, and in every backup, though the user was told nothing was saved."""
    folder = vault.vault_dir(db)
    folder.mkdir(exist_ok=True)
    old, fresh = folder / ".incoming-old", folder / ".incoming-fresh"
    old.write_bytes(b"half a file")
    fresh.write_bytes(b"being copied")
    assert run("claim", "set", "999", "--evidence-file", str(report), "--db", str(db))[0] == 2
    (orphan,) = (p for p in vault_files(db) if not p.name.startswith("."))
    other = tmp_path / "other.txt"
    other.write_text("Evidence that is recorded.")
    assert run("claim", "set", "1", "--evidence-file", str(other), "--db", str(db))[0] == 0
    hours_ago = time.time() - 2 * vault.ABANDONED_COPY_AGE_S
    for path in set(vault_files(db)) - {fresh}:
        os.utime(path, (hours_ago, hours_ago))
    code, out = run("vault", "prune", "--db", str(db))
    assert code == 0 and "removed 2 copy(ies) never recorded" in out
    assert not old.exists() and not orphan.exists() and fresh.exists()
    assert run("check", "--db", str(db))[0] == 0  # the recorded one stays


def test_backups_keep_the_vault_and_a_restore_puts_it_back(db: Path, report: Path) -> None:
    with Store(db) as store:
        operations.run(store, operations.add_file_evidence(store.claims(1)[0].id, report))
    backup = create_backup(db)
    (kept,) = vault_files(db)
    os.chmod(kept, 0o644)
    kept.unlink()
    restore_backup(db, backup.path)
    assert [p.name for p in vault_files(db)] == [kept.name]
    assert vault.check_file(db, kept.name, len(REPORT.encode())) is None


def test_a_backup_says_which_evidence_it_could_not_keep(
    db: Path, report: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An altered copy is never taken into the backups; the backup said nothing of it."""
    with Store(db) as store:
        operations.run(store, operations.add_file_evidence(store.claims(1)[0].id, report))
    (kept,) = vault_files(db)
    os.chmod(kept, 0o644)
    kept.write_bytes(kept.read_bytes().replace(b"4 percent", b"9 percent"))
    assert create_backup(db).evidence_left_out == 1
    code, out = run("backup", "--db", str(db))
    err = capsys.readouterr().err
    assert code == 2 and out.startswith("backed up ") and err.count("\n") == 1
    assert "1 evidence file(s) could not be backed up: altered or missing" in err
    kept.write_text(REPORT, encoding="utf-8")
    assert create_backup(db).evidence_left_out == 0


def test_a_restore_repairs_an_altered_copy_and_says_when_it_cannot_put_files_back(
    db: Path, report: Path
) -> None:
    with Store(db) as store:
        operations.run(store, operations.add_file_evidence(store.claims(1)[0].id, report))
    backup = create_backup(db)
    (kept,) = vault_files(db)
    os.chmod(kept, 0o644)
    kept.write_bytes(kept.read_bytes().replace(b"4 percent", b"9 percent"))  # tampered
    restore_backup(db, backup.path)
    assert vault.check_file(db, kept.name, len(REPORT.encode())) is None  # the good copy
    shutil.rmtree(vault.vault_dir(db))
    vault.vault_dir(db).write_text("not a folder")
    with pytest.raises(BackupError, match=r"^the database was restored from .*, but the evid"):
        restore_backup(db, backup.path)


def test_deleted_article_comes_back_with_its_file_evidence(db: Path, report: Path) -> None:
    with Store(db) as store:
        claim_id = store.claims(1)[0].id
        operations.run(store, operations.add_file_evidence(claim_id, report, quote="Spending rose"))
        before = store.claim(claim_id)
        change = operations.run(store, operations.delete_article(1))
        operations.run(store, change.undo)
        assert store.claim(claim_id) == before


@pytest.mark.parametrize("removal", ["evidence", "claim", "article"])
def test_an_undo_after_a_prune_puts_the_evidence_back(
    db: Path, report: Path, removal: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Prune forgot the file's record, and the undo failed on its foreign key: an undone
    article deletion lost the article, its claims and notes."""
    with Store(db) as store:
        claim_id = store.claims(1)[0].id
        operations.run(store, operations.set_note(claim_id, "Called the ministry."))
        operations.run(store, operations.add_file_evidence(claim_id, report))
        before = store.claim(claim_id)
        remove = {
            "evidence": operations.remove_evidence(before.evidence[0].id),
            "claim": operations.remove_claim(claim_id),
            "article": operations.delete_article(1),
        }[removal]
        change = operations.run(store, remove)
        code, out = run("vault", "prune", "--db", str(db))
        assert code == 0 and out.startswith("removed 1 unused file(s)")
        operations.run(store, change.undo)
        # As it was, but for when it last changed (the undo is a change: a second later
        # on a slow machine, which made this test fail now and then).
        assert replace(store.claim(claim_id), updated_at=before.updated_at) == before
    capsys.readouterr()
    code, out = run("check", "--db", str(db))
    assert code == 2 and "missing from the vault" in out + capsys.readouterr().err  # said


def test_a_text_documents_first_line_is_read_and_quoted(db: Path, tmp_path: Path) -> None:
    """The reader made it the title, and the viewer showed the rest: it could be neither
    read nor quoted."""
    brief = tmp_path / "brief.txt"
    first = "Ministry of National Defense – press briefing transcript (excerpt), 28 November 2024"
    brief.write_text(f"{first}\n\nThe minister said 12,000 troops were sent.\n", encoding="utf-8")
    with Store(db) as store:
        claim_id = store.claims(1)[0].id
        operations.run(
            store, operations.add_file_evidence(claim_id, brief, quote="press briefing transcript")
        )
        (item,) = store.claim(claim_id).evidence
        assert item.file is not None
        text = quotes.document_text(db, item.file)
    assert text.startswith(f"{first}\n\nThe minister said")
    named = tmp_path / "troops.txt"  # a title made of the file's name is no line of it
    named.write_text("The minister said troops were sent. Officials agreed.\n", encoding="utf-8")
    with Store(db) as store:
        operations.run(store, operations.add_file_evidence(claim_id, named))
        item = next(
            e
            for e in store.claim(claim_id).evidence
            if e.file and e.file.original_name == "troops.txt"
        )
        assert item.file is not None
        assert quotes.document_text(db, item.file).startswith("The minister said troops")


def test_the_command_line_reads_a_document_before_it_takes_the_write_lock(
    db: Path, report: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large document takes seconds to read: with the lock held meanwhile, the app's
    edits and other commands failed ("locked by another program")."""
    import sqlite3

    read = quotes._read
    locked: list[bool] = []

    def reading(db_path: Path, file: object) -> object:
        other = sqlite3.connect(db, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails at once if the lock is held
            other.rollback()
            locked.append(False)
        except sqlite3.OperationalError:
            locked.append(True)
        finally:
            other.close()
        return read(db_path, file)  # type: ignore[arg-type]

    monkeypatch.setattr(quotes, "_read", reading)
    args = ("claim", "set", "1", "--db", str(db), "--evidence-file", str(report))
    assert run(*args, "--quote", "10,000 troops were sent to the border")[0] == 0
    assert locked == [False]  # read once, for the title and the quote
    with Store(db) as store:
        (item,) = store.claim(1).evidence
        assert item.quote is not None and item.quote.text.startswith("10,000 troops")
