"""spaCy imported whole by one thread at a time (see :func:`import_spacy`)."""

from __future__ import annotations

import threading

_SPACY_IMPORT = threading.Lock()


def import_spacy() -> None:
    """Import spaCy whole, one thread at a time, before any of its parts is imported.

    spaCy's modules import one another. Two threads that imported them for the first
    time at once each met the other's half-made module ("cannot import name 'Language'
    from partially initialized module 'spacy.language'"): in the app, a claim added by
    hand while the analysis thread loaded the pipeline failed, and so did the analysis.
    The modules of this package that use spaCy call this before importing from it.
    """
    with _SPACY_IMPORT:
        import spacy  # noqa: F401
