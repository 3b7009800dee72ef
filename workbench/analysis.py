"""Import an article and detect its claims: the one operation the CLI and the app share."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from workbench.engine import Engine
from workbench.errors import IngestError
from workbench.models import MAX_ARTICLE_CHARS, ArticleDraft
from workbench.store import ImportResult, Store

if TYPE_CHECKING:
    from spacy.language import Language

    from workbench.nlp.feedback import FeedbackAdjuster

log = logging.getLogger("workbench.analysis")


def analyze_article(
    store: Store,
    draft: ArticleDraft,
    *,
    nlp: Language | None = None,
    feedback: FeedbackAdjuster | None = None,
    engine: Engine | None = None,
) -> ImportResult:
    """Store ``draft`` with its detected claims; an article already stored is returned as is.

    Each claim is stored with its claimant (who the article says makes it) and its type,
    as first values the fact-checker may change. Analysing a stored article again
    detects nothing and writes nothing, so it never overwrites what they changed.

    Detection runs before the write, so the database only ever sees a whole article
    with all its claims, or nothing.

    The fact-checker's corrections stored so far move the scores of similar sentences
    (:mod:`workbench.nlp.feedback`), through ``feedback`` or else the engine's adjuster;
    with no corrections the claims are the detector's own. The pipeline is ``nlp`` or
    else the engine's; the engine is ``engine`` or else :meth:`Engine.default`.

    Raises:
        IngestError: The text is longer than the readers accept (a draft built by hand);
            spaCy would fail on it or take minutes.
    """
    from workbench.nlp import detect_claims  # the detector's rules load with the first article

    existing = store.find_article(draft.text)
    if existing is not None:
        log.info("article %d is already stored; not analysed again", existing)
        return ImportResult(store.article(existing), tuple(store.claims(existing)), False)
    if len(draft.text) > MAX_ARTICLE_CHARS:
        raise IngestError(
            f"the article is too long ({len(draft.text):,} characters; "
            f"the limit is {MAX_ARTICLE_CHARS:,})"
        )
    engine = engine or Engine.default()
    adjuster = feedback if feedback is not None else engine.feedback()
    # With none, adjust() leaves every score as it is.
    adjuster.update(store.feedback(), store.chosen_priorities())
    pipeline = nlp if nlp is not None else engine.pipeline()
    claims = detect_claims(draft.text, nlp=pipeline, adjust=adjuster.adjust)
    return store.add_article(draft, claims)


def sentence_bounds(
    text: str, start: int, end: int, *, nlp: Language | None = None, engine: Engine | None = None
) -> tuple[int, int]:
    """Widen ``start:end`` to the whole sentences it touches (for fixing a claim's span).

    Split by ``nlp``, else by the pipeline of ``engine`` (by default :meth:`Engine.default`).
    """
    from workbench.nlp import tokenizable

    doc = (nlp or (engine or Engine.default()).pipeline())(tokenizable(text))
    first, last = start, end
    for sent in doc.sents:
        lo, hi = sent.start_char, sent.end_char
        if lo <= start < hi or (lo < end <= hi):
            first, last = min(first, lo), max(last, hi)
    while last > first and text[last - 1].isspace():
        last -= 1
    while first < last and text[first].isspace():
        first += 1
    return first, last
