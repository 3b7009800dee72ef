"""A throwaway PostgreSQL server for the team tests: initdb in a temporary folder, a Unix socket.

The server listens on no TCP port (``listen_addresses=''``), only on a socket in its own
folder, so tests never clash with a PostgreSQL already running. PostgreSQL refuses to
run as root: as root, the folder is given to the ``postgres`` account (which Debian's
package creates), or to ``nobody``, and the server runs as that account. Durability is
traded for speed (``fsync=off``): the cluster dies with the test session.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ADMIN = "team_admin"
"""The cluster's superuser, trusted on the socket (the administrator of the tests)."""
PORT = 54329
"""Only names the socket file (``.s.PGSQL.54329``): no TCP port is opened."""


def find_pg_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: on PATH, or Debian's /usr/lib/postgresql."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parts[-3].split(".")],
    )
    return Path(candidates[-1]).parent if candidates else None


def _server_account() -> pwd.struct_passwd | None:
    """Who runs the server: nobody special unless we are root, which PostgreSQL refuses."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root, and there is no 'postgres' or 'nobody' account")


@dataclass
class TeamServer:
    """A running cluster: its socket folder, and DSNs for its databases."""

    bin: Path
    root: Path
    account: pwd.struct_passwd | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    def dsn(self, dbname: str = "postgres", user: str = ADMIN, **extra: str) -> str:
        parts = {"host": str(self.socket_dir), "port": str(PORT), "dbname": dbname, "user": user}
        parts |= extra
        return " ".join(f"{key}={value}" for key, value in parts.items())

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        account = self.account
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C", "LANG": "C"},
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
        )

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", ADMIN, "-E", "UTF8", "--locale=C",
            "--auth-local=trust", "--no-sync",
        )  # fmt: skip
        # The administrator is trusted on the socket; every other login needs its password.
        (self.data / "pg_hba.conf").write_text(
            f"local all {ADMIN} trust\nlocal all all scram-sha-256\n", encoding="utf-8"
        )
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                f"port = {PORT}\n"
                "fsync = off\nfull_page_writes = off\n"
                "max_connections = 60\nshared_buffers = 32MB\n"
            )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        try:
            self._run("pg_ctl", "-D", str(self.data), "status")
        except subprocess.CalledProcessError:
            return False
        return True

    def start_if_stopped(self) -> None:
        if not self.running():
            self.start()


@contextlib.contextmanager
def running_server(bin_dir: Path) -> Iterator[TeamServer]:
    """A fresh cluster, started; stopped (immediately) and deleted on the way out."""
    account = _server_account()
    # Not under pytest's tmp_path: its folders are private to root, which the server's
    # account could not enter. A short path, too: a socket's path has a 107-byte limit.
    root = Path(tempfile.mkdtemp(prefix="wb-pg-"))
    if account is not None:
        os.chown(root, account.pw_uid, account.pw_gid)
    server = TeamServer(bin_dir, root, account)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def create_logins(server: TeamServer, passwords: dict[str, str]) -> None:
    """Login roles with these passwords (granted no team role yet)."""
    import psycopg

    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        for login, password in passwords.items():
            conn.execute(f"CREATE ROLE {login} LOGIN PASSWORD '{password}'")


@contextlib.contextmanager
def team_database(
    server: TeamServer,
    name: str,
    *,
    checkers: Sequence[str] = (),
    readers: Sequence[str] = (),
    schema: int | None = None,
) -> Iterator[str]:
    """A new database with the team archive made by ``team init`` (up to team schema
    ``schema``, as an older version made it; the latest by default) and the members
    granted their roles; dropped on the way out (the server restarted first if a test
    stopped it)."""
    import psycopg
    import pytest

    from workbench.team import init_team
    from workbench.team import schema as team_schema

    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with pytest.MonkeyPatch.context() as older:
        if schema is not None:
            older.setattr(team_schema, "MIGRATIONS", team_schema.MIGRATIONS[:schema])
        init_team(server.dsn(name))
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        if checkers:
            conn.execute(f"GRANT workbench_checker TO {', '.join(checkers)}")
        if readers:
            conn.execute(f"GRANT workbench_reader TO {', '.join(readers)}")
    try:
        yield name
    finally:
        server.start_if_stopped()
        with psycopg.connect(server.dsn(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def use_password_file(root: Path, passwords: dict[str, str], env: Any) -> None:
    """Members' passwords in a password file, as in ~/.pgpass; none in the environment.

    ``env`` is pytest's ``monkeypatch``.
    """
    passfile = root / "pgpass"
    passfile.write_text("".join(f"*:*:*:{u}:{p}\n" for u, p in passwords.items()))
    passfile.chmod(0o600)
    env.setenv("PGPASSFILE", str(passfile))
    for name in ("PGPASSWORD", "PGHOST", "PGUSER", "PGDATABASE", "PGPORT", "PGSERVICE"):
        env.delenv(name, raising=False)


@contextlib.contextmanager
def keyring_in_use(ring: Any = None) -> Iterator[Any]:
    """The process's keyring is ``ring`` for the block (by default none that works), never the
    machine's own; the one before comes back after."""
    import keyring
    from keyring.backends import fail

    ring = fail.Keyring() if ring is None else ring
    before = keyring.get_keyring()
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(before)
