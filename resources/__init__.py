"""Data files shipped with the app: templates, icons, stylesheet, models and samples."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """Return the path of a bundled resource file (it may not exist)."""
    return ROOT.joinpath(*parts)
