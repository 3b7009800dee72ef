"""The evidence library: folders of documents the fact-checker trusts, searched offline.

The fact-checker registers folders (official statistics, reports, court rulings, press
releases, earlier articles: .txt, .md, .html, .docx, .pdf). :func:`index_library` reads
each document with the app's readers, cuts it into passages (:mod:`workbench.passages`)
and indexes them for full-text search (SQLite FTS5) and for semantic search (the
sentence encoder, as past checks are). :func:`suggest_evidence` then finds, for a claim,
the best passages across the library, explained as past-check matches are: the names,
numbers and words they share with the claim, and any figure or date on which they
differ ("12,000 vs 10,000").

**Indexing** is incremental and resumable. A file whose size and modification time
are unchanged is skipped without being opened; one whose bytes (SHA-256) are unchanged
only gets its new time; a changed one is read again and its passages replaced; a
file gone from its folder is dropped with its passages. A file that cannot be read is
recorded with the reader's one-line message and skipped until it changes. Documents
are written a batch at a time, each batch one short transaction; the files of the
next batch are read with no transaction open, so the user's edits get in between.
Passages are embedded afterwards, a batch per transaction, the same way. A run
cancelled (or a process killed) keeps every batch it wrote, and the next run goes on
from there.

**Embedding budget.** The encoder is what indexing costs: a large library (19,250
fact-check articles, 15 million words) has some 170,000 passages. Each passage is
embedded by its first :data:`EMBED_WORDS` words (a passage begins with a paragraph: its
first sentence or so), which takes about a third of the time of the whole passage and
finds the passage's topic; the full-text index has every word.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import logging
import math
import os
import re
import stat
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

from workbench.dbfile import is_held_database_file
from workbench.display import counted
from workbench.engine import Engine
from workbench.errors import IngestError, NotFoundError, ValidationError
from workbench.files import open_regular_file
from workbench.ingest.dispatch import EXTENSIONS, MAX_FILE_BYTES, read_bytes
from workbench.matching import (
    QueryTerms,
    Token,
    find_conflicts,
    fuse,
    query_terms,
    rarest_terms,
    shared_terms,
    tokenize,
)
from workbench.models import Conflict, SharedTerm
from workbench.passages import split_passages
from workbench.store import (
    DocumentPassages,
    LibraryDocument,
    LibraryFolder,
    LibraryPassage,
    Store,
    fts_or_query,
)
from workbench.store.batches import BATCH_PAUSE_S

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from workbench.nlp.encoder import SentenceEncoder
    from workbench.semantic import EmbeddingIndex

__all__ = [
    "DOCUMENT_EXTENSIONS",
    "EvidenceSuggestion",
    "LibraryIndexReport",
    "LibraryStatus",
    "add_folder",
    "candidate_signals",
    "embedding_text",
    "index_library",
    "library_status",
    "remove_folder",
    "suggest_evidence",
]

log = logging.getLogger("workbench.evidence_library")

DOCUMENT_EXTENSIONS = frozenset(EXTENSIONS)
"""The files a folder's documents are found by: what the readers read (.txt, .md,
.html, .docx, .pdf and their variants)."""

EMBED_WORDS = 32
"""A passage is embedded by this many of its first words (see the module's docstring).
On 2,354 of the PolitiFact articles with the train queries, 32 words gave document
MAP@5 0.699 and 40 words 0.702, and took 22% less time."""
EMBED_BATCH = 512
"""Passages embedded, and committed, per transaction: the encoder groups texts of equal
length, and fills its batches better from more (1,024 ran 13% faster than 256)."""
WRITE_PASSAGES = 500
"""A batch of documents is written once it holds this many passages (a transaction of
about 10 ms, full-text index included; 25 ms with 1,000) ..."""
WRITE_EVERY_S = 0.5
"""... or once its files took this long to read."""

CANDIDATES = 60
"""Passages taken from the full-text index for each claim."""
SEMANTIC_CANDIDATES = 40
"""Nearest passages by embedding that join them."""
MIN_NEIGHBOUR_COSINE = 0.3
"""A neighbour less similar than this is not a candidate."""
POSTINGS_BUDGET = 20_000
"""Claim words are searched rarest first until they occur in this many passages
together (see :func:`workbench.matching.rarest_terms`): what keeps a search fast on a
large library, where the commonest words are in tens of thousands of passages."""
PER_DOCUMENT = 2
"""At most this many suggestions come from one document (the best of them first)."""
MIN_SCORE = 0.02
"""Passages scoring below this are not suggested: on the train queries, 0.3% of those
were from the right document (2% from 0.02 to 0.05, 57% above 0.5)."""
CONTEXT_CHARS = 60
"""Text kept on either side of a suggested passage, to find a quote of it again."""


# -- folders ----------------------------------------------------------------------------


def add_folder(store: Store, folder: str | Path) -> tuple[LibraryFolder, list[str]]:
    """Register a folder of trusted documents; returns it and the registered folders
    inside it, which it replaces. Its documents are read by :func:`index_library`.

    Raises:
        ValidationError: the folder does not exist, is a file, cannot be read, or is in
            the library already.
    """
    path = _folder_path(folder)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ValidationError(f"{_shown(folder)} does not exist") from None
    except OSError as exc:
        raise ValidationError(f"{_shown(folder)} cannot be read ({exc.strerror or exc})") from exc
    if not stat.S_ISDIR(info.st_mode):
        raise ValidationError(f"{_shown(folder)} is a file, not a folder")
    if not os.access(path, os.R_OK | os.X_OK):
        raise ValidationError(f"{_shown(folder)} cannot be read (permission denied)")
    resolved = path.resolve()
    if resolved == Path(resolved.anchor) or str(resolved) in _SYSTEM_FOLDERS:
        raise ValidationError(
            f"{_shown(folder)} is the whole disk or the system's, not a folder of documents"
            " you trust: register the folders that hold them"
        )
    return store.add_library_folder(str(resolved))


_SYSTEM_FOLDERS = frozenset({"/proc", "/sys", "/dev", "/run", "/usr", "/etc", "/var", "/bin"})
"""Folders that hold the system, not documents (registering "/" read the whole machine:
277 MB of passages in five minutes, found by an audit)."""


def remove_folder(
    store: Store, folder: str | Path, *, cancel: Callable[[], bool] | None = None
) -> int:
    """Forget a registered folder and what was read from it (the files stay where they
    are); returns the documents forgotten.

    Raises:
        NotFoundError: the folder is not in the library.
    """
    path = _folder_path(folder)
    known = {f.path for f in store.library_folders()}
    for candidate in (str(path), str(path.resolve())):
        if candidate in known:
            return store.remove_library_folder(candidate, cancel=cancel)
    raise NotFoundError(f"{_shown(folder)} is not a folder of the evidence library")


def _folder_path(folder: str | Path) -> Path:
    text = str(folder)
    if not text.strip():
        raise ValidationError("no folder given")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            "the folder's name holds bytes that are not valid text in this locale's encoding"
        ) from None
    return Path(os.path.abspath(Path(text).expanduser()))


def _shown(folder: str | Path) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in str(folder))


# -- indexing ---------------------------------------------------------------------------

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage ``"reading"`` counts files, ``"embedding"`` passages."""


@dataclass(frozen=True, slots=True)
class LibraryIndexReport:
    """What :func:`index_library` did.

    ``remaining`` counts the files a cancelled run did not reach and ``to_embed`` the
    passages still without a vector; the next run does both. ``problems`` are
    one-line notes: a registered folder that is missing (its documents are kept, in
    case it is a drive not plugged in), a file name that is not valid text.
    """

    folders: int
    files: int
    unchanged: int
    read: int
    failed: int
    removed: int
    passages: int
    embedded: int
    remaining: int
    to_embed: int
    seconds: float
    semantic: str = ""
    """Empty when passages were embedded (or there was nothing to embed); else why not."""
    problems: tuple[str, ...] = ()
    errors: tuple[tuple[str, str], ...] = ()
    """The files found unreadable in this run: (path, the reader's message)."""

    @property
    def cancelled(self) -> bool:
        return self.remaining > 0

    def summary(self) -> str:
        """One sentence for a person: what changed, what failed, what is left."""
        parts = [f"{counted(self.files, 'document')} in {counted(self.folders, 'folder')}"]
        if self.read:
            parts.append(f"{self.read:,} read ({counted(self.passages, 'passage')})")
        if self.unchanged:
            parts.append(f"{self.unchanged:,} unchanged")
        if self.removed:
            parts.append(f"{self.removed:,} gone and forgotten")
        if self.failed:
            parts.append(f"{self.failed:,} could not be read")
        if self.embedded:
            parts.append(f"{counted(self.embedded, 'passage')} embedded")
        text = "; ".join(parts)
        if self.remaining:
            text += (
                f"; stopped with {counted(self.remaining, 'file')} to go (indexing again goes on)"
            )
        elif self.to_embed and not self.semantic:
            text += f"; {counted(self.to_embed, 'passage')} still to embed"
        return text


@dataclass(slots=True)
class _Run:
    """The counts of one indexing run, as it goes."""

    files: int = 0
    unchanged: int = 0
    read: int = 0
    failed: int = 0
    removed: int = 0
    passages: int = 0
    remaining: int = 0
    problems: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _File:
    path: str
    size: int
    mtime_ns: int


def index_library(
    store: Store,
    *,
    engine: Engine | None = None,
    encoder: SentenceEncoder | None = None,
    embed: bool = True,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> LibraryIndexReport:
    """Bring the library's index in step with its folders, then embed the new passages.

    See the module's docstring for what is read again and what is skipped. ``cancel()``
    is asked between files and between batches; once it returns True the run stops,
    keeping what it wrote, and the report says how much is left.

    Args:
        store: the database.
        engine: whose sentence encoder embeds the passages, unless ``encoder`` is given
            (the command line gives one with more threads); :meth:`Engine.default` if None.
        embed: False leaves the passages without vectors (search is by words alone).
        progress: ``progress(stage, done, total)``, see :data:`Progress`.
        cancel: asked between steps.
    """
    started = time.perf_counter()
    stopped = cancel or _never
    run = _Run()
    folders = store.library_folders()
    if not folders and not store.library_passage_count():
        # Nothing to read or embed: the app asks at every start, the encoder stays unloaded.
        return LibraryIndexReport(
            folders=0, files=0, unchanged=0, read=0, failed=0, removed=0, passages=0,
            embedded=0, remaining=0, to_embed=0, seconds=time.perf_counter() - started,
        )  # fmt: skip
    scans: list[tuple[LibraryFolder, list[_File], dict[str, LibraryDocument]]] = []
    for folder in folders:
        files = _scan(folder, run)
        if files is None:
            continue
        known = {d.path: d for d in store.library_documents(folder.id)}
        found = {f.path for f in files}
        gone = [d.id for path, d in known.items() if path not in found]
        if gone:
            run.removed += store.drop_library_documents(gone, cancel=stopped)
        scans.append((folder, files, known))
        run.files += len(files)
    total = run.files
    done = 0
    _report(progress, "reading", 0, total)
    for folder, files, known in scans:
        if stopped():
            run.remaining += len(files)
            continue
        complete = _index_folder(store, folder, files, known, run, stopped, progress, done, total)
        done += len(files)
        if complete:
            store.mark_library_folder_indexed(folder.id)
    embedded, semantic = 0, ""
    if embed and not stopped():
        embedded, semantic = _embed_passages(store, engine, encoder, progress, stopped)
    elif not embed:
        semantic = "embedding was not asked for"
    to_embed = _to_embed(store, engine, encoder) if not semantic else 0
    report = LibraryIndexReport(
        folders=len(folders),
        files=run.files,
        unchanged=run.unchanged,
        read=run.read,
        failed=run.failed,
        removed=run.removed,
        passages=run.passages,
        embedded=embedded,
        remaining=run.remaining,
        to_embed=to_embed,
        seconds=time.perf_counter() - started,
        semantic=semantic,
        problems=tuple(run.problems),
        errors=tuple(run.errors),
    )
    log.info("library indexed: %s (%.1f s)", report.summary(), report.seconds)
    return report


def _scan(folder: LibraryFolder, run: _Run) -> list[_File] | None:
    """The documents in a registered folder and its subfolders (hidden ones left out),
    with their size and time; None if the folder is missing."""
    top = Path(folder.path)
    if not top.is_dir():
        run.problems.append(f"{folder.path} is missing: its documents are kept until it is back")
        return None
    files: list[_File] = []

    def unreadable(exc: OSError) -> None:
        run.problems.append(f"{_shown(exc.filename or folder.path)} cannot be read: {exc.strerror}")

    for root, dirs, names in os.walk(top, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith(".") or Path(name).suffix.lower() not in DOCUMENT_EXTENSIONS:
                continue
            path = os.path.join(root, name)
            try:
                path.encode("utf-8")
            except UnicodeEncodeError:
                run.problems.append(f"{_shown(path)}: the file name is not valid text; skipped")
                continue
            try:
                info = os.stat(path)
            except OSError as exc:
                run.problems.append(f"{_shown(path)} cannot be read: {exc.strerror}")
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            if is_held_database_file(info):  # never opened: closing it drops SQLite's locks
                run.problems.append(f"{_shown(path)} is the workbench's own database; skipped")
                continue
            files.append(_File(path, info.st_size, info.st_mtime_ns))
    return files


def _index_folder(
    store: Store,
    folder: LibraryFolder,
    files: Sequence[_File],
    known: dict[str, LibraryDocument],
    run: _Run,
    stopped: Callable[[], bool],
    progress: Progress | None,
    done: int,
    total: int,
) -> bool:
    """Read the folder's new and changed files and write them a batch at a time.

    Returns True if every file was gone through (not cancelled).
    """
    batch: list[DocumentPassages] = []
    touched: list[tuple[str, int, int]] = []
    batch_started = time.monotonic()

    def write() -> None:
        nonlocal batch, touched, batch_started
        if batch:
            store.write_library_documents(folder.id, batch)
        if touched:
            store.touch_library_documents(touched)
        if batch or touched:
            # The lock was held for one short transaction; reading the next files holds
            # none, but a waiting edit is let in at once rather than after them.
            time.sleep(BATCH_PAUSE_S)
        batch, touched, batch_started = [], [], time.monotonic()

    for n, item in enumerate(files):
        if stopped():
            write()
            run.remaining += len(files) - n
            return False
        before = known.get(item.path)
        if before is not None and (before.size, before.mtime_ns) == (item.size, item.mtime_ns):
            run.unchanged += 1
        else:
            document = _read_document(item, before.sha256 if before is not None else "")
            if document is None:  # the same bytes under a new time
                run.unchanged += 1
                touched.append((item.path, item.size, item.mtime_ns))
            else:
                batch.append(document)
                if document.error:
                    run.failed += 1
                    run.errors.append((item.path, document.error))
                else:
                    run.read += 1
                    run.passages += len(document.passages)
        pending = sum(len(d.passages) for d in batch) + len(batch) + len(touched)
        if pending >= WRITE_PASSAGES or time.monotonic() - batch_started >= WRITE_EVERY_S:
            write()
            _report(progress, "reading", done + n + 1, total)
    write()
    _report(progress, "reading", done + len(files), total)
    return True


def _read_regular_file(path: str) -> bytes:
    """The bytes of the regular file at ``path`` (at most one more than the limit).

    The scan saw a regular file, but by now it may be another thing: a file swapped for
    a pipe while the library was indexed made the read wait for a writer for ever. The
    file is opened without blocking and checked once open.

    Raises:
        OSError: it cannot be read, or it is no longer a regular file.
    """
    if is_held_database_file(os.stat(path)):  # it became one since the scan
        raise OSError(errno.EPERM, "it is the workbench's own database")
    with open_regular_file(path) as handle:
        return handle.read(MAX_FILE_BYTES + 1)


def _read_document(item: _File, known_sha256: str) -> DocumentPassages | None:
    """A file read and cut into passages, or its one-line error; None if its bytes are
    ``known_sha256``'s. Never raises for the file."""
    title = Path(item.path).stem
    name = Path(item.path).name

    def failed(message: str, sha256: str = "") -> DocumentPassages:
        return DocumentPassages(item.path, item.size, item.mtime_ns, sha256, title, (), message)

    if item.size > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // 2**20
        return failed(f"{name} is too large ({item.size / 2**20:,.1f} MB; the limit is {limit} MB)")
    try:
        data = _read_regular_file(item.path)
    except OSError as exc:
        return failed(f"{name} cannot be read ({exc.strerror or exc})")
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 == known_sha256:
        return None
    try:
        draft = read_bytes(data, name=item.path)
    except IngestError as exc:
        return failed(str(exc), sha256)
    except Exception as exc:  # a reader's bug must not stop the library: logged, recorded
        # Its traceback only in the debug log: the command line shows warnings as one line.
        log.warning("library: reading %s failed (%s)", item.path, type(exc).__name__)
        log.debug("library: reading %s failed", item.path, exc_info=True)
        return failed(f"{name} could not be read (unexpected {type(exc).__name__})", sha256)
    text = draft.text
    spans = split_passages(text)
    pages = _pages(draft.pages, text, [(s.start, s.end) for s in spans])
    passages = [
        (s.start, s.end, page, text[s.start : s.end]) for s, page in zip(spans, pages, strict=True)
    ]
    title = draft.title.strip() or title
    return DocumentPassages(item.path, item.size, item.mtime_ns, sha256, title, passages)


_PAGE_PROBE_WORDS = 6
_PAGE_LOOKAHEAD = 3
_PROBE_WORD = re.compile(r"\w+")


def _pages(pages: Sequence[str], text: str, spans: Sequence[tuple[int, int]]) -> list[int | None]:
    """Each passage's 1-based page, for a PDF (None elsewhere, or where it is not found).

    Each passage's first words are looked for in the PDF's pages as its reader extracted
    them (:attr:`~workbench.models.ArticleDraft.pages`), from the page of the one before,
    a few pages ahead at most: passages come in reading order.
    """
    found: list[int | None] = []
    current = 0
    for start, end in spans:
        words = _PROBE_WORD.findall(text, start, end)[:_PAGE_PROBE_WORDS]
        page = None
        if words and pages:
            probe = re.compile(r"\W+".join(re.escape(w) for w in words), re.IGNORECASE)
            for number in range(current, min(current + _PAGE_LOOKAHEAD, len(pages))):
                if probe.search(pages[number]):
                    page, current = number + 1, number
                    break
        found.append(page)
    return found


def _embed_passages(
    store: Store,
    engine: Engine | None,
    encoder: SentenceEncoder | None,
    progress: Progress | None,
    stopped: Callable[[], bool],
) -> tuple[int, str]:
    """Embed the passages without a vector, a batch per transaction; returns how many,
    and why none could be ("" if they could)."""
    from workbench.semantic import encode_vectors, encoder_id

    if encoder is None:
        engine = engine or Engine.default()
        encoder = engine.encoder()
        if encoder is None:
            return 0, engine.encoder_status().message
    model = encoder_id(encoder)
    total = max(store.library_passage_count() - store.library_embedded_count(model), 0)
    done, after = 0, 0
    _report(progress, "embedding", 0, total)
    while not stopped():
        batch = store.library_passages_to_embed(model, limit=EMBED_BATCH, after_id=after)
        if not batch:
            break
        vectors = encoder.embed([embedding_text(text) for _, text in batch])
        blobs = encode_vectors(vectors)
        store.save_library_embeddings(
            model, [(i, blob) for (i, _), blob in zip(batch, blobs, strict=True)]
        )
        time.sleep(BATCH_PAUSE_S)
        after = batch[-1][0]
        done += len(batch)
        _report(progress, "embedding", min(done, total), max(total, done))
    return done, ""


def _to_embed(store: Store, engine: Engine | None, encoder: SentenceEncoder | None) -> int:
    from workbench.semantic import encoder_id

    if encoder is None:
        encoder = (engine or Engine.default()).encoder()
        if encoder is None:
            return 0
    return max(store.library_passage_count() - store.library_embedded_count(encoder_id(encoder)), 0)


def embedding_text(passage: str) -> str:
    """What of a passage the encoder embeds: its first :data:`EMBED_WORDS` words."""
    words = passage.split(maxsplit=EMBED_WORDS)
    return " ".join(words[:EMBED_WORDS])


def _report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def _never() -> bool:
    return False


@dataclass(frozen=True, slots=True)
class LibraryStatus:
    """The library at a glance: folders, documents, passages, and how many have vectors."""

    folders: int
    documents: int
    passages: int
    embedded: int

    @property
    def empty(self) -> bool:
        return self.folders == 0


def library_status(store: Store) -> LibraryStatus:
    """How big the library is, and how much of it is embedded (by whatever encoder)."""
    return LibraryStatus(
        store.library_folder_count(),
        store.library_document_count(),
        store.library_passage_count(),
        store.library_embedding_state().rows,
    )


# -- suggestions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvidenceSuggestion:
    """A passage of the library that may be evidence for (or against) a claim.

    ``shared`` spans are into the claim's text (``query_spans``) and into ``text``
    (``archive_spans``); so are the ``conflicts``' (query first). ``before`` and
    ``after`` are a little of the document's text around the passage, to find a quote
    of it again (:class:`workbench.models.Quote`). ``score`` is in [0, 1], higher is
    better; ``cosine`` is None when the passage has no vector.
    """

    passage: LibraryPassage
    score: float
    shared: tuple[SharedTerm, ...]
    conflicts: tuple[Conflict, ...]
    before: str = ""
    after: str = ""
    cosine: float | None = None
    signals: tuple[tuple[str, float], ...] = ()

    @property
    def document(self) -> LibraryDocument:
        return self.passage.document

    @property
    def text(self) -> str:
        return self.passage.text

    @property
    def title(self) -> str:
        return self.passage.document.title

    @property
    def path(self) -> str:
        return self.passage.document.path

    @property
    def start(self) -> int:
        return self.passage.start

    @property
    def end(self) -> int:
        return self.passage.end

    @property
    def page(self) -> int | None:
        return self.passage.page


SUGGESTION_WEIGHTS: dict[str, float] = {
    "bias": -5.244,
    "bm25": 0.446,
    "bm25_abs": 0.0,
    "covers_query": 1.584,
    "names": 0.0,
    "numbers": 0.0,
    "phrases": 2.578,
    "partial": 1.659,
    "support": 0.351,
}
"""Logistic weights of a passage's signals by words alone (see :func:`_signals`), fitted
on the CheckThat! 2021 task 2B train queries against their 19,250 articles
(``scripts/fit_evidence_weights.py``): a logistic regression, then a coordinate ascent
on document MAP@5 and a Platt scaling, so that :func:`fuse` gives the probability that
the passage is from a document that checked the claim."""
SEMANTIC_SUGGESTION_WEIGHTS: dict[str, float] = {
    "bias": -7.885,
    "bm25": 0.0,
    "bm25_abs": 0.761,
    "covers_query": 1.889,
    "names": 0.272,
    "numbers": 0.822,
    "phrases": 2.45,
    "partial": 1.885,
    "support": 0.666,
    "cosine": 1.792,
    "document_cosine": 2.79,
}
"""The same with the cosines, for passages that have a vector (fitted the same way)."""


@dataclass(slots=True)
class _Candidate:
    passage: LibraryPassage
    bm25: float
    tokens: list[Token]
    keys: frozenset[str]
    cosine: float | None = None


def suggest_evidence(
    store: Store,
    claim_text: str,
    *,
    engine: Engine | None = None,
    limit: int = 10,
    per_document: int = PER_DOCUMENT,
    min_score: float = MIN_SCORE,
    semantic: bool = True,
) -> list[EvidenceSuggestion]:
    """The library's best passages for a claim, best first, each explained.

    Candidates are the passages the full-text index finds for the claim's rarer words
    and, when the library has vectors, its nearest passages by embedding; each is
    scored by how much of the claim it holds (its rarer words weighing more), shared
    names, numbers and word pairs, BM25 and the cosine (:data:`SUGGESTION_WEIGHTS`).

    Args:
        store: the database whose library is searched.
        claim_text: the claim as the user has it.
        engine: holds the sentence encoder and the library's vector index;
            :meth:`Engine.default` if None.
        limit: at most this many suggestions.
        per_document: at most this many from one document (0: no limit).
        min_score: leave out passages scoring below this.
        semantic: False searches by words alone.
    """
    query = query_terms(claim_text)
    scored = []
    for c, signals in _candidates(store, query, engine or Engine.default(), semantic=semantic):
        weights = SEMANTIC_SUGGESTION_WEIGHTS if "cosine" in signals else SUGGESTION_WEIGHTS
        score = fuse(signals, weights)
        if score >= min_score:
            scored.append((score, c, signals))
    scored.sort(key=lambda item: (-item[0], item[1].passage.id))
    chosen: list[tuple[float, _Candidate, dict[str, float]]] = []
    per_doc: dict[int, int] = {}
    for item in scored:
        document = item[1].passage.document.id
        if per_document and per_doc.get(document, 0) >= per_document:
            continue
        per_doc[document] = per_doc.get(document, 0) + 1
        chosen.append(item)
        if len(chosen) >= limit:
            break
    return [_suggestion(store, query, score, c, signals) for score, c, signals in chosen]


def candidate_signals(
    store: Store, claim_text: str, *, engine: Engine | None = None, semantic: bool = True
) -> list[tuple[LibraryPassage, dict[str, float]]]:
    """Every candidate passage for a claim with its signals, as :func:`suggest_evidence`
    sees them (for fitting the weights and for debugging)."""
    found = _candidates(store, query_terms(claim_text), engine or Engine.default(), semantic)
    return [(c.passage, signals) for c, signals in found]


def _candidates(
    store: Store, query: QueryTerms, engine: Engine, semantic: bool
) -> list[tuple[_Candidate, dict[str, float]]]:
    """The claim's candidate passages (full-text hits and nearest neighbours), with signals."""
    if not query.keys:
        return []
    pending = _search_neighbours(engine, store, query) if semantic else None
    terms = rarest_terms(query.search, store.library_term_counts(query.search), POSTINGS_BUDGET)
    hits = store.library_candidates(fts_or_query(terms), limit=CANDIDATES) if terms else []
    candidates = {h.passage.id: _candidate(h.passage, h.bm25) for h in hits}
    if pending is not None:
        index, vector, neighbours = pending.result()
        near = {i: c for i, c in neighbours if c >= MIN_NEIGHBOUR_COSINE}
        new = store.library_passages_by_id(i for i in near if i not in candidates)
        for passage in new.values():
            candidates[passage.id] = _candidate(passage, 0.0)
        cosines = dict(neighbours)
        missing = [i for i in candidates if i not in cosines]
        for passage_id, row in index.vectors(missing).items():
            cosines[passage_id] = float(row @ vector)
        for passage_id, c in candidates.items():
            c.cosine = cosines.get(passage_id)
    pool = list(candidates.values())
    idf = _idf(query, pool)
    top_bm25 = max((c.bm25 for c in pool), default=0.0)
    fuzzy_query = _fuzzy(query.normalized)
    found = [(c, _signals(query, c, idf, top_bm25, fuzzy_query)) for c in pool]
    _add_document_signals(found)
    return found


def _add_document_signals(found: Sequence[tuple[_Candidate, dict[str, float]]]) -> None:
    """Signals of the candidate's document: how many of its passages are candidates too,
    and the best cosine among them. A document about the claim says it more than once;
    its opening, embedded, usually says it best."""
    count: dict[int, int] = {}
    cosine: dict[int, float] = {}
    for c, _ in found:
        document = c.passage.document.id
        count[document] = count.get(document, 0) + 1
        if c.cosine is not None:
            cosine[document] = max(cosine.get(document, 0.0), c.cosine)
    for c, signals in found:
        document = c.passage.document.id
        signals["support"] = min(1.0, (count[document] - 1) / 3)
        if "cosine" in signals:
            signals["document_cosine"] = max(0.0, cosine.get(document, 0.0))


def _candidate(passage: LibraryPassage, bm25: float) -> _Candidate:
    tokens = tokenize(passage.text)
    return _Candidate(passage, bm25, tokens, frozenset(t.key for t in tokens if not t.stop))


def _idf(query: QueryTerms, pool: Sequence[_Candidate]) -> dict[str, float]:
    """Inverse document frequency of the claim's words among the candidates."""
    n = len(pool) + 1
    return {k: math.log((n + 1) / (sum(1 for c in pool if k in c.keys) + 0.5)) for k in query.keys}


def _fuzzy(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def _signals(
    query: QueryTerms, c: _Candidate, idf: dict[str, float], top_bm25: float, fuzzy_query: str
) -> dict[str, float]:
    """The candidate's signals, each in [0, 1]."""
    total = sum(idf.values())
    covered = sum(w for k, w in idf.items() if k in c.keys)
    names = {t.key for t in query.tokens if t.kind == "name"}
    numbers = {t.key for t in query.tokens if t.kind == "number"}
    pairs = _pairs(query.tokens)
    signals = {
        "bm25": c.bm25 / top_bm25 if top_bm25 > 0 else 0.0,
        "bm25_abs": c.bm25 / (c.bm25 + 10.0) if c.bm25 > 0 else 0.0,
        "covers_query": covered / total if total > 0 else 0.0,
        "names": len(names & c.keys) / len(names) if names else 0.0,
        "numbers": len(numbers & c.keys) / len(numbers) if numbers else 0.0,
        "phrases": len(pairs & _pairs(c.tokens)) / len(pairs) if pairs else 0.0,
        "partial": fuzz.partial_ratio(fuzzy_query, _fuzzy(c.passage.text)) / 100.0,
    }
    if c.cosine is not None:
        signals["cosine"] = max(0.0, c.cosine)
    return signals


def _pairs(tokens: Sequence[Token]) -> set[tuple[str, str]]:
    keys = [t.key for t in tokens if not t.stop]
    return set(itertools.pairwise(keys))


def _suggestion(
    store: Store, query: QueryTerms, score: float, c: _Candidate, signals: dict[str, float]
) -> EvidenceSuggestion:
    before, after = store.library_neighbours(c.passage)
    return EvidenceSuggestion(
        passage=c.passage,
        score=round(score, 4),
        shared=shared_terms(query.tokens, c.tokens),
        conflicts=find_conflicts(query.tokens, c.tokens),
        before=_tail(before, CONTEXT_CHARS),
        after=after[:CONTEXT_CHARS],
        cosine=None if c.cosine is None else round(c.cosine, 4),
        signals=tuple((name, round(value, 4)) for name, value in signals.items()),
    )


def _tail(text: str, size: int) -> str:
    return text[-size:] if len(text) > size else text


@dataclass(slots=True)
class _PendingSearch:
    index: EmbeddingIndex
    future: Future[tuple[npt.NDArray[np.float32], list[tuple[int, float]]]]

    def result(self) -> tuple[EmbeddingIndex, npt.NDArray[np.float32], list[tuple[int, float]]]:
        vector, neighbours = self.future.result()
        return self.index, vector, neighbours


def _search_neighbours(engine: Engine, store: Store, query: QueryTerms) -> _PendingSearch | None:
    """Start embedding the claim and finding its nearest passages on the engine's search
    thread (while this one asks the full-text index); None without vectors or encoder."""
    from workbench.nlp.encoder import ModelLoadError

    if not store.library_embedding_state().rows:
        return None  # not even the encoder is loaded
    encoder = engine.encoder()
    if encoder is None:
        return None
    try:
        index = engine.library_index_for(store)  # reads the database: on this thread
    except ModelLoadError:
        return None
    if not len(index):
        return None
    text = query.normalized or query.text

    def search() -> tuple[npt.NDArray[np.float32], list[tuple[int, float]]]:
        vector = encoder.embed([text])
        return vector[0], index.search(vector, SEMANTIC_CANDIDATES)[0]

    return _PendingSearch(index, engine.search_thread().submit(search))
