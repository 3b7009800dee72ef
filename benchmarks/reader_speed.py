"""How fast the readers turn files into articles: a large saved page, a long .docx and .txt.

The tests check that these are read whole; the time it takes is measured here, on
inputs generated on the spot: a page of 2,500 paragraphs (37,500 words, 228 kB), a
.docx and a .txt of 10,500 words. Prints the median of several runs per input.

    python benchmarks/reader_speed.py [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import docx  # noqa: E402

from workbench.ingest import read_bytes  # noqa: E402

SENTENCE = "Officials said {n:,} troops crossed the border on day {d} of the operation, at length."


def _paragraphs(count: int) -> list[str]:
    return [SENTENCE.format(n=i * 100, d=i % 30 + 1) for i in range(count)]


def large_page() -> bytes:
    body = "".join(f"<p>{p}</p>" for p in _paragraphs(2500))
    return (
        "<!doctype html><html><head><title>A long page</title></head><body><nav>Home</nav>"
        f"<article><h1>A long page</h1>{body}</article><footer>© Herald</footer></body></html>"
    ).encode()


def long_docx() -> bytes:
    document = docx.Document()
    document.add_heading("A long document", level=1)
    for paragraph in _paragraphs(700):
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def long_text() -> bytes:
    return ("A long text\n\n" + "\n\n".join(_paragraphs(700))).encode()


def median_seconds(read: Callable[[], object], runs: int) -> float:
    read()  # warm up: imports, caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        read()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for name, data in (
        ("page.html", large_page()),
        ("article.docx", long_docx()),
        ("article.txt", long_text()),
    ):
        seconds = median_seconds(lambda d=data, n=name: read_bytes(d, name=n), args.runs)
        words = len(read_bytes(data, name=name).text.split())
        print(f"{name:<13} {len(data) / 1024:7.0f} kB  {words:>6,} words  {seconds:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
