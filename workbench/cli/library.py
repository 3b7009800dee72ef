"""The evidence library: ``library add|list|remove|index``, and ``evidence`` for a claim."""

from __future__ import annotations

import argparse
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
    short,
    tell,
)
from workbench.textsafety import one_line

if TYPE_CHECKING:
    from workbench.evidence_library import EvidenceSuggestion, LibraryIndexReport
    from workbench.nlp.encoder import SentenceEncoder
    from workbench.store import Store

EMPTY = "the evidence library is empty: add a folder with `workbench library add FOLDER`"
SHOWN_ERRORS = 10
"""Unreadable files named after an indexing run; ``library list`` names them all."""


def cmd_library_add(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.evidence_library import add_folder

    with open_store(args) as store:
        folder, replaced = add_folder(store, args.folder)
        out.write(f"added {one_line(folder.path)} to the evidence library\n")
        for path in replaced:
            out.write(f"  it takes the place of {one_line(path)}, which is inside it\n")
        if not args.no_index:
            report = _index(args, store)
            out.write(report.summary() + "\n")
    return EXIT_OK


def cmd_library_list(args: argparse.Namespace, out: TextIO) -> int:
    with open_store(args, must_exist=True) as store:
        folders = store.library_folders()
        unreadable = [d for d in store.library_documents() if d.error]
    if args.json:
        dump(
            [
                {
                    "path": f.path,
                    "added_at": f.added_at,
                    "indexed_at": f.indexed_at,
                    "documents": f.documents,
                    "passages": f.passages,
                    "embedded": f.embedded,
                    "unreadable": [
                        {"path": d.path, "error": d.error}
                        for d in unreadable
                        if d.folder_id == f.id
                    ],
                }
                for f in folders
            ],
            out,
        )
        return EXIT_OK
    if not folders:
        out.write(f"{EMPTY[0].upper()}{EMPTY[1:]}.\n")
        return EXIT_OK
    for f in folders:
        when = "not indexed yet"
        if f.indexed_at:
            when = f"indexed {f.indexed_at[:16].replace('T', ' ')}"
        bad = f", {f.errors:,} unreadable" if f.errors else ""
        out.write(
            f"{one_line(f.path)}\n  {f.documents:,} documents{bad}, {f.passages:,} passages"
            f" ({f.embedded:,} embedded); {when}\n"
        )
        for d in unreadable:
            if d.folder_id == f.id:
                out.write(f"  cannot read {one_line(d.path)}: {one_line(d.error)}\n")
    return EXIT_OK


def cmd_library_remove(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.evidence_library import remove_folder

    with open_store(args, must_exist=True) as store:
        removed = remove_folder(store, args.folder)
    noun = "document" if removed == 1 else "documents"
    out.write(
        f"removed {one_line(args.folder)} from the evidence library ({removed:,} {noun} forgotten;"
        " the files themselves are untouched)\n"
    )
    return EXIT_OK


def cmd_library_index(args: argparse.Namespace, out: TextIO) -> int:
    with open_store(args, must_exist=True) as store:
        if not store.library_folders():
            raise CliError(EMPTY)
        report = _index(args, store)
    if args.json:
        dump(
            {
                "folders": report.folders,
                "documents": report.files,
                "read": report.read,
                "unchanged": report.unchanged,
                "unreadable": [{"path": p, "error": e} for p, e in report.errors],
                "removed": report.removed,
                "passages": report.passages,
                "embedded": report.embedded,
                "to_embed": report.to_embed,
                "problems": list(report.problems),
                "seconds": round(report.seconds, 2),
            },
            out,
        )
    else:
        out.write(report.summary() + "\n")
    return EXIT_OK


def _index(args: argparse.Namespace, store: Store) -> LibraryIndexReport:
    """Index the library with progress bars on a terminal; every core of the machine
    embeds (the command line has no window to keep responsive)."""
    from workbench.evidence_library import index_library

    encoder = _encoder()
    bars: dict[str, ProgressBar] = {}
    labels = {"reading": "reading documents", "embedding": "embedding passages"}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            for bar in bars.values():
                bar.close()
            bars[stage] = ProgressBar(labels.get(stage, stage), sys.stderr)
        bars[stage](done, total)

    try:
        report = index_library(
            store,
            engine=engine_of(args),
            encoder=encoder,
            embed=encoder is not None,
            progress=progress,
        )
    except KeyboardInterrupt:
        for bar in bars.values():
            bar.close()
        tell("note", "indexing stopped; what is done is kept, `workbench library index` goes on")
        raise
    for bar in bars.values():
        bar.close()
    for problem in report.problems:
        tell("warning", problem)
    for path, error in report.errors[:SHOWN_ERRORS]:
        tell("warning", f"cannot read {path}: {error}")
    if len(report.errors) > SHOWN_ERRORS:
        more = len(report.errors) - SHOWN_ERRORS
        tell("warning", f"and {more:,} more unreadable files (`workbench library list` names them)")
    return report


def _encoder() -> SentenceEncoder | None:
    from workbench.nlp.encoder import ModelLoadError, SentenceEncoder

    try:
        return SentenceEncoder(threads=min(os.cpu_count() or 1, 4))
    except ModelLoadError as exc:
        tell("note", f"{exc}; the library is searched by words alone")
        return None


def cmd_evidence(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.evidence_library import library_status, suggest_evidence

    if args.top < 1:
        raise CliError("--top must be at least 1")
    with open_store(args, must_exist=True) as store:
        claim = store.claim(args.claim_id)
        status = library_status(store)
        if status.empty:
            tell("note", EMPTY)
        elif status.passages and status.embedded < status.passages:
            tell("note", "some passages have no embedding yet: `workbench library index` adds them")
        found = suggest_evidence(store, claim.text, engine=engine_of(args), limit=args.top)
    if args.json:
        suggestions = [_suggestion_json(s) for s in found]
        dump({"claim": {"id": claim.id, "text": claim.text}, "suggestions": suggestions}, out)
        return EXIT_OK
    if not found and not status.empty:
        out.write("No passage of the evidence library matches this claim.\n")
    for n, s in enumerate(found, start=1):
        where = one_line(s.path) + (f", page {s.page}" if s.page else "")
        out.write(f"{n}. {s.score:.2f}  {short(s.title, 70)}  ({where})\n")
        out.write(f"   {short(s.text, 300)}\n")
        if s.shared:
            out.write(f"   shared: {short(', '.join(t.text for t in s.shared), 200)}\n")
        if s.conflicts:
            out.write(f"   ⚠ differs: {'; '.join(str(c) for c in s.conflicts)}\n")
    return EXIT_OK


def _suggestion_json(s: EvidenceSuggestion) -> dict[str, Any]:
    return {
        "document": {"path": s.path, "title": s.title, "sha256": s.document.sha256},
        "passage": {
            "id": s.passage.id,
            "text": s.text,
            "start": s.start,
            "end": s.end,
            "page": s.page,
        },
        "context": {"before": s.before, "after": s.after},
        "score": s.score,
        "cosine": s.cosine,
        "shared": [
            {
                "text": t.text,
                "kind": t.kind,
                "claim_spans": [list(x) for x in t.query_spans],
                "passage_spans": [list(x) for x in t.archive_spans],
            }
            for t in s.shared
        ],
        "conflicts": [
            {
                "kind": c.kind,
                "claim_value": c.query_value,
                "passage_value": c.archive_value,
                "claim_span": list(c.query_span),
                "passage_span": list(c.archive_span),
            }
            for c in s.conflicts
        ],
    }
