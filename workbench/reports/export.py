"""Export verification reports: the formats, rendering, and writing a file safely.

The desktop app's File > Export and ``workbench export`` both come through here::

    from workbench.reports import FORMATS, export_reports
    result = export_reports(store, [article_id], Path("report.pdf"), fmt="pdf")

A failed export never leaves a half-written file: everything is rendered in memory
first, then written to a temporary file beside the destination and renamed over it
(:func:`write_atomically`, which also says what a destination may be). The evidence
bundle, which can hold large documents, is streamed into that temporary file instead
(:func:`write_atomically_with`); a document that fails its hash check stops it there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from workbench.backup import backup_dir
from workbench.dbfile import DATABASE_COMPANIONS, index_folder, is_held_database_file
from workbench.reports.bundle import render_bundle, write_bundle
from workbench.reports.claimreview import claim_reviews, write_claimreview
from workbench.reports.csv import write_csv
from workbench.reports.formats import ExportError, ReportFormat, check_article_count, get_format
from workbench.reports.html import write_html
from workbench.reports.json import write_json
from workbench.reports.markdown import write_markdown
from workbench.reports.model import Report, build_reports
from workbench.reports.pdf import PdfRenderer, write_pdf
from workbench.store import Store
from workbench.vault import vault_dir

log = logging.getLogger("workbench.reports")

T = TypeVar("T")

_TEMP_ATTEMPTS = 100
"""Random temporary names tried before giving up (each collision is a 1 in 2**64 chance)."""


def render_reports(
    reports: Sequence[Report],
    fmt: str,
    *,
    pdf_renderer: PdfRenderer | None = None,
    db_path: str | Path | None = None,
) -> bytes:
    """The reports in format ``fmt``, as the bytes of the file.

    Args:
        reports: one report, or several for the formats that allow it (csv, json).
        fmt: a key of :data:`FORMATS`.
        pdf_renderer: for ``pdf``; default the one installed with the desktop app.
        db_path: for ``bundle``: the database whose evidence vault holds the files
            (``store.path``).

    Raises:
        ExportError: unknown format, no report, or several for a one-article format;
            a bundle without ``db_path``, or with a vaulted file missing or altered.
        ClaimReviewError: ClaimReview without the organisation setting.
        PluginError: PDF without an installed renderer.
    """
    spec = get_format(fmt)
    check_article_count(spec, len(reports))
    writers: dict[str, Callable[[], bytes]] = {
        "html": lambda: write_html(reports[0]),
        "pdf": lambda: write_pdf(reports[0], renderer=pdf_renderer),
        "md": lambda: write_markdown(reports[0]),
        "csv": lambda: write_csv(reports),
        "json": lambda: write_json(reports),
        "claimreview": lambda: write_claimreview(reports[0]),
        "bundle": lambda: render_bundle(reports[0], db_path=_vault_of(db_path)),
    }
    return writers[spec.name]()


def _vault_of(db_path: str | Path | None) -> str | Path:
    if db_path is None:
        raise ExportError("the evidence bundle needs the database whose vault holds the files")
    return db_path


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote: for a status-bar message and "open when done"."""

    path: Path
    format: ReportFormat
    articles: int
    claims: int
    items: int
    """Claims written (for claimreview: ClaimReview objects, one per checked claim)."""
    size: int
    """Bytes written."""
    files: int = 0
    """Vaulted documents written (the evidence bundle; 0 for the other formats)."""


def export_reports(
    store: Store,
    article_ids: Sequence[int],
    destination: str | Path,
    *,
    fmt: str,
    pdf_renderer: PdfRenderer | None = None,
    generated_at: str | None = None,
) -> ExportResult:
    """Export articles' reports to a file, atomically.

    Args:
        store: read from only (open one per thread).
        article_ids: one id, or several for csv and json.
        destination: the file to write: replaced if it exists, keeping its
            permissions; a symbolic link is replaced, not followed; a folder, pipe,
            device or socket is refused.
        fmt: a key of :data:`FORMATS`; ``bundle`` takes the vaulted files from the
            vault beside ``store``'s database.
        pdf_renderer: for ``pdf``; default the one installed with the desktop app.
        generated_at: the report time (ISO 8601); default now.

    Raises:
        WorkbenchError: any known problem (unknown id, format, settings, an
            unwritable destination, a vaulted file missing or altered); the
            destination is then left as it was.
    """
    spec = get_format(fmt)
    check_article_count(spec, len(set(article_ids)))
    path = Path(destination)
    _refuse_the_databases_files(path, store.path)
    reports = build_reports(store, article_ids, generated_at=generated_at)
    claims = sum(len(r.claims) for r in reports)
    if spec.name == "bundle":
        files = write_atomically_with(
            path, lambda out: write_bundle(reports[0], out, db_path=store.path)
        )
        size = path.stat().st_size
        log.info("exported an evidence bundle to %s (%d files, %d bytes)", path, files, size)
        return ExportResult(path, spec, len(reports), claims, claims, size, files=files)
    data = render_reports(reports, spec.name, pdf_renderer=pdf_renderer)
    write_atomically(path, data)
    items = len(claim_reviews(reports[0])) if spec.name == "claimreview" else claims
    log.info("exported %d article(s) as %s to %s (%d bytes)", len(reports), fmt, path, len(data))
    return ExportResult(path, spec, len(reports), claims, items, len(data))


def _refuse_the_databases_files(path: Path, db_path: Path) -> None:
    """Refuse to export over the database, its log, or anything in its vault, backups or index.

    A report renamed over the open database (or a hard link to it) leaves the app
    writing to a deleted file: every edit after it is lost when the app closes. One
    renamed over a vaulted document or a backup destroys the evidence it stands for.

    Raises:
        ExportError: ``path`` is one of those files, or in one of those folders.
    """
    db_path = db_path.expanduser().resolve()
    try:
        target = path.expanduser().parent.resolve() / path.name  # a link is replaced, not followed
        status: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        status = None
    except (OSError, RuntimeError):
        return  # a folder that cannot be read: writing there fails with its own words
    companions = {db_path.with_name(db_path.name + suffix) for suffix in DATABASE_COMPANIONS}
    folders = (vault_dir(db_path), backup_dir(db_path), index_folder(db_path))
    if (
        target in companions
        or any(target.is_relative_to(folder.resolve()) for folder in folders)
        or (status is not None and is_held_database_file(status))
    ):
        raise ExportError(
            f"cannot write {path}: it belongs to the workbench database {db_path.name}"
            " (its file, log, evidence vault, backups or index); choose another file"
        )


def write_atomically(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that it is either complete or untouched.

    The bytes go to a temporary file in the same folder (a new, unique name each
    time, so two exports at once cannot collide), are flushed to disk, and the file
    is renamed over ``path``; on any failure the temporary file is removed.

    What ``path`` may be:

    - nothing yet: a new file, with the permissions the umask gives;
    - a regular file: replaced, keeping its permission bits (a private 0600 report
      stays private);
    - a symbolic link: the link itself is replaced by the new file, which never
      writes through the link (to a device, a pipe or a file somewhere else); the
      new file has the permissions of the file the link pointed to, if it pointed
      to a regular file;
    - anything else (a folder, a named pipe, a device such as ``/dev/null``, a
      socket): refused, and left alone;
    - anything in the system's device folders (``/dev``, ``/proc``, ``/sys``): refused,
      since replacing a link such as ``/dev/stdout`` with a file breaks the system.

    Raises:
        ExportError: ``path`` is not a regular file or a link, the folder is missing
            or not writable, or the disk is full.
    """
    write_atomically_with(path, lambda fh: fh.write(data))


def write_atomically_with(path: str | Path, write: Callable[[IO[bytes]], T]) -> T:
    """Like :func:`write_atomically`, with the bytes written by ``write`` (streamed).

    ``write`` gets the temporary file (binary, seekable), and what it returns is
    returned; if it raises, the temporary file is removed and ``path`` left as it
    was. An ``OSError`` it raises is taken for a problem writing ``path`` (a full
    disk): one about its own input must be turned into a
    :class:`~workbench.errors.WorkbenchError` first.

    Raises:
        ExportError: as :func:`write_atomically`.
    """
    path = Path(path)
    _refuse_system_folder(path)
    mode = _mode_to_keep(path)
    fd, temp = _create_temp(path, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                _set_mode(fh.fileno(), temp, mode)
            result = write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise
    return result


_SYSTEM_FOLDERS = ("/dev", "/proc", "/sys")


def _refuse_system_folder(path: Path) -> None:
    """Raises :class:`ExportError` if ``path`` is in a folder of devices and processes:
    ``-o /dev/stdout`` replaced the system's link with a file when run as root."""
    folder = os.path.realpath(path.parent)
    if folder == "/dev/shm" or folder.startswith("/dev/shm/"):
        return  # a folder of files in memory, not of devices
    for system in _SYSTEM_FOLDERS:
        if folder == system or folder.startswith(system + "/"):
            raise ExportError(
                f"cannot write {path}: {system} holds the system's devices, not files"
                " (for the standard output, use -o -)"
            )


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def _mode_to_keep(path: Path) -> int | None:
    """The permission bits the new file keeps from what ``path`` is now, if any.

    Raises:
        ExportError: ``path`` is there but is neither a regular file nor a link.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except OSError:  # a dangling link, a loop, a folder that cannot be read
            return None
        return stat.S_IMODE(info.st_mode) & 0o777 if stat.S_ISREG(info.st_mode) else None
    if stat.S_ISREG(info.st_mode):
        # Not set-user-ID and the like: a report is never run.
        return stat.S_IMODE(info.st_mode) & 0o777
    kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
    raise ExportError(f"cannot write {path}: it is {kind}, not a regular file")


def _create_temp(path: Path, mode: int | None) -> tuple[int, Path]:
    """Create a new, empty temporary file beside ``path``: its descriptor and name.

    The name is random and the file created exclusively (``O_EXCL``, not following
    a link), so two exports to the same place each get their own. When a mode is
    to be kept it starts as 0600, then gets that mode; else the umask decides.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    stem = path.name[:100]  # room for the suffix within the longest file name (255)
    for _ in range(_TEMP_ATTEMPTS):
        temp = path.with_name(f".{stem}.{secrets.token_hex(8)}.part")
        try:
            # 0o666 lets the umask decide permissions, as for any file the user saves.
            return os.open(temp, flags, 0o666 if mode is None else 0o600), temp
        except FileExistsError:
            continue
        except OSError as exc:
            raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    raise ExportError(f"cannot write {path}: no free temporary file name beside it")


def _set_mode(fd: int, temp: Path, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows before Python 3.13: only the read-only bit means anything there
        os.chmod(temp, mode)
