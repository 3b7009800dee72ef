"""Run the command line in-process, as the CLI tests do."""

from __future__ import annotations

import io

from workbench.cli import main


def run(*argv: str) -> tuple[int, str]:
    """The exit code and what was printed on standard output."""
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()
