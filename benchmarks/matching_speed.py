"""How fast past-claim matching and archive import are at scale.

Builds an archive of ``--size`` past checks (1,000,000 by default) from the LIAR
PolitiFact statements in ``../shared/data/past_claims/`` with variations (numbers,
names, wording and order changed), imported through
:meth:`workbench.store.Store.import_archive_records`, the code path of
``workbench import``. Then prints:

- the median time to import 100,000 records into a fresh database (``--import-runs``);
- the build time, database size and peak memory (RSS) of the big archive;
- p50 / p95 latency of matching one claim, and the time to match a 30-claim article.

Usage: python benchmarks/matching_speed.py [--size N] [--queries 300] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.matching import match_claim, match_claims  # noqa: E402
from workbench.models import ArchiveRecord  # noqa: E402
from workbench.store import Store  # noqa: E402

DATA = REPO.parent / "shared" / "data"
LIAR = DATA / "past_claims" / "liar_politifact.jsonl"
ARTICLES = DATA / "articles" / "wikinews_gum.jsonl"
DEBATES = DATA / "claim_retrieval" / "ct21_task2b_en" / "queries.jsonl"

NAMES = ["Obama", "Trump", "Clinton", "Biden", "Romney", "Sanders", "Perry", "Walker",
         "Scott", "Cruz", "Rubio", "Pelosi", "McConnell", "Warren", "Christie", "Kasich",
         "Bush"]  # fmt: skip
SWAPS = {"says": "claims", "percent": "per cent", "more": "fewer", "increase": "rise",
         "state": "county", "jobs": "positions", "taxes": "levies", "voted": "cast a vote",
         "government": "administration", "federal": "national", "million": "billion"}  # fmt: skip


def vary(text: str, rng: random.Random) -> str:
    """A plausible different claim on the same theme: new numbers, names, words, order."""
    words = text.split()
    out = []
    for w in words:
        bare = w.strip(".,\"'")
        if bare.isdigit() or bare.replace(",", "").isdigit():
            w = w.replace(bare, str(rng.randint(2, 99_999)))
        elif bare in NAMES and rng.random() < 0.6:
            w = w.replace(bare, rng.choice(NAMES))
        elif bare.lower() in SWAPS and rng.random() < 0.5:
            w = w.replace(bare, SWAPS[bare.lower()])
        elif rng.random() < 0.08:
            continue
        out.append(w)
    if len(out) > 8 and rng.random() < 0.3:
        cut = rng.randint(3, len(out) - 3)
        out = out[cut:] + out[:cut]
    if rng.random() < 0.3:
        out.insert(0, f"{rng.choice(NAMES)} says")
    if rng.random() < 0.4:
        out.append(f"in {rng.randint(1990, 2024)}")
    return " ".join(out)


def records(base: list[dict[str, str]], size: int, seed: int = 1) -> Iterator[ArchiveRecord]:
    rng = random.Random(seed)
    for i in range(size):
        row = base[i % len(base)]
        text = row["text"] if i < len(base) else vary(row["text"], rng)
        yield ArchiveRecord(
            text=text,
            external_id=f"{row['id']}-{i}",
            title="",
            verdict=row.get("verdict", ""),
            url=f"https://example.org/check/{i}",
            date=f"{rng.randint(2007, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            speaker=row.get("speaker", ""),
        )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--import-runs", type=int, default=3)
    parser.add_argument("--db", type=Path, help="keep the big archive here (default: temporary)")
    args = parser.parse_args(argv)
    if not LIAR.exists():
        print(f"no data at {LIAR}; skipping")
        return 0
    base = [json.loads(line) for line in LIAR.read_text(encoding="utf-8").splitlines() if line]
    rng = random.Random(7)

    with tempfile.TemporaryDirectory() as tmp:
        times = []
        for run in range(args.import_runs):
            with Store(Path(tmp) / f"import-{run}.db", user="bench") as store:
                batch = list(records(base, 100_000, seed=run))
                started = time.perf_counter()
                store.import_archive_records(batch, source="liar")
                times.append(time.perf_counter() - started)
        if times:
            print(
                f"import 100,000 records: median {statistics.median(times):.2f} s"
                f" (runs: {', '.join(f'{t:.2f}' for t in times)})"
            )

        path = args.db or Path(tmp) / "big.db"
        store = Store(path, user="bench")
        if store.archive_count("liar-big") == 0:
            started = time.perf_counter()
            done = 0
            chunk = 200_000
            for start in range(store.archive_count(), args.size, chunk):
                part = list(records(base, min(start + chunk, args.size), seed=3))[start:]
                done += store.import_archive_records(part, source="liar-big").added
            build = time.perf_counter() - started
            print(f"built an archive of {args.size:,} past checks in {build:.1f} s")
        size_mb = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6
        print(f"database: {size_mb:,.0f} MB ({store.archive_count():,} past checks)")

        queries = [vary(row["text"], rng) for row in rng.sample(base, args.queries // 2)]
        if DEBATES.exists():
            debates = [json.loads(line)["text"] for line in DEBATES.read_text().splitlines()]
            queries += rng.sample(debates, args.queries - len(queries))
        match_claim(store, queries[0])  # warm the page cache
        latencies = []
        for text in queries:
            started = time.perf_counter()
            match_claim(store, text)
            latencies.append(1000 * (time.perf_counter() - started))
        latencies.sort()
        p50 = latencies[len(latencies) // 2]
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(
            f"one claim ({len(latencies)} queries): p50 {p50:.1f} ms, p95 {p95:.1f} ms,"
            f" max {latencies[-1]:.1f} ms"
        )
        article_times = []
        for i in range(5):
            claims = rng.sample(queries, 30)
            started = time.perf_counter()
            match_claims(store, claims)
            article_times.append(time.perf_counter() - started)
            del i
        print(
            f"30-claim article: median {statistics.median(article_times):.2f} s,"
            f" max {max(article_times):.2f} s"
        )
        store.close()
    print(f"peak memory (RSS): {peak_rss_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
