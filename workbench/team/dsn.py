"""Team connection strings: parsed, checked for a password, and named without one.

A connection string is libpq's (``host=db.example.org dbname=desk user=ana``) or a URL
(``postgresql://ana@db.example.org/desk``). The password never goes into the database,
a message or a log line: libpq takes it from ``PGPASSWORD`` or ``~/.pgpass``. So a
string holding one is refused when it would be stored, and messages name the server
by :func:`server_label` and the login by :func:`login_of`, built from the parsed
parts, never from the string itself.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from workbench.errors import TeamConfigError

PASSWORD_KEYS = ("password",)


def parse_dsn(dsn: str) -> dict[str, str]:
    """The parts of a connection string (``host``, ``port``, ``dbname``, ``user`` ...).

    Raises:
        TeamConfigError: it cannot be parsed. The message does not repeat the
            string, which may hold a password.
    """
    if not dsn.strip():
        raise TeamConfigError("the team server's connection string is empty")
    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # psycopg.ProgrammingError, or a URL it cannot read
        raise TeamConfigError(
            "the team server's connection string is not valid: give"
            " 'host=HOST dbname=NAME user=LOGIN' or postgresql://LOGIN@HOST/NAME"
        ) from None
    found = {key: str(value) for key, value in parts.items() if value is not None}
    for host in found.get("host", "").split(","):
        if host and not host.startswith("/"):  # a folder is a Unix socket's
            try:
                host.encode("idna")  # what the name lookup does: labels of 1-63 characters
            except UnicodeError:
                raise TeamConfigError(
                    f"the team server's host name is not valid: {host[:80]}"
                ) from None
    for port in (p.strip() for p in found.get("port", "").split(",")):
        # libpq takes one port, or one per host; an empty one is the default (5432).
        if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
            raise TeamConfigError(
                f"the team server's port is not valid: {port[:20]} (a number, such as 5432)"
            )
    return found


def has_password(parts: Mapping[str, str]) -> bool:
    return any(parts.get(key) for key in PASSWORD_KEYS)


def without_password(parts: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in parts.items() if key not in PASSWORD_KEYS}


def storable_dsn(dsn: str) -> str:
    """``dsn`` in libpq's form, to store; refused if it holds a password.

    Raises:
        TeamConfigError: not valid, or holds a password (nothing is stored).
    """
    parts = parse_dsn(dsn)
    if has_password(parts):
        raise TeamConfigError(
            "the connection string holds a password, which is never stored: remove it and"
            " give the password in PGPASSWORD or ~/.pgpass (nothing was saved)"
        )
    return make_conninfo(**parts)


def server_label(parts: Mapping[str, str]) -> str:
    """The server as messages name it: ``HOST:PORT/DBNAME`` (never the password)."""
    host = parts.get("host") or parts.get("hostaddr") or os.environ.get("PGHOST") or "localhost"
    port = parts.get("port") or os.environ.get("PGPORT") or "5432"
    dbname = parts.get("dbname") or os.environ.get("PGDATABASE") or login_of(parts)
    return f"{host}:{port}/{dbname}"


def login_of(parts: Mapping[str, str]) -> str:
    """The login libpq will use: ``user``, else ``PGUSER``, else the account's name."""
    user = parts.get("user") or os.environ.get("PGUSER")
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "(unknown)"
