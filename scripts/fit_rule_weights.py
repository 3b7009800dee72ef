"""Fit the claim detector's signal weights on the CT24 check-worthiness train split.

A plain L2-regularised logistic regression (Newton's method in numpy) over the
signals of :mod:`workbench.nlp.signals`. It prints the fitted weights as a Python
table, and F1 of the positive class on dev and dev_test, at threshold 0.5.

The data are sentences from US presidential debates, not news articles. So the
weights printed here are where ``DEFAULT_WEIGHTS`` started, not a drop-in
replacement: signals that never occur in debates (page chrome, headings,
captions, quotations with a bare attribution) keep hand-set weights, and the
bias is raised for articles, where most sentences report checkable facts (see
``workbench/nlp/signals.py``).

Usage: python scripts/fit_rule_weights.py [--data PATH] [--l2 0.1]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.nlp.signals import SIGNAL_NAMES, extract_signals  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "checkworthy" / "ct24_en.jsonl"
HAND_SET = frozenset({"chrome", "heading", "caption", "quotation", "quote_attribution", "model"})
"""Signals absent from debate transcripts: their weights are set by hand, not fitted."""

FloatArray = npt.NDArray[np.float64]


def load_split(path: Path, split: str) -> tuple[list[str], FloatArray]:
    """Texts and 0/1 labels of one split of a check-worthiness JSONL file."""
    texts: list[str] = []
    labels: list[float] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["split"] == split:
                texts.append(row["text"])
                labels.append(float(row["label"]))
    return texts, np.asarray(labels)


def features(texts: list[str], names: list[str]) -> FloatArray:
    """The signal matrix: one row per text, one column per signal name."""
    index = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(texts), len(names)))
    for row, text in enumerate(texts):
        for signal in extract_signals(text):
            column = index.get(signal.name)
            if column is not None:
                matrix[row, column] = signal.value
    return matrix


def fit_logistic(x: FloatArray, y: FloatArray, l2: float, steps: int = 25) -> FloatArray:
    """Weights (bias last) of an L2-regularised logistic regression, by Newton's method."""
    design = np.hstack([x, np.ones((x.shape[0], 1))])
    weights = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2 * x.shape[0] / 1000)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + penalty * weights
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        weights -= np.linalg.solve(hessian, gradient)
    return weights


def f1_report(y: FloatArray, predicted: npt.NDArray[np.bool_]) -> str:
    """Precision, recall and F1 of the positive class."""
    tp = float(np.sum(predicted & (y == 1)))
    precision = tp / max(float(np.sum(predicted)), 1.0)
    recall = tp / max(float(np.sum(y == 1)), 1.0)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return f"P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--l2", type=float, default=0.1)
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no data at {args.data}; nothing to fit")
        return 0
    names = [name for name in SIGNAL_NAMES if name not in HAND_SET]
    texts, y = load_split(args.data, "train")
    x = features(texts, names)
    weights = fit_logistic(x, y, args.l2)
    print(f"train: {len(texts)} sentences, {int(y.sum())} check-worthy")
    print("fitted = {")
    for name, weight, support in zip(names, weights[:-1], x.astype(bool).sum(0), strict=True):
        print(f'    "{name}": {weight:.2f},  # {support} train sentences')
    print("}")
    print(f"bias = {weights[-1]:.2f}")
    for split in ("dev", "dev_test"):
        split_texts, split_y = load_split(args.data, split)
        split_x = features(split_texts, names)
        p = 1 / (1 + np.exp(-(split_x @ weights[:-1] + weights[-1])))
        print(f"{split:9s} fitted weights at 0.5: {f1_report(split_y, p >= 0.5)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
