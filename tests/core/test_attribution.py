"""Who makes a claim and what kind of claim it is (issue 12): every quoted sentence its own
unit with its speaker, the claimant stored at analysis and never over a fact-checker's edit,
and one primary type first among the reasons."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language

from tests.core.test_store import database_before
from workbench.analysis import analyze_article
from workbench.models import ArticleDraft, ClaimType
from workbench.nlp import _units, build_pipeline, detect_claims
from workbench.nlp.attribution import Attribution, attribute
from workbench.nlp.claim_types import classify, without_phrase
from workbench.store import Store


@pytest.fixture(scope="module")
def nlp() -> Language:
    """The blank pipeline with the rules alone: what is tested here is not the model."""
    return build_pipeline(use_model=False)


def units(nlp: Language, text: str) -> list[tuple[int, int]]:
    """The sentences of ``text`` as the pipeline cuts them, without surrounding whitespace."""
    return _units(nlp(text), text)


def attributed(nlp: Language, text: str) -> list[tuple[str, Attribution]]:
    """Each unit's text with its attribution."""
    spans = units(nlp, text)
    return [(text[a:b], found) for (a, b), found in zip(spans, attribute(text, spans), strict=True)]


def claimants(nlp: Language, text: str) -> list[str]:
    return [found.claimant for _, found in attributed(nlp, text)]


# --- a quotation of several sentences -----------------------------------------------------------

QUOTE = (
    "“North Korea sent 12,000 troops to Russia in October. Russia paid $5 million for 240 "
    "rockets in 2023. The United Nations counted 70 deaths on Monday,” Kim Yong-hyun said."
)


def test_each_quoted_sentence_is_a_claim_with_the_speaker(nlp: Language) -> None:
    claims = detect_claims(QUOTE, nlp=nlp)
    assert [c.text for c in claims] == [
        "“North Korea sent 12,000 troops to Russia in October.",
        "Russia paid $5 million for 240 rockets in 2023.",
        "The United Nations counted 70 deaths on Monday,” Kim Yong-hyun said.",
    ]
    for claim in claims:
        assert QUOTE[claim.start : claim.end] == claim.text
        assert claim.claimant == "Kim Yong-hyun"


def test_speaker_named_before_a_quotation_of_several_sentences(nlp: Language) -> None:
    text = "Rep. Lee Un-ju said: “We sent 200 troops. They came back.” Nobody asked."
    assert attributed(nlp, text) == [
        ("Rep. Lee Un-ju said: “We sent 200 troops.", Attribution("Rep. Lee Un-ju", True, (0, 19))),
        ("They came back.”", Attribution("Rep. Lee Un-ju", True, None)),
        ("Nobody asked.", Attribution()),
    ]


def test_a_quotation_opening_the_next_sentence_continues_the_speaker(nlp: Language) -> None:
    text = "“We agreed on five points,” Kim said.\n\n“It was a good day. We left at noon.”"
    assert claimants(nlp, text) == ["Kim", "Kim", "Kim"]


def test_the_attribution_phrase_is_located(nlp: Language) -> None:
    text = "North Korea sent 12,000 troops, the Ukrainian defense minister said on Wednesday."
    ((_, found),) = attributed(nlp, text)
    assert found.phrase is not None
    assert text[found.phrase[0] : found.phrase[1]] == "the Ukrainian defense minister said"


# --- claimants ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "claimant"),
    [
        # said after
        (
            "North Korea sent some 12,000 troops to Russia, the Ukrainian defense minister "
            "said on Wednesday.",
            "the Ukrainian defense minister",
        ),
        ("“The war is an illegal invasion,” Kim said.", "Kim"),
        (
            "“We will respond,” said Defense Minister Kim Yong-hyun.",
            "Defense Minister Kim Yong-hyun",
        ),
        ("Institutional recipients, said Mauer, must show the photographs.", "Mauer"),
        (
            "“If South Korea provides weapons, it could turn into a proxy war,” Rep. Lee Un-ju, "
            "one of the lawmakers who authored the resolution, told reporters.",
            "Rep. Lee Un-ju",
        ),
        # said before
        (
            "Umerov said in a statement on Thursday that North Korea sent 12,000 troops.",
            "Umerov",
        ),
        ("Kim Jong-un told reporters that 200 troops arrived.", "Kim Jong-un"),
        (
            "Rep. Kang Dae-sik, deputy chair of the Assembly defense committee, told The Korea "
            "Herald that the talks failed.",
            "Rep. Kang Dae-sik",
        ),
        (
            "Russian Deputy Foreign Minister Andrey Rudenko said in a Nov. 24 interview with TASS "
            "that “Seoul must realize that relations will be destroyed.”",
            "Russian Deputy Foreign Minister Andrey Rudenko",
        ),
        ("Officials in Seoul said 20 people died.", "Officials in Seoul"),
        # a description, then the name in apposition: the name with it
        (
            "The opposition leader, Mark Dunn, said the government had ignored warnings.",
            "The opposition leader, Mark Dunn",
        ),
        ("A spokeswoman for the ministry, Jane Roe, said the talks failed.", "the ministry"),
        (
            "The minister, who spoke for an hour, said 12,000 troops had arrived.",
            "The minister",
        ),
        # according to
        ("North Korea sent 12,000 troops, according to the ministry.", "the ministry"),
        (
            "According to the South Korean defense minister, the Ukrainian delegation reported "
            "that Russia has deployed North Korean weapons.",
            "the South Korean defense minister",
        ),
        # a report, a spokesperson: the named organisation when there is one
        ("The report found that prices rose 5% last year.", "The report"),
        ("A report by Amnesty International found that 300 people died.", "Amnesty International"),
        ("The ministry’s spokesperson said the talks failed.", "The ministry"),
        ("A spokesman for the ministry said the talks failed.", "the ministry"),
        ("PC World's analysis of its own traffic concluded that IE lost.", "PC World"),
        # no claimant
        ("North Korea sent 12,000 troops to Russia.", ""),
        ("Police found a body on Monday.", ""),
        ("He was told that 20 people died.", ""),
        ("From all the press reports that I have read, the government acted.", ""),
        ("Trump asked the council to help the girls enter the country.", ""),
    ],
)
def test_claimant_of_a_sentence(nlp: Language, sentence: str, claimant: str) -> None:
    assert claimants(nlp, sentence) == [claimant]


def test_quoted_verbs_are_not_the_attribution(nlp: Language) -> None:
    text = "“Police said the road was closed,” Kim said."
    assert claimants(nlp, text) == ["Kim"]


def test_pronoun_takes_the_person_who_spoke_just_before(nlp: Language) -> None:
    text = (
        "The Ukrainian defense minister said North Korea sent 12,000 troops. "
        "“These actions pose a serious threat. The troops are gaining experience,” he said. "
        "Defensive weapons would be considered first, he added."
    )
    found = attributed(nlp, text)
    assert [a.claimant for _, a in found] == ["The Ukrainian defense minister"] * 4
    assert [a.pronoun for _, a in found] == ["", "he", "he", "he"]


@pytest.mark.parametrize(
    "text",
    [
        # "he" after an organisation spoke: someone the rules cannot tell
        "The ministry said 20 people died. “It was a bad day,” he said.",
        # "she" for a man named as one
        "The spokesman, Kim Jong-un, said 20 people died. “It was a bad day,” she said.",
        # nobody spoke before
        "Kim met Yoon in Seoul on Monday. “We agreed on five points,” he said.",
        # the speaker is too far back
        "Kim said 20 died. The road closed. The rain stopped. The sun rose. The shops opened. "
        "“It was a bad day,” he said.",
    ],
)
def test_pronoun_left_empty_when_not_clear(nlp: Language, text: str) -> None:
    assert claimants(nlp, text)[-1] == ""


def test_it_takes_the_organisation_that_spoke_just_before(nlp: Language) -> None:
    text = "The ministry said 20 people died. It added that 30 were hurt."
    assert claimants(nlp, text) == ["The ministry", "The ministry"]


def test_straight_quotes_of_several_paragraphs(nlp: Language) -> None:
    text = (
        'After the match, coach Nabil Maaloul said, "We played a skilled team.\n\n'
        'A draw would have been excellent for us."\n\nThe fans went home.'
    )
    assert claimants(nlp, text) == ["coach Nabil Maaloul", "coach Nabil Maaloul", ""]


# --- claim types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "quoted", "claim_type"),
    [
        ("North Korea sent some 12,000 troops to Russia.", False, ClaimType.QUANTITY),
        ("Unemployment fell to 3.5% in May.", False, ClaimType.QUANTITY),
        ("Rents are twice as high as a decade ago.", False, ClaimType.QUANTITY),
        ("Half of the households have no car.", False, ClaimType.QUANTITY),
        ("The boat was turned around twice off Malaysia on Friday.", False, ClaimType.EVENT),
        ("The flooding was caused by heavy rain.", False, ClaimType.CAUSE),
        ("Hospitals closed because the power failed.", False, ClaimType.CAUSE),
        ("South Korea is the largest donor in Asia.", False, ClaimType.COMPARISON),
        ("This drought was worse than the one in the 1980s.", False, ClaimType.COMPARISON),
        ("The law bans smoking in bars.", False, ClaimType.LAW),
        ("The court ruled the merger unlawful.", False, ClaimType.LAW),
        ("The court's ruling on Tuesday upheld the merger.", False, ClaimType.LAW),
        ("Kim met Umerov on Wednesday in Seoul.", False, ClaimType.EVENT),
        ("The delegation arrived in Seoul on Monday.", False, ClaimType.EVENT),
        ("The United Nations has already characterized it as such,”", True, ClaimType.QUOTE),
        ("“The delegation met Yoon in Seoul.”", True, ClaimType.QUOTE),
        ("The economy will grow next year.", False, ClaimType.PREDICTION),
        ("Ties would suffer.", False, ClaimType.PREDICTION),
        ("I think the plan is a disaster.", False, ClaimType.OPINION),
        ("The decision is unacceptable.", False, ClaimType.OPINION),
        ("Republic of Korea is South Korea’s official name.", False, ClaimType.OTHER),
    ],
)
def test_claim_type(sentence: str, quoted: bool, claim_type: ClaimType) -> None:
    assert classify(sentence, quoted=quoted).type is claim_type


def test_a_ruling_party_is_no_ruling() -> None:
    for party in ("the ruling party", "some ruling People Power Party lawmakers"):
        assert classify(f"Aid will be harder to broaden, {party} said.").type is not ClaimType.LAW


def test_type_reason_names_the_type_and_its_cue() -> None:
    assert classify("Prices rose 5% last year.").reason == "type: quantity or statistic (5%)"
    assert (
        classify("Kim met Umerov on Wednesday in Seoul.").reason == "type: event (met, Wednesday)"
    )
    # No action verb: the name alone is not shown as if it were the event.
    reported = "“did not receive any proposals” about buying the Cheongung system, it emerged."
    assert classify(reported).reason == "type: event"
    assert classify("Hospitals closed because the power failed.").reason == (
        "type: cause and effect (because)"
    )


def test_the_attribution_does_not_make_a_statement_an_event(nlp: Language) -> None:
    text = "The minister said on Monday that the plan is sound."
    ((sentence, found),) = attributed(nlp, text)
    assert found.phrase == (0, len("The minister said"))
    assert classify(without_phrase(sentence, found.phrase)).type is not ClaimType.EVENT


def test_detected_claims_carry_type_and_claimant(nlp: Language) -> None:
    text = "North Korea sent some 12,000 troops to Russia, the Ukrainian defense minister said."
    (claim,) = detect_claims(text, nlp=nlp)
    assert claim.claimant == "the Ukrainian defense minister"
    assert claim.type is ClaimType.QUANTITY
    assert claim.reasons[0] == "type: quantity or statistic (12,000)"
    assert "number: 12,000" in claim.reasons


# --- stored at analysis, never over the fact-checker's edit -------------------------------------

ARTICLE = (
    "North Korea sent some 12,000 troops to Russia, the Ukrainian defense minister said on "
    "Wednesday.\n\nOn Thursday, 70 lawmakers introduced a resolution in Seoul."
)


def test_analysis_stores_claimant_and_type(tmp_path: Path, nlp: Language) -> None:
    with Store(tmp_path / "w.db") as store:
        result = analyze_article(store, ArticleDraft(ARTICLE, title="Troops"), nlp=nlp)
        troops, lawmakers = result.claims
        assert troops.claimant == "the Ukrainian defense minister"
        assert troops.type is ClaimType.QUANTITY
        assert troops.reasons[0].startswith("type: quantity or statistic")
        assert lawmakers.claimant == ""
        assert store.claim(troops.id) == troops


def test_analysing_again_keeps_the_fact_checkers_claimant(tmp_path: Path, nlp: Language) -> None:
    with Store(tmp_path / "w.db") as store:
        first = analyze_article(store, ArticleDraft(ARTICLE, title="Troops"), nlp=nlp)
        troops = first.claims[0]
        store.update_claim(troops.id, claimant="Rustem Umerov")
        again = analyze_article(store, ArticleDraft(ARTICLE, title="Again"), nlp=nlp)
        assert not again.created
        assert again.claims[0].id == troops.id
        assert again.claims[0].claimant == "Rustem Umerov"
    with Store(tmp_path / "w.db") as store:
        assert store.claim(troops.id).claimant == "Rustem Umerov"
        assert [h.field for h in store.history(troops.id)] == ["claimant"]


def test_a_database_from_before_claim_types_opens_and_keeps_its_claims(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = database_before(path, "0004_claim_type")
    old.execute(
        "INSERT INTO articles (title, imported_at, text, content_hash)"
        " VALUES ('Old', 'x', 'Kim said 5 died.', 'h')"
    )
    old.execute(
        'INSERT INTO claims (article_id, start, "end", text, score, claimant, created_at,'
        " updated_at) VALUES (1, 0, 16, 'Kim said 5 died.', 0.9, 'Kim', 'x', 'x')"
    )
    old.conn.commit()
    old.conn.close()
    with Store(path) as store:
        (claim,) = store.claims(1)
        assert claim.claimant == "Kim"
        assert claim.type is None
