"""The ``workbench`` command line: a second client of the core, for scripts and desks.

Known problems print ``workbench: error: <one line>`` on stderr and exit with 2,
leaving the database as it was. Nothing here imports Qt: ``workbench gui`` finds the
desktop app through the ``workbench.frontends`` entry point.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TextIO

from workbench import __version__
from workbench.errors import WorkbenchError
from workbench.models import Article, Claim, Status
from workbench.store import Store, default_db_path

log = logging.getLogger("workbench.cli")

EXIT_OK = 0
EXIT_ERROR = 2
DEBUG_ENV_VAR = "WORKBENCH_DEBUG"


class CliError(WorkbenchError):
    """A usage problem found after parsing (e.g. ``--evidence-title`` with no URL)."""


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


# -- output helpers -------------------------------------------------------------------


def _article_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "source": article.source,
        "author": article.author,
        "published": article.published,
        "text": article.text,
    }


def _claim_json(claim: Claim, *, full: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": claim.id,
        "text": claim.text,
        "start": claim.start,
        "end": claim.end,
        "score": round(claim.score, 4),
        "reasons": list(claim.reasons),
        "status": claim.status.value,
    }
    if full:
        data |= {
            "note": claim.note,
            "claimant": claim.claimant,
            "origin": claim.origin.value,
            "created_at": claim.created_at,
            "updated_at": claim.updated_at,
            "evidence": [
                {"id": e.id, "url": e.url, "title": e.title, "note": e.note, "added_at": e.added_at}
                for e in claim.evidence
            ],
        }
    return data


def _dump(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _short(text: str, width: int = 90) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" …")


def _print_claims(claims: Sequence[Claim], out: TextIO) -> None:
    for claim in claims:
        line = f"  [{claim.id}] {claim.status.value:<12} {claim.score:.2f}  {_short(claim.text)}"
        out.write(line + "\n")
        if claim.reasons:
            out.write(f"        {', '.join(claim.reasons)}\n")


# -- commands ---------------------------------------------------------------------------


def _open_store(args: argparse.Namespace) -> Store:
    path = Path(args.db) if args.db else default_db_path()
    return Store(path)


def cmd_analyze(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.analysis import analyze_article
    from workbench.ingest import read_path

    draft = read_path(args.file)
    with _open_store(args) as store:
        result = analyze_article(store, draft)
    if args.json:
        _dump(
            {
                "article": _article_json(result.article),
                "claims": [_claim_json(c) for c in result.claims],
            },
            out,
        )
        return EXIT_OK
    article = result.article
    state = "stored as" if result.created else "already stored as"
    out.write(f"{article.title or '(untitled)'}\n  {state} article {article.id}")
    details = [d for d in (article.source, article.author, article.published) if d]
    out.write(f" ({', '.join(details)})\n" if details else "\n")
    words = len(article.text.split())
    out.write(f"{len(result.claims)} check-worthy claims in {words} words:\n")
    _print_claims(result.claims, out)
    return EXIT_OK


def cmd_articles(args: argparse.Namespace, out: TextIO) -> int:
    with _open_store(args) as store:
        rows = store.articles(search=args.search or "")
    if args.json:
        _dump(
            [
                {
                    "id": r.id,
                    "title": r.title,
                    "source": r.source,
                    "published": r.published,
                    "imported_at": r.imported_at,
                    "claims": r.claim_count,
                    "checked": r.checked_count,
                }
                for r in rows
            ],
            out,
        )
        return EXIT_OK
    if not rows:
        out.write("No articles yet. Add one with: workbench analyze FILE\n")
        return EXIT_OK
    for r in rows:
        when = (r.published or r.imported_at)[:10]
        progress = f"{r.checked_count}/{r.claim_count} checked"
        out.write(f"{r.id:>5}  {when}  {progress:<16} {_short(r.title or '(untitled)', 70)}\n")
    return EXIT_OK


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    with _open_store(args) as store:
        article = store.article(args.article_id)
        claims = store.claims(article.id)
    if args.json:
        data = _article_json(article) | {
            "url": article.url,
            "imported_at": article.imported_at,
            "origin": article.origin,
        }
        _dump({"article": data, "claims": [_claim_json(c, full=True) for c in claims]}, out)
        return EXIT_OK
    out.write(f"{article.title or '(untitled)'}  [article {article.id}]\n")
    for label, value in (
        ("source", article.source),
        ("author", article.author),
        ("published", article.published),
        ("url", article.url),
    ):
        if value:
            out.write(f"  {label}: {value}\n")
    checked = sum(c.status is not Status.UNCHECKED for c in claims)
    out.write(f"{checked}/{len(claims)} claims checked\n")
    for claim in claims:
        out.write(f"\n[{claim.id}] {claim.status.value.upper()}  (score {claim.score:.2f})\n")
        out.write(textwrap.indent(textwrap.fill(claim.text, 88), "    ") + "\n")
        if claim.claimant:
            out.write(f"    claimant: {claim.claimant}\n")
        if claim.note:
            out.write(f"    note: {claim.note}\n")
        for item in claim.evidence:
            title = f"{item.title} " if item.title else ""
            out.write(f"    evidence: {title}<{item.url}>\n")
    return EXIT_OK


def cmd_claim_set(args: argparse.Namespace, out: TextIO) -> int:
    evidence = [(url, title) for url, title in (args.evidence or [])]
    if args.status is None and args.note is None and args.claimant is None and not evidence:
        raise CliError("nothing to change: give --status, --note, --claimant or --evidence")
    with _open_store(args) as store:
        claim = store.update_claim(
            args.claim_id,
            status=args.status,
            note=args.note,
            claimant=args.claimant,
            evidence=evidence,
        )
    if args.json:
        _dump(_claim_json(claim, full=True), out)
    else:
        extra = f", {len(claim.evidence)} evidence links" if claim.evidence else ""
        out.write(f"claim {claim.id}: {claim.status.value}{extra}\n")
    return EXIT_OK


def cmd_claim_add(args: argparse.Namespace, out: TextIO) -> int:
    with _open_store(args) as store:
        claim = store.add_claim(args.article_id, args.start, args.end)
    if args.json:
        _dump(_claim_json(claim, full=True), out)
    else:
        out.write(f"added claim {claim.id}: {_short(claim.text)}\n")
    return EXIT_OK


def cmd_claim_remove(args: argparse.Namespace, out: TextIO) -> int:
    with _open_store(args) as store:
        claim = store.remove_claim(args.claim_id)
    out.write(f"removed claim {claim.id}: {_short(claim.text)}\n")
    return EXIT_OK


def cmd_gui(args: argparse.Namespace, out: TextIO) -> int:
    frontends = {ep.name: ep for ep in entry_points(group="workbench.frontends")}
    if "gui" not in frontends:
        raise CliError("the desktop app is not installed (reinstall with: pip install -e .)")
    try:
        run: Callable[[Sequence[str], Path | None], int] = frontends["gui"].load()
    except ImportError as exc:
        raise CliError(f"the desktop app cannot start: {exc}") from exc
    return run(list(args.files), Path(args.db) if args.db else None)


# -- parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=f"the database file (default: ${'{'}WORKBENCH_DB{'}'} or {default_db_path()})",
    )
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print JSON instead of text")

    parser = argparse.ArgumentParser(
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
    p.set_defaults(handler=cmd_analyze)

    p = sub.add_parser("articles", parents=[common, json_flag], help="list the stored articles")
    p.add_argument("--search", metavar="TEXT", help="only articles whose title or text has TEXT")
    p.set_defaults(handler=cmd_articles)

    p = sub.add_parser(
        "show", parents=[common, json_flag], help="one article with its claims and verdicts"
    )
    p.add_argument("article_id", metavar="ARTICLE_ID", type=int)
    p.set_defaults(handler=cmd_show)

    claim = sub.add_parser("claim", help="record verdicts and correct the detector")
    claim_sub = claim.add_subparsers(dest="claim_command", metavar="ACTION", required=True)
    p = claim_sub.add_parser(
        "set", parents=[common, json_flag], help="record a claim's status, note and evidence"
    )
    p.add_argument("claim_id", metavar="CLAIM_ID", type=int)
    p.add_argument("--status", choices=[s.value for s in Status])
    p.add_argument("--note", metavar="TEXT")
    p.add_argument("--claimant", metavar="NAME", help="who made the claim")
    p.add_argument(
        "--evidence", metavar="URL", action=_EvidenceAction, help="an http(s) evidence link"
    )
    p.add_argument(
        "--evidence-title",
        metavar="TITLE",
        action=_EvidenceAction,
        help="title of the --evidence link just before it",
    )
    p.set_defaults(handler=cmd_claim_set)

    p = claim_sub.add_parser(
        "add", parents=[common, json_flag], help="add a claim from character offsets"
    )
    p.add_argument("article_id", metavar="ARTICLE_ID", type=int)
    p.add_argument("start", metavar="START", type=int)
    p.add_argument("end", metavar="END", type=int)
    p.set_defaults(handler=cmd_claim_add)

    p = claim_sub.add_parser("remove", parents=[common], help="remove a wrongly detected claim")
    p.add_argument("claim_id", metavar="CLAIM_ID", type=int)
    p.set_defaults(handler=cmd_claim_remove)

    p = sub.add_parser("gui", parents=[common], help="open the desktop app")
    p.add_argument("files", metavar="FILE", nargs="*", help="articles to open")
    p.set_defaults(handler=cmd_gui)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit code (0 on success, 2 on a known problem)."""
    logging.basicConfig(
        level=logging.DEBUG if os.environ.get(DEBUG_ENV_VAR) else logging.WARNING,
        format="%(name)s: %(message)s",
    )
    parser = build_parser()
    args = parser.parse_args(argv)
    args.db = getattr(args, "db", None)
    stream = out or sys.stdout
    try:
        code: int = args.handler(args, stream)
        return code
    except WorkbenchError as exc:
        sys.stderr.write(f"workbench: error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("workbench: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error.
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        if os.environ.get(DEBUG_ENV_VAR):
            raise
        sys.stderr.write(
            f"workbench: error: unexpected {type(exc).__name__}: {exc} "
            f"(this is a bug; set {DEBUG_ENV_VAR}=1 for details)\n"
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
