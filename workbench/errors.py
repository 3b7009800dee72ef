"""Exceptions the core raises for problems a user can act on.

Every class here carries a one-line, human-readable message; the CLI prints it as
``workbench: error: <message>`` and the desktop app shows it in a dialog.
"""

from __future__ import annotations

from pathlib import Path


class WorkbenchError(Exception):
    """A problem with the user's input or environment, not a bug."""


class IngestError(WorkbenchError):
    """A file or text could not be read as an article."""


class StoreError(WorkbenchError):
    """The database could not be opened or written."""


class DatabaseUnusableError(StoreError):
    """The database file cannot be opened as it is; it was left untouched.

    The app offers to restore a backup or to choose another file; ``path`` is the file.
    """

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class DatabaseDamagedError(DatabaseUnusableError):
    """The file is an SQLite database, but damaged (truncated, bytes changed)."""


class ForeignDatabaseError(DatabaseUnusableError):
    """The file is not SQLite, or an SQLite database of another program."""


class NewerDatabaseError(DatabaseUnusableError):
    """The database was written by a newer version of the workbench."""


class DatabaseLockedError(StoreError):
    """Another program holds the database; trying again later may work."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


class DiskFullError(StoreError):
    """The disk holding the database (or a backup, or an export) has no room left.

    Nothing was saved; the database is as it was. Freeing space is the remedy, never
    restoring a backup.
    """


class BackupError(StoreError):
    """A backup could not be made, read or restored."""


class NotFoundError(WorkbenchError):
    """An article, claim or evidence link id does not exist."""


class ValidationError(WorkbenchError):
    """A value (status, URL, offsets) is not acceptable."""


class ChangedSinceError(ValidationError):
    """An undo or redo would overwrite what was changed since, by another program or
    person (the CLI, a second window): nothing was changed."""


class ImportFormatError(WorkbenchError):
    """An archive file could not be read as claims (not JSON Lines, CSV or ClaimReview)."""


class CancelledError(WorkbenchError):
    """The user stopped a long operation; what its finished batches stored is kept."""


class TeamError(WorkbenchError):
    """The team server could not be used. Nothing local is lost: the outbox keeps its verdicts."""


class TeamNotConnectedError(TeamError):
    """This database has no team connection (``workbench team connect``)."""


class TeamConfigError(TeamError):
    """A team connection string is not valid, or holds a password that must not be stored."""


class TeamUnreachableError(TeamError):
    """No team server answered (down, no network, wrong host): trying later may work."""


class TeamAuthError(TeamError):
    """The team server refused the login (wrong or missing password, unknown user)."""


class TeamSchemaError(TeamError):
    """The server has no team archive yet, or a newer one than this version knows."""


class TeamPermissionError(TeamError):
    """The login may not do that on the team server (a reader publishing, say)."""


class TeamConnectionLostError(TeamError):
    """The connection broke in the middle of an exchange; the next sync completes it."""
