"""The HTML report: one self-contained, print-friendly page.

Rendered by Jinja2 from ``resources/templates/report.html.j2`` with autoescaping on,
so every piece of article or user text is escaped, and URLs are escaped as
attributes. The page has inline CSS only, no scripts and no external requests (its
Content-Security-Policy forbids them too). The same template with ``pdf=True`` gives
the variant for the PDF renderer, which understands only a subset of CSS.

Jinja2 is imported with the first report rendered, not with this module.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from resources import resource_path
from workbench import __version__
from workbench.reports.model import (
    STATUS_GLYPHS,
    STATUS_LABELS,
    STATUS_ORDER,
    Report,
    evidence_name,
    human_date,
    quote_location,
    quoted,
    short_hash,
)
from workbench.textsafety import clipped, http_url, shown_url, without_controls

if TYPE_CHECKING:
    import jinja2

TEMPLATE = "report.html.j2"


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment for report templates (autoescape on, strict undefined)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resource_path("templates")),
        autoescape=True,
        finalize=_shown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["human_date"] = human_date
    env.filters["http_url"] = http_url
    env.filters["clipped"] = clipped  # a PDF link repeats its target on each line it wraps to
    env.filters["shown_url"] = shown_url
    env.filters["nl2br"] = nl2br
    env.filters["quoted"] = quoted
    env.globals |= {
        "STATUS_ORDER": STATUS_ORDER,
        "LABELS": STATUS_LABELS,
        "GLYPHS": STATUS_GLYPHS,
        "version": __version__,
        "evidence_name": evidence_name,
        "quote_location": quote_location,
        "short_hash": short_hash,
    }
    return env


def _shown(value: object) -> object:
    """Every value a template prints, without the controls that change what is shown.

    Bidirectional overrides reorder a name on the page (``"\u202egpj.pdf"`` reads as
    ``fdp.jpg``); escape sequences are only noise in a page, and danger in a terminal.
    Markup stays markup: dropping characters from it cannot make a tag.
    """
    if isinstance(value, Markup):
        return Markup(without_controls(str(value)))
    if isinstance(value, str):
        return without_controls(value)
    return value


def nl2br(value: str) -> Markup:
    """Escape text and keep its line breaks as ``<br>``."""
    return Markup("<br>\n").join(escape(line) for line in value.split("\n"))


def render_html(
    report: Report, *, pdf: bool = False, vault_links: Mapping[str, str] | None = None
) -> str:
    """The report as an HTML page (``pdf=True``: the variant for the PDF renderer).

    ``vault_links`` maps a vaulted file's SHA-256 to the relative address of its copy
    beside the page (the evidence bundle's ``files/...``), percent-encoded; without it,
    files are named but not linked. The PDF variant never takes them: a PDF links to
    http(s) addresses only.
    """
    if pdf and vault_links:
        raise ValueError("the PDF variant links to http(s) addresses only")
    template = environment().get_template(TEMPLATE)
    return template.render(
        report=report,
        article=report.article,
        organisation=report.organisation,
        paragraphs=report.paragraphs(),
        pdf=pdf,
        vault_links=vault_links or {},
        bundle=vault_links is not None,
    )


def write_html(report: Report) -> bytes:
    return render_html(report).encode("utf-8")
