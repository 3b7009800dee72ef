"""What a past check is, whatever file it came from: its identity and its verdict.

Shared by the archive reader (:mod:`workbench.archive`) and the store, which needs
both when it stores records and applies a past verdict, so neither imports the other.
"""

from __future__ import annotations

import hashlib
import math
import re

from workbench.errors import ValidationError
from workbench.models import Status
from workbench.textsafety import has_lone_surrogate

OWN_SOURCE = "own"
"""The archive source of the fact-checker's own verdicts."""
TEAM_SOURCE = "team"
"""The archive source of the verdicts of the other members of a team (:mod:`workbench.team`)."""
MAX_SOURCE_CHARS = 100
"""The longest collection name (a file's stem, or ``--source``)."""


def record_key(text: str, title: str = "") -> str:
    """The external id of a past check that has none: a hash of its text and title.

    Stable across imports, so re-importing a file without ids adds nothing twice.
    """
    digest = hashlib.sha1(f"{text}\x1f{title}".encode(), usedforsecurity=False)
    return f"sha1:{digest.hexdigest()[:20]}"


def collection_name(source: str) -> str:
    """``source`` as a collection of past checks is named (on one line), checked.

    Raises:
        ValidationError: empty, too long, not valid Unicode, or one of the app's own
            (:data:`OWN_SOURCE`, :data:`TEAM_SOURCE`).
    """
    name = " ".join(source.split())  # a line break forged a line of `workbench archive`
    if not name:
        raise ValidationError("an archive collection needs a source name")
    if len(name) > MAX_SOURCE_CHARS:
        raise ValidationError(f"a source name is at most {MAX_SOURCE_CHARS} characters")
    if has_lone_surrogate(name):
        raise ValidationError("the source name is not valid Unicode")
    if name == OWN_SOURCE:
        raise ValidationError(f"the source name {OWN_SOURCE!r} is kept for your own verdicts")
    if name == TEAM_SOURCE:
        raise ValidationError(f"the source name {TEAM_SOURCE!r} is kept for team verdicts")
    return name


_DISPUTED = re.compile(
    r"\b(false|pants|fire|barely|mostly false|misleading|fake|incorrect|inaccurate|wrong|"
    r"scam|hoax|miscaptioned|misattributed|exaggerat\w*|distort\w*|fabricated|untrue|"
    r"not true|four pinocchios|three pinocchios|disputed)\b"
)
_VERIFIED = re.compile(r"\b(true|mostly true|correct|accurate|verified|legit|real)\b")
_UNVERIFIABLE = re.compile(
    r"\b(half|mixture|mixed|unproven|unverified|unverifiable|unsupported|outdated|"
    r"legend|research in progress|lacks context|missing context|no evidence)\b"
)


def verdict_to_status(verdict: str) -> Status | None:
    """The workbench status closest to a published verdict, or None if there is none.

    ``false``, ``pants-fire``, ``barely-true``, ``misleading`` and the like become
    DISPUTED; ``true``, ``mostly-true``, ``correct`` VERIFIED; ``half-true``,
    ``mixture``, ``unproven`` UNVERIFIABLE. A workbench status maps to itself. Ratings
    such as ``full-flop`` or ``Labeled Satire`` have no equivalent: None.
    """
    v = " ".join(verdict.lower().replace("-", " ").replace("_", " ").split())
    if not v:
        return None
    try:
        status = Status(v)
    except ValueError:
        pass
    else:
        return None if status is Status.UNCHECKED else status
    if _UNVERIFIABLE.search(v):
        return Status.UNVERIFIABLE
    if _DISPUTED.search(v):
        return Status.DISPUTED
    if _VERIFIED.search(v):
        return Status.VERIFIED
    return None


_SCALE_VERDICTS = (
    (0.1, "mixed"),
    (0.3, "mostly {side}"),
    (math.inf, "{side}"),
)


def scale_verdict(value: float, *, best: float, worst: float) -> str | None:
    """A verdict for a rating given only as a number on a scale, or None if it is off the scale.

    The value is placed on 0..1 (``worst`` is 0, ``best`` is 1) and read in five bands,
    the ones Google's ClaimReview guide gives for a 1-to-5 scale (1 false, 2 mostly
    false, 3 half true, 4 mostly true, 5 true): below 0.2 ``false``, from 0.2 to under
    0.4 ``mostly false`` (both DISPUTED), from 0.4 to 0.6 ``mixed`` (UNVERIFIABLE), over
    0.6 to 0.8 ``mostly true``, over 0.8 ``true`` (both VERIFIED, through
    :func:`verdict_to_status`). A value on a cut point goes to the band nearer the
    middle, so a scale and its mirror image read alike. The number follows in
    brackets, as published: ``mostly false (2 on a scale of 1 to 5)``.

    ``best`` may be below ``worst`` (a scale where less is truer); equal bounds, a value
    outside them or a number that is not finite (or a scale too wide to compute on) give
    None.
    """
    if not all(math.isfinite(x) for x in (value, best, worst)) or best == worst:
        return None
    if not min(best, worst) <= value <= max(best, worst):
        return None
    # How far from the middle, -0.5 (worst) to 0.5 (best); exactly antisymmetric.
    offset = ((value - worst) - (best - value)) / (2 * (best - worst))
    if math.isnan(offset):
        return None
    side = "true" if offset > 0 else "false"
    label = next(text for bound, text in _SCALE_VERDICTS if abs(offset) <= bound)
    return f"{label.format(side=side)} ({value:g} on a scale of {worst:g} to {best:g})"
