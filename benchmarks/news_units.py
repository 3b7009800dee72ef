"""How well the claim detector flags and ranks the labelled units of 43 Wikinews articles.

Each article of ``wikinews_gum.jsonl`` goes through the app's own path: read as pasted
text (``workbench.ingest.read_text``), then ``workbench.nlp.detect_claims``, the call
``workbench.analysis.analyze_article`` makes before storing. Every sentence's score,
flagged or not, comes from the detector's pure ``ClaimDetector.match`` on the same
text (the pipeline run once more without the detector writing anything).

The units of ``wikinews_claims.jsonl`` (C: a check-worthy claim, must be flagged;
N: not a claim, must not be; L: either way) are located in the text the reader
returned, tolerant of whitespace, case and punctuation. A unit is flagged when detected
claims cover more than half of its characters; its score is the highest score of the
claims overlapping it, or else of the sentences that make up most of it. Units the
reader dropped (datelines and captions taken as title or date) or that cannot be found
are counted apart and left out of the figures.

Prints C recall, the shares of N, L and all units flagged, AUC of the scores of C
against N (Mann-Whitney, ties count half), mean precision of each article's top 5
units, how many flagged units score 0.99 or more, and C recall and N flagged at other
flag thresholds. ``--errors`` lists the missed C and flagged N units with their scores
and the annotators' reasons.

The bundled model learnt from these units too (``train_checkworthiness.py --news``): run
on it, the figures flatter it, and the script says so. The news figures that count are
cross-validated by article: ``scripts/news_crossval.py``.

Usage: python benchmarks/news_units.py [--articles PATH] [--labels PATH] [--rules-only]
       [--model DIR] [--errors]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.errors import IngestError  # noqa: E402
from workbench.ingest import read_text  # noqa: E402
from workbench.models import DetectedClaim  # noqa: E402
from workbench.nlp import (  # noqa: E402
    claim_detector,
    detect_claims,
    load_checkworthiness_model,
    load_pipeline,
)
from workbench.nlp.signals import ClaimScore  # noqa: E402
from workbench.priority import Priority, PriorityThresholds  # noqa: E402

if TYPE_CHECKING:
    from spacy.language import Language

    from workbench.nlp.encoder import CheckworthinessModel

DATA = REPO.parent / "shared" / "data" / "articles"
DEFAULT_ARTICLES = DATA / "wikinews_gum.jsonl"
DEFAULT_LABELS = DATA / "wikinews_claims.jsonl"
FLAG_SHARE = 0.5
"""A unit is flagged when claims cover more than this share of its characters."""
TOP_K = 5
SATURATED = 0.99
THRESHOLDS = (0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of the detector, in character offsets of the analysed text."""

    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class Unit:
    """A labelled unit with where it lies in the analysed text and how the detector saw it."""

    article: str
    text: str
    label: str
    why: str
    start: int = -1
    end: int = -1
    """``start == -1``: not located (see :attr:`dropped`)."""
    dropped: bool = False
    """Found in the source text but not in what the reader returned."""
    flagged: bool = False
    partly: bool = False
    """Not flagged, but a claim covers part of it (it spans several of the detector's sentences)."""
    score: float = 0.0

    @property
    def located(self) -> bool:
        return self.start >= 0


class Locator:
    """Finds strings in a text ignoring whitespace, case and punctuation, in reading order."""

    def __init__(self, text: str) -> None:
        self.positions = [i for i, char in enumerate(text) if char.isalnum()]
        self.key = "".join(text[i].casefold() for i in self.positions)
        self.cursor = 0

    def find(self, needle: str) -> tuple[int, int] | None:
        """``(start, end)`` of ``needle`` after the previous match, else anywhere; or None."""
        key = "".join(char.casefold() for char in needle if char.isalnum())
        if not key:
            return None
        at = self.key.find(key, self.cursor)
        if at >= 0:
            self.cursor = at + len(key)
        else:
            at = self.key.find(key)
            if at < 0:
                return None
        return self.positions[at], self.positions[at + len(key) - 1] + 1


def overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def detect_and_score(text: str, nlp: Language) -> tuple[list[DetectedClaim], list[Sentence]]:
    """The claims of ``text`` and every sentence the detector scored, flagged or not.

    One pipeline run: an adjustment that changes nothing records the scores as the
    detector hands them over, in reading order.
    """
    sentences: list[Sentence] = []

    def record(
        texts: Sequence[str], scores: Sequence[ClaimScore], threshold: float
    ) -> list[ClaimScore]:
        cursor = 0
        for sentence, score in zip(texts, scores, strict=True):
            start = text.index(sentence, cursor)
            cursor = start + len(sentence)
            start += len(sentence) - len(sentence.lstrip())
            sentences.append(Sentence(start, start + len(sentence.strip()), score.score))
        return list(scores)

    return detect_claims(text, nlp=nlp, adjust=record), sentences


def judge(
    start: int, end: int, claims: Sequence[DetectedClaim], sentences: Sequence[Sentence]
) -> tuple[bool, bool, float]:
    """Whether the unit at ``start:end`` is flagged, whether any claim touches it, and its score."""
    length = end - start
    touching = [c for c in claims if overlap(start, end, c.start, c.end)]
    covered = sum(overlap(start, end, c.start, c.end) for c in touching)
    if covered > FLAG_SHARE * length:
        return True, True, max(c.score for c in touching)
    shares = [(overlap(start, end, s.start, s.end), s) for s in sentences]
    shares = [(chars, s) for chars, s in shares if chars]
    if not shares:
        return False, bool(touching), 0.0
    main = [
        s
        for chars, s in shares
        if chars > FLAG_SHARE * length or chars > FLAG_SHARE * (s.end - s.start)
    ]
    if not main:
        main = [max(shares, key=lambda pair: pair[0])[1]]
    return False, bool(touching), max(s.score for s in main)


def analyse(article: dict[str, Any], units: Sequence[dict[str, str]], nlp: Language) -> list[Unit]:
    """The units of one article as the detector saw them."""
    source = Locator(article["text"])
    try:
        text = read_text(article["text"]).text
    except IngestError as error:
        print(f"{article['id']}: {error}")
        text = ""
    claims, sentences = detect_and_score(text, nlp) if text else ([], [])
    locator = Locator(text)
    result = []
    for raw in units:
        unit = Unit(article["id"], raw["text"], raw["label"], raw.get("why", ""))
        found = locator.find(raw["text"])
        if found is None:
            result.append(replace(unit, dropped=source.find(raw["text"]) is not None))
            continue
        flagged, touched, score = judge(*found, claims, sentences)
        result.append(
            replace(
                unit,
                start=found[0],
                end=found[1],
                flagged=flagged,
                partly=touched and not flagged,
                score=score,
            )
        )
    return result


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """P(score of a positive > score of a negative), ties counting half (Mann-Whitney)."""
    if not positives or not negatives:
        return float("nan")
    ranked = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2
        rank_sum += mean_rank * sum(flag for _, flag in ranked[i:j])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def precision_at_k(units: Sequence[Unit], k: int, good: set[str]) -> float:
    """Share of the ``k`` best-scored units (reading order breaks ties) with a label in ``good``."""
    top = sorted(units, key=lambda u: -u.score)[:k]
    return sum(u.label in good for u in top) / len(top) if top else float("nan")


def share(units: Sequence[Unit], label: str | None = None) -> tuple[float, int, int]:
    """Share of ``units`` (of ``label``, or all) that are flagged, with the two counts."""
    chosen = [u for u in units if label is None or u.label == label]
    flagged = sum(u.flagged for u in chosen)
    return (flagged / len(chosen) if chosen else float("nan")), flagged, len(chosen)


def clip(text: str, width: int = 150) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def report(units: Sequence[Unit], *, errors: bool = False) -> None:
    """Print the figures of ``units`` (and, with ``errors``, the missed C and flagged N)."""
    located = [u for u in units if u.located]
    counts = Counter(u.label for u in units)
    print(
        f"units: {len(units)} (C {counts['C']}, N {counts['N']}, L {counts['L']}); "
        f"located {len(located)}"
    )
    for kind, missing in (
        ("dropped by the reader", [u for u in units if u.dropped]),
        ("not found", [u for u in units if not u.located and not u.dropped]),
    ):
        if missing:
            by_label = Counter(u.label for u in missing)
            print(
                f"  {kind}: {len(missing)} ({', '.join(f'{k} {v}' for k, v in by_label.items())})"
            )

    recall, hits, n_c = share(located, "C")
    n_share, n_flagged, n_n = share(located, "N")
    l_share, l_flagged, n_l = share(located, "L")
    all_share, all_flagged, n_all = share(located)
    partly = sum(u.partly for u in located if u.label == "C")
    print(f"C recall            {recall:.3f}  ({hits}/{n_c}; {partly} more partly flagged)")
    print(f"N flagged           {n_share:.3f}  ({n_flagged}/{n_n})")
    print(f"L flagged           {l_share:.3f}  ({l_flagged}/{n_l})")
    print(f"all units flagged   {all_share:.3f}  ({all_flagged}/{n_all})")

    c_scores = [u.score for u in located if u.label == "C"]
    n_scores = [u.score for u in located if u.label == "N"]
    print(f"AUC C vs N          {auc(c_scores, n_scores):.3f}  (scores of all sentences)")
    per_article: dict[str, list[Unit]] = {}
    for unit in located:
        per_article.setdefault(unit.article, []).append(unit)
    p_c = [precision_at_k(group, TOP_K, {"C"}) for group in per_article.values()]
    p_cl = [precision_at_k(group, TOP_K, {"C", "L"}) for group in per_article.values()]
    print(
        f"precision@{TOP_K}         {sum(p_c) / len(p_c):.3f} C, "
        f"{sum(p_cl) / len(p_cl):.3f} C or L  (mean of {len(p_c)} articles)"
    )
    saturated = sum(u.flagged and u.score >= SATURATED for u in located)
    print(f"flagged scoring >= {SATURATED}: {saturated} of {all_flagged}")
    thresholds = PriorityThresholds()
    graded = {
        article: thresholds.for_scores(u.score for u in group if u.flagged)
        for article, group in per_article.items()
    }
    print(
        f"flagged by priority (high >= {thresholds.high} and in the article's best"
        f" {thresholds.high_share:.0%}, medium >= {thresholds.medium}):"
    )
    for priority in (Priority.HIGH, Priority.MEDIUM, Priority.LOW):
        band = [u for u in located if u.flagged and graded[u.article].level(u.score) is priority]
        counts = ", ".join(f"{label} {sum(u.label == label for u in band)}" for label in "CLN")
        per = len(band) / len(per_article)
        print(f"  {priority.value:<7} {len(band):>4} units ({counts}; {per:.1f} an article)")

    print("at other flag thresholds (a unit counts as flagged when its score reaches it):")
    for threshold in THRESHOLDS:
        c = [u for u in located if u.label == "C"]
        n = [u for u in located if u.label == "N"]
        print(
            f"  {threshold:<5}  C recall {sum(u.score >= threshold for u in c) / len(c):.3f}"
            f"  N flagged {sum(u.score >= threshold for u in n) / len(n):.3f}"
            f"  all {sum(u.score >= threshold for u in located) / len(located):.3f}"
        )

    if errors:
        for title, chosen in (
            ("missed C", [u for u in located if u.label == "C" and not u.flagged]),
            ("flagged N", [u for u in located if u.label == "N" and u.flagged]),
        ):
            print(f"\n{title} ({len(chosen)}):")
            for u in sorted(chosen, key=lambda u: -u.score):
                note = " (partly flagged)" if u.partly else ""
                print(f"  {u.score:.2f}  {u.article}: {clip(u.text)}{note}")
                print(f"        why: {clip(u.why)}")


def trained_on_news(model: CheckworthinessModel | None) -> int:
    """How many labelled news articles ``model`` learnt from (its training record)."""
    training = model.config.get("training") if model is not None else None
    return int(training.get("news_articles") or 0) if isinstance(training, dict) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=DEFAULT_ARTICLES)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument(
        "--rules-only", action="store_true", help="the rules alone (as WORKBENCH_MODEL=0)"
    )
    parser.add_argument(
        "--model", type=Path, default=None, help="a check-worthiness model folder to use instead"
    )
    parser.add_argument("--errors", action="store_true", help="list missed C and flagged N")
    parser.add_argument("--limit", type=int, default=0, help="only the first N articles")
    args = parser.parse_args(argv)
    if not args.articles.exists() or not args.labels.exists():
        print(f"no articles or labels in {args.articles.parent}; skipping the benchmark")
        return 0

    articles = {row["id"]: row for row in read_jsonl(args.articles)}
    labelled = read_jsonl(args.labels)
    if args.limit:
        labelled = labelled[: args.limit]
    started = time.perf_counter()
    checkworthiness: CheckworthinessModel | None = None
    if args.rules_only:
        nlp = load_pipeline(use_model=False)
    else:
        loaded = load_checkworthiness_model(args.model)  # the user's or the bundled one by default
        checkworthiness = loaded[0]
        nlp = load_pipeline(model=lambda: loaded)
    detector = claim_detector(nlp)
    loaded = time.perf_counter() - started
    model = "rules alone" if detector.probability_model is None else "rules + model"
    print(f"pipeline: {', '.join(nlp.pipe_names)} ({model}); threshold {detector.threshold}")
    if detector.model_problem:
        print(f"  {detector.model_problem}")
    learnt = trained_on_news(checkworthiness)
    if detector.probability_model is not None and learnt:
        print(
            f"  note: this model learnt from the units of {learnt} of these articles, so the "
            "figures below flatter it; the ones that count are cross-validated: "
            "python scripts/news_crossval.py"
        )

    started = time.perf_counter()
    units: list[Unit] = []
    for entry in labelled:
        units.extend(analyse(articles[entry["id"]], entry["units"], nlp))
    elapsed = time.perf_counter() - started
    words = sum(len(articles[entry["id"]]["text"].split()) for entry in labelled)
    print(
        f"{len(labelled)} articles, {words:,} words: load {loaded:.1f} s, "
        f"analysis {elapsed:.1f} s (each article read and detected)"
    )

    report(units, errors=args.errors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
