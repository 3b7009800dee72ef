"""The ``report.*`` settings: their keys, what each means, and checking a value.

Kept apart from the report model so that the command line can name them in its help
without importing the store.
"""

from __future__ import annotations

from collections.abc import Mapping

from workbench.errors import ValidationError

SETTING_ORGANISATION = "report.organisation"
SETTING_ORGANISATION_URL = "report.organisation_url"
SETTING_REVIEW_URL_TEMPLATE = "report.review_url_template"
REPORT_SETTINGS: Mapping[str, str] = {
    SETTING_ORGANISATION: "the fact-checking organisation named as author of reports",
    SETTING_ORGANISATION_URL: "the organisation's web site (http or https)",
    SETTING_REVIEW_URL_TEMPLATE: (
        "where a published review lives, e.g. https://example.org/checks/{article_id}#{claim_id}"
    ),
}
"""The settings keys reports read, with what each one means."""

URL_PLACEHOLDERS = ("{article_id}", "{claim_id}")


def check_setting(key: str, value: str) -> str:
    """Validate a ``report.*`` setting before it is stored; other keys pass unchanged.

    Returns:
        The value to store (trimmed for ``report.*`` keys).

    Raises:
        ValidationError: an unknown ``report.*`` key, a URL that is not http(s), or a
            review URL template with an unknown ``{placeholder}``.
    """
    if not key.startswith("report."):
        return value
    if key not in REPORT_SETTINGS:
        known = ", ".join(REPORT_SETTINGS)
        raise ValidationError(f"unknown report setting {key!r} (known: {known})")
    value = value.strip()
    if not value:
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
        raise ValidationError(f"{key} must be an http or https URL, not {url!r}") from None
