"""The Markdown report: the same content as the HTML page, for a CMS or a chat.

Written for CommonMark/GitHub-flavoured Markdown. Every piece of article or user text
goes through :func:`escape_markdown`, so a note can neither start a heading or list,
nor make a link, emphasis or inline HTML (``<script>`` shows as text).
"""

from __future__ import annotations

import re

from workbench.models import Evidence
from workbench.reports.model import (
    STATUS_GLYPHS,
    STATUS_LABELS,
    STATUS_ORDER,
    Report,
    Segment,
    evidence_name,
    human_date,
    quote_location,
    quoted,
    short_hash,
)
from workbench.textsafety import http_url, shown_url, without_controls

_INLINE = re.compile(r"([\\`*_\[\]<>&|~{}])")
_TEMPLATE_TAG = re.compile(r"\{([%#])")
_LINE_START = re.compile(r"^([#+=>-])")
_ORDERED = re.compile(r"^(\d{1,9})([.)])")


def escape_markdown(text: str) -> str:
    """Escape text so Markdown shows it literally (one paragraph, line breaks kept).

    Inline syntax characters are backslash-escaped everywhere; block syntax (``#``,
    ``-``, ``+``, ``=``, ``>``, ``1.``) only at the start of a line, so ordinary
    prose stays readable. Line breaks become hard breaks; leading spaces (which could
    start a code block) are dropped.

    Every kind of line break is one here (``\\r``, ``\\r\\n``, ``\\v``, ``\\f``, U+0085,
    U+2028, U+2029 ...: what :meth:`str.splitlines` splits on): CommonMark ends a
    line at a lone ``\\r`` too, so splitting on ``\\n`` only would leave a ``#`` after
    it unescaped, at the start of a line, where it makes a heading.

    Braces are escaped too, and ``%`` or ``#`` right after one: a CMS that runs the page
    through a template engine (Liquid, Jinja, Hugo shortcodes) would run ``{{ ... }}``,
    ``{% ... %}`` or ``{{% ... %}}``. Control characters a terminal obeys are dropped
    (:func:`without_controls`): reports get read with ``cat``.
    """
    lines = []
    for raw in text.splitlines():
        line = _INLINE.sub(r"\\\1", without_controls(raw).strip())
        line = _TEMPLATE_TAG.sub(r"{\\\1", line)
        line = _LINE_START.sub(r"\\\1", line)
        line = _ORDERED.sub(r"\1\\\2", line)
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    # A blank line would end the paragraph: keep it as an escaped space instead.
    return "\\\n".join(line or "&nbsp;" for line in lines)


def _link(text: str, url: str) -> str:
    """``[text](<target>)``, or the text alone when the URL must not be a link.

    The target is :func:`http_url`'s encoded form, which has no ``<``, ``>``, ``\\``
    or white space, so it cannot end the destination.
    """
    target = http_url(url)
    shown = escape_markdown(text if text and text != url else shown_url(url))
    return f"[{shown}](<{target}>)" if target else shown


def _date(value: str | None) -> str:
    """A timestamp for reading, escaped: one read back from a JSON file may be any text."""
    return escape_markdown(human_date(value))


def _evidence(number: int, item: Evidence) -> list[str]:
    """A numbered list item for a piece of evidence: its name and link, then where the
    quote is, its vaulted file and when it was captured, then the quote itself.

    The quote is a block quote inside the list item, last: a line after it would be
    taken into it (CommonMark's lazy continuation).
    """
    name = evidence_name(item)
    line = f"{number}. {_link(name, item.url)}"
    if item.url and name != item.url:
        line += f" — {_link(item.url, item.url)}"
    if item.note:
        line += f" ({escape_markdown(item.note)})"
    indent = " " * (len(str(number)) + 2)
    meta = []
    if where := quote_location(item.quote):
        meta.append(where.capitalize())
    if item.file is not None:
        file_name = escape_markdown(" ".join(item.file.original_name.split()))
        meta.append(
            f"File {file_name}, kept in the evidence vault, "
            f"SHA-256 {escape_markdown(short_hash(item.file.sha256))}"
        )
        meta.append(f"captured {_date(item.file.captured_at)}")
    else:
        meta.append(f"added {_date(item.added_at)}")
    details = " · ".join(meta)
    lines = [f"{line}\\", indent + details[:1].upper() + details[1:]]
    if item.quote is not None and item.quote.text.strip():
        shown = escape_markdown(quoted(item.quote.text)).replace("\n", f"\n{indent}> ")
        lines.append(f"{indent}> {shown}")
    return lines


def _segment(seg: Segment) -> str:
    inner = seg.text.strip()
    if not inner:
        return " " if seg.text else ""
    # escape_markdown drops the white space at the ends of a line (four spaces would start
    # a code block); one space is kept at each end, or the sentences before and after
    # a claim run into it ("…he said.**Republic of Korea").
    lead = " " if seg.text[0].isspace() else ""
    trail = " " if seg.text[-1].isspace() else ""
    if seg.claim is None or seg.number is None:
        return f"{lead}{escape_markdown(inner)}{trail}"
    # Emphasis must not start or end with white space, so it stays outside the stars.
    out = f"{lead}**{escape_markdown(inner)}**"
    if seg.ends_claim:
        out += f" ({STATUS_GLYPHS[seg.claim.status]} {seg.number})"
    return out + trail


def render_markdown(report: Report) -> str:
    """The report as a Markdown document."""
    article = report.article
    org = report.organisation
    out: list[str] = []
    kicker = "Verification report" + (f" · {escape_markdown(org.name)}" if org.name else "")
    out += [
        f"*{kicker}*",
        "",
        f"# {escape_markdown(' '.join(article.title.split()) or '(untitled)')}",
        "",
    ]
    meta = [
        ("Outlet", escape_markdown(article.source)),
        ("Author", escape_markdown(article.author)),
        ("Published", _date(article.published)),
        ("URL", _link(article.url, article.url) if article.url else ""),
    ]
    out += [f"- **{label}:** {value}" for label, value in meta if value]
    total = len(report.claims)
    out += ["", "## Summary", "", f"**{report.checked_count} of {total}** claims checked.", ""]
    out += ["| Status | Claims |", "| --- | ---: |"]
    counts = report.counts
    out += [f"| {STATUS_GLYPHS[s]} {STATUS_LABELS[s]} | {counts[s]} |" for s in STATUS_ORDER]
    out.append("")
    if report.checkers:
        names = ", ".join(escape_markdown(c.name) for c in report.checkers)
        out.append(f"Checked by {names}; last change {_date(report.last_checked_at)}.")
    else:
        out.append("No claim has been checked yet.")
    by = f" by {escape_markdown(org.name)}" if org.name else ""
    out += [
        "",
        f"Report generated {_date(report.generated_at)}{by}.",
        "",
        "## The article",
        "",
    ]
    legend = ", ".join(f"{STATUS_GLYPHS[s]} {STATUS_LABELS[s].lower()}" for s in STATUS_ORDER)
    out += [f"*Claims are in bold, followed by their status and number ({legend}).*", ""]
    for paragraph in report.paragraphs():
        out += ["".join(_segment(seg) for seg in paragraph), ""]
    out += ["## Claims", ""]
    if not report.claims:
        out += ["No claims were found in this article.", ""]
    for number, claim in enumerate(report.claims, start=1):
        tag = f"{STATUS_GLYPHS[claim.status]} {STATUS_LABELS[claim.status]}"
        out += [f"### Claim {number}: {tag}", ""]
        out += ["> " + escape_markdown(claim.text).replace("\n", "\n> "), ""]
        out += [f"*{escape_markdown(report.kind(claim))}*", ""]
        if claim.claimant:
            out += [f"**Claimant:** {escape_markdown(claim.claimant)}", ""]
        if claim.note:
            out += [f"**Note:** {escape_markdown(claim.note)}", ""]
        if claim.evidence:
            out += ["**Evidence:**", ""]
            for i, item in enumerate(claim.evidence, start=1):
                out += _evidence(i, item)
            out.append("")
        score = report.detector_score(claim)
        provenance = (
            "Last changed" if score is None else f"Detector score {score:.2f} · last changed"
        )
        out += [f"*{provenance} {_date(claim.updated_at)}*", ""]
    return "\n".join(out)


def write_markdown(report: Report) -> bytes:
    return render_markdown(report).encode("utf-8")
