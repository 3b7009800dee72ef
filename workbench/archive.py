"""Reading archives of past fact-checks, and importing them into the store.

Four formats are read, each into :class:`~workbench.models.ArchiveRecord` values:

- **JSON Lines** (``.jsonl``, ``.ndjson``): one object per line with ``text``
  (required) and optionally ``id``, ``title``, ``verdict``, ``url``, ``date``,
  ``speaker``, ``source``. A line may also hold a schema.org ``ClaimReview`` or a
  Fact Check Tools API response.
- **CSV** (``.csv``, ``.tsv``): a header row with the same names, UTF-8 with or
  without a byte-order mark.
- **schema.org ClaimReview JSON-LD** (``.json``): a single object, an array, an
  ``@graph`` or a ``DataFeed`` whose ``dataFeedElement`` holds the reviews.
- **Google Fact Check Tools API responses** (``.json``): ``{"claims": [...],
  "nextPageToken": ...}`` as ``claims:search`` returns it, or several such pages in an
  array or one after the other (``cat page*.json``). Each claim gives one record per
  review in its ``claimReview`` list: the claim's ``text``, ``claimant`` and
  ``claimDate`` with the review's ``url`` (its id), ``title``, ``textualRating``,
  ``reviewDate`` and publisher (``languageCode`` is not kept).

JSON documents are told apart by their content, not their name. A rating given only as
a number on a scale becomes a verdict through
:func:`~workbench.past_checks.scale_verdict`; a review whose publisher has no name is
credited to the host of its URL (``politifact.com``).

A malformed record is skipped and reported with its line (or, in a ``.json``
document, its position; a Fact Check API claim counts as one record); a file that
cannot be read at all, or holds no valid record, raises
:class:`~workbench.errors.ImportFormatError`. This module parses;
:meth:`workbench.store.Store.import_archive_records` stores, in short transactions
(a few hundred records each) so that the user's edits are not held up meanwhile.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import logging
import math
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.dbfile import is_held_database_file
from workbench.errors import ImportFormatError
from workbench.files import open_regular_file
from workbench.ingest.normalize import fold_ligatures
from workbench.models import ArchiveRecord
from workbench.past_checks import (
    MAX_SOURCE_CHARS,
    collection_name,
    record_key,
    scale_verdict,
)
from workbench.store.batches import let_go
from workbench.textsafety import (
    browser_split,
    has_lone_surrogate,
    http_url,
    json_line_blocks,
    json_lines,
)

if TYPE_CHECKING:
    from workbench.store import Store

log = logging.getLogger("workbench.archive")

MAX_ARCHIVE_BYTES = 2 * 1024**3
"""Refuse files larger than this (2 GiB): an archive is text, not a disk image."""
MAX_TEXT_CHARS = 10_000
"""A past claim longer than this is not a claim; such a record is skipped."""
MAX_FIELD_CHARS = 100_000
"""A field longer than this is refused before it is cleaned up (a record with a 300 MB
field took gigabytes to skip), and its record skipped."""
MAX_JSON_VALUES = 5_000_000
"""The most values a JSON document may hold, counted as its ``{``, ``[`` and ``,`` (each
value but the first of an object or array follows a comma; one in a string counts too).
It is parsed whole, at 30 to 70 bytes of memory a value: a 150 MB file of empty objects
grew to 12 GB, and one of short strings (``["ab","ab",...]``) to 3.1 GB when only objects
and arrays were counted. Bigger archives come as JSON Lines, read a line at a time."""
MAX_LINE_VALUES = 100_000
"""The most values one line of JSON Lines may hold, counted as for :data:`MAX_JSON_VALUES`
(a record has a few dozen)."""
MAX_MALFORMED = 100_000
"""Past this many malformed records, nine in ten of all, a file is not an archive of
claims and reading stops: each is listed, and 37 million empty objects grew to gigabytes.
An archive with many rows of no text among its good ones still imports (review)."""
FIELDS = ("id", "text", "title", "verdict", "url", "date", "speaker", "source")
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".jsonlines"})
CSV_SUFFIXES = frozenset({".csv", ".tsv"})
TOO_DEEP = "nested too deeply"
INVALID_UNICODE = "holds text that is not valid Unicode (a lone surrogate)"
LONG_NUMBER = "holds a number too long to read"

ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``: called now and then during a long operation."""
CancelCheck = Callable[[], bool]
"""``cancel()``: returns True when the user asked to stop; the operation stops between batches."""


@dataclass(frozen=True, slots=True)
class ArchiveFile:
    """What :func:`read_archive` found in a file.

    ``skipped`` lists ``(position, reason)`` for each malformed record; the position
    is a line number for JSON Lines and CSV, a record number (``unit == "record"``)
    for a JSON document. In a Fact Check API response a record is a claim, counted
    across pages; in JSON Lines the reason names the claim of its line
    (``claim 2: no 'text'``). One claim may be skipped once for each bad review.
    """

    records: tuple[ArchiveRecord, ...]
    skipped: tuple[tuple[int, str], ...]
    format: str  # "jsonl", "csv", "claimreview" or "factcheck-api"
    unit: str = "line"
    repeated: int = 0  # records left out for a later one of the same id (``latest``)


@dataclass(frozen=True, slots=True)
class ArchiveImportReport:
    """What importing an archive file did.

    ``remaining`` counts the records a cancelled import did not reach (0 when it ran
    to the end); ``added``, ``updated`` and ``duplicates`` count the ones it did.
    """

    source: str
    format: str
    read: int
    added: int
    duplicates: int
    skipped: tuple[tuple[int, str], ...]
    unit: str = "line"
    remaining: int = 0
    updated: int = 0

    @property
    def cancelled(self) -> bool:
        return self.remaining > 0

    def summary(self, *, brief: bool = False) -> str:
        """``imported 12,830 claims into 'x' (3 duplicates, 2 malformed: lines 17, 93)``,
        with ``4 updated`` among the parts when stored records had changed; ``brief``
        leaves out which lines were malformed (for a status bar).

        A cancelled import says so, and that what it stored is kept:
        ``cancelled after importing 500 claims into 'x' (0 duplicates); 12,336 records
        were not imported``.
        """
        parts = [f"{self.duplicates:,} duplicate{'s' if self.duplicates != 1 else ''}"]
        if self.updated:
            parts.insert(0, f"{self.updated:,} updated")
        if self.skipped and brief:
            parts.append(f"{len(self.skipped):,} malformed")
        elif self.skipped:
            shown = ", ".join(str(n) for n, _ in self.skipped[:10])
            more = f" and {len(self.skipped) - 10:,} more" if len(self.skipped) > 10 else ""
            plural = "s" if len(self.skipped) != 1 else ""
            parts.append(f"{len(self.skipped):,} malformed: {self.unit}{plural} {shown}{more}")
        noun = "claim" if self.added == 1 else "claims"
        what = f"{self.added:,} {noun} into '{self.source}' ({', '.join(parts)})"
        if not self.cancelled:
            return f"imported {what}"
        were = "record was" if self.remaining == 1 else "records were"
        return f"cancelled after importing {what}; {self.remaining:,} {were} not imported"


def read_archive(
    path: str | Path,
    *,
    cancel: CancelCheck | None = None,
    latest: bool = False,
    pipes: bool = True,
) -> ArchiveFile:
    """Read an archive file of past fact-checks (JSON Lines, CSV, ClaimReview JSON-LD or
    Fact Check Tools API responses). ``cancel()`` is asked every
    :data:`CANCEL_EVERY` lines of JSON Lines and CSV (a million records take a minute to
    read): True stops the reading with :class:`ReadingCancelled`. With ``latest``, of
    the records of one id only the last is kept, in the place of the first (what the
    store keeps), and the others are counted in ``repeated``. With ``pipes`` (the
    command line: ``<(zcat x.gz)``) a pipe is read too; the app passes False, since
    opening a named pipe nothing writes to waits for ever, past any cancel.

    Raises:
        ImportFormatError: the file is missing, not text, not in a known format, or
            holds no valid record.
    """
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise ImportFormatError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(info.st_mode):
        raise ImportFormatError(f"{path} is a folder, not an archive file")
    if not (stat.S_ISREG(info.st_mode) or (pipes and stat.S_ISFIFO(info.st_mode))):
        # A device (/dev/zero, /dev/urandom) never ends; a pipe (<(zcat x.gz)) does.
        kind = "a named pipe" if stat.S_ISFIFO(info.st_mode) else "a device"
        raise ImportFormatError(f"{path} is {kind}, not an archive file")
    if is_held_database_file(info):
        raise ImportFormatError(f"{path} is the workbench's own database, not an archive")
    if info.st_size > MAX_ARCHIVE_BYTES:
        raise ImportFormatError(f"{path} is too large to be an archive ({info.st_size:,} bytes)")
    try:
        # Where a pipe is no archive, the file checked above is opened without waiting on
        # what it may have become since: a named pipe would wait for a writer for ever.
        with path.open("rb") if pipes else open_regular_file(path) as handle:
            raw = handle.read(MAX_ARCHIVE_BYTES + 1)
    except OSError as exc:
        raise ImportFormatError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_ARCHIVE_BYTES:
        raise ImportFormatError(f"{path} is too large to be an archive (over 2 GiB)")
    box = [_decoded(raw, path.name)]
    del raw  # not held while the text is parsed
    return _parse(box, name=path.name, suffix=path.suffix.lower(), cancel=cancel, latest=latest)


CANCEL_EVERY = 10_000
"""Lines read between two questions to ``cancel()``."""


class ReadingCancelled(Exception):
    """Reading an archive was cancelled (``cancel()`` said so); ``left``: lines not read."""

    def __init__(self, left: int) -> None:
        super().__init__(f"cancelled with {left:,} lines not read")
        self.left = left


def _decoded(raw: bytes, name: str) -> str:
    encoding = next((name for bom, name in _UNICODE_BOMS if raw.startswith(bom)), None)
    if encoding is None and b"\x00" in raw[:4096]:
        raise ImportFormatError(f"{name} is a binary file, not an archive of claims")
    try:
        return raw.decode(encoding or "utf-8-sig").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"{name} is not {(encoding or 'UTF-8').upper()} text (byte {exc.start:,}"
            " cannot be decoded); save it as UTF-8"
        ) from None


_UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
"""Byte-order marks of the Unicode encodings other than UTF-8 that an archive may come
in: "Unicode text" from a spreadsheet is UTF-16 with a BOM. Without a BOM, an archive
must be UTF-8: a guessed legacy encoding could store past checks with wrong letters."""


def parse_archive(
    text: str, *, name: str = "archive", suffix: str = "", cancel: CancelCheck | None = None
) -> ArchiveFile:
    """Parse the text of an archive file; ``suffix`` (``".csv"``...) picks the format.

    Without a known suffix the format is guessed from the first character. See
    :func:`read_archive` for ``cancel``.
    """
    return _parse([text], name=name, suffix=suffix, cancel=cancel)


def _parse(
    box: list[str], *, name: str, suffix: str, cancel: CancelCheck | None, latest: bool = False
) -> ArchiveFile:
    """:func:`parse_archive`'s work, taking the text out of ``box``: a file's text is let
    go once it is cut into blocks of lines (a million records' JSON Lines peaked at
    1.36 GB while the text, its lines and the records read were all held)."""
    text = box.pop().lstrip("\ufeff")
    if not text or text.isspace():  # strip() would copy the whole text
        raise ImportFormatError(f"{name} is empty")
    if suffix in JSONL_SUFFIXES:
        blocks = json_line_blocks(text)
        del text
        result = _parse_jsonl(blocks, name, cancel, latest=latest)
    elif suffix in CSV_SUFFIXES:
        delimiter = "\t" if suffix == ".tsv" else ","
        result = _parse_csv(text, name, delimiter=delimiter, cancel=cancel, latest=latest)
    elif _FIRST_CHARACTER.match(text)[1] in ("{", "["):  # type: ignore[index]
        result = _parse_json_document(text, name, latest=latest)
    elif suffix in ("", ".txt"):
        # A spreadsheet's "Unicode text" or "Text (tab-delimited)" export is a .txt of
        # tab-separated columns.
        header = text.lstrip().partition("\n")[0]
        tabbed = "\t" in header and "," not in header
        result = _parse_csv(
            text, name, delimiter="\t" if tabbed else ",", cancel=cancel, latest=latest
        )
    else:
        raise ImportFormatError(
            f"{name}: unknown archive format {suffix!r}"
            " (use .jsonl, .csv, or .json for ClaimReview or Fact Check API responses)"
        )
    if not result.records:
        reasons = "; ".join(f"{result.unit} {n}: {why}" for n, why in result.skipped[:3])
        raise ImportFormatError(
            f"{name} holds no valid claim record" + (f" ({reasons})" if reasons else "")
        )
    log.info(
        "%s: %d records (%s), %d malformed",
        name,
        len(result.records),
        result.format,
        len(result.skipped),
    )
    return result


# -- JSON Lines ---------------------------------------------------------------------------


_FIRST_CHARACTER = re.compile(r"\s*(\S)")
"""The first character that is not white space (the text is known not to be blank)."""


def _parse_jsonl(
    blocks: list[str], name: str, cancel: CancelCheck | None = None, *, latest: bool = False
) -> ArchiveFile:
    """The records of JSON Lines cut into ``blocks`` (:func:`json_line_blocks`)."""
    records = _Records(latest=latest)
    skipped: list[tuple[int, str]] = []
    parsed_any = False
    lines = _lines_of_blocks(blocks)
    for number, line in enumerate(lines, start=1):
        if cancel is not None and number % CANCEL_EVERY == 0 and cancel():
            raise ReadingCancelled(1 + sum(1 for _ in lines))
        if not line.strip():
            continue
        if _mostly_malformed(skipped, records):
            raise _too_malformed(name)
        if _json_value_count(line) > MAX_LINE_VALUES:
            skipped.append((number, f"holds over {MAX_LINE_VALUES:,} JSON values"))
            continue
        try:
            # A byte-order mark starts each file of "cat a.jsonl b.jsonl" saved with one.
            obj = json.loads(line.lstrip("\ufeff"))
        except json.JSONDecodeError:
            skipped.append((number, "not valid JSON"))
            continue
        except RecursionError:
            skipped.append((number, TOO_DEEP))
            continue
        except ValueError:  # an integer of more than 4,300 digits
            skipped.append((number, LONG_NUMBER))
            continue
        parsed_any = True
        if _is_api_page(obj):
            for index, claim in enumerate(obj["claims"], start=1):
                prefix = f"claim {index}: "
                _read_item(claim, number, records, skipped, api=True, prefix=prefix)
        else:
            _read_item(obj, number, records, skipped, api=_is_api_claim(obj))
    if not parsed_any:
        raise ImportFormatError(f"{name} is not JSON Lines (no line is a JSON object)")
    return records.file(tuple(skipped), "jsonl")


def _lines_of_blocks(blocks: list[str]) -> Iterator[str]:
    """The lines of ``blocks``, a block at a time, each let go (emptied) once cut."""
    for index, block in enumerate(blocks):
        blocks[index] = ""
        yield from json_lines(block)


class _Records:
    """The records read from a file; ``len()`` counts them all.

    With ``latest``, only the last record of an id is kept, in the place of the first, as
    the store keeps it: all were held until the store dropped the others, and a 10 MB CSV
    of 3.5 million rows of one claim took 1.5 GB to import (audit 14).
    """

    def __init__(self, *, latest: bool) -> None:
        self._read = 0
        self._kept: list[ArchiveRecord] = []
        self._latest: dict[str, ArchiveRecord] | None = {} if latest else None

    def __len__(self) -> int:
        return self._read

    def append(self, record: ArchiveRecord) -> None:
        self._read += 1
        if self._latest is None:
            self._kept.append(record)
        else:
            self._latest[record.external_id] = record  # the id it is stored under

    def extend(self, records: Iterable[ArchiveRecord]) -> None:
        for record in records:
            self.append(record)

    def file(
        self, skipped: tuple[tuple[int, str], ...], shape: str, unit: str = "line"
    ) -> ArchiveFile:
        kept = tuple(self._kept if self._latest is None else self._latest.values())
        return ArchiveFile(kept, skipped, shape, unit, repeated=self._read - len(kept))


def _mostly_malformed(skipped: list[tuple[int, str]], records: Sized) -> bool:
    """Over :data:`MAX_MALFORMED` malformed records, and nine in ten of those read."""
    return len(skipped) >= MAX_MALFORMED and len(skipped) > 9 * len(records)


def _too_malformed(name: str) -> ImportFormatError:
    return ImportFormatError(
        f"{name} is not an archive of claims: over {MAX_MALFORMED:,} of its records, nine in"
        " ten, are malformed"
    )


def _read_item(
    obj: Any,
    number: int,
    records: _Records,
    skipped: list[tuple[int, str]],
    *,
    api: bool,
    prefix: str = "",
) -> None:
    """Add the records of one JSON item to ``records``, or why it is skipped to ``skipped``.

    ``api`` says the item is a claim of a Fact Check API response.
    """
    try:
        if api:
            found, bad_reviews = _records_from_api_claim(obj, line=number)
            records.extend(found)
            skipped.extend((number, prefix + why) for why in bad_reviews)
        else:
            records.extend(_records_from_json(obj, line=number))
    except _BadRecord as exc:
        skipped.append((number, prefix + str(exc)))
    except RecursionError:
        skipped.append((number, prefix + TOO_DEEP))


# -- JSON documents (ClaimReview JSON-LD, Fact Check API responses, arrays of records) ------


def _json_value_count(text: str) -> int:
    """At least the number of values in JSON ``text``, less one (see :data:`MAX_JSON_VALUES`)."""
    return text.count("{") + text.count("[") + text.count(",")


def _parse_json_document(text: str, name: str, *, latest: bool = False) -> ArchiveFile:
    if _json_value_count(text) > MAX_JSON_VALUES:
        first = _first_line(text)
        if (
            first.startswith("{")
            and _json_value_count(first) <= MAX_LINE_VALUES
            and _is_json(first)
        ):
            return _parse_jsonl(json_line_blocks(text), name, latest=latest)  # JSON Lines
        raise ImportFormatError(
            f"{name} holds over {MAX_JSON_VALUES:,} JSON values, too many to read at once;"
            " save it as JSON Lines (one record a line)"
        )
    try:
        values = _json_values(text, name)
    except RecursionError:
        raise ImportFormatError(f"{name} is not an archive of claims: JSON {TOO_DEEP}") from None
    except ValueError:  # an integer of more than 4,300 digits
        raise ImportFormatError(f"{name} {LONG_NUMBER}") from None
    if values is None:
        return _parse_jsonl(json_line_blocks(text), name, latest=latest)
    if len(values) == 1:
        doc = values[0]
    else:  # several documents: read as one array (arrays among them joined)
        doc = [item for value in values for item in (value if isinstance(value, list) else [value])]
    items = _json_items(doc)
    if items is None:
        raise ImportFormatError(
            f"{name} is JSON but not a ClaimReview document, a Fact Check API response,"
            " an array or a DataFeed of claims"
        )
    records = _Records(latest=latest)
    skipped: list[tuple[int, str]] = []
    api_seen = False
    for number, (item, api) in enumerate(items, start=1):
        if _mostly_malformed(skipped, records):
            raise _too_malformed(name)
        _read_item(item, number, records, skipped, api=api)
        api_seen = api_seen or api
    shape = "factcheck-api" if api_seen else "claimreview"
    return records.file(tuple(skipped), shape, unit="record")


def _invalid_json(name: str, exc: json.JSONDecodeError) -> str:
    return f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"


_JSON_VALUE = re.compile(r"[^ \t\n\r]")


def _json_values(text: str, name: str) -> list[Any] | None:
    """The JSON document of a text, or the documents when it holds several one after the
    other (API pages joined with ``cat page*.json``); None for JSON Lines saved as .json.

    Raises:
        ImportFormatError: the text is not valid JSON.
        RecursionError, ValueError: as :func:`json.loads` does.
    """
    try:
        return [json.loads(text)]
    except json.JSONDecodeError as exc:
        first = _first_line(text)
        if first.startswith("{") and _is_json(first):
            return None  # every line an object, it seems: read line by line
        if exc.msg != "Extra data":
            raise ImportFormatError(_invalid_json(name, exc)) from None
    decoder = json.JSONDecoder()
    values: list[Any] = []
    start = _JSON_VALUE.search(text)
    while start is not None:
        try:
            value, end = decoder.raw_decode(text, start.start())
        except json.JSONDecodeError as exc:
            raise ImportFormatError(_invalid_json(name, exc)) from None
        values.append(value)
        start = _JSON_VALUE.search(text, end)
    return values


def _first_line(text: str) -> str:
    """The first line of ``text`` that is not blank (cutting all of them would hold them all)."""
    stripped = text.lstrip()
    end = stripped.find("\n")
    return json_lines(stripped[:end] if end >= 0 else stripped)[0]


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return False
    return True


def _json_items(doc: Any) -> Iterator[tuple[Any, bool]] | None:
    """The review-like items of a JSON document, one at a time, or None if it has none.

    Each item comes with whether it is a claim of a Fact Check API response: the
    pages of responses are opened, and their claims are the items. (A list of them all
    took a tuple for each of the millions of values of a flat array.)
    """
    if isinstance(doc, list):
        return (item for value in doc for item in _page_items(value))
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("@graph"), list):
        return ((item, _is_api_claim(item)) for item in doc["@graph"])
    if "dataFeedElement" in doc:
        elements = doc["dataFeedElement"]
        elements = elements if isinstance(elements, list) else [elements]
        return ((item, False) for item in elements)
    if (
        _types(doc) & {"ClaimReview", "DataFeedItem"}
        or {"claimReviewed", "text", "claimReview", "claims", "nextPageToken"} & doc.keys()
    ):
        return _page_items(doc)
    return None


def _page_items(value: Any) -> Iterator[tuple[Any, bool]]:
    """The claims of a Fact Check API response page; any other value stands for itself."""
    if _is_api_page(value):
        return ((claim, True) for claim in value["claims"])
    return iter([(value, _is_api_claim(value))])


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type", ())
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1] for v in values}


class _BadRecord(ValueError):
    """A record to skip, with the reason why."""


def _records_from_json(obj: Any, *, line: int) -> Iterator[ArchiveRecord]:
    if not isinstance(obj, dict):
        raise _BadRecord("not a JSON object")
    if "DataFeedItem" in _types(obj) and isinstance(obj.get("item"), (dict, list)):
        items = obj["item"] if isinstance(obj["item"], list) else [obj["item"]]
        for item in items:
            yield from _records_from_json(item, line=line)
        return
    if ("claims" in obj or "nextPageToken" in obj) and "text" not in obj:
        raise _BadRecord("a Fact Check API response without a list of 'claims'")
    if "claimReviewed" in obj or "ClaimReview" in _types(obj):
        yield _record_from_claimreview(obj, line=line)
    else:
        yield _record_from_fields(obj, line=line)


def _record_from_claimreview(obj: dict[str, Any], *, line: int) -> ArchiveRecord:
    rating = obj.get("reviewRating")
    verdict = _rating_verdict(rating) if isinstance(rating, dict) else ""
    item = obj.get("itemReviewed")
    speaker = ""
    claim_date = ""
    if isinstance(item, dict):
        speaker = _name(item.get("author"))
        claim_date = _text(item.get("datePublished"))
    fields = {
        "text": obj.get("claimReviewed"),
        "id": obj.get("@id") or obj.get("identifier") or obj.get("url"),
        "title": obj.get("name") or obj.get("headline"),
        "verdict": verdict,
        "url": obj.get("url"),
        "date": obj.get("datePublished") or claim_date,
        "speaker": speaker,
        "source": (
            _name(obj.get("author"))
            or _name(obj.get("publisher"))
            or publisher_from_url(_text(obj.get("url")))
        ),
    }
    return _record_from_fields(fields, line=line)


def _rating_verdict(rating: dict[str, Any]) -> str:
    """The verdict of a schema.org ``Rating``: its words, else its number read on its scale.

    A number with neither ``bestRating`` nor ``worstRating`` is kept as it is (it
    maps to no status): a scale the publisher did not give is not guessed. With one
    of them, the other takes schema.org's default (best 5, worst 1).
    """
    words = (
        _text(rating.get("alternateName"))
        or _text(rating.get("name"))
        or _text(rating.get("textualRating"))  # the Fact Check API's spelling
    )
    if words or rating.get("ratingValue") is None:
        return words
    value = _number(rating["ratingValue"])
    best, worst = rating.get("bestRating"), rating.get("worstRating")
    if value is not None and (best is not None or worst is not None):
        best_value = _number(best) if best is not None else 5.0
        worst_value = _number(worst) if worst is not None else 1.0
        if best_value is not None and worst_value is not None:
            on_scale = scale_verdict(value, best=best_value, worst=worst_value)
            if on_scale is not None:
                return on_scale
    return _text(rating["ratingValue"])


def _number(value: Any) -> float | None:
    """A finite number from a JSON number or a numeric string, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def publisher_from_url(url: str) -> str:
    """Who published a review that names no publisher: its URL's host, readably.

    ``https://www.politifact.com/factchecks/...`` gives ``politifact.com`` (``www.``
    dropped, IDNA shown as Unicode); anything but an http(s) URL with a host gives "".
    """
    try:
        parts = browser_split(url)  # the host a browser opens
    except ValueError:
        return ""
    # The host the address opens, also behind a user name, which links may not have
    # (http_url refuses them): "https://www.politifact.com@evil.example/" is evil.example's.
    if not http_url(parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()):
        return ""
    host = parts.hostname or ""
    host = host.removeprefix("www.").rstrip(".")
    if "xn--" in host:
        with contextlib.suppress(UnicodeError):
            host = host.encode("ascii").decode("idna")
    return host


def _name(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(n for n in (_name(v) for v in value) if n)
    if isinstance(value, dict):
        return _text(value.get("name"))
    return _text(value)


# -- Google Fact Check Tools API ---------------------------------------------------------


def _is_api_page(obj: Any) -> bool:
    """A ``claims:search`` response: ``{"claims": [...], "nextPageToken": ...}``."""
    return isinstance(obj, dict) and isinstance(obj.get("claims"), list)


def _is_api_claim(obj: Any) -> bool:
    """One claim of a response (``claimReview``; a schema.org ClaimReview has ``claimReviewed``)."""
    return isinstance(obj, dict) and "claimReview" in obj and "claimReviewed" not in obj


def _records_from_api_claim(claim: Any, *, line: int) -> tuple[list[ArchiveRecord], list[str]]:
    """One record per review of a Fact Check API claim, and why any review was skipped.

    Raises:
        _BadRecord: the claim itself is unusable (no text, no review): it is skipped
            once, not once for each of its reviews.
    """
    if not isinstance(claim, dict):
        raise _BadRecord("not a JSON object")
    _claim_text(claim.get("text"))
    reviews = claim.get("claimReview")
    if isinstance(reviews, dict):
        reviews = [reviews]
    if reviews is None or reviews == []:
        raise _BadRecord("no review in 'claimReview'")
    if not isinstance(reviews, list):
        raise _BadRecord("'claimReview' is not a list of reviews")
    records: list[ArchiveRecord] = []
    skipped: list[str] = []
    for index, review in enumerate(reviews, start=1):
        where = f"review {index}: " if len(reviews) > 1 else ""
        if not isinstance(review, dict):
            skipped.append(f"{where}not a JSON object")
            continue
        try:
            records.append(_record_from_api_review(claim, review, line=line))
        except _BadRecord as exc:
            skipped.append(f"{where}{exc}")
    return records, skipped


def _record_from_api_review(
    claim: dict[str, Any], review: dict[str, Any], *, line: int
) -> ArchiveRecord:
    url = _text(review.get("url"))
    verdict = _text(review.get("textualRating"))
    if not verdict:
        rating = review.get("reviewRating", review.get("rating"))
        verdict = _rating_verdict(rating) if isinstance(rating, dict) else ""
    publisher = review.get("publisher")
    if isinstance(publisher, dict):
        source = _text(publisher.get("name")) or _text(publisher.get("site"))
    else:
        source = _text(publisher)
    fields = {
        "text": claim.get("text"),
        "id": url,
        "title": review.get("title"),
        "verdict": verdict,
        "url": url,
        "date": _text(review.get("reviewDate")) or _text(claim.get("claimDate")),
        "speaker": _name(claim.get("claimant")),
        "source": source or publisher_from_url(url),
    }
    return _record_from_fields(fields, line=line)


# -- CSV ----------------------------------------------------------------------------------


_CSV_FIELD_LIMIT = 10 * MAX_FIELD_CHARS
"""The longest field the csv module reads (a million characters). A field over
:data:`MAX_FIELD_CHARS` but within this skips only its record (a column the archive
does not use may hold an article: 30,726 characters at most in PolitiFact's); past it
the module cannot go on, and the rest of the file is reported as not read. Fields were
read whatever their length, and the module builds one four bytes a character: a 1 GiB
field took 54 s and 7.4 GB to skip."""


def _lines_of(text: str) -> Iterator[str]:
    """The lines of ``text``, each with its end, one at a time: an ``io.StringIO`` of the
    text would hold a second copy of it, four bytes a character (a CSV with one 300 MB
    field ran out of 4 GB)."""
    return (line.group() for line in _LINE.finditer(text))


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


def _parse_csv(
    text: str,
    name: str,
    *,
    delimiter: str,
    cancel: CancelCheck | None = None,
    latest: bool = False,
) -> ArchiveFile:
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(_lines_of(text), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (csv.Error, StopIteration) as exc:
        raise ImportFormatError(f"{name} is not a CSV file with a header ({exc})") from None
    columns = [h.strip().lower() for h in header]
    if "text" not in columns:
        raise ImportFormatError(
            f"{name} has no 'text' column (a CSV archive needs a header row: {', '.join(FIELDS)})"
        )
    records = _Records(latest=latest)
    skipped: list[tuple[int, str]] = []
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The rest of the file cannot be trusted to line up: say how much is left out.
            last = text.count("\n") + (not text.endswith("\n"))
            rest = f"; lines {start:,} to {last:,} were not read" if last > start else ""
            if str(exc).startswith("field larger than field limit"):
                why = f"a field is longer than {_CSV_FIELD_LIMIT:,} characters"
            else:
                why = f"not valid CSV ({exc})"
            skipped.append((start, why + rest))
            break
        line, start = start, reader.line_num + 1
        if cancel is not None and len(records) % CANCEL_EVERY == 0 and cancel():
            raise ReadingCancelled(max(1, text.count("\n") - line))
        if _mostly_malformed(skipped, records):
            raise _too_malformed(name)
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            skipped.append((line, f"{len(row)} fields where the header has {len(columns)}"))
            continue
        try:
            records.append(_record_from_fields(dict(zip(columns, row, strict=True)), line=line))
        except _BadRecord as exc:
            skipped.append((line, str(exc)))
    return records.file(tuple(skipped), "csv")


# -- fields -------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A field's text on one line, ligatures spelt out (so "oﬃce" is found as "office")."""
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    value = str(value)
    if len(value) > MAX_FIELD_CHARS:
        raise _BadRecord(f"a field is longer than {MAX_FIELD_CHARS:,} characters")
    return " ".join(fold_ligatures(value).split())


def _claim_text(raw_text: Any) -> str:
    """The text of a past claim, whitespace collapsed; a :class:`_BadRecord` if unusable."""
    if raw_text is None:
        raise _BadRecord("no 'text'")
    if not isinstance(raw_text, str):
        raise _BadRecord("'text' is not a string")
    text = _text(raw_text)
    if not text:
        raise _BadRecord("empty 'text'")
    if len(text) > MAX_TEXT_CHARS:
        raise _BadRecord(f"'text' is longer than {MAX_TEXT_CHARS:,} characters")
    if has_lone_surrogate(text):
        raise _BadRecord(INVALID_UNICODE)
    return text


def _record_from_fields(obj: dict[str, Any], *, line: int) -> ArchiveRecord:
    text = _claim_text(obj.get("text"))
    fields = {key: _text(obj.get(key)) for key in FIELDS if key != "text"}
    if any(has_lone_surrogate(value) for value in fields.values()):
        # JSON may spell one ("\\ud800"); SQLite cannot store it, so skip the record.
        raise _BadRecord(INVALID_UNICODE)
    return ArchiveRecord(
        text=text,
        external_id=fields["id"] or record_key(text, fields["title"]),
        title=fields["title"],
        verdict=fields["verdict"],
        url=fields["url"],
        date=parse_date(fields["date"]),
        speaker=fields["speaker"],
        publisher=fields["source"],
        line=line,
    )


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")  # fmt: skip
_MONTH = (
    {m: i for i, m in enumerate(_MONTHS, start=1)}
    | {m[:3]: i for i, m in enumerate(_MONTHS, start=1)}
    | {"sept": 9}
)
_ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?!\d)")
_MDY = re.compile(r"\b([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})\b")
_DMY = re.compile(r"\b(\d{1,2}) ([A-Za-z]{3,9})\.?,? (\d{4})\b")


def parse_date(value: str) -> str:
    """ISO 8601 (``YYYY-MM-DD``) for the dates archives use, else the text unchanged.

    Accepts ISO dates and timestamps, ``May 26, 2015``, ``26 May 2015`` and the same
    inside a phrase (``stated on October 22, 2019 in a campaign mailer``).
    """
    value = value.strip()
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    found: tuple[int, int, int] | None = None
    if m := _ISO_DATE.search(value):
        found = (int(m[1]), int(m[2]), int(m[3]))
    elif (m := _MDY.search(value)) and m[1].lower() in _MONTH:
        found = (int(m[3]), _MONTH[m[1].lower()], int(m[2]))
    elif (m := _DMY.search(value)) and m[2].lower() in _MONTH:
        found = (int(m[3]), _MONTH[m[2].lower()], int(m[1]))
    if found is None:
        return value
    try:
        return datetime(*found).date().isoformat()
    except ValueError:
        return value


# -- import -------------------------------------------------------------------------------


def source_name(path: str | Path, source: str | None) -> str:
    """The collection a file's past checks go into: ``source``, or the file's stem."""
    if source is None:
        # A file name's undecodable bytes (lone surrogates here) cannot be stored.
        source = Path(path).stem.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        source = source[:MAX_SOURCE_CHARS]  # a long file name is cut, a long --source refused
    return source.strip()


def import_archive(
    store: Store,
    path: str | Path,
    *,
    source: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    pipes: bool = True,
) -> ArchiveImportReport:
    """Read an archive file and store its claims as collection ``source``, batch by batch.

    This is the import the CLI, the app and the benchmarks share. ``source``
    defaults to the file's stem. Records already stored under the same source and
    id are not added again: re-importing a file adds nothing, after a cancelled or
    failed import adds just the rest, and a newer export of the archive updates the
    records that changed (a revised rating).
    ``progress(done, total)`` is called after each batch is stored; when ``cancel()``
    returns True the import stops before the next batch, keeps what it stored, and
    the report says so (``cancelled``, ``remaining``). ``pipes``: see :func:`read_archive`.

    Raises:
        ImportFormatError: the file cannot be read as an archive.
        StoreError: a batch could not be written; the message says how many claims
            the batches before it stored (they are kept).
        ValidationError: ``source`` is empty, too long or one of the app's own
            (:func:`workbench.past_checks.collection_name`); nothing is read.
    """
    path = Path(path)
    name = collection_name(source_name(path, source))
    try:
        parsed = read_archive(path, cancel=cancel, latest=True, pipes=pipes)
    except ReadingCancelled as stopped:
        return ArchiveImportReport(name, "", 0, 0, 0, (), remaining=stopped.left)
    records = list(parsed.records)
    shape, skipped, unit, repeated = parsed.format, parsed.skipped, parsed.unit, parsed.repeated
    del parsed  # so that let_go below frees the records
    try:
        result = store.import_archive_records(
            records, source=name, progress=progress, cancel=cancel
        )
        read = len(records) + repeated
    finally:
        let_go(records)
    return ArchiveImportReport(
        source=name,
        format=shape,
        read=read,
        added=result.added,
        duplicates=result.skipped_duplicates + repeated,
        updated=result.updated,
        skipped=skipped,
        unit=unit,
        remaining=result.remaining,
    )
