"""The local SQLite database: the only package that speaks SQL.

Every change runs in one short ``BEGIN IMMEDIATE`` transaction, so a failure (or a
crash) leaves the database exactly as it was before the change. A long write (an
archive import, a save of embeddings) is many short ones, a batch each, so that the
user's edits get in between. Schema changes are numbered migrations (sqlite-utils
``Migrations``); ``PRAGMA user_version`` records how many have run, so a database
written by a newer version of the app is refused rather than misread.

:class:`Store` is assembled from one module per concern; read them in this order:

- :mod:`~workbench.store.db`: the connection, opening and checking the file, and
  ``_read``/``_write``/``transaction``, through which every other module reaches SQLite;
- :mod:`~workbench.store.schema`: the schema, as numbered migrations;
- :mod:`~workbench.store.rows`: rows turned into models, and the checks on values
  written (:func:`validate_url`, :func:`parse_status` ...), shared by the modules below;
- :mod:`~workbench.store.articles`: articles and claims;
- :mod:`~workbench.store.evidence`: evidence links and the history of each claim;
- :mod:`~workbench.store.archive`: the archive of past checks, its import and search;
- :mod:`~workbench.store.batches`: how long writes (imports, embeddings) are cut into
  short transactions;
- :mod:`~workbench.store.embeddings`: stored sentence vectors of past checks;
- :mod:`~workbench.store.library`: the evidence library's folders, documents, passages
  and passage vectors;
- :mod:`~workbench.store.outbox`: the team archive's outbox and the verdicts received;
- :mod:`~workbench.store.settings`: settings.

Import everything from ``workbench.store`` itself; the modules are how it is arranged.
"""

from __future__ import annotations

from workbench.past_checks import OWN_SOURCE, TEAM_SOURCE
from workbench.store.archive import (
    ARCHIVE_TITLE_WEIGHT,
    TERM_CACHE_SIZE,
    ArchiveCandidate,
    ArchiveImportResult,
    ArchiveMixin,
    ArchiveSource,
    fts_or_query,
)
from workbench.store.articles import (
    USER_CLAIM_REASON,
    ArticlesMixin,
    ArticleSummary,
    DeletedArticle,
    ImportResult,
    header_value,
)
from workbench.store.batches import ARCHIVE_BATCH, BATCH_PAUSE_S, BREATHER_EVERY_S, BREATHER_S
from workbench.store.db import USER_ENV_VAR, StoreBase
from workbench.store.embeddings import EmbeddingsMixin, EmbeddingState
from workbench.store.evidence import NOTE_COALESCE_S, EvidenceMixin
from workbench.store.library import (
    LIBRARY_SOURCE,
    DocumentPassages,
    LibraryDocument,
    LibraryFolder,
    LibraryMixin,
    LibraryPassage,
    LibraryVectors,
    PassageCandidate,
)
from workbench.store.outbox import (
    OutboxChange,
    OutboxState,
    ReceiveResult,
    TeamMixin,
    TeamVerdict,
)
from workbench.store.rows import (
    clean_tag,
    content_hash,
    parse_status,
    validate_url,
)
from workbench.store.settings import SettingsMixin

__all__ = [
    "ARCHIVE_BATCH",
    "ARCHIVE_TITLE_WEIGHT",
    "BATCH_PAUSE_S",
    "BREATHER_EVERY_S",
    "BREATHER_S",
    "LIBRARY_SOURCE",
    "NOTE_COALESCE_S",
    "OWN_SOURCE",
    "TEAM_SOURCE",
    "TERM_CACHE_SIZE",
    "USER_CLAIM_REASON",
    "USER_ENV_VAR",
    "ArchiveCandidate",
    "ArchiveImportResult",
    "ArchiveSource",
    "ArticleSummary",
    "DeletedArticle",
    "DocumentPassages",
    "EmbeddingState",
    "ImportResult",
    "LibraryDocument",
    "LibraryFolder",
    "LibraryPassage",
    "LibraryVectors",
    "OutboxChange",
    "OutboxState",
    "PassageCandidate",
    "ReceiveResult",
    "Store",
    "StoreBase",
    "TeamVerdict",
    "clean_tag",
    "content_hash",
    "fts_or_query",
    "header_value",
    "migrations",
    "parse_status",
    "validate_url",
]


class Store(
    ArticlesMixin,
    EvidenceMixin,
    ArchiveMixin,
    EmbeddingsMixin,
    LibraryMixin,
    TeamMixin,
    SettingsMixin,
):
    """A fact-checker's database of articles, claims, verdicts and evidence.

    Open one ``Store`` per thread: a connection is never shared across threads.

    Opening checks the file first, read-only, and leaves it byte-identical when it
    refuses it: :class:`ForeignDatabaseError` (not SQLite, or another program's),
    :class:`DatabaseDamagedError` (truncated, bytes changed), :class:`NewerDatabaseError`
    (a newer version's schema), :class:`DatabaseLockedError`. A database with an older
    schema is backed up (reason ``pre-migration``) before it is migrated. With
    ``auto_backup`` (the app and the CLI), an existing database gets a backup when the
    newest one is more than a day old (see :mod:`workbench.backup`); a backup that
    fails is logged and kept in :attr:`backup_problem`, it never stops the opening.
    ``check=False`` skips the integrity check (SQLite's ``quick_check`` reads the whole
    file): for a worker's connection to a database the app or command already opened.

    Each mixin holds the methods of one concern (see the modules above); all of them
    share :class:`~workbench.store.db.StoreBase`'s one connection.
    """


def __getattr__(name: str) -> object:
    """``migrations`` (the schema's ``Migrations``) loads sqlite-utils, so only when asked."""
    if name == "migrations":
        from workbench.store.schema import migrations

        return migrations
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
