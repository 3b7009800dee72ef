"""How fast the app embeds an archive in the background, and whether the window stays responsive.

Imports ``--size`` past checks (100,000 by default: the LIAR PolitiFact statements,
then variations of them, as ``benchmarks/matching_speed.py`` makes them) into a
temporary database, then runs the app's own background embedder
(:class:`ui.archive_work.ArchiveEmbedder`: one onnxruntime thread, a transaction per
batch) while the Qt event loop runs a 10 ms timer, as the window would. Prints the
embedding rate (past checks per second) and how late the timer fired: the UI is
frozen for as long as its events wait, so the worst lateness is the longest freeze.
With ``--threads 2`` it also prints the rate of ``workbench import`` / ``embed``
style embedding with both cores (no UI to keep free).

Usage: QT_QPA_PLATFORM=offscreen python benchmarks/embedding_rate.py [--size 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.matching_speed import LIAR, records  # noqa: E402
from workbench.nlp.encoder import SentenceEncoder  # noqa: E402
from workbench.semantic import embed_archive  # noqa: E402
from workbench.store import Store  # noqa: E402

TICK_MS = 10


def responsiveness(db: Path) -> tuple[float, list[float]]:
    """Run the app's embedder under a Qt event loop; seconds taken and timer lateness (ms)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.archive_work import ArchiveEmbedder

    app = QApplication.instance() or QApplication([])
    embedder = ArchiveEmbedder(db)
    lateness: list[float] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(TICK_MS)

    def tick() -> None:
        lateness.append(max(0.0, clock.nsecsElapsed() / 1e6 - TICK_MS))
        clock.restart()

    timer.timeout.connect(tick)
    outcome: list[object] = []
    embedder.finished.connect(outcome.append)
    embedder.failed.connect(outcome.append)
    started = time.perf_counter()
    clock.start()
    timer.start()
    embedder.start()
    while not outcome:
        app.processEvents()
        time.sleep(0.001)
    seconds = time.perf_counter() - started
    timer.stop()
    embedder.shutdown()
    if isinstance(outcome[0], str):
        raise SystemExit(f"embedding failed: {outcome[0]}")
    return seconds, lateness


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2, help="also time N threads (0: skip)")
    args = parser.parse_args(argv)
    if not LIAR.exists():
        print(f"no data at {LIAR}; skipping")
        return 0
    base = [json.loads(line) for line in LIAR.read_text(encoding="utf-8").splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "embed.db"
        with Store(db, user="bench") as store:
            store.import_archive_records(list(records(base, args.size, seed=5)), source="liar")
        seconds, lateness = responsiveness(db)
        lateness.sort()
        print(
            f"background embedding (app, 1 thread): {args.size:,} past checks in {seconds:.0f} s,"
            f" {args.size / seconds:,.0f} per second"
        )
        print(
            f"UI timer ({TICK_MS} ms) lateness while embedding: median"
            f" {statistics.median(lateness):.1f} ms, p99 {lateness[int(len(lateness) * 0.99)]:.1f}"
            f" ms, worst {lateness[-1]:.1f} ms ({len(lateness):,} ticks)"
        )
        if args.threads > 1:
            sample = 20_000
            with Store(Path(tmp) / "cli.db", user="bench") as store:
                store.import_archive_records(list(records(base, sample, seed=6)), source="liar")
                report = embed_archive(store, SentenceEncoder(threads=args.threads))
            print(
                f"command-line embedding ({args.threads} threads): {report.rate:,.0f} per second"
                f" ({sample:,} past checks)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
