"""Articles: ``analyze``, ``articles``, ``show``, and ``score`` for sentences outside them."""

from __future__ import annotations

import argparse
import json
import textwrap
from collections.abc import Sequence
from typing import TextIO

from workbench.cli.common import (
    EXIT_OK,
    dump,
    engine_of,
    open_store,
    read_id_text_lines,
    short,
    tell,
)
from workbench.models import Claim, ClaimOrigin, Evidence, Status
from workbench.priority import PriorityThresholds
from workbench.shapes import article_data, claim_data
from workbench.textsafety import clipped, for_terminal, one_line, shown_url


def cmd_analyze(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.analysis import analyze_article
    from workbench.ingest import read_path

    draft = read_path(args.file)
    for warning in draft.warnings:  # the article is still analysed; the user checks it
        tell("warning", warning)
    with open_store(args) as store:
        result = analyze_article(store, draft, engine=engine_of(args))
        priorities = PriorityThresholds.load(store).for_article(result.claims)
    if args.json:
        dump(
            {
                "article": article_data(result.article),
                "claims": [claim_data(c, priorities.of(c), brief=True) for c in result.claims],
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
    if not result.claims:
        out.write(f"no check-worthy claims in {words:,} words\n")
        return EXIT_OK
    noun = "claim" if len(result.claims) == 1 else "claims"
    out.write(f"{len(result.claims)} check-worthy {noun} in {words:,} words:\n")
    _print_claims(result.claims, priorities, out)
    return EXIT_OK


def _print_claims(claims: Sequence[Claim], priorities: PriorityThresholds, out: TextIO) -> None:
    for claim in claims:
        priority = priorities.of(claim).value
        line = (
            f"  [{claim.id}] {claim.status.value:<12} {priority:<6} {claim.score:.2f}"
            f"  {short(claim.text, 84)}"
        )
        out.write(line + "\n")
        if claim.reasons:
            out.write(f"        {', '.join(claim.reasons)}\n")


def cmd_articles(args: argparse.Namespace, out: TextIO) -> int:
    with open_store(args, must_exist=True) as store:
        priorities = PriorityThresholds.load(store)
        rows = store.articles(
            search=args.search or "",
            archived=args.archived,
            tag=args.tag,
            state=args.state,
            priorities=priorities,
        )
    if args.json:
        dump(
            [
                {
                    "id": r.id,
                    "title": r.title,
                    "source": r.source,
                    "published": r.published,
                    "imported_at": r.imported_at,
                    "claims": r.claim_count,
                    "checked": r.checked_count,
                    "tags": list(r.tags),
                }
                for r in rows
            ],
            out,
        )
        return EXIT_OK
    if not rows:
        if args.search or args.tag or args.state:
            out.write("No article matches.\n")
        elif args.archived:
            out.write("No archived articles.\n")
        else:
            out.write("No articles yet. Add one with: workbench analyze FILE\n")
        return EXIT_OK
    for r in rows:
        when = (r.published or r.imported_at)[:10]
        progress = f"{r.checked_count}/{r.claim_count} checked"
        out.write(f"{r.id:>5}  {when}  {progress:<16} {short(r.title or '(untitled)', 70)}\n")
    return EXIT_OK


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    with open_store(args, must_exist=True) as store:
        article = store.article(args.article_id)
        claims = store.claims(article.id)
        priorities = PriorityThresholds.load(store).for_article(claims)
    if args.json:
        dump(
            {
                "article": article_data(article),
                "claims": [claim_data(c, priorities.of(c)) for c in claims],
            },
            out,
        )
        return EXIT_OK
    # One line per field: a line break in a value (a claimant or title edited by hand, a
    # team's or an archive's text) cannot make a line that looks like another claim's.
    out.write(f"{one_line(article.title) or '(untitled)'}  [article {article.id}]\n")
    for label, value in (
        ("source", article.source),
        ("author", article.author),
        ("published", article.published),
        ("url", article.url),
        ("tags", ", ".join(article.tags)),
    ):
        if value:
            out.write(f"  {label}: {one_line(value)}\n")
    checked = sum(c.status is not Status.UNCHECKED for c in claims)
    out.write(f"{checked}/{len(claims)} claims checked\n")
    for claim in claims:
        priority = priorities.of(claim)
        label = priority.label.lower() + (", yours" if claim.chosen_priority else "")
        score = "" if claim.origin is ClaimOrigin.USER else f", score {claim.score:.2f}"
        out.write(f"\n[{claim.id}] {claim.status.value.upper()}  ({label}{score})\n")
        out.write(textwrap.indent(textwrap.fill(claim.text, 88), "    ") + "\n")
        if claim.claimant:
            out.write(f"    claimant: {one_line(claim.claimant)}\n")
        if claim.tags:
            out.write(f"    tags: {one_line(', '.join(claim.tags))}\n")
        if claim.note:  # its own lines, indented under it
            lines = for_terminal(claim.note).strip().split("\n")
            out.write("    note: " + "\n          ".join(lines) + "\n")
        for item in claim.evidence:
            out.write(f"    evidence: {_evidence_line(item)}\n")
            if item.quote is not None:
                page = f" (page {item.quote.page})" if item.quote.page else ""
                quoted = clipped(one_line(item.quote.text), MAX_SHOWN_QUOTE)
                out.write(f"      quote: “{quoted}”{page}\n")
    return EXIT_OK


MAX_SHOWN_QUOTE = 300
"""The most characters of a quote ``show`` prints (``--json`` has it whole)."""


def _evidence_line(item: Evidence) -> str:
    """A link as ``TITLE <URL>`` (a look-alike host followed by the host it opens, as the
    app shows it); a vaulted file by its name and hash, with the address it came from if
    it has one (it was printed as ``TITLE <>``). One line each."""
    title = f"{one_line(item.title)} " if item.title else ""
    if item.file is None:
        return f"{title}<{one_line(shown_url(item.url))}>"
    url = f" <{one_line(shown_url(item.url))}>" if item.url else ""
    name = one_line(item.file.original_name)
    return f"{title}[file {name}, SHA-256 {item.file.sha256[:12]}…]{url}"


def cmd_score(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.nlp import claim_detector, score_sentences

    sentences = read_id_text_lines(args.sentences, "sentences")
    engine = engine_of(args)
    nlp = engine.pipeline()
    status = engine.model_status()
    if not status.available:
        tell("note", status.message)
    threshold = claim_detector(nlp).threshold
    scores = score_sentences([text for _, text in sentences], nlp=nlp)
    for (sentence_id, text), (score, _) in zip(sentences, scores, strict=True):
        worthy = score >= threshold
        if args.json:
            row = {"id": sentence_id, "score": round(score, 4), "checkworthy": worthy}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            mark = "claim" if worthy else "-"
            out.write(f"{sentence_id}\t{score:.2f}\t{mark}\t{short(text)}\n")
    return EXIT_OK
