"""The evidence vault: files kept beside the database, named by their SHA-256, never changed.

A fact-checker's evidence outlives the web page it came from: a saved page, a PDF, a
.docx, an image, a text or CSV file is copied into ``<database>.vault/`` as
``ab/abcdef…`` (its SHA-256), read-only. The same file given twice is stored once. The
database records its size, media type, original name, the address it came from and
when it was captured (:class:`~workbench.models.VaultFile`); :func:`check_file` says
whether a stored file is still exactly what was recorded, so an altered or missing
file is reported, never silently used.

This module touches files only; the store records them (``Store.add_file_evidence``).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import tempfile
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from workbench.dbfile import is_held_database_file
from workbench.errors import DiskFullError, ValidationError
from workbench.files import (
    KEPT_FILE_MODE,
    PRIVATE_FOLDER_MODE,
    make_private_folder,
    open_regular_file,
)

VAULT_SUFFIX = ".vault"
MAX_VAULT_FILE_BYTES = 200 * 2**20
"""The largest file the vault takes (a long report with scans; a video is not evidence here)."""

MEDIA_TYPES: dict[str, str] = {
    ".html": "text/html",
    ".htm": "text/html",
    ".mhtml": "multipart/related",
    ".mht": "multipart/related",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
}
"""What the vault takes, by extension: documents a reader can open and images."""

_MAGIC: tuple[tuple[bytes, tuple[str, ...]], ...] = (
    (b"%PDF-", ("application/pdf",)),
    (b"\x89PNG\r\n\x1a\n", ("image/png",)),
    (b"\xff\xd8\xff", ("image/jpeg",)),
    (b"GIF8", ("image/gif",)),
    (b"PK\x03\x04", (MEDIA_TYPES[".docx"],)),
)
_BINARY_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
_BINARY_TYPES.add(MEDIA_TYPES[".docx"])


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file as the vault holds it: its hash, size and media type, and where it is."""

    sha256: str
    size: int
    media_type: str
    path: Path


def vault_dir(db_path: str | Path) -> Path:
    """The vault of the database at ``db_path``: ``<database file name>.vault`` beside it."""
    path = Path(db_path)
    return path.with_name(path.name + VAULT_SUFFIX)


ABANDONED_COPY_AGE_S = 3600
"""A copy into the vault still unfinished after this long was cut short (the app quit
during it): :func:`remove_abandoned_copies` deletes it."""


def remove_abandoned_copies(
    db_path: str | Path, recorded: Collection[str], *, now: float | None = None
) -> int:
    """Delete what copies into the vault left behind; their number.

    That is the temporary files of copies that never finished (the app quit during
    one), and copies no record in ``recorded`` (the hashes of the database's vault
    files) names: the file evidence they were for was never recorded (the claim was
    not found, the app quit in between). Anything younger than
    :data:`ABANDONED_COPY_AGE_S` is left alone: it may be on its way to a record.
    """
    cutoff = (time.time() if now is None else now) - ABANDONED_COPY_AGE_S
    removed = 0
    for folder, _, names in os.walk(vault_dir(db_path)):
        for name in names:
            path = Path(folder, name)
            if not name.startswith(".incoming-") and (len(name) != 64 or name in recorded):
                continue
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
    return removed


def file_path(db_path: str | Path, sha256: str) -> Path:
    """Where the vault keeps the file with this hash."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 in hex: {sha256!r}")
    return vault_dir(db_path) / sha256[:2] / sha256


def media_type(name: str, head: bytes) -> str:
    """The media type of a file the vault takes, from its extension checked against its bytes.

    Raises:
        ValidationError: not a kind of file the vault takes, or its bytes say it is
            something else than its name does (a program renamed .pdf).
    """
    extension = Path(name).suffix.lower()
    declared = MEDIA_TYPES.get(extension)
    if declared is None:
        kinds = ", ".join(sorted({e.lstrip(".") for e in MEDIA_TYPES}))
        raise ValidationError(f"{name}: the vault takes {kinds} files, not {extension or 'this'}")
    sniffed = next((types for magic, types in _MAGIC if head.startswith(magic)), None)
    if declared == "image/webp":
        if not (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
            raise ValidationError(f"{name} is not a WebP image")
        return declared
    if declared in _BINARY_TYPES:
        if sniffed is None or declared not in sniffed:
            raise ValidationError(f"{name} is not a {extension.lstrip('.')} file")
        return declared
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if sniffed is not None or (b"\x00" in head and not utf16):
        raise ValidationError(f"{name} is not a text file")
    return declared


def store_file(db_path: str | Path, source: str | Path) -> StoredFile:
    """Copy ``source`` into the vault (once: the same bytes are kept once) and return it.

    The copy is written to a temporary file, hashed as it is written, made read-only and
    renamed into place, so the vault never holds a partial file under a hash's name.

    Raises:
        ValidationError: missing, unreadable, empty, a folder, too large, or not a kind
            of file the vault takes.
        DiskFullError: the disk filled up (nothing is left behind).
    """
    source = Path(source)
    name = source.name
    try:
        info = source.stat()
    except OSError as exc:
        raise ValidationError(f"{source}: {exc.strerror or 'cannot be read'}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValidationError(f"{source} is not a file")
    if is_held_database_file(info):
        raise ValidationError(f"{name} is the workbench's own database, not evidence")
    if info.st_size == 0:
        raise ValidationError(f"{name} is empty")
    if info.st_size > MAX_VAULT_FILE_BYTES:
        limit = MAX_VAULT_FILE_BYTES // 2**20
        raise ValidationError(
            f"{name} is {info.st_size / 2**20:.0f} MB; the vault takes {limit} MB at most"
        )
    folder = vault_dir(db_path)
    try:
        with open_regular_file(source) as handle:
            head = handle.read(8192)
            kind = media_type(name, head)
            make_private_folder(folder)
            digest = hashlib.sha256(head)
            size = len(head)
            fd, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(head)
                    while chunk := handle.read(2**20):
                        digest.update(chunk)
                        size += len(chunk)
                        if size > MAX_VAULT_FILE_BYTES:
                            raise ValidationError(f"{name} grew past the vault's limit while read")
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                target = file_path(db_path, digest.hexdigest())
                if target.exists() and not _altered(target, digest.hexdigest()):
                    os.unlink(temporary)  # the same bytes are already kept
                else:  # new, or a kept copy that was altered: the good bytes replace it
                    target.parent.mkdir(mode=PRIVATE_FOLDER_MODE, exist_ok=True)
                    os.chmod(temporary, KEPT_FILE_MODE)
                    os.replace(temporary, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(f"the disk is full: {name} was not added to the vault") from None
        if exc.filename is not None and Path(os.fsdecode(exc.filename)).is_relative_to(folder):
            raise ValidationError(
                f"cannot write to the evidence vault {folder}: {exc.strerror or exc}"
            ) from None
        raise ValidationError(f"{name}: {exc.strerror or 'cannot be read'}") from None
    return StoredFile(digest.hexdigest(), size, kind, target)


def check_file(db_path: str | Path, sha256: str, size: int) -> str | None:
    """None if the vault's file is exactly the one recorded; else what is wrong with it."""
    try:
        path = file_path(db_path, sha256)
    except ValueError:  # a damaged or edited database
        return "its recorded hash is not a SHA-256, so it cannot be checked"
    try:
        if path.stat().st_size != size:
            return f"{sha256[:12]}… has been altered (its size changed)"
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(2**20):
                digest.update(chunk)
    except FileNotFoundError:
        return f"{sha256[:12]}… is missing from the vault"
    except OSError as exc:
        return f"{sha256[:12]}… cannot be read: {exc.strerror}"
    if digest.hexdigest() != sha256:
        return f"{sha256[:12]}… has been altered (its content no longer matches its hash)"
    return None


def open_verified(db_path: str | Path, sha256: str, size: int) -> bytes:
    """The bytes of a vault file, only if they are still exactly the ones recorded.

    Raises:
        ValidationError: the file is missing or altered (never returned then).
    """
    problem = check_file(db_path, sha256, size)
    if problem is not None:
        raise ValidationError(f"the vault's file {problem}")
    return file_path(db_path, sha256).read_bytes()


def _altered(path: Path, sha256: str) -> bool:
    """Whether the vault file at ``path`` no longer has the content its name says."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(2**20):
                digest.update(chunk)
    except OSError:
        return True  # a folder or a file that cannot be read where the file should be
    return digest.hexdigest() != sha256


def mirror(source: Path, target: Path, *, repair: bool = False) -> int:
    """Copy into the vault folder ``target`` every file of ``source`` it lacks; return how many.

    Used by backups (the database's vault into the backups' shared vault) and restores
    (back). Files are named by their hash and never change, so a file already there is
    the same file and is not copied again; with ``repair`` (a restore), one there is
    checked and replaced if it was altered. A source file whose content no longer
    matches its name is not copied (a backup never takes in an altered file).
    """
    copied = 0
    if not source.is_dir():
        return 0
    for folder in sorted(source.iterdir()):
        if not (folder.is_dir() and len(folder.name) == 2):
            continue
        for path in sorted(folder.iterdir()):
            name = path.name
            destination = target / folder.name / name
            if len(name) != 64 or not path.is_file():
                continue
            if destination.exists() and not (repair and _altered(destination, name)):
                continue
            make_private_folder(destination.parent)
            digest = hashlib.sha256()
            fd, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out, path.open("rb") as handle:
                    while chunk := handle.read(2**20):
                        digest.update(chunk)
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                if digest.hexdigest() != name:
                    os.unlink(temporary)
                    continue
                os.chmod(temporary, KEPT_FILE_MODE)
                os.replace(temporary, destination)
                copied += 1
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
    return copied
