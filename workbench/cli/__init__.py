"""The ``workbench`` command line: a second client of the core, for scripts and desks.

Known problems print ``workbench: error: <one line>`` on stderr and exit with 2,
leaving the database as it was. Nothing here imports Qt: ``workbench gui`` finds the
desktop app through the ``workbench.frontends`` entry point.

:mod:`~workbench.cli.parser` declares every command; their handlers live by group in
:mod:`~workbench.cli.articles`, :mod:`~workbench.cli.claims`, :mod:`~workbench.cli.reports`
(export, settings), :mod:`~workbench.cli.archive`, :mod:`~workbench.cli.database`,
:mod:`~workbench.cli.training` and :mod:`~workbench.cli.app` (gui), over the helpers in
:mod:`~workbench.cli.common`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO, cast

from workbench.cli.common import (
    DEBUG_ENV_VAR,
    EXIT_ERROR,
    EXIT_OK,
    Output,
    TerminalSafe,
    refuse_undecodable_arguments,
    tell,
)
from workbench.cli.parser import build_parser
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.engine import Engine

__all__ = ["build_parser", "main"]


def main(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, engine: Engine | None = None
) -> int:
    """Run the command line; returns the exit code (0 on success, 2 on a known problem).

    The command's pipeline, models and search thread are ``engine``'s; by default the
    run builds its own (each loaded when first needed) and closes it at the end.
    """
    args = build_parser().parse_args(argv)
    # --help, --version and argument errors end above, before these load (a quick --help).
    import logging

    from workbench.engine import Engine

    logging.basicConfig(
        level=logging.DEBUG if os.environ.get(DEBUG_ENV_VAR) else logging.WARNING,
        format="%(name)s: %(message)s",
    )
    args.db = getattr(args, "db", None)
    stream = cast(TextIO, Output(out or sys.stdout))
    # Text for people always loses its control characters; JSON and exported reports
    # keep their exact text for a pipe or a file, but not on a terminal.
    exact = getattr(args, "json", False) or getattr(args, "exact_output", False)
    if stream.isatty() or not exact:
        stream = cast(TextIO, TerminalSafe(stream))
    args.engine = engine or Engine()
    try:
        refuse_undecodable_arguments(args)
        code: int = args.handler(args, stream)
        stream.flush()  # a file or pipe gets its last block now, where a failure is caught
        return code
    except WorkbenchError as exc:
        tell("error", str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        tell("error", "interrupted")
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error.
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        if os.environ.get(DEBUG_ENV_VAR):
            raise
        tell(
            "error",
            f"unexpected {type(exc).__name__}: {exc} "
            f"(this is a bug; set {DEBUG_ENV_VAR}=1 for details)",
        )
        return 1
    finally:
        if engine is None:
            args.engine.close()
