"""Markdown (.md, .markdown): the text without its markup, front matter as metadata.

A small line-based reader, not a full CommonMark parser: it only has to recover the
words of an article, never render it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workbench.ingest.assemble import InputInfo, assemble_draft
from workbench.ingest.normalize import (
    LineBreaks,
    clean_line,
    normalize_whitespace,
    split_paragraphs,
)
from workbench.models import ArticleDraft

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_KEYS = {
    "title": "title",
    "author": "author",
    "authors": "author",
    "byline": "author",
    "date": "published",
    "published": "published",
    "pubdate": "published",
    "source": "source",
    "publisher": "source",
    "site": "source",
    "url": "url",
    "link": "url",
    "canonical_url": "url",
}
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_THEMATIC_BREAK = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_BLOCKQUOTE = re.compile(r"^ {0,3}>[ \t]?")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+.*$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HARD_BREAK = re.compile(r"(?: {2,}|\\)$")

# Inline spans are bounded in length so that a hostile line cannot make these
# patterns quadratic; real emphasis and link text is far shorter.
_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\](?:\([^)\n]{0,2000}\)|\[[^\]\n]{0,500}\])")
_INLINE_LINK = re.compile(r"\[([^\]\n]{1,500})\]\([^)\n]{0,2000}\)")
_REFERENCE_LINK = re.compile(r"\[([^\]\n]{1,500})\]\[[^\]\n]{0,500}\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]{1,2000})>")
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
_CODE_SPAN = re.compile(r"(`{1,3})([^`\n]{1,500})\1")
_STRONG = re.compile(r"(?<![\w*])(\*\*|__)(?=\S)(.{1,300}?)(?<=\S)\1(?![\w*])")
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.{1,300}?)(?<=\S)\1(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.{1,300}?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")


@dataclass(slots=True)
class _Blocks:
    """Paragraph-sized chunks of stripped lines in reading order, and the leading H1."""

    blocks: list[list[str]] = field(default_factory=list)
    code: set[int] = field(default_factory=set)
    """Indexes of blocks that are code: their lines stay lines."""
    current: list[str] = field(default_factory=list)
    heading_first: str = ""

    def flush(self) -> None:
        if self.current:
            self.blocks.append(self.current)
            self.current = []

    def single(self, line: str) -> None:
        self.flush()
        self.blocks.append([line])

    def code_block(self, lines: list[str]) -> None:
        self.flush()
        self.code.add(len(self.blocks))
        self.blocks.append(lines)


def read_markdown(text: str, *, info: InputInfo) -> ArticleDraft:
    """Read Markdown source: front matter and a leading ``# Heading`` give the title."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
    meta, text = _front_matter(text)
    parsed = _parse_blocks(text.split("\n"))
    # No blank line anywhere: pasted web text saved as .md, whose line breaks may be
    # paragraph breaks rather than Markdown soft breaks; guess as for plain text.
    blank_line = re.search(r"\n[ \t]*\n", text.strip())
    line_breaks: LineBreaks = "soft" if blank_line else "auto"
    paragraphs: list[str] = []
    for index, block in enumerate(parsed.blocks):
        if index in parsed.code:
            code = normalize_whitespace("\n".join(block)).strip("\n")
            paragraphs.append(re.sub(r"\n{2,}", "\n", code))
        else:
            paragraphs.extend(split_paragraphs("\n".join(block), line_breaks=line_breaks))
    return assemble_draft(
        paragraphs,
        info=info,
        title=meta.get("title", "") or parsed.heading_first,
        author=meta.get("author", ""),
        source=meta.get("source", ""),
        url=meta.get("url", ""),
        published=meta.get("published") or None,
    )


def strip_inline(line: str) -> str:
    """Remove inline Markdown (emphasis, links, images, code spans) from one line."""
    line = _IMAGE.sub("", line)
    line = _INLINE_LINK.sub(r"\1", line)
    line = _REFERENCE_LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _CODE_SPAN.sub(lambda m: m.group(2).strip(), line)
    line = _HTML_TAG.sub("", line)
    line = _STRIKE.sub(r"\1", line)
    for _ in range(2):  # nested: ***both*** or **_both_**
        line = _STRONG.sub(r"\2", line)
        line = _EMPHASIS.sub(r"\2", line)
    return _ESCAPE.sub(r"\1", line)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    meta: dict[str, str] = {}
    for line in match.group(1).split("\n"):
        key, sep, value = line.partition(":")
        field_name = _FRONT_KEYS.get(key.strip().lower())
        if not sep or field_name is None or field_name in meta or line[:1].isspace():
            continue
        value = value.strip().strip("[]").split(",")[0] if key.strip() == "authors" else value
        value = clean_line(value.strip().strip("'\""))
        if value:
            meta[field_name] = value
    return meta, text[match.end() :]


def _parse_blocks(lines: list[str]) -> _Blocks:
    out = _Blocks()
    fence = ""
    code: list[str] = []
    seen_text = False
    for index, raw in enumerate(lines):
        if fence:
            if raw.strip().startswith(fence):
                fence = ""
                out.code_block(code)
                code = []
            else:
                code.append(raw)
            continue
        opening = _FENCE.match(raw)
        if opening:
            out.flush()
            fence = opening.group(1)
            continue
        line = raw
        while _BLOCKQUOTE.match(line):
            line = _BLOCKQUOTE.sub("", line, count=1)
        if not line.strip():
            out.flush()
            continue
        if _REFERENCE_DEFINITION.match(line) or _TABLE_SEPARATOR.match(line):
            continue
        heading = _ATX_HEADING.match(line)
        nxt = lines[index + 1] if index + 1 < len(lines) else ""
        if heading is None and out.current == [] and _is_setext(line, nxt):
            heading_text = strip_inline(line.strip())
        elif heading is not None:
            heading_text = strip_inline(heading.group(2) or "")
        else:
            heading_text = None
        if heading_text is not None:
            level_one = heading is None or len(heading.group(1)) == 1
            if level_one and not seen_text and not out.heading_first:
                out.heading_first = clean_line(heading_text)
            if heading_text.strip():
                out.single(heading_text)
                seen_text = True
            continue
        if _SETEXT_UNDERLINE.match(line) or _THEMATIC_BREAK.match(line):
            out.flush()
            continue
        item = _LIST_ITEM.match(line)
        table_row = item is None and line.lstrip().startswith("|")
        if item or table_row:
            out.flush()
        if item:
            line = line[item.end() :]
        elif table_row:
            line = " | ".join(c.strip() for c in line.strip().strip("|").split("|"))
        text = strip_inline(line.strip())
        if text:
            out.current.append(text)
            seen_text = True
        if table_row or _HARD_BREAK.search(raw):
            out.flush()
    if code:
        out.code_block(code)
    out.flush()
    return out


def _is_setext(line: str, nxt: str) -> bool:
    """``line`` followed by ``===`` or ``---`` is a heading (not a thematic break)."""
    return bool(_SETEXT_UNDERLINE.match(nxt)) and not _LIST_ITEM.match(line)
