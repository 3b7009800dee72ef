"""What a past check is, whatever file it came from: its identity and its verdict.

Shared by the archive reader (:mod:`workbench.archive`) and the store, which needs
both when it stores records and applies a past verdict, so neither imports the other.
"""

from __future__ import annotations

import hashlib
import re

from workbench.models import Status


def record_key(text: str, title: str = "") -> str:
    """The external id of a past check that has none: a hash of its text and title.

    Stable across imports, so re-importing a file without ids adds nothing twice.
    """
    digest = hashlib.sha1(f"{text}\x1f{title}".encode(), usedforsecurity=False)
    return f"sha1:{digest.hexdigest()[:20]}"


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
