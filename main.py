"""Start the Fact-Checking Workbench desktop app: ``python main.py [--db PATH] [FILE...]``."""

from __future__ import annotations

import sys

from workbench.cli import main

if __name__ == "__main__":
    sys.exit(main(["gui", *sys.argv[1:]]))
