"""The spaCy pipeline: article-aware sentence splitting and the claim detector.

Contract:

* ``load_pipeline()`` -> ``spacy.Language``: ``spacy.blank("en")`` plus the project's
  components (or an installed trained English pipeline when present), fast to load.
* ``detect_claims(text, *, nlp=None)`` -> ``list[DetectedClaim]`` in reading order,
  with character offsets into ``text`` such that ``text[start:end] == claim.text``.
"""
