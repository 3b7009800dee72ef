"""The fact-checking workbench core: ingest, claim detection, storage and the CLI.

This package never imports Qt; the desktop app in ``ui`` is one client of it and
the command line in :mod:`workbench.cli` is another.
"""

from __future__ import annotations

__version__ = "0.1.0"
