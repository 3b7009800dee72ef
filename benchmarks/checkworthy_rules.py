"""How well the rule-based claim detector agrees with check-worthiness labels.

Scores each sentence of the CT24 dev and dev_test splits with the shipped detector
(``workbench.nlp.score_sentences`` on the blank pipeline, default weights and
threshold) and prints precision, recall and F1 of the positive class, next to the
"contains a digit" baseline. These are debate sentences, not news: the detector is
tuned for a high-recall first pass over articles, so read the figures as a sanity
check, not as its target.

Usage: python benchmarks/checkworthy_rules.py [--data PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.nlp import CLAIM_THRESHOLD, load_pipeline, score_sentences  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "checkworthy" / "ct24_en.jsonl"


def prf(gold: list[bool], predicted: list[bool]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the positive class."""
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    precision = tp / max(sum(predicted), 1)
    recall = tp / max(sum(gold), 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no data at {args.data}; skipping")
        return 0
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines()]
    nlp = load_pipeline(use_trained=False)
    print(f"threshold {CLAIM_THRESHOLD}")
    for split in ("dev", "dev_test"):
        texts = [row["text"] for row in rows if row["split"] == split]
        gold = [bool(row["label"]) for row in rows if row["split"] == split]
        started = time.perf_counter()
        scores = score_sentences(texts, nlp=nlp)
        elapsed = time.perf_counter() - started
        rules = prf(gold, [score >= CLAIM_THRESHOLD for score, _ in scores])
        digit = prf(gold, [any(char.isdigit() for char in text) for text in texts])
        print(
            f"{split:9s} n={len(texts):5d}  rules: P {rules[0]:.3f} R {rules[1]:.3f} "
            f"F1 {rules[2]:.3f}   digit baseline: F1 {digit[2]:.3f}   ({elapsed:.2f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
