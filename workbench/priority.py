"""Priorities: which claims a fact-checker should look at first.

A claim's detector score is the probability that a fact-checker would check it. The
app does not show that number first: it shows a priority, high, medium or low, with
the two boundaries in the settings (``priority.high``, ``priority.medium``), so a desk
can make "high" rarer or commoner. A claim the fact-checker added by hand has no
detector score worth showing: its priority is :attr:`Priority.MANUAL`, "added by you".
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.errors import ValidationError
from workbench.models import Claim, ClaimOrigin, Status

if TYPE_CHECKING:
    from workbench.store import Store

SETTING_HIGH = "priority.high"
SETTING_MEDIUM = "priority.medium"
PRIORITY_SETTINGS: dict[str, str] = {
    SETTING_HIGH: "score from which a claim is high priority (0 to 1, default 0.9)",
    SETTING_MEDIUM: "score from which a claim is medium priority (0 to 1, default 0.6)",
}


class Priority(enum.StrEnum):
    """How soon a claim deserves a look, most urgent first."""

    HIGH = "high"
    MANUAL = "added by you"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for the most urgent; claims added by hand come right after high ones."""
        return list(Priority).index(self)

    @property
    def label(self) -> str:
        """How the app names it: "High priority", "Added by you"."""
        return "Added by you" if self is Priority.MANUAL else f"{self.value.capitalize()} priority"


@dataclass(frozen=True, slots=True)
class PriorityThresholds:
    """Scores from which a detected claim is high, and medium, priority.

    The defaults, on the 43 labelled Wikinews articles (``benchmarks/news_units.py``):
    high holds 217 of the 740 flagged units (82% check-worthy, 3% not claims, about five
    an article), low holds most of the flagged non-claims (39 of 53).
    """

    high: float = 0.9
    medium: float = 0.6

    def __post_init__(self) -> None:
        if not 0.0 <= self.medium <= self.high <= 1.0:
            raise ValidationError(
                f"priority thresholds must satisfy 0 <= medium <= high <= 1"
                f" (medium {self.medium}, high {self.high})"
            )

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> PriorityThresholds:
        """The thresholds the settings hold; a missing or unusable value keeps its default."""
        default = cls()
        high, medium = _number(settings.get(SETTING_HIGH)), _number(settings.get(SETTING_MEDIUM))
        high = default.high if high is None else high
        medium = default.medium if medium is None else medium
        try:
            return cls(high=high, medium=medium)
        except ValidationError:
            return default

    @classmethod
    def load(cls, store: Store) -> PriorityThresholds:
        """The thresholds set in ``store``'s settings (defaults where none is set)."""
        return cls.from_settings(store.settings(prefix="priority."))

    def of(self, claim: Claim) -> Priority:
        """The priority of ``claim``."""
        if claim.origin is ClaimOrigin.USER:
            return Priority.MANUAL
        if claim.score >= self.high:
            return Priority.HIGH
        if claim.score >= self.medium:
            return Priority.MEDIUM
        return Priority.LOW


def check_priority_setting(key: str, value: str, settings: Mapping[str, str]) -> str:
    """Validate a ``priority.*`` setting before it is stored (other keys pass unchanged).

    Raises:
        ValidationError: an unknown ``priority.*`` key, a value that is not a number
            from 0 to 1, or one that would put medium above high.
    """
    if not key.startswith("priority."):
        return value
    if key not in PRIORITY_SETTINGS:
        raise ValidationError(
            f"unknown priority setting {key!r} (known: {', '.join(PRIORITY_SETTINGS)})"
        )
    value = value.strip()
    number = _number(value)
    if number is None or not 0.0 <= number <= 1.0:
        raise ValidationError(f"{key} must be a number from 0 to 1, not {value!r}")
    current = PriorityThresholds.from_settings(settings)
    if key == SETTING_HIGH:
        PriorityThresholds(high=number, medium=current.medium)
    else:
        PriorityThresholds(high=current.high, medium=number)
    return value


def next_unchecked(
    claims: list[Claim], thresholds: PriorityThresholds, after: int | None = None
) -> Claim | None:
    """The next unchecked claim of the highest priority left, in reading order after ``after``.

    Reading order wraps around, so repeated calls visit every unchecked claim of that
    priority before moving to the next priority.
    """
    unchecked = [c for c in claims if c.status is Status.UNCHECKED]
    if not unchecked:
        return None
    best = min(thresholds.of(c).rank for c in unchecked)
    order = {c.id: i for i, c in enumerate(claims)}
    candidates = [c for c in unchecked if thresholds.of(c).rank == best]
    position = order.get(after, -1) if after is not None else -1
    later = [c for c in candidates if order[c.id] > position]
    return (later or candidates)[0]


def _number(value: str | None) -> float | None:
    """A finite number, or None for a missing, empty or unreadable value."""
    try:
        number = float(value) if value is not None and value.strip() else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None
