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
# Copyright notices are furniture wherever a layout puts them (under the article, above
# an author's bio, in a sidebar that ends up in the text). Only a notice counts: "©" or
# "Copyright 2024" first, or "All rights reserved" last; "Copyright law changed in
# 2019" and "(c) the third option" are article text.
_COPYRIGHT_FIRST = re.compile(
    r"(?:©|\(c\)\s*(?:19|20)\d\d|copyright\s*(?:©|\(c\)|(?:19|20)\d\d))", re.IGNORECASE
)
_RESERVED_LAST = re.compile(r"all rights reserved[\s.]*$", re.IGNORECASE)
_COPYRIGHT_YEAR = re.compile(r"©\s*(?:19|20)\d\d")
_MAX_COPYRIGHT_LINE = 200
_MAX_BARE_COPYRIGHT = 100
"""Longest line with "© 2024" inside that is taken for a notice without more evidence."""
_EDGE_PUNCTUATION = " \t:|›»>•·-–—"


def strip_page_chrome(paragraphs: Sequence[str]) -> list[str]:
    """Drop web-page furniture from ``paragraphs``.

    Standalone furniture lines ("Advertisement", "Share", "Tweet") and copyright notices
    ("© 2024 Example Media. All rights reserved") go wherever they are.
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
    return _STANDALONE.fullmatch(_bare(paragraph)) is not None or _is_copyright(paragraph)


def _is_copyright(paragraph: str) -> bool:
    """A copyright notice: "© 2024 Example Media", "Copyright 2024 ... All rights reserved"."""
    text = _bare(paragraph)
    if len(text) > _MAX_COPYRIGHT_LINE:
        return False
    if _COPYRIGHT_FIRST.match(text) or _RESERVED_LAST.search(text):
        return True
    # "The Daily Ledger © 2024": a short line, not a sentence
    return (
        len(text) <= _MAX_BARE_COPYRIGHT
        and _COPYRIGHT_YEAR.search(text) is not None
        and not ends_sentence(text)
    )


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
