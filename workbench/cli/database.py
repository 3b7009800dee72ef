"""The database file: ``backup`` (and ``backup list``), ``restore`` and ``check``."""

from __future__ import annotations

import argparse
from typing import TextIO

from workbench.cli.common import EXIT_OK, CliError, db_path, dump
from workbench.errors import DatabaseDamagedError


def _size(size: int) -> str:
    return f"{size / 2**20:,.1f} MB" if size >= 2**20 else f"{size / 2**10:,.0f} kB"


def cmd_backup(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.backup import create_backup
    from workbench.store import Store

    path = db_path(args)
    if not path.is_file():
        raise CliError(f"there is no database at {path} to back up")
    with Store(path):  # refuses a damaged, foreign or newer database; migrates an old one
        pass
    backup = create_backup(path)
    out.write(f"backed up {path} to {backup.path} ({_size(backup.size)})\n")
    return EXIT_OK


def cmd_backup_list(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.backup import list_backups

    path = db_path(args)
    backups = list_backups(path)
    if args.json:
        dump(
            [
                {
                    "path": str(b.path),
                    "created": b.created.isoformat(timespec="seconds"),
                    "size": b.size,
                    "reason": b.reason,
                }
                for b in backups
            ],
            out,
        )
        return EXIT_OK
    if not backups:
        out.write(f"No backups of {path} yet. Make one with: workbench backup\n")
        return EXIT_OK
    for b in backups:
        when = b.created.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        out.write(f"{when}  {b.reason:<13} {_size(b.size):>10}  {b.path}\n")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.backup import restore_backup

    path = db_path(args)
    result = restore_backup(path, args.backup)
    out.write(f"restored {path} from {result.backup}\n")
    if result.kept is not None:
        out.write(f"the previous database was kept as {result.kept}\n")
    return EXIT_OK


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.dbfile import SCHEMA_VERSION, check_database, damaged_message

    path = db_path(args)
    result = check_database(path, thorough=True)
    if not result.ok:
        raise DatabaseDamagedError(damaged_message(path, "; ".join(result.problems[:3])))
    version = result.schema_version or 0
    if version > SCHEMA_VERSION:
        raise CliError(f"{path} is sound but from a newer version (schema {version})")
    out.write(f"ok: {path} ({_size(result.size)}, schema {version}, integrity check passed)\n")
    return EXIT_OK
