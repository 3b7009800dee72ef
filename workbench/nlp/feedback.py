"""Learning from the fact-checker's corrections without retraining.

Each correction in the store's ``claim_feedback`` table is a sentence and a direction:
``+1`` when the fact-checker added it as a claim the detector missed, ``-1`` when they
removed a claim the detector made (:meth:`workbench.store.Store.feedback`, labels 1 and
0). The same rows are what ``workbench train-checkworthiness --with-feedback`` trains
on: this module only reads them. A priority the fact-checker gave a detected claim
(:meth:`workbench.store.Store.chosen_priorities`) is a correction too, of another kind:
``+1`` raised above the one its score and rank give it, ``-1`` lowered below it (the
same one, confirmed, is none). It says nothing about whether a sentence is a claim, so it
moves only the scores of sentences the detector flags, and never below the threshold
(step 4).

The rule (:meth:`FeedbackAdjuster.adjust`), for each sentence of a new article:

1. Its similarity to every correction: the cosine of their sentence-encoder vectors
   (all-MiniLM-L6-v2), or, when the encoder cannot load, rapidfuzz's ``ratio`` / 100
   of their normalised texts (lower-cased, punctuation dropped). ``ratio`` keeps word
   order: ``token_set_ratio`` calls a short sentence identical to any longer one
   containing its words, and ``token_sort_ratio`` penalises one changed word by
   where it sorts ("city" -> "town" council: 0.94, against 0.96 with ``ratio``).
2. Corrections below :data:`MIN_SIMILARITY` are ignored. Each of the
   :data:`NEIGHBOURS` nearest others moves the score's log-odds by
   ``direction * MAX_SHIFT * (similarity - MIN_SIMILARITY) / (1 - MIN_SIMILARITY)``;
   the sum is capped at ``±MAX_SHIFT`` logits.
3. When the nearest correction is at least :data:`SAME_SENTENCE` similar, it is the
   fact-checker's verdict on (nearly) this very sentence, and the score is also put on
   its side of the threshold, :data:`MARGIN` logits from it: at most
   ``logit(threshold) - MARGIN`` for a removed one, at least ``logit(threshold) + MARGIN``
   for an added one. This is the only move larger than ``MAX_SHIFT``.

4. The priority corrections among the :data:`NEIGHBOURS` nearest move the score of a
   sentence at or above the threshold the same way, and keep it above the threshold:
   later articles rank such sentences higher or lower (:mod:`workbench.priority`).

A changed score carries a reason first among its reasons, such as
"you removed a similar claim (0.93)" or "you lowered the priority of a similar claim
(0.91)".

Each correction's vector is computed once, on its own (so it is the same whatever
corrections came with it), and kept on the adjuster while that correction is in use: a
new correction costs one sentence, not all of them again. The sentences of an article
are embedded in one batch. With no corrections nothing is computed and the encoder is
never loaded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from workbench.nlp.signals import CLAIM_THRESHOLD, ClaimScore, logit, normalise, sigmoid

if TYPE_CHECKING:
    from workbench.nlp.encoder import SentenceEncoder

__all__ = [
    "MARGIN",
    "MAX_SHIFT",
    "MAX_TEXT_CHARS",
    "MIN_SIMILARITY",
    "NEIGHBOURS",
    "SAME_SENTENCE",
    "Correction",
    "Embedder",
    "EncoderSource",
    "FeedbackAdjuster",
    "FloatMatrix",
    "corrections_from_feedback",
    "corrections_from_priorities",
]

log = logging.getLogger("workbench.nlp.feedback")

MIN_SIMILARITY = 0.8
"""Corrections less similar than this to a sentence do not move its score."""
SAME_SENTENCE = 0.95
"""From this similarity on, a correction is a verdict on the sentence itself (step 3)."""
MAX_SHIFT = 2.0
"""The most the similar corrections move a score, in log-odds (but see step 3)."""
MARGIN = 1.0
"""How far past the threshold, in log-odds, a near-exact repeat is put (step 3)."""
NEIGHBOURS = 5
"""At most this many of the nearest corrections count for one sentence."""
MAX_TEXT_CHARS = 20_000
"""Corrections and sentences are compared on their first this many characters (once
normalised). A claim added over a whole article (up to a million characters) was
tokenised in full before every analysis: 3 s more CPU and 170 MB more memory each
time, for an encoder that reads 128 word pieces: a word piece of normal text is a few
characters, so the cut changes what the encoder sees only for "words" of hundreds of
characters."""

FloatMatrix = npt.NDArray[np.float32]


class Embedder(Protocol):
    """What the adjuster needs of an encoder, such as :class:`SentenceEncoder`."""

    def embed(self, texts: Sequence[str], *, workers: int | None = None) -> FloatMatrix:
        """Unit vectors, one row per text: dot products are cosines; ``workers`` batches
        at once (None: the encoder's own number)."""
        ...


EncoderSource = Callable[[], Embedder | None]
"""Gives the encoder when first needed, or None when it cannot load."""


@dataclass(frozen=True, slots=True)
class Correction:
    """A sentence the fact-checker judged: ``direction`` +1 added as a claim, -1 removed;
    or, of ``kind`` "priority", +1 its priority raised, -1 lowered."""

    text: str
    direction: int
    kind: str = "claim"


PRIORITY_FLOOR = 0.01
"""How far above the threshold, in log-odds, a priority correction leaves a flagged
sentence it lowers: it stays a claim."""


def _key(text: str) -> str:
    """What a correction or a sentence is compared on: normalised, cut to size."""
    return normalise(text)[:MAX_TEXT_CHARS]


def corrections_from_priorities(chosen: Sequence[tuple[str, str, str]]) -> tuple[Correction, ...]:
    """The store's ``(sentence, priority given, priority shown)`` rows as corrections:
    raised when the one given is higher than the one its score and rank give it, lowered
    when lower; the same one (confirmed) teaches nothing.
    """
    from workbench.priority import Priority

    latest: dict[str, Correction] = {}
    for text, given, shown in chosen:
        key = _key(text)
        change = Priority(shown).rank - Priority(given).rank
        if key and change:
            latest.pop(key, None)
            latest[key] = Correction(key, 1 if change > 0 else -1, "priority")
    return tuple(latest.values())


def corrections_from_feedback(feedback: Sequence[tuple[str, int]]) -> tuple[Correction, ...]:
    """The store's ``(sentence, label)`` rows as corrections, one per distinct sentence.

    A sentence judged more than once keeps its latest verdict (rows come oldest first).
    """
    latest: dict[str, Correction] = {}
    for text, label in feedback:
        key = _key(text)
        if key:
            latest.pop(key, None)  # re-inserted so the order stays that of the verdicts
            latest[key] = Correction(key, 1 if label else -1)
    return tuple(latest.values())


def _each_alone(encoder: Embedder, texts: Sequence[str]) -> list[FloatMatrix]:
    """Each text's vector (one row), embedded on its own so that it is the same whatever
    is embedded with it: :meth:`SentenceEncoder.embed_each` on every core where the
    encoder has it, else one call per text."""
    each = getattr(encoder, "embed_each", None)
    if each is None or not texts:
        return [encoder.embed([text]) for text in texts]
    from workbench.nlp.encoder import default_workers

    return [row[None, :] for row in each(texts, workers=default_workers())]


def _default_encoder() -> SentenceEncoder | None:
    from workbench.nlp.encoder import ModelLoadError, SentenceEncoder

    try:
        return SentenceEncoder()
    except ModelLoadError as error:
        log.warning("the sentence encoder is unavailable (%s); corrections match by words", error)
        return None


class FeedbackAdjuster:
    """Moves the scores of sentences like the ones the fact-checker corrected.

    Build one per process and keep it: it holds the encoder (loaded on first need) and
    the corrections' vectors. Give it the current corrections with :meth:`update` before
    each article (cheap when they have not changed), then :meth:`adjust` the scores.

    Args:
        encoder: Gives the sentence encoder when first needed, or None to match by
            words; by default the bundled encoder, loaded by the adjuster itself.
    """

    def __init__(self, *, encoder: EncoderSource | None = None) -> None:
        self._encoder_source = encoder or _default_encoder
        self._encoder: Embedder | None = None
        self._encoder_tried = False
        self._corrections: tuple[Correction, ...] = ()
        self._vectors: FloatMatrix | None = None
        self._known: dict[str, FloatMatrix] = {}
        """Each correction's text and its vector (one row), for the corrections in use."""
        self._lock = threading.Lock()

    @property
    def corrections(self) -> tuple[Correction, ...]:
        """The corrections in use, oldest first."""
        return self._corrections

    def update(
        self,
        feedback: Sequence[tuple[str, int]],
        priorities: Sequence[tuple[str, str, str]] = (),
    ) -> bool:
        """Use the store's corrections from now on (``feedback``, and ``priorities`` the
        fact-checker gave: see the module's rule); return whether there are any.

        Only the vectors of corrections not seen before are computed (lazily, or by
        :meth:`prepare`).
        """
        corrections = corrections_from_feedback(feedback) + corrections_from_priorities(priorities)
        with self._lock:
            if corrections != self._corrections:
                self._corrections = corrections
                self._vectors = None
        return bool(corrections)

    def similarities(self, texts: Sequence[str]) -> FloatMatrix:
        """A (len(texts), len(corrections)) matrix of similarities in [0, 1]."""
        return self._compare(texts)[1]

    def _compare(self, texts: Sequence[str]) -> tuple[tuple[Correction, ...], FloatMatrix]:
        """The corrections in use and :meth:`similarities` to them, taken together."""
        with self._lock:
            corrections = self._corrections
            if not texts or not corrections:
                return corrections, np.zeros((len(texts), len(corrections)), dtype=np.float32)
            encoder = self._get_encoder()
            if encoder is None:
                return corrections, self._lexical(texts, corrections)
            vectors = self._correction_vectors(encoder)
        from workbench.nlp.encoder import default_workers

        # The article is being analysed: its sentences get every core, as the
        # check-worthiness model's do (the encoder alone keeps one for the UI).
        sentences = encoder.embed([_key(text) for text in texts], workers=default_workers())
        result: FloatMatrix = np.clip(sentences @ vectors.T, 0.0, 1.0).astype(np.float32)
        return corrections, result

    def prepare(self) -> None:
        """Compute the vectors of the corrections in use now (loading the encoder), so
        that the next :meth:`adjust` only embeds its article: the app does it in the
        background when it starts."""
        with self._lock:
            if not self._corrections:
                return
            encoder = self._get_encoder()
            if encoder is not None:
                self._correction_vectors(encoder)

    def _correction_vectors(self, encoder: Embedder) -> FloatMatrix:
        """The vectors of the corrections in use, one row each (the lock held)."""
        if self._vectors is None:
            texts = [c.text for c in self._corrections]
            known = {text: self._known[text] for text in texts if text in self._known}
            missing = list(dict.fromkeys(t for t in texts if t not in known))
            known.update(zip(missing, _each_alone(encoder, missing), strict=True))
            self._known = known  # corrections no longer in use are forgotten
            self._vectors = np.vstack([known[text] for text in texts])
        return self._vectors

    def adjust(
        self,
        texts: Sequence[str],
        scores: Sequence[ClaimScore],
        threshold: float = CLAIM_THRESHOLD,
    ) -> list[ClaimScore]:
        """``scores`` of the sentences ``texts`` moved by the similar corrections.

        ``threshold`` is the detector's (the detector passes its own, step 3 of the rule).

        A sentence with no correction at :data:`MIN_SIMILARITY` or more keeps its
        score object as is.
        """
        if len(texts) != len(scores):
            raise ValueError(f"{len(texts)} sentences but {len(scores)} scores")
        if not self._corrections or not texts:
            return list(scores)
        corrections, similar = self._compare(texts)
        directions = np.array([c.direction for c in corrections], dtype=np.float32)
        of_claims = np.array([c.kind == "claim" for c in corrections], dtype=bool)
        line = logit(threshold)
        adjusted: list[ClaimScore] = []
        for row, score in zip(similar, scores, strict=True):
            value, reasons = logit(score.score), list[str]()
            for claims in (True, False):  # step 2 and 3, then step 4
                near = np.flatnonzero((row >= MIN_SIMILARITY) & (of_claims == claims))
                if near.size == 0 or (not claims and value < line):
                    continue
                # Nearest first; among equals the latest correction first.
                near = near[np.lexsort((-near, -row[near]))][:NEIGHBOURS]
                strength = (row[near] - MIN_SIMILARITY) / (1.0 - MIN_SIMILARITY)
                pull = float(np.sum(directions[near] * strength)) * MAX_SHIFT
                value += min(max(pull, -MAX_SHIFT), MAX_SHIFT)
                nearest = int(near[0])
                if not claims:
                    value = max(value, line + PRIORITY_FLOOR)
                elif row[nearest] >= SAME_SENTENCE:
                    if directions[nearest] < 0:
                        value = min(value, line - MARGIN)
                    else:
                        value = max(value, line + MARGIN)
                reasons.append(self._reason(corrections, near, row))
            if not reasons:
                adjusted.append(score)
                continue
            adjusted.append(ClaimScore(sigmoid(value), (*reasons, *score.reasons)))
        return adjusted

    @staticmethod
    def _reason(
        corrections: Sequence[Correction], near: npt.NDArray[np.intp], row: FloatMatrix
    ) -> str:
        nearest = corrections[int(near[0])]
        same = sum(1 for i in near if corrections[int(i)].direction == nearest.direction)
        what = "a similar claim" if same == 1 else f"{same} similar claims"
        similarity = float(row[near[0]])
        if nearest.kind == "priority":
            verb = "raised" if nearest.direction > 0 else "lowered"
            return f"you {verb} the priority of {what} ({similarity:.2f})"
        verb = "added" if nearest.direction > 0 else "removed"
        return f"you {verb} {what} ({similarity:.2f})"

    def _get_encoder(self) -> Embedder | None:
        if not self._encoder_tried:
            self._encoder_tried = True
            self._encoder = self._encoder_source()
        return self._encoder

    @staticmethod
    def _lexical(texts: Sequence[str], corrections: Sequence[Correction]) -> FloatMatrix:
        from rapidfuzz import fuzz, process, utils

        scores = process.cdist(
            [_key(text) for text in texts],
            [c.text for c in corrections],
            scorer=fuzz.ratio,
            processor=utils.default_process,
            dtype=np.float32,
        )
        result: FloatMatrix = (np.asarray(scores, dtype=np.float32) / 100.0).astype(np.float32)
        return result
