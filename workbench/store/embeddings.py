"""Sentence embeddings of past checks, stored for semantic matching (:mod:`workbench.semantic`).

The vectors are bytes to this module: :mod:`workbench.semantic` makes and reads them.
Which encoder made them, and a counter of changes, are kept in :class:`EmbeddingState`
so that a reader's in-memory index can tell cheaply whether it is still current.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from workbench.models import ArchiveClaim
from workbench.store.batches import ARCHIVE_BATCH, PacedBatches, _Pacer
from workbench.store.db import StoreBase
from workbench.store.rows import ARCHIVE_CLAIM_COLUMNS, archive_claim_from_values


@dataclass(frozen=True, slots=True)
class EmbeddingState:
    """The stored archive vectors: the encoder that made them, their number, a change count.

    ``changes`` grows with every vector replaced or removed, never with one added: a
    reader that has loaded ``rows`` vectors at the same ``changes`` only needs the new ones.
    """

    model: str
    rows: int
    changes: int


class EmbeddingsMixin(StoreBase):
    """Stored vectors of past checks, by encoder."""

    def embedding_state(self) -> EmbeddingState:
        """Which encoder made the stored vectors, how many there are, and a change counter."""
        row = self._read("SELECT model, rows, changes FROM embedding_state WHERE id = 1")[0]
        return EmbeddingState(str(row["model"]), int(row["rows"]), int(row["changes"]))

    def archive_texts_to_embed(
        self, model: str, *, limit: int, after_id: int = 0
    ) -> list[tuple[int, str]]:
        """Past checks with no vector from encoder ``model``, as (id, text), by id.

        If the stored vectors were made by another encoder they all count as missing
        (:meth:`save_archive_embeddings` replaces them).
        """
        if self.embedding_state().model not in ("", model):
            sql = "SELECT id, text FROM archive_claims WHERE id > ? ORDER BY id LIMIT ?"
        else:
            sql = (
                "SELECT a.id, a.text FROM archive_claims a"
                " LEFT JOIN archive_embeddings e ON e.archive_id = a.id"
                " WHERE e.archive_id IS NULL AND a.id > ? ORDER BY a.id LIMIT ?"
            )
        return [(int(r[0]), str(r[1])) for r in self._read(sql, (after_id, limit))]

    def save_archive_embeddings(self, model: str, rows: Sequence[tuple[int, str, bytes]]) -> int:
        """Store vectors ``(archive id, text embedded, vector)`` made by encoder ``model``.

        In short transactions, so that the user's edits get in between (see
        :class:`~workbench.store.batches.PacedBatches`). A vector whose past check has left the
        archive or whose text has changed since it was read is dropped; if the stored
        vectors came from another encoder, they are all removed first. Returns how
        many were stored.
        """
        self._drop_other_encoders_vectors(model)
        stored = 0
        batches = PacedBatches(rows, edits=self.gives_way_to, alone=self._alone)
        for batch in batches:
            with self._write() as conn:
                if self._embedding_model(conn) != model:
                    # Another encoder's run slipped in between two batches: this one wins.
                    conn.execute("DELETE FROM archive_embeddings")
                    conn.execute("UPDATE embedding_state SET model = ?", (model,))
                for piece in batches.pieces(batch):
                    for archive_id, text, vector in piece:
                        cur = conn.execute(
                            "INSERT INTO archive_embeddings (archive_id, vector)"
                            " SELECT id, ? FROM archive_claims WHERE id = ? AND text = ?"
                            " ON CONFLICT (archive_id) DO UPDATE SET vector = excluded.vector",
                            (vector, archive_id, text),
                        )
                        stored += max(cur.rowcount, 0)
        return stored

    def _drop_other_encoders_vectors(self, model: str) -> None:
        """Remove the vectors of an encoder other than ``model``, then record ``model``.

        A batch per transaction (a million vectors take seconds to delete); the last
        one records the new encoder, so no vector of the old one is ever counted as
        made by the new one.
        """
        pacer = _Pacer(edits=self.gives_way_to)
        while True:
            with self._write() as conn:
                if self._embedding_model(conn) == model:
                    return
                cur = conn.execute(
                    "DELETE FROM archive_embeddings WHERE archive_id IN"
                    " (SELECT archive_id FROM archive_embeddings LIMIT ?)",
                    (ARCHIVE_BATCH,),
                )
                if cur.rowcount < ARCHIVE_BATCH:
                    conn.execute("UPDATE embedding_state SET model = ?", (model,))
                    return
            pacer.pause()

    @staticmethod
    def _embedding_model(conn: sqlite3.Connection) -> str:
        return str(conn.execute("SELECT model FROM embedding_state WHERE id = 1").fetchone()[0])

    def archive_embeddings(
        self, *, after_id: int = 0, limit: int = 50_000
    ) -> list[tuple[int, bytes]]:
        """Stored vectors as (archive id, vector), by id, from ``after_id`` on."""
        rows = self._read(
            "SELECT archive_id, vector FROM archive_embeddings"
            " WHERE archive_id > ? ORDER BY archive_id LIMIT ?",
            (after_id, limit),
        )
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def archive_embeddings_by_id(self, ids: Iterable[int]) -> dict[int, bytes]:
        """The stored vectors of these past checks, by id (those without one are left out)."""
        sql = "SELECT archive_id, vector FROM archive_embeddings WHERE archive_id IN ({marks})"
        return {int(r[0]): bytes(r[1]) for r in self._read_in(sql, sorted(set(ids)))}

    def archive_ids_by_source(self, *, after_id: int = 0) -> dict[str, list[int]]:
        """The ids of the past checks of each collection, from ``after_id`` on.

        Read from the (source, external id) index alone: a million ids in a third of
        a second, where joining each vector to its row took seconds.
        """
        sources = [str(r[0]) for r in self._read("SELECT DISTINCT source FROM archive_claims")]
        return {
            name: [
                int(r[0])
                for r in self._read(
                    "SELECT id FROM archive_claims WHERE source = ? AND id > ?", (name, after_id)
                )
            ]
            for name in sources
        }

    def archive_claims_by_id(self, ids: Iterable[int]) -> dict[int, ArchiveClaim]:
        """The past checks with these ids that still exist, by id."""
        sql = f"SELECT {ARCHIVE_CLAIM_COLUMNS} FROM archive_claims a WHERE id IN ({{marks}})"
        rows = self._read_in(sql, sorted(set(ids)))
        return {int(r[0]): archive_claim_from_values(r) for r in rows}

    def archive_ids_of_claims(self, claim_ids: Iterable[int]) -> set[int]:
        """The ids of the past checks that are these workbench claims' own verdicts."""
        sql = "SELECT id FROM archive_claims WHERE claim_id IN ({marks})"
        return {int(r[0]) for r in self._read_in(sql, sorted(set(claim_ids)))}
