"""The claim detector: a spaCy component that scores each sentence and keeps the check-worthy ones.

It writes ``doc.spans["claims"]``: one span per sentence whose score reaches the
threshold, with ``span._.claim_score`` (a float in [0, 1]) and ``span._.claim_reasons``
(human-readable strings). Scoring (:meth:`ClaimDetector.match`) is separate from writing
the results (:meth:`ClaimDetector.set_annotations`), as in spaCy's ``SpanRuler``.

The score is a logistic of weighted signals (:mod:`workbench.nlp.signals`). A trained
check-worthiness model plugs in as one more signal, ``model``: set
:attr:`ClaimDetector.probability_model` and its log-odds are weighed with the rest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from workbench.nlp.signals import (
    CLAIM_THRESHOLD,
    DEFAULT_BIAS,
    DEFAULT_MODEL_BIAS,
    DEFAULT_WEIGHTS,
    ENTITY_LABELS,
    ClaimScore,
    Signal,
    combine,
    extract_signals,
    logit,
)

log = logging.getLogger("workbench.nlp")

SPANS_KEY = "claims"
"""The ``doc.spans`` key the detector writes."""

ProbabilityModel = Callable[[Sequence[str]], Sequence[float]]
"""A trained check-worthiness model: sentences in, probabilities in [0, 1] out."""

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
    ) -> None:
        register_extensions()
        self.name = name
        self.threshold = threshold
        self.bias = bias
        self.model_bias = model_bias
        """Added to ``bias`` when :attr:`probability_model` is set (see ``signals``)."""
        self.weights: dict[str, float] = dict(DEFAULT_WEIGHTS if weights is None else weights)
        self.spans_key = spans_key
        self.probability_model: ProbabilityModel | None = None
        """Optional trained model; its probability becomes the ``model`` signal."""
        self.model_problem: str | None = None
        """Why the trained model was wanted but is not in use (the rules score alone)."""

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations(doc, self.match(doc))
        return doc

    def score_texts(
        self,
        texts: Sequence[str],
        entities: Sequence[Sequence[tuple[str, str]]] | None = None,
    ) -> list[ClaimScore]:
        """Score sentences given as strings (pure: nothing is written anywhere)."""
        probabilities: Sequence[float] | None = None
        bias = self.bias
        if self.probability_model is not None and texts:
            probabilities = self.probability_model(texts)
            bias += self.model_bias
        scores: list[ClaimScore] = []
        for index, text in enumerate(texts):
            found = extract_signals(text, entities=entities[index] if entities else ())
            if probabilities is not None:
                p = float(probabilities[index])
                found.append(Signal("model", logit(p), f"model: {p:.2f}"))
            scores.append(combine(found, self.weights, bias))
        return scores

    def match(self, doc: Doc) -> list[tuple[Span, ClaimScore]]:
        """Every sentence of ``doc`` with its score, in reading order."""
        sentences = [s for s in (_trimmed(sent) for sent in doc.sents) if s is not None]
        entities: list[list[tuple[str, str]]] | None = None
        if doc.has_annotation("ENT_IOB"):
            entities = [
                [(ent.label_, ent.text) for ent in sentence.ents if ent.label_ in ENTITY_LABELS]
                for sentence in sentences
            ]
        scores = self.score_texts([s.text for s in sentences], entities)
        return list(zip(sentences, scores, strict=True))

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
            "weights": self.weights,
            "spans_key": self.spans_key,
        }

    def _load_config(self, config: Mapping[str, Any]) -> None:
        self.threshold = float(config.get("threshold", self.threshold))
        self.bias = float(config.get("bias", self.bias))
        self.model_bias = float(config.get("model_bias", self.model_bias))
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
    )
