"""A claim's history in words: what changed, from what, to what (for the app and reports)."""

from __future__ import annotations

from workbench.models import HistoryEntry

_SHORT = 60


def _short(text: str | None) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= _SHORT else flat[: _SHORT - 1].rstrip() + "…"


def describe(entry: HistoryEntry) -> str:
    """One line saying what ``entry`` changed, e.g. "status: unchecked → disputed"."""
    old, new = entry.old, entry.new
    match entry.field:
        case "status":
            return f"status: {old or 'unchecked'} → {new}"
        case "note":
            if not new:
                return "note cleared"
            return f"note: “{_short(new)}”" if not old else f"note edited: “{_short(new)}”"
        case "claimant":
            return f"claimant: {new}" if new else "claimant cleared"
        case "chosen_priority":
            return f"priority set to {new}" if new else "priority left to the detector again"
        case "evidence":
            if old and new:
                return f"evidence link changed: {old} → {new}"
            return f"evidence added: {new}" if new else f"evidence removed: {old}"
        case "quote":
            return f"quote: “{_short(new)}”" if new else "quote removed"
        case "tag":
            return f"tag added: {new}" if new else f"tag removed: {old}"
        case "claim":
            return "claim added" if new else "claim removed"
        case "span":
            return f"boundaries changed: characters {old} → {new}"
        case "applied_from":
            return f"verdict applied from past check {new}"
        case _:
            return f"{entry.field}: {_short(old)} → {_short(new)}"
