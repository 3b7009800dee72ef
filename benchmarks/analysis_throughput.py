"""How fast the claim detector analyses articles, and how long the pipeline takes to load.

Load time is the median of 5 loads, each in a fresh Python process (in-process the
pipeline is cached, so a second load would measure nothing); it includes importing
spaCy. Throughput is words per second of ``detect_claims`` over every Wikinews article,
median of 5 runs, after the pipeline is loaded. Targets: load under 1 s, detection at
least 20,000 words/s.

Usage: python benchmarks/analysis_throughput.py [--data PATH] [--runs 5] [--trained]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.nlp import detect_claims, load_pipeline  # noqa: E402

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="articles (JSONL)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--trained", action="store_true", help="use an installed trained pipeline if any"
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
    print(f"pipeline: {', '.join(nlp.pipe_names)}")
    detect_claims(texts[0], nlp=nlp)  # warm up caches
    rates: list[float] = []
    claims = 0
    for _ in range(args.runs):
        started = time.perf_counter()
        claims = sum(len(detect_claims(text, nlp=nlp)) for text in texts)
        rates.append(words / (time.perf_counter() - started))
    print(f"articles: {len(texts)}, words: {words:,}, claims flagged: {claims:,}")
    print(
        f"detection: median {statistics.median(rates):,.0f} words/s "
        f"(min {min(rates):,.0f}, max {max(rates):,.0f}) over {args.runs} runs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
