"""The ``workbench`` argument parser: every command, its options and its --help, in one place.

Each command's handler lives in the module of its group (:mod:`workbench.cli.articles`
...). Those import the store, the readers, the reports and the NLP inside the handlers,
so building this parser (``workbench --help``) imports none of them.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from workbench import __version__
from workbench.cli.training import DEFAULT_CT24
from workbench.locations import default_db_path
from workbench.reports.formats import FORMATS
from workbench.reports.settings import REPORT_SETTINGS
from workbench.textsafety import one_line
from workbench.vocabulary import LIBRARY_STATES, PRIORITY_SETTINGS, Status

_SQLITE_MAX = 2**63 - 1
"""The largest integer SQLite stores: an id past it is no id at all."""


def whole_number(text: str) -> int:
    """An id or offset: a whole number SQLite can store (else argparse's one-line error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not -_SQLITE_MAX - 1 <= value <= _SQLITE_MAX:
        raise argparse.ArgumentTypeError(f"no such id or offset: {text[:40]}")
    return value


def count(text: str) -> int:
    """How many results to list: a whole number, at least 1."""
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


class Handler:
    """A command's handler, ``cmd_<name>`` of a module of :mod:`workbench.cli`, imported
    when the command runs: ``--help`` loads none of them (nor the store, nor models)."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __call__(self, args: argparse.Namespace, out: TextIO) -> int:
        handler = getattr(importlib.import_module(f"workbench.cli.{self.module}"), self.name)
        code: int = handler(args, out)
        return code


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors are one line (the usage is in ``--help``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


class _EvidenceAction(argparse.Action):
    """``--evidence URL [--evidence-title TITLE]``: each title belongs to the URL before it."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        links: list[list[str]] = getattr(namespace, "evidence", None) or []
        if option_string == "--evidence":
            links.append([str(values), ""])
        elif not links:
            parser.error("--evidence-title must follow the --evidence URL it names")
        else:
            links[-1][1] = str(values)
        namespace.evidence = links


def build_parser() -> argparse.ArgumentParser:
    """Every command, in the order ``workbench --help`` lists them (which mixes the groups)."""
    common = _Parser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=f"the database file (default: ${'{'}WORKBENCH_DB{'}'} or {default_db_path()})",
    )
    json_flag = _Parser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print JSON instead of text")

    parser = _Parser(
        prog="workbench",
        description="Find check-worthy claims in articles and record verdicts, offline.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "analyze",
        parents=[common, json_flag],
        help="import an article (.txt .md .html .docx .pdf, or - for stdin) and find its claims",
    )
    p.add_argument("file", metavar="FILE")
    p.set_defaults(handler=Handler("articles", "cmd_analyze"))

    p = sub.add_parser("articles", parents=[common, json_flag], help="list the stored articles")
    p.add_argument("--search", metavar="TEXT", help="only articles whose title or text has TEXT")
    p.add_argument("--archived", action="store_true", help="the archived articles instead")
    p.add_argument("--tag", metavar="TAG", help="only articles with this tag (or a claim with it)")
    p.add_argument(
        "--state",
        choices=list(LIBRARY_STATES),
        help="only articles with unchecked claims, with unchecked high-priority ones, or done",
    )
    p.set_defaults(handler=Handler("articles", "cmd_articles"))

    p = sub.add_parser(
        "show", parents=[common, json_flag], help="one article with its claims and verdicts"
    )
    p.add_argument("article_id", metavar="ARTICLE_ID", type=whole_number)
    p.set_defaults(handler=Handler("articles", "cmd_show"))

    claim = sub.add_parser("claim", help="record verdicts and correct the detector")
    claim_sub = claim.add_subparsers(dest="claim_command", metavar="ACTION", required=True)
    p = claim_sub.add_parser(
        "set", parents=[common, json_flag], help="record a claim's status, note and evidence"
    )
    p.add_argument("claim_id", metavar="CLAIM_ID", type=whole_number)
    p.add_argument("--status", choices=[s.value for s in Status])
    p.add_argument("--note", metavar="TEXT")
    p.add_argument("--claimant", metavar="NAME", help="who made the claim")
    p.add_argument(
        "--priority",
        choices=["high", "medium", "low", "auto"],
        help="your priority for the claim (auto: the detector's again); later articles learn"
        " from it",
    )
    p.add_argument(
        "--evidence", metavar="URL", action=_EvidenceAction, help="an http(s) evidence link"
    )
    p.add_argument(
        "--evidence-title",
        metavar="TITLE",
        action=_EvidenceAction,
        help="title of the --evidence link just before it",
    )
    p.add_argument(
        "--evidence-file",
        metavar="PATH",
        action="append",
        help="a document or image kept as evidence in the vault beside the database",
    )
    p.add_argument(
        "--quote", metavar="TEXT", help="the passage of the --evidence-file that is the evidence"
    )
    p.set_defaults(handler=Handler("claims", "cmd_claim_set"))

    p = claim_sub.add_parser(
        "add", parents=[common, json_flag], help="add a claim from character offsets"
    )
    p.add_argument("article_id", metavar="ARTICLE_ID", type=whole_number)
    p.add_argument("start", metavar="START", type=whole_number)
    p.add_argument("end", metavar="END", type=whole_number)
    p.set_defaults(handler=Handler("claims", "cmd_claim_add"))

    p = claim_sub.add_parser("tag", parents=[common], help="add or remove tags on claims")
    p.add_argument("claim_ids", metavar="CLAIM_ID", type=whole_number, nargs="+")
    p.add_argument("--add", metavar="TAG", action="append", default=[], help="add this tag")
    p.add_argument("--remove", metavar="TAG", action="append", default=[], help="remove it")
    p.set_defaults(handler=Handler("claims", "cmd_claim_tag"))

    p = claim_sub.add_parser("remove", parents=[common], help="remove a wrongly detected claim")
    p.add_argument("claim_id", metavar="CLAIM_ID", type=whole_number)
    p.set_defaults(handler=Handler("claims", "cmd_claim_remove"))

    article = sub.add_parser("article", help="edit an article's details, archive or delete it")
    article_sub = article.add_subparsers(dest="article_command", metavar="ACTION", required=True)
    p = article_sub.add_parser(
        "edit", parents=[common, json_flag], help="change the headline, outlet, byline, link, date"
    )
    p.add_argument("article_id", metavar="ARTICLE_ID", type=whole_number)
    p.add_argument("--title", metavar="TEXT", help="the headline")
    p.add_argument("--outlet", metavar="NAME", help="who published it")
    p.add_argument("--byline", metavar="NAMES", help="who wrote it")
    p.add_argument("--url", metavar="URL", help="where it was published (http or https)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="when it was published ('' for none)")
    p.set_defaults(handler=Handler("article", "cmd_article_edit"))
    p = article_sub.add_parser(
        "archive", parents=[common], help="move an article out of the library's list (kept whole)"
    )
    p.add_argument("article_id", metavar="ARTICLE_ID", type=whole_number)
    p.add_argument("--restore", action="store_true", help="bring it back into the library")
    p.set_defaults(handler=Handler("article", "cmd_article_archive"))
    p = article_sub.add_parser("tag", parents=[common], help="add or remove an article's tags")
    p.add_argument("article_id", metavar="ARTICLE_ID", type=whole_number)
    p.add_argument("--add", metavar="TAG", action="append", default=[], help="add this tag")
    p.add_argument("--remove", metavar="TAG", action="append", default=[], help="remove it")
    p.set_defaults(handler=Handler("article", "cmd_article_tag"))
    p = article_sub.add_parser(
        "delete", parents=[common], help="delete an article with its claims and verdicts"
    )
    p.add_argument("article_id", metavar="ARTICLE_ID", type=whole_number)
    p.add_argument("--yes", action="store_true", help="really delete (there is no undo here)")
    p.set_defaults(handler=Handler("article", "cmd_article_delete"))

    p = sub.add_parser("gui", parents=[common], help="open the desktop app")
    p.add_argument("files", metavar="FILE", nargs="*", help="articles to open")
    p.set_defaults(handler=Handler("app", "cmd_gui"))

    p = sub.add_parser(
        "export",
        parents=[common],
        help="write verification reports: " + ", ".join(FORMATS),
        description="Write an article's verification report. csv and json take several "
        "articles (or --all) for a desk's tally; the other formats one.",
    )
    p.add_argument("article_ids", metavar="ARTICLE_ID", type=whole_number, nargs="*")
    p.add_argument("--all", action="store_true", help="every stored article (csv, json)")
    p.add_argument(
        "-f", "--format", choices=list(FORMATS), help="default: from the extension of OUT"
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        required=True,
        help="the file to write, or - for stdout; an existing file is replaced and keeps its"
        " permissions, a symbolic link is replaced (not followed), a folder, pipe or device"
        " is refused",
    )
    # Like --json, a report on stdout keeps its exact text when piped (see main).
    p.set_defaults(handler=Handler("reports", "cmd_export"), exact_output=True)

    p = sub.add_parser(
        "settings", parents=[common, json_flag], help="list settings (report.organisation ...)"
    )
    p.set_defaults(handler=Handler("reports", "cmd_settings"))
    settings_sub = p.add_subparsers(dest="settings_command", metavar="ACTION")
    p = settings_sub.add_parser("set", parents=[common], help="set a setting")
    p.add_argument(
        "key", metavar="KEY", help="e.g. " + ", ".join([*REPORT_SETTINGS, *PRIORITY_SETTINGS])
    )
    p.add_argument("value", metavar="VALUE")
    p.set_defaults(handler=Handler("reports", "cmd_settings_set"))
    p = sub.add_parser(
        "import",
        parents=[common, json_flag],
        help="add past fact-checks to the archive (JSON Lines, CSV or ClaimReview JSON-LD)",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--source", metavar="NAME", help="the collection's name (default: the file name)"
    )
    p.add_argument(
        "--no-embed",
        action="store_true",
        help="skip computing embeddings for semantic matching (`workbench embed` does it later)",
    )
    p.set_defaults(handler=Handler("archive", "cmd_import"))

    p = sub.add_parser(
        "embed",
        parents=[common],
        help="compute the missing embeddings of past checks, for semantic matching",
    )
    p.set_defaults(handler=Handler("archive", "cmd_embed"))

    p = sub.add_parser(
        "match", parents=[common, json_flag], help="find past checks similar to a claim"
    )
    p.add_argument("text", metavar="TEXT", nargs="?", help="the claim (a sentence, a tweet)")
    p.add_argument(
        "--queries",
        metavar="FILE",
        help='JSON Lines of {"id", "text"} claims (- for stdin); with --json, one line each',
    )
    p.add_argument("--top", metavar="K", type=whole_number, default=5, help="matches per claim (5)")
    p.add_argument("--source", metavar="NAME", help="only past checks from this collection")
    p.add_argument("--prefer-recent", action="store_true", help="newer checks first")
    p.add_argument(
        "--explain", action="store_true", help="with --json: shared words, conflicts, signals"
    )
    p.add_argument(
        "--team",
        action="store_true",
        help="search the team archive on the server instead of this database's",
    )
    p.set_defaults(handler=Handler("archive", "cmd_match"))

    p = sub.add_parser(
        "score",
        parents=[common, json_flag],
        help="score sentences for check-worthiness, one JSON Lines object each",
    )
    p.add_argument(
        "--sentences",
        metavar="FILE",
        required=True,
        help='JSON Lines of {"id", "text"} sentences (- for stdin); each scored as one sentence',
    )
    p.set_defaults(handler=Handler("articles", "cmd_score"))

    p = sub.add_parser(
        "train-checkworthiness",
        parents=[common],
        help="retrain the check-worthiness model with your corrections (needs the train group)",
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--with-feedback",
        action="store_true",
        help="train on CT24 plus the claims you added and removed; installs the model for you",
    )
    mode.add_argument(
        "--reset", action="store_true", help="delete your trained model: the bundled one again"
    )
    p.add_argument(
        "--data",
        metavar="PATH",
        default=str(DEFAULT_CT24),
        help="CT24 check-worthiness data, the base training set (default: %(default)s)",
    )
    p.add_argument("--epochs", metavar="N", type=int, default=2, help="passes over the data (2)")
    p.add_argument("--limit", metavar="N", type=int, help="first N rows of each split (tiny runs)")
    p.add_argument(
        "--force", action="store_true", help="install even if its CT24 dev F1 is clearly worse"
    )
    p.set_defaults(handler=Handler("training", "cmd_train_checkworthiness"))

    p = sub.add_parser(
        "archive", parents=[common, json_flag], help="the archive's collections, or search it"
    )
    p.add_argument("--search", metavar="TEXT", help="past claims with all these words")
    p.add_argument("--source", metavar="NAME", help="only this collection")
    p.add_argument("--limit", metavar="N", type=count, default=20)
    p.set_defaults(handler=Handler("archive", "cmd_archive"))

    p = sub.add_parser(
        "backup",
        parents=[common],
        help="back up the database now (backups/ beside it); 'backup list' lists them",
    )
    p.set_defaults(handler=Handler("database", "cmd_backup"))
    backup_sub = p.add_subparsers(dest="backup_command", metavar="ACTION")
    p = backup_sub.add_parser(
        "list", parents=[common, json_flag], help="the database's backups, newest first"
    )
    p.set_defaults(handler=Handler("database", "cmd_backup_list"))

    p = sub.add_parser(
        "restore",
        parents=[common],
        help="replace the database with a backup (the current file is kept aside)",
    )
    p.add_argument("backup", metavar="BACKUP", help="a file listed by 'workbench backup list'")
    p.set_defaults(handler=Handler("database", "cmd_restore"))

    p = sub.add_parser(
        "check",
        parents=[common],
        help="check the database and the evidence vault's files (exit 2 if damaged)",
    )
    p.set_defaults(handler=Handler("database", "cmd_check"))

    library = sub.add_parser(
        "library", help="the evidence library: folders of documents you trust, searched offline"
    )
    library_sub = library.add_subparsers(dest="library_command", metavar="ACTION", required=True)
    p = library_sub.add_parser(
        "add",
        parents=[common],
        help="register a folder of documents (.txt .md .html .docx .pdf) and index it",
    )
    p.add_argument("folder", metavar="FOLDER")
    p.add_argument(
        "--no-index", action="store_true", help="only register it (`library index` reads it)"
    )
    p.set_defaults(handler=Handler("library", "cmd_library_add"))
    p = library_sub.add_parser(
        "list", parents=[common, json_flag], help="the folders, and the files that cannot be read"
    )
    p.set_defaults(handler=Handler("library", "cmd_library_list"))
    p = library_sub.add_parser(
        "remove", parents=[common], help="forget a folder (its files are not touched)"
    )
    p.add_argument("folder", metavar="FOLDER")
    p.set_defaults(handler=Handler("library", "cmd_library_remove"))
    p = library_sub.add_parser(
        "index",
        parents=[common, json_flag],
        help="read new and changed documents now, forget deleted ones (progress on a terminal)",
    )
    p.set_defaults(handler=Handler("library", "cmd_library_index"))

    p = sub.add_parser(
        "evidence",
        parents=[common, json_flag],
        help="passages of the evidence library that may support or refute a claim",
    )
    p.add_argument("claim_id", metavar="CLAIM_ID", type=whole_number)
    p.add_argument("--top", metavar="K", type=whole_number, default=10, help="suggestions (10)")
    p.set_defaults(handler=Handler("library", "cmd_evidence"))

    team = sub.add_parser(
        "team",
        help="share verdicts with a desk through a PostgreSQL server (works offline)",
        description="Share verdicts with your desk through a PostgreSQL server. The"
        " password is never stored in the database or shown: it comes from PGPASSWORD, the"
        " system keyring (team password) or ~/.pgpass.",
    )
    team_sub = team.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    p = team_sub.add_parser(
        "init",
        parents=[common],
        help="create or migrate the team archive on a server, with its roles (administrator)",
    )
    p.add_argument("dsn", metavar="DSN", help="e.g. 'host=db.example.org dbname=desk user=admin'")
    p.set_defaults(handler=Handler("team", "cmd_team_init"))
    p = team_sub.add_parser(
        "connect", parents=[common], help="connect this database to a team archive"
    )
    p.add_argument(
        "dsn", metavar="DSN", help="e.g. 'host=db.example.org dbname=desk user=ana' (no password)"
    )
    p.add_argument("--name", metavar="NAME", help="your name as the team sees it")
    p.set_defaults(handler=Handler("team", "cmd_team_connect"))
    p = team_sub.add_parser(
        "status",
        parents=[common, json_flag],
        help="what waits to be published, what was last received, whether the server answers",
    )
    p.add_argument("--offline", action="store_true", help="do not try the server")
    p.set_defaults(handler=Handler("team", "cmd_team_status"))
    p = team_sub.add_parser(
        "sync", parents=[common, json_flag], help="publish your verdicts, receive the team's"
    )
    p.add_argument(
        "--no-embed",
        action="store_true",
        help="skip computing embeddings of the received verdicts (`workbench embed` does it)",
    )
    p.set_defaults(handler=Handler("team", "cmd_team_sync"))
    p = team_sub.add_parser(
        "import",
        parents=[common],
        help="load an archive of past checks onto the team server (administrator)",
    )
    p.add_argument("file", metavar="FILE", help="JSON Lines, CSV or ClaimReview JSON")
    p.add_argument("--source", metavar="NAME", help="collection name (default: file name)")
    p.add_argument(
        "--dsn",
        metavar="DSN",
        help="the administrator's connection (default: this database's team connection)",
    )
    p.add_argument(
        "--embed",
        action="store_true",
        help="store each past check's embedding too, for semantic scoring (slower)",
    )
    p.set_defaults(handler=Handler("team", "cmd_team_import"))
    p = team_sub.add_parser(
        "password",
        parents=[common],
        help="keep your team password in the system keyring (asked without echo)",
    )
    p.add_argument("--stdin", action="store_true", help="read it from standard input")
    p.set_defaults(handler=Handler("team", "cmd_team_password"))
    p = team_sub.add_parser(
        "disconnect",
        parents=[common],
        help="stop sharing with the team (received verdicts stay; the saved password goes)",
    )
    p.add_argument(
        "--force", action="store_true", help="even with verdict changes not yet published"
    )
    p.set_defaults(handler=Handler("team", "cmd_team_disconnect"))

    vault = sub.add_parser("vault", help="the evidence vault beside the database")
    vault_sub = vault.add_subparsers(dest="vault_command", metavar="ACTION", required=True)
    p = vault_sub.add_parser("prune", parents=[common], help="delete files no evidence uses")
    p.set_defaults(handler=Handler("database", "cmd_vault_prune"))

    return parser
