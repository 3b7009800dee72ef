"""What a fact-checker does to a claim, one operation each, with its undo.

Every user operation on a claim (mark a status, edit the note or the claimant, add,
edit or remove an evidence link, add, remove or move a claim, apply a past verdict)
is a function here that returns an :data:`Operation`: a function of a
:class:`~workbench.store.Store` that makes the change in one transaction and returns
a :class:`Change` saying what changed and how to put it back, as another operation.
Applying ``change.undo`` returns a change whose ``undo`` redoes it, so an undo stack
keeps one operation per step and never guesses from result types.

The app's undo stack runs these on its writer thread; the CLI runs them directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from workbench import vault
from workbench.errors import ChangedSinceError, NotFoundError, ValidationError, WorkbenchError
from workbench.models import ArchiveClaim, Article, Claim, Evidence, Quote, Status, VaultFile
from workbench.store import DeletedArticle, Store

__all__ = [
    "Change",
    "Operation",
    "add_claim",
    "add_evidence",
    "add_file_evidence",
    "apply_past_verdict",
    "archive_article",
    "delete_article",
    "edit_article",
    "edit_evidence",
    "move_claim",
    "quote_evidence",
    "record_verdict",
    "remove_claim",
    "remove_evidence",
    "run",
    "set_article_tags",
    "set_claimant",
    "set_note",
    "set_status",
    "set_statuses",
    "tag_claims",
]


@dataclass(frozen=True, slots=True)
class Change:
    """What one operation changed, and the operation that puts it back.

    ``claim`` is the claim as it is now (None once removed). ``structural``: claims were
    added, removed or moved, so a list of the article's claims must be read again;
    otherwise only ``claim`` changed. An operation on the article itself (its header,
    archiving, deleting) has ``claim_id`` 0 and gives the ``article`` as it is now (None
    once deleted).
    """

    description: str
    article_id: int
    claim_id: int
    claim: Claim | None
    structural: bool
    undo: Operation
    article: Article | None = None


Operation = Callable[[Store], Change]


def run(store: Store, operation: Operation) -> Change:
    """Apply ``operation`` in one transaction."""
    with store.transaction():
        return operation(store)


def _update(
    description: str,
    claim_id: int,
    *,
    expect: dict[str, object] | None = None,
    **fields: str | Status,
) -> Operation:
    """Set a claim's ``fields``; as an undo or redo, only if each still holds what
    ``expect`` says the step before wrote (else :class:`ChangedSinceError`)."""

    def apply(store: Store) -> Change:
        with store.transaction():
            before = store.claim(claim_id)
            _refuse_if_changed(before, expect or {})
            after = store.update_claim(claim_id, **fields)  # type: ignore[arg-type]
        previous = {name: getattr(before, name) for name in fields}
        written = {name: getattr(after, name) for name in fields}
        return Change(
            description,
            after.article_id,
            claim_id,
            after,
            False,
            _update(description, claim_id, expect=written, **previous),
        )

    return apply


_FIELD_NAMES = {
    "status": "verdict",
    "note": "note",
    "claimant": "claimant",
    "chosen_priority": "priority",
}


def _refuse_if_changed(claim: Claim, expect: dict[str, object]) -> None:
    """Raise :class:`ChangedSinceError` unless ``claim`` still holds the ``expect`` values.

    An undo puts back what a field held before its step; if the field was changed since
    by someone else (the CLI, a colleague's window), that would silently throw their
    change away.
    """
    changed = [name for name, value in expect.items() if getattr(claim, name) != value]
    if changed:
        fields = " and ".join(_FIELD_NAMES.get(name, name) for name in changed)
        raise ChangedSinceError(
            f"not undone: the {fields} of this claim was changed since (by another window"
            " or command); change it by hand if needed"
        )


def set_status(claim_id: int, status: Status) -> Operation:
    return _update(f"Mark claim {status.value}", claim_id, status=status)


def set_priority(claim_id: int, priority: str) -> Operation:
    """Give a claim the fact-checker's priority ("high", "medium", "low"), or "" to leave
    it to the detector again. Later articles learn from it (``nlp.feedback``)."""
    description = f"Set priority {priority}" if priority else "Leave priority to the detector"
    return _update(description, claim_id, chosen_priority=priority)


def set_statuses(claim_ids: Sequence[int], status: Status) -> Operation:
    """Give several claims one status (a bulk action); undo gives each its own back."""
    return _set_each(claim_ids, "status", status, f"Mark {{count}} claims {status.value}")


def set_priorities(claim_ids: Sequence[int], priority: str) -> Operation:
    """Give several claims the fact-checker's priority, or "" to leave it to the detector
    again (a bulk action); undo gives each its own back."""
    description = (
        f"Set priority {priority} on {{count}} claims"
        if priority
        else "Leave the priority of {count} claims to the detector"
    )
    return _set_each(claim_ids, "chosen_priority", priority, description)


_BulkField = Literal["status", "chosen_priority"]
"""A field of a claim set on several at once, and given back to each by the undo."""


def _set_each(
    claim_ids: Sequence[int], field: _BulkField, value: str, description: str
) -> Operation:
    """Set ``field`` of each claim to ``value``; ``description`` has a ``{count}``."""

    def apply(store: Store) -> Change:
        with store.transaction():
            before = [store.claim(claim_id) for claim_id in claim_ids]
            for claim in before:
                if getattr(claim, field) != value:
                    store.update_claim(claim.id, **{field: value})  # type: ignore[arg-type]
        undo = _each_back(
            field, {c.id: getattr(c, field) for c in before}, expect=dict.fromkeys(claim_ids, value)
        )
        return _bulk_change(description.format(count=len(before)), before, undo)

    return apply


def _each_back(field: _BulkField, values: dict[int, str], *, expect: dict[int, str]) -> Operation:
    """Give each claim its ``field`` back (the undo of a bulk action), leaving alone the
    claims removed since and those whose ``field`` someone else changed since."""

    def apply(store: Store) -> Change:
        with store.transaction():
            before = [
                claim
                for claim in _existing(store, values)
                if getattr(claim, field) == expect.get(claim.id, getattr(claim, field))
            ]
            for claim in before:
                store.update_claim(claim.id, **{field: values[claim.id]})  # type: ignore[arg-type]
        undo = _each_back(field, {c.id: getattr(c, field) for c in before}, expect=values)
        what = _FIELD_NAMES[field]
        return _bulk_change(f"Change the {what} of {len(before)} claims", before, undo)

    return apply


def _existing(store: Store, claim_ids: Iterable[int]) -> list[Claim]:
    """The claims of ``claim_ids`` still there (others may have been removed since)."""
    found = []
    for claim_id in claim_ids:
        try:
            found.append(store.claim(claim_id))
        except NotFoundError:
            continue
    return found


def _bulk_change(description: str, claims: Sequence[Claim], undo: Operation) -> Change:
    """A change to several claims of one article: the list is read again (``structural``)."""
    first = claims[0] if claims else None
    article_id = first.article_id if first is not None else 0
    return Change(description, article_id, first.id if first else 0, None, True, undo)


def tag_claims(
    claim_ids: Sequence[int], *, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> Operation:
    """Add and remove tags on one claim or several; undo takes back what this changed."""

    def apply(store: Store) -> Change:
        with store.transaction():
            before = {claim.id: claim.tags for claim in map(store.claim, claim_ids)}
            after = store.tag_claims(claim_ids, add=add, remove=remove)
        return _tags_change(after, _retag(_tag_deltas(before, after)))

    return apply


_TagDeltas = dict[int, tuple[tuple[str, ...], tuple[str, ...]]]
"""Per claim, the tags a step added and those it removed."""


def _tag_deltas(before: dict[int, tuple[str, ...]], after: Sequence[Claim]) -> _TagDeltas:
    deltas: _TagDeltas = {}
    for claim in after:
        had = {t.casefold() for t in before.get(claim.id, ())}
        has = {t.casefold() for t in claim.tags}
        added = tuple(t for t in claim.tags if t.casefold() not in had)
        removed = tuple(t for t in before.get(claim.id, ()) if t.casefold() not in has)
        deltas[claim.id] = (added, removed)
    return deltas


def _retag(deltas: _TagDeltas) -> Operation:
    """Undo tag changes: remove the tags a step added and add back those it removed,
    touching no other tag (a colleague's, added since), on the claims still there."""

    def apply(store: Store) -> Change:
        with store.transaction():
            claims = _existing(store, deltas)
            before = {claim.id: claim.tags for claim in claims}
            for claim in claims:
                added, removed = deltas[claim.id]
                store.tag_claims([claim.id], add=removed, remove=added)
            after = [store.claim(claim.id) for claim in claims]
        return _tags_change(after, _retag(_tag_deltas(before, after)))

    return apply


def _tags_change(claims: Sequence[Claim], undo: Operation) -> Change:
    if len(claims) == 1:
        claim = claims[0]
        return Change("Change tags", claim.article_id, claim.id, claim, False, undo)
    return _bulk_change(f"Tag {len(claims)} claims", claims, undo)


def set_note(claim_id: int, note: str, *, replacing: str | None = None) -> Operation:
    """Set a claim's note; with ``replacing``, only if it is still that text (an undo)."""
    expect: dict[str, object] | None = None if replacing is None else {"note": replacing}
    return _update("Edit note", claim_id, expect=expect, note=note)


def set_claimant(claim_id: int, claimant: str) -> Operation:
    return _update("Change claimant", claim_id, claimant=claimant.strip())


def record_verdict(
    claim_id: int,
    *,
    status: Status | str | None = None,
    note: str | None = None,
    claimant: str | None = None,
    evidence: Sequence[tuple[str, str]] = (),
) -> Operation:
    """Status, note, claimant and new ``(url, title)`` links at once (``workbench claim set``).

    The undo restores the three fields and removes the links this added, together.
    """

    def apply(store: Store) -> Change:
        with store.transaction():
            before = store.claim(claim_id)
            after = store.update_claim(
                claim_id, status=status, note=note, claimant=claimant, evidence=evidence
            )
        old = {e.id for e in before.evidence}
        added = [item for item in after.evidence if item.id not in old]
        undo = _put_back(before, remove=added, expect=after)
        return Change("Record verdict", after.article_id, claim_id, after, False, undo)

    return apply


def _put_back(
    target: Claim,
    *,
    remove: Sequence[Evidence] = (),
    restore: Sequence[Evidence] = (),
    expect: Claim | None = None,
) -> Operation:
    """Give the claim ``target``'s status, note and claimant, removing the links ``remove``
    and putting back the links ``restore``; its undo does the opposite from where it was.

    With ``expect`` (the claim as the step before left it), only if its status, note
    and claimant are still those (else :class:`ChangedSinceError`).
    """

    def apply(store: Store) -> Change:
        with store.transaction():
            before = store.claim(target.id)
            if expect is not None:
                _refuse_if_changed(before, {f: getattr(expect, f) for f in _FIELD_NAMES})
            for item in remove:
                store.remove_evidence(item.id)
            for item in restore:
                store.restore_evidence(item)
            after = store.update_claim(
                target.id, status=target.status, note=target.note, claimant=target.claimant
            )
        undo = _put_back(before, remove=restore, restore=remove, expect=after)
        return Change("Record verdict", after.article_id, after.id, after, False, undo)

    return apply


def _evidence_change(store: Store, description: str, item: Evidence, undo: Operation) -> Change:
    claim = store.claim(item.claim_id)
    return Change(description, claim.article_id, claim.id, claim, False, undo)


def add_evidence(claim_id: int, url: str, *, title: str = "", note: str = "") -> Operation:
    def apply(store: Store) -> Change:
        with store.transaction():
            item = store.add_evidence(claim_id, url, title=title, note=note)
            return _evidence_change(store, "Add evidence link", item, _remove_evidence(item))

    return apply


@dataclass(frozen=True, slots=True)
class ReadFile:
    """A file copied into the vault, with what evidence needs of its document
    (:func:`read_file_evidence`)."""

    stored: vault.StoredFile
    title: str
    quote: Quote | None


def read_file_evidence(
    db_path: str | Path, path: str | Path, *, quote: str = "", title: str = ""
) -> ReadFile:
    """Copy ``path`` into the vault and read its title (unless ``title`` is given) and the
    ``quote`` in it. Done before a transaction begins, off the app's writer: a copy of
    hundreds of megabytes, or the reading of a large document, takes seconds, and the
    edits queued behind it (and Quit) or other programs would wait.

    Raises:
        ValidationError, IngestError: as :func:`add_file_evidence`.
    """
    from workbench import quotes

    stored = vault.store_file(db_path, path)
    file = VaultFile(stored.sha256, stored.size, stored.media_type, Path(path).name, "", "")
    if title and not quote.strip():
        return ReadFile(stored, title, None)
    try:
        document = quotes.read_document(db_path, file)
    except WorkbenchError:
        if quote.strip():
            raise
        return ReadFile(stored, "", None)  # an image, or unreadable: shown by its name
    found = document.quote(quote) if quote.strip() else None
    return ReadFile(stored, title or document.title, found)


def add_file_evidence(
    claim_id: int,
    path: str | Path,
    *,
    quote: str = "",
    title: str = "",
    source_url: str = "",
    note: str = "",
    read: ReadFile | None = None,
) -> Operation:
    """A file as evidence: copied into the vault (by its SHA-256), maybe with a quote.

    ``quote`` must be a passage of the document (whatever its spacing or case); it is
    kept with its offsets, its PDF page and its context. Undo removes the evidence; the
    vault keeps the file (``workbench vault prune`` drops files nothing uses). Without
    ``title`` the document's own is used, if it has one. ``read``: the copy and the
    reading done already (:func:`read_file_evidence`, as the app and the command line
    do); ``quote`` and ``title`` are then not used.
    """

    def apply(store: Store) -> Change:
        ready = read or read_file_evidence(store.path, path, quote=quote, title=title)
        with store.transaction():
            item = store.add_file_evidence(
                claim_id,
                ready.stored,
                original_name=Path(path).name,
                source_url=source_url,
                title=ready.title,
                note=note,
                quote=ready.quote,
            )
            return _evidence_change(store, "Add evidence file", item, _remove_evidence(item))

    return apply


def quote_evidence(evidence_id: int, passage: str) -> Operation:
    """Quote a passage of a vaulted document (empty: no quote); undo puts the old one back."""

    def apply(store: Store) -> Change:
        from workbench import quotes

        item = store.evidence(evidence_id)
        found = None
        if passage.strip():
            if item.file is None:
                raise ValidationError("only a document kept in the vault can be quoted")
            found = quotes.read_document(store.path, item.file).quote(passage)
        with store.transaction():
            after = store.set_evidence_quote(evidence_id, found)
            return _evidence_change(store, "Quote a passage", after, _requote(item))

    return apply


def _requote(item: Evidence) -> Operation:
    def apply(store: Store) -> Change:
        with store.transaction():
            before = store.evidence(item.id)
            after = store.set_evidence_quote(item.id, item.quote)
            return _evidence_change(store, "Quote a passage", after, _requote(before))

    return apply


def _restore_evidence(item: Evidence) -> Operation:
    def apply(store: Store) -> Change:
        with store.transaction():
            restored = store.restore_evidence(item)
            change = _evidence_change(store, "Add evidence link", restored, _remove_evidence(item))
            return change

    return apply


def _remove_evidence(item: Evidence) -> Operation:
    def apply(store: Store) -> Change:
        with store.transaction():
            removed = store.remove_evidence(item.id)
            return _evidence_change(
                store, "Remove evidence link", removed, _restore_evidence(removed)
            )

    return apply


def remove_evidence(evidence_id: int) -> Operation:
    def apply(store: Store) -> Change:
        with store.transaction():
            return _remove_evidence(store.evidence(evidence_id))(store)

    return apply


def edit_evidence(
    evidence_id: int, *, url: str, title: str, note: str, restoring: bool = False
) -> Operation:
    """Edit an evidence link; the undo puts back its link as it was, even one that a new
    link may no longer be (``restoring``: see :meth:`Store.update_evidence`)."""

    def apply(store: Store) -> Change:
        with store.transaction():
            before = store.evidence(evidence_id)
            after = store.update_evidence(
                evidence_id, url=url, title=title, note=note, restoring=restoring
            )
            undo = edit_evidence(
                evidence_id, url=before.url, title=before.title, note=before.note, restoring=True
            )
            return _evidence_change(store, "Edit evidence link", after, undo)

    return apply


def _claim_change(description: str, claim: Claim, *, removed: bool, undo: Operation) -> Change:
    return Change(description, claim.article_id, claim.id, None if removed else claim, True, undo)


def add_claim(article_id: int, start: int, end: int) -> Operation:
    """A claim the detector missed, from character offsets into the article.

    It gets the claimant its words name and a claim type, as a detected claim does, and
    no detector score: its priority is "added by you".
    """

    def apply(store: Store) -> Change:
        from workbench.nlp.claim_types import describe

        with store.transaction():
            added = store.add_claim(article_id, start, end, describe=describe)
        undo = _remove_claim(added.id, expect=added)
        return _claim_change("Add claim", added, removed=False, undo=undo)

    return apply


def _restore_claim(claim: Claim) -> Operation:
    def apply(store: Store) -> Change:
        with store.transaction():
            restored = store.restore_claim(claim)
        undo = _remove_claim(claim.id, expect=restored)
        return _claim_change("Add claim", restored, removed=False, undo=undo)

    return apply


def _remove_claim(claim_id: int, *, expect: Claim | None = None) -> Operation:
    """Remove a claim; as an undo (``expect``: the claim as its step left it), only if
    nobody gave it a verdict, note, claimant or evidence since."""

    def apply(store: Store) -> Change:
        with store.transaction():
            before = store.claim(claim_id)  # with its evidence, for the undo
            if expect is not None:
                fields = {f: getattr(expect, f) for f in (*_FIELD_NAMES, "evidence")}
                _refuse_if_changed(before, fields)
            store.remove_claim(claim_id)
        return _claim_change("Remove claim", before, removed=True, undo=_restore_claim(before))

    return apply


def remove_claim(claim_id: int) -> Operation:
    """Remove a claim and its evidence; undo puts both back as they were."""
    return _remove_claim(claim_id)


def move_claim(claim_id: int, start: int, end: int, description: str = "") -> Operation:
    """Change a claim's boundaries, keeping its verdict and evidence."""

    def apply(store: Store) -> Change:
        with store.transaction():
            before = store.claim(claim_id)
            after = store.set_claim_span(claim_id, start, end)
        undo = move_claim(claim_id, before.start, before.end, description)
        return _claim_change(
            description or "Change claim boundaries", after, removed=False, undo=undo
        )

    return apply


def apply_past_verdict(
    claim_id: int, archive_id: int, *, past: ArchiveClaim | None = None
) -> Operation:
    """Copy a past check's verdict and link onto a claim, with a note naming it; undo takes
    all of it back at once. ``past``: one found on the team server, not in the database."""

    def apply(store: Store) -> Change:
        with store.transaction():
            before = store.claim(claim_id)
            after = store.apply_past_verdict(claim_id, archive_id, past=past)
        old = {e.id for e in before.evidence}
        added = [item for item in after.evidence if item.id not in old]
        undo = _put_back(before, remove=added, expect=after)
        return Change("Apply past verdict", after.article_id, claim_id, after, False, undo)

    return apply


def _article_change(description: str, article: Article, undo: Operation) -> Change:
    return Change(description, article.id, 0, None, False, undo, article)


def edit_article(article_id: int, **fields: str | None) -> Operation:
    """Change the article's header: ``title``, ``source`` (the outlet), ``author`` (the
    byline), ``url``, ``published`` (an ISO date, or empty for none).

    The undo puts the fields back as they were, even a link that a new one may no
    longer be (see :meth:`Store.update_article`'s ``restoring``)."""
    return _edit_article(article_id, fields, restoring=False)


def _edit_article(
    article_id: int, fields: Mapping[str, str | None], *, restoring: bool
) -> Operation:
    def apply(store: Store) -> Change:
        with store.transaction():
            before = store.article(article_id)
            after = store.update_article(article_id, restoring=restoring, **fields)
        undo = _edit_article(
            article_id, {name: getattr(before, name) for name in fields}, restoring=True
        )
        return _article_change("Edit article details", after, undo)

    return apply


def set_article_tags(article_id: int, tags: Sequence[str]) -> Operation:
    """Give the article exactly these tags; undo gives it back the ones it had."""

    def apply(store: Store) -> Change:
        with store.transaction():
            before = store.article(article_id)
            after = store.set_article_tags(article_id, tags)
        return _article_change(
            "Change article tags", after, set_article_tags(article_id, before.tags)
        )

    return apply


def archive_article(article_id: int, archived: bool = True) -> Operation:
    """Move an article out of the library's list, kept whole (or back, ``archived=False``)."""

    def apply(store: Store) -> Change:
        with store.transaction():
            after = store.set_article_archived(article_id, archived)
        description = "Archive article" if archived else "Return article to the library"
        return _article_change(description, after, archive_article(article_id, not archived))

    return apply


def delete_article(article_id: int) -> Operation:
    """Delete an article with its claims and evidence; undo puts every row back."""

    def apply(store: Store) -> Change:
        with store.transaction():
            deleted = store.delete_article(article_id)
        return Change("Delete article", article_id, 0, None, True, _restore_article(deleted))

    return apply


def _restore_article(deleted: DeletedArticle) -> Operation:
    def apply(store: Store) -> Change:
        with store.transaction():
            article = store.restore_article(deleted)
        return Change(
            "Delete article", article.id, 0, None, True, delete_article(article.id), article
        )

    return apply
