"""A package's names imported from its submodules on first use (PEP 562).

Importing such a package imports none of its modules: ``--help`` stays light, and two
threads that first import the package and one of its modules at once cannot deadlock
on them (see ``workbench.ingest``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def from_submodules(
    package: str, submodules: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: a name of ``submodules`` (name → module)
    is imported from its module once and kept in ``namespace`` (the package's globals)."""

    def __getattr__(name: str) -> Any:
        submodule = submodules.get(name)
        if submodule is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{submodule}"), name)
        namespace[name] = value
        return value

    return __getattr__
