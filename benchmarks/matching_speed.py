"""How fast past-claim matching and archive import are at scale.

Builds an archive of ``--size`` past checks (1,000,000 by default) from the LIAR
PolitiFact statements in ``../shared/data/past_claims/`` with variations (numbers,
names, wording and order changed), imported through
:meth:`workbench.store.Store.import_archive_records`, the code path of
``workbench import``. Then prints:

- the median time to import 100,000 records into a fresh database (``--import-runs``;
  ``benchmarks/import_speed.py`` compares it with a raw insert of the same records);
- the build time, database size and peak memory (RSS) of the big archive;
- p50 / p95 latency of matching one claim, and the time to match a 30-claim article,
  lexical (FTS5 and word signals) and semantic (with embeddings, as the app matches
  once they exist);
- the time of the first build of the embedding index kept beside the database (its
  folder is deleted first), and its size on disk;
- for a new process (``workbench match`` in another terminal) that opens the database
  and matches one claim: its time from start to answer (median of ``--new-processes``)
  and its peak memory (RSS). That process only opens a store and calls
  :func:`workbench.matching.match_claims`, so ``--tree DIR`` can run it against another
  checkout of the workbench (``git archive HEAD | tar -x -C DIR``) for a before/after.

Embeddings: the LIAR statements themselves are embedded by the bundled encoder; each
variation gets its statement's vector with random noise added (cosine about 0.9 to
it), because embedding a million texts takes the encoder half an hour and the search
costs the same whatever the vectors' values. Quality is measured elsewhere
(``benchmarks/claim_retrieval.py``).

Usage: python benchmarks/matching_speed.py [--size N] [--queries 300] [--db PATH]
       [--new-processes 3] [--tree DIR] [--keep-index]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench import semantic  # noqa: E402
from workbench.dbfile import index_folder  # noqa: E402
from workbench.engine import Engine  # noqa: E402
from workbench.matching import match_claims  # noqa: E402
from workbench.models import ArchiveRecord  # noqa: E402
from workbench.nlp.encoder import SentenceEncoder  # noqa: E402
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


def add_embeddings(store: Store, base: list[dict[str, str]]) -> None:
    """Vectors for every past check: real ones for the statements, noisy copies for variations.

    Relies on the archive having been built into a fresh database by :func:`records`,
    so that the past check with id ``i`` came from statement ``(i - 1) % len(base)``.
    """
    encoder = SentenceEncoder(threads=os.cpu_count() or 1)
    model = semantic.encoder_id(encoder)
    started = time.perf_counter()
    vectors = encoder.embed([row["text"] for row in base])
    print(f"embedded {len(base):,} statements in {time.perf_counter() - started:.0f} s")
    rng = np.random.default_rng(11)
    after = 0
    while rows := store.archive_texts_to_embed(model, limit=50_000, after_id=after):
        ids = np.array([i for i, _ in rows])
        chosen = vectors[(ids - 1) % len(base)]
        noisy = chosen + rng.normal(0, 0.5 / np.sqrt(chosen.shape[1]), chosen.shape)
        noisy[ids <= len(base)] = chosen[ids <= len(base)]
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        blobs = semantic.encode_vectors(noisy.astype(np.float32))
        store.save_archive_embeddings(
            model, [(i, text, blob) for (i, text), blob in zip(rows, blobs, strict=True)]
        )
        after = rows[-1][0]


def timed_matching(store: Store, queries: list[str], rng: random.Random, *, sem: bool) -> None:
    """Print p50 / p95 for one claim and the median time for a 30-claim article."""
    match_claims(store, queries[:1], semantic=sem)  # warm the page cache
    latencies = []
    for text in queries:
        started = time.perf_counter()
        match_claims(store, [text], semantic=sem)
        latencies.append(1000 * (time.perf_counter() - started))
    latencies.sort()
    p50 = latencies[len(latencies) // 2]
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    kind = "semantic" if sem else "lexical "
    print(
        f"{kind} one claim ({len(latencies)} queries): p50 {p50:.1f} ms, p95 {p95:.1f} ms,"
        f" max {latencies[-1]:.1f} ms"
    )
    article_times = []
    for _ in range(5):
        claims = rng.sample(queries, 30)
        started = time.perf_counter()
        match_claims(store, claims, semantic=sem)
        article_times.append(time.perf_counter() - started)
    print(
        f"{kind} 30-claim article: median {statistics.median(article_times):.2f} s,"
        f" max {max(article_times):.2f} s"
    )


NEW_PROCESS = r"""
import json, resource, sys, time
started = time.perf_counter()
from pathlib import Path
from workbench.matching import match_claims
from workbench.store import Store
with Store(Path(sys.argv[1])) as store:
    found = match_claims(store, [sys.argv[2]])[0]
seconds = time.perf_counter() - started
try:  # this process's own peak: Linux keeps ru_maxrss across exec, from the forked parent
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    rss_mb = int(status["VmHWM"].split()[0]) / 1024
except OSError:
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024)  # macOS: bytes
print(json.dumps({
    "seconds": seconds, "rss_mb": rss_mb,
    "semantic": any("cosine" in dict(m.signals) for m in found),
}))
"""


def new_process_match(db: Path, claim: str, *, tree: Path) -> tuple[float, float, float]:
    """Start a process that opens ``db`` and matches ``claim``, as ``workbench match`` does.

    Returns its wall time from start to exit, the time its code took after the
    interpreter started, and its peak RSS in MB.
    """
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", NEW_PROCESS, str(db), claim],
        capture_output=True, text=True, env=env, cwd=tree, check=True,
    )  # fmt: skip
    wall = time.perf_counter() - started
    report = json.loads(done.stdout.splitlines()[-1])
    if not report["semantic"]:
        print("  (warning: that match was not semantic)")
    return wall, report["seconds"], report["rss_mb"]


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.glob("*") if p.is_file()) / 1e6


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--import-runs", type=int, default=3)
    parser.add_argument("--db", type=Path, help="keep the big archive here (default: temporary)")
    parser.add_argument("--lexical", action="store_true", help="skip the embeddings")
    parser.add_argument("--new-processes", type=int, default=3, help="new-process matches timed")
    parser.add_argument(
        "--tree", type=Path, default=REPO, help="the workbench checkout the new processes run"
    )
    parser.add_argument(
        "--keep-index", action="store_true", help="keep the index folder instead of building it"
    )
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
        timed_matching(store, queries, rng, sem=False)
        if not args.lexical:
            engine = Engine.default()  # what match_claims uses
            if not engine.semantic_status(store).complete:  # none yet, or another encoder's
                started = time.perf_counter()
                add_embeddings(store, base)
                print(
                    f"stored {store.embedding_state().rows:,} vectors in"
                    f" {time.perf_counter() - started:.0f} s"
                )
            assert engine.encoder() is not None, "the bundled sentence encoder did not load"
            folder = index_folder(path.resolve())
            if not args.keep_index:
                shutil.rmtree(folder, ignore_errors=True)
            started = time.perf_counter()
            index = engine.index_for(store)
            print(
                f"embedding index: {len(index):,} vectors built and kept in"
                f" {time.perf_counter() - started:.1f} s ({index.nbytes / 1e6:,.0f} MB;"
                f" {folder_mb(folder):,.0f} MB on disk)"
            )
            runs = [
                new_process_match(
                    path.resolve(), queries[n % len(queries)], tree=args.tree.resolve()
                )
                for n in range(args.new_processes)
            ]
            if runs:
                walls, inside, rss = zip(*runs, strict=True)
                print(
                    f"new process, first semantic match: median {statistics.median(walls):.2f} s"
                    f" (runs: {', '.join(f'{t:.2f}' for t in walls)}; after interpreter start"
                    f" {statistics.median(inside):.2f} s), peak RSS {max(rss):,.0f} MB"
                )
            timed_matching(store, queries, rng, sem=True)
        store.close()
    print(f"peak memory (RSS): {peak_rss_mb():,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
