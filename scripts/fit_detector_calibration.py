"""Calibrate the claim detector's score on CT24 dev, and check its threshold by cross-validation.

The detector's raw log-odds are a weighed sum: the rules' weights (fitted on the CT24
train split by ``scripts/fit_rule_weights.py``, some set by hand for news) plus, when
the bundled check-worthiness model runs, 1.25 times its log-odds and a shift of the bias
(``workbench/nlp/signals.py``). Summed, they saturate: a news sentence with a name, a
date and a past-tense verb reaches 5 or more in log-odds whatever the model says.

This script fits, for each mode (rules alone; rules with the model), a Platt scaling of
the raw log-odds ``z``: the score is ``sigmoid(scale * z + offset)``, a logistic
regression of the labels on ``z``. It fits on CT24 **dev**, because the model was
fine-tuned on train and its train-split scores are overconfident; the ten dev sentences
that are also train sentences are left out. ClaimBuster 2.5NCS adds nothing: all but two
of its sentences are CT24 train or dev sentences (and both of those are negatives).

Out-of-fold scores (stratified 10-fold cross-validation, 3 repeats, seeded) show
whether the calibrated score is reliable on dev and what each threshold costs; the flag
threshold is the Bayes decision for a calibrated probability when a missed claim costs
``--miss-cost`` needless looks, ``1 / (1 + miss_cost)``, and the script prints the
out-of-fold table around it. CT24 dev_test is held out: it is only reported, with a
reliability table (10 bins). News figures: ``benchmarks/news_units.py``.

``--compare`` also fits what was tried and not shipped: a 3-parameter stack (rules'
raw log-odds, model log-odds, bias) and an L2 logistic regression of every fitted signal
and the model's log-odds (L2 strength by the same cross-validation), both on dev with
the hand-set signals (page chrome, headings, captions, quotations, fragments,
exclamations: absent from debates) kept at their weights.

Usage: python scripts/fit_detector_calibration.py [--data PATH] [--miss-cost 4] [--compare]
       [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.nlp.signals import (  # noqa: E402
    CLAIM_THRESHOLD,
    DEFAULT_BIAS,
    DEFAULT_MODEL_BIAS,
    DEFAULT_WEIGHTS,
    MODEL_CALIBRATION,
    RULES_CALIBRATION,
    SIGNAL_NAMES,
    extract_signals,
    logit,
    normalise,
)

DEFAULT_DATA = REPO.parent / "shared" / "data" / "checkworthy" / "ct24_en.jsonl"
SEED = 0
FOLDS = 10
REPEATS = 3
BINS = 10
HAND_SET = frozenset(
    {"chrome", "heading", "caption", "quotation", "quote_attribution", "short", "exclamation"}
)
"""Signals absent from (or too rare in) debates: kept at their hand-set weights."""
L2_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Split:
    """One split of CT24: texts, 0/1 labels, signals and the model's probabilities."""

    texts: list[str]
    y: FloatArray
    signals: list[list[tuple[str, float]]]
    p: FloatArray | None


def load(path: Path, with_model: bool, model_dir: Path | None = None) -> dict[str, Split]:
    """dev (without sentences also in train) and dev_test, scored as the detector scores them."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    train = {normalise(row["text"]) for row in rows if row["split"] == "train"}
    model = None
    if with_model:
        from workbench.nlp.encoder import CheckworthinessModel

        model = (
            CheckworthinessModel(threads=1)
            if model_dir is None
            else CheckworthinessModel(model_dir, threads=1)
        )
    splits: dict[str, Split] = {}
    for name in ("dev", "dev_test"):
        chosen = [
            row
            for row in rows
            if row["split"] == name and (name != "dev" or normalise(row["text"]) not in train)
        ]
        texts = [normalise(row["text"]) for row in chosen]
        splits[name] = Split(
            texts=texts,
            y=np.asarray([float(row["label"]) for row in chosen]),
            signals=[[(s.name, s.value) for s in extract_signals(t)] for t in texts],
            p=None if model is None else np.asarray(model.probabilities(texts)),
        )
    return splits


def sigmoid(x: FloatArray) -> FloatArray:
    result: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return result


def fit_logistic(
    x: FloatArray, y: FloatArray, offset: FloatArray, l2: float = 0.0, steps: int = 40
) -> FloatArray:
    """Weights (intercept last) of an L2-regularised logistic regression, by Newton's method.

    ``offset`` is added to every row's log-odds unfitted (the hand-set signals).
    """
    design = np.hstack([x, np.ones((x.shape[0], 1))])
    weights = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = sigmoid(design @ weights + offset)
        gradient = design.T @ (p - y) + penalty * weights
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        weights -= np.linalg.solve(hessian, gradient)
    return weights


def predict(weights: FloatArray, x: FloatArray, offset: FloatArray) -> FloatArray:
    return sigmoid(x @ weights[:-1] + weights[-1] + offset)


def folds(y: FloatArray, seed: int) -> npt.NDArray[np.int64]:
    """A stratified assignment of each row to one of :data:`FOLDS` folds."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(y), dtype=np.int64)
    for label in (0.0, 1.0):
        rows = np.flatnonzero(y == label)
        rng.shuffle(rows)
        fold[rows] = np.arange(len(rows)) % FOLDS
    return fold


def out_of_fold(x: FloatArray, y: FloatArray, offset: FloatArray, l2: float) -> FloatArray:
    """Out-of-fold probabilities, one row per repeat."""
    result = np.zeros((REPEATS, len(y)))
    for repeat in range(REPEATS):
        fold = folds(y, SEED + repeat)
        for k in range(FOLDS):
            train = fold != k
            weights = fit_logistic(x[train], y[train], offset[train], l2)
            result[repeat, ~train] = predict(weights, x[~train], offset[~train])
    return result


def log_loss(y: FloatArray, p: FloatArray) -> float:
    q = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def prf(y: FloatArray, flagged: npt.NDArray[np.bool_]) -> tuple[float, float, float]:
    tp = float(np.sum(flagged & (y == 1)))
    precision = tp / max(float(flagged.sum()), 1.0)
    recall = tp / max(float((y == 1).sum()), 1.0)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def reliability(
    y: FloatArray, p: FloatArray
) -> tuple[list[tuple[float, int, float, float]], float]:
    """Per bin of predicted probability: (lower edge, count, mean predicted, observed rate); ECE."""
    table = []
    ece = 0.0
    index = np.minimum((p * BINS).astype(int), BINS - 1)
    for b in range(BINS):
        chosen = index == b
        if chosen.any():
            mean, observed = float(p[chosen].mean()), float(y[chosen].mean())
            table.append((b / BINS, int(chosen.sum()), mean, observed))
            ece += chosen.sum() / len(y) * abs(mean - observed)
    return table, float(ece)


def auc(y: FloatArray, p: FloatArray) -> float:
    """P(a positive scores above a negative), ties counting half."""
    pos, neg = p[y == 1], p[y == 0]
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def raw_log_odds(split: Split, with_model: bool) -> tuple[FloatArray, FloatArray]:
    """The detector's raw log-odds of each sentence, and the hand-set signals' share of it."""
    bias = DEFAULT_BIAS + (DEFAULT_MODEL_BIAS if with_model else 0.0)
    z = np.full(len(split.texts), bias)
    hand = np.zeros(len(split.texts))
    for row, signals in enumerate(split.signals):
        for name, value in signals:
            z[row] += DEFAULT_WEIGHTS.get(name, 0.0) * value
            if name in HAND_SET:
                hand[row] += DEFAULT_WEIGHTS.get(name, 0.0) * value
    if with_model:
        assert split.p is not None
        z += DEFAULT_WEIGHTS["model"] * np.asarray([logit(float(p)) for p in split.p])
    return z, hand


def describe(name: str, y: FloatArray, p: FloatArray, threshold: float) -> str:
    precision, recall, f1 = prf(y, p >= threshold)
    _, ece = reliability(y, p)
    brier = float(np.mean((p - y) ** 2))
    saturated = int((p >= 0.99).sum())
    return (
        f"{name:22s} at {threshold:.3f}: P {precision:.3f} R {recall:.3f} F1 {f1:.3f}   "
        f"AUC {auc(y, p):.3f}  Brier {brier:.4f}  ECE {ece:.3f}  log-loss {log_loss(y, p):.3f}  "
        f">= 0.99: {saturated}"
    )


def print_reliability(title: str, y: FloatArray, p: FloatArray) -> None:
    table, ece = reliability(y, p)
    print(f"{title} (ECE {ece:.3f}, Brier {float(np.mean((p - y) ** 2)):.4f})")
    print("    bin        n   mean score   observed")
    for lower, count, mean, observed in table:
        print(f"    {lower:.1f}-{lower + 0.1:.1f}  {count:4d}   {mean:.3f}        {observed:.3f}")


def threshold_table(y: FloatArray, oof: FloatArray, chosen: float, miss_cost: float) -> None:
    """Out-of-fold recall, precision, F2 and cost per flagged-or-missed sentence, by threshold."""
    print(f"out of fold on dev (mean of {REPEATS} repeats): threshold, recall, precision, F2, cost")
    rows: list[tuple[float, float, float, float, float]] = []
    for t in sorted({0.05, 0.07, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, chosen}):
        stats = [prf(y, p >= t) for p in oof]
        precision = float(np.mean([s[0] for s in stats]))
        recall = float(np.mean([s[1] for s in stats]))
        f2 = 5 * precision * recall / max(4 * precision + recall, 1e-9)
        cost = float(
            np.mean(
                [
                    np.mean((p >= t) & (y == 0)) + miss_cost * np.mean((p < t) & (y == 1))
                    for p in oof
                ]
            )
        )
        rows.append((t, recall, precision, f2, cost))
    best_cost = min(r[4] for r in rows)
    for t, recall, precision, f2, cost in rows:
        mark = "  <- shipped" if t == chosen else ("  (least cost)" if cost == best_cost else "")
        print(f"    {t:.3f}  R {recall:.3f}  P {precision:.3f}  F2 {f2:.3f}  cost {cost:.4f}{mark}")


def calibrate(
    mode: str, splits: dict[str, Split], with_model: bool, threshold: float, miss_cost: float
) -> tuple[float, float]:
    """Fit, cross-validate and report the Platt scaling of one mode; return (scale, offset)."""
    dev, test = splits["dev"], splits["dev_test"]
    z_dev, _ = raw_log_odds(dev, with_model)
    z_test, _ = raw_log_odds(test, with_model)
    x = z_dev[:, None]
    none = np.zeros(len(z_dev))
    scale, offset = (float(w) for w in fit_logistic(x, dev.y, none))
    oof = out_of_fold(x, dev.y, none, 0.0)
    print(f"\n== {mode}: score = sigmoid({scale:.3f} * raw log-odds {offset:+.3f})")
    print(f"dev: {len(dev.y)} sentences, {int(dev.y.sum())} check-worthy")
    raw_dev, raw_test = sigmoid(z_dev), sigmoid(z_test)
    print(describe("dev, before", dev.y, raw_dev, 0.5))
    print(describe("dev, out of fold", dev.y, oof[0], threshold))
    threshold_table(dev.y, oof, threshold, miss_cost)
    calibrated = sigmoid(scale * z_test + offset)
    print(describe("dev_test, before", test.y, raw_test, 0.5))
    print(describe("dev_test, calibrated", test.y, calibrated, threshold))
    print_reliability("dev_test reliability, before", test.y, raw_test)
    print_reliability("dev_test reliability, calibrated", test.y, calibrated)
    return scale, offset


def compare(splits: dict[str, Split], threshold: float) -> None:
    """What was tried besides Platt scaling: re-fitting the weights on dev (not shipped)."""
    dev, test = splits["dev"], splits["dev_test"]
    fitted = [name for name in SIGNAL_NAMES if name not in HAND_SET]

    def design(split: Split) -> tuple[FloatArray, FloatArray]:
        index = {name: i for i, name in enumerate(fitted)}
        x = np.zeros((len(split.texts), len(fitted)))
        _, hand = raw_log_odds(split, False)
        assert split.p is not None
        for row, signals in enumerate(split.signals):
            for name, value in signals:
                if name in index:
                    x[row, index[name]] = value
            x[row, index["model"]] = logit(float(split.p[row]))
        return x, hand

    def stack(split: Split) -> tuple[FloatArray, FloatArray]:
        z, hand = raw_log_odds(split, False)
        assert split.p is not None
        rules = z - hand - DEFAULT_BIAS
        model = np.asarray([logit(float(p)) for p in split.p])
        return np.column_stack([rules, model]), hand

    print("\n== compared on dev (cross-validated log-loss) and dev_test (held out)")
    candidates: list[tuple[str, Callable[[Split], tuple[FloatArray, FloatArray]], Sequence[float]]]
    candidates = [("stack", stack, (0.0,)), ("every signal, L2", design, L2_GRID)]
    for name, build, grid in candidates:
        x, hand = build(dev)
        losses = {
            l2: float(np.mean([log_loss(dev.y, p) for p in out_of_fold(x, dev.y, hand, l2)]))
            for l2 in grid
        }
        l2 = min(losses, key=lambda k: losses[k])
        weights = fit_logistic(x, dev.y, hand, l2)
        x_test, hand_test = build(test)
        p_test = predict(weights, x_test, hand_test)
        print(f"{name}: L2 {l2} (cross-validated log-loss {losses[l2]:.4f})")
        if name == "stack":
            print(f"    rules x {weights[0]:.3f}, model x {weights[1]:.3f}, bias {weights[2]:+.3f}")
        else:
            shown = ", ".join(f"{n} {w:+.2f}" for n, w in zip(fitted, weights[:-1], strict=True))
            print(f"    {shown}, bias {weights[-1]:+.2f}")
        print("    " + describe("dev_test", test.y, p_test, threshold))
    z, _ = raw_log_odds(dev, True)
    oof = out_of_fold(z[:, None], dev.y, np.zeros(len(z)), 0.0)
    loss = float(np.mean([log_loss(dev.y, p) for p in oof]))
    print(f"Platt scaling of the raw log-odds (shipped): cross-validated log-loss {loss:.4f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--miss-cost",
        type=float,
        default=4.0,
        help="how many needless looks a missed claim is worth (threshold 1 / (1 + this))",
    )
    parser.add_argument("--rules-only", action="store_true", help="skip the model (no onnxruntime)")
    parser.add_argument("--compare", action="store_true", help="also fit the alternatives")
    parser.add_argument(
        "--model", type=Path, default=None, help="a check-worthiness model folder (the bundled one)"
    )
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no data at {args.data}; nothing to fit")
        return 0
    threshold = round(1.0 / (1.0 + args.miss_cost), 4)
    splits = load(args.data, with_model=not args.rules_only, model_dir=args.model)
    print(f"threshold 1 / (1 + {args.miss_cost:g}) = {threshold} (in use: {CLAIM_THRESHOLD})")
    rules = calibrate("rules alone", splits, False, threshold, args.miss_cost)
    model = (
        None
        if args.rules_only
        else calibrate("rules and model", splits, True, threshold, args.miss_cost)
    )
    if args.compare and not args.rules_only:
        compare(splits, threshold)
    print("\n# Paste into workbench/nlp/signals.py:")
    print(f"CLAIM_THRESHOLD = {threshold}")
    fitted = [("RULES_CALIBRATION", rules, RULES_CALIBRATION)]
    if model is not None:
        fitted.insert(0, ("MODEL_CALIBRATION", model, MODEL_CALIBRATION))
    for name, (scale, offset), in_use in fitted:
        print(f"{name} = Calibration({scale:.3f}, {offset:.3f})  # in use: {tuple(in_use)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
