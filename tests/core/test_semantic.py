"""Semantic matching: stored embeddings, the in-memory index, and matching that uses them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.core.cli_runner import run
from tests.core.test_vector_index import vectors_read
from workbench import semantic
from workbench.engine import Engine
from workbench.errors import CancelledError
from workbench.matching import match_claims, match_slices
from workbench.models import ArchiveRecord
from workbench.nlp.encoder import ENCODER_DIR, ModelLoadError, SentenceEncoder
from workbench.semantic import (
    EmbeddingIndex,
    decode_vectors,
    embed_archive,
    encode_vectors,
    encoder_id,
    semantic_status,
)
from workbench.store import Store

PAST = [
    ("pf-1", "The unemployment rate fell to a record low last year."),
    ("pf-2", "The city council approved a new budget for public parks."),
    ("pf-3", "Vaccines cause autism in young children."),
    ("pf-4", "The president signed an executive order banning plastic straws."),
    ("pf-5", "Crime in the capital doubled over the past decade."),
]


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder(ENCODER_DIR)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "wb.db", user="tester") as s:
        s.import_archive_records(
            [ArchiveRecord(text=text, external_id=i, verdict="false") for i, text in PAST],
            source="factchecks",
        )
        yield s


def test_stored_vectors_keep_their_direction(encoder: SentenceEncoder) -> None:
    vectors = encoder.embed([text for _, text in PAST])
    blobs = encode_vectors(vectors)
    assert {len(b) for b in blobs} == {4 + encoder.dimensions}
    decoded = decode_vectors(blobs, encoder.dimensions)
    cosines = np.sum(decoded * vectors, axis=1)
    assert cosines.min() > 0.999
    with pytest.raises(ValueError, match="dimensional"):
        decode_vectors([b"\x00" * 10], encoder.dimensions)


def test_embedding_the_archive_reports_progress_and_is_complete(
    store: Store, encoder: SentenceEncoder
) -> None:
    assert not semantic_status(store, encoder).available
    assert "lexical until" in semantic_status(store, encoder).message
    seen: list[tuple[int, int]] = []
    report = embed_archive(store, encoder, batch_size=2, progress=lambda d, t: seen.append((d, t)))
    assert report.embedded == len(PAST) and report.remaining == 0
    assert seen[0] == (0, len(PAST)) and seen[-1] == (len(PAST), len(PAST))
    assert store.embedding_state().rows == len(PAST)
    assert semantic_status(store, encoder).complete
    assert embed_archive(store, encoder).embedded == 0  # nothing left to do


def test_cancelled_embedding_keeps_finished_batches_and_resumes(
    store: Store, encoder: SentenceEncoder
) -> None:
    calls = iter([False, False, True])
    with pytest.raises(CancelledError):
        embed_archive(store, encoder, batch_size=2, cancel=lambda: next(calls))
    assert store.embedding_state().rows == 4
    status = semantic_status(store, encoder)
    assert status.available and not status.complete and "4 of 5" in status.message
    assert embed_archive(store, encoder).embedded == 1


def test_vectors_go_with_their_past_check(store: Store, encoder: SentenceEncoder) -> None:
    embed_archive(store, encoder)
    before = store.embedding_state()
    first = store.archive_search("unemployment")[0]
    with store._write() as conn:  # a text edit, as when an own verdict's claim changes
        conn.execute("UPDATE archive_claims SET text = 'Changed.' WHERE id = ?", (first.id,))
    after = store.embedding_state()
    assert after.rows == before.rows - 1 and after.changes > before.changes
    assert store.archive_texts_to_embed(encoder_id(encoder), limit=10) == [(first.id, "Changed.")]
    store.remove_archive_source("factchecks")
    assert store.embedding_state().rows == 0


def test_a_vector_for_text_that_changed_meanwhile_is_dropped(
    store: Store, encoder: SentenceEncoder
) -> None:
    model = encoder_id(encoder)
    (archive_id, _), *_ = store.archive_texts_to_embed(model, limit=1)
    blob = encode_vectors(encoder.embed(["stale"]))[0]
    assert store.save_archive_embeddings(model, [(archive_id, "not the text any more", blob)]) == 0
    assert store.embedding_state().rows == 0


def test_vectors_of_another_encoder_are_replaced(store: Store, encoder: SentenceEncoder) -> None:
    embed_archive(store, encoder)
    model = encoder_id(encoder)
    assert store.archive_texts_to_embed("other-encoder", limit=10)  # all count as missing
    (archive_id, text), *_ = store.archive_texts_to_embed("other-encoder", limit=1)
    blob = encode_vectors(encoder.embed([text]))[0]
    store.save_archive_embeddings("other-encoder", [(archive_id, text, blob)])
    state = store.embedding_state()
    assert state.model == "other-encoder" and state.rows == 1
    assert len(store.archive_texts_to_embed(model, limit=10)) == len(PAST)


def test_index_reads_new_vectors_only_and_reloads_after_removals(
    store: Store, encoder: SentenceEncoder
) -> None:
    model = encoder_id(encoder)
    embed_archive(store, encoder)
    index = EmbeddingIndex(encoder.dimensions)
    index.refresh(store, model)
    assert len(index) == len(PAST)
    store.import_archive_records(
        [ArchiveRecord(text="Wind power now supplies half of the country's electricity.")],
        source="more",
    )
    embed_archive(store, encoder)
    index.refresh(store, model)
    assert len(index) == len(PAST) + 1
    store.remove_archive_source("more")
    index.refresh(store, model)
    assert len(index) == len(PAST)
    query = encoder.embed(["Renewable energy provides 50% of the nation's power."])
    (best_id, cosine), *_ = index.search(query, 3)[0]
    assert store.archive_claim(best_id).external_id != ""  # still in the archive
    assert -1.0 <= cosine <= 1.0
    assert index.search(query, 3, source="nope") == [[]]


def test_a_restored_database_gets_a_fresh_index(store: Store, encoder: SentenceEncoder) -> None:
    from workbench.backup import create_backup, restore_backup

    engine = Engine(encoder=lambda: encoder)
    backup = create_backup(store.path, reason="manual")  # no embeddings in it
    embed_archive(store, encoder)
    assert len(engine.index_for(store)) == len(PAST)
    store.close()
    restore_backup(store.path, backup.path)
    with Store(store.path) as restored:
        assert len(engine.index_for(restored)) == 0


def test_semantic_matching_finds_a_claim_in_other_words(
    store: Store, encoder: SentenceEncoder
) -> None:
    engine = Engine(encoder=lambda: encoder)
    query = "Joblessness dropped to its lowest level ever during 2023."
    lexical = match_claims(store, [query], semantic=False, engine=engine)[0]
    assert all(m.archive.external_id != "pf-1" for m in lexical)
    embed_archive(store, engine.encoder())
    found = match_claims(store, [query], engine=engine)[0]
    assert found and found[0].archive.external_id == "pf-1"
    signals = dict(found[0].signals)
    assert signals["cosine"] > 0.5
    assert found[0].score > (lexical[0].score if lexical else 0.0)


def test_matching_cancelled_while_the_index_is_read_stops_there(
    store: Store, encoder: SentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a million vectors again (after an import replaced some) took 44 s that no
    cancel could cut: opening another article waited for it. The index reads in chunks
    and asks cancel() between them."""
    engine = Engine(encoder=lambda: encoder)
    embed_archive(store, engine.encoder())
    monkeypatch.setattr(semantic, "LOAD_CHUNK", 1)
    read = vectors_read(store, monkeypatch)
    claims = ["Unemployment fell in 2023."] * 2
    found = match_claims(store, claims, cancel=lambda: len(read) >= 2, engine=engine)
    assert found == [[], []]
    assert len(read) == 2 < len(PAST)  # stopped between chunks, not after them all
    assert len(engine.index_for(store)) == len(PAST)  # read whole next time


def test_matching_without_an_encoder_stays_lexical(store: Store) -> None:
    def no_encoder() -> SentenceEncoder:
        raise ModelLoadError("no encoder here")

    embed_archive(store)  # the bundled encoder's vectors, which this engine cannot use
    with Engine(encoder=no_encoder) as engine:
        [found] = match_claims(store, ["Vaccines cause autism in young children."], engine=engine)
        status = engine.semantic_status(store)
    assert found[0].archive.external_id == "pf-3"
    assert "cosine" not in dict(found[0].signals)
    assert not status.available and "(no encoder here); matching is lexical" in status.message


def test_cli_import_finishes_the_embeddings(tmp_path: Path) -> None:
    archive = tmp_path / "past.jsonl"
    archive.write_text(
        "\n".join(json.dumps({"id": i, "text": t, "verdict": "false"}) for i, t in PAST),
        encoding="utf-8",
    )
    db = str(tmp_path / "cli.db")
    code, out = run("--db", db, "import", str(archive), "--json")
    assert code == 0 and json.loads(out)["embedded"] == len(PAST)
    code, out = run("--db", db, "match", "Joblessness hit its lowest level ever in 2023.")
    assert code == 0 and out.splitlines()[1].strip().startswith("The unemployment rate")


def test_cli_says_when_matching_is_lexical(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "past.jsonl"
    archive.write_text(
        "\n".join(json.dumps({"id": i, "text": t}) for i, t in PAST), encoding="utf-8"
    )
    db = str(tmp_path / "cli.db")
    assert run("--db", db, "import", str(archive), "--no-embed")[0] == 0
    capsys.readouterr()
    assert run("--db", db, "match", "Vaccines cause autism.")[0] == 0
    assert "lexical until the archive's embeddings are computed" in capsys.readouterr().err
    code, out = run("--db", db, "embed")
    assert code == 0 and out == f"{len(PAST)} of {len(PAST)} past checks have embeddings\n"
    assert run("--db", db, "match", "Vaccines cause autism.")[0] == 0
    assert "lexical" not in capsys.readouterr().err


def test_a_large_index_searches_a_reduced_space_then_ranks_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(semantic, "PCA_MIN_VECTORS", 1_000)
    monkeypatch.setattr(semantic, "REDUCED_DIMENSIONS", 24)
    monkeypatch.setattr(semantic, "COARSE_CANDIDATES", 60)
    rng = np.random.default_rng(4)
    # Like real sentence embeddings, a few directions carry most of the variance.
    vectors = rng.normal(size=(3_000, 64)) / np.arange(1, 65)
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    with Store(tmp_path / "big.db") as store:
        store.import_archive_records(
            [ArchiveRecord(text=f"claim {i}", external_id=str(i)) for i in range(3_000)],
            source="synthetic",
        )
        rows = store.archive_texts_to_embed("synthetic-encoder", limit=3_000)
        blobs = encode_vectors(vectors)
        store.save_archive_embeddings(
            "synthetic-encoder", [(i, t, b) for (i, t), b in zip(rows, blobs, strict=True)]
        )
        index = EmbeddingIndex(64)
        index.refresh(store, "synthetic-encoder")
    assert index.basis is not None and index.basis.shape == (64, 24) and len(index) == 3_000
    queries = vectors[:50] + rng.normal(scale=0.05, size=(50, 64)).astype(np.float32)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10] + rows[0][0]
    found = index.search(queries, 10)
    recall = np.mean(
        [len({a for a, _ in f} & set(e.tolist())) / 10 for f, e in zip(found, exact, strict=True)]
    )
    assert recall > 0.95
    best_id, best_cosine = found[0][0]
    assert best_cosine == pytest.approx(float(queries[0] @ vectors[best_id - rows[0][0]]), abs=0.01)
    assert index.vectors([best_id])[best_id] @ vectors[best_id - rows[0][0]] > 0.99


def test_a_claim_scores_the_same_alone_and_among_others(store: Store) -> None:
    embed_archive(store)
    claim = "Joblessness dropped to its lowest level ever during 2023."
    # Sentences of the same length in word pieces would share a batch with it.
    others = [f"Tourism climbed to its highest level ever during {year}." for year in (1990, 2001)]
    alone = match_claims(store, [claim])[0]
    among = match_claims(store, [*others, claim])[2]
    assert [(m.archive.id, m.score) for m in alone] == [(m.archive.id, m.score) for m in among]


def _counting_engine(
    store: Store, encoder: SentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> tuple[Engine, list[str]]:
    engine = Engine(encoder=lambda: encoder)
    embed_archive(store, engine.encoder())
    engine.index_for(store)
    embedded: list[str] = []
    original = encoder._run_one

    def counting(feeds: dict[str, np.ndarray]) -> np.ndarray:  # type: ignore[type-arg]
        embedded.append("x")
        return original(feeds)

    monkeypatch.setattr(encoder, "_run_one", counting)
    return engine, embedded


def test_matching_cancelled_while_claims_are_embedded_stops_there(
    store: Store, encoder: SentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The claims are embedded one by one (``embed_each``), cancel asked before each:
    a cancelled article does not keep the search thread busy with the rest."""
    engine, embedded = _counting_engine(store, encoder, monkeypatch)
    claims = [f"Unemployment fell by {n} percent in 2023." for n in range(6)]
    assert len(match_claims(store, claims, engine=engine)[0]) > 0
    assert len(embedded) == len(claims)
    embedded.clear()
    found = match_claims(store, claims, cancel=lambda: len(embedded) >= 2, engine=engine)
    assert found == [[]] * len(claims)
    assert len(embedded) == 2


SLICED = [
    ["Unemployment fell to a record low in 2023.", "Vaccines cause autism in children."],
    ["The council approved a budget for parks.", "Crime in the capital doubled."],
    ["The president banned plastic straws.", "Joblessness dropped to its lowest level."],
]


def test_matching_slices_gives_each_slice_what_match_claims_gives_it(
    store: Store, encoder: SentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next slice is embedded while one is scored: the same vectors, each claim once."""
    engine, embedded = _counting_engine(store, encoder, monkeypatch)
    alone = [match_claims(store, piece, engine=engine) for piece in SLICED]
    embedded.clear()
    sliced = list(match_slices(store, SLICED, engine=engine))
    assert len(embedded) == sum(map(len, SLICED))
    assert sliced == alone
    assert any(found for piece in sliced for found in piece)


def test_matching_slices_cancelled_stops_embedding_ahead(
    store: Store, encoder: SentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, embedded = _counting_engine(store, encoder, monkeypatch)
    found = list(match_slices(store, SLICED, cancel=lambda: len(embedded) >= 3, engine=engine))
    engine.search_thread().submit(lambda: None).result()  # what was queued there is done
    assert len(embedded) == 3
    assert found[1:] == [[[], []], [[], []]]


def test_matching_slices_left_early_embeds_at_most_the_next_slice(
    store: Store, encoder: SentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory and work stay bounded: one slice ahead, dropped when the run is left."""
    engine, embedded = _counting_engine(store, encoder, monkeypatch)
    each = match_slices(store, SLICED, engine=engine)
    next(each)
    each.close()
    engine.search_thread().submit(lambda: None).result()
    assert len(SLICED[0]) <= len(embedded) <= len(SLICED[0]) + len(SLICED[1])


def test_claims_sharing_past_checks_read_each_row_and_vector_once(
    store: Store, encoder: SentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article's claims share most of their candidates: a past check found by the
    words of several is read from the index once per call, and a neighbour found by its
    words too is not read from the database again; every claim still gets its cosine."""
    from workbench import matching

    monkeypatch.setattr(matching, "SEMANTIC_CANDIDATES", 1)  # the others come by their words
    engine = Engine(encoder=lambda: encoder)
    embed_archive(store, engine.encoder())
    index = engine.index_for(store)
    claims = [
        "The unemployment rate fell to a record low, the council says.",
        "Unemployment fell to a record low last year in the capital.",
        "The council approved a budget as unemployment fell to a low.",
    ]
    expected = match_claims(store, claims, engine=engine)
    hits: list[int] = []
    rows: list[int] = []
    vectors: list[int] = []
    candidates, by_id = type(store).archive_candidates, type(store).archive_claims_by_id
    stored = type(index).vectors

    def searching(self: Store, *args: Any, **kwargs: Any) -> Any:
        found = candidates(self, *args, **kwargs)
        hits.extend(c.claim.id for c in found)
        return found

    def reading_rows(self: Store, ids: Any) -> Any:
        ids = set(ids)
        rows.extend(ids)
        return by_id(self, ids)

    def reading_vectors(self: EmbeddingIndex, ids: Any) -> Any:
        vectors.extend(ids)
        return stored(self, ids)

    monkeypatch.setattr(type(store), "archive_candidates", searching)
    monkeypatch.setattr(type(store), "archive_claims_by_id", reading_rows)
    monkeypatch.setattr(type(index), "vectors", reading_vectors)
    found = match_claims(store, claims, engine=engine)
    assert found == expected
    assert all(dict(m.signals).get("cosine") is not None for ms in found for m in ms)
    assert len(hits) > len(set(hits))  # the claims share candidates
    assert vectors and len(vectors) == len(set(vectors))
    assert not set(rows) & set(hits)
