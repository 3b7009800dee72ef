"""Searching the team archive on the server: past-claim matching without a local copy.

When the desk's archive is too big for a laptop (millions of imported ClaimReview
records, loaded with :mod:`workbench.team.archive`), ``workbench match --team`` asks
the server for each claim's candidates and re-ranks them here with exactly the local
scoring (:func:`workbench.matching.score_candidates`: the same signals, weights,
calibrated scores, shared terms and conflicts), so a match found on the server reads
like one found locally.

Candidates come from one statement per claim (all of a batch's sent in one round
trip, psycopg's pipeline mode). The claim's search words, as local matching picks
them (:func:`workbench.matching.query_terms`), become PostgreSQL's English lexemes; a
word the archive does not hold (a misspelling: "goverment") is replaced by the known
words nearest to it by pg_trgm similarity, found through a trigram index on the
vocabulary. The rarest of those are kept within a postings budget, using the server's
word statistics (``past_check_terms``, as :func:`workbench.matching.rarest_terms`
does with FTS5's vocabulary), and OR-ed into a ``tsquery`` built from lexemes (never
parsed from the user's text, so no quote or operator in it can break it). The hits
come through the GIN index; the best :data:`PRESELECT` by ``ts_rank`` get their BM25,
computed in SQL with FTS5's formula (k1 1.2, b 0.75, the title at half weight), and
the best :data:`~workbench.matching.CANDIDATES` by BM25 are re-ranked here.

Trigram similarity is used on the vocabulary, not on the texts: a GIN trigram search
of a claim's whole text reads the posting lists of a hundred trigrams, most of them
in nearly every past check, which takes far longer than the word search on a million
of them.

Past checks stored with an embedding of the local encoder (``team import --embed``)
are scored with the semantic signals too (the cosine with the claim's embedding,
computed here). There is no nearest-neighbour search on the server: that needs the
pgvector extension (see the README, "Team archive").
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors as pg_errors

from workbench.errors import TeamError, TeamPermissionError, TeamSchemaError
from workbench.matching import (
    CANDIDATES,
    MIN_SEARCH_TERMS,
    query_terms,
    score_candidates,
)
from workbench.models import ArchiveClaim, Match
from workbench.store import ArchiveCandidate
from workbench.team.client import (
    CONNECT_TIMEOUT_S,
    Connection,
    TeamLink,
    answered,
    open_connection,
    sendable,
    server_said,
    was_cut,
)
from workbench.team.dsn import login_of, parse_dsn, server_label
from workbench.team.schema import SCHEMA, check_schema
from workbench.textsafety import http_url

if TYPE_CHECKING:
    from workbench.nlp.encoder import SentenceEncoder

log = logging.getLogger("workbench.team")

SEARCH_SCHEMA = 2
"""The first team schema with past checks to search."""
SERVER_POSTINGS_BUDGET = 5_000
"""The word search's postings budget on the server (:func:`workbench.matching.rarest_terms`):
each hit costs a few microseconds of ``@@`` and ``ts_rank``, so this bounds a claim's
search on a million past checks. Local matching uses it when it has embeddings."""
RESPELLINGS = 2
"""Known words searched in place of a claim's word the archive does not hold."""
RESPELL_MIN_LENGTH = 5
"""Shorter unknown words are not respelt: their trigrams say too little."""
TRIGRAM_THRESHOLD = 0.5
"""pg_trgm similarity a known word needs to stand in for an unknown one."""
PRESELECT = 200
"""Word-search hits (best ``ts_rank`` first, which is cheap) whose BM25 is computed; the
best :data:`~workbench.matching.CANDIDATES` by BM25 are re-ranked."""
FIELD_LIMITS = {
    "external_id": 200,
    "source": 100,
    "text": 10_000,
    "title": 1_000,
    "verdict": 200,
    "url": 4_000,
    "date": 40,
    "speaker": 500,
    "publisher": 500,
}
"""The most characters of each field a candidate keeps: the server's rows are anyone's (a
verdict with a 100 MB claim text made one search take 8 GB); longer ones are cut."""
MAX_EMBEDDING_BYTES = 16_384
"""A stored embedding larger than this is not the local encoder's: scored without it."""
SEARCH_TIMEOUT_MS = 15_000
"""A search statement the server has not answered by then is cancelled."""

_SETTINGS = """
    SELECT set_config('pg_trgm.similarity_threshold', %s, true),
        -- The planner cannot cost the BM25 arithmetic: JIT would compile for longer
        -- than the search takes.
        set_config('jit', 'off', true)
"""
_SEARCH = f"""
WITH words AS (
    SELECT DISTINCT u.lexeme
    FROM unnest(%(terms)s::text[]) AS w(word),
        unnest(to_tsvector('english'::regconfig, w.word)) AS u
),
known AS (
    SELECT w.lexeme, t.docs
    FROM words w JOIN {SCHEMA}.past_check_terms t USING (lexeme)
    WHERE t.docs > 0
),
respelt AS (
    SELECT DISTINCT s.lexeme, s.docs
    FROM words w, LATERAL (
        SELECT t.lexeme, t.docs FROM {SCHEMA}.past_check_terms t
        WHERE t.lexeme %% w.lexeme AND t.docs > 0
        ORDER BY similarity(t.lexeme, w.lexeme) DESC, t.docs DESC, t.lexeme
        LIMIT %(respellings)s
    ) s
    WHERE length(w.lexeme) >= %(respell_length)s AND w.lexeme ~ '^[[:alpha:]]+$'
        AND w.lexeme NOT IN (SELECT lexeme FROM known)
),
ranked AS (
    SELECT lexeme, docs,
        row_number() OVER (ORDER BY docs, lexeme) AS n,
        sum(docs) OVER (ORDER BY docs, lexeme ROWS UNBOUNDED PRECEDING) AS running
    FROM (SELECT * FROM known UNION SELECT * FROM respelt) found
),
totals AS (
    SELECT GREATEST(docs, 1)::float8 AS n,
        GREATEST(tokens, 1)::float8 / GREATEST(docs, 1) AS avgdl
    FROM {SCHEMA}.past_check_totals
),
chosen AS (
    SELECT r.lexeme,
        GREATEST(ln((t.n - r.docs + 0.5::float8) / (r.docs + 0.5::float8)), 1e-6::float8) AS idf
    FROM ranked r, totals t
    WHERE r.n <= %(min_terms)s OR r.running <= %(budget)s
),
tsq AS (
    SELECT string_agg(
        '''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''', ' | '
    )::tsquery AS q
    FROM chosen
),
hits AS (
    SELECT p.id, p.search
    FROM {SCHEMA}.past_checks p
    WHERE p.search @@ (SELECT q FROM tsq)
        AND (%(source)s::text IS NULL OR p.source = %(source)s)
    ORDER BY ts_rank('{{0.1, 0.2, 0.5, 1.0}}', p.search, (SELECT q FROM tsq)) DESC, p.id
    LIMIT %(preselect)s
),
sized AS (
    SELECT id, search, {SCHEMA}.tsvector_tokens(search) AS dl FROM hits
),
scored AS (
    SELECT x.id, SUM(
        c.idf * x.freq * 2.2::float8
        / (x.freq + 1.2::float8 * (0.25::float8 + 0.75::float8 * x.dl / (SELECT avgdl FROM totals)))
    ) AS bm25
    FROM (
        SELECT h.id, h.dl, u.lexeme,
            cardinality(array_positions(u.weights, 'A'))::float8
                + 0.5::float8 * cardinality(array_positions(u.weights, 'B')) AS freq
        FROM sized h, unnest(h.search) u
    ) x
    JOIN chosen c USING (lexeme)
    GROUP BY x.id
    ORDER BY bm25 DESC, x.id
    LIMIT %(limit)s
),
candidates AS (
    SELECT id, bm25, row_number() OVER (ORDER BY bm25 DESC, id) - 1 AS rank FROM scored
)
SELECT c.rank, c.bm25, p.id, left(p.external_id, {FIELD_LIMITS["external_id"]}),
    left(p.source, {FIELD_LIMITS["source"]}), left(p.text, {FIELD_LIMITS["text"]}),
    left(p.title, {FIELD_LIMITS["title"]}), left(p.verdict, {FIELD_LIMITS["verdict"]}),
    left(p.url, {FIELD_LIMITS["url"]}), left(p.date, {FIELD_LIMITS["date"]}),
    left(p.speaker, {FIELD_LIMITS["speaker"]}), left(p.publisher, {FIELD_LIMITS["publisher"]}),
    CASE WHEN p.imported_at BETWEEN '1900-01-01' AND '9000-01-01'
        THEN to_char(p.imported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') END,
    CASE WHEN p.embedding_model = %(model)s
        AND octet_length(p.embedding) <= {MAX_EMBEDDING_BYTES} THEN p.embedding END
FROM candidates c JOIN {SCHEMA}.past_checks p USING (id)
ORDER BY c.rank
LIMIT %(limit)s
"""


def search_team(
    where: TeamLink | Connection | str,
    texts: Sequence[str],
    *,
    top_k: int = 5,
    source: str | None = None,
    prefer_recent: bool = False,
    min_score: float = 0.0,
    exclude_team_claims: Collection[str] = (),
    encoder: SentenceEncoder | None = None,
    budget: int = SERVER_POSTINGS_BUDGET,
    timeout: float = CONNECT_TIMEOUT_S,
) -> list[list[Match]]:
    """The past checks on the team server most similar to each claim, best first.

    The same :class:`~workbench.models.Match` objects as
    :func:`workbench.matching.match_claims` returns (scored, explained), one list per
    text; ``archive.id`` is the server's id of the past check.

    Args:
        where: the team connection (a :class:`TeamLink` or a DSN, connected here and
            closed after), or an open connection.
        texts: the claims as the user has them.
        top_k: at most this many matches per claim.
        source: only past checks from this collection (``"team"``: the desk's verdicts).
        prefer_recent: newer checks first among similar scores (scores stay calibrated).
        min_score: drop matches scoring below this.
        exclude_team_claims: team claim ids (``claim_uid``) whose published verdicts must
            not match (a claim should not match its own verdict).
        encoder: the sentence encoder; with it, past checks that have an embedding of
            this encoder are scored with the semantic signals too.
        budget: the postings budget of the word search (see
            :data:`SERVER_POSTINGS_BUDGET`).

    Raises:
        TeamError: a one-line reason (unreachable, password refused, no team archive or
            one too old to search, not allowed to read it, the connection lost).
    """
    if not texts:
        return []
    with _connection(where, timeout) as (conn, server, login):
        try:
            version = check_schema(conn, server)
            if version < SEARCH_SCHEMA:
                raise TeamSchemaError(
                    f"the team server at {server} has team schema {version}, which holds no"
                    " archive to search; its administrator upgrades it with: workbench team"
                    " init DSN"
                )
            return _search(
                conn, texts, top_k=top_k, source=source, prefer_recent=prefer_recent,
                min_score=min_score, exclude=frozenset(exclude_team_claims),
                encoder=encoder, budget=budget,
            )  # fmt: skip
        except psycopg.Error as exc:
            raise search_error(exc, server, login, cut=was_cut(conn)) from exc


@contextmanager
def _connection(
    where: TeamLink | Connection | str, timeout: float
) -> Iterator[tuple[Connection, str, str]]:
    if isinstance(where, psycopg.Connection):
        parts = parse_dsn(where.info.dsn)
        yield where, server_label(parts), login_of(parts)
        return
    dsn = where.dsn if isinstance(where, TeamLink) else where
    parts = parse_dsn(dsn)
    with open_connection(dsn, timeout=timeout) as conn:
        conn.execute(f"SET statement_timeout = {int(SEARCH_TIMEOUT_MS)}")
        yield conn, server_label(parts), login_of(parts)


def search_error(exc: psycopg.Error, server: str, login: str, *, cut: bool = False) -> TeamError:
    """The one-line error for a search that failed after connecting (``cut``: by the
    connection's watchdog, the server having stopped answering)."""
    if cut:
        return TeamError(f"the team server at {server} stopped answering the search")
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return TeamPermissionError(
            f"the team server at {server} does not let {login} read the team archive"
            " (that needs the role workbench_checker or workbench_reader)"
        )
    if isinstance(exc, pg_errors.UndefinedTable | pg_errors.InvalidSchemaName):
        return TeamSchemaError(f"the team server at {server} has no team archive to search")
    if isinstance(exc, pg_errors.QueryCanceled):
        return TeamError(f"the team server at {server} did not answer the search in time")
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return TeamError(f"the connection to the team server at {server} was lost while searching")
    return TeamError(f"the team server at {server} refused the search: {server_said(exc)}")


def _search(
    conn: Connection,
    texts: Sequence[str],
    *,
    top_k: int,
    source: str | None,
    prefer_recent: bool,
    min_score: float,
    exclude: frozenset[str],
    encoder: SentenceEncoder | None,
    budget: int,
) -> list[list[Match]]:
    model = None
    if encoder is not None:
        from workbench.semantic import encoder_id

        model = encoder_id(encoder)
    queries = [query_terms(text) for text in texts]
    params = [
        {
            "terms": [sendable(t) for t in q.search],
            "min_terms": MIN_SEARCH_TERMS,
            "budget": budget,
            "source": sendable(source) if source is not None else None,
            "preselect": PRESELECT + len(exclude),
            "limit": CANDIDATES + len(exclude),
            "respellings": RESPELLINGS,
            "respell_length": RESPELL_MIN_LENGTH,
            "model": model,
        }
        for q in queries
    ]
    # One round trip for the batch; the settings hold for this transaction only.
    with conn.pipeline(), conn.transaction():
        conn.execute(_SETTINGS, (str(TRIGRAM_THRESHOLD),))
        cursors = [conn.execute(_SEARCH, p) for p in params]
    found = []
    for cur in cursors:
        found.append(cur.fetchall())
        answered(conn)
    results = []
    for query, rows in zip(queries, found, strict=True):
        candidates: list[tuple[ArchiveCandidate, int]] = []
        blobs: dict[int, bytes] = {}
        for row in rows:
            claim = _claim(row)
            if claim.source == "team" and claim.external_id in exclude:
                continue
            candidates.append((ArchiveCandidate(claim, float(row[1])), int(row[0])))
            if row[13] is not None:
                blobs[claim.id] = bytes(row[13])
        cosines = _cosines(encoder, query.normalized or query.text, blobs)
        results.append(
            score_candidates(
                query.text,
                candidates,
                cosines=cosines,
                top_k=top_k,
                prefer_recent=prefer_recent,
                min_score=min_score,
            )
        )
    return results


def _claim(row: tuple[Any, ...]) -> ArchiveClaim:
    return ArchiveClaim(
        id=int(row[2]),
        external_id=row[3],
        source=row[4],
        text=row[5],
        title=row[6],
        verdict=row[7],
        url=http_url(row[8] or ""),  # the server's: a link only if it is http(s)
        date=row[9],
        speaker=row[10],
        publisher=row[11],
        claim_id=None,
        imported_at=row[12] or "",
    )


def _cosines(
    encoder: SentenceEncoder | None, text: str, blobs: dict[int, bytes]
) -> dict[int, float]:
    """The cosine of the claim's embedding with each candidate's stored one."""
    if encoder is None or not blobs:
        return {}
    from workbench.semantic import decode_vectors

    ids = list(blobs)
    vectors = decode_vectors([blobs[i] for i in ids], encoder.dimensions)
    query = encoder.embed([text])[0]
    return {i: float(v) for i, v in zip(ids, vectors @ query, strict=True)}
