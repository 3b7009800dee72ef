"""The team archive: ``team init``, ``team connect``, ``team status``, ``team sync``.

psycopg loads inside the handlers (:mod:`workbench.team`), so ``workbench --help``
does not import it. Known problems (server down, password refused, newer team
schema, connection lost) print one line and exit 2; the outbox keeps every verdict.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from workbench.cli.common import EXIT_OK, dump, open_store, tell
from workbench.display import counted
from workbench.textsafety import one_line


def cmd_team_init(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.team import init_team

    report = init_team(args.dsn)
    if report.roles_created:
        out.write(f"created the roles {', '.join(report.roles_created)}\n")
    if report.before == report.after:
        out.write(f"the team archive on {report.server} is up to date (schema {report.after})\n")
    elif report.before == 0:
        out.write(f"created the team archive on {report.server} (schema {report.after})\n")
    else:
        out.write(
            f"migrated the team archive on {report.server}"
            f" from schema {report.before} to {report.after}\n"
        )
    return EXIT_OK


def cmd_team_connect(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.team import join_team

    with open_store(args) as store:
        report = join_team(store, args.dsn, name=args.name)
    out.write(
        f"connected this database to the team at {report.server}"
        f" as {report.name} (login {report.login})\n"
    )
    if report.queued:
        out.write(f"{counted(report.queued, 'verdict')} queued to publish at the next sync\n")
    if report.problem:
        tell("warning", f"{report.problem}; your verdicts wait in the outbox meanwhile")
    return EXIT_OK


def cmd_team_status(args: argparse.Namespace, out: TextIO) -> int:
    import dataclasses

    from workbench.team import team_status

    with open_store(args, must_exist=True) as store:
        status = team_status(store, probe=not args.offline)
    if args.json:
        dump(dataclasses.asdict(status), out)
        return EXIT_OK
    if not status.connected:
        out.write("not connected to a team (workbench team connect DSN --name NAME)\n")
        return EXIT_OK
    out.write(f"team server: {status.server} as {status.name} (login {status.login})\n")
    if status.reachable is None:
        out.write("server: not asked (--offline)\n")
    elif status.problem:
        out.write(f"server: {one_line(status.problem)}\n")  # the server's words: one line
    else:
        out.write(f"server: reachable, team schema {status.server_schema}\n")
    waiting = counted(status.pending, "verdict")
    since = f" (oldest change {status.oldest_pending})" if status.oldest_pending else ""
    out.write(f"outbox: {waiting} waiting to be published{since}\n")
    out.write(f"last published: {status.last_sent_at or 'never'}\n")
    received = status.last_received_at or "never"
    out.write(f"last received: {received} (server sequence {status.last_seq})\n")
    return EXIT_OK


def cmd_team_sync(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.team import sync

    with open_store(args, must_exist=True) as store:
        report = sync(store)
        embedded = None
        if report.received.added + report.received.replaced and not args.no_embed:
            from workbench.cli.archive import _finish_embeddings

            embedded = _finish_embeddings(store)
    received = report.received
    if args.json:
        dump(
            {
                "server": report.server,
                "sent": report.sent,
                "received": {
                    "added": received.added,
                    "replaced": received.replaced,
                    "withdrawn": received.withdrawn,
                    "refused": received.refused,
                },
                "refused": report.refused,
                "pending": report.pending,
                "last_seq": report.last_seq,
                "restarted": report.restarted,
                "embedded": embedded,
            },
            out,
        )
        return EXIT_OK
    if report.restarted:
        tell("note", f"the team archive at {report.server} is a new one: receiving it anew")
    out.write(
        f"published {counted(report.sent, 'verdict change')}; received"
        f" {received.added:,} new, {received.replaced:,} updated,"
        f" {received.withdrawn:,} withdrawn (server sequence {report.last_seq})\n"
    )
    if report.refused:
        tell(
            "warning",
            f"the team server refused {counted(report.refused, 'verdict change')}: their claims"
            " (or this database) were first published by another login; they were set aside",
        )
    if received.refused:
        tell(
            "warning",
            f"set aside {counted(received.refused, 'verdict')} from the team on claims first"
            " published by another login",
        )
    if report.pending:
        out.write(f"{counted(report.pending, 'verdict')} still waiting in the outbox\n")
    return EXIT_OK


def cmd_team_disconnect(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.team import leave_team

    with open_store(args, must_exist=True) as store:
        report = leave_team(store, force=args.force)
    out.write(f"disconnected this database from the team at {report.server}\n")
    if report.dropped:
        out.write(f"{counted(report.dropped, 'verdict change')} left unpublished\n")
    if report.password_forgotten:
        out.write("the password saved in the system keyring is forgotten\n")
    return EXIT_OK


def cmd_team_password(args: argparse.Namespace, out: TextIO) -> int:
    """Save the login's password in the system keyring: asked without echo on a
    terminal, or one line read from standard input with --stdin (for scripts)."""
    import getpass
    import sys

    from workbench.team import remember_password

    with open_store(args, must_exist=True) as store:
        if args.stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass("Team password (not shown): ")
        entry = remember_password(store, password)
    out.write(f"saved the password for {entry} in the system keyring\n")
    return EXIT_OK


def cmd_team_import(args: argparse.Namespace, out: TextIO) -> int:
    """``team import FILE``: load an archive of past checks onto the team server."""
    from workbench.cli.common import CliError, engine_of
    from workbench.team import team_link
    from workbench.team.archive import import_to_team

    dsn = args.dsn
    if dsn is None:  # the server this database is connected to
        with open_store(args, must_exist=True) as store:
            dsn = team_link(store).dsn
    encoder = None
    if args.embed:
        encoder = engine_of(args).encoder()
        if encoder is None:
            raise CliError(f"--embed: {engine_of(args).encoder_status().message}")
    report = import_to_team(dsn, args.file, source=args.source, encoder=encoder)
    out.write(report.summary() + "\n")
    return EXIT_OK
