"""How long a fact-checker's edits wait while a large archive import writes.

Writes ``--records`` synthetic past checks (200,000 by default: the LIAR PolitiFact
statements with new numbers, names and word order) to a JSON Lines file, imports it
with :func:`workbench.archive.import_archive` on one thread, as the app and
``workbench import`` do, and meanwhile, on its own connection, edits a claim's note or
a setting every ``--interval-ms`` (50 ms) until the import ends, as the app's writer
thread does: each edit is counted in the import's
:class:`~workbench.store.batches.WaitingEdits`, so the import gives way to it, and the
interpreter switches threads as often as in the app (``SWITCH_INTERVAL_S``). With
``--another-process`` the edits are not counted, as for ``workbench claim`` run in
another process while the app imports, and a child process keeps the database open
meanwhile, so that the import sees another program there (as it does the app while
``workbench import`` runs) and keeps its transactions short. Edits are timed only
while the import writes (from its first progress report on). Prints the import time,
the median and worst wait of an edit and how many failed (``database is locked``);
asserts nothing.

Usage: python benchmarks/edit_during_import.py [--records 200000] [--interval-ms 50]
       [--another-process]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.archive import ArchiveImportReport, import_archive  # noqa: E402
from workbench.errors import StoreError  # noqa: E402
from workbench.models import ArticleDraft, DetectedClaim  # noqa: E402
from workbench.store import Store  # noqa: E402
from workbench.store.batches import SWITCH_INTERVAL_S, WaitingEdits  # noqa: E402

LIAR = REPO.parent / "shared" / "data" / "past_claims" / "liar_politifact.jsonl"
FALLBACK = "Says the state lost 12,000 jobs and raised taxes by 9 percent since 2010"
NAMES = ("Obama", "Trump", "Clinton", "Biden", "Romney", "Sanders", "Perry", "Walker")
ARTICLE = "The minister said 12,000 jobs were created last year.\n\nIt rained on Tuesday."


def statements() -> list[str]:
    """The LIAR statements, or one made-up claim when the data set is not there."""
    if not LIAR.exists():
        return [FALLBACK]
    with LIAR.open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle if line.strip()]


def vary(text: str, rng: random.Random) -> str:
    """Another claim on the same theme: new numbers and names, words turned around."""
    words = []
    for word in text.split():
        if any(ch.isdigit() for ch in word):
            word = str(rng.randint(2, 99_999))
        elif word in NAMES:
            word = rng.choice(NAMES)
        words.append(word)
    cut = rng.randint(0, len(words) - 1)
    return " ".join(words[cut:] + words[:cut] + [f"in {rng.randint(1990, 2024)}"])


def write_archive(path: Path, count: int, *, seed: int = 3) -> None:
    rng = random.Random(seed)
    base = statements()
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            text = base[i] if i < len(base) else vary(base[i % len(base)], rng)
            row = {"id": f"c{i}", "text": text, "verdict": rng.choice(("true", "false"))}
            out.write(json.dumps(row) + "\n")


def prepare(db: Path) -> int:
    """A database with one article and one claim to edit; returns the claim's id."""
    sentence = ARTICLE.split("\n\n")[0]
    claim = DetectedClaim(0, len(sentence), sentence, 0.9, ("number",))
    with Store(db) as store:
        return store.add_article(ArticleDraft(ARTICLE, title="Jobs"), [claim]).claims[0].id


def edit_until(
    db: Path,
    claim_id: int,
    started: threading.Event,
    done: threading.Event,
    interval: float,
    edits: WaitingEdits | None,
) -> tuple[list[float], list[str]]:
    """Edit every ``interval`` seconds while the import writes: (waits in s, failures)."""
    waits: list[float] = []
    failures: list[str] = []
    with Store(db) as store:
        started.wait()
        n = 0
        while not done.is_set():
            begun = time.perf_counter()
            if edits is not None:
                edits.arrived()
            try:
                if n % 2:
                    store.set_setting("benchmark.counter", str(n))
                else:
                    store.update_claim(claim_id, note=f"Edit number {n}")
                waits.append(time.perf_counter() - begun)
            except StoreError as exc:
                failures.append(str(exc))
            finally:
                if edits is not None:
                    edits.left()
            n += 1
            done.wait(max(0.0, interval - (time.perf_counter() - begun)))
    return waits, failures


def holding_open(db: Path) -> subprocess.Popen[str]:
    """A child process that has ``db`` open (and reads nothing more) until its input ends."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
         " c.execute('SELECT count(*) FROM claims').fetchall(); print('open', flush=True);"
         " sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None and child.stdout.readline() == "open\n"
    return child


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--interval-ms", type=float, default=50.0)
    parser.add_argument("--db-dir", help="where to put the database (default: a temp folder)")
    parser.add_argument(
        "--another-process",
        action="store_true",
        help="edits the import does not know of, as from workbench claim in another process",
    )
    args = parser.parse_args(argv)
    edits = None if args.another_process else WaitingEdits()
    if edits is not None:
        sys.setswitchinterval(SWITCH_INTERVAL_S)  # as the app does
    with tempfile.TemporaryDirectory(dir=args.db_dir) as folder:
        archive, db = Path(folder) / "archive.jsonl", Path(folder) / "bench.db"
        write_archive(archive, args.records)
        claim_id = prepare(db)
        writing, done = threading.Event(), threading.Event()
        outcome: list[float | ArchiveImportReport] = []

        def progress(count: int, total: int) -> None:
            if not writing.is_set():
                outcome.append(time.perf_counter())
                writing.set()

        def run_import() -> None:
            try:
                with Store(db, gives_way_to=edits) as store:
                    outcome.append(import_archive(store, archive, progress=progress))
            finally:
                outcome.append(time.perf_counter())
                writing.set()
                done.set()

        other = holding_open(db) if args.another_process else None
        started = time.perf_counter()
        importer = threading.Thread(target=run_import)
        importer.start()
        waits, failures = edit_until(db, claim_id, writing, done, args.interval_ms / 1000, edits)
        importer.join()
        if other is not None:
            other.communicate("")
    write_began, report, ended = outcome
    assert isinstance(report, ArchiveImportReport) and isinstance(write_began, float)
    assert isinstance(ended, float)
    print(f"import of {args.records:,} records: {report.summary()}")
    print(f"  import {ended - started:.2f} s, of which writing {ended - write_began:.2f} s")
    if waits:
        ms = sorted(w * 1000 for w in waits)
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        print(
            f"edits every {args.interval_ms:.0f} ms"
            f" ({'from another process' if edits is None else 'the import gives way to'})"
            f" while it wrote: {len(ms):,} saved,"
            f" wait median {statistics.median(ms):.1f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms"
        )
    print(f"edits that failed: {len(failures):,}")
    for message in sorted(set(failures))[:3]:
        print(f"  {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
