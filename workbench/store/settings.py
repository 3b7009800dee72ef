"""Settings: string values by key, kept in the database beside the work they configure."""

from __future__ import annotations

from workbench.store.db import StoreBase


class SettingsMixin(StoreBase):
    """Settings by key (the ``report.*`` options, the article and claim last open ...)."""

    def setting(self, key: str, default: str | None = None) -> str | None:
        rows = self._read("SELECT value FROM settings WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else default

    def settings(self, *, prefix: str = "") -> dict[str, str]:
        """Every stored setting (or those whose key starts with ``prefix``), by key."""
        rows = self._read(
            "SELECT key, value FROM settings WHERE substr(key, 1, ?) = ? ORDER BY key",
            (len(prefix), prefix),
        )
        return {str(r["key"]): str(r["value"]) for r in rows}

    def set_setting(self, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
