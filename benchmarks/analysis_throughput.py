"""How fast the claim detector analyses articles, and how long the pipeline takes to load.

Load time is the median of 5 loads, each in a fresh Python process (in-process the
pipeline is cached, so a second load would measure nothing); it includes importing
spaCy. Throughput is words per second over every Wikinews article, median of 5 runs,
after the pipeline is loaded, three ways:

* ``detect_claims`` article by article with the detector's score cache emptied before
  each run (what analysing new articles costs; the headline figure);
* ``detect_claims_many`` over all the articles at once, cache emptied (the model batched
  across articles);
* ``detect_claims`` again with the cache full (analysing the same articles again).

Each figure is given in wall-clock time and in CPU time of this process (all its
threads), which moves less when other jobs share the machine. Targets: load under 1 s,
detection at least 20,000 words/s.

The model runs one batch per physical core by default (``CheckworthinessModel``'s
``workers``); ``--workers 1`` measures it on one core. CPU time counts every core, so
with more than one worker it is below the wall-clock rate.

Usage: python benchmarks/analysis_throughput.py [--data PATH] [--runs 5] [--trained]
       [--workers N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.nlp import (  # noqa: E402
    claim_detector,
    detect_claims,
    detect_claims_many,
    load_pipeline,
)
from workbench.nlp.encoder import OnnxTextModel  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "articles" / "wikinews_gum.jsonl"
LOAD_SNIPPET = """
import time
started = time.perf_counter()
from workbench.nlp import load_pipeline
nlp = load_pipeline(use_trained={trained})
nlp("Warm up.")
print(time.perf_counter() - started)
"""


def load_seconds(*, trained: bool) -> float:
    """Seconds to import the package and build the pipeline in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", LOAD_SNIPPET.format(trained=trained)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def read_texts(path: Path) -> list[str]:
    """The ``text`` field of every article in a JSONL file."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle if line.strip()]


def rates(
    words: int, runs: int, work: Callable[[], int], before: Callable[[], None] = lambda: None
) -> tuple[list[float], list[float], int]:
    """Words per second of ``work`` (wall clock and CPU), ``runs`` times, and its last result."""
    wall: list[float] = []
    cpu: list[float] = []
    result = 0
    for _ in range(runs):
        before()
        started, started_cpu = time.perf_counter(), time.process_time()
        result = work()
        wall.append(words / (time.perf_counter() - started))
        cpu.append(words / max(time.process_time() - started_cpu, 1e-9))
    return wall, cpu, result


def describe(wall: list[float], cpu: list[float]) -> str:
    return (
        f"median {statistics.median(wall):,.0f} words/s "
        f"(min {min(wall):,.0f}, max {max(wall):,.0f}); "
        f"CPU time: median {statistics.median(cpu):,.0f} words/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="articles (JSONL)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--trained", action="store_true", help="use an installed trained pipeline if any"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="model batches run at once (default: per core)"
    )
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no articles at {args.data}; skipping the benchmark")
        return 0

    loads = [load_seconds(trained=args.trained) for _ in range(args.runs)]
    print(
        f"pipeline load (fresh process, incl. import): median {statistics.median(loads):.3f} s "
        f"(min {min(loads):.3f}, max {max(loads):.3f})"
    )

    texts = read_texts(args.data)
    words = sum(len(text.split()) for text in texts)
    nlp = load_pipeline(use_trained=args.trained)
    detector = claim_detector(nlp)
    model = "rules alone"
    if isinstance(detector.probability_model, OnnxTextModel):
        if args.workers is not None:
            detector.probability_model.workers = max(1, args.workers)
        model = f"rules + model, {detector.probability_model.workers} batch(es) at once"
    print(f"pipeline: {', '.join(nlp.pipe_names)} ({model})")
    detect_claims(texts[0], nlp=nlp)  # warm up
    wall, cpu, claims = rates(
        words,
        args.runs,
        lambda: sum(len(detect_claims(text, nlp=nlp)) for text in texts),
        detector.cache.clear,
    )
    print(f"articles: {len(texts)}, words: {words:,}, claims flagged: {claims:,}")
    print(f"detection, one article at a time:    {describe(wall, cpu)} over {args.runs} runs")
    wall, cpu, _ = rates(
        words,
        args.runs,
        lambda: sum(len(claims) for claims in detect_claims_many(texts, nlp=nlp)),
        detector.cache.clear,
    )
    print(f"detection, all articles in one call: {describe(wall, cpu)}")
    if detector.probability_model is not None:
        wall, cpu, _ = rates(
            words, args.runs, lambda: sum(len(detect_claims(text, nlp=nlp)) for text in texts)
        )
        print(f"detection again, scores cached:      {describe(wall, cpu)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
