"""Fit the evidence library's signal weights on the CheckThat! 2021 task 2B train queries.

Needs a library indexed by ``benchmarks/evidence_retrieval.py --db PATH`` (the 19,250
PolitiFact articles). For every train query, each candidate passage's signals are
computed as :func:`workbench.evidence_library.suggest_evidence` computes them
(:func:`~workbench.evidence_library.candidate_signals`), and labelled 1 if the passage is
from an article that checked the query (the qrels), else 0. An L2-regularised logistic
regression (Newton's method in numpy; each query weighs the same) gives starting
weights, which a coordinate ascent on train document MAP@5 then adjusts (the logistic
fit is pointwise; the documents' ranking is what counts), and a Platt scaling turns
back into a probability that the passage comes from the right document: once by
words alone (:data:`~workbench.evidence_library.SUGGESTION_WEIGHTS`) and once with the
cosine (:data:`~workbench.evidence_library.SEMANTIC_SUGGESTION_WEIGHTS`). Prints the
weights and document-level MAP@5 on train and dev, with the weights in use and with
the fitted ones.

Usage: python scripts/fit_evidence_weights.py --db PATH [--data PATH] [--l2 1.0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.evidence_retrieval import DEFAULT_DATA, load_qrels, load_queries  # noqa: E402
from workbench import evidence_library  # noqa: E402
from workbench.engine import Engine  # noqa: E402
from workbench.store import Store  # noqa: E402

FloatArray = npt.NDArray[np.float64]
Query = tuple[FloatArray, list[str], set[str]]
"""A query's candidates: signal matrix, each candidate's document, the right documents."""


def collect(
    store: Store,
    engine: Engine,
    queries: list[tuple[str, str]],
    qrels: dict[str, set[str]],
    names: list[str],
    *,
    semantic: bool,
) -> list[Query]:
    found = []
    for qid, text in queries:
        if qid not in qrels:
            continue
        rows = evidence_library.candidate_signals(store, text, engine=engine, semantic=semantic)
        if semantic:
            rows = [(p, s) for p, s in rows if "cosine" in s]
        x = np.array([[s.get(n, 0.0) for n in names] for _, s in rows], dtype=np.float64)
        docs = [Path(p.document.path).stem for p, _ in rows]
        found.append((x.reshape(len(rows), len(names)), docs, qrels[qid]))
    return found


def fit(queries: list[Query], l2: float) -> FloatArray:
    x = np.vstack([q[0] for q in queries if len(q[1])])
    y = np.concatenate([[1.0 if d in q[2] else 0.0 for d in q[1]] for q in queries])
    w = np.concatenate([np.full(len(q[1]), 1.0 / len(q[1])) for q in queries if len(q[1])])
    xb = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(xb.shape[1])
    reg = np.full(xb.shape[1], l2)
    reg[0] = 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(xb @ beta)))
        grad = xb.T @ (w * (p - y)) + reg * beta
        hess = (xb * (w * p * (1 - p))[:, None]).T @ xb + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def map5(queries: list[Query], beta: FloatArray) -> float:
    """Document-level MAP@5: documents ranked by their best passage."""
    total = 0.0
    for x, docs, relevant in queries:
        best: dict[str, float] = {}
        if len(docs):
            for doc, z in zip(docs, beta[0] + x @ beta[1:], strict=True):
                best[doc] = max(best.get(doc, -np.inf), float(z))
        ranked = sorted(best, key=lambda d: -best[d])[:5]
        hits, ap = 0, 0.0
        for k, doc in enumerate(ranked, start=1):
            if doc in relevant:
                hits += 1
                ap += hits / k
        total += ap / min(len(relevant), 5)
    return total / max(len(queries), 1)


def ascend(queries: list[Query], beta: FloatArray, rounds: int = 4) -> FloatArray:
    """Coordinate ascent on document MAP@5 from ``beta``: the logistic fit is pointwise,
    the ranking of documents is what counts. Each weight is scaled in turn by a few
    factors (or set to 0), the best kept; the bias is left alone (it ranks nothing)."""
    best, score = beta.copy(), map5(queries, beta)
    for _ in range(rounds):
        improved = False
        for i in range(1, len(best)):
            for factor in (0.0, 0.5, 0.8, 1.25, 2.0):
                trial = best.copy()
                trial[i] = best[i] * factor if best[i] else factor - 0.5
                value = map5(queries, trial)
                if value > score + 1e-4:
                    best, score, improved = trial, value, True
        if not improved:
            break
    return best


def calibrate(queries: list[Query], beta: FloatArray) -> FloatArray:
    """``beta`` scaled and shifted (the ranking kept) so that its output is a probability
    that a passage is from the right document (Platt scaling on the pooled candidates)."""
    z = np.concatenate([beta[0] + q[0] @ beta[1:] for q in queries if len(q[1])])
    y = np.concatenate([[1.0 if d in q[2] else 0.0 for d in q[1]] for q in queries])
    w = np.concatenate([np.full(len(q[1]), 1.0 / len(q[1])) for q in queries if len(q[1])])
    a, b = 1.0, 0.0
    for _ in range(100):
        p = 1 / (1 + np.exp(-(a * z + b)))
        g = np.array([np.sum(w * (p - y) * z), np.sum(w * (p - y))])
        h11 = np.sum(w * p * (1 - p) * z * z) + 1e-9
        h12 = np.sum(w * p * (1 - p) * z)
        h22 = np.sum(w * p * (1 - p)) + 1e-9
        step = np.linalg.solve(np.array([[h11, h12], [h12, h22]]), g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-9:
            break
    out = beta * a
    out[0] += b
    return out


def vector(weights: dict[str, float], names: list[str]) -> FloatArray:
    return np.array([weights.get("bias", 0.0)] + [weights.get(n, 0.0) for n in names])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--l2", type=float, default=1.0)
    args = parser.parse_args(argv)
    qrels = load_qrels(args.data)
    train, dev = load_queries(args.data, "train"), load_queries(args.data, "dev")
    lexical = [n for n in evidence_library.SUGGESTION_WEIGHTS if n != "bias"]
    semantic = [n for n in evidence_library.SEMANTIC_SUGGESTION_WEIGHTS if n != "bias"]
    with Store(args.db, check=False) as store, Engine() as engine:
        lexical_weights = evidence_library.SUGGESTION_WEIGHTS
        semantic_weights = evidence_library.SEMANTIC_SUGGESTION_WEIGHTS
        for label, names, in_use, with_cosine in (
            ("SUGGESTION_WEIGHTS", lexical, lexical_weights, False),
            ("SEMANTIC_SUGGESTION_WEIGHTS", semantic, semantic_weights, True),
        ):
            on_train = collect(store, engine, train, qrels, names, semantic=with_cosine)
            on_dev = collect(store, engine, dev, qrels, names, semantic=with_cosine)
            fitted = fit(on_train, args.l2)
            beta = calibrate(on_train, ascend(on_train, fitted))
            print(f"  logistic fit alone: MAP@5 train / dev {map5(on_train, fitted):.3f} /"
                  f" {map5(on_dev, fitted):.3f}")  # fmt: skip
            print(f"{label}: {{")
            print(f'    "bias": {beta[0]:.3f},')
            for name, value in zip(names, beta[1:], strict=True):
                print(f'    "{name}": {value:.3f},')
            print("}")
            current = vector(in_use, names)
            print(
                f"  MAP@5 train / dev: in use {map5(on_train, current):.3f} /"
                f" {map5(on_dev, current):.3f}; fitted {map5(on_train, beta):.3f} /"
                f" {map5(on_dev, beta):.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
