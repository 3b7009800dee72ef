"""The spaCy pipeline: article-aware sentence splitting and the claim detector.

Contract:

* ``load_pipeline()`` -> ``spacy.Language``: ``spacy.blank("en")`` plus the project's
  components (or an installed trained English pipeline when present), fast to load. Each
  call builds a new one: :class:`workbench.engine.Engine` keeps the process's.
* ``detect_claims(text, *, nlp=None)`` -> ``list[DetectedClaim]`` in reading order,
  with character offsets into ``text`` such that ``text[start:end] == claim.text``,
  each with its claimant (who the article says makes it, or ``""``) and its type, whose
  reason comes first.
* ``load_checkworthiness_model()`` -> ``(model or None, ModelStatus)``: the bundled
  check-worthiness model (``resources/models/checkworthiness``, run by onnxruntime) and
  whether it is weighed in. When it is missing or fails to load, the detector uses its
  rules alone, the status says why and the pipeline built logs it
  (:meth:`workbench.engine.Engine.model_status` for the process's).

spaCy itself is imported on first use, so importing this package stays cheap for
commands that never analyse text.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.models import MAX_ARTICLE_CHARS, DetectedClaim
from workbench.nlp.signals import CLAIM_THRESHOLD, ScoreAdjustment

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from workbench.nlp.detector import ClaimDetector
    from workbench.nlp.encoder import CheckworthinessModel

__all__ = [
    "CLAIM_THRESHOLD",
    "TRAINED_PIPELINES",
    "ModelLoader",
    "ModelStatus",
    "ScoreAdjustment",
    "build_pipeline",
    "claim_detector",
    "detect_claims",
    "detect_claims_many",
    "installed_trained_pipeline",
    "load_checkworthiness_model",
    "load_pipeline",
    "model_wanted",
    "score_sentences",
    "tokenizable",
]

log = logging.getLogger("workbench.nlp")

TRAINED_PIPELINES = ("en_core_web_sm", "en_core_web_md", "en_core_web_lg")
"""Trained English pipelines used for their entities when installed, in order of preference."""

_UNNEEDED_COMPONENTS = ["lemmatizer", "textcat", "textcat_multilabel", "senter", "entity_linker"]
_MAX_LENGTH = 20_000_000
"""Articles are tokenised only, so the blank pipeline can take far more than spaCy's 1M default.

Every pipeline takes at least :data:`workbench.models.MAX_ARTICLE_CHARS`, the longest
article the readers return, so no article they accept fails in spaCy.
"""


def installed_trained_pipeline() -> str | None:
    """The name of an installed trained English pipeline, or None: it is never required."""
    for name in TRAINED_PIPELINES:
        if importlib.util.find_spec(name) is not None:
            return name
    return None


@dataclass(frozen=True)
class ModelStatus:
    """Whether the claim detector weighs the trained model, and a sentence saying so."""

    available: bool
    message: str


def load_checkworthiness_model(
    directory: Path | None = None,
) -> tuple[CheckworthinessModel | None, ModelStatus]:
    """Load the check-worthiness model from ``directory``.

    By default, the one trained from the user's corrections when there is one that
    loads, else the bundled one (:func:`workbench.nlp.encoder.load_checkworthiness`).

    Never raises for a missing or broken model: it returns ``None`` with a status
    that explains, so the detector can go on with its rules.
    """
    from workbench.nlp.encoder import CheckworthinessModel, ModelLoadError, load_checkworthiness

    try:
        model = CheckworthinessModel(directory) if directory else load_checkworthiness()
    except ModelLoadError as error:
        return None, ModelStatus(
            False, f"the check-worthiness model is unavailable ({error}); using the rules alone"
        )
    return model, ModelStatus(True, f"check-worthiness model loaded from {model.directory}")


ModelLoader = Callable[[], tuple["CheckworthinessModel | None", ModelStatus]]
"""Gives the check-worthiness model, or None, and its status: such as
:func:`load_checkworthiness_model`, or an engine's model loaded once
(:meth:`workbench.engine.Engine.checkworthiness`)."""


def claim_detector(nlp: Language) -> ClaimDetector:
    """The ``claim_detector`` component of ``nlp``.

    Raises:
        ValueError: ``nlp`` has no claim detector.
    """
    from workbench.nlp.detector import ClaimDetector

    for _, pipe in nlp.pipeline:
        if isinstance(pipe, ClaimDetector):
            return pipe
    raise ValueError("the pipeline has no claim_detector component")


def build_pipeline(
    base: str | None = None, *, use_model: bool = True, model: ModelLoader | None = None
) -> Language:
    """Build a fresh pipeline: ``base`` (a trained package name) or ``spacy.blank("en")``.

    The article sentencizer runs first (before any parser, which then keeps its
    boundaries) and the claim detector last. With ``use_model`` the detector weighs
    the check-worthiness model that ``model`` gives (by default the bundled one, loaded
    by :func:`load_checkworthiness_model`) when it loads; when it does not, the
    detector's ``model_problem`` says why, and so does the log.
    """
    from workbench.nlp.spacy_import import import_spacy

    import_spacy()
    import spacy

    from workbench.nlp import detector as _detector
    from workbench.nlp import sentences as _sentences

    del _detector, _sentences  # imported for their factory registrations
    if base is None:
        nlp = spacy.blank("en")
        nlp.max_length = _MAX_LENGTH
        nlp.add_pipe("article_sentencizer")
    else:
        nlp = spacy.load(base, exclude=_UNNEEDED_COMPONENTS)
        first = "parser" if "parser" in nlp.pipe_names else None
        nlp.add_pipe("article_sentencizer", before=first, first=first is None)
    nlp.max_length = max(nlp.max_length, MAX_ARTICLE_CHARS)
    _search_suffixes_at_the_end(nlp.tokenizer)
    nlp.add_pipe("claim_detector")
    if use_model:
        found, status = (model or load_checkworthiness_model)()
        detector = claim_detector(nlp)
        detector.probability_model = found
        if found is None:
            detector.model_problem = status.message
            log.warning("%s", status.message)
    return nlp


SUFFIX_WINDOW = 64
"""How many of a word's last characters the tokenizer's suffix search reads: more than
the longest suffix spaCy's English rules know (units, quotes, punctuation)."""


class _SuffixAtTheEnd:
    """A tokenizer's suffix search that reads only the end of a word.

    spaCy strips a word's prefixes and suffixes one at a time, and its suffix pattern
    (anchored with ``$``) is searched from the word's start each time: a 20,000-character
    run of brackets took half a minute, the square of its length. spaCy uses only the
    match's length (``Tokenizer.find_suffix``), so searching the last
    :data:`SUFFIX_WINDOW` characters gives the same tokens (checked on every Wikinews
    and CT24 sentence). ``pattern`` is the original's, so the pipeline still saves.
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern.pattern
        self._search = pattern.search

    def search(self, text: str) -> re.Match[str] | None:
        return self._search(text[-SUFFIX_WINDOW:])


def _search_suffixes_at_the_end(tokenizer: Any) -> None:
    """Give ``tokenizer`` a :class:`_SuffixAtTheEnd` (unless its search is not a pattern's)."""
    pattern = getattr(tokenizer.suffix_search, "__self__", None)
    if isinstance(pattern, re.Pattern):
        tokenizer.suffix_search = _SuffixAtTheEnd(pattern).search


MODEL_ENV_VAR = "WORKBENCH_MODEL"
"""``WORKBENCH_MODEL=0`` gives the rules alone (fast, higher recall, more low-value claims)."""


def model_wanted() -> bool:
    """Whether the detector weighs the check-worthiness model: yes, unless turned off.

    With it, the claim detector scores CT24 dev_test at F1 0.893 against 0.706 for the
    rules alone, and leaves out more low-value sentences of news articles; it costs
    speed: on two AMD EPYC cores, about 9,800 words/s of new articles (11,300 when many
    go through :func:`detect_claims_many` together; 6,400 and 7,200 on one core)
    against 31,000 for the rules alone, after a load 0.1 s longer. Sentences already
    scored cost no model time again (``benchmarks/analysis_throughput.py``).
    """
    return os.environ.get(MODEL_ENV_VAR, "1").strip() not in ("0", "false", "no", "off")


def load_pipeline(
    *, use_trained: bool = True, use_model: bool | None = None, model: ModelLoader | None = None
) -> Language:
    """Build the pipeline the workbench analyses with, and log how long it took.

    Each call builds a new one (a tenth of a second once spaCy is imported): keep it.
    :meth:`workbench.engine.Engine.pipeline` keeps the process's.

    Args:
        use_trained: Use an installed trained English pipeline (for its entities) when
            there is one; ``False`` always gives the blank pipeline.
        use_model: Weigh the check-worthiness model in the claim score when it loads;
            ``False`` gives the rules alone; by default, :func:`model_wanted`.
        model: Gives the check-worthiness model (see :func:`build_pipeline`).
    """
    if use_model is None:
        use_model = model_wanted()
    started = time.perf_counter()
    base = installed_trained_pipeline() if use_trained else None
    nlp = build_pipeline(base, use_model=use_model, model=model)
    log.info(
        "loaded spaCy pipeline %s (%s) in %.2f s",
        base or "blank:en",
        ", ".join(nlp.pipe_names),
        time.perf_counter() - started,
    )
    return nlp


def _units(doc: Doc, text: str) -> list[tuple[int, int]]:
    """Every sentence of ``doc`` as character offsets, without surrounding whitespace."""
    units: list[tuple[int, int]] = []
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            units.append((start, end))
    return units


def _claims_of(doc: Doc, text: str) -> list[DetectedClaim]:
    """The claims the detector wrote to ``doc``, as character offsets into ``text``.

    Each gets its claimant (:mod:`workbench.nlp.attribution`, which reads every sentence:
    a pronoun and a quotation look at their neighbours) and its type
    (:mod:`workbench.nlp.claim_types`), the first of its reasons.
    """
    from workbench.nlp.attribution import Attribution, attribute
    from workbench.nlp.claim_types import classify, without_phrase
    from workbench.nlp.detector import SPANS_KEY

    spans = list(doc.spans.get(SPANS_KEY, []))
    if not spans:
        return []
    units = _units(doc, text)
    by_start = dict(zip((start for start, _ in units), attribute(text, units), strict=True))
    claims: list[DetectedClaim] = []
    for span in spans:
        start, end = span.start_char, span.end_char
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            continue
        attribution = by_start.get(start, Attribution())
        phrase = attribution.phrase
        local = None if phrase is None else (phrase[0] - start, phrase[1] - start)
        typing = classify(without_phrase(text[start:end], local), quoted=attribution.quoted)
        score = span._.claim_score
        reasons = span._.claim_reasons
        claims.append(
            DetectedClaim(
                start=start,
                end=end,
                text=text[start:end],
                score=float(score) if score is not None else 1.0,
                reasons=(typing.reason, *(reasons or ())),
                claimant=attribution.claimant,
                type=typing.type,
            )
        )
    claims.sort(key=lambda claim: claim.start)
    return claims


"""Moves sentence scores before the threshold applies: (sentences, scores) -> new scores."""


MAX_RUN = 100
"""The longest run of characters without white space the tokenizer is given whole."""
_LONG_RUN = re.compile(rf"\S{{{2 * MAX_RUN},}}")


def tokenizable(text: str) -> str:
    """``text`` as the pipeline should read it: the same length (offsets carry over),
    with a space in place of every :data:`MAX_RUN`-th character of a run of 200 or more
    without white space.

    spaCy's tokenizer peels prefixes and suffixes off a token one at a time, rescanning
    what is left: its time grows with the square of a token's length. An accepted
    article of 990,000 brackets around one word ("[[[...x]]]") was tokenized for over
    five minutes. Only such runs change (a long URL too); claims are cut from the
    original text.
    """

    def broken(run: re.Match[str]) -> str:
        chars = run.group()
        pieces = (chars[i : i + MAX_RUN - 1] + " " for i in range(0, len(chars), MAX_RUN))
        return "".join(pieces)[: len(chars)]

    return _LONG_RUN.sub(broken, text)


def detect_claims(
    text: str, *, nlp: Language | None = None, adjust: ScoreAdjustment | None = None
) -> list[DetectedClaim]:
    """Find the check-worthy sentences of ``text``, in reading order.

    Args:
        text: The article text; offsets in the result index into it.
        nlp: A pipeline from :func:`load_pipeline` or :func:`build_pipeline` (such as
            :meth:`workbench.engine.Engine.pipeline`); by default a new
            :func:`load_pipeline`, built for this call only.
        adjust: Called with every sentence, its score (flagged or not) and the
            detector's threshold before the threshold applies, such as
            :meth:`workbench.nlp.feedback.FeedbackAdjuster.adjust`; the sentences it
            returns at or above the threshold are the claims.
    """
    pipeline = nlp if nlp is not None else load_pipeline()
    if adjust is None:
        return _claims_of(pipeline(tokenizable(text)), text)
    config = {claim_detector(pipeline).name: {"adjust": adjust}}
    return _claims_of(pipeline(tokenizable(text), component_cfg=config), text)


def detect_claims_many(
    texts: Iterable[str], *, nlp: Language | None = None, batch_size: int = 16
) -> list[list[DetectedClaim]]:
    """:func:`detect_claims` for many texts at once, streamed through ``nlp.pipe``.

    The claim detector sends the sentences of ``batch_size`` texts to the model in one
    call, which is faster than one call per text; the scores are the ones
    :func:`detect_claims` gives each text alone.
    """
    pipeline = nlp if nlp is not None else load_pipeline()
    items = list(texts)
    docs = pipeline.pipe((tokenizable(text) for text in items), batch_size=batch_size)
    return [_claims_of(doc, text) for doc, text in zip(docs, items, strict=True)]


def score_sentences(
    sentences: Sequence[str], *, nlp: Language | None = None
) -> list[tuple[float, tuple[str, ...]]]:
    """Score each string as one sentence, without splitting: ``(score, reasons)`` per input.

    Used to score sentences that arrive one per line (``workbench score --sentences``)
    and to measure the detector on sentence-level data sets.
    """
    pipeline = nlp if nlp is not None else load_pipeline()
    detector = claim_detector(pipeline)
    entities: list[list[tuple[str, str]]] | None = None
    if "ner" in pipeline.pipe_names:
        skip = [name for name in pipeline.pipe_names if name != "ner" and "tok2vec" not in name]
        entities = [
            [(ent.label_, ent.text) for ent in doc.ents]
            for doc in pipeline.pipe(sentences, disable=skip)
        ]
    return [(s.score, s.reasons) for s in detector.score_texts(list(sentences), entities)]
