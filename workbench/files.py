"""Opening a file the user named without waiting on what it may have become, and making
the files that hold the user's work readable by the user alone."""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO


def open_regular_file(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for reading, checked to be a regular file once open.

    Callers check the file with ``stat`` first (its kind, its size, that it is not the
    open database); by the time it is opened it may be another thing, and opening a
    file swapped for a named pipe waits for a writer for ever. It is opened without
    blocking and checked again on the descriptor.

    Raises:
        OSError: it cannot be opened, or it is no longer a regular file (``EINVAL``).
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "it is no longer a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


PRIVATE_FOLDER_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
KEPT_FILE_MODE = 0o400
"""A file in the vault: read-only, and the user's alone."""


def make_private_folder(path: str | os.PathLike[str]) -> None:
    """Create the folder ``path`` if missing (and its missing parents), readable by the
    user alone: databases, the vault and backups hold notes, evidence and sources that
    other accounts on a shared machine must not read. An existing folder is left as it is.

    Raises:
        OSError: it cannot be created.
    """
    os.makedirs(path, mode=PRIVATE_FOLDER_MODE, exist_ok=True)


def create_private_file(path: str | os.PathLike[str]) -> bool:
    """Create ``path`` empty, readable and writable by the user alone, unless it exists
    (SQLite then gives its ``-wal`` and ``-shm`` files the same mode); True if created.

    Raises:
        OSError: it cannot be created.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True
