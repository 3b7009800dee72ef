"""Parts of the app the core finds through entry points, so it never imports them.

``workbench.frontends`` (``gui``: the desktop app) and ``workbench.renderers``
(``pdf``: the Qt PDF renderer) are declared in ``pyproject.toml``; both live in ``ui``.
"""

from __future__ import annotations

from typing import Any

from workbench.errors import WorkbenchError


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
    from importlib.metadata import entry_points  # 20 ms: only for the commands that need it

    found = {ep.name: ep for ep in entry_points(group=group)}
    if name not in found:
        raise PluginError(f"{purpose} is not installed (reinstall with: pip install -e .)")
    try:
        return found[name].load()
    except ImportError as exc:
        raise PluginError(f"{purpose} cannot start: {exc}") from exc
