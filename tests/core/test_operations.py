"""User operations: one transaction each, a result that says what changed, an exact undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import operations
from workbench.errors import ChangedSinceError, StoreError, ValidationError
from workbench.models import (
    ArchiveRecord,
    ArticleDraft,
    ClaimOrigin,
    ClaimType,
    DetectedClaim,
    Status,
)
from workbench.priority import Priority, PriorityThresholds
from workbench.store import Store

from .test_store import snapshot

TEXT = "Wind turbines cause cancer. Florida's minimum wage rose to $13 in 2024. It rained."


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "ops.db", user="tester") as s:
        s.import_archive_records(
            [ArchiveRecord("Wind turbines cause cancer.", "w1", verdict="false",
                           url="https://example.org/w1")],
            source="checks",
        )  # fmt: skip
        s.add_article(
            ArticleDraft(TEXT),
            [DetectedClaim(0, 27, TEXT[:27], 0.9), DetectedClaim(28, 71, TEXT[28:71], 0.8)],
        )
        yield s  # type: ignore[misc]


def _claims(store: Store) -> list[tuple[int, int, str, str, str, tuple[str, ...]]]:
    """Everything a user sees of the article's claims, to compare before and after."""
    article_id = store.articles()[0].id
    return [
        (c.start, c.end, c.status.value, c.note, c.claimant, tuple(e.url for e in c.evidence))
        for c in store.claims(article_id)
    ]


def _first(store: Store) -> int:
    return store.claims(store.articles()[0].id)[0].id


def _round_trip(store: Store, operation: operations.Operation) -> operations.Change:
    """Apply, undo, redo: the undo restores exactly what was there, the redo the change."""
    before = _claims(store)
    change = operations.run(store, operation)
    after = _claims(store)
    assert after != before
    undone = operations.run(store, change.undo)
    assert _claims(store) == before
    operations.run(store, undone.undo)
    assert _claims(store) == after
    return change


def test_field_operations_undo_and_redo(store: Store) -> None:
    claim_id = _first(store)
    change = _round_trip(store, operations.set_status(claim_id, Status.DISPUTED))
    assert change.claim is not None and change.claim.status is Status.DISPUTED
    assert not change.structural
    _round_trip(store, operations.set_note(claim_id, "Called the ministry."))
    change = _round_trip(store, operations.set_claimant(claim_id, "  the minister "))
    assert change.claim is not None and change.claim.claimant == "the minister"


def test_evidence_operations_undo_and_redo(store: Store) -> None:
    claim_id = _first(store)
    change = _round_trip(store, operations.add_evidence(claim_id, "https://example.org/a"))
    assert change.claim is not None and len(change.claim.evidence) == 1
    item = store.claim(claim_id).evidence[0]
    _round_trip(
        store, operations.edit_evidence(item.id, url="https://example.org/b", title="B", note="")
    )
    _round_trip(store, operations.remove_evidence(store.claim(claim_id).evidence[0].id))


def test_claim_operations_are_structural_and_undo_exactly(store: Store) -> None:
    article_id = store.articles()[0].id
    change = _round_trip(store, operations.add_claim(article_id, 72, 82))
    assert change.structural and change.claim is not None
    claim_id = _first(store)
    operations.run(store, operations.add_evidence(claim_id, "https://example.org/kept"))
    change = _round_trip(store, operations.remove_claim(claim_id))
    assert change.structural and change.claim is None
    operations.run(store, change.undo)
    assert store.claim(claim_id).evidence[0].url == "https://example.org/kept"  # put back
    _round_trip(store, operations.move_claim(claim_id, 0, 14))


def test_applying_a_past_verdict_undoes_in_one_step(store: Store) -> None:
    claim_id = _first(store)
    archive_id = store.archive_search("turbines")[0].id
    change = _round_trip(store, operations.apply_past_verdict(claim_id, archive_id))
    assert change.claim is not None and change.claim.status is Status.DISPUTED
    assert [e.url for e in change.claim.evidence] == ["https://example.org/w1"]
    applied = operations.run(store, operations.apply_past_verdict(claim_id, archive_id))
    with Store(store.path, user="bo") as other:
        other.update_claim(claim_id, status="verified")  # Bo disagrees, meanwhile
    with pytest.raises(ChangedSinceError):
        operations.run(store, applied.undo)
    assert store.claim(claim_id).status is Status.VERIFIED


def test_a_compound_undo_that_fails_changes_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    claim_id = _first(store)
    archive_id = store.archive_search("turbines")[0].id
    change = operations.run(store, operations.apply_past_verdict(claim_id, archive_id))
    applied = _claims(store)

    def full_disk(*args: object, **kwargs: object) -> None:
        raise StoreError("the disk is full")

    # The undo removes the link, then restores the status: the second step fails.
    monkeypatch.setattr(store, "update_claim", full_disk)
    with pytest.raises(StoreError):
        operations.run(store, change.undo)
    monkeypatch.undo()
    assert _claims(store) == applied  # the link's removal was rolled back with it


def test_nested_writes_join_one_transaction(store: Store) -> None:
    claim_id = _first(store)
    with pytest.raises(RuntimeError), store.transaction():
        store.update_claim(claim_id, note="first")
        store.update_claim(claim_id, status="verified")
        raise RuntimeError("stop")
    claim = store.claim(claim_id)
    assert (claim.note, claim.status) == ("", Status.UNCHECKED)


def test_recording_a_whole_verdict_undoes_every_field_and_link_together(store: Store) -> None:
    claim_id = _first(store)
    operations.run(store, operations.set_note(claim_id, "first look"))
    verdict = operations.record_verdict(
        claim_id,
        status="verified",
        note="Checked with the ministry.",
        claimant="the minister",
        evidence=[("https://example.org/source", "Source")],
    )
    change = _round_trip(store, verdict)
    assert change.claim is not None and change.claim.status is Status.VERIFIED
    operations.run(store, change.undo)
    claim = store.claim(claim_id)
    assert (claim.note, claim.claimant, claim.evidence) == ("first look", "", ())


def test_a_claim_added_by_hand_gets_its_claimant_and_type_but_no_score(tmp_path: Path) -> None:
    text = "Officials met. The ministry said exports fell 12% in 2024. It rained."
    with Store(tmp_path / "hand.db") as store:
        stored = store.add_article(ArticleDraft(text), [])
        start = text.index("The ministry")
        change = operations.run(store, operations.add_claim(stored.article.id, start, start + 44))
        assert change.claim is not None
        assert change.claim.claimant == "The ministry"
        assert change.claim.type is ClaimType.QUANTITY
        assert change.claim.origin is ClaimOrigin.USER
        assert PriorityThresholds().of(change.claim) is Priority.MANUAL


def test_edit_article_header_and_undo(store: Store) -> None:
    article_id = store.articles()[0].id
    change = operations.run(
        store,
        operations.edit_article(
            article_id,
            title="  Wind and  wages ",
            source="The Daily Ledger",
            author="Ann Lee",
            url="https://ledger.example/wind",
            published="2024-03-05T09:30:00+01:00",
        ),
    )
    assert change.article is not None and change.claim is None and not change.structural
    article = store.article(article_id)
    assert (article.title, article.source, article.author) == (
        "Wind and wages", "The Daily Ledger", "Ann Lee",
    )  # fmt: skip
    assert (article.url, article.published) == ("https://ledger.example/wind", "2024-03-05")
    operations.run(store, change.undo)
    article = store.article(article_id)
    assert (article.title, article.source, article.url, article.published) == ("", "", "", None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "javascript:alert(1)"}, "http or https"),
        ({"url": "file:///etc/passwd"}, "http or https"),
        ({"published": "last Tuesday"}, "not a date"),
    ],
)
def test_article_header_refuses_bad_links_and_dates(
    store: Store, fields: dict[str, str], message: str
) -> None:
    article_id = store.articles()[0].id
    with pytest.raises(ValidationError, match=message):
        operations.run(store, operations.edit_article(article_id, title="Changed", **fields))
    assert store.article(article_id).title == ""  # nothing of the edit was saved


def test_archive_article_leaves_the_library_and_comes_back(store: Store) -> None:
    article_id = store.articles()[0].id
    change = operations.run(store, operations.archive_article(article_id))
    assert store.articles() == []
    assert [a.id for a in store.articles(archived=True)] == [article_id]
    assert change.article is not None and change.article.archived_at
    operations.run(store, change.undo)
    assert [a.id for a in store.articles()] == [article_id]


def test_delete_article_and_undo_restore_everything(store: Store) -> None:
    article_id = store.articles()[0].id
    first, second = store.claims(article_id)
    operations.run(store, operations.set_status(first.id, Status.DISPUTED))
    operations.run(store, operations.add_evidence(first.id, "https://example.org/e"))
    operations.run(store, operations.remove_claim(second.id))  # a correction: feedback
    before = (_claims(store), store.feedback(), store.article(article_id))
    own = store.archive_search("", source="own")
    assert len(own) == 1

    change = operations.run(store, operations.delete_article(article_id))
    assert store.articles(archived=None) == [] and store.feedback() == []
    assert store.archive_search("", source="own") == []
    assert change.structural and change.article is None

    redo = operations.run(store, change.undo)
    assert (_claims(store), store.feedback(), store.article(article_id)) == before
    assert [r.text for r in store.archive_search("", source="own")] == [own[0].text]
    assert redo.article is not None and redo.article.id == article_id
    operations.run(store, redo.undo)
    assert store.articles(archived=None) == []


def test_tags_on_claims_in_bulk_with_an_exact_undo(store: Store) -> None:
    first, second = (c.id for c in store.claims(store.articles()[0].id))
    operations.run(store, operations.tag_claims([first], add=["Energy"]))
    change = operations.run(
        store, operations.tag_claims([first, second], add=["election 2024", "energy"])
    )
    assert change.structural  # several claims: the list is read again
    assert store.claim(first).tags == ("election 2024", "Energy")  # "energy" is "Energy"
    assert store.claim(second).tags == ("election 2024", "Energy")  # spelt as in use
    assert store.tags() == ["election 2024", "Energy"]
    redo = operations.run(store, change.undo)
    assert (store.claim(first).tags, store.claim(second).tags) == (("Energy",), ())
    operations.run(store, redo.undo)
    assert store.claim(second).tags == ("election 2024", "Energy")
    removed = operations.run(store, operations.tag_claims([first], remove=["ENERGY"]))
    assert removed.claim is not None and removed.claim.tags == ("election 2024",)
    history = [h for h in store.history(first) if h.field == "tag"]
    assert [(h.old, h.new) for h in history][-1] == ("ENERGY", None)


@pytest.mark.parametrize("tag", ["", "  ", "a,b", "x" * 41, "bell\x07"])
def test_bad_tags_are_refused(store: Store, tag: str) -> None:
    with pytest.raises(ValidationError):
        operations.run(store, operations.tag_claims([_first(store)], add=["ok", tag]))
    assert store.claim(_first(store)).tags == ()


def test_removed_claim_comes_back_with_its_tags(store: Store) -> None:
    claim_id = _first(store)
    operations.run(store, operations.tag_claims([claim_id], add=["health"]))
    change = operations.run(store, operations.remove_claim(claim_id))
    operations.run(store, change.undo)
    assert store.claim(claim_id).tags == ("health",)


def test_bulk_status_and_its_undo(store: Store) -> None:
    first, second = (c.id for c in store.claims(store.articles()[0].id))
    operations.run(store, operations.set_status(first, Status.VERIFIED))
    change = operations.run(store, operations.set_statuses([first, second], Status.DISPUTED))
    assert [c.status for c in store.claims(1)] == [Status.DISPUTED, Status.DISPUTED]
    operations.run(store, change.undo)
    assert [c.status for c in store.claims(1)] == [Status.VERIFIED, Status.UNCHECKED]


def test_bulk_priority_its_undo_and_redo(store: Store) -> None:
    """Priorities given to several claims at once: one step, each undone to its own."""
    first, second = (c.id for c in store.claims(1))
    operations.run(store, operations.set_priority(first, "low"))
    change = operations.run(store, operations.set_priorities([first, second], "high"))
    assert change.description == "Set priority high on 2 claims"
    assert [c.chosen_priority for c in store.claims(1)] == ["high", "high"]
    redo = operations.run(store, change.undo)
    assert [c.chosen_priority for c in store.claims(1)] == ["low", ""]
    with Store(store.path, user="bo") as other:
        other.update_claim(second, chosen_priority="medium")
    operations.run(store, redo.undo)  # the redo leaves Bo's priority alone
    assert [c.chosen_priority for c in store.claims(1)] == ["high", "medium"]
    history = [e.field for e in store.history(first)]
    assert history.count("chosen_priority") == 4  # low, high, undone, redone: all recorded
    with pytest.raises(ValidationError, match="a priority is high, medium or low"):
        operations.run(store, operations.set_priorities([first, second], "urgent"))
    assert [c.chosen_priority for c in store.claims(1)] == ["high", "medium"]


def test_library_filters_by_tag_and_progress(store: Store) -> None:
    article_id = store.articles()[0].id
    other = store.add_article(ArticleDraft("Another text here."), []).article.id
    operations.run(store, operations.set_article_tags(other, ["Budget", "budget", " week 1 "]))
    assert store.article(other).tags == ("Budget", "week 1")
    first = store.claims(article_id)[0].id
    operations.run(store, operations.tag_claims([first], add=["health"]))
    assert [a.id for a in store.articles(tag="health")] == [article_id]  # by a claim's tag
    assert [a.id for a in store.articles(tag="BUDGET")] == [other]
    assert {a.id for a in store.articles(state="unchecked")} == {article_id}
    urgent = PriorityThresholds(high=0.85)
    assert [a.id for a in store.articles(state="urgent", priorities=urgent)] == [article_id]
    assert store.articles(state="urgent", priorities=PriorityThresholds(high=0.95)) == []
    for claim in store.claims(article_id):
        operations.run(store, operations.set_status(claim.id, Status.VERIFIED))
    assert [a.id for a in store.articles(state="checked")] == [article_id]
    change = operations.run(store, operations.set_article_tags(other, []))
    assert store.article(other).tags == ()
    operations.run(store, change.undo)
    assert store.article(other).tags == ("Budget", "week 1")


def test_deleted_article_comes_back_with_its_tags(store: Store) -> None:
    article_id = store.articles()[0].id
    operations.run(store, operations.set_article_tags(article_id, ["energy"]))
    operations.run(store, operations.tag_claims([_first(store)], add=["health"]))
    change = operations.run(store, operations.delete_article(article_id))
    assert store.tags() == []
    operations.run(store, change.undo)
    assert store.article(article_id).tags == ("energy",)
    assert store.claim(_first(store)).tags == ("health",)


# -- an undo never throws away what someone else changed since ------------------------


def test_an_undo_refuses_to_overwrite_a_change_made_since(store: Store) -> None:
    """Bo's note (the CLI, a second window) was silently replaced by the undo's ''."""
    first = store.claims(1)[0].id
    noted = operations.run(store, operations.set_note(first, "app"))
    marked = operations.run(store, operations.set_status(first, Status.DISPUTED))
    with Store(store.path, user="bo") as other:
        other.update_claim(first, note="Bo's findings")
    before = snapshot(store.path)
    with pytest.raises(ChangedSinceError, match="the note of this claim was changed since"):
        operations.run(store, noted.undo)
    assert snapshot(store.path) == before
    undone = operations.run(store, marked.undo)  # the verdict was not changed: undone
    assert store.claim(first).status is Status.UNCHECKED
    assert store.claim(first).note == "Bo's findings"
    with Store(store.path, user="bo") as other:
        other.update_claim(first, status="verified")
    with pytest.raises(ChangedSinceError, match="verdict"):
        operations.run(store, undone.undo)  # the redo checks too


def test_a_tag_undo_takes_back_only_its_own_tags(store: Store) -> None:
    first = store.claims(1)[0].id
    tagged = operations.run(store, operations.tag_claims([first], add=["health"]))
    with Store(store.path, user="bo") as other:
        other.tag_claims([first], add=["energy"])
    operations.run(store, tagged.undo)
    assert store.claim(first).tags == ("energy",)


def test_a_bulk_undo_skips_claims_removed_or_changed_since(store: Store) -> None:
    first, second = (c.id for c in store.claims(1))
    bulk = operations.run(store, operations.set_statuses([first, second], Status.VERIFIED))
    tags = operations.run(store, operations.tag_claims([first, second], add=["x"]))
    with Store(store.path, user="bo") as other:
        other.remove_claim(second)
    operations.run(store, tags.undo)
    operations.run(store, bulk.undo)  # used to fail on the removed claim, for good
    assert store.claim(first).status is Status.UNCHECKED and store.claim(first).tags == ()
    bulk = operations.run(store, operations.set_statuses([first], Status.VERIFIED))
    with Store(store.path, user="bo") as other:
        other.update_claim(first, status="disputed")
    operations.run(store, bulk.undo)
    assert store.claim(first).status is Status.DISPUTED  # Bo's verdict stays


def test_undoing_an_added_claim_keeps_it_if_it_got_a_verdict_since(store: Store) -> None:
    start = TEXT.index("It rained")
    added = operations.run(store, operations.add_claim(1, start, len(TEXT)))
    assert added.claim is not None
    with Store(store.path, user="bo") as other:
        other.update_claim(added.claim.id, status="unverifiable", note="No records.")
    with pytest.raises(ChangedSinceError):
        operations.run(store, added.undo)
    assert store.claim(added.claim.id).note == "No records."
