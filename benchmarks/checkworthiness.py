"""The bundled check-worthiness model: quality on CT24 and speed on one core.

Prints, for the dev and dev_test splits of CT24 (ClaimBuster debate sentences):
precision, recall and F1 of the positive class for the model alone (at its own
threshold, chosen on dev), the rules alone and the combined claim detector (at the
detector's threshold); then the model's load time in a fresh process and its
throughput in sentences per second on one onnxruntime thread.

Usage: python benchmarks/checkworthiness.py [--data PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

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
    args = parser.parse_args(argv)
    if not (CHECKWORTHINESS_DIR / "model.onnx").exists():
        print(f"no model in {CHECKWORTHINESS_DIR}; skipping")
        return 0
    model = CheckworthinessModel(threads=1)
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
            alone = prf(gold, [p >= model.threshold for p in probs])
            rule = prf(gold, [s >= threshold for s, _ in score_sentences(texts, nlp=rules)])
            both = prf(gold, [s >= threshold for s, _ in score_sentences(texts, nlp=combined)])
            print(
                f"{split:9s} n={len(texts):5d}  "
                + "   ".join(
                    f"{name}: P {p:.3f} R {r:.3f} F1 {f:.3f}"
                    for name, (p, r, f) in (("model", alone), ("rules", rule), ("combined", both))
                )
            )
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
