"""What kind of claim a sentence makes: one primary type, which says how to check it.

A quantity is checked against the statistics, a cause against evidence that it is one,
a law against its text, an event against the record, a quote against the speaker's own
words, and a prediction or an opinion mostly cannot be checked yet or at all. The type
is decided from the sentence and the detector's own signals
(:func:`workbench.nlp.signals.extract_signals`), without the attribution ("Kim said"),
whose verb would make every reported statement look like a past event.

One type per claim, the first that applies in this order:

1. opinion: evaluative or hedged language ("I think", "unacceptable", "should"), unless
   it carries a number, which can be checked whatever the tone;
2. prediction: future, reported future or possibility ("will", "expected to", "would",
   "could");
3. quantity or statistic: an amount, a percentage, a sum of money, a count;
4. cause and effect: "because", "due to", "led to", "caused";
5. comparison: comparatives and superlatives ("more than", "the largest", "record");
6. law or rule: laws, bills, courts, bans, what is legal or not;
7. quote of a checkable fact: the unit is a quotation (of a statement none of the above);
8. event: a past action with a date, a time or a named place or party;
9. otherwise, another statement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from workbench.models import ClaimType
from workbench.nlp.signals import Signal, extract_signals

_QUANTITY_SIGNALS = ("money", "percentage", "number")

_MAGNITUDE = re.compile(
    r"\b(?:hundreds|thousands|millions|billions|trillions|dozens|hundred|thousand|million|"
    r"billion|trillion|dozen|doubled|tripled|halved"
    r"|(?:twice|thrice)\s+(?:as|the|that|what)|half\s+(?:of|the|as)|quarters?\s+of)\b",
    re.IGNORECASE,
)
"""Amounts written in words: "thousands of", "doubled", "twice as many", "half of". Small
number words ("two countries") are left to the other types: they rarely are what a claim
is about; nor is "twice" alone ("the boat was turned around twice")."""

_LAW = re.compile(
    r"\b(?:(?i:laws?|lawful|unlawful(?:ly)?|legislation|legislative|legal(?:ly)?|"
    r"illegal(?:ly)?|unconstitutional|constitution(?:al)?|statutes?|regulations?|"
    r"rul(?:e|es|ed)(?!\s+out)|"
    r"ruling(?!\s+(?:(?-i:[A-Z])[\w'-]*\s+){0,3}(?:party|coalition|camp|bloc|class|family|"
    r"elite|junta|government|regime)\b)|"
    r"treat(?:y|ies)|amendments?|decrees?|ordinances?|courts?|judges?|verdicts?|sanctions?|"
    r"bans?|banned|prohibit(?:s|ed|ion)?|legali[sz]ed|criminali[sz]ed|resolutions?|"
    r"mandatory|licen[cs]es?)"
    r"|bills?|Act)\b"
)
"""Law or rule vocabulary. "bill" only in lower case ("Bill Clinton" is no bill), "Act"
only in capitals ("the Clean Air Act", not "an act of war"); "rule out" is no rule and
"the ruling party" (or "the ruling People Power Party") no ruling. Lawmakers and
parliaments are who makes law, not law."""

_WOULD = re.compile(r"\b(?:would|could|might)\b(?!\s+(?:not\s+)?have\b)", re.IGNORECASE)
"""The future of reported speech and what may come ("said ties would suffer", "could turn
into a proxy war"); "would have been" is a past that did not happen."""

_EVALUATIVE = re.compile(
    r"\b(?:should|ought\s+to|unfair|unjust|outrageous|disgraceful|shameful|ridiculous|"
    r"absurd|appalling|unacceptable|irresponsible|reckless|regrettable|deplorable|"
    r"wonderful|excellent|fantastic|amazing|brilliant|terrible|awful|horrible|"
    r"disastrous|scandalous|praiseworthy|admirable|inspiring|disappointing|"
    r"(?:is|are|was|were)\s+(?:a\s+)?(?:good|bad|great|wrong|right)\b)\b",
    re.IGNORECASE,
)
"""Evaluative words beyond the detector's own opinion signal."""

_PREDICTION_SIGNALS = ("prediction",)
_EVENT_SIGNALS = ("event", "past_tense")
_SETTING_SIGNALS = ("date", "relative_time", "named_entity")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class ClaimTyping:
    """A claim's primary type and the words in it that decided it."""

    type: ClaimType
    cue: str = ""

    @property
    def reason(self) -> str:
        """The type as the first of a claim's reasons: ``type: quantity or statistic (5%)``."""
        cue = f" ({self.cue})" if self.cue else ""
        return f"type: {self.type.label}{cue}"


def _detail(signals: Sequence[Signal], name: str) -> str:
    """What a signal matched, from its reason ("number: 12,000, 240 mm" -> "12,000")."""
    for signal in signals:
        if signal.name == name and ": " in signal.reason:
            return signal.reason.split(": ", 1)[1].split(", ")[0]
    return ""


def without_phrase(text: str, phrase: tuple[int, int] | None) -> str:
    """``text`` without its attribution (offsets in ``text``): what the claim itself says."""
    if phrase is None:
        return text
    start, end = phrase
    return _WHITESPACE.sub(" ", f"{text[:start]} {text[end:]}").strip()


def classify(text: str, *, quoted: bool = False) -> ClaimTyping:
    """The primary type of the claim ``text`` makes (see the module's order).

    Args:
        text: The sentence, best without its attribution (:func:`without_phrase`).
        quoted: The sentence is a quotation (``Attribution.quoted``): a statement with no
            more specific type is then a quote of a checkable fact.
    """
    # Extracted again, not taken from the detector: ``text`` has lost its attribution,
    # so "said on Monday" does not make a statement an event.
    found = extract_signals(text)
    names = {signal.name for signal in found}
    quantity = next((name for name in _QUANTITY_SIGNALS if name in names), None)
    magnitude = _MAGNITUDE.search(text)

    evaluative = _EVALUATIVE.search(text)
    if ("opinion" in names or evaluative) and quantity is None and magnitude is None:
        cue = _detail(found, "opinion") or (evaluative[0] if evaluative else "")
        return ClaimTyping(ClaimType.OPINION, cue)
    would = _WOULD.search(text)
    if "prediction" in names or would:
        return ClaimTyping(ClaimType.PREDICTION, _detail(found, "prediction") or _cue(would))
    if quantity is not None:
        return ClaimTyping(ClaimType.QUANTITY, _detail(found, quantity))
    if magnitude is not None:
        return ClaimTyping(ClaimType.QUANTITY, magnitude[0])
    if "causal" in names:
        return ClaimTyping(ClaimType.CAUSE, _detail(found, "causal"))
    if "comparison" in names:
        return ClaimTyping(ClaimType.COMPARISON, _detail(found, "comparison"))
    law = _LAW.search(text)
    if law is not None:
        return ClaimTyping(ClaimType.LAW, law[0])
    if quoted or "quotation" in names:
        return ClaimTyping(ClaimType.QUOTE)
    if names.intersection(_EVENT_SIGNALS) and names.intersection(_SETTING_SIGNALS):
        action = _detail(found, "event")
        # A name is a cue only beside an action: "event (Cheongung)" would read as if the
        # name were the event.
        setting = next(
            (
                _detail(found, name)
                for name in _SETTING_SIGNALS
                if name in names and (action or name != "named_entity")
            ),
            "",
        )
        return ClaimTyping(ClaimType.EVENT, ", ".join(cue for cue in (action, setting) if cue))
    return ClaimTyping(ClaimType.OTHER)


def _cue(match: re.Match[str] | None) -> str:
    return match[0] if match is not None else ""


def describe(text: str, start: int, end: int) -> tuple[str, ClaimType]:
    """The claimant and type of a claim the fact-checker marked at ``start:end`` of ``text``.

    The selection is read alone, as its own unit: a claimant written in it ("Kim said",
    "according to the ministry") is found, a pronoun with its antecedent in an earlier
    sentence is not (it stays empty for the fact-checker to fill in).
    """
    from workbench.nlp.attribution import attribute

    (attribution,) = attribute(text, [(start, end)])
    phrase = attribution.phrase
    local = None if phrase is None else (phrase[0] - start, phrase[1] - start)
    typing = classify(without_phrase(text[start:end], local), quoted=attribution.quoted)
    return attribution.claimant, typing.type
