"""The database file: ``backup`` (and ``backup list``), ``restore``, ``check``, ``vault prune``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from workbench.cli.common import EXIT_OK, CliError, db_path, dump, open_store
from workbench.errors import DatabaseDamagedError
from workbench.textsafety import one_line

if TYPE_CHECKING:
    from workbench.models import VaultFile


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
    if backup.evidence_left_out:
        raise CliError(backup.evidence_problem())
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
    from workbench.dbfile import (
        SCHEMA_VERSION,
        check_database,
        damaged_message,
        roll_back_interrupted_change,
    )

    path = db_path(args)
    if roll_back_interrupted_change(path):
        out.write(f"recovered: a change to {path} that a crash interrupted was rolled back\n")
    result = check_database(path, thorough=True, text=True)
    if not result.ok:
        raise DatabaseDamagedError(damaged_message(path, "; ".join(result.problems[:3])))
    version = result.schema_version or 0
    if version > SCHEMA_VERSION:
        raise CliError(f"{path} is sound but from a newer version (schema {version})")
    # A database of an older schema has no vault yet (and opening it would migrate it).
    files, problems = _check_vault(path) if version == SCHEMA_VERSION else (0, [])
    if problems:
        more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        listed = "; ".join(problems[:3]) + more
        raise CliError(f"the evidence vault has {len(problems)} problem(s): {listed}")
    out.write(f"ok: {path} ({_size(result.size)}, schema {version}, integrity check passed)\n")
    if files:
        out.write(f"ok: the evidence vault's {files} file(s) match their SHA-256\n")
    return EXIT_OK


def _check_vault(path: Path) -> tuple[int, list[str]]:
    """How many files the vault should hold, and what is wrong with any of them.

    Read through a read-only connection, as the database's own check: opening the store
    switched a backup's file to WAL mode and could not check a database in a folder or
    on a disk that is read-only.
    """
    import sqlite3

    from workbench.dbfile import open_read_only, store_error
    from workbench.vault import check_file

    try:
        conn = open_read_only(path)
        try:
            files = conn.execute(
                "SELECT sha256, size, original_name FROM vault_files ORDER BY captured_at, sha256"
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise store_error(path, exc) from exc
    problems = [
        f"{name}: {problem}"
        for sha256, size, name in files
        if (problem := check_file(path, sha256, size)) is not None
    ]
    return len(files), problems


def cmd_vault_prune(args: argparse.Namespace, out: TextIO) -> int:
    """Delete the vault's files that no evidence uses any more."""
    from workbench.vault import file_path, remove_abandoned_copies

    problems: list[str] = []

    def remove(file: VaultFile) -> bool:
        name = one_line(file.original_name) or file.sha256[:12]
        try:
            file_path(store.path, file.sha256).unlink(missing_ok=True)
        except ValueError:
            problems.append(f"{name}: its recorded hash is not a SHA-256")
            return False
        except OSError as exc:
            problems.append(f"{name}: {exc.strerror or exc}")
            return False
        return True

    with open_store(args, must_exist=True) as store:
        unused = store.forget_unused_vault_files(remove)
        recorded = {file.sha256 for file, _ in store.vault_files()}
        abandoned = remove_abandoned_copies(store.path, recorded)
    freed = sum(f.size for f in unused)
    out.write(f"removed {len(unused)} unused file(s) from the vault ({_size(freed)})\n")
    if abandoned:
        out.write(f"removed {abandoned} copy(ies) never recorded (a failed add, a quit)\n")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CliError(f"could not remove {problems[0]}{more}")
    return EXIT_OK
