"""Turn the bytes of a text file into ``str``: byte-order marks, UTF-8, then Western legacy.

Order matters. A BOM is authoritative; strict UTF-8 almost never accepts anything that
is not UTF-8; Windows-1252 is checked next because charset-normalizer, asked about a
short French or English text with curly quotes, tends to answer cp1250 and turn "ï"
into "ď". charset-normalizer decides only what is left (Cyrillic, Greek, CJK ...).
"""

from __future__ import annotations

import codecs
import logging
import re
import string
import unicodedata

import charset_normalizer

from workbench.errors import IngestError

log = logging.getLogger("workbench.ingest")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SNIFF_BYTES = 8192
_CONTROL_BYTES = frozenset([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])
_MAX_CONTROL_RATIO = 0.02
"""More control characters than this (per character) and it is not text."""
_MAX_NON_ASCII_RATIO = 0.3
"""Western text is mostly ASCII letters; Cyrillic or Greek in cp1251/1253 is not."""
# Non-letters that Western text in cp1252 plausibly contains.
_WESTERN_SYMBOLS = frozenset("‘’“”‚„–—…•·«»‹›€£¥¢©®™°±×÷§¶¡¿ªº¹²³½¼¾µ†‡‰\u00a0")
# Of those, the ones that may sit between two letters ("don’t", "a–b").
_INSIDE_WORD = frozenset("’‘–—·")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII = bytes(range(128))
_HIGH = bytes(range(128, 256))
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
_ASCII_LETTERS = string.ascii_letters.encode()

BINARY_PROBLEM = "looks like a binary file, not text"


def decode_text(data: bytes, *, label: str) -> str:
    """Decode ``data`` as text, guessing its encoding.

    Args:
        data: The file's bytes.
        label: The file's name for error messages.

    Raises:
        IngestError: The bytes are binary (NUL bytes, many control characters) or in no
            recognisable encoding.
    """
    text = _decode(data, label)
    if looks_binary(text):
        raise IngestError(f"{label} {BINARY_PROBLEM}")
    return text.removeprefix("\ufeff")


def looks_binary(text: str) -> bool:
    """True if ``text`` holds NULs or more control characters than text ever has."""
    sample = text[: _SNIFF_BYTES * 4]
    if "\x00" in sample:
        return True
    controls = sum(
        1 for ch in sample if ch not in "\t\n\r\f\v" and unicodedata.category(ch) == "Cc"
    )
    replaced = sample.count("\ufffd")
    return (controls + replaced) > _MAX_CONTROL_RATIO * max(len(sample), 1)


def _decode(data: bytes, label: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            log.debug("%s: byte-order mark says %s", label, encoding)
            return data[len(bom) :].decode(encoding, errors="replace")
    head = data[:_SNIFF_BYTES]
    if b"\x00" in head:
        utf16 = _utf16_without_bom(head)
        if utf16 is None:
            raise IngestError(f"{label} {BINARY_PROBLEM}")
        return data.decode(utf16, errors="replace")
    if sum(1 for byte in head if byte in _CONTROL_BYTES) > _MAX_CONTROL_RATIO * len(head):
        raise IngestError(f"{label} {BINARY_PROBLEM}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            # A stream cut in the middle of the last character: keep the rest.
            return data.decode("utf-8", errors="replace")
    if _mostly_utf8(data):
        # UTF-8 with a few stray Windows-1252 bytes, as pasted-together files often are.
        log.debug("%s: UTF-8 with some cp1252 bytes", label)
        return data.decode("utf-8", errors=_CP1252_FALLBACK)
    western = _plausible_cp1252(data)
    if western is not None:
        log.debug("%s: decoded as cp1252", label)
        return western
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise IngestError(f"{label} {BINARY_PROBLEM}")
    log.debug("%s: charset-normalizer says %s", label, best.encoding)
    return str(best)


def _mostly_utf8(data: bytes) -> bool:
    """True if most non-ASCII bytes form valid UTF-8 sequences (cp1252 text has none)."""
    high = len(data) - len(data.translate(None, _HIGH))
    utf8 = sum(len(sequence) for sequence in _UTF8_SEQUENCE.findall(data))
    return utf8 >= 0.5 * high


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read the bytes that are not UTF-8 as Windows-1252."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="replace"), exc.end


_CP1252_FALLBACK = "workbench-cp1252-fallback"
codecs.register_error(_CP1252_FALLBACK, _cp1252_fallback)


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM has a NUL in every other byte (for Latin script)."""
    even = head[0::2]
    odd = head[1::2]
    if not even or not odd:
        return None
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / len(odd)
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _plausible_cp1252(data: bytes) -> str | None:
    """Return ``data`` decoded as Windows-1252 if that reads like Western text."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    non_ascii = len(data.translate(None, _ASCII))
    letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
    if non_ascii > _MAX_NON_ASCII_RATIO * max(letters + non_ascii, 1):
        return None
    for match in _NON_ASCII.finditer(text):
        ch = match.group()
        if ch.isalpha():
            continue
        if ch not in _WESTERN_SYMBOLS:
            return None
        index = match.start()
        before = text[index - 1] if index else " "
        after = text[index + 1 : index + 2] or " "
        if before.isalpha() and after.isalpha() and ch not in _INSIDE_WORD:
            return None  # "b³d": a letter of another code page read as a symbol
    return text
