"""``workbench article``: an article's header, archiving and deleting."""

from __future__ import annotations

import argparse
from typing import TextIO

from workbench.cli.common import EXIT_OK, dump, open_store, short
from workbench.errors import ValidationError
from workbench.shapes import article_data

HEADER_OPTIONS = {
    "title": "title",
    "outlet": "source",
    "byline": "author",
    "url": "url",
    "date": "published",
}
"""``workbench article edit`` option → the article field it sets."""


def cmd_article_edit(args: argparse.Namespace, out: TextIO) -> int:
    from workbench import operations

    fields = {
        field: getattr(args, option)
        for option, field in HEADER_OPTIONS.items()
        if getattr(args, option) is not None
    }
    if not fields:
        raise ValidationError(
            "nothing to change: give --title, --outlet, --byline, --url or --date"
        )
    with open_store(args, must_exist=True) as store:
        change = operations.run(store, operations.edit_article(args.article_id, **fields))
    assert change.article is not None
    if args.json:
        dump(article_data(change.article), out)
    else:
        out.write(
            f"updated article {args.article_id}: {short(change.article.title or '(untitled)')}\n"
        )
    return EXIT_OK


def cmd_article_archive(args: argparse.Namespace, out: TextIO) -> int:
    from workbench import operations

    archived = not args.restore
    with open_store(args, must_exist=True) as store:
        change = operations.run(store, operations.archive_article(args.article_id, archived))
    assert change.article is not None
    title = short(change.article.title or "(untitled)")
    where = "archived" if archived else "back in the library"
    out.write(f"article {args.article_id} {where}: {title}\n")
    return EXIT_OK


def cmd_article_delete(args: argparse.Namespace, out: TextIO) -> int:
    from workbench import operations

    with open_store(args, must_exist=True) as store:
        article = store.article(args.article_id)
        count = len(store.claims(article.id))
        claims = f"{count} claim{'' if count == 1 else 's'}"
        if not args.yes:
            raise ValidationError(
                f"deleting article {article.id} and its {claims} cannot be undone"
                " from the command line: add --yes (or archive it: workbench article archive)"
            )
        operations.run(store, operations.delete_article(article.id))
    out.write(f"deleted article {article.id} and its {claims}: {short(article.title)}\n")
    return EXIT_OK


def cmd_article_tag(args: argparse.Namespace, out: TextIO) -> int:
    from workbench import operations

    with open_store(args, must_exist=True) as store:
        article = store.article(args.article_id)
        keep = [t for t in article.tags if t.casefold() not in {r.casefold() for r in args.remove}]
        change = operations.run(store, operations.set_article_tags(article.id, [*keep, *args.add]))
    assert change.article is not None
    tags = ", ".join(change.article.tags) or "(none)"
    out.write(f"article {article.id} tags: {tags}\n")
    return EXIT_OK
