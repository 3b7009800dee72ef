"""The archive of past fact-checks: ``import``, ``embed``, ``match`` and ``archive``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from workbench.cli.common import (
    EXIT_OK,
    CliError,
    ProgressBar,
    dump,
    engine_of,
    open_store,
    read_id_text_lines,
    short,
    tell,
)
from workbench.models import Match
from workbench.textsafety import http_url

if TYPE_CHECKING:
    from workbench.store import Store

log = logging.getLogger("workbench.cli")


def cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.archive import import_archive

    with open_store(args) as store:
        report = import_archive(store, args.file, source=args.source)
        embedded = None if args.no_embed else _finish_embeddings(store)
    if args.json:
        dump(
            {
                "source": report.source,
                "format": report.format,
                "read": report.read,
                "added": report.added,
                "updated": report.updated,
                "duplicates": report.duplicates,
                "malformed": [{report.unit: n, "reason": why} for n, why in report.skipped],
                "embedded": embedded,
            },
            out,
        )
    else:
        out.write(report.summary() + "\n")
    return EXIT_OK


def cmd_embed(args: argparse.Namespace, out: TextIO) -> int:
    with open_store(args, must_exist=True) as store:
        embedded = _finish_embeddings(store)
        status = engine_of(args).semantic_status(store)
    if embedded is None:
        raise CliError(status.message)
    out.write(f"{status.embedded:,} of {status.total:,} past checks have embeddings\n")
    return EXIT_OK


def _finish_embeddings(store: Store) -> int | None:
    """Embed the past checks that have no embedding yet, with a progress bar on a terminal.

    Returns how many were embedded, or None when the sentence encoder is unavailable
    (matching then stays lexical, and a note says so). Interrupted, the vectors stored
    so far stay and ``workbench embed`` finishes the rest.
    """
    from workbench.nlp.encoder import ModelLoadError, SentenceEncoder
    from workbench.semantic import embed_archive

    try:
        # Every core: unlike the app, the command line has no window to keep responsive.
        encoder = SentenceEncoder(threads=min(os.cpu_count() or 1, 4))
    except ModelLoadError as exc:
        tell("note", f"{exc}; matching stays lexical")
        return None
    bar = ProgressBar("embedding past checks", sys.stderr)
    try:
        report = embed_archive(store, encoder, progress=bar)
    except KeyboardInterrupt:
        bar.close()
        tell("note", "embedding interrupted; what is done is kept, `workbench embed` finishes it")
        raise
    bar.close()
    if report.embedded:
        log.info("embedded %d past checks at %.0f per second", report.embedded, report.rate)
    return report.embedded


MATCH_SLICE = 256
"""Queries of ``match --queries`` matched at a time, their lines written before the next
slice is matched: matching holds each query's candidates until it returns (about 95 KB
a query), and 20,000 queries took 2.0 GB and printed nothing until the end."""


def cmd_match(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.matching import match_claims

    if (args.text is None) == (args.queries is None):
        raise CliError("give either a claim TEXT or --queries FILE.jsonl")
    if args.top < 1:
        raise CliError("--top must be at least 1")
    queries = read_id_text_lines(args.queries) if args.queries else [(None, args.text)]
    with open_store(args, must_exist=True) as store:
        if not args.team:
            _note_lexical_matching(args, store)
        for start in range(0, len(queries), MATCH_SLICE):
            part = queries[start : start + MATCH_SLICE]
            texts = [text for _, text in part]
            if args.team:
                results = _match_on_team_server(args, store, texts)
            else:
                results = match_claims(
                    store,
                    texts,
                    top_k=args.top,
                    source=args.source,
                    prefer_recent=args.prefer_recent,
                    engine=engine_of(args),
                )
            for (query_id, text), matches in zip(part, results, strict=True):
                _write_matches(args, out, query_id, text, matches)
            out.flush()
    return EXIT_OK


def _write_matches(
    args: argparse.Namespace, out: TextIO, query_id: Any, text: str, matches: list[Match]
) -> None:
    """One query's matches: a JSON line, or for people its ranked past claims."""
    if args.json:
        line = {
            "query_id": query_id,
            "matches": [_match_json(m, explain=args.explain) for m in matches],
        }
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return
    if args.queries:
        out.write(f"{query_id}: {short(text, 80)}\n")
    if not matches:
        out.write("  no similar past claims\n")
    for rank, m in enumerate(matches, start=1):
        past = m.archive
        details = "  ".join(d for d in (past.verdict, past.date[:10], past.source) if d)
        out.write(f"  {rank}. {m.score:.2f} {m.strength.value:<8} {details}\n")
        out.write(f"     {short(past.text, 86)}\n")
        if m.shared:
            out.write(f"     shared: {', '.join(s.text for s in m.shared[:12])}\n")
        if m.conflicts:
            out.write(f"     differs: {'; '.join(c.description for c in m.conflicts)}\n")
        if link := http_url(past.url):  # an imported javascript: address is no link
            out.write(f"     {link}\n")


def _match_on_team_server(
    args: argparse.Namespace, store: Store, texts: list[str]
) -> list[list[Match]]:
    """``match --team``: search the team archive on the server (no local archive read)."""
    from workbench.team import team_link
    from workbench.team.search import search_team

    return search_team(
        team_link(store),
        texts,
        top_k=args.top,
        source=args.source,
        prefer_recent=args.prefer_recent,
        encoder=engine_of(args).encoder(),
    )


def _note_lexical_matching(args: argparse.Namespace, store: Store) -> None:
    """Say on stderr when matching cannot be fully semantic, and why."""
    status = engine_of(args).semantic_status(store)
    if status.total and not status.complete:
        hint = " (run `workbench embed`)" if status.available or status.embedded == 0 else ""
        tell("note", status.message + hint)


def _match_json(match: Match, *, explain: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": match.archive.external_id,
        "score": round(match.score, 4),
        "text": match.archive.text,
        "verdict": match.archive.verdict,
    }
    if explain:
        past = match.archive
        data |= {
            "strength": match.strength.value,
            "source": past.source,
            "title": past.title,
            "url": past.url,
            "date": past.date,
            "speaker": past.speaker,
            "shared": [
                {
                    "text": s.text,
                    "kind": s.kind,
                    "query_spans": s.query_spans,
                    "archive_spans": s.archive_spans,
                }
                for s in match.shared
            ],
            "conflicts": [c.description for c in match.conflicts],
            "signals": dict(match.signals),
        }
    return data


def cmd_archive(args: argparse.Namespace, out: TextIO) -> int:
    with open_store(args, must_exist=True) as store:
        if args.search is None:
            sources = store.archive_sources()
            if args.json:
                dump(
                    [
                        {"source": s.name, "claims": s.count, "last_imported": s.last_imported}
                        for s in sources
                    ],
                    out,
                )
            elif not sources:
                out.write("The archive is empty. Add past checks with: workbench import FILE\n")
            else:
                for s in sources:
                    out.write(f"{s.count:>10,}  {s.last_imported[:10]}  {s.name}\n")
                status = engine_of(args).semantic_status(store)
                out.write(f"semantic matching: {status.message}\n")
            return EXIT_OK
        found = store.archive_search(args.search, limit=args.limit, source=args.source)
    if args.json:
        dump(
            [
                {
                    "id": c.external_id,
                    "source": c.source,
                    "text": c.text,
                    "title": c.title,
                    "verdict": c.verdict,
                    "url": c.url,
                    "date": c.date,
                    "speaker": c.speaker,
                }
                for c in found
            ],
            out,
        )
        return EXIT_OK
    for c in found:
        details = "  ".join(d for d in (c.verdict, c.date[:10], c.source) if d)
        out.write(f"{details}\n    {short(c.text, 86)}\n")
    if not found:
        out.write("no past claims found\n")
    return EXIT_OK
