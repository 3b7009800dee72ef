"""The bundled check-worthiness model: quality on CT24 and speed on one core.

Prints, for the dev and dev_test splits of CT24 (ClaimBuster debate sentences):
precision, recall and F1 of the positive class for the model alone (at its own
threshold, chosen on dev), the rules alone and the combined claim detector (at the
detector's threshold); for the detector's two scores, how well they work as
probabilities (Brier score, expected calibration error over 10 bins) and a reliability
table of the combined score on dev_test; then the model's load time in a fresh process
and its throughput in sentences per second on one onnxruntime thread.

"Retold as news": the same dev and dev_test sentences put into the frames news uses for
speech (a quotation with its speaker, "X said that ...", "according to X, ...";
``scripts/reported_speech.py``, seeded, invented speakers) and scored again by the
detector. The guideline makes attribution neutral, so an ideal detector flags the same
share of each label either way; the gap for non-claims is the detector flagging quoted
opinions, promises and reactions because they are quoted and attributed, which is most of
what it wrongly flags in real news.

The detector's score is calibrated on dev (``scripts/fit_detector_calibration.py``), so
its dev figures are in-sample for that calibration; dev_test is held out.

Usage: python benchmarks/checkworthiness.py [--data PATH] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from reported_speech import retell  # noqa: E402  (scripts/)

from workbench.nlp import build_pipeline, claim_detector, score_sentences  # noqa: E402
from workbench.nlp.encoder import CHECKWORTHINESS_DIR, CheckworthinessModel  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "checkworthy" / "ct24_en.jsonl"
LOAD_SNIPPET = (
    "import time; t = time.perf_counter(); "
    "from workbench.nlp.encoder import CheckworthinessModel; CheckworthinessModel(); "
    "print(time.perf_counter() - t)"
)


def prf(gold: list[bool], predicted: list[bool]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the positive class."""
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    precision = tp / max(sum(predicted), 1)
    recall = tp / max(sum(gold), 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def calibration(gold: list[bool], scores: list[float], bins: int = 10) -> tuple[float, float]:
    """Brier score and expected calibration error (equal-width bins) of probabilities."""
    brier = sum((s - g) ** 2 for g, s in zip(gold, scores, strict=True)) / max(len(gold), 1)
    ece = 0.0
    for rows in reliability(gold, scores, bins):
        count, mean, observed = rows[1], rows[2], rows[3]
        ece += count / len(gold) * abs(mean - observed)
    return brier, ece


def reliability(
    gold: list[bool], scores: list[float], bins: int = 10
) -> list[tuple[float, int, float, float]]:
    """Per bin of score: lower edge, count, mean score, observed share of positives."""
    table = []
    for b in range(bins):
        chosen = [
            (g, s) for g, s in zip(gold, scores, strict=True) if min(int(s * bins), bins - 1) == b
        ]
        if chosen:
            mean = sum(s for _, s in chosen) / len(chosen)
            observed = sum(g for g, _ in chosen) / len(chosen)
            table.append((b / bins, len(chosen), mean, observed))
    return table


def as_probabilities(name: str, gold: list[bool], scores: list[float]) -> str:
    """Brier score, ECE and how many scores are 0.99 or more, on one line."""
    brier, ece = calibration(gold, scores)
    saturated = sum(score >= 0.99 for score in scores)
    return f"{name}: Brier {brier:.4f} ECE {ece:.3f}, {saturated} >= 0.99"


def flagged(gold: list[bool], scores: list[float], threshold: float, label: bool) -> float:
    """Share of the sentences with ``label`` that score at least ``threshold``."""
    chosen = [s for g, s in zip(gold, scores, strict=True) if g == label]
    return sum(s >= threshold for s in chosen) / max(len(chosen), 1)


def fresh_load_seconds(runs: int = 5) -> float:
    """Median time to import onnxruntime and load the model in a new process."""
    times = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", LOAD_SNIPPET],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(float(result.stdout.strip()))
    return sorted(times)[len(times) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--model", type=Path, default=CHECKWORTHINESS_DIR, help="a model folder (the bundled one)"
    )
    args = parser.parse_args(argv)
    if not (args.model / "model.onnx").exists():
        print(f"no model in {args.model}; skipping")
        return 0
    model = CheckworthinessModel(args.model, threads=1, workers=1)  # "on one thread"
    print(f"model threshold {model.threshold} (dev)")
    if args.data.exists():
        rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines()]
        rules = build_pipeline(use_model=False)
        combined = build_pipeline()
        # The bundled model, even where a model trained from corrections is installed.
        claim_detector(combined).probability_model = model
        threshold = claim_detector(combined).threshold
        print(f"detector threshold {threshold}")
        for split in ("dev", "dev_test"):
            texts = [row["text"] for row in rows if row["split"] == split]
            gold = [bool(row["label"]) for row in rows if row["split"] == split]
            probs = model.probabilities(texts)
            rule_scores = [s for s, _ in score_sentences(texts, nlp=rules)]
            both_scores = [s for s, _ in score_sentences(texts, nlp=combined)]
            alone = prf(gold, [p >= model.threshold for p in probs])
            rule = prf(gold, [s >= threshold for s in rule_scores])
            both = prf(gold, [s >= threshold for s in both_scores])
            print(
                f"{split:9s} n={len(texts):5d}  "
                + "   ".join(
                    f"{name}: P {p:.3f} R {r:.3f} F1 {f:.3f}"
                    for name, (p, r, f) in (("model", alone), ("rules", rule), ("combined", both))
                )
            )
            print(
                f"{'':9s} as probabilities: "
                + "   ".join(
                    as_probabilities(name, gold, scores)
                    for name, scores in (("rules", rule_scores), ("combined", both_scores))
                )
            )
            retold = [retell(text, random.Random(f"{split} {n}")) for n, text in enumerate(texts)]
            again = [s for s, _ in score_sentences(retold, nlp=combined)]
            print(
                f"{'':9s} retold as news: "
                + "   ".join(
                    f"{name} flagged {flagged(gold, both_scores, threshold, want):.3f} "
                    f"-> {flagged(gold, again, threshold, want):.3f}"
                    for name, want in (("claims", True), ("non-claims", False))
                )
                + f"   F1 {prf(gold, [s >= threshold for s in again])[2]:.3f}"
            )
        # gold and both_scores are those of dev_test, the last split.
        print("dev_test reliability of the combined score: bin, sentences, mean score, observed")
        for lower, count, mean, observed in reliability(gold, both_scores):
            print(f"  {lower:.1f}-{lower + 0.1:.1f}  {count:4d}  {mean:.3f}  {observed:.3f}")
        sample = [row["text"] for row in rows if row["split"] == "train"][:2000]
    else:
        print(f"no data at {args.data}; quality skipped")
        sample = ["The unemployment rate fell to 3.5% in 2019."] * 2000
    model.probabilities(sample[:64])  # warm up
    started = time.perf_counter()
    model.probabilities(sample)
    elapsed = time.perf_counter() - started
    print(f"speed: {len(sample) / elapsed:.0f} sentences/s on one thread ({len(sample)} sentences)")
    print(f"load: {fresh_load_seconds():.2f} s in a fresh process (median of 5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
