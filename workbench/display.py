"""How stored values read to a person: dates as dates, speaker slugs as names, counts
with their nouns.

Pure functions of strings, shared by the app and the reports so both say a thing the
same way. Month names are fixed English ones, not the process's locale: the desktop
app sets the locale from the environment (Qt does, on Unix), and a report or a panel
that is otherwise English should not name a month in another language.
"""

from __future__ import annotations

import re
from datetime import date, datetime

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_iso(value: str) -> date | datetime | None:
    """An ISO 8601 date or timestamp (``Z`` accepted), or None if the text is not one."""
    text = value.strip()
    if not _ISO_START.match(text):
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def day_month_year(when: date, *, short: bool = False) -> str:
    """``12 March 2021`` (``short``: ``12 Mar 2021``), whatever the locale."""
    month = MONTHS[when.month - 1]
    return f"{when.day} {month[:3] if short else month} {when.year}"


def display_date(value: str | None, *, short: bool = True) -> str:
    """A stored date for reading: ``2021-03-12T00:00:00Z`` -> ``12 Mar 2021``.

    The date is the one written, in the zone it was written in (a publication date
    is the publisher's day, not UTC's); a time of day is dropped. Text that is not an
    ISO date (``March 2021``, as some archives give it) is shown as it is, trimmed.
    """
    if not value:
        return ""
    when = parse_iso(value)
    if when is None:
        return value.strip()
    return day_month_year(when, short=short)


def is_slug(value: str) -> bool:
    """True for a URL slug such as ``rick-santorum``: lowercase words joined by hyphens.

    Anything with a capital, a space or other punctuation is taken as already written
    for people (``Rick Santorum``, ``bell hooks``, ``will.i.am``).
    """
    if not value or value != value.lower() or not any(ch.isalpha() for ch in value):
        return False
    return all(part.isalnum() for part in value.split("-"))


def speaker_name(value: str) -> str:
    """A speaker as a name: a slug is spelt out (``donald-trump`` -> ``Donald Trump``).

    Only a slug is changed (see :func:`is_slug`); any other value is kept as it was
    stored, trimmed, since a person's own spelling of their name beats a guess.
    """
    text = value.strip()
    if not is_slug(text):
        return text
    return " ".join(part[:1].upper() + part[1:] for part in text.split("-"))


def counted(n: int, word: str) -> str:
    """``n`` and ``word``, plural unless one: ``1 document``, ``2,554 documents``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"
