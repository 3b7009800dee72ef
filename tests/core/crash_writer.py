"""Kill a process that records verdicts, again and again, and check nothing saved is lost.

Run as a script, this is a *zygote*: it imports the core once, then on each ``fork``
command forks a writer child that opens a :class:`~workbench.store.Store` and records
verdicts in a loop (status, note, evidence links), writing ``saved ...`` to stdout after
each change is committed. Forking from a warm process makes a kill cycle cost a few
milliseconds instead of an interpreter start, so the CI test can afford 100 kills.

:func:`run_kills` (used by ``tests/core/test_crash_safety.py`` and
``benchmarks/crash_safety.py``) drives it: fork, wait until the writer has reported
one to three changes and then a random 0-50 ms more, ``SIGKILL`` it, drain what it
reported, then open the database and check that it opens,
``PRAGMA integrity_check`` says ok, and every reported change is there.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STATUSES = ("verified", "disputed", "unverifiable", "unchecked")
ARTICLE = "\n\n".join(
    f"Claim {i}: the ministry said {i * 1000:,} troops crossed the border on day {i}."
    for i in range(1, 7)
)


def status_for(seed: int, index: int) -> str:
    return STATUSES[(seed + index) % len(STATUSES)]


def prepare(db: Path) -> list[int]:
    """A database with one article of six claims; returns the claim ids."""
    from workbench.models import ArticleDraft, DetectedClaim
    from workbench.store import Store

    claims = []
    for paragraph in ARTICLE.split("\n\n"):
        start = ARTICLE.index(paragraph)
        claims.append(DetectedClaim(start, start + len(paragraph), paragraph, 0.9, ("number",)))
    with Store(db, user="setup") as store:
        result = store.add_article(ArticleDraft(ARTICLE, title="Crash test"), claims)
        return [c.id for c in result.claims]


# -- the child side ------------------------------------------------------------------------


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def _writer(db: str, seed: int, count: int) -> None:
    """Record verdicts until killed (or ``count`` changes); report each after it commits."""
    from workbench.store import Store

    store = Store(db, user=f"writer-{seed}")
    claims = [c.id for c in store.claims(1)]
    index = 0
    while count == 0 or index < count:
        claim = claims[(index + seed) % len(claims)]
        note = f"note {seed} {index}"
        url = f"https://example.org/{seed}/{index}" if index % 2 else ""
        store.update_claim(
            claim,
            status=status_for(seed, index),
            note=note,
            evidence=[(url, f"link {index}")] if url else [],
        )
        _say(f"saved {claim} {seed} {index} {url or '-'}")
        index += 1
    store.close()
    _say(f"done {os.getpid()}")


def _zygote() -> None:
    import workbench.store  # noqa: F401  (imported once, before any fork)

    _say("ready")
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "fork":
            db, seed, count = parts[1], int(parts[2]), int(parts[3])
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    _writer(db, seed, count)
                except BaseException as exc:  # reported to the parent, which fails the test
                    _say(f"error {seed} {type(exc).__name__}: {exc}")
                    code = 1
                os._exit(code)
            _say(f"pid {pid}")
        elif parts[0] == "reap":
            pid = int(parts[1])
            _, status = os.waitpid(pid, 0)
            _say(f"exited {pid} {status}")
        elif parts[0] == "quit":
            return


# -- the parent side -----------------------------------------------------------------------


@dataclass
class KillReport:
    """What :func:`run_kills` saw."""

    kills: int = 0
    survived: int = 0
    changes_reported: int = 0
    changes_lost: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Reported:
    """The newest reported change per claim, and every reported evidence link."""

    latest: dict[int, tuple[int, int]] = field(default_factory=dict)
    urls: set[str] = field(default_factory=set)
    count: int = 0

    def add(self, line: str) -> None:
        _, claim, seed, index, url = line.split()
        key = (int(seed), int(index))
        self.latest[int(claim)] = max(self.latest.get(int(claim), key), key)
        if url != "-":
            self.urls.add(url)
        self.count += 1


class Zygote:
    """The forking writer process, seen from the test."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            bufsize=0,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._stdin = self.proc.stdin
        self._fd = self.proc.stdout.fileno()
        self._buffer = b""
        self.expect("ready", timeout=30)

    def send(self, command: str) -> None:
        self._stdin.write((command + "\n").encode())
        self._stdin.flush()

    def lines(self, timeout: float, *, first: bool = False) -> list[str]:
        """The complete lines that arrive within ``timeout`` seconds.

        With ``first``, return as soon as some have arrived.
        """
        deadline = time.monotonic() + timeout
        found: list[str] = []
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._fd], [], [], max(left, 0))
            if ready:
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    raise RuntimeError("the writer process ended")
                self._buffer += chunk
                *complete, self._buffer = self._buffer.split(b"\n")
                found += [c.decode() for c in complete]
            if left <= 0 or not ready or (first and found):
                return found

    def expect(self, prefix: str | tuple[str, ...], timeout: float = 30) -> tuple[str, list[str]]:
        """Read until a line starting with ``prefix``; returns it and the lines before it."""
        deadline = time.monotonic() + timeout
        before: list[str] = []
        pending: list[str] = []
        while time.monotonic() < deadline:
            pending += self.lines(0.05, first=True)
            while pending:
                line = pending.pop(0)
                if line.startswith(prefix):
                    if pending:
                        self._buffer = ("\n".join(pending) + "\n").encode() + self._buffer
                    return line, before
                before.append(line)
        raise TimeoutError(f"no {prefix!r} line from the writer within {timeout} s")

    def close(self) -> None:
        try:
            self.send("quit")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


_FINAL = ("saved ", "error ")
"""Lines that end one change of the writer: committed, or failed."""


def check_database(db: Path, reported: _Reported) -> tuple[int, list[str]]:
    """Open the database as the app does; returns (changes lost, problems)."""
    from workbench.store import Store

    problems: list[str] = []
    with Store(db, user="checker") as store:
        conn = store.db.conn
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"integrity_check: {integrity}")
        rows = conn.execute("SELECT id, status, note FROM claims").fetchall()
        urls = {r[0] for r in conn.execute("SELECT url FROM evidence")}
    lost = 0
    for claim_id, status, note in rows:
        if not note:
            continue
        seed, index = (int(x) for x in note.split()[1:3])
        if status != status_for(seed, index):
            problems.append(f"claim {claim_id}: status {status} does not go with {note!r}")
        if (seed, index) < reported.latest.get(claim_id, (seed, index)):
            lost += 1
    lost += len(reported.urls - urls)
    return lost, problems


def run_kills(
    db: Path, kills: int, *, seed: int = 0, max_delay: float = 0.05, verbose: bool = False
) -> KillReport:
    """Kill a verdict-recording writer ``kills`` times; check the database after each kill."""
    rng = random.Random(seed)
    prepare(db)
    report = KillReport()
    reported = _Reported()
    zygote = Zygote()
    started = time.monotonic()
    try:
        for cycle in range(1, kills + 1):
            zygote.send(f"fork {db} {cycle} 0")
            line, before = zygote.expect("pid ")
            pid = int(line.split()[1])
            # Kill after the writer has reported some changes (however slow the machine
            # is), then at a random moment of the next one: what is checked is counted,
            # never how fast it went.
            wait_for = rng.randint(1, 3)
            early = before
            while sum(text.startswith(_FINAL) for text in early) < wait_for:
                line, more = zygote.expect(_FINAL, timeout=120)
                early += [*more, line]
                if line.startswith("error "):
                    break
            early += zygote.lines(rng.uniform(0, max_delay))
            os.kill(pid, signal.SIGKILL)
            zygote.send(f"reap {pid}")
            _, rest = zygote.expect(f"exited {pid}")
            for text in early + rest:
                if text.startswith("saved "):
                    reported.add(text)
                elif text.startswith("error "):
                    report.problems.append(f"kill {cycle}: writer failed: {text}")
            report.kills += 1
            lost, problems = check_database(db, reported)
            report.changes_lost += lost
            report.problems += [f"kill {cycle}: {p}" for p in problems]
            if not lost and not problems:
                report.survived += 1
            if verbose and cycle % 100 == 0:
                print(f"{cycle} kills, {reported.count} changes reported, lost so far {lost}")
    finally:
        zygote.close()
    report.changes_reported = reported.count
    report.seconds = time.monotonic() - started
    return report


def run_concurrent(db: Path, changes: int) -> tuple[int, list[str], int]:
    """Two writer processes on the same database at once; returns (lost, problems, reported)."""
    prepare(db)
    reported = _Reported()
    zygote = Zygote()
    problems: list[str] = []
    try:
        running = 0
        for seed in (1, 2):
            zygote.send(f"fork {db} {seed} {changes}")
            running += 1
        pids: list[int] = []
        deadline = time.monotonic() + 120
        while running and time.monotonic() < deadline:
            for text in zygote.lines(0.05, first=True):
                if text.startswith("saved "):
                    reported.add(text)
                elif text.startswith("pid "):
                    pids.append(int(text.split()[1]))
                elif text.startswith(("done ", "error ")):
                    running -= 1
                    if text.startswith("error "):
                        problems.append(text)
        if running:
            problems.append("the writers did not finish within 120 s")
        for pid in pids:
            zygote.send(f"reap {pid}")
            zygote.expect(f"exited {pid}")
    finally:
        zygote.close()
    from workbench.store import Store

    with Store(db) as store:
        conn = store.db.conn
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems.append(f"integrity_check: {integrity}")
        urls = {r[0] for r in conn.execute("SELECT url FROM evidence")}
        history = conn.execute("SELECT COUNT(*) FROM claim_history WHERE field = 'evidence'")
        if history.fetchone()[0] != len(reported.urls):
            problems.append("the history does not list every evidence link")
    return len(reported.urls - urls), problems, reported.count


if __name__ == "__main__":
    _zygote()
