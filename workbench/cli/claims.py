"""Claims: ``claim set`` records a verdict, ``claim add`` and ``claim remove`` correct the detector.

Each runs the same :mod:`workbench.operations` as the desktop app.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from workbench.cli.common import EXIT_OK, CliError, dump, open_store, short
from workbench.errors import ValidationError
from workbench.priority import PriorityThresholds
from workbench.shapes import claim_data


def cmd_claim_set(args: argparse.Namespace, out: TextIO) -> int:
    evidence = [(url, title) for url, title in (args.evidence or [])]
    files = list(args.evidence_file or [])
    nothing = args.status is None and args.note is None and args.claimant is None
    if nothing and args.priority is None and not evidence and not files:
        raise CliError(
            "nothing to change: give --status, --note, --claimant, --priority, --evidence or"
            " --evidence-file"
        )
    if args.quote and len(files) != 1:
        raise CliError("--quote needs exactly one --evidence-file: the document it quotes")
    from workbench import operations

    with open_store(args, must_exist=True) as store:
        # Documents are read before the transaction: a large one takes seconds, and the
        # write lock would be held meanwhile (other commands and the app would wait).
        read = [
            operations.read_file_evidence(store.path, path, quote=args.quote or "")
            for path in files
        ]
        with store.transaction():  # all of it, or none of it
            for path, found in zip(files, read, strict=True):
                operations.add_file_evidence(args.claim_id, path, read=found)(store)
            if args.priority is not None:
                chosen = "" if args.priority == "auto" else args.priority
                operations.set_priority(args.claim_id, chosen)(store)
            change = operations.record_verdict(
                args.claim_id,
                status=args.status,
                note=args.note,
                claimant=args.claimant,
                evidence=evidence,
            )(store)
        claim = change.claim
        assert claim is not None  # a verdict never removes its claim
        priorities = PriorityThresholds.load(store, claim.article_id)
    if args.json:
        dump(claim_data(claim, priorities.of(claim)), out)
    else:
        count = len(claim.evidence)
        extra = f", {count} piece{'s' if count != 1 else ''} of evidence" if count else ""
        out.write(f"claim {claim.id}: {claim.status.value}{extra}\n")
    return EXIT_OK


def cmd_claim_add(args: argparse.Namespace, out: TextIO) -> int:
    from workbench import operations

    with open_store(args, must_exist=True) as store:
        change = operations.run(store, operations.add_claim(args.article_id, args.start, args.end))
        claim = change.claim
        assert claim is not None  # just added
        priorities = PriorityThresholds.load(store, claim.article_id)
    if args.json:
        dump(claim_data(claim, priorities.of(claim)), out)
    else:
        out.write(f"added claim {claim.id}: {short(claim.text)}\n")
    return EXIT_OK


def cmd_claim_remove(args: argparse.Namespace, out: TextIO) -> int:
    from workbench import operations

    with open_store(args, must_exist=True) as store:
        text = store.claim(args.claim_id).text
        operations.run(store, operations.remove_claim(args.claim_id))
    out.write(f"removed claim {args.claim_id}: {short(text)}\n")
    return EXIT_OK


def cmd_claim_tag(args: argparse.Namespace, out: TextIO) -> int:
    from workbench import operations

    if not args.add and not args.remove:
        raise ValidationError("nothing to change: give --add TAG or --remove TAG")
    with open_store(args, must_exist=True) as store:
        operations.run(
            store, operations.tag_claims(args.claim_ids, add=args.add, remove=args.remove)
        )
        claims = [store.claim(claim_id) for claim_id in args.claim_ids]
    for claim in claims:
        out.write(f"claim {claim.id} tags: {', '.join(claim.tags) or '(none)'}\n")
    return EXIT_OK
