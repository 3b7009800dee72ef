"""Text from outside (files, archives, arguments) made safe for where it goes next.

Two hazards that every client of the core meets: strings that are not valid Unicode
(Python keeps undecodable bytes of a file name or an argument, and ``"\\ud800"`` in
JSON, as lone surrogates, which SQLite and UTF-8 output refuse), and control
characters that a terminal obeys (clear the screen, set the window title, hide text,
draw an OSC 8 link whose target differs from its text).
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and
# isolates that reorder what a terminal shows ("Trojan Source").
_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")


def has_lone_surrogate(text: str) -> bool:
    """True if ``text`` cannot be written as UTF-8 (an unpaired surrogate code point)."""
    return _SURROGATE.search(text) is not None


def for_terminal(text: str) -> str:
    """``text`` without the control characters a terminal would act on.

    Line breaks of any kind become ``\\n``; tabs stay; escape sequences lose their ESC
    (and so show as harmless text); lone surrogates show as U+FFFD.
    """
    text = _LINE_BREAKS.sub("\n", text)
    text = _TERMINAL_CONTROLS.sub("", text)
    return _SURROGATE.sub("\ufffd", text)


def one_line(text: str) -> str:
    """``text`` for a one-line message: controls removed, line breaks as spaces."""
    return " ".join(for_terminal(text).split("\n")).strip()
