"""Text and URLs from outside (files, archives, arguments) made safe for where they go next.

Two hazards that every client of the core meets: strings that are not valid Unicode
(Python keeps undecodable bytes of a file name or an argument, and ``"\\ud800"`` in
JSON, as lone surrogates, which SQLite and UTF-8 output refuse), and control
characters that a terminal obeys (clear the screen, set the window title, hide text,
draw an OSC 8 link whose target differs from its text).
"""

from __future__ import annotations

import json
import re
from urllib.parse import SplitResult, quote, urlsplit

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


_STRAY_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")


def without_controls(text: str) -> str:
    """``text`` without the controls a terminal obeys, its line breaks left as they are.

    For files that are often shown with ``cat`` (Markdown, CSV): ESC and the C1 controls
    (escape sequences), and the bidirectional overrides and isolates, which reorder what
    is shown (a file named ``"\u202egpj.pdf"`` shows as ``fdp.jpg``).
    """
    return _STRAY_CONTROLS.sub("", text)


def clipped(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" when it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def one_line(text: str) -> str:
    """``text`` for a one-line message: controls removed, line breaks as spaces."""
    return " ".join(for_terminal(text).split("\n")).strip()


_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_PRE_ENCODE = re.compile(r"[\x00-\x20\x7f\"<>\\^`{|}]|%(?![0-9A-Fa-f]{2})")
"""What is percent-encoded before the URL is split: characters RFC 3986 never allows
(controls, space, quotes, angle brackets, backslash ...) and a ``%`` that does not
start a valid ``%XX`` escape. None of them is a URL delimiter, so encoding them first
keeps :func:`~urllib.parse.urlsplit` from silently dropping tabs and line breaks."""
_SUB_DELIMS = "!$&*+,;="
"""RFC 3986's sub-delims without ``(``, ``)`` and ``'``: parentheses delimit strings in
PDF (Qt writes link targets unescaped), and a quote could end an attribute elsewhere."""
_HOST_SAFE = _SUB_DELIMS + "%"
_PATH_SAFE = _SUB_DELIMS + ":@/%"
_QUERY_SAFE = _PATH_SAFE + "?"
_IDNA_RESULT = re.compile(r"[A-Za-z0-9.-]+")
_IP_LITERAL = re.compile(r"[0-9A-Fa-f:.]+(%25[A-Za-z0-9._~-]+)?")


MAX_URL_CHARS = 8_192
"""The longest address the app keeps or links to: longer than any browser's address bar
takes in practice. A PDF repeats a link's target on every line its text wraps to: one
100,000-character URL made a 105 MB report."""


def http_url(value: str) -> str:
    """The link target for a stored URL, or "" when it must not be a link at all.

    Only absolute http(s) URLs with a host, of at most :data:`MAX_URL_CHARS`
    characters, are linked (never ``javascript:``), and never one with a user name
    before the host: ``https://www.politifact.com@evil.example/`` reads as PolitiFact
    and opens evil.example (with a ``\\`` before the ``@``, a browser given the text
    would even go to the first name while the link goes to the second). The
    result is the same address, encoded so that it is safe in any report: it has
    only characters RFC 3986 allows and none of ``( ) < > [ ] { } \\ ' "`` (outside an
    IPv6 address), so it can end neither a PDF string or dictionary (Qt copies link
    targets into the PDF unescaped: a ``)`` there could add a JavaScript action) nor
    an HTML attribute or a Markdown destination. Non-ASCII text is UTF-8
    percent-encoded, except in the host, which is IDNA-encoded (``xn--``) so it stays
    readable. Existing ``%XX`` escapes are kept, so the function is idempotent.

    Reports show the stored text as it is and use this only where a link points to.
    """
    if len(value) > MAX_URL_CHARS:
        return ""
    value = _PRE_ENCODE.sub(
        lambda m: "%25" if m[0] == "%" else f"%{ord(m[0]):02X}", value.strip(_C0_AND_SPACE)
    )
    try:
        parts = urlsplit(value)
        port = parts.port
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return ""
        _, at, hostport = parts.netloc.rpartition("@")
        if at:
            return ""
        if hostport.startswith("["):  # an IPv6 address, checked by urlsplit
            inner, _, rest = hostport[1:].partition("]")
            if (rest and not rest.startswith(":")) or not _IP_LITERAL.fullmatch(inner):
                return ""  # a zone ID with more than letters and digits, say
            host = f"[{inner}]"
        else:  # the port, after a ":", was checked by parts.port
            host = quote(_idna(hostport.partition(":")[0]), safe=_HOST_SAFE)
        if host in ("", "[]"):  # urlsplit finds a host name in "https://:[::1]"
            return ""
        url = f"{parts.scheme}://{host}{'' if port is None else f':{port}'}"
        url += quote(parts.path, safe=_PATH_SAFE)
        if parts.query:
            url += "?" + quote(parts.query, safe=_QUERY_SAFE)
        if parts.fragment:
            url += "#" + quote(parts.fragment, safe=_QUERY_SAFE)
    except (ValueError, UnicodeError):  # a bad port or IPv6 address, a lone surrogate
        return ""
    return url


MAX_SHOWN_HOST = 255
"""The most characters of a host's name :func:`shown_url` adds (a DNS name has 253)."""


def shown_url(url: str, *, limit: int | None = None) -> str:
    """A stored URL as a person should read it: as it is, followed by its host in IDNA
    when that host is not plain ASCII, or by its host when a user name comes before it.
    A look-alike hides there: "https://аpple.com/" with a Cyrillic "а" reads as apple.com,
    its link goes to xn--pple-43d.com; it is shown as "https://аpple.com/ [xn--pple-43d.com]".

    With ``limit``, the address is cut to that many characters (ending in "…"), never
    the host's name after it: cutting the whole text cut off the name of the host that a
    long look-alike link opens (audit).
    """
    shown = url if limit is None else clipped(url, limit)
    host = _hidden_host(url)
    return f"{shown} [{clipped(host, MAX_SHOWN_HOST)}]" if host else shown


def _hidden_host(url: str) -> str:
    """The host ``url`` opens when its text hides it (see :func:`shown_url`), else ""."""
    try:
        written = urlsplit(url.strip()).netloc
        host = opened_host(url)
    except ValueError:
        return ""
    if host.isascii():
        # A user name before the host hides it: "https://www.politifact.com@evil.example/"
        # is shown as "... [evil.example]" (such an address is never linked), and so does
        # a "\" before the "@": "https://evil.example\@www.politifact.com/" opens
        # evil.example, not the name after the "@".
        hidden = "@" in written or "\\" in written
        return host if hidden else ""
    encoded = _idna(host)
    return encoded if encoded.isascii() else quote(encoded, safe=".")


def opened_host(url: str) -> str:
    """The host a browser given ``url`` as text opens ("" for none): see
    :func:`browser_split`.

    Raises:
        ValueError: ``url`` cannot be split (a bad IPv6 address, say).
    """
    return browser_split(url).hostname or ""


def browser_split(url: str) -> SplitResult:
    """``url`` split as :func:`~urllib.parse.urlsplit` does but for one thing: a browser
    ends the host at a ``\\`` as at a ``/`` (the WHATWG URL standard, for http and
    https), so "https://evil.example\\@www.politifact.com/" opens evil.example.

    Raises:
        ValueError: ``url`` cannot be split (a bad IPv6 address, say).
    """
    return urlsplit(url.strip().replace("\\", "/"))


def _idna(host: str) -> str:
    """A non-ASCII host name as IDNA (``bücher.example`` -> ``xn--bcher-kva.example``).

    A name IDNA refuses, or turns into more than letters, digits, hyphens and dots
    (it maps U+00A0 to a space, say), is returned unchanged, to be percent-encoded:
    RFC 3986 allows that in a host, and browsers decode it.
    """
    if host.isascii():
        return host
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError:
        return host
    return name if _IDNA_RESULT.fullmatch(name) else host


def json_lines(text: str) -> list[str]:
    """The lines of a JSON Lines text: :meth:`str.splitlines` without U+0085, U+2028, U+2029.

    Those three may stand unescaped inside a JSON string (pasted web text has U+2028),
    so splitting at them read a record holding one as two invalid lines, and skipped
    it. Every other break ``splitlines`` knows (``"\\n"``, ``"\\r\\n"``, a lone ``"\\r"``,
    ``"\\v"`` ...) is a control character that JSON never leaves unescaped in a string.
    """
    # The regular expression is six times slower than str.split on a 49 MB file (and
    # holds the interpreter lock for 0.7 s): used only when a break other than "\n"
    # and "\r\n" is there.
    lone_return = "\r" in text and text.count("\r") != text.count("\r\n")
    if lone_return or any(char in text for char in _RARE_BREAKS):
        return _JSON_LINE_BREAK.split(text)
    lines = text.split("\n")
    return [line.removesuffix("\r") for line in lines] if "\r" in text else lines


def json_line_blocks(text: str, *, size: int = 1 << 20) -> list[str]:
    """``text`` cut into blocks of whole lines, about ``size`` characters each: the
    :func:`json_lines` of the blocks, one after the other, are those of ``text``.

    A reader that lets each block go once it has read its lines never holds the lines of
    the whole text, 57 bytes each at least: those of a 100 MB file of 3-byte lines took
    2.6 GB. Each cut takes out a ``"\\n"`` (with a ``"\\r"`` just before it), a line break.
    """
    blocks: list[str] = []
    start = 0
    while (end := text.find("\n", start + size)) >= 0:
        blocks.append(text[start : end - (text[end - 1] == "\r")])
        start = end + 1
    blocks.append(text[start:])
    return blocks


_JSON_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e]")
_RARE_BREAKS = "\v\f\x1c\x1d\x1e"


_JSON_HAZARDS = re.compile("[<>&\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_json(value: object, *, indent: int | None = None) -> str:
    """``value`` as JSON (non-ASCII kept) that is safe to embed and to print.

    ``<``, ``>`` and ``&`` are written ``\\u003c``, ``\\u003e``, ``\\u0026``, so
    the text cannot close the ``<script type="application/ld+json">`` a publisher pastes
    ClaimReview into (``</script>``, ``<!--``); the C1 controls, U+2028 and U+2029
    (line ends to JavaScript) and the bidirectional overrides are escaped as well, so a
    terminal showing the file obeys none of them. Only strings can hold these
    characters, so the JSON means exactly what :func:`json.dumps` would have written.
    """
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _JSON_HAZARDS.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
