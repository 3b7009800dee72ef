"""Parts of the app the core finds through entry points, so it never imports them.

``workbench.frontends`` (``gui``: the desktop app) and ``workbench.renderers``
(``pdf``: the Qt PDF renderer) are declared in ``pyproject.toml``; both live in ``ui``.
"""

from __future__ import annotations

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
    # Only for the commands that need it. Our own distribution's entry points are read
    # first (0.7 ms); every installed package's only if another provides the part (20 ms
    # when the app starts, where every millisecond shows).
    from importlib.metadata import PackageNotFoundError, distribution, entry_points

    try:
        own = [ep for ep in distribution(DISTRIBUTION).entry_points if ep.group == group]
    except PackageNotFoundError:
        own = []
    found = {ep.name: ep for ep in own}
    if name not in found:
        found = {ep.name: ep for ep in entry_points(group=group)}
    if name not in found:
        raise PluginError(f"{purpose} is not installed (reinstall with: pip install -e .)")
    try:
        return found[name].load()
    except ImportError as exc:
        raise PluginError(f"{purpose} cannot start: {exc}") from exc
