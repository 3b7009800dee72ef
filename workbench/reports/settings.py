"""The ``report.*`` settings: their keys, what each means, and checking a value.

Kept apart from the report model so that the command line can name them in its help
without importing the store.
"""

from __future__ import annotations

import getpass
import os
import unicodedata
from collections.abc import Mapping

from workbench.errors import ValidationError
from workbench.textsafety import clipped

SETTING_ORGANISATION = "report.organisation"
SETTING_ORGANISATION_URL = "report.organisation_url"
SETTING_REVIEW_URL_TEMPLATE = "report.review_url_template"
SETTING_CHECKER_NAME = "report.checker_name"
REPORT_SETTINGS: Mapping[str, str] = {
    SETTING_ORGANISATION: "the fact-checking organisation named as author of reports",
    SETTING_ORGANISATION_URL: "the organisation's web site (http or https)",
    SETTING_REVIEW_URL_TEMPLATE: (
        "where a published review lives, e.g. https://example.org/checks/{article_id}#{claim_id}"
    ),
    SETTING_CHECKER_NAME: (
        'your name in the "Checked by" line of reports (default: your account\'s full name)'
    ),
}
"""The settings keys reports read, with what each one means."""

URL_PLACEHOLDERS = ("{article_id}", "{claim_id}")


def check_setting(key: str, value: str) -> str:
    """Validate a ``report.*`` setting before it is stored; other keys pass unchanged.

    Returns:
        The value to store (trimmed for ``report.*`` keys).

    Raises:
        ValidationError: an unknown ``report.*`` key, a URL that is not http(s), a
            review URL template with an unknown ``{placeholder}``, or a checker name with
            control characters.
    """
    if not key.startswith("report."):
        return value
    if key not in REPORT_SETTINGS:
        known = ", ".join(REPORT_SETTINGS)
        raise ValidationError(f"unknown report setting {key!r} (known: {known})")
    value = value.strip()
    if not value:
        return value
    if key in (SETTING_CHECKER_NAME, SETTING_ORGANISATION):
        value = " ".join(value.split())  # one line: a name, not a paragraph
        if any(unicodedata.category(ch) == "Cc" for ch in value):
            raise ValidationError(f"{key} may not hold control characters")
        return value
    if key == SETTING_ORGANISATION_URL:
        return _check_http_url(value, key)
    if key == SETTING_REVIEW_URL_TEMPLATE:
        rest = value
        for placeholder in URL_PLACEHOLDERS:
            rest = rest.replace(placeholder, "1")
        if "{" in rest or "}" in rest:
            raise ValidationError(
                f"{key} may only use the placeholders {' and '.join(URL_PLACEHOLDERS)}"
            )
        _check_http_url(rest, key)
    return value


def _check_http_url(url: str, key: str) -> str:
    from workbench.store import validate_url  # the store's rule for links, with the store

    try:
        return validate_url(url)
    except ValidationError:
        shown = clipped(repr(url), 80)  # a pasted page of text is no message
        raise ValidationError(f"{key} must be an http or https URL, not {shown}") from None


def account_full_name(login: str | None = None) -> str:
    """The full name of the account the workbench runs as, for the "Checked by" line.

    On POSIX it is the GECOS field of the password entry up to its first comma (an
    ``&`` in it stands for the login name, capitalised, as ``finger`` reads it). Where
    there is no such field (Windows, an empty field, an account the password database
    does not know) it is the login name.

    Args:
        login: the name the workbench records changes under (``Store.user``); when it
            is not this account's login name (``WORKBENCH_USER`` set to someone else)
            it is returned as it is, since the account's full name is not theirs.
    """
    name = login or _login_name()
    try:
        import pwd  # POSIX only
    except ImportError:
        return name
    try:
        entry = pwd.getpwuid(os.getuid())
    except (KeyError, OSError):
        return name
    if login and login not in (entry.pw_name, _login_name()):
        return name
    full = (entry.pw_gecos or "").split(",")[0]
    full = " ".join(full.replace("&", entry.pw_name.capitalize()).split())
    return full or name


def checker_name(settings: Mapping[str, str], login: str) -> str:
    """What reports call ``login``'s changes: the ``report.checker_name`` setting, else
    :func:`account_full_name`."""
    chosen = " ".join(settings.get(SETTING_CHECKER_NAME, "").split())
    return chosen or account_full_name(login)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no USER/LOGNAME and no password entry
        return "unknown"
