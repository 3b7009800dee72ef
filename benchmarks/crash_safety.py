"""Crash safety: SIGKILL a process recording verdicts 1,000 times at random moments.

After each kill the database must open, pass ``PRAGMA integrity_check`` and hold every
change the writer had reported as saved. Prints kills survived and changes lost (must
be 0). The CI test (``tests/core/test_crash_safety.py``) runs the same with 100 kills.

    python benchmarks/crash_safety.py [--kills 1000] [--seed 0] [--db-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.core.crash_writer import run_kills  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--db-dir", help="where to put the database (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.db_dir) as folder:
        report = run_kills(Path(folder) / "crash.db", args.kills, seed=args.seed, verbose=True)
    for problem in report.problems[:20]:
        print("problem:", problem)
    print(
        f"kills: {report.kills}, kills survived: {report.survived}, "
        f"changes reported saved: {report.changes_reported:,}, "
        f"changes lost: {report.changes_lost} ({report.seconds:.1f} s)"
    )
    return 0 if report.changes_lost == 0 and not report.problems else 1


if __name__ == "__main__":
    sys.exit(main())
