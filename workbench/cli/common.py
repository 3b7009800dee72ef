"""What every command shares: exit codes, errors, the database, and output for people and scripts.

Known problems raise a :class:`~workbench.errors.WorkbenchError` (here :class:`CliError`),
which :func:`workbench.cli.main` prints as one ``workbench: error: ...`` line with exit 2.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from workbench.errors import WorkbenchError
from workbench.locations import DB_ENV_VAR, default_db_path, platform_db_path
from workbench.textsafety import for_terminal, has_lone_surrogate, json_lines, one_line

if TYPE_CHECKING:
    from workbench.engine import Engine
    from workbench.store import Store

EXIT_OK = 0
EXIT_ERROR = 2
DEBUG_ENV_VAR = "WORKBENCH_DEBUG"
MAX_LINES_CHARS = 256 * 2**20
"""The largest --queries or --sentences file read (it is held in memory whole)."""


class CliError(WorkbenchError):
    """A usage problem found after parsing (e.g. ``--evidence-title`` with no URL)."""


# -- the database -----------------------------------------------------------------------


def db_path(args: argparse.Namespace) -> Path:
    """The database the command uses (``--db``, else ``WORKBENCH_DB``, else the default).

    Raises:
        CliError: the path cannot name a file (too long, a loop of links, a folder the
            user cannot enter): ``Path.exists`` and ``stat`` raise for those, which every
            command then reported as a bug (audit).
    """
    path = Path(args.db).expanduser() if args.db else default_db_path()
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        pass  # no such file (yet): each command says what that means for it
    except OSError as exc:
        raise CliError(f"cannot use {path} as a database: {exc.strerror or exc}") from None
    return path


def engine_of(args: argparse.Namespace) -> Engine:
    """The engine :func:`workbench.cli.main` runs the command with."""
    engine: Engine = args.engine
    return engine


def open_store(args: argparse.Namespace, *, must_exist: bool = False) -> Store:
    """The command's database, backed up first if the day's backup is due.

    Args:
        must_exist: the command only reads or changes what is already there (``show``,
            ``export``, ``claim set``...). A database named with ``--db`` or
            ``WORKBENCH_DB`` that does not exist is then refused: a mistyped path
            would otherwise make a new, empty database and report "no article 3" or
            an empty list as if the real one were empty. The default database is
            made as usual: on a first run, an empty list is the truth.
    """
    from workbench.store import Store

    path = db_path(args)
    if must_exist and path != platform_db_path() and not path.exists():
        raise CliError(
            f"there is no database at {path}: check --db or {DB_ENV_VAR}"
            " (`workbench analyze` or `import` makes a new one)"
        )
    store = Store(path, auto_backup=True)
    if store.backup_problem:
        tell("warning", store.backup_problem)
    return store


# -- input ------------------------------------------------------------------------------

# Arguments that hold text to store or search, by dest, and how --help names them.
_TEXT_ARGUMENTS = {
    "note": "--note",
    "claimant": "--claimant",
    "evidence": "--evidence",
    "text": "TEXT",
    "search": "--search",
    "source": "--source",
    "key": "KEY",
    "value": "VALUE",
}


def refuse_undecodable_arguments(args: argparse.Namespace) -> None:
    """Bytes that are not valid in the locale's encoding arrive as lone surrogates."""
    for dest, label in _TEXT_ARGUMENTS.items():
        value = getattr(args, dest, None)
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        flat = [x for item in items for x in (item if isinstance(item, list) else [item])]
        if any(isinstance(x, str) and has_lone_surrogate(x) for x in flat):
            raise CliError(f"{label} holds bytes that are not valid text in this locale's encoding")


def read_id_text_lines(name: str, what: str = "queries") -> list[tuple[Any, str]]:
    """``(id, text)`` from a JSON Lines file (``-`` for stdin) of ``{"id", "text"}`` objects."""
    try:
        if name == "-":
            text = sys.stdin.read(MAX_LINES_CHARS + 1)
        else:
            if Path(name).is_char_device() or Path(name).is_block_device():
                raise CliError(f"the {what} file {name} is a device, not a file")
            with Path(name).open(encoding="utf-8-sig") as handle:
                text = handle.read(MAX_LINES_CHARS + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read the {what} file {name}: {exc}") from exc
    if len(text) > MAX_LINES_CHARS:
        raise CliError(f"the {what} file {name} is over {MAX_LINES_CHARS // 2**20} M characters")
    lines = json_lines(text)
    queries: list[tuple[Any, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise CliError(f"{name} line {number}: not valid JSON") from None
        except RecursionError:
            raise CliError(f"{name} line {number}: JSON nested too deeply") from None
        except ValueError:  # an integer of more than 4,300 digits
            raise CliError(f"{name} line {number}: holds a number too long to read") from None
        if not isinstance(row, dict) or "id" not in row or not isinstance(row.get("text"), str):
            raise CliError(f'{name} line {number}: expected an object with "id" and "text"')
        ident = row["id"]
        if isinstance(ident, bool) or not isinstance(ident, (str, int, float)):
            raise CliError(f'{name} line {number}: "id" must be a string or a number')
        if isinstance(ident, float) and not math.isfinite(ident):
            # Echoed as the output's id: NaN and Infinity are not JSON (jq refuses the line).
            raise CliError(f'{name} line {number}: "id" must be a finite number')
        for field, value in (("text", row["text"]), ("id", ident)):
            if isinstance(value, str) and has_lone_surrogate(value):
                raise CliError(
                    f"{name} line {number}: the {field} is not valid Unicode (lone surrogate)"
                )
        queries.append((ident, row["text"]))
    return queries


# -- output -----------------------------------------------------------------------------


def tell(kind: str, message: str) -> None:
    """``workbench: error: ...`` on stderr: one line, nothing a terminal would act on."""
    sys.stderr.write(f"workbench: {kind}: {one_line(message)}\n")


class TerminalSafe(io.TextIOBase):
    """Output with the control characters of imported text taken out.

    Article, archive and user text reaches a terminal through this: an ESC sequence
    in a past check cannot clear the screen, retitle the window, hide text or draw a
    link whose target differs from its text. (``json.dumps`` escapes C0 controls but
    not C1 ones such as CSI, nor bidi overrides, so JSON on a terminal goes through
    here too; piped or written to a file, JSON and reports keep their exact text.)
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(for_terminal(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()


class Output(io.TextIOBase):
    """The command's standard output: a failure to write it is the user's problem to know
    about ("cannot write the output: No space left on device", exit 2), not a bug.

    A pipe whose reader went away (``| head``) still raises :class:`BrokenPipeError`.
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write the output: {exc.strerror or exc}") from exc
        return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write the output: {exc.strerror or exc}") from exc

    def isatty(self) -> bool:
        return self._stream.isatty()


class OutputError(WorkbenchError):
    """Standard output cannot be written (a full disk, a closed file)."""


class ProgressBar:
    """A one-line progress bar on a terminal; silent when the stream is not one."""

    WIDTH = 30

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label = label
        self.stream = stream
        self.shown = False
        self.enabled = stream.isatty()
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        share = min(done / total, 1.0)
        filled = round(share * self.WIDTH)
        elapsed = time.perf_counter() - self.started
        rate = f"  {done / elapsed:,.0f}/s" if elapsed > 0.5 and done else ""
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}]"
            f" {done:,}/{total:,}{rate}  "
        )
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


def dump(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def short(text: str, width: int = 90) -> str:
    """``text`` on one line of at most ``width`` characters, cut after a word with " …".

    A run without spaces (Chinese or Japanese text, a long address) is cut inside it:
    ``textwrap.shorten`` cuts only at spaces, and showed a long Japanese headline as a
    bare "…" (an audit).
    """
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    room = width - len(" …")
    cut = text[: room + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space >= room // 2 else cut[:room]
    return f"{cut.rstrip()} …"
