"""``workbench gui``: the desktop app, found through the ``workbench.frontends`` entry point.

The core never imports Qt or ``ui``: with the app not installed, this is a one-line error.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from workbench.cli.common import db_path
from workbench.plugins import load_entry_point


def cmd_gui(args: argparse.Namespace, out: TextIO) -> int:
    path = db_path(args)  # a path that cannot name a file: one line, before any window
    run: Callable[[Sequence[str], Path | None], int] = load_entry_point(
        "workbench.frontends", "gui", purpose="the desktop app"
    )
    return run(list(args.files), path)
