"""Background jobs: cancel, supersede, stale results dropped, errors one way, quit at once."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from ui.archive_work import FIRST_SLICE, ClaimMatcher, slices
from ui.jobs import JobContext, JobRunner
from workbench.errors import WorkbenchError
from workbench.models import ArchiveRecord, ArticleDraft, Claim, DetectedClaim
from workbench.store import Store


def test_a_superseded_job_is_cancelled_and_reports_nothing(qtbot: QtBot) -> None:
    runner = JobRunner("test")
    release = threading.Event()
    seen_cancel = threading.Event()
    delivered: list[Any] = []

    def slow(context: JobContext) -> str:
        context.partial("first part")
        release.wait(30)
        if context.cancelled():
            seen_cancel.set()
        context.partial("second part")
        return "old"

    runner.submit(slow, group="g", partial=delivered.append, done=delivered.append)
    qtbot.waitUntil(lambda: delivered == ["first part"])
    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda busy: not busy):
        runner.submit(lambda context: "new", group="g", supersede=True, done=delivered.append)
        release.set()
    assert seen_cancel.is_set()
    assert delivered == ["first part", "new"]


def test_only_the_latest_result_of_a_group_is_delivered(qtbot: QtBot) -> None:
    runner = JobRunner("test")
    shown: list[str] = []
    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda busy: not busy):
        for name in ("a.txt", "b.txt", "c.txt"):
            runner.submit(lambda c, n=name: n, group="open", latest_only=True, done=shown.append)
    assert shown == ["c.txt"]


def test_only_the_latest_jobs_partial_results_are_shown_and_failures_say_which(
    qtbot: QtBot,
) -> None:
    runner = JobRunner("test")
    shown: list[str] = []
    latest: list[bool] = []
    jobs: list[Any] = []

    def work(context: JobContext, name: str) -> None:
        context.partial(name)
        raise WorkbenchError(f"{name} is empty")

    def failed(message: str, n: int) -> None:
        latest.append(runner.is_latest(jobs[n]))

    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda busy: not busy):
        for n, name in enumerate(("a.txt", "b.txt")):
            jobs.append(
                runner.submit(
                    lambda c, name=name: work(c, name),
                    group="open",
                    latest_only=True,
                    partial=shown.append,
                    failed=lambda m, n=n: failed(m, n),
                )
            )
    assert shown == ["b.txt"] and latest == [False, True]


def test_problems_come_back_one_way(qtbot: QtBot) -> None:
    runner = JobRunner("test")
    failed: list[str] = []
    finished: list[bool] = []

    def user_problem(context: JobContext) -> None:
        raise WorkbenchError("the file is empty")

    def bug(context: JobContext) -> None:
        raise KeyError("oops")

    with qtbot.waitSignal(runner.busy_changed, check_params_cb=lambda busy: not busy):
        for work in (user_problem, bug):
            runner.submit(work, failed=failed.append, finished=lambda: finished.append(True))
    assert failed[0] == "the file is empty"
    assert failed[1].startswith("unexpected error: KeyError")
    assert finished == [True, True]


def test_shutdown_returns_while_a_job_is_still_running(qtbot: QtBot) -> None:
    runner = JobRunner("test")
    started, release = threading.Event(), threading.Event()
    delivered: list[str] = []

    def stuck(context: JobContext) -> str:
        started.set()
        release.wait(30)
        return "late"

    runner.submit(stuck, done=delivered.append)
    assert started.wait(30)
    try:
        runner.shutdown()  # returns although the job has not finished
        assert runner.submit(lambda c: "after", done=delivered.append).is_cancelled
    finally:
        release.set()
    qtbot.wait(50)
    assert delivered == []


def test_slices_start_small() -> None:
    ids = list(range(100))
    cut = slices(ids)
    assert len(cut[0]) == FIRST_SLICE
    assert [i for piece in cut for i in piece] == ids
    assert slices([]) == []


ARCHIVE = [
    ArchiveRecord("North Korea sent 10,000 troops to Russia in October 2024.", "k1"),
    ArchiveRecord("Wind turbines cause cancer.", "w1", verdict="false"),
    ArchiveRecord("The minimum wage in Florida rose to $13 in 2024.", "m1", verdict="true"),
]


def _article(db_path: Path, texts: list[str]) -> tuple[int, list[Claim]]:
    with Store(db_path) as store:
        store.import_archive_records(ARCHIVE, source="checks")
        body, claims, at = " ".join(texts), [], 0
        for text in texts:
            claims.append(DetectedClaim(at, at + len(text), text, 0.9))
            at += len(text) + 1
        result = store.add_article(ArticleDraft(body), claims)
        return result.article.id, list(result.claims)


def test_matches_arrive_by_slice_with_the_chosen_claim_first(qtbot: QtBot, db_path: Path) -> None:
    texts = [f"Claim {n}: wind turbines cause cancer in people nearby." for n in range(30)]
    texts[17] = "North Korea sent 10,000 troops to Russia."
    article_id, claims = _article(db_path, texts)
    matcher = ClaimMatcher(db_path)
    parts: list[dict[int, Any]] = []
    progress: list[tuple[int, int]] = []
    matcher.matches_ready.connect(lambda _, found: parts.append(found))
    matcher.progressed.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(matcher.busy_changed, check_params_cb=lambda busy: not busy):
        matcher.match(article_id, claims, first=claims[17].id)
    assert next(iter(parts[0])) == claims[17].id
    assert parts[0][claims[17].id][0].archive.external_id == "k1"
    assert len(parts) == len(slices(claims))
    merged = {k: v for part in parts for k, v in part.items()}
    assert set(merged) == {c.id for c in claims}
    assert progress[-1] == (len(claims), len(claims))
    matcher.shutdown()


def test_opening_another_article_cancels_the_last_ones_matching(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench.matching

    first_id, first_claims = _article(
        db_path, [f"Wind turbines cause cancer {n}." for n in range(40)]
    )
    second_id, second_claims = _article(db_path, ["Florida's minimum wage rose to $13."])
    real = workbench.matching.match_slices
    entered, release = threading.Event(), threading.Event()

    def held(*args: Any, **kwargs: Any) -> Any:
        if not entered.is_set():
            entered.set()
            release.wait(30)  # the first slice of the first article waits here
        yield from real(*args, **kwargs)

    monkeypatch.setattr(workbench.matching, "match_slices", held)
    matcher = ClaimMatcher(db_path)
    arrived: list[int] = []
    matcher.matches_ready.connect(lambda article, _: arrived.append(article))
    matcher.match(first_id, first_claims)
    assert entered.wait(30)
    with qtbot.waitSignal(matcher.busy_changed, check_params_cb=lambda busy: not busy):
        matcher.match(second_id, second_claims)
        release.set()
    assert arrived == [second_id]  # nothing more of the first article was shown
    matcher.shutdown()


def test_a_cancelled_import_reports_the_batches_it_kept(
    qtbot: QtBot, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import workbench.archive
    import workbench.store.batches
    from ui.archive_work import ArchiveImporter

    monkeypatch.setattr(workbench.store.batches, "ARCHIVE_BATCH", 1)
    archive = tmp_path / "checks.jsonl"
    lines = [json.dumps({"id": f"c{n}", "text": f"Claim {n} about taxes."}) for n in range(50)]
    archive.write_text("\n".join(lines) + "\n")
    Store(db_path).close()
    importer = ArchiveImporter(db_path)
    real = workbench.archive.import_archive

    def cancelled_after_the_first_batch(*args: Any, progress: Any, **kwargs: Any) -> Any:
        def reported(done: int, total: int) -> None:
            progress(done, total)
            if done:  # the user presses Cancel once a batch is in (not before: a race)
                importer.cancel()

        return real(*args, progress=reported, **kwargs)

    monkeypatch.setattr(workbench.archive, "import_archive", cancelled_after_the_first_batch)
    reports: list[Any] = []
    importer.finished.connect(reports.append)
    with qtbot.waitSignal(importer.finished):
        importer.start(str(archive))
    (report,) = reports
    assert report.cancelled and (report.added, report.remaining) == (1, 49)
    with Store(db_path) as store:
        assert store.archive_count() == report.added
    importer.shutdown()


def test_the_app_refuses_a_named_pipe_as_an_archive(
    qtbot: QtBot, db_path: Path, tmp_path: Path
) -> None:
    """Opening one that nothing writes to waits for ever: Cancel could not stop that
    import, and every later one queued behind it."""
    from ui.archive_work import ArchiveImporter

    fifo = tmp_path / "checks.jsonl"
    os.mkfifo(fifo)

    def write() -> None:  # so that a reader who opened the pipe would read an archive
        with contextlib.suppress(BrokenPipeError):
            fifo.write_text('{"id": "1", "text": "Taxes rose."}\n')

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    Store(db_path).close()
    importer = ArchiveImporter(db_path)
    failures: list[str] = []
    reports: list[object] = []
    importer.failed.connect(failures.append)
    importer.finished.connect(reports.append)
    importer.start(str(fifo))
    qtbot.waitUntil(lambda: bool(failures or reports), timeout=60_000)
    assert (failures, reports) == ([f"{fifo} is a named pipe, not an archive file"], [])
    importer.shutdown()
    os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # lets the writer go
    writer.join(timeout=60)


def test_join_waits_for_the_step_under_way_after_shutdown(qtbot: QtBot) -> None:
    """Before a restore replaces the file, no worker may still hold a connection to it."""
    runner = JobRunner("test")
    started, release = threading.Event(), threading.Event()
    ended: list[bool] = []

    def step(context: JobContext) -> None:
        started.set()
        release.wait(30)
        ended.append(context.cancelled())

    runner.submit(step)
    assert started.wait(30)
    runner.shutdown()
    assert not runner.join(timeout=0.01) and ended == []
    release.set()
    assert runner.join(timeout=30) and ended == [True]
