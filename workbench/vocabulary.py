"""The app's vocabulary: verdicts, claim origins and types, match strengths, the
library's filters and the priority settings, each with the words a person reads.

Enums and names only, with no dependencies, so that the command line's parser (which
lists them in ``--help``) loads them without the data classes of
:mod:`workbench.models`, which re-exports them.
"""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    """A fact-checker's verdict on a claim. Every claim starts ``UNCHECKED``."""

    UNCHECKED = "unchecked"
    VERIFIED = "verified"
    DISPUTED = "disputed"
    UNVERIFIABLE = "unverifiable"

    @property
    def label(self) -> str:
        """What a person reads: "Verified". The app and every report use it."""
        return self.value.capitalize()

    @property
    def glyph(self) -> str:
        """A non-colour cue, shown beside the status in the app's lists and in reports."""
        return _STATUS_GLYPHS[self]


_STATUS_GLYPHS = {
    Status.UNCHECKED: "•",
    Status.VERIFIED: "✓",
    Status.DISPUTED: "✗",
    Status.UNVERIFIABLE: "?",
}


class ClaimOrigin(enum.StrEnum):
    """Who put a claim there: the detector, or the fact-checker correcting it."""

    DETECTOR = "detector"
    USER = "user"


class ClaimType(enum.StrEnum):
    """What kind of statement a claim is, which says how to check it.

    One primary type per claim (``workbench.nlp.claim_types`` decides it from the
    sentence); the value is what the database and ``--json`` hold, :attr:`label` what a
    person reads.
    """

    QUANTITY = "quantity"
    CAUSE = "cause"
    COMPARISON = "comparison"
    LAW = "law"
    EVENT = "event"
    QUOTE = "quote"
    PREDICTION = "prediction"
    OPINION = "opinion"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The type in words: "quantity or statistic", "cause and effect" ..."""
        return _CLAIM_TYPE_LABELS[self]


_CLAIM_TYPE_LABELS = {
    ClaimType.QUANTITY: "quantity or statistic",
    ClaimType.CAUSE: "cause and effect",
    ClaimType.COMPARISON: "comparison",
    ClaimType.LAW: "law or rule",
    ClaimType.EVENT: "event",
    ClaimType.QUOTE: "quote of a checkable fact",
    ClaimType.PREDICTION: "prediction",
    ClaimType.OPINION: "opinion",
    ClaimType.OTHER: "other statement",
}


class MatchStrength(enum.StrEnum):
    """How sure a match is: ``STRONG`` earns a badge, ``POSSIBLE`` is listed, ``WEAK`` is noise."""

    STRONG = "strong"
    POSSIBLE = "possible"
    WEAK = "weak"


LIBRARY_STATES = {
    "unchecked": "With unchecked claims",
    "urgent": "With unchecked high-priority claims",
    "checked": "Fully checked",
}
"""The library's filters by progress (``Store.articles(state=...)``)."""

CHOSEN_PRIORITIES = ("", "high", "medium", "low")
"""What :attr:`Claim.chosen_priority` may hold ("": the detector's)."""


SETTING_HIGH = "priority.high"
SETTING_MEDIUM = "priority.medium"
SETTING_HIGH_SHARE = "priority.high_share"
PRIORITY_SETTINGS: dict[str, str] = {
    SETTING_HIGH: "score from which a claim is high priority (0 to 1, default 0.9)",
    SETTING_MEDIUM: "score from which a claim is medium priority (0 to 1, default 0.6)",
    SETTING_HIGH_SHARE: (
        "largest share of an article's detected claims that are high priority, the best"
        " scored (0 to 1, default 0.25; at least 3 claims; 1 for no limit)"
    ),
}
