"""The embedding index's files beside the database: memory-mapped arrays and a manifest.

:class:`workbench.semantic.EmbeddingIndex` keeps its arrays in a folder beside the
database (``workbench.db.index/``, see :func:`workbench.dbfile.index_folder`), so that
a new process maps them (``np.load(..., mmap_mode="r")``) instead of reading, decoding
and projecting every stored vector again. The folder is a cache: the database stays
the source of truth, and a missing, stale or damaged folder only costs a rebuild.

Each write adds files under a fresh random name, ``<token>.<array>.npy``, written with
plain writes (a full disk is an ``OSError``, not a crash in a memory map), flushed to
disk and never changed afterwards. ``manifest.json`` names the files that make the
index and the state of the database they reflect; it is written last, under a
temporary name, and moved into place with ``os.replace``, so a reader sees the old
index or the new one, never half of one. One process writes at a time (the ``lock``
file); once its manifest is in place it deletes the files no manifest names.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from workbench.dbfile import fsync_dir
from workbench.files import make_private_folder

__all__ = [
    "FORMAT_VERSION",
    "IndexFilesError",
    "IndexFolder",
    "Manifest",
    "RowFile",
    "SegmentFiles",
]

log = logging.getLogger("workbench.semantic")

FORMAT_VERSION = 1
"""Bumped when the files change meaning: an index of another format is rebuilt."""
MANIFEST_NAME = "manifest.json"
LOCK_NAME = "lock"
WRITE_CHUNK_ROWS = 65_536
"""Rows copied per write, so that writing a mapped array never holds it all in memory."""
_ARRAY_FILE = re.compile(r"([0-9a-f]{16})\.[a-z]+\.npy")
_TEMP_FILE = re.compile(r"\.manifest\.[0-9a-f]{16}\.tmp")


class IndexFilesError(Exception):
    """The index's files cannot be used: missing, truncated, damaged or of another format."""


@dataclass(frozen=True, slots=True)
class SegmentFiles:
    """One run of the index's rows, by ascending archive id, stored under ``token``."""

    token: str
    rows: int


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the files in the folder hold, and the database state they reflect.

    ``model``, ``rows`` and ``changes`` are the :class:`workbench.store.EmbeddingState`
    the index was in step with; ``database`` the identity (inode) of the file it was
    read from, so that a database replaced under the same name is never searched with
    the old one's index. ``basis`` names the principal-component files (None when the
    index searches the full vectors), fitted on ``fitted_rows`` vectors.
    """

    model: str
    dimensions: int
    width: int
    dtype: str
    rows: int
    changes: int
    database: int
    basis: str | None
    fitted_rows: int
    sources: dict[str, int]
    segments: tuple[SegmentFiles, ...]
    generation: str = field(default_factory=lambda: secrets.token_hex(8))
    format: int = FORMAT_VERSION

    def tokens(self) -> set[str]:
        """The tokens of every file this manifest names."""
        found = {s.token for s in self.segments}
        if self.basis is not None:
            found.add(self.basis)
        return found

    def to_json(self) -> str:
        data = asdict(self)
        data["segments"] = [asdict(s) for s in self.segments]
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Read a manifest, checking every field's type.

        Raises:
            IndexFilesError: it is not a manifest of this format.
        """
        try:
            data = json.loads(text)
            if data["format"] != FORMAT_VERSION:
                raise IndexFilesError(f"format {data['format']!r}, not {FORMAT_VERSION}")
            segments = tuple(
                SegmentFiles(_token(s["token"]), _count(s["rows"])) for s in data["segments"]
            )
            sources = {str(k): int(v) for k, v in dict(data["sources"]).items()}
            basis = data["basis"]
            return cls(
                model=str(data["model"]),
                dimensions=_count(data["dimensions"]),
                width=_count(data["width"]),
                dtype=str(np.dtype(data["dtype"])),
                rows=_count(data["rows"]),
                changes=int(data["changes"]),
                database=int(data["database"]),
                basis=None if basis is None else _token(basis),
                fitted_rows=_count(data["fitted_rows"]),
                sources=sources,
                segments=segments,
                generation=str(data["generation"]),
            )
        except IndexFilesError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as exc:  # JSONDecodeError too
            raise IndexFilesError(f"the manifest is damaged ({exc!r})") from exc


def _token(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{16}", value):
        raise ValueError(f"not a file token: {value!r}")
    return value


def _count(value: object) -> int:
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"not a count: {value!r}")
    return value


class IndexFolder:
    """The folder of one database's index: read its manifest, map, write and publish files."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"IndexFolder({str(self.path)!r})"

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(8)

    def read_manifest(self) -> Manifest | None:
        """The manifest in place, or None if there is none (no index was kept yet).

        Raises:
            IndexFilesError: the manifest cannot be read or is damaged.
        """
        try:
            text = (self.path / MANIFEST_NAME).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexFilesError(f"cannot read {MANIFEST_NAME} ({exc})") from exc
        return Manifest.from_json(text)

    def load(
        self, token: str, name: str, *, dtype: npt.DTypeLike, shape: tuple[int, ...]
    ) -> npt.NDArray[Any]:
        """Map one array read-only, checking its type, its shape and its file's length.

        Raises:
            IndexFilesError: the file is missing, truncated, longer or not that array.
        """
        path = self._file(token, name)
        try:
            array = np.load(path, mmap_mode="r", allow_pickle=False)
            size = path.stat().st_size
        except (OSError, ValueError, EOFError) as exc:
            raise IndexFilesError(f"cannot map {path.name} ({exc})") from exc
        if array.dtype != np.dtype(dtype) or array.shape != shape:
            raise IndexFilesError(
                f"{path.name} holds {array.dtype}{array.shape}, not {np.dtype(dtype)}{shape}"
            )
        offset = int(getattr(array, "offset", 0))
        if not isinstance(array, np.memmap) or size != offset + array.nbytes:
            raise IndexFilesError(f"{path.name} is {size:,} bytes, not {offset + array.nbytes:,}")
        return array

    def rows(
        self, token: str, name: str, *, dtype: npt.DTypeLike, shape: tuple[int, ...]
    ) -> RowFile:
        """Open one array to be read a few rows at a time (see :class:`RowFile`), checked
        as :meth:`load` checks it.

        Raises:
            IndexFilesError: the file is missing, truncated, longer or not that array.
        """
        mapped = self.load(token, name, dtype=dtype, shape=shape)
        offset = int(getattr(mapped, "offset", 0))
        del mapped
        try:
            return RowFile(self._file(token, name), dtype=dtype, shape=shape, offset=offset)
        except OSError as exc:
            raise IndexFilesError(f"cannot open {token}.{name}.npy ({exc})") from exc

    def write(
        self,
        token: str,
        name: str,
        parts: Iterable[npt.NDArray[Any] | RowFile],
        *,
        dtype: npt.DTypeLike,
        shape: tuple[int, ...],
    ) -> None:
        """Write one array, given in parts along its first axis, as a new ``.npy`` file.

        Plain writes, then ``fsync``: the file is complete on disk before any manifest
        names it.

        Raises:
            OSError: the file cannot be written (read-only folder, full disk).
        """
        kind = np.dtype(dtype)
        path = self._file(token, name)
        header = {
            "descr": np.lib.format.dtype_to_descr(kind),
            "fortran_order": False,
            "shape": shape,
        }
        rows = 0
        with path.open("xb") as fh:
            np.lib.format.write_array_header_1_0(fh, header)
            for part in parts:
                for start in range(0, len(part), WRITE_CHUNK_ROWS):
                    block = np.ascontiguousarray(part[start : start + WRITE_CHUNK_ROWS], kind)
                    fh.write(block.data)
                    rows += len(block)
            if rows != (shape[0] if shape else 1):
                raise ValueError(f"{name}: {rows} rows written, the header says {shape}")
            fh.flush()
            os.fsync(fh.fileno())

    def publish(self, manifest: Manifest) -> None:
        """Put ``manifest`` in place atomically: readers see it whole or not at all.

        Raises:
            OSError: it cannot be written.
        """
        temp = self.path / f".manifest.{self.new_token()}.tmp"
        try:
            with temp.open("x", encoding="utf-8") as fh:
                fh.write(manifest.to_json())
                fh.flush()
                os.fsync(fh.fileno())
            for attempt in range(5):
                try:
                    os.replace(temp, self.path / MANIFEST_NAME)
                    break
                except PermissionError:  # Windows: a reader has it open this instant
                    if attempt == 4:
                        raise
                    time.sleep(0.05)
        finally:
            temp.unlink(missing_ok=True)
        fsync_dir(self.path)

    def remove_unused(self, keep: set[str]) -> None:
        """Delete array files whose token is not in ``keep``, and leftover temporary files.

        Call only with the writer lock held (:meth:`writing`): another writer's files
        are not yet named by any manifest. A file still mapped by a reader stays
        readable (POSIX); where it cannot be deleted (Windows), the next writer tries again.
        """
        try:
            entries = list(self.path.iterdir())
        except OSError:
            return
        for entry in entries:
            match = _ARRAY_FILE.fullmatch(entry.name)
            unused = match is not None and match[1] not in keep
            if unused or _TEMP_FILE.fullmatch(entry.name):
                with contextlib.suppress(OSError):
                    entry.unlink()

    def remove_files(self, token: str) -> None:
        """Delete the files written under ``token`` (a write that failed half way)."""
        for entry in self.path.glob(f"{token}.*.npy"):
            with contextlib.suppress(OSError):
                entry.unlink()

    @contextlib.contextmanager
    def writing(self, *, wait: float) -> Iterator[bool]:
        """Hold the folder's writer lock for the block; yields False if another process
        kept it for ``wait`` seconds. The folder is created if needed.

        Raises:
            OSError: the folder or its lock file cannot be created (read-only disk).
        """
        make_private_folder(self.path)
        fd = os.open(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + wait
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
            try:
                yield True
            finally:
                _unlock(fd)
        finally:
            os.close(fd)

    def _file(self, token: str, name: str) -> Path:
        return self.path / f"{token}.{name}.npy"


class RowFile:
    """The rows of a ``.npy`` array, read from the file when asked rather than mapped.

    For the stored vectors, of which a search reads a few hundred rows here and there:
    every page of a mapped file a process touches counts in its memory (a large folio
    of the page cache, up to 2 MB, around each row), so that reading 3,000 rows of a
    384 MB mapping showed all 384 MB in the process's memory; read, they stay in the
    page cache. Indexing takes a slice or an array of row numbers, like an array's.
    """

    def __init__(
        self, path: Path, *, dtype: npt.DTypeLike, shape: tuple[int, ...], offset: int
    ) -> None:
        self.path = path
        self.dtype = np.dtype(dtype)
        self.shape = shape
        self._offset = offset
        self._row_bytes = int(np.prod(shape[1:], dtype=np.int64)) * self.dtype.itemsize
        self._lock = threading.Lock()  # for seek + read where there is no pread
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))

    def __del__(self) -> None:
        with contextlib.suppress(AttributeError, OSError):
            os.close(self._fd)

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def nbytes(self) -> int:
        return self._row_bytes * self.shape[0]

    def __getitem__(self, key: slice | npt.NDArray[np.integer[Any]]) -> npt.NDArray[Any]:
        tail = self.shape[1:]
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1:
                raise ValueError("a RowFile reads contiguous slices only")
            count = max(stop - start, 0)
            data = self._read(start, count)
            return np.frombuffer(data, self.dtype).reshape((count, *tail))
        rows = np.asarray(key, dtype=np.int64).reshape(-1)
        if rows.size and (rows.min() < 0 or rows.max() >= len(self)):
            raise IndexError(f"row out of range for {self.path.name}")
        out = np.empty((rows.size, self._row_bytes), dtype=np.uint8)
        for n, row in enumerate(rows.tolist()):
            out[n] = np.frombuffer(self._read(row, 1), dtype=np.uint8)
        return out.view(self.dtype).reshape((rows.size, *tail))

    def _read(self, row: int, count: int) -> bytes:
        size, at = count * self._row_bytes, self._offset + row * self._row_bytes
        if hasattr(os, "pread"):
            data = os.pread(self._fd, size, at)
        else:  # Windows
            with self._lock:
                os.lseek(self._fd, at, os.SEEK_SET)
                data = os.read(self._fd, size)
        if len(data) != size:
            raise OSError(f"{self.path.name} was cut short while in use")
        return data


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
