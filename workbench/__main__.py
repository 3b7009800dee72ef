"""``python -m workbench``: the ``workbench`` command, for an environment without its script."""

import sys

from workbench.cli import main

sys.exit(main())
