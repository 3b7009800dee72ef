"""Report export speed: a 10,000-word article with 100 claims, in every format.

Target (issue "Verification reports"): under 2 s per format. Each run reads the
report from the store and writes the file (PDF through the Qt renderer, offscreen);
prints the median of several runs per format, plus a cold-process PDF export.

    python benchmarks/report_export.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from workbench.models import ArticleDraft, DetectedClaim, Status  # noqa: E402
from workbench.reports import FORMATS, export_reports, load_pdf_renderer  # noqa: E402
from workbench.store import Store  # noqa: E402

WORDS = 10_000
CLAIMS = 100
STATUSES = [Status.VERIFIED, Status.DISPUTED, Status.UNVERIFIABLE, Status.UNCHECKED]
FILLER = (
    "the government said on Tuesday that spending rose by percent in the last year while "
    "officials in the region reported more than people were affected according to figures"
)
VOCABULARY = FILLER.split()


def build_article(rng: random.Random) -> tuple[str, list[DetectedClaim]]:
    """Paragraphs of ~100 words; one claim sentence at the start of each of 100 of them."""
    paragraphs, claims, position = [], [], 0
    words_left = WORDS
    index = 0
    while words_left > 0:
        claim = f"In {1900 + index}, the agency counted {1000 + index * 7} cases, officials said."
        filler = " ".join(rng.choice(VOCABULARY) for _ in range(90)) + "."
        paragraph = f"{claim} {filler.capitalize()}"
        if index < CLAIMS:
            claims.append(DetectedClaim(position, position + len(claim), claim, 0.9, ("number",)))
        paragraphs.append(paragraph)
        position += len(paragraph) + 2
        words_left -= len(paragraph.split())
        index += 1
    return "\n\n".join(paragraphs), claims


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)
    text, detected = build_article(rng)
    folder = Path(tempfile.mkdtemp(prefix="report-bench-"))
    db = folder / "bench.db"
    with Store(db, user="bench") as store:
        article_id = store.add_article(ArticleDraft(text, title="Benchmark"), detected).article.id
        for i, claim in enumerate(store.claims(article_id)):
            store.update_claim(
                claim.id,
                status=STATUSES[i % 4],
                note=f"Checked against the annual report & the <b>register</b>, entry {i}.",
                claimant="Ministry spokesperson",
                evidence=[(f"https://stats.example/report?year={1900 + i}&t=a", "Annual report")],
            )
        store.set_setting("report.organisation", "Benchmark Fact Check")

        from PySide6.QtGui import QGuiApplication

        app = QGuiApplication.instance() or QGuiApplication([])
        renderer = load_pdf_renderer()
        print(f"{len(text.split())} words, {len(detected)} claims, median of {args.runs} runs")
        worst = 0.0
        for spec in FORMATS.values():
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                result = export_reports(
                    store,
                    [article_id],
                    folder / f"report{spec.extension}",
                    fmt=spec.name,
                    pdf_renderer=renderer,
                )
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            worst = max(worst, median)
            print(f"  {spec.name:<12} {median:6.3f} s  ({result.size / 1024:7.1f} KiB)")
        del app

    cold = []
    for _ in range(max(1, args.runs // 2)):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "workbench.cli", "export", str(article_id), "-o",
             str(folder / "cold.pdf"), "--db", str(db)],
            check=True, capture_output=True,
        )  # fmt: skip
        cold.append(time.perf_counter() - start)
    print(f"  {'pdf (cold CLI process)':<12} {statistics.median(cold):6.3f} s")
    print(f"worst format {worst:.3f} s (target < 2 s): {'OK' if worst < 2 else 'TOO SLOW'}")
    return 0 if worst < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
