"""The evidence bundle: the HTML report, every vaulted document it quotes, and their hashes.

A zip a reader can keep and check years later, without the workbench::

    manifest.json           what is in the bundle: each document's SHA-256, size, media
                            type, original name, address and capture time, which claims
                            and quotes cite it, and the report's own SHA-256
    report.html             the HTML report; a vaulted document's name links to its copy
    files/<sha256>/<name>   each document, under its original name made safe
                            (``files/<sha256><ext>`` when nothing of the name is usable);
                            a saved web page or a CSV file as text:
                            ``page.html.txt``, ``figures.csv.txt``

Every document is checked against the hash the database recorded
(:func:`workbench.vault.check_file`) before anything is written, and hashed again as it
is copied into the zip: a missing or altered file stops the export with a one-line
:class:`~workbench.reports.formats.ExportError`, never a bundle with a wrong file.

Entry names are made here, never taken from outside: no absolute paths, no ``..``, no
back-slashes, drive letters or control characters, no names Windows reserves.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote as percent_encode

from workbench import __version__
from workbench.display import parse_iso
from workbench.files import open_regular_file
from workbench.models import VaultFile
from workbench.reports.formats import ExportError
from workbench.reports.html import render_html
from workbench.reports.model import Report
from workbench.textsafety import one_line, safe_json
from workbench.vault import MEDIA_TYPES, check_file, file_path

BUNDLE_VERSION = 1
"""Bump when the manifest's layout changes."""
MANIFEST_ENTRY = "manifest.json"
REPORT_ENTRY = "report.html"
FILES_FOLDER = "files"

INERT_TYPES = frozenset({"text/html", "multipart/related", "text/csv"})
"""Documents that act when opened: a browser opening a saved web page runs its scripts
and fetches its images; a spreadsheet opening a CSV file runs the formulas in its cells
(``=HYPERLINK(...)``, ``=cmd|...``), which a downloaded data set may carry."""
INERT_SUFFIX = ".txt"
"""Added to the name of each of :data:`INERT_TYPES` in the bundle (``page.html.txt``):
clicked in the report or unpacked and double-clicked, it opens as text, so a captured
site's scripts never run on the reader's machine, its trackers never learn who looks,
and no formula runs. The bytes, and so the SHA-256, are the vault's; renaming the file
opens it as it was."""

MAX_NAME_BYTES = 120
"""The longest file name (UTF-8 bytes) kept inside ``files/<sha256>/``: well within what
every file system takes, with the folder's 64 characters."""
_UNSAFE_NAME_CHARACTERS = re.compile(r"[^\w.\- ()+,]")
"""What a bundled file's name may not hold: anything but letters, digits and a few marks
(so no path separators, colons, quotes, controls or invisible formatting characters)."""
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789¹²³"}
)
_UNSAFE_ENTRY_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
_COPY_CHUNK = 2**20
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
"""The earliest time a zip entry can carry."""


def _extensions(media_type: str) -> list[str]:
    """The extensions the vault takes for a media type, the usual one first."""
    return [ext for ext, kind in MEDIA_TYPES.items() if kind == media_type]


def safe_file_name(original_name: str, media_type: str) -> str:
    """A vaulted file's original name made safe to unpack anywhere, or "" if none is left.

    Only the last path component is kept; characters other than letters, digits and
    ``. - _ ( ) + ,`` and spaces become ``_``; leading dots, dashes and spaces go (no
    hidden files, nothing a shell takes for an option), and trailing dots and spaces
    (Windows drops them); a name Windows reserves (``CON``, ``NUL.txt`` ...) gets a
    leading ``_``. The extension is one the vault takes for the media type (added when
    the name has none of them), and the name is cut to :data:`MAX_NAME_BYTES`.
    """
    name = unicodedata.normalize("NFC", original_name)
    name = re.split(r"[/\\]", name)[-1]
    name = _UNSAFE_NAME_CHARACTERS.sub("_", name)
    name = " ".join(name.split()).lstrip(" .-").rstrip(" .")
    extensions = _extensions(media_type)
    suffix = Path(name).suffix
    if suffix.lower() in extensions:
        stem, extension = name[: -len(suffix)], suffix.lower()
    else:
        stem, extension = name, extensions[0] if extensions else ".bin"
    stem = stem.rstrip(" .")
    while len(f"{stem}{extension}".encode()) > MAX_NAME_BYTES:
        stem = stem[:-1].rstrip(" .")
    if not stem.strip("_"):
        return ""
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    return f"{stem}{extension}"


def entry_name(file: VaultFile) -> str:
    """Where the bundle keeps a vaulted file: ``files/<sha256>/<safe original name>``.

    A saved web page or a CSV file also gets :data:`INERT_SUFFIX` (:data:`INERT_TYPES`).
    """
    name = safe_file_name(file.original_name, file.media_type)
    if not name:
        extensions = _extensions(file.media_type)
        entry = f"{FILES_FOLDER}/{file.sha256}{extensions[0] if extensions else '.bin'}"
    else:
        entry = f"{FILES_FOLDER}/{file.sha256}/{name}"
    return entry + INERT_SUFFIX if file.media_type in INERT_TYPES else entry


def check_entry_name(name: str) -> None:
    """Refuse a zip entry name that could land outside the folder it is unpacked in.

    Raises:
        ExportError: empty, absolute, with a ``..`` or empty component, a back-slash,
            a colon (a drive letter) or a control or invisible formatting character.
    """
    parts = name.split("/")
    if (
        not name
        or "\\" in name
        or ":" in name
        or any(part in ("", ".", "..") for part in parts)
        or any(unicodedata.category(c) in _UNSAFE_ENTRY_CATEGORIES for c in name)
    ):
        raise ExportError(f"evidence bundle not written: unsafe entry name {name!r}")


@dataclass(slots=True)
class BundledFile:
    """A vaulted document the report's evidence cites, and where the bundle keeps it."""

    file: VaultFile
    entry: str
    cited_by: list[dict[str, Any]] = field(default_factory=list)
    """For the manifest: each piece of evidence that cites it (claim number, evidence
    number, title, quote)."""
    first_claim: int = 0
    """The number of the first claim that cites it, for messages."""


def bundled_files(report: Report) -> list[BundledFile]:
    """Every vaulted document the report's evidence cites, once each, in reading order."""
    files: dict[str, BundledFile] = {}
    for number, claim in enumerate(report.claims, start=1):
        for position, item in enumerate(claim.evidence, start=1):
            if item.file is None:
                continue
            entry = files.get(item.file.sha256)
            if entry is None:
                if not _SHA256.fullmatch(item.file.sha256):  # it names a folder
                    raise ExportError(
                        f"evidence bundle not written: claim {number} cites a file "
                        f"whose hash is not a SHA-256 ({one_line(item.file.sha256)[:80]})"
                    )
                entry = BundledFile(item.file, entry_name(item.file), first_claim=number)
                check_entry_name(entry.entry)
                files[item.file.sha256] = entry
            quote = item.quote
            entry.cited_by.append(
                {
                    "claim": number,
                    "claim_text": claim.text,
                    "status": claim.status.value,
                    "evidence": position,
                    "title": item.title,
                    "url": item.url,
                    "quote": None
                    if quote is None
                    else {
                        "text": quote.text,
                        "page": quote.page,
                        "start": quote.start,
                        "end": quote.end,
                        "before": quote.before,
                        "after": quote.after,
                    },
                }
            )
    return list(files.values())


def _refusal(item: BundledFile, problem: str) -> ExportError:
    name = one_line(item.file.original_name) or "a file"
    return ExportError(
        f"evidence bundle not written: {name} (cited by claim {item.first_claim}): {problem}"
    )


def verify_files(db_path: str | Path, files: list[BundledFile]) -> None:
    """Check every document against its recorded hash before anything is written.

    Raises:
        ExportError: one is missing, unreadable or altered (the first one found).
    """
    for item in files:
        problem = check_file(db_path, item.file.sha256, item.file.size)
        if problem is not None:
            raise _refusal(item, f"the vault's file {problem}")


def manifest(report: Report, files: list[BundledFile], report_html: bytes) -> dict[str, Any]:
    """The bundle's ``manifest.json`` as data."""
    article = report.article
    return {
        "bundle_version": BUNDLE_VERSION,
        "generator": f"factcheck-workbench {__version__}",
        "generated_at": report.generated_at,
        "about": (
            "An evidence bundle: report.html is the verification report, files/ holds every "
            "document its evidence quotes, as kept in the fact-checker's evidence vault. "
            "Each file's SHA-256 below identifies it: compute it again (sha256sum, "
            "certutil -hashfile FILE SHA256, shasum -a 256) to check the file is the one quoted. "
            "Saved web pages and CSV files end in .txt so that opening one never runs "
            "its scripts or formulas: remove the .txt to see the page (preferably with "
            "the network off) or the table."
        ),
        "article": {
            "title": article.title,
            "source": article.source,
            "author": article.author,
            "url": article.url,
            "published": article.published,
        },
        "report": {
            "path": REPORT_ENTRY,
            "sha256": hashlib.sha256(report_html).hexdigest(),
            "size": len(report_html),
            "media_type": "text/html",
        },
        "files": [
            {
                "path": item.entry,
                "sha256": item.file.sha256,
                "size": item.file.size,
                "media_type": item.file.media_type,
                "original_name": item.file.original_name,
                "source_url": item.file.source_url,
                "captured_at": item.file.captured_at,
                "cited_by": item.cited_by,
            }
            for item in files
        ],
    }


def _zip_time(value: str) -> tuple[int, int, int, int, int, int]:
    when = parse_iso(value)
    if not isinstance(when, datetime) or when.year < _ZIP_EPOCH[0]:
        return _ZIP_EPOCH
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


def _entry(name: str, when: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    check_entry_name(name)
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix: the permission bits below mean something
    info.external_attr = 0o644 << 16  # a plain file anyone may read, no one runs
    return info


def _copy_verified(
    db_path: str | Path, item: BundledFile, archive: zipfile.ZipFile, info: zipfile.ZipInfo
) -> None:
    """Copy a vaulted file into the zip, hashing it on the way: it must still match.

    A problem reading the vault is the file's (an :class:`ExportError` naming it); one
    writing the zip is the destination's (the ``OSError`` goes on, to be reported so).
    """
    digest = hashlib.sha256()
    size = 0
    info.file_size = item.file.size  # so zipfile knows whether the entry needs ZIP64
    try:
        source = open_regular_file(file_path(db_path, item.file.sha256))
    except FileNotFoundError:
        raise _refusal(item, "the vault's file went missing while the bundle was written") from None
    except OSError as exc:
        raise _refusal(item, f"the vault's file cannot be read: {exc.strerror}") from None
    with source, archive.open(info, "w") as target:
        while True:
            try:
                chunk = source.read(_COPY_CHUNK)
            except OSError as exc:
                raise _refusal(item, f"the vault's file cannot be read: {exc.strerror}") from None
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    if size != item.file.size or digest.hexdigest() != item.file.sha256:
        raise _refusal(item, "the vault's file changed while the bundle was written")


def write_bundle(report: Report, out: IO[bytes], *, db_path: str | Path) -> int:
    """Write the report's evidence bundle as a zip to ``out`` (seekable, binary).

    Args:
        report: one article's report.
        out: where the zip goes (a temporary file, for an atomic export).
        db_path: the database whose vault holds the files (``store.path``).

    Returns:
        How many vaulted documents the bundle holds.

    Raises:
        ExportError: a document is missing, unreadable or altered (checked before
            anything is written, and again as it is copied).
    """
    files = bundled_files(report)
    verify_files(db_path, files)
    links = {item.file.sha256: percent_encode(item.entry, safe="/") for item in files}
    html = render_html(report, vault_links=links).encode("utf-8")
    meta = manifest(report, files, html)
    when = _zip_time(report.generated_at)
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        text = safe_json(meta, indent=2) + "\n"
        archive.writestr(_entry(MANIFEST_ENTRY, when), text.encode("utf-8"))
        archive.writestr(_entry(REPORT_ENTRY, when), html)
        for item in files:
            _copy_verified(db_path, item, archive, _entry(item.entry, when))
    return len(files)


def render_bundle(report: Report, *, db_path: str | Path) -> bytes:
    """The evidence bundle as bytes (in memory: for tests and small bundles)."""
    buffer = io.BytesIO()
    write_bundle(report, buffer, db_path=db_path)
    return buffer.getvalue()
