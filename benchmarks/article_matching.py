"""How long a long article takes to open and to match against a real archive, as the app does it.

Builds a database with the 12,836-claim PolitiFact archive (LIAR, from
``../shared/data/past_claims/``) imported as ``workbench import`` does, and, unless
``--lexical``, its embeddings computed as ``workbench embed`` does. The article is the 43
Wikinews articles run together, cut to ``--words`` words (10,000 by default).

Prints medians over ``--runs`` runs of:

- analysing and storing the article (``analyze_article``, what the app does before it
  shows the text and highlights; the pipeline and model loaded beforehand);
- matching all its claims as the app's matcher does (``ui.archive_work``): the article's
  own claims excluded, a small first slice, then slices, so the time to the first
  visible results and to all of them;
- peak memory (RSS) of the process.

Usage: python benchmarks/article_matching.py [--words 10000] [--runs 3] [--lexical]
       [--article FILE] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ui.archive_work import slices  # noqa: E402
from workbench.analysis import analyze_article  # noqa: E402
from workbench.archive import import_archive  # noqa: E402
from workbench.engine import PAST_CHECK_WORDS, Engine, Memo  # noqa: E402
from workbench.matching import POSSIBLE_MATCH, match_slices  # noqa: E402
from workbench.models import ArticleDraft  # noqa: E402
from workbench.nlp import claim_detector, load_pipeline  # noqa: E402
from workbench.semantic import embed_archive  # noqa: E402
from workbench.store import Store  # noqa: E402

DATA = REPO.parent / "shared" / "data"
LIAR = DATA / "past_claims" / "liar_politifact.jsonl"
WIKINEWS = DATA / "articles" / "wikinews_gum.jsonl"


def article_text(words: int, offset: int = 0) -> str:
    """The Wikinews articles' paragraphs, from paragraph ``offset`` on, in order and
    repeated if need be, to ``words`` words."""
    paragraphs = [
        p for line in WIKINEWS.open() for p in json.loads(line)["text"].split("\n") if p.strip()
    ]
    paragraphs = paragraphs[offset:] + paragraphs[:offset]
    out: list[str] = []
    count = 0
    while count < words:
        for paragraph in paragraphs:
            out.append(paragraph)
            count += len(paragraph.split())
            if count >= words:
                break
    return "\n\n".join(out)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lexical", action="store_true", help="no embeddings")
    parser.add_argument(
        "--article", type=Path, help="a text file to match instead of the Wikinews articles"
    )
    parser.add_argument(
        "--db",
        type=Path,
        help="an existing database with an archive (e.g. from benchmarks/matching_speed.py"
        " --db); the article is added to it",
    )
    args = parser.parse_args(argv)
    if not LIAR.exists() or not WIKINEWS.exists():
        print(f"skipped: {LIAR} or {WIKINEWS} is missing")
        return 0
    text = args.article.read_text(encoding="utf-8") if args.article else article_text(args.words)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        if args.db is None:
            with Store(db) as store:
                started = time.perf_counter()
                import_archive(store, str(LIAR))
                print(
                    f"archive: {store.archive_count():,} past checks imported in "
                    f"{time.perf_counter() - started:.1f} s"
                )
                if not args.lexical:
                    started = time.perf_counter()
                    embed_archive(store)
                    print(f"embeddings computed in {time.perf_counter() - started:.1f} s")
        else:
            with Store(db) as store:
                print(f"archive: {store.archive_count():,} past checks in {db}")
        nlp = load_pipeline()
        engine = Engine.default()
        analyse, first, full, claims = [], [], [], 0
        for run in range(args.runs):
            with Store(db) as store:
                # A new article each run (the same text would be found already stored, by
                # this run or an earlier one on the same --db, and not analysed at all).
                marker = f"Run {run} of {time.time_ns()}."
                draft = ArticleDraft(f"{text}\n\n{marker}", title=f"run {run}")
                claim_detector(nlp).cache.clear()  # its sentences are new to the model too
                started = time.perf_counter()
                result = analyze_article(store, draft, nlp=nlp)
                analyse.append(time.perf_counter() - started)
                stored = list(result.claims)
                claims = len(stored)
                ids = [c.id for c in stored]
                by_id = {c.id: c.text for c in stored}
                # Each run reads the past checks' words afresh, as a new article would.
                engine.past_check_words = Memo(
                    PAST_CHECK_WORDS, weight=lambda key: len(key[0]) + len(key[1])
                )
                started = time.perf_counter()
                pieces = [[by_id[i] for i in piece] for piece in slices(ids)]
                found_each = match_slices(  # as the app does
                    store, pieces, top_k=5, min_score=POSSIBLE_MATCH, exclude_claims=ids,
                    engine=engine, semantic=not args.lexical,  # also on a --db with embeddings
                )  # fmt: skip
                for n, _ in enumerate(found_each):
                    if n == 0:
                        first.append(time.perf_counter() - started)
                full.append(time.perf_counter() - started)
    words = len(text.split())
    print(f"article: {words:,} words, {claims} claims; medians of {args.runs} runs")
    print(f"  analyse and store:        {statistics.median(analyse):6.2f} s")
    print(f"  first matches shown:      {statistics.median(first):6.2f} s")
    print(
        f"  every claim matched:      {statistics.median(full):6.2f} s"
        f" ({'lexical' if args.lexical else 'semantic'})"
    )
    print(f"  peak memory (RSS):        {peak_rss_mb():6.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
