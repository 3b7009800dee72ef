"""The engine: each heavy resource built once, on first use, and its thread stopped on close."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from spacy.language import Language

from tests.core.cli_runner import run
from workbench.engine import Engine
from workbench.nlp import build_pipeline


def search_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("embedding-search")}


def test_the_pipeline_is_built_once_however_many_threads_ask() -> None:
    built: list[Language] = []
    gate = threading.Barrier(4)

    def build() -> Language:
        built.append(build_pipeline(use_model=False))
        return built[-1]

    engine = Engine(pipeline=build)
    assert built == []  # nothing is loaded before it is needed
    got: list[Language] = []

    def ask() -> None:
        gate.wait()
        got.append(engine.pipeline())

    workers = [threading.Thread(target=ask) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(built) == 1 and got == built * 4


def test_the_default_engine_is_one_per_process() -> None:
    assert Engine.default() is Engine.default()


def test_a_closed_engine_leaves_no_search_thread_behind() -> None:
    before = search_threads()
    engine = Engine()
    assert engine.search_thread().submit(lambda: 6 * 7).result() == 42
    assert search_threads() - before
    engine.close()
    assert search_threads() - before == set()
    with pytest.raises(RuntimeError, match="closed"):
        engine.search_thread()


def test_the_command_line_stops_its_search_thread(tmp_path: Path) -> None:
    archive = tmp_path / "past.jsonl"
    archive.write_text(
        json.dumps({"id": "1", "text": "Vaccines cause autism in young children."}) + "\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "cli.db")
    assert run("--db", db, "import", str(archive))[0] == 0
    before = search_threads()
    code, out = run("--db", db, "match", "Do vaccines cause autism?", "--json", "--explain")
    assert code == 0 and "cosine" in json.loads(out)["matches"][0]["signals"]  # it searched
    assert search_threads() - before == set()


def test_memo_keeps_the_most_recently_used_and_makes_each_value_once() -> None:
    from workbench.engine import Memo

    made: list[str] = []

    def make(key: str) -> str:
        made.append(key)
        return key.upper()

    memo: Memo[str, str] = Memo(2)
    assert [memo.get(k, lambda k=k: make(k)) for k in "abab"] == ["A", "B", "A", "B"]
    assert made == ["a", "b"]
    memo.get("a", lambda: make("a"))  # a is now the most recent: c pushes b out
    memo.get("c", lambda: make("c"))
    memo.get("b", lambda: make("b"))
    assert made == ["a", "b", "c", "b"] and len(memo) == 2
    # By weight: long texts are fewer (a review found a count alone could keep 8 GB).
    heavy: Memo[str, str] = Memo(10, weight=len)
    for key in ("aaaa", "bbbb", "cccc", "x" * 11):
        heavy.get(key, lambda key=key: make(key))
    assert len(heavy) == 2  # aaaa dropped for cccc; the 11 characters not kept at all
    heavy.get("x" * 11, lambda: make("x" * 11))
    assert made[-2:] == ["x" * 11, "x" * 11]
