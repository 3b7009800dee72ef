"""Semantic matching: sentence embeddings of the archive and a nearest-neighbour search.

Word overlap misses a claim said in other words. Each past check gets an embedding
from the bundled sentence encoder (``resources/models/encoder``, all-MiniLM-L6-v2
run by onnxruntime); :func:`embed_archive` computes the missing ones in batches, each
batch its own transaction, so it can run in the background, be cancelled and resume.

Vectors are stored as int8 with one float32 scale per vector (388 bytes for 384
dimensions; cosines within about 0.002 of the float ones). For search they are held
in memory as one float32 matrix (:class:`EmbeddingIndex`, 1.5 GB for a million past
checks) and a batch of queries is one matrix product: on two cores a million vectors
answer 30 queries in about half a second, with no index to build or keep in step.
An index reads only the vectors added since it last looked, unless some were
replaced or removed (see :class:`workbench.store.EmbeddingState`).

Until the archive's embeddings exist, matching stays lexical:
:func:`semantic_status` says how far they are.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from workbench.errors import CancelledError

if TYPE_CHECKING:
    from workbench.nlp.encoder import SentenceEncoder
    from workbench.store import Store

__all__ = [
    "EMBED_BATCH",
    "EmbedReport",
    "EmbeddingIndex",
    "SemanticStatus",
    "decode_vectors",
    "embed_archive",
    "encode_vectors",
    "encoder_id",
    "index_for",
    "semantic_status",
    "shared_encoder",
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

FloatMatrix = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float32]


# -- the encoder --------------------------------------------------------------------------


@functools.cache
def _shared_encoder() -> tuple[SentenceEncoder | None, str]:
    from workbench.nlp.encoder import ModelLoadError, SentenceEncoder

    try:
        encoder = SentenceEncoder()
    except ModelLoadError as error:
        message = f"the sentence encoder is unavailable ({error}); matching is lexical only"
        log.warning("%s", message)
        return None, message
    return encoder, f"sentence encoder loaded from {encoder.directory}"


def shared_encoder() -> SentenceEncoder | None:
    """The bundled sentence encoder, loaded once per process; None if it cannot load."""
    return _shared_encoder()[0]


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
            one cannot load.
    """
    if encoder is None:
        from workbench.nlp.encoder import ModelLoadError

        encoder = shared_encoder()
        if encoder is None:
            raise ModelLoadError(_shared_encoder()[1])
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
    """How far the archive's embeddings are: matching is semantic only where they exist."""
    encoder = encoder if encoder is not None else shared_encoder()
    total = store.archive_count()
    if encoder is None:
        return SemanticStatus(False, 0, total, _shared_encoder()[1])
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


class EmbeddingIndex:
    """The archive's vectors in memory, for nearest-neighbour search.

    The vectors are kept as stored (int8 and a scale each, 388 bytes). A small index is
    searched exactly, against a float32 copy. From :data:`PCA_MIN_VECTORS` on, the
    search has two stages: a matrix product in a :data:`REDUCED_DIMENSIONS`-dimensional
    principal-component space (fitted on the archive's own vectors) picks
    :data:`COARSE_CANDIDATES` per query, and their exact cosines from the stored
    vectors rank them. On real archive vectors the coarse stage keeps 99 % of the exact
    top 30; it reads a third of the memory, which is what bounds the time: a million
    vectors take 0.9 GB instead of 1.5 GB, and 30 queries 0.3 s instead of 0.6 s.

    Thread-safe: :meth:`refresh` and :meth:`search` may be called from several workers.
    """

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self.model = ""
        self._changes = -1
        self._source_codes: dict[str, int] = {}
        self._lock = threading.Lock()
        self._reset("")

    def __len__(self) -> int:
        return int(self.ids.size)

    @property
    def nbytes(self) -> int:
        """Memory held by the index."""
        return int(self.codes.nbytes + self.scales.nbytes + self.reduced.nbytes + self.ids.nbytes)

    def refresh(self, store: Store, model: str) -> None:
        """Bring the index in step with ``store``: new vectors only, unless some changed."""
        with self._lock:
            state = store.embedding_state()
            if state.model != model:
                self._reset(model)
                self._changes = state.changes
                return
            if state.changes != self._changes or model != self.model:
                self._reset(model)
                self._changes = state.changes
            if state.rows == len(self):
                return
            started = time.perf_counter()
            self._load(store, after=int(self.ids[-1]) if len(self) else 0)
            if len(self) != state.rows:  # written while we read: read it all again
                self._reset(model)
                self._load(store, after=0)
                self._changes = store.embedding_state().changes
            seconds = time.perf_counter() - started
            log.info("embedding index: %d vectors (%.2f s)", len(self), seconds)

    def _reset(self, model: str) -> None:
        self.model = model
        self.ids = np.zeros(0, dtype=np.int64)
        self.codes = np.zeros((0, self.dimensions), dtype=np.int8)
        self.scales = np.zeros(0, dtype=np.float32)
        self.sources = np.zeros(0, dtype=np.int32)
        self.basis: FloatMatrix | None = None
        self.mean = np.zeros(self.dimensions, dtype=np.float32)
        self.reduced: FloatMatrix = np.zeros((0, self.dimensions), dtype=np.float32)

    def _load(self, store: Store, *, after: int) -> None:
        """Append the stored vectors with ids above ``after``."""
        ids: list[npt.NDArray[np.int64]] = []
        codes: list[npt.NDArray[np.int8]] = []
        scales: list[FloatArray] = []
        start = after
        while rows := store.archive_embeddings(after_id=start, limit=LOAD_CHUNK):
            ids.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
            chunk_codes, chunk_scales = _split_blobs([r[1] for r in rows], self.dimensions)
            codes.append(chunk_codes)
            scales.append(chunk_scales)
            start = rows[-1][0]
        if not ids:
            return
        new_ids = np.concatenate(ids)
        sources = np.full(len(new_ids), -1, dtype=np.int32)
        for name, members in store.archive_ids_by_source(after_id=after).items():
            code = self._source_codes.setdefault(name, len(self._source_codes))
            wanted = np.asarray(members, dtype=np.int64)
            where = np.clip(np.searchsorted(new_ids, wanted), 0, len(new_ids) - 1)
            sources[where[new_ids[where] == wanted]] = code
        first = len(self)
        self.ids = np.concatenate([self.ids, new_ids])
        self.codes = np.concatenate([self.codes, *codes])
        self.scales = np.concatenate([self.scales, *scales])
        self.sources = np.concatenate([self.sources, sources])
        if self.basis is None and len(self) >= PCA_MIN_VECTORS:
            self._fit_basis()
            first = 0
        projected = self._project(first, len(self))
        self.reduced = np.concatenate([self.reduced, projected]) if first else projected

    def _decode(self, rows: slice | npt.NDArray[np.int64]) -> FloatMatrix:
        block: FloatMatrix = self.codes[rows].astype(np.float32)
        block *= self.scales[rows][:, None]
        return block

    def _fit_basis(self) -> None:
        """Principal components of (an even sample of) the vectors, strongest first."""
        step = max(1, len(self) // PCA_SAMPLE)
        sample = self._decode(np.arange(0, len(self), step))
        self.mean = sample.mean(axis=0, dtype=np.float32)
        covariance = np.cov(sample - self.mean, rowvar=False)
        _, vectors = np.linalg.eigh(covariance)  # ascending eigenvalues
        self.basis = np.ascontiguousarray(vectors[:, ::-1][:, :REDUCED_DIMENSIONS], np.float32)

    def _project(self, start: int, stop: int) -> FloatMatrix:
        """Rows ``start:stop`` in the search space: the vectors, or their components."""
        width = self.dimensions if self.basis is None else self.basis.shape[1]
        out = np.empty((stop - start, width), dtype=np.float32)
        for at in range(start, stop, LOAD_CHUNK):
            block = self._decode(slice(at, min(at + LOAD_CHUNK, stop)))
            if self.basis is not None:
                block = ((block - self.mean) @ self.basis).astype(np.float32, copy=False)
            out[at - start : at - start + len(block)] = block
        return out

    def search(
        self, queries: FloatMatrix, k: int, *, source: str | None = None
    ) -> list[list[tuple[int, float]]]:
        """The ``k`` nearest past checks of each query vector: (archive id, cosine), best first."""
        with self._lock:
            ids, reduced, basis, mean = self.ids, self.reduced, self.basis, self.mean
            sources, code = self.sources, self._source_codes.get(source or "", -2)
        empty: list[list[tuple[int, float]]] = [[] for _ in range(len(queries))]
        if not len(ids) or not len(queries) or k <= 0:
            return empty
        q = np.asarray(queries, dtype=np.float32)
        if basis is None:
            sims = q @ reduced.T
        else:
            sims = (q @ basis) @ reduced.T
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
            exact = self._decode(row) @ q[i] if basis is not None else sims[i, row]
            order = np.argsort(-exact, kind="stable")[:k]
            results.append([(int(ids[row[j]]), float(exact[j])) for j in order])
        return results

    def vectors(self, archive_ids: Sequence[int]) -> dict[int, FloatArray]:
        """The stored vector of each of ``archive_ids`` that has one."""
        with self._lock:
            ids = self.ids
        if not len(ids) or not archive_ids:
            return {}
        wanted = np.asarray(archive_ids, dtype=np.int64)
        where = np.clip(np.searchsorted(ids, wanted), 0, len(ids) - 1)
        found = ids[where] == wanted
        rows = self._decode(where[found])
        return {int(a): rows[n] for n, a in enumerate(wanted[found])}


_INDEXES: dict[Path, tuple[tuple[int, int], EmbeddingIndex]] = {}
_INDEXES_LOCK = threading.Lock()


def index_for(store: Store, encoder: SentenceEncoder) -> EmbeddingIndex:
    """The process's index of ``store``'s archive vectors, refreshed: one per database file.

    An index belongs to the file, not just its name: a database replaced under the same
    name (a restored backup is a new file) gets a new index, never the old file's vectors.
    """
    key = store.path.resolve()
    try:
        info = key.stat()
        identity = (info.st_dev, info.st_ino)
    except OSError:
        identity = (0, 0)
    with _INDEXES_LOCK:
        known, index = _INDEXES.get(key, ((0, 0), None))
        if index is None or known != identity or index.dimensions != encoder.dimensions:
            index = EmbeddingIndex(encoder.dimensions)
            _INDEXES[key] = (identity, index)
    index.refresh(store, encoder_id(encoder))
    return index
