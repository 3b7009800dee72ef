"""Reports and settings: ``export`` writes verification reports, ``settings`` lists and sets."""

from __future__ import annotations

import argparse
from typing import TextIO

from workbench.cli.common import EXIT_OK, CliError, dump, open_store
from workbench.priority import check_priority_setting
from workbench.reports.formats import FORMATS, check_article_count, format_for_path, get_format
from workbench.reports.settings import (
    REPORT_SETTINGS,
    SETTING_CHECKER_NAME,
    check_setting,
    checker_name,
)
from workbench.vocabulary import PRIORITY_SETTINGS


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.reports import build_reports, export_reports, render_reports

    to_stdout = args.output == "-"
    if args.format:
        spec = get_format(args.format)
    else:
        guessed = None if to_stdout else format_for_path(args.output)
        if guessed is None:
            raise CliError(f"say which format with --format ({', '.join(FORMATS)})")
        spec = guessed
    if to_stdout and spec.binary:
        raise CliError(f"{spec.name} is not text: write it to a file with -o FILE")
    if args.all and args.article_ids:
        raise CliError("give ARTICLE_IDs or --all, not both")
    if not args.all and not args.article_ids:
        raise CliError("give the ARTICLE_ID to export (or --all)")
    with open_store(args, must_exist=True) as store:
        ids = (
            [row.id for row in store.articles(archived=None)]
            if args.all
            else list(args.article_ids)
        )
        check_article_count(spec, len(set(ids)))
        if to_stdout:
            out.write(render_reports(build_reports(store, ids), spec.name).decode("utf-8"))
            return EXIT_OK
        result = export_reports(store, ids, args.output, fmt=spec.name)
    what = f"{result.articles} article{'s' if result.articles != 1 else ''}, {result.claims} claims"
    if spec.name == "claimreview":
        what = f"{result.items} ClaimReview objects for the checked claims of {result.claims}"
    elif spec.name == "bundle":
        files = f"{result.files} vaulted file{'s' if result.files != 1 else ''}"
        what = f"{result.claims} claims, {files} checked against their SHA-256"
    out.write(f"wrote {result.path} ({spec.name}: {what})\n")
    return EXIT_OK


def cmd_settings(args: argparse.Namespace, out: TextIO) -> int:
    with open_store(args, must_exist=True) as store:
        values = store.settings()
        user = store.user
    if args.json:
        dump(values, out)
        return EXIT_OK
    for key, value in values.items():
        out.write(f"{key} = {value}\n")
    for key, meaning in {**REPORT_SETTINGS, **PRIORITY_SETTINGS}.items():
        if not values.get(key):
            if key == SETTING_CHECKER_NAME:
                meaning += f"; reports now say {checker_name(values, user)!r}"
            out.write(f"# {key} is not set: {meaning}\n")
    return EXIT_OK


def cmd_settings_set(args: argparse.Namespace, out: TextIO) -> int:
    key = args.key.strip()
    if not key:
        raise CliError("a setting needs a KEY")
    known = {**REPORT_SETTINGS, **PRIORITY_SETTINGS}
    if key not in known and not key.startswith("report."):  # report.*: check_setting says
        # The app's own keys (ui.*, team.dsn) are written by the app and `team connect`,
        # which check them; a typo here would otherwise be stored and never read.
        raise CliError(f"unknown setting {key!r} (known: {', '.join(known)})")
    value = check_setting(key, args.value)
    # A setting belongs to a database that exists: a mistyped --db would otherwise get a
    # new one holding just this setting, and the real one would seem to ignore it.
    with open_store(args, must_exist=True) as store:
        value = check_priority_setting(key, value, store.settings(prefix="priority."))
        store.set_setting(key, value)
    out.write(f"{key} = {value}\n")
    return EXIT_OK
