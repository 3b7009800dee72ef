"""Searching the team archive on the server: one claim's latency on a million past checks,
and the quality of server-side search next to local matching.

Starts its own throwaway PostgreSQL (``tests/core/team_server.py``: initdb in a temporary
folder, a Unix socket only; deleted at the end).

**Latency** (the default): loads ``--rows`` past checks (1,000,000) through the same
code as ``workbench team import`` (:func:`workbench.team.archive.load_records`),
synthesised from the 12,836 PolitiFact statements in ``../shared/data/past_claims/`` —
each kept once as it is, the rest made by joining the first half of one statement to
the second half of another and changing its numbers, so the vocabulary and its
frequencies grow as a real archive's do rather than repeating one set of texts — then
times :func:`workbench.team.search.search_team` for ``--queries`` claims one at a time
(debate sentences and tweets from the CheckThat! claim-retrieval sets), end to end:
the server's candidate search and the local re-ranking. With ``--vectors`` each past
check also carries a stored embedding (its first statement's), so the timing includes
decoding the candidates' vectors and embedding the claim.

**Quality** (``--quality``): for each claim-retrieval set, its collection is loaded
into a local database (as ``benchmarks/claim_retrieval.py`` does) and onto the server,
and the dev queries are matched both ways: MAP@5, MRR and recall@10. Lexical first
(local without embeddings, server without vectors), then with embeddings (local:
FTS5 hits, nearest neighbours and the cosine; server: its candidates scored with the
cosine of the stored vectors; it has no nearest-neighbour search without pgvector).

Usage:
    python benchmarks/team_search.py [--rows 1000000] [--queries 300] [--vectors]
    python benchmarks/team_search.py --quality [--sets ct22_task2a_en ct21_task2b_en]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402

from benchmarks.claim_retrieval import load_qrels, load_queries  # noqa: E402
from tests.core.team_server import TeamServer, find_pg_bin, running_server  # noqa: E402
from workbench.models import ArchiveRecord, Match  # noqa: E402

DATA = REPO.parent / "shared" / "data"
PAST_CLAIMS = DATA / "past_claims" / "liar_politifact.jsonl"
RETRIEVAL = DATA / "claim_retrieval"
QUERY_SETS = ("ct21_task2b_en", "ct22_task2a_en")
QUALITY_SETS = ("ct20_task2_en", "ct22_task2a_en", "ct21_task2b_en")
SERVER_SETTINGS = {
    "shared_buffers": "1GB",
    "maintenance_work_mem": "512MB",
    "work_mem": "16MB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


# -- the server -----------------------------------------------------------------------


def start_server(stack: contextlib.ExitStack) -> TeamServer:
    """A throwaway cluster with room for a million past checks in memory."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise SystemExit("no PostgreSQL: initdb is neither on PATH nor in /usr/lib/postgresql")
    server = stack.enter_context(running_server(bin_dir))
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        for name, value in SERVER_SETTINGS.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    server.stop()
    server.start()
    return server


def new_team(server: TeamServer, name: str) -> str:
    from workbench.team import init_team

    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    init_team(server.dsn(name))
    return server.dsn(name)


# -- synthesised past checks --------------------------------------------------------


def politifact() -> list[dict[str, str]]:
    with PAST_CLAIMS.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def synthesise(rows: int, seed: int = 0) -> Iterator[tuple[ArchiveRecord, int]]:
    """``rows`` past checks and, for each, the index of the statement it starts with."""
    base = politifact()
    rng = random.Random(seed)
    for i in range(rows):
        first = i % len(base)
        a = base[first]
        if i < len(base):
            text = a["text"]
        else:
            b = base[rng.randrange(len(base))]
            head, tail = a["text"].split(), b["text"].split()
            text = " ".join(head[: max(1, len(head) // 2)] + tail[len(tail) // 2 :])
            text = _NUMBER.sub(lambda m: str(rng.randint(2, 99_999)), text)
        yield (
            ArchiveRecord(
                text=text,
                external_id=f"syn-{i}",
                verdict=a.get("verdict", ""),
                speaker=a.get("speaker", ""),
                publisher="PolitiFact",
            ),
            first,
        )


def latency_queries(count: int, seed: int = 0) -> list[str]:
    texts = [q["text"] for name in QUERY_SETS for q in load_queries(RETRIEVAL / name)]
    random.Random(seed).shuffle(texts)
    return texts[:count]


def load_synthetic(dsn: str, rows: int, *, vectors: bool) -> None:
    from workbench.team.archive import load_records

    encoder = blobs = model = None
    if vectors:
        from workbench.nlp.encoder import SentenceEncoder
        from workbench.semantic import encode_vectors, encoder_id

        encoder = SentenceEncoder(threads=os.cpu_count() or 1)
        model = encoder_id(encoder)
        started = time.perf_counter()
        texts = [r["text"] for r in politifact()]
        blobs = [b for i in range(0, len(texts), 256)
                 for b in encode_vectors(encoder.embed(texts[i : i + 256]))]  # fmt: skip
        print(f"  embedded the {len(texts):,} statements in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    made = list(synthesise(rows))

    def progress(done: int, total: int) -> None:
        if done % 100_000 < 5_000:
            rate = done / (time.perf_counter() - started)
            print(f"  {done:,} / {total:,} loaded ({rate:,.0f}/s)", flush=True)

    with psycopg.connect(dsn, autocommit=True) as conn:
        result = load_records(
            conn, (r for r, _ in made), source="synthetic", server="bench", login="admin",
            progress=progress, total=rows,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        print(f"  loaded {result.added:,} past checks in {elapsed:.0f} s")
        if blobs is not None:
            started = time.perf_counter()
            attach_vectors(
                conn, "synthetic", [(r.external_id, blobs[first]) for r, first in made], model
            )
            print(f"  stored their vectors in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE workbench_team.past_checks")
        conn.execute("VACUUM ANALYZE workbench_team.past_check_terms")
        print(f"  vacuum analyze in {time.perf_counter() - started:.0f} s")
        size = conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('workbench_team.past_checks'))"
        ).fetchone()
        print(f"  table with its indexes: {size[0] if size else '?'}")


def attach_vectors(
    conn: psycopg.Connection[tuple[object, ...]],
    source: str,
    vectors: Sequence[tuple[str, bytes]],
    model: str | None,
) -> None:
    """Store precomputed vectors on the server (the benchmark's shortcut: no re-embedding)."""
    with conn.transaction():
        conn.execute("CREATE TEMP TABLE bench_vectors (external_id text, embedding bytea)")
        with conn.cursor() as cur, cur.copy("COPY bench_vectors FROM STDIN") as copy:
            for row in vectors:
                copy.write_row(row)
        conn.execute(
            "UPDATE workbench_team.past_checks p SET embedding = v.embedding,"
            " embedding_model = %s FROM bench_vectors v"
            " WHERE p.source = %s AND p.external_id = v.external_id",
            (model, source),
        )
        conn.execute("DROP TABLE bench_vectors")


# -- latency --------------------------------------------------------------------------


def latency(args: argparse.Namespace, server: TeamServer) -> None:
    from workbench.team.search import search_team

    dsn = new_team(server, "bench")
    print(f"loading {args.rows:,} synthesised past checks")
    load_synthetic(dsn, args.rows, vectors=args.vectors)
    encoder = None
    if args.vectors:
        from workbench.nlp.encoder import SentenceEncoder

        encoder = SentenceEncoder(threads=1)
    queries = latency_queries(args.queries)
    with psycopg.connect(dsn, autocommit=True) as conn:
        for text in queries[:20]:  # warm the caches and the dictionaries
            search_team(conn, [text], encoder=encoder)
        times = []
        found = 0
        for text in queries:
            started = time.perf_counter()
            [matches] = search_team(conn, [text], encoder=encoder)
            times.append(1000 * (time.perf_counter() - started))
            found += bool(matches)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    print(
        f"one claim, {len(times)} claims: median {statistics.median(times):.1f} ms,"
        f" p95 {p95:.1f} ms, max {times[-1]:.1f} ms ({found} with matches;"
        f" {'with' if args.vectors else 'without'} stored vectors)"
    )


# -- quality --------------------------------------------------------------------------


def ranking_scores(
    ranked: Sequence[Sequence[str]], relevant: Sequence[set[str]]
) -> dict[str, float]:
    """MAP@5, MRR (over the returned list) and recall@10."""
    ap = rr = rec = 0.0
    n = 0
    for docs, rel in zip(ranked, relevant, strict=True):
        if not rel:
            continue
        n += 1
        hits = 0
        precision = 0.0
        for k, doc in enumerate(docs[:5], start=1):
            if doc in rel:
                hits += 1
                precision += hits / k
        ap += precision / min(len(rel), 5)
        rec += len(rel & set(docs[:10])) / len(rel)
        rr += next((1 / k for k, doc in enumerate(docs, start=1) if doc in rel), 0.0)
    n = max(n, 1)
    return {"MAP@5": ap / n, "MRR": rr / n, "R@10": rec / n}


def quality(args: argparse.Namespace, server: TeamServer) -> None:
    from workbench.archive import import_archive, read_archive
    from workbench.engine import Engine
    from workbench.matching import match_claims
    from workbench.nlp.encoder import SentenceEncoder
    from workbench.semantic import embed_archive, encoder_id
    from workbench.store import Store
    from workbench.team.archive import load_records
    from workbench.team.search import search_team

    encoder = SentenceEncoder(threads=os.cpu_count() or 1)
    engine = Engine()
    with tempfile.TemporaryDirectory() as tmp:
        for number, name in enumerate(args.sets):
            folder = RETRIEVAL / name
            queries = [q for q in load_queries(folder) if q["split"] == "dev"]
            qrels = load_qrels(folder)
            relevant = [qrels.get(q["id"], set()) for q in queries]
            texts = [q["text"] for q in queries]
            print(f"{name} dev, {len(texts)} queries")
            store = Store(Path(tmp) / f"{name}.db", user="benchmark")
            import_archive(store, folder / "collection.jsonl", source=name)
            dsn = new_team(server, f"quality{number}")
            with psycopg.connect(dsn, autocommit=True) as conn:
                records = read_archive(folder / "collection.jsonl").records
                load_records(conn, records, source=name, server="bench", login="admin")
                conn.execute("VACUUM ANALYZE workbench_team.past_checks")

                def show(
                    label: str, found: list[list[Match]], relevant: list[set[str]] = relevant
                ) -> None:
                    ids = [[m.archive.external_id for m in ms] for ms in found]
                    s = ranking_scores(ids, relevant)
                    print(f"  {label:30s} " + "  ".join(f"{k} {v:.3f}" for k, v in s.items()))

                show("local, lexical", match_claims(store, texts, top_k=10, semantic=False,
                                                    engine=engine))  # fmt: skip
                show("server, lexical", search_team(conn, texts, top_k=10))
                if args.lexical:
                    store.close()
                    continue
                embed_archive(store, encoder)
                by_id = store.archive_claims_by_id(
                    archive_id for archive_id, _ in store.archive_embeddings(limit=10**9)
                )
                vectors = [(by_id[i].external_id, blob)
                           for i, blob in store.archive_embeddings(limit=10**9)]  # fmt: skip
                attach_vectors(conn, name, vectors, encoder_id(encoder))
                show("local, with embeddings", match_claims(store, texts, top_k=10,
                                                            engine=engine))  # fmt: skip
                show("server, with stored vectors",
                     search_team(conn, texts, top_k=10, encoder=encoder))  # fmt: skip
            store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--vectors", action="store_true", help="store vectors with the rows")
    parser.add_argument("--quality", action="store_true", help="MAP@5 against local matching")
    parser.add_argument("--sets", nargs="*", default=list(QUALITY_SETS))
    parser.add_argument("--lexical", action="store_true", help="--quality without embeddings")
    args = parser.parse_args(argv)
    if not PAST_CLAIMS.exists() or not RETRIEVAL.exists():
        print(f"no data at {DATA}; skipping")
        return 0
    with contextlib.ExitStack() as stack:
        server = start_server(stack)
        if args.quality:
            quality(args, server)
        else:
            latency(args, server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
