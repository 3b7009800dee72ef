"""A team login's password in the system keyring, never in the database.

libpq finds a password in ``PGPASSWORD`` or ``~/.pgpass``; a checker who would rather
not keep it in a file saves it in the system's keyring (GNOME Keyring, KWallet, macOS
Keychain, Windows Credential Locker, through the ``keyring`` package) with
``workbench team password``. It is stored under the login and the server
(``ana@db.example.org:5432/desk``), so a database connected to another server never
sends it there.

Order when connecting: ``PGPASSWORD``, then the keyring, then libpq's own
``~/.pgpass``. A machine without a keyring (a server, a CI box) is not an error for
reading: the password simply comes from libpq's places.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import keyring
from keyring.errors import KeyringError, NoKeyringError

from workbench.errors import TeamConfigError
from workbench.team.dsn import login_of, server_label

log = logging.getLogger("workbench.team")

SERVICE = "factcheck-workbench team"
"""The keyring's service name for team passwords."""

NO_KEYRING = "no system keyring is available here: give the password in PGPASSWORD or ~/.pgpass"


def keyring_account(parts: Mapping[str, str]) -> str:
    """The keyring's user name for a connection: ``LOGIN@HOST:PORT/DBNAME``, and ``via
    ADDRESS`` when ``hostaddr`` (or ``PGHOSTADDR``) says where to connect instead of the
    host's name: a connection string naming the same host at another address (handed
    over by someone else) does not get the password saved for the host itself."""
    account = f"{login_of(parts)}@{server_label(parts)}"
    address = parts.get("hostaddr") or os.environ.get("PGHOSTADDR")
    return f"{account} via {address}" if address else account


def saved_password(parts: Mapping[str, str]) -> str | None:
    """The password saved for this login and server, or None (none saved, no keyring).

    Never raises: a keyring that is locked, missing or broken means libpq's own
    places are used, and the reason goes to the log (without the password).
    """
    if os.environ.get("PGPASSWORD"):
        return None  # the environment wins, as it does for libpq
    try:
        return keyring.get_password(SERVICE, keyring_account(parts))
    except KeyringError as exc:
        log.debug("no password from the keyring: %s", type(exc).__name__)
    except Exception as exc:  # a backend's own failure (D-Bus gone, a locked wallet)
        log.warning("the system keyring could not be read: %s", type(exc).__name__)
    return None


def save_password(parts: Mapping[str, str], password: str) -> None:
    """Keep ``password`` in the system keyring for this login and server.

    Raises:
        TeamConfigError: empty, or no keyring can store it (the message says where
            else to put it); nothing is stored.
    """
    if not password:
        raise TeamConfigError("the password is empty: nothing was saved")
    try:
        keyring.set_password(SERVICE, keyring_account(parts), password)
    except NoKeyringError:
        raise TeamConfigError(NO_KEYRING) from None
    except Exception as exc:  # the keyring refused, or its backend failed
        raise TeamConfigError(
            f"the system keyring could not keep the password ({type(exc).__name__}):"
            " give it in PGPASSWORD or ~/.pgpass"
        ) from None


def forget_password(parts: Mapping[str, str]) -> bool:
    """Remove the saved password; False when there was none (or no keyring).

    Also the one a version before the address was part of the entry's name saved for a
    connection string with ``hostaddr`` (``LOGIN@HOST:PORT/DBNAME`` alone).
    """
    forgotten = False
    for account in dict.fromkeys(
        (keyring_account(parts), f"{login_of(parts)}@{server_label(parts)}")
    ):
        try:
            keyring.delete_password(SERVICE, account)
        except KeyringError:  # none saved (PasswordDeleteError), or no keyring
            continue
        except Exception as exc:
            log.warning("the system keyring could not be changed: %s", type(exc).__name__)
            continue
        forgotten = True
    return forgotten
