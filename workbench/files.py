"""Opening a file the user named without waiting on what it may have become."""

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
