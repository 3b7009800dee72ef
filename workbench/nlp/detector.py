"""The claim detector: a spaCy component that scores each sentence and keeps the check-worthy ones.

It writes ``doc.spans["claims"]``: one span per sentence whose score reaches the
threshold, with ``span._.claim_score`` (a float in [0, 1]) and ``span._.claim_reasons``
(human-readable strings). Scoring (:meth:`ClaimDetector.match`) is separate from writing
the results (:meth:`ClaimDetector.set_annotations`), as in spaCy's ``SpanRuler``.

The score is a logistic of weighted signals (:mod:`workbench.nlp.signals`). A trained
check-worthiness model plugs in as one more signal, ``model``: set
:attr:`ClaimDetector.probability_model` and its log-odds are weighed with the rest.
The weighed sum is calibrated (Platt scaling fitted on CT24 dev, a split the model was
not trained on, by ``scripts/fit_detector_calibration.py``), so the score is the
probability that a fact-checker would check the sentence: 0.9 means nine in ten such
sentences are check-worthy, which is what lets it grade priority.

The model is most of the detector's time, so it runs as little as it can:

* once per batch: all the sentences of an article (of every article of a batch, in
  ``nlp.pipe``) go to the model in one call, which batches them by token length and
  runs the batches on every core (``CheckworthinessModel.workers``);
* beside the rules: the call starts in the background before the rules read the
  sentences, with every unit that has none of the settling signals (a cheap test,
  :func:`~workbench.nlp.signals.page_signal_names`), so the rules' Python and the
  model's native code run at the same time;
* once per sentence: probabilities are kept in a bounded LRU cache keyed by the
  sentence with its whitespace collapsed (:class:`ProbabilityCache`), so analysing an
  article again, or a sentence that recurs, costs no model time;
* not for units the rules settle: page chrome, photo captions and credits, and
  fragments of fewer than :data:`~workbench.nlp.signals.SHORT_SENTENCE_WORDS` words are
  never claims, whatever the model says (:data:`SETTLING_SIGNALS`). Such a unit gets the
  rules' own score, below the threshold; one the rules alone would flag ("$5 million,
  20%.") still goes to the model. In Wikinews articles these units are a tenth of the
  sentences but only 4% of the word pieces the model would read.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

from workbench.nlp.spacy_import import import_spacy

import_spacy()  # whole, before its parts (see import_spacy)

# isort: split
from spacy.language import Language  # noqa: E402
from spacy.tokens import Doc, Span, SpanGroup  # noqa: E402

from workbench.nlp.signals import (  # noqa: E402
    CLAIM_THRESHOLD,
    DEFAULT_BIAS,
    DEFAULT_MODEL_BIAS,
    DEFAULT_WEIGHTS,
    ENTITY_LABELS,
    MODEL_CALIBRATION,
    RULES_CALIBRATION,
    Calibration,
    ClaimScore,
    ScoreAdjustment,
    Signal,
    combine,
    extract_signals,
    logit,
    normalise,
    page_signal_names,
)

log = logging.getLogger("workbench.nlp")

SPANS_KEY = "claims"
"""The ``doc.spans`` key the detector writes."""

ProbabilityModel = Callable[[Sequence[str]], Sequence[float]]
"""A trained check-worthiness model: sentences in, probabilities in [0, 1] out."""

CACHE_SIZE = 20_000
"""Sentences whose model probability the detector remembers (a few MB at most)."""

SETTLING_SIGNALS = frozenset({"chrome", "caption", "short"})
"""Rule signals that settle a unit without the model: page chrome (bylines, credits,
share buttons), photo captions ending in a credit, and fragments too short to be a claim.

Headings (no final punctuation) and questions are not here: debate transcripts have
check-worthy sentences of both kinds that the model rightly flags (CT24 dev and
dev_test), as do some Wikinews lines (match results, cited headlines).
"""

PIPE_BATCH_SIZE = 32
"""Docs scored together by :meth:`ClaimDetector.pipe` (one model call for all of them)."""

_EXTENSIONS = ("claim_score", "claim_reasons")


def register_extensions() -> None:
    """Register ``Span._.claim_score`` and ``Span._.claim_reasons`` once per process."""
    for name in _EXTENSIONS:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)


def _trimmed(sentence: Span) -> Span | None:
    """``sentence`` without leading or trailing whitespace tokens; None if nothing is left."""
    start, end = sentence.start, sentence.end
    doc = sentence.doc
    while start < end and doc[start].is_space:
        start += 1
    while end > start and doc[end - 1].is_space:
        end -= 1
    if start == end:
        return None
    span = doc[start:end]
    if not any(char.isalnum() for char in span.text):
        return None
    return span


class ProbabilityCache:
    """A bounded least-recently-used map from normalised sentence to model probability.

    Safe to share between threads. Only values computed by one model belong in one
    cache: :class:`ClaimDetector` clears its own when its model changes.
    """

    def __init__(self, maxsize: int = CACHE_SIZE) -> None:
        if maxsize < 0:
            raise ValueError("maxsize must be at least 0")
        self.maxsize = maxsize
        self._items: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> float | None:
        """The probability stored for ``key`` (now the most recently used), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is None:
                return None
            self._items.move_to_end(key)
            return value

    def put(self, key: str, value: float) -> None:
        """Store ``value`` for ``key``, forgetting the least recently used beyond ``maxsize``."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget every probability."""
        with self._lock:
            self._items.clear()


class ClaimDetector:
    """Scores the sentences of a ``Doc`` and writes the check-worthy ones to ``doc.spans``."""

    def __init__(
        self,
        nlp: Language,
        name: str = "claim_detector",
        *,
        threshold: float = CLAIM_THRESHOLD,
        bias: float = DEFAULT_BIAS,
        weights: Mapping[str, float] | None = None,
        spans_key: str = SPANS_KEY,
        model_bias: float = DEFAULT_MODEL_BIAS,
        calibration: Sequence[float] = RULES_CALIBRATION,
        model_calibration: Sequence[float] = MODEL_CALIBRATION,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        register_extensions()
        self.name = name
        self.threshold = threshold
        """Sentences scoring at least this are flagged (a probability: see ``signals``)."""
        self.bias = bias
        self.model_bias = model_bias
        """Added to ``bias`` when :attr:`probability_model` is set (see ``signals``)."""
        self.calibration = Calibration(*calibration)
        """Turns the rules' raw log-odds into the score, when there is no model."""
        self.model_calibration = Calibration(*model_calibration)
        """Turns the raw log-odds of rules and model together into the score."""
        self.weights: dict[str, float] = dict(DEFAULT_WEIGHTS if weights is None else weights)
        self.spans_key = spans_key
        self.cache = ProbabilityCache(cache_size)
        """The model's probabilities by normalised sentence; emptied when the model changes."""
        self._probability_model: ProbabilityModel | None = None
        self.model_problem: str | None = None
        """Why the trained model was wanted but is not in use (the rules score alone)."""

    @property
    def probability_model(self) -> ProbabilityModel | None:
        """Optional trained model; its probability becomes the ``model`` signal."""
        return self._probability_model

    @probability_model.setter
    def probability_model(self, model: ProbabilityModel | None) -> None:
        self._probability_model = model
        self.cache.clear()

    def __call__(self, doc: Doc, adjust: ScoreAdjustment | None = None) -> Doc:
        """Score ``doc``'s sentences and annotate the claims.

        ``adjust`` (passed as ``nlp(text, component_cfg={"claim_detector": {"adjust":
        ...}})``) sees every sentence and its score, flagged or not, and the threshold,
        and returns the scores to use, as the user's corrections do
        (:class:`workbench.nlp.feedback.FeedbackAdjuster`).
        """
        scored = self.match(doc)
        if adjust is not None:
            spans = [span for span, _ in scored]
            scores = adjust([span.text for span in spans], [s for _, s in scored], self.threshold)
            scored = list(zip(spans, scores, strict=True))
        self.set_annotations(doc, scored)
        return doc

    def pipe(self, stream: Iterable[Doc], *, batch_size: int = PIPE_BATCH_SIZE) -> Iterator[Doc]:
        """Annotate ``stream`` as ``__call__`` does, ``batch_size`` docs to one model call."""
        docs_in = iter(stream)
        while docs := list(itertools.islice(docs_in, max(batch_size, 1))):
            for doc, scored in zip(docs, self.match_many(docs), strict=True):
                self.set_annotations(doc, scored)
                yield doc

    def settles(self, signals: Sequence[Signal]) -> ClaimScore | None:
        """The rules' own score of a unit they settle alone, or None if the model is needed.

        The rules settle a unit when one of :data:`SETTLING_SIGNALS` fired and they
        score it below the threshold by themselves: it is not a claim, and the model
        is not run for it.
        """
        if not any(s.name in SETTLING_SIGNALS for s in signals):
            return None
        score = self._combine(signals)
        return score if score.score < self.threshold else None

    def _combine(self, signals: Sequence[Signal], *, with_model: bool = False) -> ClaimScore:
        if with_model:
            bias, calibration = self.bias + self.model_bias, self.model_calibration
        else:
            bias, calibration = self.bias, self.calibration
        return combine(
            signals, self.weights, bias, calibration=calibration, threshold=self.threshold
        )

    def probabilities(self, texts: Sequence[str]) -> list[float]:
        """The model's probability for each text, from the cache or else from one model call.

        Texts are normalised (:func:`normalise`) and each distinct one runs once.

        Raises:
            ValueError: the detector has no :attr:`probability_model`.
        """
        model = self.probability_model
        if model is None:
            raise ValueError("the detector has no probability model")
        keys = [normalise(text) for text in texts]
        known: dict[str, float] = {}
        missing: list[str] = []
        for key in dict.fromkeys(keys):
            value = self.cache.get(key)
            if value is None:
                missing.append(key)
            else:
                known[key] = value
        if missing:
            computed = [float(p) for p in model(missing)]
            if len(computed) != len(missing):
                raise ValueError(f"the model gave {len(computed)} scores for {len(missing)} texts")
            for key, value in zip(missing, computed, strict=True):
                self.cache.put(key, value)
                known[key] = value
        return [known[key] for key in keys]

    def score_texts(
        self,
        texts: Sequence[str],
        entities: Sequence[Sequence[tuple[str, str]]] | None = None,
    ) -> list[ClaimScore]:
        """Score sentences given as strings (pure but for the cache: nothing is written).

        With a model, every sentence the rules do not settle (:meth:`settles`) is
        weighed with its probability; the rest keep the rules' own score.
        """

        def signals_of_all() -> list[list[Signal]]:
            return [
                extract_signals(text, entities=entities[index] if entities else ())
                for index, text in enumerate(texts)
            ]

        if self.probability_model is None:
            return [self._combine(signals) for signals in signals_of_all()]
        # Units with no settling signal surely go to the model: it starts on them in the
        # background while the rules read every unit (the model releases the GIL).
        surely = [i for i, text in enumerate(texts) if not page_signal_names(text)]
        with ThreadPoolExecutor(1, thread_name_prefix="workbench-detector") as pool:
            early = pool.submit(self.probabilities, [texts[i] for i in surely])
            found = signals_of_all()
            probabilities = dict(zip(surely, early.result(), strict=True))
        scores: list[ClaimScore | None] = [
            None if index in probabilities else self.settles(signals)
            for index, signals in enumerate(found)
        ]
        late = [i for i, score in enumerate(scores) if score is None and i not in probabilities]
        if late:
            asked = self.probabilities([texts[i] for i in late])
            probabilities.update(zip(late, asked, strict=True))
        for index, p in probabilities.items():
            signals = [*found[index], Signal("model", logit(p), f"model: {p:.2f}")]
            scores[index] = self._combine(signals, with_model=True)
        return cast(list[ClaimScore], scores)  # every None was filled in above

    def match(self, doc: Doc) -> list[tuple[Span, ClaimScore]]:
        """Every sentence of ``doc`` with its score, in reading order."""
        return self.match_many([doc])[0]

    def match_many(self, docs: Sequence[Doc]) -> list[list[tuple[Span, ClaimScore]]]:
        """:meth:`match` for each of ``docs``, with one model call for all their sentences."""
        per_doc = [
            [s for s in (_trimmed(sent) for sent in doc.sents) if s is not None] for doc in docs
        ]
        texts: list[str] = []
        entities: list[list[tuple[str, str]]] = []
        for doc, sentences in zip(docs, per_doc, strict=True):
            texts.extend(sentence.text for sentence in sentences)
            has_entities = doc.has_annotation("ENT_IOB")
            entities.extend(
                [(ent.label_, ent.text) for ent in sentence.ents if ent.label_ in ENTITY_LABELS]
                if has_entities
                else []
                for sentence in sentences
            )
        scores = iter(self.score_texts(texts, entities))
        return [[(sentence, next(scores)) for sentence in sentences] for sentences in per_doc]

    def set_annotations(self, doc: Doc, scored: Iterable[tuple[Span, ClaimScore]]) -> None:
        """Write the sentences at or above the threshold to ``doc.spans[self.spans_key]``."""
        scored = list(scored)
        kept = [(span, score) for span, score in scored if score.score >= self.threshold]
        log.debug("flagged %d of %d sentences", len(kept), len(scored))
        group = SpanGroup(doc, name=self.spans_key, spans=[span for span, _ in kept])
        group.attrs["scores"] = [score.score for _, score in kept]
        for span, score in zip(group, (score for _, score in kept), strict=True):
            span._.claim_score = score.score
            span._.claim_reasons = score.reasons
        doc.spans[self.spans_key] = group

    def _config(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "bias": self.bias,
            "model_bias": self.model_bias,
            "calibration": list(self.calibration),
            "model_calibration": list(self.model_calibration),
            "weights": self.weights,
            "spans_key": self.spans_key,
        }

    def _load_config(self, config: Mapping[str, Any]) -> None:
        self.threshold = float(config.get("threshold", self.threshold))
        self.bias = float(config.get("bias", self.bias))
        self.model_bias = float(config.get("model_bias", self.model_bias))
        # A detector saved before scores were calibrated keeps scoring as it did: its
        # threshold was set for the raw logistic.
        default = self.calibration if "threshold" not in config else Calibration()
        self.calibration = Calibration(*map(float, config.get("calibration", default)))
        default = self.model_calibration if "threshold" not in config else Calibration()
        self.model_calibration = Calibration(*map(float, config.get("model_calibration", default)))
        self.weights = {str(k): float(v) for k, v in config.get("weights", self.weights).items()}
        self.spans_key = str(config.get("spans_key", self.spans_key))

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        """The detector's threshold and weights as JSON bytes."""
        return json.dumps(self._config(), sort_keys=True).encode("utf-8")

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> ClaimDetector:
        """Restore what :meth:`to_bytes` wrote."""
        self._load_config(json.loads(data.decode("utf-8")))
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Save threshold and weights to ``path/cfg.json``; ``nlp.to_disk`` calls this."""
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "cfg.json").write_bytes(self.to_bytes())

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> ClaimDetector:
        """Load what :meth:`to_disk` saved; a missing file keeps the factory settings."""
        config_file = Path(path) / "cfg.json"
        if config_file.exists():
            self.from_bytes(config_file.read_bytes())
        return self


@Language.factory(
    "claim_detector",
    default_config={
        "threshold": CLAIM_THRESHOLD,
        "bias": DEFAULT_BIAS,
        "weights": DEFAULT_WEIGHTS,
        "spans_key": SPANS_KEY,
        "model_bias": DEFAULT_MODEL_BIAS,
        "calibration": list(RULES_CALIBRATION),
        "model_calibration": list(MODEL_CALIBRATION),
    },
    requires=["doc.sents"],
    assigns=["doc.spans"],
)
def make_claim_detector(
    nlp: Language,
    name: str,
    threshold: float,
    bias: float,
    weights: dict[str, float],
    spans_key: str,
    model_bias: float,
    calibration: list[float],
    model_calibration: list[float],
) -> ClaimDetector:
    """The spaCy factory for :class:`ClaimDetector`."""
    return ClaimDetector(
        nlp,
        name,
        threshold=threshold,
        bias=bias,
        weights=weights,
        spans_key=spans_key,
        model_bias=model_bias,
        calibration=calibration,
        model_calibration=model_calibration,
    )
