"""The team archive: a desk's verdicts shared through a PostgreSQL server, offline-first.

Each fact-checker keeps working in the local database; once it is connected to a team
(:func:`join_team`), every verdict change is queued in the local outbox in the same
transaction as the change (triggers of migration 0010, :mod:`workbench.store.outbox`).
:func:`sync` publishes the outbox and receives the other members' verdicts into the
archive of past checks as the source ``"team"``, by the server's sequence number.

- :mod:`~workbench.team.dsn`: connection strings, never a stored or shown password;
- :mod:`~workbench.team.schema`: the server's schema as numbered migrations, the roles
  and row-level security;
- :mod:`~workbench.team.passwords`: a login's password in the system keyring;
- :mod:`~workbench.team.client`: connecting, publishing, receiving, status, leaving.

psycopg loads with this package: only the ``team`` commands and the app's sync import it.
"""

from __future__ import annotations

from workbench.team.client import (
    JoinReport,
    LeaveReport,
    SyncReport,
    TeamLink,
    TeamStatus,
    init_team,
    join_team,
    leave_team,
    open_connection,
    pull,
    push,
    remember_password,
    sync,
    team_link,
    team_status,
)
from workbench.team.schema import (
    CHECKER_ROLE,
    READER_ROLE,
    SCHEMA,
    TEAM_SCHEMA_VERSION,
    InitReport,
)

__all__ = [
    "CHECKER_ROLE",
    "READER_ROLE",
    "SCHEMA",
    "TEAM_SCHEMA_VERSION",
    "InitReport",
    "JoinReport",
    "LeaveReport",
    "SyncReport",
    "TeamLink",
    "TeamStatus",
    "init_team",
    "join_team",
    "leave_team",
    "open_connection",
    "pull",
    "push",
    "remember_password",
    "sync",
    "team_link",
    "team_status",
]
