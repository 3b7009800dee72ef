"""What the fact-checker's corrections add to analysing an article (:mod:`workbench.nlp.feedback`).

Builds one article of about 10,000 words from Wikinews articles and 200 corrections
(CT24 sentences, half added, half removed), then times ``detect_claims`` on it with
the detector's score cache full (so only the feedback step differs), median of
``--runs``:

* plain: no adjustment (what an app with no corrections does);
* with feedback, steady state: the article's sentences embedded and compared with the
  corrections' cached vectors;
* with feedback, one correction more: the fact-checker corrected one more sentence
  since the last article (what daily use looks like);
* with feedback, first article: a fresh adjuster, so loading the encoder and embedding
  the corrections are included (the app does this in the background when it starts).

Usage: python benchmarks/feedback_overhead.py [--words 10000] [--corrections 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.nlp import claim_detector, detect_claims, load_pipeline  # noqa: E402
from workbench.nlp.feedback import FeedbackAdjuster  # noqa: E402

DATA = REPO.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--corrections", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    texts: list[str] = []
    words = 0
    with (DATA / "articles" / "wikinews_gum.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            text = json.loads(line)["text"]
            texts.append(text)
            words += len(text.split())
            if words >= args.words:
                break
    article = "\n\n".join(texts)
    feedback: list[tuple[str, int]] = []
    with (DATA / "checkworthy" / "ct24_en.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if len(row["text"].split()) >= 8:
                feedback.append((row["text"], len(feedback) % 2))
            if len(feedback) >= args.corrections:
                break

    nlp = load_pipeline()
    sentences = len(claim_detector(nlp).match(nlp(article)))  # also fills the score cache

    def timed(run: Callable[[], object]) -> float:
        started = time.perf_counter()
        run()
        return time.perf_counter() - started

    runs = range(args.runs)
    plain = statistics.median(timed(lambda: detect_claims(article, nlp=nlp)) for _ in runs)
    adjuster = FeedbackAdjuster()

    def first() -> None:
        fresh = FeedbackAdjuster()
        fresh.update(feedback)
        detect_claims(article, nlp=nlp, adjust=fresh.adjust)

    def steady() -> None:
        adjuster.update(feedback)
        detect_claims(article, nlp=nlp, adjust=adjuster.adjust)

    extra = iter(range(10**6))

    def one_more() -> None:
        adjuster.update([*feedback, (f"Correction number {next(extra)} of the day.", 0)])
        detect_claims(article, nlp=nlp, adjust=adjuster.adjust)

    cold = statistics.median(timed(first) for _ in runs)
    steady()
    warm = statistics.median(timed(steady) for _ in runs)
    more = statistics.median(timed(one_more) for _ in runs)
    size = f"{len(article.split()):,} words, {sentences} sentences"
    print(f"article: {size}; {len(feedback)} corrections")
    print(f"plain detect_claims:           {plain:.3f} s")
    print(f"with feedback, steady state:   {warm:.3f} s (+{warm - plain:.3f} s)")
    print(f"with one correction more:      {more:.3f} s (+{more - plain:.3f} s)")
    print(f"with feedback, first article:  {cold:.3f} s (+{cold - plain:.3f} s, with the load)")


if __name__ == "__main__":
    main()
