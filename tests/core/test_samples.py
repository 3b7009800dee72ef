from __future__ import annotations

from workbench.nlp import detect_claims
from workbench.samples import sample_article


def test_bundled_sample_is_attributed_and_has_claims() -> None:
    draft = sample_article()
    assert draft.source == "Wikinews"
    assert "CC BY 2.5" in draft.author
    assert draft.url.startswith("https://en.wikinews.org/")
    assert not draft.text.startswith("Monday, May 18, 2015")  # the dateline is metadata
    assert draft.published == "2015-05-18"
    claims = detect_claims(draft.text)
    assert len(claims) >= 8
    assert any("700 asylum seekers" in c.text for c in claims)
