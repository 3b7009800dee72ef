"""Past-claim matching as a fact-checker sees it: the right earlier check, explained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.matching import (
    POSSIBLE_MATCH,
    SIGNALS,
    STRONG_MATCH,
    WEIGHTS,
    match_claim,
    match_claims,
    normalize_query,
    query_tokens,
    tokenize,
)
from workbench.models import (
    ArchiveClaim,
    ArchiveRecord,
    ArticleDraft,
    DetectedClaim,
    MatchStrength,
)
from workbench.store import ArchiveCandidate, Store

PAST = [
    ArchiveRecord("North Korea sent 10,000 troops to Russia in October 2024.", "k1",
                  verdict="true", date="2024-10-30", url="https://example.org/k1"),
    ArchiveRecord("Wind turbines cause cancer.", "w1", verdict="pants-fire", date="2019-04-03"),
    ArchiveRecord("Wind turbines cause cancer in nearby residents.", "w2", verdict="false",
                  date="2023-04-03"),
    ArchiveRecord("Vaccines contain microchips that track people.", "v1", verdict="false"),
    ArchiveRecord("The minimum wage in Florida rose to $13 in 2024.", "m1", verdict="true"),
    ArchiveRecord("The", "short1"),
    ArchiveRecord("U.S.", "short2"),
    ArchiveRecord("Crime", "short3"),
]  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "wb.db", user="tester") as s:
        s.import_archive_records(PAST, source="checks")
        yield s  # type: ignore[misc]


def test_normalisation_of_a_pasted_tweet() -> None:
    tweet = (
        "RT @newsbot: BREAKING: “Wind turbines cause cancer” says @RealDonaldTrump "
        "#WindTurbines https://t.co/abc123 pic.twitter.com/xyz — Jane Doe (@janedoe) May 1, 2020"
    )
    assert normalize_query(tweet) == (
        'BREAKING: "Wind turbines cause cancer" says Real Donald Trump Wind Turbines'
    )
    surfaces = [t.surface for t in query_tokens(tweet)]
    assert "Jane" not in surfaces and "t" not in surfaces and "2020" not in surfaces
    assert "Donald" in surfaces and "Turbines" in surfaces
    for token in query_tokens(tweet):
        assert tweet[token.start : token.end] == token.surface


def test_case_and_curly_quotes_do_not_matter(store: Store) -> None:
    a = match_claim(store, "WIND TURBINES CAUSE CANCER")
    b = match_claim(store, "‘wind turbines’ cause “cancer”")
    assert a[0].archive.external_id == b[0].archive.external_id
    assert a[0].score == pytest.approx(b[0].score, abs=0.05)


def test_the_earlier_check_comes_first_and_is_strong(store: Store) -> None:
    (matches,) = match_claims(
        store, ["Pentagon: North Korea has sent 10,000 troops to Russia in October 2024"]
    )
    best = matches[0]
    assert best.archive.external_id == "k1"
    assert best.strength is MatchStrength.STRONG and best.score >= STRONG_MATCH
    assert all(0.0 <= m.score <= 1.0 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    shared = {s.text: s for s in best.shared}
    assert {"Korea", "troops", "10,000", "Russia"} <= set(shared)
    assert shared["10,000"].kind == "number" and shared["Korea"].kind == "name"
    query = "Pentagon: North Korea has sent 10,000 troops to Russia in October 2024"
    for term in best.shared:
        for start, end in term.query_spans:
            assert query[start:end].lower().startswith(term.text.lower()[:4])
        for start, end in term.archive_spans:
            assert best.archive.text[start:end] == term.text or term.kind == "word"
    assert not best.conflicts


def test_short_archive_entries_do_not_match_everything(store: Store) -> None:
    matches = match_claim(store, "The U.S. says crime rose sharply in the cities", top_k=10)
    for m in matches:
        if m.archive.external_id.startswith("short"):
            assert m.score < POSSIBLE_MATCH
    # ...but a query that is only that word still finds it.
    assert match_claim(store, "Crime")[0].archive.external_id == "short3"


def test_conflicting_number_is_flagged(store: Store) -> None:
    text = "North Korea sent 12,000 troops to Russia in October 2024."
    best = match_claim(store, text)[0]
    assert best.archive.external_id == "k1"
    assert [c.description for c in best.conflicts] == ["12,000 vs 10,000"]
    conflict = best.conflicts[0]
    assert text[slice(*conflict.query_span)] == "12,000"
    assert best.archive.text[slice(*conflict.archive_span)] == "10,000"


def test_conflicting_year_and_money_are_flagged(store: Store) -> None:
    best = match_claim(store, "Florida's minimum wage rose to $15 in 2023.")[0]
    assert best.archive.external_id == "m1"
    assert {c.description for c in best.conflicts} == {"$15 vs $13", "2023 vs 2024"}


def test_a_past_check_of_the_opposite_claim_earns_no_badge(store: Store) -> None:
    """Its verdict (false) is about what this claim denies: not "checked before: FALSE"."""
    text = "Wind turbines do not cause cancer in nearby residents."
    best = match_claim(store, text)[0]
    assert best.archive.external_id == "w2"
    assert best.score >= STRONG_MATCH  # as close in words as ever...
    assert best.strength is MatchStrength.POSSIBLE  # ...but no badge
    [conflict] = best.conflicts
    assert (conflict.kind, conflict.description) == ("negation", "not cause vs cause")
    assert text[slice(*conflict.query_span)] == "not cause"
    assert best.archive.text[slice(*conflict.archive_span)] == "cause"
    # The same claim, denied on both sides, is a repeat.
    store.import_archive_records(
        [ArchiveRecord("Wind turbines don't cause cancer in nearby residents.", "w3")],
        source="checks",
    )
    again = {m.archive.external_id: m for m in match_claim(store, text)}
    assert again["w3"].strength is MatchStrength.STRONG and not again["w3"].conflicts


@pytest.mark.parametrize(
    ("claim", "past", "expected"),
    [
        ("No one was hurt in the fire.", "Three people were hurt in the fire.", "No one was hurt"),
        ("Obama was born in Kenya.", "Obama was never born in Kenya.", "never born"),
        ("Says Obama wasn't born in Kenya.", "Obama was born in Kenya.", "wasn't born"),
        # Not denials: "not only", a negation of another word, a paraphrase.
        ("The bill not only cuts taxes but raises spending.", "The bill cuts taxes.", None),
        ("There is no evidence that vaccines cause autism.", "Vaccines cause autism.", None),
        ("Biden lost Georgia.", "Biden did not win Georgia.", None),
        ("His jersey went from No. 13 to No. 14 after this dunk.", "Watch this dunk.", None),
        ("Not Bob Barker. A pillar of my childhood.", "Bob Barker died in July 2017.", None),
        ("No, this was a terrorist attack.", "It was a terrorist attack.", None),
        ("No she didn't. Tulsi voted for it.", "Tulsi voted for it.", None),
        # A verb is denied in its base form, asserted inflected (review).
        ("Smith did not vote for the bill.", "Smith voted for the bill.", "not vote"),
        ("Lee did not raise the sales tax.", "Lee raised the sales tax.", "not raise"),
        ("They banned the book.", "They did not ban the book.", "not ban"),
        # Said both ways, or a noun past a preposition: no denial (review).
        (
            "The state will not raise the gas tax, but it will raise fees on drivers.",
            "The state will raise fees on drivers.",
            None,
        ),
        ("No one in his cabinet has business experience.", "Cabinet members lack it.", None),
        ("Guns are sold with no background check.", "Guns are sold without a check.", None),
    ],
)
def test_denials_are_found_where_a_word_is_denied(
    claim: str, past: str, expected: str | None
) -> None:
    from workbench.matching import negation_conflict

    found = negation_conflict(tokenize(claim), tokenize(past))
    if expected is None:
        assert found is None
    else:
        assert found is not None and expected in (found.query_value, found.archive_value)


def test_prefer_recent_and_source_filter(store: Store) -> None:
    plain = match_claim(store, "wind turbines cause cancer", top_k=2)
    assert plain[0].archive.external_id == "w1"  # the closer wording
    recent = match_claim(store, "wind turbines cause cancer", top_k=2, prefer_recent=True)
    assert {m.archive.external_id for m in recent} == {"w1", "w2"}
    assert recent[0].score == max(m.score for m in recent) or recent[0].archive.date > "2020"
    assert match_claim(store, "wind turbines cause cancer", source="elsewhere") == []


def test_own_verdicts_match_other_claims_but_not_themselves(store: Store) -> None:
    text = "Studies show glyphosate weedkiller is linked to cancer in farm workers."
    result = store.add_article(ArticleDraft(text), [DetectedClaim(0, len(text), text, 0.9)])
    claim_id = result.claims[0].id
    store.update_claim(claim_id, status="disputed")
    found = match_claim(store, "Glyphosate weedkiller linked to cancer in farm workers")
    assert found[0].archive.source == "own" and found[0].archive.claim_id == claim_id
    again = match_claim(store, text, exclude_claims={claim_id})
    assert all(m.archive.claim_id != claim_id for m in again)


def test_nothing_to_match_gives_no_matches(store: Store) -> None:
    assert match_claims(store, ["", "   ", "!!!", "the of and"]) == [[], [], [], []]


def test_every_signal_has_a_weight() -> None:
    assert set(SIGNALS) <= set(WEIGHTS) and "bias" in WEIGHTS


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_tokens_always_point_into_the_text(text: str) -> None:
    for token in tokenize(text):
        assert 0 <= token.start < token.end <= len(text)
    for token in query_tokens(text):
        assert 0 <= token.start < token.end <= len(text)
    normalize_query(text)


def article_of_claims(store: Store, texts: list[str]) -> list[int]:
    """An article made of ``texts``, each one of its claims; their ids."""
    claims, at = [], 0
    for text in texts:
        claims.append(DetectedClaim(at, at + len(text), text, 0.9))
        at += len(text) + 1
    return [c.id for c in store.add_article(ArticleDraft(" ".join(texts)), claims).claims]


def test_excluded_claims_without_a_past_check_do_not_widen_the_search(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article's own claims are all excluded; only those with a verdict can take a place."""
    texts = [f"Claim number {n} about wind turbines and cancer rates." for n in range(40)]
    ids = article_of_claims(store, texts)
    store.update_claim(ids[0], status="disputed")  # one of them has a verdict of its own
    limits: list[int] = []
    original = store.archive_candidates

    def spy(query: str, *, limit: int, source: str | None = None) -> list:  # type: ignore[type-arg]
        limits.append(limit)
        return original(query, limit=limit, source=source)

    monkeypatch.setattr(store, "archive_candidates", spy)
    alone = match_claims(store, ["wind turbines cause cancer"], semantic=False)
    plain_limit = limits[-1]
    excluded = match_claims(
        store, ["wind turbines cause cancer"], exclude_claims=ids, semantic=False
    )
    assert limits[-1] == plain_limit + 1  # not + 40
    assert [m.archive.external_id for m in excluded[0]] == [
        m.archive.external_id for m in alone[0] if m.archive.claim_id not in ids
    ]
    assert all(m.archive.claim_id != ids[0] for m in excluded[0])


def test_verdicts_given_in_an_article_do_not_widen_its_claims_searches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each search keeps its CANDIDATES best past checks that are not excluded. It kept
    one more for each claim of the article with a verdict: with every claim of a
    311-claim article checked, matching it took 3.6 times as long, and a claim's match
    was scored among more candidates the more of its neighbours were checked."""
    from workbench import matching

    with Store(tmp_path / "wb.db", user="tester") as store:
        store.import_archive_records(
            [ArchiveRecord(f"Wind turbines cause cancer, post {n} says.", external_id=f"w{n}")
             for n in range(120)],
            source="checks",
        )  # fmt: skip
        texts = [f"Claim {n} of the article mentions turbines." for n in range(30)]
        ids = article_of_claims(store, texts)
        pools: list[int] = []
        scored = matching._with_signals

        def counting(query: Any, cands: Any, *args: Any) -> Any:
            pools.append(len(cands))
            return scored(query, cands, *args)

        monkeypatch.setattr(matching, "_with_signals", counting)
        query = ["wind turbines cause cancer"]
        before = match_claims(store, query, exclude_claims=ids, semantic=False)
        for claim_id in ids:
            store.update_claim(claim_id, status="disputed")
        after = match_claims(store, query, exclude_claims=ids, semantic=False)
        assert pools == [matching.CANDIDATES, matching.CANDIDATES]
        assert [m.archive.external_id for m in after[0]] == [
            m.archive.external_id for m in before[0]
        ]


def test_each_past_check_is_read_once_and_matches_the_same(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article's claims share candidates: their words were read again for each claim
    (over half of matching's time on a 320-claim article)."""
    from workbench import matching
    from workbench.engine import Engine

    read: list[str] = []
    original = matching._content_keys  # what a past check's words are read with

    def counting(text: str, *args: Any) -> Any:
        read.append(text)
        return original(text, *args)

    claims = ["wind turbines cause cancer", "Do wind turbines cause cancer?"] * 3
    fresh = match_claims(store, claims, semantic=False, engine=Engine())
    monkeypatch.setattr(matching, "_content_keys", counting)
    engine = Engine()
    remembered = match_claims(store, claims, semantic=False, engine=engine)
    past = {m.archive.text for found in remembered for m in found}
    assert past and all(read.count(text) == 1 for text in past)
    assert remembered == fresh
    read.clear()
    match_claims(store, claims, semantic=False, engine=engine)  # a later slice of claims
    assert not set(read) & past


def test_cancelled_matching_stops_in_every_phase(store: Store) -> None:
    calls = {"n": 0}

    def cancel_after_first_search() -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    texts = ["wind turbines cause cancer", "North Korea sent troops to Russia", "vaccines"]
    found = match_claims(store, texts, cancel=cancel_after_first_search, semantic=False)
    assert found[1:] == [[], []]
    # The first claim's candidates were fetched, but scoring is a phase too: it stops.
    assert found[0] == []
    assert match_claims(store, texts, cancel=lambda: True, semantic=False) == [[], [], []]


def test_first_word_is_not_split_like_a_hashtag() -> None:
    # The text's first word has no character before it: it is no #hashtag to split.
    assert [t.surface for t in tokenize("McDonald raised prices")][:1] == ["McDonald"]
    assert [t.surface for t in tokenize("Économie en berne")][:1] == ["Économie"]
    assert [t.surface for t in tokenize("#McDonald raised prices")][:2] == ["Mc", "Donald"]


def test_a_slice_of_claims_looks_its_words_up_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every word of the claims matched together is counted in one look-up, not one per
    claim (each new word went through SQLite's stemmer once per claim)."""
    stemmed: list[list[str]] = []
    original = store._stems

    def spy(words: Any) -> dict[str, str]:
        stemmed.append(list(words))
        return original(words)

    claims = ["wind turbines cause cancer", "North Korea sent troops", "the minimum wage"]
    alone = [match_claims(store, [claim], semantic=False)[0] for claim in claims]
    store._term_counts.clear()
    monkeypatch.setattr(store, "_stems", spy)
    assert match_claims(store, claims, semantic=False) == alone
    assert len(stemmed) == 1 and {"wind", "korea", "wage"} <= set(stemmed[0])


def test_min_score_skips_the_string_comparisons_of_hopeless_candidates(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``min_score``, a candidate that cannot reach it whatever its costly signals
    (rapidfuzz's, most of scoring's time) is left out before they are worked out; the
    matches are exactly those, with the same scores and signals, that scoring every
    candidate and dropping the low ones gives."""
    from workbench import matching

    claims = [
        "Wind turbines cause cancer, a post says",
        "Pentagon: North Korea has sent 10,000 troops to Russia",
        "The minimum wage in Florida rose to $13",
        "Do vaccines contain microchips?",
        "Crime is up",
    ]
    store.import_archive_records(
        [ArchiveRecord(f"The {n}th wind farm in Texas opened near {town}.", f"f{n}")
         for n, town in enumerate(("Austin", "Waco", "Tyler", "Odessa", "Abilene"))]
        + [ArchiveRecord(f"Troops left Florida for training in {year}.", f"t{year}")
           for year in range(2010, 2015)],
        source="weak",
    )  # fmt: skip
    every = match_claims(store, claims, semantic=False)
    candidates = sum(map(len, matching.candidate_signals(store, claims, semantic=False)))
    compared: list[str] = []
    partial = SIGNALS["partial"]

    def spy(c: Any, p: Any) -> float:
        compared.append(c.claim.text)
        return partial(c, p)

    monkeypatch.setitem(matching.SIGNALS, "partial", spy)
    for min_score in (POSSIBLE_MATCH, STRONG_MATCH, 0.99):
        compared.clear()
        kept = match_claims(store, claims, semantic=False, min_score=min_score)
        assert kept == [[m for m in found if m.score >= min_score] for found in every]
        assert len(compared) < candidates
    compared.clear()
    match_claims(store, claims, semantic=False)
    assert len(compared) == candidates  # without min_score, every candidate as before


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        st.sampled_from(list("aAeEzZÉéΣσ'’.,;:!?#@$%€0129 \n—\"()[]ﬁ_")) | st.characters(),
        max_size=80,
    )
)
def test_a_past_checks_words_are_those_of_its_tokens_whatever_the_text(text: str) -> None:
    from workbench.matching import _bigrams, _content, _words

    tokens = tokenize(text)
    words = _words(text, "")
    assert words.keys == _content(tokens) and words.bigrams == _bigrams(tokens)
    assert words.names == {t.key for t in tokens if t.kind == "name"}
    assert words.numbers == {t.key for t in tokens if t.kind == "number"}


@pytest.mark.parametrize(
    "text",
    [
        "Says Obama didn't raise taxes by $1.5 billion (12%) in 2010. #TaxDay @WhiteHouse",
        "WIND TURBINES CAUSE CANCER, says a post. NOT TRUE",
        "ÄRGER ÜBER DIE STEUER in Berlin",
        "The ﬁnance minister: 12,000 troops, 3 percent; U.S. and NATO. No. 14 said so.",
        "#ALLCAPS #lower #McDonald raised prices @ABCNews",
        "I'm not the one who said \"It's over.\" (Nobody did.)",
        "x" * 40 + " Yzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz and the rest",
        "",
        # a sentence's first word is no name, whatever stands in the three characters before it
        'Obama won. Romney lost.  Ryan too;   Biden\nClinton\n\nTrump (Bush [Gore "Kerry',
        "x. \u00a0Dole x:\u2028Perot x!\tNader x?\r\nNixon",
        "@Bernie said: #Medicare For All. @NYTimes. #MAGA",
    ],
)
def test_a_past_checks_words_are_those_of_its_tokens(text: str) -> None:
    """Matching reads every candidate's words without making its tokens (a long
    article's 9,000 past checks; it explains a few hundred): they are the keys, names,
    numbers and pairs its tokens give, and an explanation gets those very tokens."""
    from workbench.matching import _bigrams, _candidate, _content, _fuzzy_text, _words

    tokens = tokenize(text)
    title = text[:30].upper()
    words = _words(text, title)
    assert words.keys == _content(tokens)
    assert words.title_keys == (_content(tokenize(title)) if title else frozenset())
    assert words.names == {t.key for t in tokens if t.kind == "name"}
    assert words.numbers == {t.key for t in tokens if t.kind == "number"}
    assert words.bigrams == _bigrams(tokens)
    assert words.fuzzy == _fuzzy_text(text)
    claim = ArchiveClaim(1, "t1", "test", text, title, "false", "", "", "", "", None, "")
    assert _candidate(ArchiveCandidate(claim, 1.0), 0).tokens == tokens


def test_a_past_checks_word_pairs_are_nothing_for_the_garbage_collector() -> None:
    """Matching keeps the words of thousands of past checks (8,942 for a long article):
    each pair as a tuple was one more object for the garbage collector to count, and
    their number what set it going through all of the process's objects, once more an
    article."""
    import gc

    from workbench.matching import _words

    words = _words("Obama raised taxes on the middle class in 2010.", "Tax hikes")
    assert len(words.bigrams) == 5
    assert not any(gc.is_tracked(pair) for pair in words.bigrams)
