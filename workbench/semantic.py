"""Semantic matching: sentence embeddings of the archive and a nearest-neighbour search.

Word overlap misses a claim said in other words. Each past check gets an embedding
from the bundled sentence encoder (``resources/models/encoder``, all-MiniLM-L6-v2
run by onnxruntime); :func:`embed_archive` computes the missing ones in batches, each
batch its own transaction, so it can run in the background, be cancelled and resume.

Vectors are stored in the database as int8 with one float32 scale per vector (388
bytes for 384 dimensions; cosines within about 0.002 of the float ones). The database
is the source of truth; for search, :class:`EmbeddingIndex` holds them with their
projection on 128 principal components (a matrix product over those picks the
candidates, their exact cosines rank them) and keeps all of it beside the database, in
``<database>.index/`` (:mod:`workbench.index_files`): numpy files that a new process
maps (``mmap_mode="r"``) rather than reading, decoding and projecting every vector
again, and a manifest naming the embedding state they reflect
(:class:`workbench.store.EmbeddingState`), the encoder and the database file. Against
a million past checks, a new process answered its first match in 14 s with 1.7 GB of
memory when it built the index itself; it maps it in 0.05 s and answers in 0.6 s with
0.65 GB (``benchmarks/matching_speed.py``). An index then reads from the database
only the vectors added since (and writes them beside the others once there are
enough); a vector replaced or removed, another encoder or another database file means
a rebuild. Files are written under new names and the manifest replaced last, so a
reader never sees half an index; a folder that cannot be written (read-only, full
disk) leaves the index in memory, as it always was, with a warning in the log.
Deleting the folder only costs a rebuild.

Until the archive's embeddings exist, matching stays lexical:
:func:`semantic_status` says how far they are.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from workbench.dbfile import LOW_DISK_BYTES
from workbench.errors import CancelledError
from workbench.index_files import IndexFilesError, IndexFolder, Manifest, RowFile, SegmentFiles

if TYPE_CHECKING:
    from workbench.nlp.encoder import SentenceEncoder
    from workbench.store import EmbeddingState, Store

__all__ = [
    "EMBED_BATCH",
    "EmbedReport",
    "EmbeddingIndex",
    "SemanticStatus",
    "VectorSource",
    "decode_vectors",
    "embed_archive",
    "encode_vectors",
    "encoder_id",
    "load_encoder",
    "semantic_status",
]

log = logging.getLogger("workbench.semantic")

EMBED_BATCH = 256
"""Past checks embedded, and committed, per step of :func:`embed_archive`."""
LOAD_CHUNK = 50_000
"""Vectors read from the database per query when an index loads."""
PCA_MIN_VECTORS = 20_000
"""From this many vectors on, the index searches in a reduced space first."""
REDUCED_DIMENSIONS = 128
"""Dimensions of that space (81 % of the variance of the LIAR archive's vectors)."""
COARSE_CANDIDATES = 100
"""Candidates per query taken from the reduced space and ranked by exact cosine."""
PCA_SAMPLE = 50_000
"""At most this many vectors (evenly spaced) fit the principal components."""
REDUCED_DTYPE = np.float32
"""How the index holds the vectors' components: float32, multiplied where they lie (a
mapped file included). float16 would halve their memory, but converting a million rows
for each search took 0.5 s here, ten times the product itself."""
PERSIST_TAIL_ROWS = 5_000
"""Vectors added since the index was kept on disk that are written as a new part of
it; fewer are read again from the database by each new process (a few milliseconds)."""
LOCK_WAIT_S = 120.0
"""How long a process waits for another one that builds the same index, rather than
build its own in memory."""
MAX_SMALL_PARTS = 8
"""Parts of fewer than :data:`LOAD_CHUNK` rows an index holds in memory before joining them."""
FINGERPRINT_ROWS = 64
"""Vectors of a kept index compared byte for byte with the database's before it is used."""

FloatMatrix = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float32]


# -- the encoder --------------------------------------------------------------------------


def load_encoder(
    make: Callable[[], SentenceEncoder] | None = None,
) -> tuple[SentenceEncoder | None, str]:
    """The sentence encoder ``make`` gives (the bundled one by default) and a sentence
    saying so; None and why (logged) if it cannot load.

    Each call loads it anew: :meth:`workbench.engine.Engine.encoder` keeps the process's.
    """
    from workbench.nlp.encoder import ModelLoadError, SentenceEncoder

    try:
        encoder = (make or SentenceEncoder)()
    except ModelLoadError as error:
        message = f"the sentence encoder is unavailable ({error}); matching is lexical only"
        log.warning("%s", message)
        return None, message
    return encoder, f"sentence encoder loaded from {encoder.directory}"


@functools.cache
def _file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:16]


RUNTIME_VERSION = 2
"""Bumped when :mod:`workbench.nlp.encoder` computes vectors differently from the same
file (2: batches of equal token length, no SkipLayerNormalization fusion), so that
vectors stored before are computed again rather than mixed with new ones."""


def encoder_id(encoder: SentenceEncoder) -> str:
    """Names the exact encoder that made a vector: vectors of two encoders never mix."""
    digest = _file_digest(encoder.directory / "model.onnx")
    return f"{encoder.directory.name}:{encoder.dimensions}:{digest}:r{RUNTIME_VERSION}"


# -- storage format -----------------------------------------------------------------------


def encode_vectors(vectors: FloatMatrix) -> list[bytes]:
    """Unit vectors as int8 blobs, each prefixed by its float32 scale."""
    matrix = np.asarray(vectors, dtype=np.float32)
    scales = np.maximum(np.abs(matrix).max(axis=1), 1e-12) / 127.0
    quantised = np.clip(np.rint(matrix / scales[:, None]), -127, 127).astype(np.int8)
    prefix = scales.astype("<f4").reshape(-1, 1).view(np.uint8)
    rows = np.concatenate([prefix, quantised.view(np.uint8)], axis=1)
    return [row.tobytes() for row in rows]


def decode_vectors(blobs: Sequence[bytes], dimensions: int) -> FloatMatrix:
    """The unit vectors of :func:`encode_vectors` blobs, as an (n, dimensions) float32 matrix.

    Raises:
        ValueError: a blob has the wrong length for ``dimensions``.
    """
    codes, scales = _split_blobs(blobs, dimensions)
    matrix = codes.astype(np.float32) * scales[:, None]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: FloatMatrix = matrix / np.maximum(norms, 1e-12)
    return unit


def _split_blobs(
    blobs: Sequence[bytes], dimensions: int
) -> tuple[npt.NDArray[np.int8], FloatArray]:
    """The int8 codes, (n, dimensions), and float32 scales, (n,), of stored vectors."""
    width = 4 + dimensions
    raw = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    if raw.size != width * len(blobs):
        raise ValueError(f"stored vectors are not {dimensions}-dimensional")
    raw = raw.reshape(len(blobs), width)
    scales = raw[:, :4].copy().view("<f4").reshape(-1).astype(np.float32)
    return raw[:, 4:].view(np.int8).copy(), scales


# -- embedding the archive ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmbedReport:
    """What :func:`embed_archive` did: vectors stored, how long it took, how many remain."""

    embedded: int
    seconds: float
    remaining: int

    @property
    def rate(self) -> float:
        """Past checks embedded per second."""
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


def embed_archive(
    store: Store,
    encoder: SentenceEncoder | None = None,
    *,
    batch_size: int = EMBED_BATCH,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> EmbedReport:
    """Compute and store the missing embeddings of the archive's past checks.

    Each batch is embedded and then stored in its own short transaction, so the work
    can be stopped at any point (``cancel()`` returning True raises
    :class:`CancelledError` between batches, keeping what is stored) and picked up
    again later. ``progress(done, total)`` counts the past checks missing at the start.

    Raises:
        workbench.nlp.encoder.ModelLoadError: no ``encoder`` was given and the bundled
            one cannot load (loaded anew: pass the engine's,
            :meth:`workbench.engine.Engine.encoder`).
    """
    if encoder is None:
        from workbench.nlp.encoder import ModelLoadError

        encoder, message = load_encoder()
        if encoder is None:
            raise ModelLoadError(message)
    model = encoder_id(encoder)
    started = time.perf_counter()
    total = max(store.archive_count() - _stored_rows(store, model), 0)
    done = 0
    after = 0
    if progress is not None:
        progress(0, total)
    while True:
        if cancel is not None and cancel():
            raise CancelledError(f"embedding stopped after {done:,} past checks; the rest can wait")
        batch = store.archive_texts_to_embed(model, limit=batch_size, after_id=after)
        if not batch:
            break
        vectors = encoder.embed([text for _, text in batch])
        blobs = encode_vectors(vectors)
        store.save_archive_embeddings(
            model, [(i, text, blob) for (i, text), blob in zip(batch, blobs, strict=True)]
        )
        after = batch[-1][0]
        done += len(batch)
        if progress is not None:
            progress(min(done, total) if total else done, max(total, done))
    seconds = time.perf_counter() - started
    remaining = max(store.archive_count() - _stored_rows(store, model), 0)
    log.info("embedded %d past checks in %.1f s (%d remain)", done, seconds, remaining)
    return EmbedReport(done, seconds, remaining)


def _stored_rows(store: Store, model: str) -> int:
    state = store.embedding_state()
    return state.rows if state.model == model else 0


@dataclass(frozen=True, slots=True)
class SemanticStatus:
    """Whether matching can use embeddings, and a sentence a user can read."""

    available: bool
    embedded: int
    total: int
    message: str

    @property
    def complete(self) -> bool:
        return self.available and self.embedded >= self.total


def semantic_status(store: Store, encoder: SentenceEncoder | None = None) -> SemanticStatus:
    """How far the archive's embeddings are: matching is semantic only where they exist.

    Without an ``encoder`` the bundled one is loaded anew:
    :meth:`workbench.engine.Engine.semantic_status` uses the engine's.
    """
    problem = ""
    if encoder is None:
        encoder, problem = load_encoder()
    total = store.archive_count()
    if encoder is None:
        return SemanticStatus(False, 0, total, problem)
    embedded = min(_stored_rows(store, encoder_id(encoder)), total)
    if total == 0:
        return SemanticStatus(True, 0, 0, "the archive is empty")
    if embedded >= total:
        return SemanticStatus(True, embedded, total, "matching is semantic and lexical")
    if embedded == 0:
        message = (
            f"matching is lexical until the archive's embeddings are computed (0 of {total:,} done)"
        )
    else:
        message = (
            f"matching is semantic for {embedded:,} of {total:,} past checks;"
            " the rest are found by their words until their embeddings are computed"
        )
    return SemanticStatus(embedded > 0, embedded, total, message)


# -- the index ----------------------------------------------------------------------------


class VectorSource(Protocol):
    """Where an :class:`EmbeddingIndex` reads its vectors and their state.

    A :class:`~workbench.store.Store` is the archive's; the evidence library's passage
    vectors come through :meth:`~workbench.store.Store.library_vectors`, under the same
    names (the archive's index came first).
    """

    path: Path

    def embedding_state(self) -> EmbeddingState: ...

    def archive_embeddings(
        self, *, after_id: int = 0, limit: int = 50_000
    ) -> list[tuple[int, bytes]]: ...

    def archive_embeddings_by_id(self, ids: Iterable[int]) -> dict[int, bytes]: ...

    def archive_ids_by_source(self, *, after_id: int = 0) -> dict[str, list[int]]: ...


@dataclass(frozen=True, slots=True)
class _Segment:
    """A run of the index's rows, by ascending archive id, in memory or mapped from files.

    ``reduced`` holds the rows in the search space (None until projected); ``token``
    names the files they are mapped from (None while they are held in memory only).
    """

    ids: npt.NDArray[np.int64]
    codes: npt.NDArray[np.int8] | RowFile
    scales: FloatArray
    sources: npt.NDArray[np.int32]
    reduced: npt.NDArray[np.floating[Any]] | None = None
    token: str | None = None

    def __len__(self) -> int:
        return int(self.ids.size)

    @property
    def nbytes(self) -> int:
        arrays = (self.ids, self.codes, self.scales, self.sources, self.reduced)
        return sum(int(a.nbytes) for a in arrays if a is not None)


def _stop_if(cancel: Callable[[], bool] | None) -> None:
    """Raise :class:`CancelledError` if ``cancel()`` says so (see ``EmbeddingIndex.refresh``)."""
    if cancel is not None and cancel():
        raise CancelledError("the embedding index stopped; it goes on next time")


class EmbeddingIndex:
    """The archive's vectors, for nearest-neighbour search; kept in ``folder`` if given.

    The vectors are kept as stored (int8 and a scale each, 388 bytes). A small index is
    searched exactly, against a float32 copy. From :data:`PCA_MIN_VECTORS` on, the
    search has two stages: a matrix product in a :data:`REDUCED_DIMENSIONS`-dimensional
    principal-component space (fitted on the archive's own vectors) picks
    :data:`COARSE_CANDIDATES` per query, and their exact cosines from the stored
    vectors rank them. On real archive vectors the coarse stage keeps 99 % of the exact
    top 30; it reads a third of the memory, which is what bounds the time.

    With a ``folder`` (:meth:`workbench.engine.Engine.index_for` gives the one beside
    the database), the
    arrays are written there once built (:mod:`workbench.index_files`) and a new index
    maps them instead of reading and projecting every vector again; vectors added
    since are read from the database and, from :data:`PERSIST_TAIL_ROWS` on, written
    as a new part. A folder that cannot be written leaves the index in memory, with a
    warning in the log. Without a folder the index lives in memory only.

    Thread-safe: :meth:`refresh` and :meth:`search` may be called from several workers.
    """

    def __init__(self, dimensions: int, *, folder: Path | None = None) -> None:
        self.dimensions = dimensions
        self.folder = IndexFolder(folder) if folder is not None else None
        self._writable = folder is not None
        self._lock = threading.Lock()
        self._clear("", -1, 0)

    def __len__(self) -> int:
        return int(self.ids.size)

    @property
    def nbytes(self) -> int:
        """Bytes of the index's arrays, in memory or mapped from its folder."""
        return sum(s.nbytes for s in self._segments)

    @property
    def persisted(self) -> bool:
        """True when every vector of the index is mapped from its folder."""
        return all(s.token is not None for s in self._segments) and self._kept is not None

    def refresh(
        self, store: VectorSource, model: str, *, cancel: Callable[[], bool] | None = None
    ) -> None:
        """Bring the index in step with ``store``: new vectors only, unless some changed.

        A new index first maps the files kept in its folder, if they reflect this
        database, this encoder and no vector replaced or removed since.

        ``cancel()`` is asked between the chunks of vectors read (a million take tens
        of seconds to read again), before and after fitting the principal components,
        and between the blocks projected and the files written to keep them; once it
        returns True, :class:`CancelledError` is raised, the index holding what it held
        or nothing, and the next refresh reads what is missing.
        """
        with self._lock:
            state = store.embedding_state()
            database = _database_identity(store.path)
            if state.model != model:  # no vector of this encoder yet
                self._clear(model, state.changes, database)
                return
            if not self._continues(state, model, database):
                self._clear(model, state.changes, database)
                self._open_kept(store, state)
            if len(self) == state.rows:
                return
            started = time.perf_counter()
            try:
                if len(self) and self._catch_up(store, cancel):
                    self._settle(locked=False, cancel=cancel)
                else:
                    self._rebuild(store, model, database, cancel)
            except CancelledError:
                if any(s.reduced is None for s in self._segments):  # read, not searchable
                    self._clear(model, state.changes, database)
                raise
            seconds = time.perf_counter() - started
            log.info("embedding index: %d vectors (%.2f s)", len(self), seconds)

    def _continues(self, state: EmbeddingState, model: str, database: int) -> bool:
        """Whether the index holds some of ``state``'s vectors and nothing else."""
        return (
            self.model == model
            and self._changes == state.changes
            and self._database == database
            and len(self) <= state.rows
        )

    def _clear(self, model: str, changes: int, database: int) -> None:
        self.model = model
        self._changes = changes
        """``changes`` of the embedding state the rows were read at; -1 if unknown."""
        self._database = database
        self._segments: tuple[_Segment, ...] = ()
        self._starts = np.zeros(1, dtype=np.int64)
        self.ids: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.sources: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._source_codes: dict[str, int] = {}
        self.basis: FloatMatrix | None = None
        self.mean: FloatArray = np.zeros(self.dimensions, dtype=np.float32)
        self._fitted_rows = 0
        self._kept: Manifest | None = None
        """The manifest in the folder that the mapped segments come from."""

    def _set_segments(self, segments: Sequence[_Segment]) -> None:
        self._segments = tuple(s for s in segments if len(s))
        sizes = [len(s) for s in self._segments]
        self._starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).astype(np.int64)
        if len(self._segments) == 1:
            self.ids, self.sources = self._segments[0].ids, self._segments[0].sources
        elif self._segments:
            self.ids = np.concatenate([s.ids for s in self._segments])
            self.sources = np.concatenate([s.sources for s in self._segments])
        else:
            self.ids = np.zeros(0, dtype=np.int64)
            self.sources = np.zeros(0, dtype=np.int32)

    # -- reading the database

    def _catch_up(self, store: VectorSource, cancel: Callable[[], bool] | None = None) -> bool:
        """Read the vectors stored after the last one held; False if that cannot be enough.

        It is not when vectors were replaced or removed meanwhile, or one was added with
        a lower id (a past check embedded late): then the index must read them all.
        """
        for _ in range(3):
            parts = self._read_rows(
                store, after=int(self.ids[-1]) if len(self) else 0, cancel=cancel
            )
            self._set_segments([*self._segments, *parts])
            state = store.embedding_state()
            if state.model != self.model or state.changes != self._changes:
                return False
            if len(self) == state.rows:
                return True
            if len(self) > state.rows:
                return False
        return False

    def _read_rows(
        self, store: VectorSource, *, after: int, cancel: Callable[[], bool] | None = None
    ) -> list[_Segment]:
        """The stored vectors with ids above ``after``, not yet projected.

        One part per :data:`LOAD_CHUNK` rows read, never joined into one array: a million
        vectors would need twice their memory for a moment.
        """
        parts: list[_Segment] = []
        start = after
        while rows := store.archive_embeddings(after_id=start, limit=LOAD_CHUNK):
            _stop_if(cancel)
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            codes, scales = _split_blobs([r[1] for r in rows], self.dimensions)
            parts.append(_Segment(ids, codes, scales, np.full(len(ids), -1, dtype=np.int32)))
            start = rows[-1][0]
        if not parts:
            return []
        firsts = np.array([int(p.ids[0]) for p in parts], dtype=np.int64)
        for name, members in store.archive_ids_by_source(after_id=after).items():
            code = self._source_codes.setdefault(name, len(self._source_codes))
            wanted = np.asarray(members, dtype=np.int64)
            which = np.searchsorted(firsts, wanted, side="right") - 1
            for n in np.unique(which[which >= 0]):
                part, mine = parts[n], wanted[which == n]
                where = np.clip(np.searchsorted(part.ids, mine), 0, len(part) - 1)
                part.sources[where[part.ids[where] == mine]] = code
        return parts

    def _rebuild(
        self,
        store: VectorSource,
        model: str,
        database: int,
        cancel: Callable[[], bool] | None = None,
    ) -> None:
        """Read every vector again, and keep the result in the folder.

        The folder's writer lock is taken first: if another process is building the same
        index, this one waits for it and maps its files rather than build a second copy.
        """
        with contextlib.ExitStack() as stack:
            locked = False
            if self.folder is not None and self._writable:
                try:
                    locked = stack.enter_context(self.folder.writing(wait=LOCK_WAIT_S))
                except OSError as exc:
                    self._cannot_write(exc)
                else:
                    if not locked:
                        log.warning(
                            "another process kept %s locked for %.0f s; this one builds its"
                            " own embedding index in memory",
                            self.folder.path,
                            LOCK_WAIT_S,
                        )
            if locked:  # another process may have kept the index while this one waited
                state = store.embedding_state()
                self._clear(model, state.changes, database)
                if state.model != model:
                    return
                self._open_kept(store, state)
                if len(self) == state.rows:
                    return
                if len(self) and self._catch_up(store, cancel):
                    self._settle(locked=True, cancel=cancel)
                    return
            self._read_all(store, model, database, cancel)
            self._settle(locked=locked, cancel=cancel)

    def _read_all(
        self,
        store: VectorSource,
        model: str,
        database: int,
        cancel: Callable[[], bool] | None = None,
    ) -> None:
        for _ in range(3):
            state = store.embedding_state()
            self._clear(model, state.changes, database)
            if state.model != model or self._catch_up(store, cancel):
                return
        # Vectors kept being replaced while they were read: use them, read them all next time.
        log.info("the archive's vectors changed while the index read them")
        self._changes = -1

    # -- the files kept in the folder

    def _open_kept(self, store: VectorSource, state: EmbeddingState) -> None:
        """Map the index kept in the folder, if it is this database's, in step and sound."""
        if self.folder is None:
            return
        for attempt in range(2):
            try:
                manifest = self.folder.read_manifest()
                if manifest is None:
                    return
                stale = self._stale(manifest, state)
                if stale is None:
                    self._map(manifest)
                    stale = self._differs_from(store)
            except IndexFilesError as exc:
                # The first time, perhaps another process replaced it as it was read.
                self._clear(self.model, self._changes, self._database)
                if attempt:
                    log.warning(
                        "the embedding index in %s cannot be used (%s); it is built again",
                        self.folder.path,
                        exc,
                    )
                continue
            if stale is not None:
                self._clear(self.model, self._changes, self._database)
                log.info(
                    "the embedding index in %s is %s; it is built again", self.folder.path, stale
                )
            return

    def _stale(self, manifest: Manifest, state: EmbeddingState) -> str | None:
        """Why the index ``manifest`` describes cannot serve ``state``; None if it can."""
        width = self.dimensions if manifest.basis is None else REDUCED_DIMENSIONS
        if manifest.model != self.model or manifest.dimensions != self.dimensions:
            return "another encoder's"
        if manifest.database != self._database:
            return "another database file's"
        if manifest.changes != state.changes or manifest.rows > state.rows:
            return "older than vectors replaced or removed since"
        if manifest.dtype != np.dtype(REDUCED_DTYPE).name or manifest.width != width:
            return "of another layout"
        if (manifest.basis is None) != (manifest.rows < PCA_MIN_VECTORS):
            return "of another layout"
        if sum(s.rows for s in manifest.segments) != manifest.rows or not all(
            s.rows for s in manifest.segments
        ):
            return "damaged (its parts do not add up)"
        return None

    def _map(self, manifest: Manifest) -> None:
        """Map the files ``manifest`` names, checking each.

        Raises:
            IndexFilesError: a file is missing, truncated or inconsistent.
        """
        assert self.folder is not None
        segments = [self._map_segment(s.token, s.rows, manifest.width) for s in manifest.segments]
        if manifest.basis is not None:
            dims, width = self.dimensions, manifest.width
            basis = self.folder.load(manifest.basis, "basis", dtype=np.float32, shape=(dims, width))
            mean = self.folder.load(manifest.basis, "mean", dtype=np.float32, shape=(dims,))
            self.basis, self.mean = np.array(basis), np.array(mean)
        last = 0
        for segment in segments:
            if segment.ids[0] <= last or np.any(np.diff(segment.ids) <= 0):
                raise IndexFilesError("its archive ids are out of order")
            last = int(segment.ids[-1])
            if segment.sources.min() < -1 or segment.sources.max() >= len(manifest.sources):
                raise IndexFilesError("its collections are out of range")
        self._set_segments(segments)
        self._source_codes = dict(manifest.sources)
        self._fitted_rows = manifest.fitted_rows
        self._kept = manifest

    def _map_segment(self, token: str, rows: int, width: int) -> _Segment:
        assert self.folder is not None
        load, dims = self.folder.load, self.dimensions
        return _Segment(
            ids=load(token, "ids", dtype=np.int64, shape=(rows,)),
            codes=self.folder.rows(token, "codes", dtype=np.int8, shape=(rows, dims)),
            scales=load(token, "scales", dtype=np.float32, shape=(rows,)),
            sources=load(token, "sources", dtype=np.int32, shape=(rows,)),
            reduced=load(token, "reduced", dtype=REDUCED_DTYPE, shape=(rows, width)),
            token=token,
        )

    def _differs_from(self, store: VectorSource) -> str | None:
        """Compare a sample of the mapped vectors with the database's, byte for byte.

        Catches an index that does not belong to this database although the counts
        agree (another file copied over this one, keeping its name and inode).
        """
        rows = np.unique(np.linspace(0, len(self) - 1, FINGERPRINT_ROWS).astype(np.int64))
        codes, scales = self._gather(self._segments, self._starts, rows)
        stored = store.archive_embeddings_by_id(int(i) for i in self.ids[rows])
        for n, archive_id in enumerate(self.ids[rows]):
            mine = scales[n : n + 1].astype("<f4").tobytes() + codes[n].tobytes()
            if stored.get(int(archive_id)) != mine:
                return "another database's (its vectors differ)"
        return None

    def _settle(self, *, locked: bool, cancel: Callable[[], bool] | None = None) -> None:
        """Project the rows read since the last time, refit if due, keep what is due on disk.

        The principal components are fitted when the index reaches
        :data:`PCA_MIN_VECTORS` vectors, and again whenever the parts kept on disk are
        merged into one (each time the index has grown by half), so that they follow
        the archive as it grows.
        """
        plan = self._write_plan()
        with contextlib.ExitStack() as stack:
            if plan is not None and not locked:
                assert self.folder is not None
                try:
                    locked = stack.enter_context(self.folder.writing(wait=0.0))
                except OSError as exc:
                    self._cannot_write(exc)
                if not locked:  # another process is writing: in memory this time
                    plan = None
            refit = plan is not None and plan[1]
            if len(self) >= PCA_MIN_VECTORS and (self.basis is None or refit):
                _stop_if(cancel)
                self._fit_basis()
                _stop_if(cancel)
                self._kept = None
                self._set_segments([replace(s, reduced=None, token=None) for s in self._segments])
                plan = self._write_plan() if locked else None
            if plan is not None and self._write(plan[0], cancel):
                return
        segments = [
            s if s.reduced is not None else replace(s, reduced=self._project(s, cancel))
            for s in self._segments
        ]
        # Many small parts held in memory (each refresh adds one) become one.
        small = 0
        while small < len(segments) and _is_small(segments[-1 - small]):
            small += 1
        if small > MAX_SMALL_PARTS:
            segments[-small:] = [_joined(segments[-small:])]
        self._set_segments(segments)

    def _write_plan(self) -> tuple[int, bool] | None:
        """What to write: keep the first ``k`` parts and write the rest as one, refitting
        first if that is all of them; None if nothing is due."""
        if self.folder is None or not self._writable or self._changes < 0:
            return None
        unwritten = sum(len(s) for s in self._segments if s.token is None)
        if not unwritten:
            return None
        kept = [s.token for s in self._segments if s.token is not None]
        leading = [s.token for s in self._segments[: len(kept)]]
        if self._kept is None or kept != leading or kept != [s.token for s in self._kept.segments]:
            return 0, False
        if unwritten < PERSIST_TAIL_ROWS:
            return None
        sizes = [len(s) for s in self._segments[: len(kept)]]
        k, merged = len(sizes), unwritten
        while k and sizes[k - 1] <= 2 * merged:  # merge parts of like size: few parts, and
            k -= 1  # each row rewritten a few times (log n) as the index grows
            merged += sizes[k]
        return k, k == 0

    def _write(self, k: int, cancel: Callable[[], bool] | None = None) -> bool:
        """Write the parts from the ``k``-th on as one, then the manifest; False if not done.

        The caller holds the folder's writer lock. Parts are added only onto the
        manifest in place: if another process has replaced it since this index read it,
        the rows stay in memory (a new process maps the other one and reads the rest).
        """
        folder = self.folder
        assert folder is not None
        kept = self._kept if k else None
        if k and (kept is None or _quiet_generation(folder) != kept.generation):
            return False
        rest = self._segments[k:]
        rows = sum(len(s) for s in rest)
        dims = self.dimensions
        width = dims if self.basis is None else self.basis.shape[1]
        token = folder.new_token()
        try:
            _check_space(folder.path, rows * (16 + dims + width * np.dtype(REDUCED_DTYPE).itemsize))
            folder.write(token, "ids", (s.ids for s in rest), dtype=np.int64, shape=(rows,))
            _stop_if(cancel)
            folder.write(token, "codes", (s.codes for s in rest), dtype=np.int8, shape=(rows, dims))
            _stop_if(cancel)
            folder.write(token, "scales", (s.scales for s in rest), dtype=np.float32, shape=(rows,))
            folder.write(token, "sources", (s.sources for s in rest), dtype=np.int32, shape=(rows,))
            reduced = (block for s in rest for block in self._projected(s, cancel))
            folder.write(token, "reduced", reduced, dtype=REDUCED_DTYPE, shape=(rows, width))
            basis = kept.basis if kept is not None else None
            if kept is None and self.basis is not None:
                basis = token
                folder.write(token, "basis", [self.basis], dtype=np.float32, shape=(dims, width))
                folder.write(token, "mean", [self.mean], dtype=np.float32, shape=(dims,))
            manifest = Manifest(
                model=self.model,
                dimensions=dims,
                width=width,
                dtype=np.dtype(REDUCED_DTYPE).name,
                rows=len(self),
                changes=self._changes,
                database=self._database,
                basis=basis,
                fitted_rows=self._fitted_rows,
                sources=dict(self._source_codes),
                segments=(
                    *(kept.segments[:k] if kept is not None else ()),
                    SegmentFiles(token, rows),
                ),
            )
            written = self._map_segment(token, rows, width)
            folder.publish(manifest)
        except CancelledError:
            folder.remove_files(token)
            raise
        except (OSError, IndexFilesError, ValueError) as exc:
            folder.remove_files(token)
            self._cannot_write(exc)
            return False
        folder.remove_unused(manifest.tokens())
        self._set_segments([*self._segments[:k], written])
        self._kept = manifest
        log.info("embedding index: %d vectors kept in %s", rows, folder.path)
        return True

    def _cannot_write(self, error: Exception) -> None:
        self._writable = False
        log.warning(
            "the embedding index cannot be kept in %s (%s); it is held in memory and built"
            " again by each new process",
            self.folder.path if self.folder is not None else "memory",
            error,
        )

    # -- the search space

    def _fit_basis(self) -> None:
        """Principal components of (an even sample of) the vectors, strongest first."""
        step = max(1, len(self) // PCA_SAMPLE)
        codes, scales = self._gather(self._segments, self._starts, np.arange(0, len(self), step))
        sample = _decode(codes, scales)
        self.mean = sample.mean(axis=0, dtype=np.float32)
        covariance = np.cov(sample - self.mean, rowvar=False)
        _, vectors = np.linalg.eigh(covariance)  # ascending eigenvalues
        self.basis = np.ascontiguousarray(vectors[:, ::-1][:, :REDUCED_DIMENSIONS], np.float32)
        self._fitted_rows = len(self)

    def _projected(
        self, segment: _Segment, cancel: Callable[[], bool] | None = None
    ) -> Iterator[npt.NDArray[np.floating[Any]]]:
        """A segment's rows in the search space, by blocks: the vectors, or their components."""
        if segment.reduced is not None:
            yield segment.reduced
            return
        for at in range(0, len(segment), LOAD_CHUNK):
            _stop_if(cancel)
            block = _decode(
                segment.codes[at : at + LOAD_CHUNK], segment.scales[at : at + LOAD_CHUNK]
            )
            if self.basis is not None:
                yield ((block - self.mean) @ self.basis).astype(REDUCED_DTYPE, copy=False)
            else:
                yield block.astype(REDUCED_DTYPE, copy=False)

    def _project(
        self, segment: _Segment, cancel: Callable[[], bool] | None = None
    ) -> npt.NDArray[np.floating[Any]]:
        width = self.dimensions if self.basis is None else self.basis.shape[1]
        blocks = list(self._projected(segment, cancel))
        return np.concatenate(blocks) if blocks else np.zeros((0, width), REDUCED_DTYPE)

    @staticmethod
    def _gather(
        segments: Sequence[_Segment], starts: npt.NDArray[np.int64], rows: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int8], FloatArray]:
        """The stored codes and scales of the index's ``rows``, across its segments."""
        dims = segments[0].codes.shape[1] if segments else 0
        codes = np.empty((len(rows), dims), dtype=np.int8)
        scales = np.empty(len(rows), dtype=np.float32)
        which = np.searchsorted(starts, rows, side="right") - 1
        for n in np.unique(which):
            here = which == n
            local = rows[here] - starts[n]
            codes[here] = segments[n].codes[local]
            scales[here] = segments[n].scales[local]
        return codes, scales

    def search(
        self, queries: FloatMatrix, k: int, *, source: str | None = None
    ) -> list[list[tuple[int, float]]]:
        """The ``k`` nearest past checks of each query vector: (archive id, cosine), best first."""
        with self._lock:
            segments, starts, ids, sources = self._segments, self._starts, self.ids, self.sources
            basis, mean, code = self.basis, self.mean, self._source_codes.get(source or "", -2)
        empty: list[list[tuple[int, float]]] = [[] for _ in range(len(queries))]
        if not len(ids) or not len(queries) or k <= 0:
            return empty
        q = np.asarray(queries, dtype=np.float32)
        space = q if basis is None else q @ basis
        sims = np.empty((len(q), len(ids)), dtype=np.float32)
        for segment, start in zip(segments, starts, strict=False):
            assert segment.reduced is not None
            np.matmul(space, segment.reduced.T, out=sims[:, start : start + len(segment)])
        if basis is not None:
            sims += (q @ mean)[:, None]
        if source is not None:
            keep = sources == code
            if not keep.any():
                return empty
            sims[:, ~keep] = -np.inf
        wanted = k if basis is None else max(k, COARSE_CANDIDATES)
        wanted = min(wanted, sims.shape[1])
        top = np.argpartition(sims, sims.shape[1] - wanted, axis=1)[:, -wanted:]
        results: list[list[tuple[int, float]]] = []
        for i, row in enumerate(top):
            row = row[np.isfinite(sims[i, row])]
            if basis is None:
                exact = sims[i, row]
            else:
                exact = _decode(*self._gather(segments, starts, row)) @ q[i]
            order = np.argsort(-exact, kind="stable")[:k]
            results.append([(int(ids[row[j]]), float(exact[j])) for j in order])
        return results

    def vectors(self, archive_ids: Sequence[int]) -> dict[int, FloatArray]:
        """The stored vector of each of ``archive_ids`` that has one."""
        with self._lock:
            segments, starts, ids = self._segments, self._starts, self.ids
        if not len(ids) or not archive_ids:
            return {}
        wanted = np.asarray(archive_ids, dtype=np.int64)
        where = np.clip(np.searchsorted(ids, wanted), 0, len(ids) - 1)
        found = ids[where] == wanted
        rows = _decode(*self._gather(segments, starts, where[found]))
        return {int(a): rows[n] for n, a in enumerate(wanted[found])}


def _is_small(segment: _Segment) -> bool:
    return segment.token is None and len(segment) < LOAD_CHUNK


def _joined(segments: Sequence[_Segment]) -> _Segment:
    """One part, in memory, of ``segments`` (projected, in order)."""
    reduced = [s.reduced for s in segments]
    assert all(r is not None for r in reduced)
    return _Segment(
        ids=np.concatenate([s.ids for s in segments]),
        codes=np.concatenate([s.codes[0 : len(s)] for s in segments]),
        scales=np.concatenate([s.scales for s in segments]),
        sources=np.concatenate([s.sources for s in segments]),
        reduced=np.concatenate([r for r in reduced if r is not None]),
    )


def _decode(codes: npt.NDArray[np.int8], scales: FloatArray) -> FloatMatrix:
    """Stored codes as float32 vectors (not renormalised: the scale keeps the length)."""
    block: FloatMatrix = codes.astype(np.float32)
    block *= np.asarray(scales, dtype=np.float32)[:, None]
    return block


def _database_identity(path: Path) -> int:
    """The database file's inode: a file restored or copied in under the name has another."""
    try:
        return os.stat(path).st_ino
    except OSError:
        return 0


def _quiet_generation(folder: IndexFolder) -> str | None:
    """The generation of the manifest in place; None if there is none or it is unreadable."""
    try:
        manifest = folder.read_manifest()
    except IndexFilesError:
        return None
    return manifest.generation if manifest is not None else None


def _check_space(folder: Path, needed: int) -> None:
    """Refuse at once a write the disk cannot hold, rather than fill it and fail."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if free < needed + LOW_DISK_BYTES:
        raise OSError(errno.ENOSPC, f"{needed / 1e6:,.0f} MB needed, {free / 1e6:,.0f} MB free")
