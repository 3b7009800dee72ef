"""Remove web-page furniture ("Advertisement", "MOST POPULAR" lists ...) from pasted text.

Text copied from a browser drags along the page around the article. Only whole
paragraphs that *are* furniture are dropped: a sentence that merely contains "comments"
or "read more" is article text and stays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from workbench.ingest.normalize import ends_sentence

_MAX_TAIL_ITEM = 160
"""Longest paragraph still taken for a headline in a trailing "most popular" list."""
_MAX_CHROME_LINE = 200

# Lines that are furniture wherever they appear.
_STANDALONE = re.compile(
    r"(?:advertisements?|ad|sponsored(?: content)?|share|tweet|e-?mail|print|"
    r"share (?:this|this article|this story|on \w+)|"
    r"(?:story|article) continues below(?: advertisement)?|continue reading(?: below)?|"
    r"scroll to continue(?: with content)?|skip to (?:main )?content|"
    r"listen to this article|\d+ min(?:ute)?s? read)",
    re.IGNORECASE,
)
# Headings that open the related-links section at the end of a page.
_SECTION = re.compile(
    r"(?:most (?:popular|read|viewed|shared)|popular(?: now| stories)?|"
    r"related(?: articles| stories| content| news| topics| coverage| links)?|"
    r"recommended(?: for you| stories| articles| reading)?|trending(?: now| stories)?|"
    r"read (?:more|next|this next)|more (?:from|on|in|stories|news)\b.*|"
    r"you (?:may|might) (?:also )?(?:like|be interested in)|top stories|"
    r"latest(?: news| stories)?|editor'?s picks|see also|tags|topics|"
    r"comments?|\d+ comments?|leave a comment|join the conversation|"
    r"share this article|subscribe|newsletter)",
    re.IGNORECASE,
)
# Paragraphs that open like furniture; only dropped in the trailing run of the page.
_TAIL_PREFIX = re.compile(
    r"(?:(?:related|read more|read next|see also|more)\s*:|"
    r"sign up (?:for (?:our|the|free|a)|to (?:our|get|receive)|now|today|here)\b|"
    r"subscribe (?:to (?:our|the)|now|today|here|for (?:free|just|only))\b|follow us\b|"
    r"click here (?:to|for)\b|download (?:our|the) app\b|©|\(c\) \d{4}|copyright\b)",
    re.IGNORECASE,
)
_RESERVED = re.compile(r"all rights reserved", re.IGNORECASE)
_EDGE_PUNCTUATION = " \t:|›»>•·-–—"


def strip_page_chrome(paragraphs: Sequence[str]) -> list[str]:
    """Drop web-page furniture from ``paragraphs``.

    Standalone furniture lines ("Advertisement", "Share", "Tweet") go wherever they are.
    At the end, a section heading such as "MOST POPULAR" or "Related articles" goes
    together with the short headline-like lines after it, as do trailing lines such as
    "Sign up for our newsletter" or "© 2024 The Herald". The first paragraph is never
    removed, so some text always remains.
    """
    kept = [p for p in paragraphs if p.strip() and not _is_standalone_chrome(p)]
    cut = len(kept)
    for index in range(len(kept) - 1, 0, -1):
        paragraph = kept[index]
        if _is_section_heading(paragraph) or _is_tail_chrome(paragraph):
            cut = index
        elif not _is_headline(paragraph):
            break
    return kept[:cut]


def _bare(paragraph: str) -> str:
    return paragraph.strip().strip(_EDGE_PUNCTUATION)


def _is_standalone_chrome(paragraph: str) -> bool:
    return _STANDALONE.fullmatch(_bare(paragraph)) is not None


def _is_section_heading(paragraph: str) -> bool:
    bare = _bare(paragraph)
    return len(bare) <= 60 and _SECTION.fullmatch(bare) is not None


def _is_tail_chrome(paragraph: str) -> bool:
    text = paragraph.strip()
    if len(text) > _MAX_CHROME_LINE:
        return False
    return _TAIL_PREFIX.match(text) is not None or _RESERVED.search(text) is not None


def _is_headline(paragraph: str) -> bool:
    """A short line that does not end like a sentence: a link in a list of stories."""
    text = paragraph.strip()
    if len(text) > _MAX_TAIL_ITEM:
        return False
    return text.endswith(("?", "!")) or not ends_sentence(text)
