"""How well past-claim matching finds the earlier fact-check of a claim.

For each CheckThat! claim-retrieval set in ``../shared/data/claim_retrieval/``
(tweets and debate sentences against earlier Snopes and PolitiFact checks), the
collection is imported into a temporary database through the same code the CLI
and the app use (:func:`workbench.archive.import_archive`), every train and dev
query is matched with :func:`workbench.matching.match_claims`, and MAP@5, MRR and
recall@5 are printed per split, next to plain FTS5 BM25 (the candidate order
before re-ranking). By default the collection's embeddings are computed first, so
matching is semantic and lexical, as in the app; ``--lexical`` leaves them out.

Usage: python benchmarks/claim_retrieval.py [--data PATH] [--sets ct20_task2_en ...] [--lexical]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench import matching  # noqa: E402
from workbench.archive import import_archive  # noqa: E402
from workbench.models import MatchStrength  # noqa: E402
from workbench.nlp.encoder import SentenceEncoder  # noqa: E402
from workbench.semantic import embed_archive  # noqa: E402
from workbench.store import Store, fts_or_query  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "claim_retrieval"
SETS = ("ct20_task2_en", "ct22_task2a_en", "ct21_task2b_en")
SPLITS = ("train", "dev")


def load_queries(folder: Path) -> list[dict[str, str]]:
    with (folder / "queries.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_qrels(folder: Path) -> dict[str, set[str]]:
    qrels: dict[str, set[str]] = {}
    with (folder / "qrels.tsv").open(encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t")
        next(reader)
        for query_id, doc_id, relevance in reader:
            if int(relevance) > 0:
                qrels.setdefault(query_id, set()).add(doc_id)
    return qrels


def scores(ranked: Sequence[Sequence[str]], relevant: Sequence[set[str]]) -> dict[str, float]:
    """MAP@5, MRR (over the whole returned list) and recall@5."""
    ap = rr = rec = 0.0
    n = 0
    for docs, rel in zip(ranked, relevant, strict=True):
        if not rel:
            continue
        n += 1
        hits = 0
        precision_sum = 0.0
        for k, doc in enumerate(docs[:5], start=1):
            if doc in rel:
                hits += 1
                precision_sum += hits / k
        ap += precision_sum / min(len(rel), 5)
        rec += hits / len(rel)
        rr += next((1 / k for k, doc in enumerate(docs, start=1) if doc in rel), 0.0)
    n = max(n, 1)
    return {"MAP@5": ap / n, "MRR": rr / n, "R@5": rec / n}


def bm25_ranking(store: Store, text: str, limit: int = 50) -> list[str]:
    """Plain FTS5 BM25 over claim text and title, as before re-ranking."""
    query = matching._prepare_query(text)
    terms = matching._fts_terms(query)
    if not terms:
        return []
    return [c.claim.external_id for c in store.archive_candidates(fts_or_query(terms), limit=limit)]


def build(folder: Path, db_path: Path, *, embed: bool = True) -> Store:
    """Import a set's collection as the app does; with ``embed``, compute its embeddings too."""
    store = Store(db_path, user="benchmark")
    started = time.perf_counter()
    report = import_archive(store, folder / "collection.jsonl", source=folder.name)
    print(f"  {report.summary()} in {time.perf_counter() - started:.2f} s")
    if embed:
        encoder = SentenceEncoder(threads=os.cpu_count() or 1)
        done = embed_archive(store, encoder)
        print(f"  embedded {done.embedded:,} in {done.seconds:.1f} s ({done.rate:.0f}/s)")
    return store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sets", nargs="*", default=list(SETS))
    parser.add_argument("--splits", nargs="*", default=list(SPLITS))
    parser.add_argument(
        "--lexical", action="store_true", help="no embeddings: FTS5 and word signals only"
    )
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no data at {args.data}; skipping")
        return 0
    print(
        f"thresholds: possible {matching.POSSIBLE_MATCH}, strong {matching.STRONG_MATCH};"
        f" {matching.CANDIDATES} candidates"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sets:
            folder = args.data / name
            print(name)
            store = build(folder, Path(tmp) / f"{name}.db", embed=not args.lexical)
            queries = load_queries(folder)
            qrels = load_qrels(folder)
            for split in args.splits:
                rows = [q for q in queries if q["split"] == split]
                relevant = [qrels.get(q["id"], set()) for q in rows]
                started = time.perf_counter()
                found = matching.match_claims(store, [q["text"] for q in rows], top_k=10)
                elapsed = time.perf_counter() - started
                fused = scores([[m.archive.external_id for m in ms] for ms in found], relevant)
                base = scores([bm25_ranking(store, q["text"]) for q in rows], relevant)
                # The badge the app shows: the best strong match (one whose words deny
                # the claim's is not strong: matching.negation_conflict).
                badges = [
                    next((m for m in ms if m.strength is MatchStrength.STRONG), None)
                    for ms in found
                ]
                strong = [m for m in badges if m is not None]
                strong_ok = sum(
                    m.archive.external_id in rel
                    for m, rel in zip(badges, relevant, strict=True)
                    if m is not None
                )
                denied = [
                    (m.archive.external_id in rel)
                    for ms, rel in zip(found, relevant, strict=True)
                    for m in ms[:1]
                    if m.score >= matching.STRONG_MATCH
                    and any(c.kind == "negation" for c in m.conflicts)
                ]
                print(
                    f"  {split:5s} n={len(rows):4d}  fused: "
                    + "  ".join(f"{k} {v:.3f}" for k, v in fused.items())
                    + "   BM25: "
                    + "  ".join(f"{k} {v:.3f}" for k, v in base.items())
                    + f"   badges: {len(strong)} ({strong_ok / max(len(strong), 1):.0%}"
                    f" right; {len(denied)} top matches held back as denials,"
                    f" {sum(denied)} of them the right check)"
                    f"   {1000 * elapsed / max(len(rows), 1):.1f} ms/query"
                )
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
