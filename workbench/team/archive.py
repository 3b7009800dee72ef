"""Loading archives of past checks onto the team server (``workbench team import``).

When a desk's archive outgrows a laptop (millions of imported ClaimReview records), its
administrator loads it once onto the server, into ``workbench_team.past_checks``
(team schema 2), and every member searches it there (:mod:`workbench.team.search`).
Files are read by the local archive readers (:func:`workbench.archive.read_archive`:
JSON Lines, CSV, ClaimReview, Fact Check API responses), so a file loads on the server
exactly as it would locally.

Records go in batches, each one server transaction: ``COPY`` into a temporary table,
then one ``INSERT ... ON CONFLICT (source, external_id) DO NOTHING``, so loading a file
again adds nothing twice and a cut import is finished by running it again. A batch
takes the publishing lock, so an import and the members' publishing take turns a
batch at a time (both move the word statistics). With an encoder, each new past check
gets its embedding in the local vector format (:func:`workbench.semantic.encode_vectors`),
and one already there without it gets it added.

Only the administrator (the owner of the team schema) may load: checkers and readers
search. psycopg errors become one-line :class:`~workbench.errors.TeamError` s.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors as pg_errors

from workbench.errors import TeamError, TeamPermissionError
from workbench.models import ArchiveRecord
from workbench.past_checks import collection_name, record_key
from workbench.team.client import (
    CONNECT_TIMEOUT_S,
    Connection,
    answered,
    open_connection,
    sendable,
    server_said,
)
from workbench.team.dsn import login_of, parse_dsn, server_label
from workbench.team.schema import (
    PUBLISH_LOCK,
    SCHEMA,
    TAKE_PUBLISH_TURN,
    check_schema,
    schema_version,
)

if TYPE_CHECKING:
    from workbench.nlp.encoder import SentenceEncoder

log = logging.getLogger("workbench.team")

LOAD_BATCH = 5_000
"""Past checks per server transaction when loading an archive."""
EMBED_CHUNK = 256
"""Texts embedded per call of the encoder."""

_COLUMNS = ("external_id", "text", "title", "verdict", "url", "date", "speaker", "publisher")

_STAGING = """
    CREATE TEMP TABLE IF NOT EXISTS wb_load (
        external_id text, text text, title text, verdict text, url text, date text,
        speaker text, publisher text, embedding bytea, embedding_model text
    ) ON COMMIT DELETE ROWS
"""
_COPY = f"COPY wb_load ({', '.join(_COLUMNS)}, embedding, embedding_model) FROM STDIN"
_INSERT = f"""
    INSERT INTO {SCHEMA}.past_checks (source, {", ".join(_COLUMNS)}, embedding, embedding_model)
    SELECT %s, {", ".join(_COLUMNS)}, embedding, embedding_model FROM wb_load
    ON CONFLICT (source, external_id) DO NOTHING
"""
_ADD_VECTORS = f"""
    UPDATE {SCHEMA}.past_checks p SET embedding = l.embedding, embedding_model = l.embedding_model
    FROM wb_load l
    WHERE p.source = %s AND p.external_id = l.external_id AND l.embedding IS NOT NULL
        AND p.text = l.text AND p.embedding_model IS DISTINCT FROM l.embedding_model
"""
MAX_ID_BYTES = 2_000
"""The longest id the server's unique index takes for certain (about 2,700 bytes a row
with the source name, less when the id does not compress): a longer one is stored as its
hash, unless the server holds it already."""
_HELD = f"""
    SELECT external_id FROM {SCHEMA}.past_checks WHERE source = %s AND external_id = ANY(%s)
"""
_KNOWN = f"""
    SELECT external_id, embedding_model IS NOT DISTINCT FROM %s FROM {SCHEMA}.past_checks
    WHERE source = %s AND external_id = ANY(%s)
"""

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class TeamLoadResult:
    """What loading records did: added, already there, embeddings computed."""

    added: int = 0
    duplicates: int = 0
    embedded: int = 0


@dataclass(frozen=True, slots=True)
class TeamImportReport:
    """What ``workbench team import`` did with a file."""

    server: str
    source: str
    format: str
    read: int
    added: int
    duplicates: int
    embedded: int
    skipped: tuple[tuple[int, str], ...]
    unit: str = "line"

    def summary(self) -> str:
        """``loaded 12,830 past checks into 'x' on HOST:5432/desk (3 already there, ...)``."""
        parts = [f"{self.duplicates:,} already there"]
        if self.embedded:
            parts.append(f"{self.embedded:,} embedded")
        if self.skipped:
            shown = ", ".join(str(n) for n, _ in self.skipped[:10])
            more = f" and {len(self.skipped) - 10:,} more" if len(self.skipped) > 10 else ""
            plural = "s" if len(self.skipped) != 1 else ""
            parts.append(f"{len(self.skipped):,} malformed: {self.unit}{plural} {shown}{more}")
        noun = "past check" if self.added == 1 else "past checks"
        return (
            f"loaded {self.added:,} {noun} into '{self.source}' on {self.server}"
            f" ({', '.join(parts)})"
        )


def import_to_team(
    dsn: str,
    path: str | Path,
    *,
    source: str | None = None,
    encoder: SentenceEncoder | None = None,
    batch: int = LOAD_BATCH,
    progress: ProgressCallback | None = None,
    timeout: float = CONNECT_TIMEOUT_S,
) -> TeamImportReport:
    """Read an archive file and load its past checks onto the team server as ``source``.

    ``dsn`` logs in as the team archive's administrator. With ``encoder``, each past
    check is stored with its embedding too (so members' searches score by meaning).

    Raises:
        ImportFormatError: the file cannot be read as an archive (nothing loaded).
        ValidationError: ``source`` is empty, too long or reserved.
        TeamPermissionError: the login may not load archives (only the administrator).
        TeamError: the server is unreachable, refuses the login, has no team archive,
            or failed midway (the batches committed before stay; loading again adds
            the rest).
    """
    from workbench.archive import read_archive, source_name

    name = collection_name(source_name(path, source))
    parsed = read_archive(path)
    parts = parse_dsn(dsn)
    server = server_label(parts)
    with open_connection(dsn, timeout=timeout) as conn:
        check_schema(conn, server)
        result = load_records(
            conn, parsed.records, source=name, server=server, login=login_of(parts),
            encoder=encoder, batch=batch, progress=progress, total=len(parsed.records),
        )  # fmt: skip
    log.info("loaded %d past checks into %r on %s", result.added, name, server)
    return TeamImportReport(
        server=server,
        source=name,
        format=parsed.format,
        read=len(parsed.records),
        added=result.added,
        duplicates=result.duplicates,
        embedded=result.embedded,
        skipped=parsed.skipped,
        unit=parsed.unit,
    )


def load_records(
    conn: Connection,
    records: Iterable[ArchiveRecord],
    *,
    source: str,
    server: str,
    login: str,
    encoder: SentenceEncoder | None = None,
    batch: int = LOAD_BATCH,
    progress: ProgressCallback | None = None,
    total: int = 0,
) -> TeamLoadResult:
    """Load ``records`` as collection ``source``, a server transaction per ``batch``.

    The work under :func:`import_to_team`, for callers with records in hand (the
    benchmark). ``progress(done, total)`` after each batch.

    Raises:
        TeamPermissionError, TeamError: see :func:`import_to_team`.
    """
    added = duplicates = embedded = done = 0
    model = _encoder_id(encoder)
    committed = 0
    try:
        # Loads and publishers take turns: both write past checks and their word counts.
        params: tuple[int, ...] = ()
        if (schema_version(conn) or 0) >= 4:
            take_turn = TAKE_PUBLISH_TURN
        else:
            take_turn, params = "SELECT pg_advisory_xact_lock(%s)", (PUBLISH_LOCK,)
        conn.execute(_STAGING)
        for chunk in _chunks(records, batch):
            rows = _unique_rows(chunk)
            with conn.transaction():
                conn.execute(take_turn, params)
                rows = _indexable(conn, source, rows)
                vectors: dict[str, bytes] = {}
                if encoder is not None and model is not None:
                    vectors = _embeddings(conn, encoder, model, source, rows)
                with conn.cursor() as cur:
                    with cur.copy(_COPY) as copy:
                        for key, row in rows.items():
                            vector = vectors.get(key)
                            copy.write_row((*row, vector, model if vector else None))
                    cur.execute(_INSERT, (source,))
                    inserted = max(cur.rowcount, 0)
                    if vectors:
                        cur.execute(_ADD_VECTORS, (source,))
            answered(conn)
            added += inserted
            duplicates += len(chunk) - inserted
            embedded += len(vectors)
            committed += inserted
            done += len(chunk)
            if progress is not None:
                progress(done, max(total, done))
    except pg_errors.InsufficientPrivilege as exc:
        raise TeamPermissionError(
            f"the team server at {server} does not let {login} load archives: only the team"
            " archive's administrator (who ran team init) can"
        ) from exc
    except psycopg.Error as exc:
        kept = f"; the {committed:,} added before stay" if committed else ""
        raise TeamError(
            f"loading the archive onto the team server at {server} failed: {server_said(exc)}{kept}"
        ) from exc
    return TeamLoadResult(added, duplicates, embedded)


def _encoder_id(encoder: SentenceEncoder | None) -> str | None:
    if encoder is None:
        return None
    from workbench.semantic import encoder_id

    return encoder_id(encoder)


def _chunks(records: Iterable[ArchiveRecord], size: int) -> Iterator[list[ArchiveRecord]]:
    chunk: list[ArchiveRecord] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= max(1, size):
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _unique_rows(chunk: Sequence[ArchiveRecord]) -> dict[str, tuple[str, ...]]:
    """The batch's rows by external id (a record without one gets its text's hash), first
    kept. PostgreSQL's text holds no NUL character: one in a record made the server
    refuse its whole batch (an audit), so NULs are left out (:func:`sendable`)."""
    rows: dict[str, tuple[str, ...]] = {}
    for r in chunk:
        key = sendable(r.external_id or record_key(r.text, r.title))
        fields = (r.text, r.title, r.verdict, r.url, r.date, r.speaker, r.publisher)
        rows.setdefault(key, (key, *map(sendable, fields)))
    return rows


def _indexable(
    conn: Connection, source: str, rows: dict[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """``rows`` with each id over :data:`MAX_ID_BYTES` replaced by its hash (an audit: a
    20 kB id made the server refuse the whole batch), unless the server already holds it
    as it is (a compressible one was taken), so that loading again adds nothing."""
    long = {key for key in rows if len(key) * 4 > MAX_ID_BYTES and len(key.encode()) > MAX_ID_BYTES}
    if not long:
        return rows
    held = {str(r[0]) for r in conn.execute(_HELD, (source, list(long))).fetchall()}
    kept: dict[str, tuple[str, ...]] = {}
    for key, row in rows.items():
        if key in long and key not in held:
            digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
            key = f"sha1-id:{digest}"
            row = (key, *row[1:])
        kept.setdefault(key, row)
    return kept


def _embeddings(
    conn: Connection,
    encoder: SentenceEncoder,
    model: str,
    source: str,
    rows: dict[str, tuple[str, ...]],
) -> dict[str, bytes]:
    """Vectors for the rows the server lacks, or holds without this encoder's vector."""
    from workbench.semantic import encode_vectors

    known: dict[str, Any] = dict(conn.execute(_KNOWN, (model, source, list(rows))).fetchall())
    wanted = [key for key in rows if not known.get(key, False)]
    vectors: dict[str, bytes] = {}
    for start in range(0, len(wanted), EMBED_CHUNK):
        keys = wanted[start : start + EMBED_CHUNK]
        blobs = encode_vectors(encoder.embed([rows[k][1] for k in keys]))
        vectors.update(zip(keys, blobs, strict=True))
    return vectors
