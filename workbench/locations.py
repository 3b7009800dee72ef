"""Where the app keeps its database by default, without loading what opens it.

Light on purpose: ``workbench --help`` names this path, and the database layer
(:mod:`workbench.dbfile`) loads SQLite, logging and more.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "factcheck-workbench"
DB_ENV_VAR = "WORKBENCH_DB"


def default_db_path() -> Path:
    """The database used when neither ``--db`` nor ``WORKBENCH_DB`` names one."""
    env = os.environ.get(DB_ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return platform_db_path()


def platform_db_path() -> Path:
    """The database in the platform's folder for the user's app data."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "workbench.db"
