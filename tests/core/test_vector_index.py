"""The embedding index kept beside the database: mapped by a new process, kept in step,
rebuilt when it no longer reflects the database, never an error for the user."""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from workbench import semantic
from workbench.backup import create_backup, restore_backup
from workbench.dbfile import index_folder
from workbench.engine import Engine
from workbench.index_files import IndexFolder
from workbench.models import ArchiveRecord
from workbench.semantic import EmbeddingIndex, encode_vectors
from workbench.store import Store

MODEL = "synthetic-encoder"
DIMS = 32
SMALL_INDEX = {
    "PCA_MIN_VECTORS": 400,
    "REDUCED_DIMENSIONS": 12,
    "COARSE_CANDIDATES": 60,
    "PCA_SAMPLE": 50_000,
}
"""The two-stage search from a few hundred vectors on, as a million vectors have it."""

Vectors = npt.NDArray[np.float32]
Results = list[list[tuple[int, float]]]


@pytest.fixture(autouse=True)
def small_index(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SMALL_INDEX.items():
        monkeypatch.setattr(semantic, name, value)


def unit_vectors(seed: int, n: int) -> Vectors:
    """Vectors with a few strong directions, as sentence embeddings have."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, DIMS)) / np.arange(1, DIMS + 1) ** 0.7
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def add(store: Store, vectors: Vectors, *, source: str, model: str = MODEL) -> list[int]:
    """Import one past check per vector and store the vectors; their archive ids."""
    first = store.archive_count()
    store.import_archive_records(
        [
            ArchiveRecord(text=f"claim {first + n}", external_id=f"{source}-{first + n}")
            for n in range(len(vectors))
        ],
        source=source,
    )
    rows = store.archive_texts_to_embed(model, limit=len(vectors) + 10)[-len(vectors) :]
    blobs = encode_vectors(vectors)
    store.save_archive_embeddings(
        model, [(i, text, blob) for (i, text), blob in zip(rows, blobs, strict=True)]
    )
    return [i for i, _ in rows]


def queries_near(vectors: Vectors, seed: int = 9) -> Vectors:
    rng = np.random.default_rng(seed)
    noisy = vectors + rng.normal(scale=0.05, size=vectors.shape)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def kept_index(store: Store) -> EmbeddingIndex:
    index = EmbeddingIndex(DIMS, folder=index_folder(store.path))
    index.refresh(store, MODEL)
    return index


def memory_index(store: Store) -> EmbeddingIndex:
    index = EmbeddingIndex(DIMS)
    index.refresh(store, MODEL)
    return index


def vectors_read(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the stored vectors read from ``store`` from now on."""
    counted: list[int] = []
    original = store.archive_embeddings

    def counting(**kwargs: Any) -> list[tuple[int, bytes]]:
        rows = original(**kwargs)
        counted.extend(i for i, _ in rows)
        return rows

    monkeypatch.setattr(store, "archive_embeddings", counting)
    return counted


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "wb.db") as s:
        add(s, unit_vectors(1, 600), source="politifact")
        add(s, unit_vectors(2, 300), source="snopes")
        yield s


def search_all(index: EmbeddingIndex, queries: Vectors) -> tuple[Results, Results]:
    return index.search(queries, 10), index.search(queries, 10, source="snopes")


def test_a_new_index_maps_the_kept_files_and_answers_as_a_fresh_build(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = kept_index(store)
    assert built.persisted and (index_folder(store.path) / "manifest.json").is_file()
    queries = queries_near(unit_vectors(2, 300)[:20])
    read = vectors_read(store, monkeypatch)
    mapped = kept_index(store)
    assert read == []  # nothing read again from the database
    assert mapped.persisted and len(mapped) == 900
    assert search_all(mapped, queries) == search_all(memory_index(store), queries)
    assert mapped.vectors([1, 2]).keys() == {1, 2}


def test_another_process_uses_the_kept_index(store: Store) -> None:
    queries = queries_near(unit_vectors(1, 600)[:5])
    expected = kept_index(store).search(queries, 5)
    script = f"""
import json, sys
import numpy as np
from workbench import semantic
from workbench.dbfile import index_folder
from workbench.store import Store
for name, value in {SMALL_INDEX!r}.items():
    setattr(semantic, name, value)
with Store(sys.argv[1]) as store:
    read = []
    original = store.archive_embeddings
    store.archive_embeddings = lambda **kw: read.extend(original(**kw)) or original(**kw)
    index = semantic.EmbeddingIndex({DIMS}, folder=index_folder(store.path))
    index.refresh(store, {MODEL!r})
    found = index.search(np.array(json.loads(sys.argv[2]), dtype=np.float32), 5)
print(json.dumps({{"read": len(read), "found": found}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, str(store.path), json.dumps(queries.tolist())],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    report = json.loads(done.stdout)
    assert report["read"] == 0
    assert [[(a, pytest.approx(c)) for a, c in f] for f in report["found"]] == expected


def test_added_vectors_are_found_and_kept_as_a_new_part(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = kept_index(store)
    new = unit_vectors(3, 40)
    new_ids = add(store, new, source="afp")
    index.refresh(store, MODEL)
    assert [f[0][0] for f in index.search(new[:5], 1)] == new_ids[:5]
    assert [f[0][0] for f in index.search(new[:5], 1, source="afp")] == new_ids[:5]

    # Fewer than PERSIST_TAIL_ROWS: a new process reads just those from the database.
    read = vectors_read(store, monkeypatch)
    fresh = kept_index(store)
    assert read == new_ids and not fresh.persisted
    assert [f[0][0] for f in fresh.search(new[:5], 1)] == new_ids[:5]

    # From PERSIST_TAIL_ROWS on, they are written beside the others, and a new process
    # reads nothing from the database.
    monkeypatch.setattr(semantic, "PERSIST_TAIL_ROWS", 20)
    newer = unit_vectors(4, 30)
    newer_ids = add(store, newer, source="afp")
    fresh.refresh(store, MODEL)
    assert fresh.persisted
    manifest = IndexFolder(index_folder(store.path)).read_manifest()
    assert manifest is not None and len(manifest.segments) == 2 and manifest.rows == 970
    read.clear()
    again = kept_index(store)
    assert read == [] and again.persisted
    queries = np.vstack([new[:3], newer[:3]])
    assert [f[0][0] for f in again.search(queries, 1)] == new_ids[:3] + newer_ids[:3]
    assert search_all(again, queries) == search_all(fresh, queries)


def test_growing_index_stays_in_few_parts_and_finds_everything(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(semantic, "PERSIST_TAIL_ROWS", 1)
    index = kept_index(store)
    batches = [unit_vectors(10 + n, 60) for n in range(12)]
    ids = []
    for batch in batches:
        ids.append(add(store, batch, source="afp"))
        index.refresh(store, MODEL)
    manifest = IndexFolder(index_folder(store.path)).read_manifest()
    assert manifest is not None and manifest.rows == 900 + 12 * 60
    assert len(manifest.segments) <= 4  # parts of like size are merged
    assert len(list(index_folder(store.path).glob("*.npy"))) <= 7 * 4 + 2  # old parts removed
    fresh = kept_index(store)
    assert fresh.persisted and len(fresh) == 900 + 12 * 60
    best = [f[0][0] for f in fresh.search(np.vstack([b[:2] for b in batches]), 1)]
    assert best == [i for batch_ids in ids for i in batch_ids[:2]]


def test_replaced_or_removed_vectors_rebuild_the_index(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept_index(store)
    (archive_id, text), *_ = store.archive_texts_to_embed("no-such-encoder", limit=1)
    turned = unit_vectors(5, 1)
    store.save_archive_embeddings(MODEL, [(archive_id, text, encode_vectors(turned)[0])])
    read = vectors_read(store, monkeypatch)
    rebuilt = kept_index(store)
    assert len(read) == 900  # all read again: the kept index is out of date
    assert rebuilt.search(turned, 1)[0][0][0] == archive_id
    assert rebuilt.vectors([archive_id])[archive_id] @ turned[0] > 0.99
    assert rebuilt.persisted  # and kept again

    store.remove_archive_source("snopes")
    read.clear()
    after = kept_index(store)
    assert len(read) == 600 and len(after) == 600
    assert after.search(turned, 3, source="snopes") == [[]]


def test_another_encoder_rebuilds_the_index(store: Store) -> None:
    kept_index(store)
    other = unit_vectors(6, 900)
    rows = store.archive_texts_to_embed("encoder-2", limit=1_000)
    store.save_archive_embeddings(
        "encoder-2",
        [(i, text, blob) for (i, text), blob in zip(rows, encode_vectors(other), strict=True)],
    )
    index = EmbeddingIndex(DIMS, folder=index_folder(store.path))
    index.refresh(store, MODEL)
    assert len(index) == 0  # no vector of the first encoder is left
    index.refresh(store, "encoder-2")
    assert len(index) == 900 and index.persisted
    assert [f[0][0] for f in index.search(other[:3], 1)] == [r[0] for r in rows[:3]]


def _truncate_reduced(folder: Path) -> None:
    (path,) = folder.glob("*.reduced.npy")
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


def _garble_manifest(folder: Path) -> None:
    (folder / "manifest.json").write_text('{"format": 1, "segm', encoding="utf-8")


def _lose_a_file(folder: Path) -> None:
    next(folder.glob("*.codes.npy")).unlink()


def _garble_ids(folder: Path) -> None:
    (path,) = folder.glob("*.ids.npy")
    ids = np.load(path)
    path.unlink()
    np.save(path, ids[::-1].copy())  # same size, out of order


def _lengthen_scales(folder: Path) -> None:
    (path,) = folder.glob("*.scales.npy")
    with path.open("ab") as fh:
        fh.write(b"\0" * 64)


@pytest.mark.parametrize(
    "damage", [_truncate_reduced, _garble_manifest, _lose_a_file, _garble_ids, _lengthen_scales]
)
def test_a_damaged_index_is_rebuilt_without_an_error(
    store: Store, damage: Any, caplog: pytest.LogCaptureFixture
) -> None:
    queries = queries_near(unit_vectors(1, 600)[:10])
    expected = search_all(kept_index(store), queries)
    damage(index_folder(store.path))
    with caplog.at_level(logging.WARNING, logger="workbench.semantic"):
        index = kept_index(store)
    assert "cannot be used" in caplog.text
    assert search_all(index, queries) == expected
    assert index.persisted and kept_index(store).persisted  # written again, sound


def test_an_unwritable_folder_leaves_the_index_in_memory(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    index_folder(store.path).write_text("not a folder", encoding="utf-8")
    queries = queries_near(unit_vectors(2, 300)[:10])
    with caplog.at_level(logging.WARNING, logger="workbench.semantic"):
        index = kept_index(store)
    assert "cannot be kept" in caplog.text and "held in memory" in caplog.text
    assert not index.persisted
    assert search_all(index, queries) == search_all(memory_index(store), queries)
    add(store, unit_vectors(7, 5), source="afp")
    index.refresh(store, MODEL)  # still answers, in memory
    assert len(index) == 905


def test_a_full_disk_leaves_the_index_in_memory_and_no_partial_files(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_write = IndexFolder.write

    def write_until_full(self: IndexFolder, token: str, name: str, *args: Any, **kw: Any) -> None:
        if name == "reduced":
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, token, name, *args, **kw)

    monkeypatch.setattr(IndexFolder, "write", write_until_full)
    with caplog.at_level(logging.WARNING, logger="workbench.semantic"):
        index = kept_index(store)
    assert "No space left" in caplog.text
    assert not index.persisted and len(index) == 900
    assert list(index_folder(store.path).glob("*.npy")) == []
    assert not (index_folder(store.path) / "manifest.json").exists()
    queries = queries_near(unit_vectors(1, 600)[:5])
    assert search_all(index, queries) == search_all(memory_index(store), queries)


def test_a_cancel_after_the_read_stops_fitting_and_writing_and_leaves_no_half_files(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: once the vectors were read, fitting the principal components and writing
    the kept files (15 s of a 34 s rebuild for a million vectors) ran whatever the cancel
    said. Cancelled at each point it is asked after the read: an error, the folder
    without a half-written file, and the next refresh builds the same index."""
    from workbench.errors import CancelledError

    monkeypatch.setattr(semantic, "LOAD_CHUNK", 100)
    folder = index_folder(store.path)
    queries = queries_near(unit_vectors(2, 300)[:20])
    expected = search_all(memory_index(store), queries)
    read = vectors_read(store, monkeypatch)
    stops = 0
    while True:
        shutil.rmtree(folder, ignore_errors=True)
        read.clear()
        asked_after_read = 0

        def cancel(stop: int = stops) -> bool:
            nonlocal asked_after_read
            if len(read) < 900:
                return False
            asked_after_read += 1
            return asked_after_read > stop

        index = EmbeddingIndex(DIMS, folder=folder)
        try:
            index.refresh(store, MODEL, cancel=cancel)
        except CancelledError:
            manifest = IndexFolder(folder).read_manifest()
            kept = manifest.tokens() if manifest is not None else set()
            assert {p.name.split(".")[0] for p in folder.glob("*.npy")} <= kept
            index.refresh(store, MODEL)
            assert search_all(index, queries) == expected
            stops += 1
            continue
        assert search_all(index, queries) == expected
        break
    assert stops >= 10  # before the fit, after it, each file, each block projected


def test_files_no_manifest_names_are_ignored_then_removed(store: Store) -> None:
    folder = index_folder(store.path)
    kept_index(store)
    half_written = folder / "0123456789abcdef.ids.npy"  # another writer, stopped half way
    half_written.write_bytes(b"\x93NUMPY")
    assert kept_index(store).persisted
    add(store, unit_vectors(8, 10), source="afp")
    store.remove_archive_source("afp")  # a change: the next index is written anew
    assert kept_index(store).persisted
    assert not half_written.exists()
    manifest = IndexFolder(folder).read_manifest()
    assert manifest is not None
    assert {p.name.split(".")[0] for p in folder.glob("*.npy")} == manifest.tokens()


def _same_counts_other_vectors(path: Path) -> None:
    """A database whose embedding state counts the same as ``store``'s, other vectors."""
    with Store(path) as other:
        add(other, unit_vectors(21, 600), source="politifact")
        add(other, unit_vectors(22, 300), source="snopes")


def test_a_database_replaced_under_its_name_never_uses_the_old_index(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept_index(store)
    store.close()
    _same_counts_other_vectors(tmp_path / "other.db")
    os.replace(tmp_path / "other.db", store.path)  # a new file: another inode
    with Store(store.path) as replaced:
        read = vectors_read(replaced, monkeypatch)
        index = kept_index(replaced)
        assert len(read) == 900
        theirs = unit_vectors(21, 600)[:5]
        assert [f[0][1] for f in index.search(theirs, 1)] == pytest.approx([1.0] * 5, abs=0.01)


def test_a_database_copied_over_the_same_file_never_uses_the_old_index(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept_index(store)
    store.close()
    _same_counts_other_vectors(tmp_path / "other.db")
    inode = store.path.stat().st_ino
    shutil.copyfile(tmp_path / "other.db", store.path)  # same inode, other bytes
    assert store.path.stat().st_ino == inode
    with Store(store.path) as replaced:
        assert replaced.embedding_state().rows == 900
        read = vectors_read(replaced, monkeypatch)
        index = kept_index(replaced)
        assert len(read) == 900  # the sampled vectors differ from the database's
        theirs = unit_vectors(22, 300)[:5]
        assert [f[0][1] for f in index.search(theirs, 1)] == pytest.approx([1.0] * 5, abs=0.01)


def test_a_restored_backup_never_uses_the_replaced_files_index(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = create_backup(store.path, reason="manual")  # 900 vectors
    mine = add(store, unit_vectors(30, 50), source="afp")
    kept_index(store)  # 950 vectors, kept
    store.close()
    restore_backup(store.path, backup.path)
    assert not index_folder(store.path).exists()  # the replaced file's index is gone
    with Store(store.path) as restored:
        theirs = unit_vectors(31, 50)
        assert add(restored, theirs, source="afp") == mine  # same ids, same counts
        index = kept_index(restored)
        found = index.search(theirs[:5], 1)
        assert [f[0] for f in found] == [(i, pytest.approx(1.0, abs=0.01)) for i in mine[:5]]


def test_two_processes_building_at_once_both_answer_and_leave_one_sound_index(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = f"""
import json, sys
import numpy as np
from workbench import semantic
from workbench.dbfile import index_folder
from workbench.store import Store
for name, value in {SMALL_INDEX!r}.items():
    setattr(semantic, name, value)
with Store(sys.argv[1]) as store:
    index = semantic.EmbeddingIndex({DIMS}, folder=index_folder(store.path))
    index.refresh(store, {MODEL!r})
    found = index.search(np.array(json.loads(sys.argv[2]), dtype=np.float32), 5)
print(json.dumps(found))
"""
    queries = queries_near(unit_vectors(1, 600)[:5])
    argv = [sys.executable, "-c", script, str(store.path), json.dumps(queries.tolist())]
    running = [subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in running]
    assert [p.returncode for p in running] == [0, 0]
    expected = memory_index(store).search(queries, 5)
    for out in outputs:
        assert [[(a, pytest.approx(c)) for a, c in f] for f in json.loads(out)] == expected
    read = vectors_read(store, monkeypatch)
    assert kept_index(store).persisted and read == []


def test_index_for_keeps_the_index_beside_the_database(tmp_path: Path) -> None:
    from workbench.nlp.encoder import ENCODER_DIR, SentenceEncoder

    encoder = SentenceEncoder(ENCODER_DIR)
    with Store(tmp_path / "work.db") as s:
        s.import_archive_records(
            [ArchiveRecord(text="Vaccines cause autism in young children.", external_id="1")],
            source="factchecks",
        )
        semantic.embed_archive(s, encoder)
        index = Engine(encoder=lambda: encoder).index_for(s)
        assert len(index) == 1 and index.persisted
    assert (tmp_path / "work.db.index" / "manifest.json").is_file()


def test_vectors_trickling_into_an_index_in_memory_are_all_found(store: Store) -> None:
    index = memory_index(store)  # as when the folder cannot be written
    batches = [unit_vectors(40 + n, 5) for n in range(20)]
    ids = []
    for batch in batches:  # the app embedding in the background, matched meanwhile
        ids.append(add(store, batch, source="afp"))
        index.refresh(store, MODEL)
    best = [f[0][0] for f in index.search(np.vstack(batches), 1)]
    assert best == [i for batch_ids in ids for i in batch_ids]
    assert len(index._segments) <= semantic.MAX_SMALL_PARTS + 1  # not one part per refresh
    queries = queries_near(unit_vectors(1, 600)[:10])
    assert search_all(index, queries) == search_all(memory_index(store), queries)
