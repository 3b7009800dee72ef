"""The evidence library: registered folders, their documents, passages, and passage vectors.

What is read, and how, is :mod:`workbench.evidence_library`'s business; this module
keeps the result. Every long write is many short transactions (a batch of documents
each, see :mod:`workbench.store.batches`), so that the user's edits get in between.
Passages are searched with SQLite FTS5 (BM25, porter stemming) like the archive, and
their vectors are kept as the archive's are (:mod:`workbench.store.embeddings`), with a
:class:`LibraryVectors` view through which :class:`workbench.semantic.EmbeddingIndex`
reads them.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import NotFoundError, ValidationError
from workbench.store.batches import ARCHIVE_BATCH, _Pacer
from workbench.store.db import StoreBase
from workbench.store.embeddings import EmbeddingState
from workbench.store.rows import _now

log = logging.getLogger("workbench.store")

LIBRARY_SOURCE = "library"
"""The one "collection" the library's vector index knows (the archive's has one per source)."""


@dataclass(frozen=True, slots=True)
class LibraryFolder:
    """A registered folder, with what indexing found in it.

    ``indexed_at`` is when an indexing run last went through it to the end (None
    before that); ``embedded`` counts its passages that have a vector.
    """

    id: int
    path: str
    added_at: str
    indexed_at: str | None
    documents: int = 0
    passages: int = 0
    errors: int = 0
    embedded: int = 0


@dataclass(frozen=True, slots=True)
class LibraryDocument:
    """A document of the library as last read: where it is, what it was, and how it went.

    ``error`` is the reader's one-line message when the file could not be read ("" when
    it was); such a document has no passages until the file changes.
    """

    id: int
    folder_id: int
    path: str
    title: str
    size: int
    mtime_ns: int
    sha256: str
    passages: int
    indexed_at: str
    error: str = ""


@dataclass(frozen=True, slots=True)
class LibraryPassage:
    """A passage: ``text`` is ``document text[start:end]``; ``page`` is 1-based, if known."""

    id: int
    document: LibraryDocument
    start: int
    end: int
    text: str
    page: int | None = None


@dataclass(frozen=True, slots=True)
class PassageCandidate:
    """A passage found by full-text search, with its BM25 score (higher is better)."""

    passage: LibraryPassage
    bm25: float


@dataclass(frozen=True, slots=True)
class DocumentPassages:
    """What a reading of one file gives the store: the file's identity, and its passages.

    ``passages`` are ``(start, end, page, text)``; empty with an ``error``.
    """

    path: str
    size: int
    mtime_ns: int
    sha256: str
    title: str
    passages: Sequence[tuple[int, int, int | None, str]] = ()
    error: str = ""


class LibraryMixin(StoreBase):
    """The evidence library's folders, documents, passages and vectors."""

    # -- folders ---------------------------------------------------------------------

    def add_library_folder(self, path: str) -> tuple[LibraryFolder, list[str]]:
        """Register ``path`` (absolute, resolved) as a folder of the library.

        A folder inside a registered one is refused (its documents are in the library
        already); registered folders inside ``path`` are replaced by it, their
        documents kept. Returns the folder and the registered folders it replaced.

        Raises:
            ValidationError: ``path`` is registered, or inside a registered folder.
        """
        folders = self.library_folders()
        for folder in folders:
            if folder.path == path:
                raise ValidationError(f"{path} is in the evidence library already")
            if _inside(path, folder.path):
                raise ValidationError(
                    f"{path} is in the evidence library already, inside {folder.path}"
                )
        replaced = [f for f in folders if _inside(f.path, path)]
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO library_folders (path, added_at) VALUES (?, ?)", (path, _now())
            )
            folder_id = int(cur.lastrowid or 0)
            for old in replaced:
                conn.execute(
                    "UPDATE library_documents SET folder_id = ? WHERE folder_id = ?",
                    (folder_id, old.id),
                )
                conn.execute("DELETE FROM library_folders WHERE id = ?", (old.id,))
        log.info("library: folder %s added (%d replaced)", path, len(replaced))
        return self.library_folder(path), [f.path for f in replaced]

    def library_folder(self, path: str) -> LibraryFolder:
        """The registered folder at ``path``.

        Raises:
            NotFoundError: no such folder is registered.
        """
        for folder in self.library_folders():
            if folder.path == path:
                return folder
        raise NotFoundError(f"{path} is not a folder of the evidence library")

    def library_folders(self) -> list[LibraryFolder]:
        """The registered folders, by path, with their counts."""
        rows = self._read(
            "SELECT f.id, f.path, f.added_at, f.indexed_at,"
            " (SELECT COUNT(*) FROM library_documents d WHERE d.folder_id = f.id) AS documents,"
            " (SELECT COALESCE(SUM(passages), 0) FROM library_documents d"
            "  WHERE d.folder_id = f.id) AS passages,"
            " (SELECT COUNT(*) FROM library_documents d"
            "  WHERE d.folder_id = f.id AND d.error != '') AS errors"
            " FROM library_folders f ORDER BY f.path"
        )
        embedded = self._embedded_by_folder()
        return [
            LibraryFolder(
                int(r["id"]),
                str(r["path"]),
                str(r["added_at"]),
                r["indexed_at"],
                int(r["documents"]),
                int(r["passages"]),
                int(r["errors"]),
                embedded.get(int(r["id"]), 0),
            )
            for r in rows
        ]

    def _embedded_by_folder(self) -> dict[int, int]:
        model = self.library_embedding_state().model
        if not model:
            return {}
        rows = self._read(
            "SELECT d.folder_id, COUNT(*) FROM library_embeddings e"
            " JOIN library_passages p ON p.id = e.passage_id"
            " JOIN library_documents d ON d.id = p.document_id GROUP BY d.folder_id"
        )
        return {int(r[0]): int(r[1]) for r in rows}

    def remove_library_folder(self, path: str, *, cancel: Callable[[], bool] | None = None) -> int:
        """Forget a registered folder and everything read from it; returns the documents removed.

        The documents go a batch per transaction (a large folder holds hundreds of
        thousands of passages), the folder last: a removal cut short leaves the folder
        registered with the documents not yet removed, and removing it again finishes.

        Raises:
            NotFoundError: ``path`` is not a registered folder.
        """
        folder = self.library_folder(path)
        ids = [
            int(r[0])
            for r in self._read(
                "SELECT id FROM library_documents WHERE folder_id = ? ORDER BY id", (folder.id,)
            )
        ]
        removed = self.drop_library_documents(ids, cancel=cancel)
        if removed < len(ids):
            return removed
        with self._write() as conn:
            conn.execute("DELETE FROM library_folders WHERE id = ?", (folder.id,))
        self._library_term_counts.clear()
        log.info("library: folder %s removed (%d documents)", path, removed)
        return removed

    def mark_library_folder_indexed(self, folder_id: int) -> None:
        """Record that an indexing run went through the folder to the end."""
        with self._write() as conn:
            conn.execute(
                "UPDATE library_folders SET indexed_at = ? WHERE id = ?", (_now(), folder_id)
            )

    # -- documents -------------------------------------------------------------------

    def library_documents(self, folder_id: int | None = None) -> list[LibraryDocument]:
        """The documents read from a folder (every folder if None), by path."""
        if folder_id is None:
            rows = self._read("SELECT * FROM library_documents ORDER BY path")
        else:
            rows = self._read(
                "SELECT * FROM library_documents WHERE folder_id = ? ORDER BY path", (folder_id,)
            )
        return [_document(r) for r in rows]

    def library_folder_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM library_folders")[0][0])

    def library_document_count(self) -> int:
        """How many documents the library holds (unreadable ones included)."""
        return int(self._read("SELECT COUNT(*) FROM library_documents")[0][0])

    def library_passage_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM library_passages")[0][0])

    def write_library_documents(self, folder_id: int, documents: Sequence[DocumentPassages]) -> int:
        """Store a batch of documents as just read, replacing what was stored of them.

        One transaction: each document's row is added or updated (by path), its old
        passages (with their vectors) removed, its new passages stored and indexed.
        Returns how many passages were stored.
        """
        now = _now()
        ids: list[int] = []
        with self._write() as conn:
            for doc in documents:
                row = conn.execute(
                    "SELECT id FROM library_documents WHERE path = ?", (doc.path,)
                ).fetchone()
                values = (
                    folder_id, doc.size, doc.mtime_ns, doc.sha256, doc.title,
                    len(doc.passages), now, doc.error,
                )  # fmt: skip
                if row is None:
                    cur = conn.execute(
                        "INSERT INTO library_documents (folder_id, size, mtime_ns, sha256, title,"
                        " passages, indexed_at, error, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (*values, doc.path),
                    )
                    ids.append(int(cur.lastrowid or 0))
                else:
                    ids.append(int(row[0]))
                    conn.execute("DELETE FROM library_passages WHERE document_id = ?", (row[0],))
                    conn.execute(
                        "UPDATE library_documents SET folder_id = ?, size = ?, mtime_ns = ?,"
                        " sha256 = ?, title = ?, passages = ?, indexed_at = ?, error = ?"
                        " WHERE id = ?",
                        (*values, row[0]),
                    )
            # Passage ids only grow (AUTOINCREMENT): the new ones are those above this.
            last_id = _last_passage_id(conn)
            rows = [
                (document_id, *p)
                for document_id, doc in zip(ids, documents, strict=True)
                for p in doc.passages
            ]
            conn.executemany(
                'INSERT INTO library_passages (document_id, start, "end", page, text)'
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            # New passages are indexed here, in one statement (see migration 0009).
            conn.execute(
                "INSERT INTO library_fts (rowid, text)"
                " SELECT id, text FROM library_passages WHERE id > ?",
                (last_id,),
            )
        stored = len(rows)
        if len(self._library_term_counts) > 0:
            self._library_term_counts.clear()
        return stored

    def touch_library_documents(self, changes: Sequence[tuple[str, int, int]]) -> None:
        """Record a new size and modification time, ``(path, size, mtime_ns)``, for files
        whose content (SHA-256) has not changed."""
        with self._write() as conn:
            conn.executemany(
                "UPDATE library_documents SET size = ?, mtime_ns = ? WHERE path = ?",
                [(size, mtime, path) for path, size, mtime in changes],
            )

    def drop_library_documents(
        self, ids: Sequence[int], *, cancel: Callable[[], bool] | None = None
    ) -> int:
        """Remove documents (files gone from their folder) with their passages and vectors.

        A few documents per transaction, with a pause between; ``cancel()`` is asked
        between them. Returns how many were removed.
        """
        pacer = _Pacer(edits=self.gives_way_to)
        removed = 0
        step = max(1, ARCHIVE_BATCH // 10)
        for at in range(0, len(ids), step):
            if at:
                pacer.pause()
            if cancel is not None and cancel():
                break
            chunk = list(ids[at : at + step])
            with self._write() as conn:
                marks = ",".join("?" * len(chunk))
                cur = conn.execute(f"DELETE FROM library_documents WHERE id IN ({marks})", chunk)
            removed += max(cur.rowcount, 0)
        if removed:
            self._library_term_counts.clear()
        return removed

    # -- passages --------------------------------------------------------------------

    def library_candidates(self, fts_query: str, *, limit: int) -> list[PassageCandidate]:
        """Passages matching an FTS5 query (see :func:`~workbench.store.fts_or_query`),
        best BM25 first; ``bm25`` is negated SQLite's, so higher is better."""
        if not fts_query.strip():
            return []
        rows = self._read(
            "SELECT f.rowid AS id, f.score FROM (SELECT rowid, rank AS score FROM library_fts"
            " WHERE library_fts MATCH ? ORDER BY rank LIMIT ?) f",
            (fts_query, limit),
        )
        passages = self.library_passages_by_id(int(r["id"]) for r in rows)
        return [
            PassageCandidate(passages[int(r["id"])], -float(r["score"]))
            for r in rows
            if int(r["id"]) in passages
        ]

    def library_passages_by_id(self, ids: Iterable[int]) -> dict[int, LibraryPassage]:
        """The passages with these ids that still exist, with their documents, by id."""
        sql = (
            'SELECT p.id AS passage_id, p.start, p."end", p.page, p.text AS passage_text,'
            " d.* FROM library_passages p JOIN library_documents d ON d.id = p.document_id"
            " WHERE p.id IN ({marks})"
        )
        found: dict[int, LibraryPassage] = {}
        documents: dict[int, LibraryDocument] = {}
        for r in self._read_in(sql, sorted(set(ids))):
            document = documents.get(int(r["id"]))
            if document is None:
                document = documents[int(r["id"])] = _document(r)
            found[int(r["passage_id"])] = LibraryPassage(
                int(r["passage_id"]),
                document,
                int(r["start"]),
                int(r["end"]),
                str(r["passage_text"]),
                r["page"],
            )
        return found

    def library_passages(self, document_id: int) -> list[LibraryPassage]:
        """A document's passages in reading order."""
        ids = [
            int(r[0])
            for r in self._read(
                "SELECT id FROM library_passages WHERE document_id = ? ORDER BY start",
                (document_id,),
            )
        ]
        found = self.library_passages_by_id(ids)
        return [found[i] for i in ids if i in found]

    def library_neighbours(self, passage: LibraryPassage) -> tuple[str, str]:
        """The text of the passages just before and just after ``passage`` ("" at an end)."""
        before = self._read(
            "SELECT text FROM library_passages WHERE document_id = ? AND start < ?"
            " ORDER BY start DESC LIMIT 1",
            (passage.document.id, passage.start),
        )
        after = self._read(
            "SELECT text FROM library_passages WHERE document_id = ? AND start > ?"
            " ORDER BY start LIMIT 1",
            (passage.document.id, passage.start),
        )
        return (str(before[0][0]) if before else "", str(after[0][0]) if after else "")

    def library_term_counts(self, words: Sequence[str]) -> dict[str, int]:
        """How many passages contain each word (after the index's porter stemming).

        Cached per connection like :meth:`~workbench.store.ArchiveMixin.archive_term_counts`;
        the cache is dropped when this connection writes the library.
        """
        cache = self._library_term_counts
        missing = [w for w in dict.fromkeys(words) if w not in cache]
        if missing:
            stems = self._stems(missing)
            unique = sorted(set(stems.values()))
            sql = "SELECT term, doc FROM library_vocab WHERE term IN ({marks})"
            found = {r["term"]: int(r["doc"]) for r in self._read_in(sql, unique)}
            if len(cache) > 200_000:
                cache.clear()
            for w in missing:
                cache[w] = found.get(stems.get(w, w), 0)
        return {w: cache[w] for w in words}

    # -- vectors ---------------------------------------------------------------------

    def library_embedding_state(self) -> EmbeddingState:
        """Which encoder made the passage vectors, how many there are, and a change counter."""
        row = self._read("SELECT model, rows, changes FROM library_embedding_state WHERE id = 1")[0]
        return EmbeddingState(str(row["model"]), int(row["rows"]), int(row["changes"]))

    def library_passages_to_embed(
        self, model: str, *, limit: int, after_id: int = 0
    ) -> list[tuple[int, str]]:
        """Passages with no vector from encoder ``model``, as (id, text), by id.

        If the stored vectors came from another encoder, every passage counts as missing.
        """
        if self.library_embedding_state().model not in ("", model):
            sql = "SELECT id, text FROM library_passages WHERE id > ? ORDER BY id LIMIT ?"
        else:
            sql = (
                "SELECT p.id, p.text FROM library_passages p"
                " LEFT JOIN library_embeddings e ON e.passage_id = p.id"
                " WHERE e.passage_id IS NULL AND p.id > ? ORDER BY p.id LIMIT ?"
            )
        return [(int(r[0]), str(r[1])) for r in self._read(sql, (after_id, limit))]

    def save_library_embeddings(self, model: str, rows: Sequence[tuple[int, bytes]]) -> int:
        """Store passage vectors ``(passage id, vector)`` made by encoder ``model``, in one
        transaction; the vectors of another encoder are all removed first. A passage
        removed meanwhile gets none. Returns how many were stored."""
        stored = 0
        with self._write() as conn:
            current = str(
                conn.execute("SELECT model FROM library_embedding_state WHERE id = 1").fetchone()[0]
            )
            if current != model:
                conn.execute("DELETE FROM library_embeddings")
                conn.execute("UPDATE library_embedding_state SET model = ?", (model,))
            for passage_id, vector in rows:
                cur = conn.execute(
                    "INSERT INTO library_embeddings (passage_id, vector)"
                    " SELECT id, ? FROM library_passages WHERE id = ?"
                    " ON CONFLICT (passage_id) DO UPDATE SET vector = excluded.vector",
                    (vector, passage_id),
                )
                stored += max(cur.rowcount, 0)
        return stored

    def library_embedded_count(self, model: str) -> int:
        """How many passages have a vector from encoder ``model``."""
        state = self.library_embedding_state()
        return state.rows if state.model == model else 0

    def library_vectors(self) -> LibraryVectors:
        """The passage vectors, as :class:`workbench.semantic.EmbeddingIndex` reads vectors."""
        return LibraryVectors(self)


class LibraryVectors:
    """The library's passage vectors, under the names an embedding index reads the
    archive's by (:class:`workbench.semantic.VectorSource`): "archive ids" are passage
    ids here, and every passage is of the one collection :data:`LIBRARY_SOURCE`."""

    def __init__(self, store: LibraryMixin) -> None:
        self._store = store
        self.path: Path = store.path

    def embedding_state(self) -> EmbeddingState:
        return self._store.library_embedding_state()

    def archive_embeddings(
        self, *, after_id: int = 0, limit: int = 50_000
    ) -> list[tuple[int, bytes]]:
        rows = self._store._read(
            "SELECT passage_id, vector FROM library_embeddings"
            " WHERE passage_id > ? ORDER BY passage_id LIMIT ?",
            (after_id, limit),
        )
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def archive_embeddings_by_id(self, ids: Iterable[int]) -> dict[int, bytes]:
        sql = "SELECT passage_id, vector FROM library_embeddings WHERE passage_id IN ({marks})"
        return {int(r[0]): bytes(r[1]) for r in self._store._read_in(sql, sorted(set(ids)))}

    def archive_ids_by_source(self, *, after_id: int = 0) -> dict[str, list[int]]:
        rows = self._store._read(
            "SELECT passage_id FROM library_embeddings WHERE passage_id > ?", (after_id,)
        )
        return {LIBRARY_SOURCE: [int(r[0]) for r in rows]} if rows else {}


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` is strictly inside ``folder`` (both absolute and resolved)."""
    return Path(folder) in Path(path).parents


def _last_passage_id(conn: sqlite3.Connection) -> int:
    """The highest passage id ever given (AUTOINCREMENT: none is given twice), 0 if none."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'library_passages'").fetchone()
    return int(row[0]) if row is not None else 0


def _document(r: sqlite3.Row | Any) -> LibraryDocument:
    return LibraryDocument(
        id=int(r["id"]),
        folder_id=int(r["folder_id"]),
        path=str(r["path"]),
        title=str(r["title"]),
        size=int(r["size"]),
        mtime_ns=int(r["mtime_ns"]),
        sha256=str(r["sha256"]),
        passages=int(r["passages"]),
        indexed_at=str(r["indexed_at"]),
        error=str(r["error"]),
    )
