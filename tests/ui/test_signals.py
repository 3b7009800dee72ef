"""The Qt binding itself: a signal emitted many times must not corrupt Python's objects."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    progressed = Signal(int, int)


def test_emitting_signals_keeps_reference_counts() -> None:
    # PySide6 6.12.0 dropped a reference to True on every emit(); on Python 3.11 the
    # process aborted ("bool_dealloc") after a few thousand, e.g. mid-way through an
    # archive embedding. The counts must not fall with each emit (on 3.12+ they are
    # immortal anyway); other code may take a reference or two meanwhile.
    emitter = _Emitter()
    received: list[int] = []
    emitter.progressed.connect(lambda done, total: received.append(done))
    before = sys.getrefcount(True), sys.getrefcount(None)
    for n in range(200):
        emitter.progressed.emit(n, 200)
    assert len(received) == 200
    after = sys.getrefcount(True), sys.getrefcount(None)
    assert after[0] >= before[0] - 5 and after[1] >= before[1] - 5, (before, after)
