from __future__ import annotations

import os

# Set before Qt is imported anywhere: the tests never need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
