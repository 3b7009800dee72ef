"""Exceptions the core raises for problems a user can act on.

Every class here carries a one-line, human-readable message; the CLI prints it as
``workbench: error: <message>`` and the desktop app shows it in a dialog.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """A problem with the user's input or environment, not a bug."""


class IngestError(WorkbenchError):
    """A file or text could not be read as an article."""


class StoreError(WorkbenchError):
    """The database could not be opened or written."""


class NotFoundError(WorkbenchError):
    """An article, claim or evidence link id does not exist."""


class ValidationError(WorkbenchError):
    """A value (status, URL, offsets) is not acceptable."""


class ImportFormatError(WorkbenchError):
    """An archive file could not be read as claims (not JSON Lines, CSV or ClaimReview)."""


class CancelledError(WorkbenchError):
    """The user stopped a long operation (an import); nothing was changed."""
