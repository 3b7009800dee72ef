"""How far an archive import is from the fastest way SQLite could store the same records.

Imports ``--records`` past checks (100,000 by default, the records of
``benchmarks/matching_speed.py``) into a fresh database through
:meth:`workbench.store.Store.import_archive_records`, the code path of ``workbench
import`` and of the app, in short transactions with pauses so that edits get in. Then
the raw anchor: the same records in one ``executemany`` into ``archive_claims`` of a
fresh database made by the app's own schema, with the full-text triggers dropped on that
scratch copy, then one FTS5 ``rebuild``, all in one transaction. Prints the median of
each over ``--runs`` and their ratio.

``--app`` imports as the app does, in pieces of ``PIECE`` rows that give way to its
edits (:class:`~workbench.store.batches.WaitingEdits`; none are made here).

Usage: python benchmarks/import_speed.py [--records 100000] [--runs 3] [--app]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.matching_speed import LIAR, records  # noqa: E402
from workbench.models import ArchiveRecord  # noqa: E402
from workbench.store import Store  # noqa: E402
from workbench.store.batches import WaitingEdits  # noqa: E402

COLUMNS = "external_id, source, text, title, verdict, url, date, speaker, publisher, imported_at"
FTS_TRIGGERS = ("archive_claims_ai", "archive_claims_ad", "archive_claims_au")


def app_import(db: Path, batch: list[ArchiveRecord], edits: WaitingEdits | None = None) -> float:
    """Seconds the import of ``batch`` into a fresh database takes (``edits``: as in the app)."""
    with Store(db, user="bench", gives_way_to=edits) as store:
        started = time.perf_counter()
        result = store.import_archive_records(batch, source="liar")
        elapsed = time.perf_counter() - started
        assert result.added == len(batch), result
    return elapsed


def raw_import(db: Path, batch: list[ArchiveRecord]) -> float:
    """Seconds of one ``executemany`` without full-text triggers, then one FTS5 rebuild."""
    rows = [
        (r.external_id, "liar", r.text, r.title, r.verdict, r.url, r.date, r.speaker,
         r.publisher, "2024-01-01T00:00:00+00:00")
        for r in batch
    ]  # fmt: skip
    with Store(db, user="bench") as store:
        conn = store.db.conn
        for trigger in FTS_TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")  # on this scratch copy only
        if conn.in_transaction:
            conn.commit()
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            f"INSERT INTO archive_claims ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        conn.execute("INSERT INTO archive_fts(archive_fts) VALUES ('rebuild')")
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - started
        assert conn.execute("SELECT COUNT(*) FROM archive_claims").fetchone()[0] == len(batch)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db-dir", help="where to put the databases (default: a temp folder)")
    parser.add_argument(
        "--app",
        action="store_true",
        help="import as the app does: in pieces that give way to its edits (none come here)",
    )
    args = parser.parse_args(argv)
    if not LIAR.exists():
        print(f"no data at {LIAR}; skipping")
        return 0
    base = [json.loads(line) for line in LIAR.read_text(encoding="utf-8").splitlines() if line]
    app_times, raw_times = [], []
    with tempfile.TemporaryDirectory(dir=args.db_dir) as tmp:
        for run in range(args.runs):
            batch = list(records(base, args.records, seed=run))
            edits = WaitingEdits() if args.app else None
            app_times.append(app_import(Path(tmp) / f"app-{run}.db", batch, edits))
            raw_times.append(raw_import(Path(tmp) / f"raw-{run}.db", batch))
    app, raw = statistics.median(app_times), statistics.median(raw_times)
    print(
        f"import {args.records:,} records ({'as the app' if args.app else 'as the CLI'}):"
        f" median {app:.2f} s"
        f" (runs: {', '.join(f'{t:.2f}' for t in app_times)})"
    )
    print(
        f"raw executemany + one FTS5 rebuild: median {raw:.2f} s"
        f" (runs: {', '.join(f'{t:.2f}' for t in raw_times)})"
    )
    print(f"ratio: {app / raw:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
