"""Parts of the app the core finds through entry points, so it never imports them.

``workbench.frontends`` (``gui``: the desktop app) and ``workbench.renderers``
(``pdf``: the Qt PDF renderer) are declared in ``pyproject.toml``; both live in ``ui``.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from typing import Any

from workbench.errors import WorkbenchError

DISTRIBUTION = "factcheck-workbench"
"""The package that declares the app's own entry points (``pyproject.toml``)."""


class PluginError(WorkbenchError):
    """A part of the app that lives outside the core is not installed or cannot load."""


def load_entry_point(group: str, name: str, *, purpose: str) -> Any:
    """Load the object registered as ``name`` in the entry point ``group``.

    Args:
        purpose: what it is, for the error message ("the desktop app").

    Raises:
        PluginError: nothing is registered under that name (the package is not
            installed), or importing it fails (e.g. Qt is missing).
    """
    own = own_entry_points(group)
    target = own.get(name) if own else None
    if target is None:
        target = _entry_point_from_metadata(group, name)
    if target is None:
        raise PluginError(f"{purpose} is not installed (reinstall with: pip install -e .)")
    try:
        return _load(target)
    except ImportError as exc:
        raise PluginError(f"{purpose} cannot start: {exc}") from exc


def own_entry_points(group: str) -> dict[str, str] | None:
    """Our distribution's entry points in ``group`` (name: ``module:attribute``), read from
    its ``entry_points.txt``; None if no ``.dist-info`` folder of it is on ``sys.path``.

    Read directly, as ``importlib.metadata`` would find it (the first on ``sys.path``):
    importing ``importlib.metadata`` (``email``, ``zipfile``, ``csv`` and more) took
    25-40 ms of the app's start, where every millisecond shows.
    """
    wanted = _normal(DISTRIBUTION)
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file, a folder that is gone
            continue
        for folder in sorted(names):
            if folder.endswith(".dist-info") and _normal(folder.partition("-")[0]) == wanted:
                path = os.path.join(entry or ".", folder, "entry_points.txt")
                try:
                    with open(path, encoding="utf-8") as file:
                        return _parse_entry_points(file.read()).get(group, {})
                except OSError:
                    return None
    return None


def _normal(name: str) -> str:
    """A distribution name as packaging compares it (PEP 503, ``_`` for the folder's)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _parse_entry_points(text: str) -> dict[str, dict[str, str]]:
    """``entry_points.txt`` (an INI file: ``[group]`` then ``name = value`` lines)."""
    groups: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = groups.setdefault(line[1:-1].strip(), {})
        elif current is not None and "=" in line:
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip()
    return groups


def _entry_point_from_metadata(group: str, name: str) -> str | None:
    """``name``'s value in ``group`` by ``importlib.metadata``: our distribution's first,
    every installed package's only if another provides the part (20 ms)."""
    from importlib.metadata import PackageNotFoundError, distribution, entry_points

    try:
        own = [ep for ep in distribution(DISTRIBUTION).entry_points if ep.group == group]
    except PackageNotFoundError:
        own = []
    found = {ep.name: ep.value for ep in own}
    if name not in found:
        found = {ep.name: ep.value for ep in entry_points(group=group)}
    return found.get(name)


def _load(value: str) -> Any:
    """The object an entry point's value names: ``module``, or ``module:attr.attr``
    (extras in brackets ignored, as ``EntryPoint.load`` does)."""
    module_name, _, attributes = value.partition("[")[0].strip().partition(":")
    loaded: Any = importlib.import_module(module_name.strip())
    for attribute in filter(None, attributes.strip().split(".")):
        loaded = getattr(loaded, attribute)
    return loaded
