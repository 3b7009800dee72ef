"""Fit the past-claim matcher's signal weights on the claim-retrieval train splits.

For every train query of the three CheckThat! sets, the top FTS5 candidates are
taken from a temporary archive (imported as the app does), their signals
computed (:func:`workbench.matching.signal_values`), and labelled 1 if the qrels
say the candidate is the earlier check, else 0. A plain L2-regularised logistic
regression (Newton's method in numpy) over the pooled candidates gives
:data:`workbench.matching.WEIGHTS`; its output is a probability, so the score is
calibrated. Each set weighs the same, whatever its number of queries. The script
prints the weights, MAP@5 on train and dev with them, and the thresholds at which
the top match is right 90 % (strong) and 50 % (possible) of the time on train.

Usage: python scripts/fit_match_weights.py [--data PATH] [--l2 1.0]
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.claim_retrieval import (  # noqa: E402
    DEFAULT_DATA,
    SETS,
    build,
    load_qrels,
    load_queries,
)
from workbench import matching  # noqa: E402

FloatArray = npt.NDArray[np.float64]
NAMES = list(matching.SIGNALS)
SEMANTIC_NAMES = list(matching.SEMANTIC_SIGNALS)


def features(
    data: Path, tmp: Path, *, semantic: bool
) -> dict[tuple[str, str], list[tuple[FloatArray, list[bool]]]]:
    """Per (set, split): for each query, its candidates' signals and relevance labels.

    Candidates and signals are exactly :func:`workbench.matching.match_claims`'s; with
    ``semantic`` the collection is embedded first and every candidate has the
    embedding signals too.
    """
    names = NAMES + (SEMANTIC_NAMES if semantic else [])
    out: dict[tuple[str, str], list[tuple[FloatArray, list[bool]]]] = {}
    for name in SETS:
        folder = data / name
        store = build(folder, tmp / f"{name}.db", embed=semantic)
        qrels = load_qrels(folder)
        queries = [q for q in load_queries(folder) if qrels.get(q["id"])]
        found = matching.candidate_signals(store, [q["text"] for q in queries], semantic=semantic)
        for q, cands in zip(queries, found, strict=True):
            rel = qrels[q["id"]]
            x = np.array(
                [[signals.get(n, 0.0) for n in names] for _, signals in cands], dtype=np.float64
            ).reshape(-1, len(names))
            labels = [claim.external_id in rel for claim, _ in cands]
            out.setdefault((name, q["split"]), []).append((x, labels))
        store.close()
    return out


def weight_vector(weights: dict[str, float], names: list[str]) -> FloatArray:
    """``weights`` as the coefficient vector of :func:`fit`: the bias, then ``names`` in order."""
    return np.array([weights.get("bias", 0.0)] + [weights.get(n, 0.0) for n in names])


def fit(x: FloatArray, y: FloatArray, w_sample: FloatArray, l2: float) -> FloatArray:
    xb = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-(xb @ beta)))
        grad = xb.T @ (w_sample * (p - y)) + reg * beta
        hess = (xb * (w_sample * p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def map5(queries: list[tuple[FloatArray, list[bool]]], beta: FloatArray) -> float:
    total = 0.0
    for x, labels in queries:
        if not labels:
            continue
        z = beta[0] + x @ beta[1:]
        order = np.argsort(-z, kind="stable")[:5]
        hits, ap = 0, 0.0
        for k, i in enumerate(order, start=1):
            if labels[i]:
                hits += 1
                ap += hits / k
        total += ap / max(1, min(sum(labels), 5))
    return total / max(len(queries), 1)


def thresholds(queries: list[tuple[FloatArray, list[bool]]], beta: FloatArray) -> None:
    tops = []
    for x, labels in queries:
        if not labels:
            continue
        z = beta[0] + x @ beta[1:]
        i = int(np.argmax(z))
        tops.append((float(1 / (1 + np.exp(-z[i]))), labels[i]))
    tops.sort(reverse=True)
    for target in (0.9, 0.8, 0.5):
        best = None
        right = 0
        for n, (score, ok) in enumerate(tops, start=1):
            right += ok
            if right / n >= target:
                best = (score, n)
        if best:
            print(f"  top-1 precision >= {target:.0%} down to score {best[0]:.3f} ({best[1]} q)")


def train_arrays(
    data: dict[tuple[str, str], list[tuple[FloatArray, list[bool]]]],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The pooled train candidates: features, labels, and weights giving each set one vote."""
    xs, ys, ws = [], [], []
    for name in SETS:
        queries = data[(name, "train")]
        per_query = 1.0 / len(queries)
        for x, labels in queries:
            if len(labels):
                xs.append(x)
                ys.append(np.array(labels, dtype=np.float64))
                ws.append(np.full(len(labels), per_query * 1000))
    return np.vstack(xs), np.concatenate(ys), np.concatenate(ws)


def fit_semantic(
    data: dict[tuple[str, str], list[tuple[FloatArray, list[bool]]]], l2: float
) -> int:
    """Fit the embedding signals' weights on top of the lexical score, and calibrate.

    The lexical signals keep the proportions of :data:`WEIGHTS` (their weighted sum is
    one feature); that sum, the embedding signals and a bias are fitted by logistic
    regression on the pooled train splits. A free fit of every signal is printed for
    comparison: on dev it ranks about 0.01 better on two sets of three, with negative
    weights on some overlap signals (they are collinear), so it is not used.
    """
    n_lex = len(NAMES)
    lexical = weight_vector(matching.WEIGHTS, NAMES)[1:]

    def reduced(x: FloatArray) -> FloatArray:
        return np.hstack([(x[:, :n_lex] @ lexical)[:, None], x[:, n_lex:]])

    x, y, w = train_arrays(data)
    gamma = fit(reduced(x), y, w, l2)
    weights = {"bias": gamma[0]}  # the lexical sum above leaves out WEIGHTS' own bias
    weights |= {n: gamma[1] * v for n, v in zip(NAMES, lexical, strict=True)}
    weights |= {n: g for n, g in zip(SEMANTIC_NAMES, gamma[2:], strict=True)}
    beta = weight_vector(weights, NAMES + SEMANTIC_NAMES)
    free = fit(x, y, w, l2)
    lex_only = weight_vector(matching.WEIGHTS, NAMES + SEMANTIC_NAMES)
    current = weight_vector(matching.SEMANTIC_WEIGHTS, NAMES + SEMANTIC_NAMES)
    print("SEMANTIC_WEIGHTS = {")
    for n, value in weights.items():
        print(f'    "{n}": {value:.3f},')
    print("}")
    names = ["bias", *NAMES, *SEMANTIC_NAMES]
    print("free fit (for comparison):", dict(zip(names, free.round(3).tolist(), strict=True)))
    for name in SETS:
        for split in ("train", "dev"):
            q = data[(name, split)]
            print(
                f"{name:15s} {split:5s} MAP@5 fitted {map5(q, beta):.3f}  free {map5(q, free):.3f}"
                f"  current {map5(q, current):.3f}  lexical weights {map5(q, lex_only):.3f}"
            )
    print("thresholds (pooled train):")
    thresholds([q for name in SETS for q in data[(name, "train")]], beta)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument(
        "--semantic",
        action="store_true",
        help="fit SEMANTIC_WEIGHTS: embed the collections, add the embedding signals",
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help="keep the features in this pickle file"
    )
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no data at {args.data}; skipping")
        return 0
    if args.cache is not None and args.cache.exists():
        data = pickle.loads(args.cache.read_bytes())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            data = features(args.data, Path(tmp), semantic=args.semantic)
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps(data))
    if args.semantic:
        return fit_semantic(data, args.l2)
    x_all, y_all, w_all = train_arrays(data)
    beta = fit(x_all, y_all, w_all, args.l2)
    print("WEIGHTS = {")
    print(f'    "bias": {beta[0]:.3f},')
    for n, b in zip(NAMES, beta[1:], strict=True):
        print(f'    "{n}": {b:.3f},')
    print("}")
    current = weight_vector(matching.WEIGHTS, NAMES)
    bm25_only = np.zeros(len(NAMES) + 1)
    bm25_only[1 + NAMES.index("bm25")] = 1.0
    for name in SETS:
        for split in ("train", "dev"):
            q = data[(name, split)]
            print(
                f"{name:15s} {split:5s} MAP@5 fitted {map5(q, beta):.3f}"
                f"  current {map5(q, current):.3f}  bm25 {map5(q, bm25_only):.3f}"
            )
    print("thresholds (pooled train):")
    thresholds([q for name in SETS for q in data[(name, "train")]], beta)
    # Platt scaling of the current (hand-adjusted) weights: same ranking, calibrated score.
    z = current[0] + x_all @ current[1:]
    a, b = fit(z[:, None], y_all, w_all, 0.0)[::-1]
    scaled = current * a
    scaled[0] += b
    print(f"current weights calibrated (x{a:.3f}, {b:+.3f}):")
    for n, value in zip(["bias", *NAMES], scaled, strict=True):
        print(f'    "{n}": {value:.3f},')
    thresholds([q for name in SETS for q in data[(name, "train")]], scaled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
