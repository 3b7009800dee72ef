"""The process's heavy resources, each built once on first use and kept by one object.

The language pipeline, the check-worthiness model, the sentence encoder, the vector
indexes of the archive and of the evidence library (one each per database file), the
thread that searches them and the feedback adjuster take a second or hundreds of
megabytes each to build. An :class:`Engine` holds them: the command line builds one
per run, the app one per process, and both pass it down (``match_claims(...,
engine=engine)``, ``analyze_article(..., engine=engine)``).
A caller that passes none gets :meth:`Engine.default`. A test builds its own, with a
rules-only pipeline or a given encoder, instead of patching module globals.

Importing this module loads none of them, nor spaCy, numpy or onnxruntime.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeAlias, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from spacy.language import Language

    from workbench.nlp import ModelLoader, ModelStatus
    from workbench.nlp.encoder import CheckworthinessModel, SentenceEncoder
    from workbench.nlp.feedback import FeedbackAdjuster
    from workbench.semantic import EmbeddingIndex, SemanticStatus, VectorSource
    from workbench.store import Store

    LoadedModel: TypeAlias = tuple[CheckworthinessModel | None, ModelStatus]

__all__ = ["Engine", "Memo"]

log = logging.getLogger("workbench.engine")

PAST_CHECK_WORDS = 1_000_000
"""Characters of past checks (text and title) whose words matching keeps at hand, about
40 bytes each once read (some 40 MB; 7,000 PolitiFact claims): an article's claims share
many candidates (a 320-claim article against the 12,836 PolitiFact claims: 21,933
candidates, 9,166 different texts), and reading their words again was over half of
matching's time. Counted in characters, not past checks: an archive of long texts would
otherwise keep gigabytes."""

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """Computed values up to a total ``budget`` of their keys' weights (``weight``: 1
    each by default), the least recently used dropped first; thread-safe. A key heavier
    than the whole budget is not kept."""

    def __init__(self, budget: int, weight: Callable[[K], int] | None = None) -> None:
        self._budget = budget
        self._weight = weight or (lambda key: 1)
        self._values: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The value kept for ``key``, or ``make()``'s, kept from now on."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key][0]
        value = make()  # outside the lock: another thread may make the same meanwhile
        weight = self._weight(key)
        if weight > self._budget:
            return value
        with self._lock:
            if key not in self._values:
                self._values[key] = (value, weight)
                self._total += weight
            while self._total > self._budget:
                _, (_, dropped) = self._values.popitem(last=False)
                self._total -= dropped
        return value

    def __len__(self) -> int:
        return len(self._values)


class Engine:
    """The language pipeline, the models, the vector indexes, the search thread, the feedback
    adjuster.

    Each is built on first use, once, whichever thread asks first (the others wait for
    it). :meth:`close` stops the search thread; the engine is also a context manager.

    Args:
        pipeline: Builds the language pipeline; by default
            :func:`workbench.nlp.load_pipeline` with this engine's check-worthiness model.
        checkworthiness: Loads the check-worthiness model with its status; by default
            :func:`workbench.nlp.load_checkworthiness_model`.
        encoder: Loads the sentence encoder, raising
            :class:`~workbench.nlp.encoder.ModelLoadError` when it cannot; by default
            the bundled one.
    """

    _default: ClassVar[Engine | None] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        *,
        pipeline: Callable[[], Language] | None = None,
        checkworthiness: ModelLoader | None = None,
        encoder: Callable[[], SentenceEncoder] | None = None,
    ) -> None:
        self._pipeline_factory = pipeline or self._default_pipeline
        self._model_loader = checkworthiness
        self._encoder_loader = encoder
        self._pipeline: Language | None = None
        self._model: LoadedModel | None = None
        self._encoder: tuple[SentenceEncoder | None, ModelStatus] | None = None
        self._feedback: FeedbackAdjuster | None = None
        self._indexes: dict[tuple[Path, str], tuple[tuple[int, int], EmbeddingIndex]] = {}
        """Vector indexes by database file and kind (archive, library), with the file's identity."""
        self._search_thread: ThreadPoolExecutor | None = None
        self.past_check_words: Memo[tuple[str, str], Any] = Memo(
            PAST_CHECK_WORDS, weight=lambda key: len(key[0]) + len(key[1])
        )
        """What matching reads of a past check's text and title (``matching``'s to say)."""
        self._closed = False
        # One lock per resource: loading the pipeline does not hold up the encoder.
        self._pipeline_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._encoder_lock = threading.Lock()
        self._indexes_lock = threading.Lock()
        self._lock = threading.Lock()  # the feedback adjuster and the search thread

    @classmethod
    def default(cls) -> Engine:
        """The process's engine, for callers that pass none (built on first call)."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls()
            return cls._default

    # -- the language pipeline and the check-worthiness model

    def pipeline(self) -> Language:
        """The language pipeline (built on first call: spaCy, and the model if wanted)."""
        with self._pipeline_lock:
            if self._pipeline is None:
                self._pipeline = self._pipeline_factory()
            return self._pipeline

    def _default_pipeline(self) -> Language:
        from workbench.nlp import load_pipeline

        return load_pipeline(model=self.checkworthiness)

    def checkworthiness(self) -> LoadedModel:
        """The check-worthiness model (None if it cannot load) and its status, loaded once."""
        with self._model_lock:
            if self._model is None:
                if self._model_loader is None:
                    from workbench.nlp import load_checkworthiness_model

                    self._model = load_checkworthiness_model()
                else:
                    self._model = self._model_loader()
            return self._model

    def model_status(self) -> ModelStatus:
        """Whether the check-worthiness model loads (loading it if not done yet), and why not."""
        return self.checkworthiness()[1]

    # -- the sentence encoder and semantic matching

    def encoder(self) -> SentenceEncoder | None:
        """The sentence encoder, loaded on first call; None if it cannot load."""
        return self._load_encoder()[0]

    def encoder_status(self) -> ModelStatus:
        """Whether the sentence encoder loads (loading it if not done yet), and why not."""
        return self._load_encoder()[1]

    def _load_encoder(self) -> tuple[SentenceEncoder | None, ModelStatus]:
        with self._encoder_lock:
            if self._encoder is None:
                from workbench.nlp import ModelStatus
                from workbench.semantic import load_encoder

                encoder, message = load_encoder(self._encoder_loader)
                self._encoder = encoder, ModelStatus(encoder is not None, message)
            return self._encoder

    def semantic_status(self, store: Store) -> SemanticStatus:
        """How far ``store``'s archive embeddings are for this engine's encoder."""
        from workbench.semantic import SemanticStatus, semantic_status

        encoder, status = self._load_encoder()
        if encoder is None:
            return SemanticStatus(False, 0, store.archive_count(), status.message)
        return semantic_status(store, encoder)

    def index_for(
        self, store: Store, *, cancel: Callable[[], bool] | None = None
    ) -> EmbeddingIndex:
        """The index of ``store``'s archive vectors, refreshed: one per database file.

        ``cancel``: see :meth:`~workbench.semantic.EmbeddingIndex.refresh`.

        It is kept in the folder beside the database (:func:`workbench.dbfile.index_folder`).
        An index belongs to the file, not just its name: a database replaced under the same
        name (a restored backup is a new file) gets a new index, never the old file's vectors.

        Raises:
            workbench.nlp.encoder.ModelLoadError: the sentence encoder cannot load.
        """
        from workbench.dbfile import index_folder

        return self._index(store, "archive", index_folder(store.path.resolve()), store, cancel)

    def library_index_for(self, store: Store) -> EmbeddingIndex:
        """The index of the evidence library's passage vectors in ``store``, refreshed.

        Like :meth:`index_for`, one per database file, kept in ``library/`` inside the
        archive index's folder (so that a restore drops both).

        Raises:
            workbench.nlp.encoder.ModelLoadError: the sentence encoder cannot load.
        """
        from workbench.dbfile import index_folder

        folder = index_folder(store.path.resolve()) / "library"
        return self._index(store, "library", folder, store.library_vectors())

    def _index(
        self,
        store: Store,
        kind: str,
        folder: Path,
        source: VectorSource,
        cancel: Callable[[], bool] | None = None,
    ) -> EmbeddingIndex:
        from workbench.nlp.encoder import ModelLoadError
        from workbench.semantic import EmbeddingIndex, encoder_id

        encoder, status = self._load_encoder()
        if encoder is None:
            raise ModelLoadError(status.message)
        path = store.path.resolve()
        try:
            info = path.stat()
            identity = (info.st_dev, info.st_ino)
        except OSError:
            identity = (0, 0)
        key = (path, kind)
        with self._indexes_lock:
            known, index = self._indexes.get(key, ((0, 0), None))
            if index is None or known != identity or index.dimensions != encoder.dimensions:
                index = EmbeddingIndex(encoder.dimensions, folder=folder)
                self._indexes[key] = (identity, index)
        index.refresh(source, encoder_id(encoder), cancel=cancel)
        return index

    def search_thread(self) -> ThreadPoolExecutor:
        """The one thread that embeds claims and searches the indexes while the caller's
        asks SQLite for full-text candidates (numpy and onnxruntime let go of the GIL).

        Raises:
            RuntimeError: the engine is closed.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine is closed")
            if self._search_thread is None:
                from concurrent.futures import ThreadPoolExecutor

                self._search_thread = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="embedding-search"
                )
            return self._search_thread

    # -- learning from corrections

    def feedback(self) -> FeedbackAdjuster:
        """The feedback adjuster, on this engine's sentence encoder (loaded when first needed)."""
        with self._lock:
            if self._feedback is None:
                from workbench.nlp.feedback import FeedbackAdjuster

                self._feedback = FeedbackAdjuster(encoder=self.encoder)
            return self._feedback

    # -- the end

    def close(self) -> None:
        """Stop the search thread (after the search under way); searching again raises."""
        with self._lock:
            self._closed = True
            thread, self._search_thread = self._search_thread, None
        if thread is not None:
            thread.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
