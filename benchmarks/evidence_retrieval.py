"""The evidence library on 19,250 PolitiFact articles: indexing time, size, quality, speed.

The full texts of the CheckThat! 2021 task 2B collection
(``../shared/data/claim_retrieval/ct21_task2b_en/collection_fulltext.jsonl.gz``) are
written out as a folder of ``.txt`` documents (in a temporary folder; nothing is
copied into the repository), registered and indexed through the code the app and
``workbench library index`` use (:func:`workbench.evidence_library.index_library`;
reading, passages, full-text index, then embeddings), while another connection saves
an edit every 50 ms, as the app's writer would. Then each debate sentence of the
split's queries asks :func:`workbench.evidence_library.suggest_evidence` for the
article that checked it.

Printed: indexing time (reading and embedding), the index's size on disk, how long
the edits waited; document-level MAP@5, MRR and recall@10 (ranking documents by their
best passage, one suggestion per document), the same by words alone; passage-level
figures (over the plain passage ranking: the first passage is from the right article,
the rank of its first passage, the right article among the first 10 passages); and the
median and p95 time of one suggestion (10 suggestions, at most 2 per document, as the
app asks). Asserts nothing; the tests never run it.

Usage: python benchmarks/evidence_retrieval.py [--split dev] [--docs N] [--db PATH]
       [--threads 2 | --app] [--embed-words 32]

``--app`` indexes as the app does: :class:`ui.evidence_view.LibraryIndexer` (the engine's
one-thread encoder) under a Qt event loop, whose 10 ms timer says how long the window
would have been frozen.

``--docs N`` indexes only the split's relevant articles and N others (a quick run);
``--db PATH`` keeps the database (and its documents beside it) and reuses it when run
again.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench import evidence_library  # noqa: E402
from workbench.dbfile import index_folder  # noqa: E402
from workbench.engine import Engine  # noqa: E402
from workbench.errors import StoreError  # noqa: E402
from workbench.evidence_library import (  # noqa: E402
    LibraryIndexReport,
    add_folder,
    index_library,
    suggest_evidence,
)
from workbench.nlp.encoder import SentenceEncoder  # noqa: E402
from workbench.store import Store  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "claim_retrieval" / "ct21_task2b_en"


def load_queries(folder: Path, split: str) -> list[tuple[str, str]]:
    with (folder / "queries.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [(r["id"], r["text"]) for r in rows if r["split"] == split]


def load_qrels(folder: Path) -> dict[str, set[str]]:
    qrels: dict[str, set[str]] = {}
    with (folder / "qrels.tsv").open(encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t")
        next(reader)
        for query_id, doc_id, relevance in reader:
            if int(relevance) > 0:
                qrels.setdefault(query_id, set()).add(doc_id)
    return qrels


def write_documents(data: Path, target: Path, keep: set[str] | None, others: int | None) -> int:
    """Each article as ``<id>.txt`` in ``target``: all, or ``keep`` and ``others`` more."""
    target.mkdir(parents=True, exist_ok=True)
    written = extra = 0
    with gzip.open(data / "collection_fulltext.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if keep is not None and others is not None and row["id"] not in keep:
                if extra >= others:
                    continue
                extra += 1
            path = target / f"{row['id']}.txt"
            if not path.exists():
                path.write_text(row["article_text"], encoding="utf-8")
            written += 1
    return written


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def edit_until(db: Path, started: threading.Event, done: threading.Event) -> list[float]:
    """Save a setting every 50 ms on another connection while indexing writes; the waits."""
    waits: list[float] = []
    with Store(db, check=False) as store:
        started.wait()
        n = 0
        while not done.is_set():
            begun = time.perf_counter()
            try:
                store.set_setting("benchmark.counter", str(n))
                waits.append(time.perf_counter() - begun)
            except StoreError as exc:
                print(f"  an edit failed: {exc}")
            n += 1
            done.wait(max(0.0, 0.05 - (time.perf_counter() - begun)))
    return waits


def index(db: Path, docs: Path, threads: int, *, app: bool) -> None:
    """Index the documents, as ``workbench library index`` does (an encoder on ``threads``
    threads) or, with ``app``, as the app does (:class:`ui.evidence_view.LibraryIndexer`,
    the engine's one-thread encoder, under a Qt event loop with a 10 ms timer)."""
    with Store(db) as store:
        if not store.library_folders():
            add_folder(store, docs)
    stages: dict[str, float] = {}
    writing, done = threading.Event(), threading.Event()
    result: list[LibraryIndexReport] = []
    lateness: list[float] = []

    def progress(stage: str, count: int, total: int) -> None:
        stages.setdefault(stage, time.perf_counter())
        writing.set()
        if sys.stderr.isatty() and total:
            sys.stderr.write(f"\r{stage} {count:,}/{total:,}   ")

    def run() -> None:
        try:
            if app:
                result.append(index_in_the_app(db, progress, lateness))
            else:
                encoder = SentenceEncoder(threads=threads)
                with Store(db, check=False) as store:
                    result.append(index_library(store, encoder=encoder, progress=progress))
        finally:
            writing.set()
            done.set()

    started = time.perf_counter()
    if app:  # Qt's loop on this thread, the edits on another
        editor: list[list[float]] = []
        probe = threading.Thread(target=lambda: editor.append(edit_until(db, writing, done)))
        probe.start()
        run()
        probe.join()
        waits = editor[0]
    else:
        worker = threading.Thread(target=run)
        worker.start()
        waits = edit_until(db, writing, done)
        worker.join()
    ended = time.perf_counter()
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    report = result[0]
    how = "the app's indexer, encoder on 1 thread" if app else f"encoder on {threads} threads"
    print(f"indexing ({how}): {report.summary()}")
    embedding_began = stages.get("embedding", ended)
    print(
        f"  {ended - started:.0f} s in all: reading, passages and full-text index"
        f" {embedding_began - started:.0f} s, embeddings {ended - embedding_began:.0f} s"
        f" ({evidence_library.EMBED_WORDS} words a passage)"
    )
    if waits:
        ms = sorted(w * 1000 for w in waits)
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        print(
            f"  an edit every 50 ms meanwhile: {len(ms):,} saved, wait median"
            f" {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.0f} ms"
        )
    if lateness:
        lateness.sort()
        print(
            f"  the UI's {TICK_MS} ms timer meanwhile: late by median"
            f" {statistics.median(lateness):.1f} ms, p99 {lateness[int(len(lateness) * 0.99)]:.1f}"
            f" ms, worst {lateness[-1]:.0f} ms ({len(lateness):,} ticks)"
        )


TICK_MS = 10


def index_in_the_app(
    db: Path, progress: evidence_library.Progress, lateness: list[float]
) -> LibraryIndexReport:
    """The app's background indexer under a Qt event loop; ``lateness`` gets the timer's (ms)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from ui.evidence_view import LibraryIndexer

    qt = QApplication.instance() or QApplication([])
    with Engine() as engine:
        indexer = LibraryIndexer(db, engine=engine)
        clock, timer = QElapsedTimer(), QTimer()
        timer.setInterval(TICK_MS)

        def tick() -> None:
            lateness.append(max(0.0, clock.nsecsElapsed() / 1e6 - TICK_MS))
            clock.restart()

        timer.timeout.connect(tick)
        outcome: list[object] = []
        indexer.progressed.connect(progress)
        indexer.finished.connect(outcome.append)
        indexer.failed.connect(outcome.append)
        clock.start()
        timer.start()
        indexer.index()
        while not outcome:
            qt.processEvents()
            time.sleep(0.001)
        timer.stop()
        indexer.shutdown()
    if not isinstance(outcome[0], LibraryIndexReport):
        raise SystemExit(f"indexing failed: {outcome[0]}")
    return outcome[0]


def ap_at_5(ranked: Sequence[str], relevant: set[str]) -> float:
    hits, total = 0, 0.0
    for k, doc in enumerate(ranked[:5], start=1):
        if doc in relevant:
            hits += 1
            total += hits / k
    return total / min(len(relevant), 5)


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    return next((1 / k for k, doc in enumerate(ranked, start=1) if doc in relevant), 0.0)


def recall(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant)


def evaluate(
    store: Store, engine: Engine, queries: list[tuple[str, str]], qrels: dict[str, set[str]]
) -> None:
    def doc_id(path: str) -> str:
        return Path(path).stem

    judged = [(qid, text) for qid, text in queries if qid in qrels]
    for label, semantic in (("semantic + lexical", True), ("lexical alone", False)):
        ap = rr = r10 = 0.0
        for qid, text in judged:
            found = suggest_evidence(
                store, text, engine=engine, limit=10, per_document=1, semantic=semantic
            )
            ranked = [doc_id(s.path) for s in found]
            ap += ap_at_5(ranked, qrels[qid])
            rr += reciprocal_rank(ranked, qrels[qid])
            r10 += recall(ranked, qrels[qid], 10)
        n = len(judged)
        print(
            f"documents, {label}: MAP@5 {ap / n:.3f}, MRR@10 {rr / n:.3f},"
            f" recall@10 {r10 / n:.3f} ({n} queries)"
        )
    p1 = rr = found10 = 0.0
    for qid, text in judged:
        passages = suggest_evidence(store, text, engine=engine, limit=10, per_document=0)
        ranked = [doc_id(s.path) for s in passages]
        p1 += 1.0 if ranked[:1] and ranked[0] in qrels[qid] else 0.0
        rr += reciprocal_rank(ranked, qrels[qid])
        found10 += 1.0 if set(ranked) & qrels[qid] else 0.0
    n = len(judged)
    print(
        f"passages (no limit per document): first passage from the right article {p1 / n:.3f},"
        f" MRR@10 {rr / n:.3f}, right article among the first 10 passages {found10 / n:.3f}"
    )
    times = []
    for _, text in judged:
        begun = time.perf_counter()
        suggest_evidence(store, text, engine=engine)
        times.append((time.perf_counter() - begun) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(
        f"one claim's suggestions (10, at most 2 per document): median"
        f" {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, max {times[-1]:.0f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", default="dev", choices=("train", "dev"))
    parser.add_argument("--docs", type=int, help="only the relevant articles and N others")
    parser.add_argument("--db", type=Path, help="keep the database here (reused if present)")
    parser.add_argument("--threads", type=int, default=2, help="encoder threads (2)")
    parser.add_argument(
        "--app", action="store_true", help="index as the app does (one thread, Qt loop)"
    )
    parser.add_argument("--embed-words", type=int, help="words of a passage embedded")
    args = parser.parse_args(argv)
    if not (args.data / "collection_fulltext.jsonl.gz").exists():
        print(f"skipped: {args.data} has no collection_fulltext.jsonl.gz")
        return 0
    if args.embed_words:
        evidence_library.EMBED_WORDS = args.embed_words
    queries = load_queries(args.data, args.split)
    qrels = load_qrels(args.data)
    with tempfile.TemporaryDirectory() as scratch:
        db = args.db or Path(scratch) / "library.db"
        docs = db.with_name(db.name + ".documents")
        keep = {d for qid, _ in queries for d in qrels.get(qid, ())}
        fresh = not db.exists()
        count = write_documents(args.data, docs, keep if args.docs is not None else None, args.docs)
        print(f"{count:,} documents ({folder_bytes(docs) / 1e6:,.0f} MB) in {docs}")
        if fresh:
            index(db, docs, args.threads, app=args.app)
        with Store(db, check=False) as store, Engine() as engine:
            begun = time.perf_counter()
            suggest_evidence(store, "warm up", engine=engine)
            print(f"first suggestion (loads the encoder and the vector index): "
                  f"{time.perf_counter() - begun:.2f} s")  # fmt: skip
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            library = index_folder(db) / "library"
            print(
                f"index on disk: database {db.stat().st_size / 1e6:,.0f} MB"
                f" ({store.library_passage_count():,} passages,"
                f" {store.library_embedding_state().rows:,} vectors), vector index"
                f" {folder_bytes(library) / 1e6 if library.exists() else 0:,.0f} MB;"
                f" the documents {folder_bytes(docs) / 1e6:,.0f} MB"
            )
            evaluate(store, engine, queries, qrels)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
