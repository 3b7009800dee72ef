"""Sample articles shipped with the app, so a first run shows real claims at once."""

from __future__ import annotations

import dataclasses
import json

from resources import resource_path
from workbench.models import ArticleDraft

SAMPLE_FILE = "wikinews-asylum-seekers.json"
SAMPLE_LICENCE = "CC BY 2.5, Wikinews contributors"


def sample_article() -> ArticleDraft:
    """The bundled Wikinews article (CC BY 2.5), with its source and licence named."""
    from workbench.ingest import read_text  # with the sample, not with the app's window

    path = resource_path("samples", SAMPLE_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    # Through the same reader as pasted text: normalised, its dateline taken out.
    body = read_text(data["text"], origin=f"<sample:{SAMPLE_FILE}>")
    return dataclasses.replace(
        body,
        title=data["title"],
        source="Wikinews",
        author=f"Wikinews contributors ({SAMPLE_LICENCE})",
        url=data["url"],
        published=data["date"],
    )
