"""Debate sentences retold as news reports them: the training data's hard negatives.

CT24 is spoken debate: a candidate's opinion, prediction or promise stands alone, and
the model learns that it is not check-worthy. In news the same sentence arrives quoted
and attributed ("... a serious threat," the minister told reporters), with the names,
titles and dates a debate-trained model reads as signs of a checkable fact. So it
flags quoted reactions, predictions and opinions, which are most of what it wrongly
flags in real news.

:func:`retell` puts a sentence into one of the frames news uses for speech: a direct
quote with the speaker after or before it, or reported speech ("X said that ...",
"according to X, ..."). The label is the sentence's own: the guideline makes
attribution neutral (a quoted checkable fact is a claim; a quoted opinion is not).
A sentence in the first person is reported half the time with its speaker as "they"
("X said that they think ..."), as reporters turn a speaker's opinions and promises into
reported speech; one that addresses someone ("you") or asks is only quoted directly.

Speakers are invented names and generic roles, so the model cannot learn who.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

FIRST_NAMES = (
    "Maria", "James", "Amina", "Chen", "Olga", "Rahul", "Fatima", "Tom", "Ines", "Kwame",
    "Yuki", "Lars", "Sofia", "Ahmed", "Grace", "Pedro", "Hana", "Mark", "Leila", "Ivan",
)  # fmt: skip
SURNAMES = (
    "Alvarez", "Okafor", "Lindqvist", "Park", "Haddad", "Novak", "Brennan", "Mensah",
    "Tanaka", "Moreau", "Kowalski", "Reyes", "Schmidt", "Das", "Petrov", "O'Neill",
    "Costa", "Nakamura", "Walsh", "Abebe",
)  # fmt: skip
TITLES = (
    "Rep.", "Sen.", "Minister", "Mayor", "Governor", "Dr.", "Prof.", "Deputy Minister",
    "Chief Executive", "Commissioner",
)  # fmt: skip
ROLES = (
    "the minister", "a spokesperson for the ministry", "the company", "officials",
    "the senator", "the mayor", "a government spokesman", "the opposition leader",
    "the lawmaker", "the union", "police", "the prime minister's office", "analysts",
    "the governor", "the campaign", "a senior official", "the committee chair",
    "the defense ministry", "residents", "the White House",
)  # fmt: skip
AFFILIATIONS = (
    "of the ruling party", "of the opposition", "of the finance committee",
    "who chairs the health committee", "of the Department of Labor",
    "a member of the city council", "the party's deputy leader",
)  # fmt: skip
AFTER_QUOTE = (
    "{speaker} said.", "{speaker} told reporters.", "{speaker} said in a statement.",
    "{speaker} added.", "{speaker} wrote on social media.", "{speaker} said on Tuesday.",
    "{speaker} told the newspaper.", "said {speaker}.", "{speaker} said in an interview.",
)  # fmt: skip
BEFORE_QUOTE = (
    "{speaker} said: “{quote}”", "{speaker} told reporters: “{quote}”",
    "In a statement, {speaker} said: “{quote}”",
)  # fmt: skip
REPORTED = (
    "{speaker} said {clause}", "{speaker} said that {clause}",
    "{speaker} told reporters that {clause}", "According to {speaker}, {clause}",
    "{speaker} said on Monday that {clause}", "{speaker} argued that {clause}",
    "In an interview, {speaker} said {clause}",
)  # fmt: skip

_PERSONAL = re.compile(r"\b(I|I'm|I've|I'd|I'll|me|my|mine|we|we're|we've|we'll|us|our|ours|"
                       r"you|you're|your|yours)\b", re.IGNORECASE)  # fmt: skip
_SECOND_PERSON = re.compile(r"\b(you|you're|you’re|your|yours|yourself|yourselves)\b", re.I)
_THIRD_PERSON = {
    "i'm": "they're", "i’m": "they're", "i am": "they are", "i was": "they were",
    "i've": "they've", "i’ve": "they've", "i'd": "they'd", "i’d": "they'd",
    "i'll": "they'll", "i’ll": "they'll", "i": "they", "me": "them", "my": "their",
    "mine": "theirs", "myself": "themselves", "we're": "they're", "we’re": "they're",
    "we've": "they've", "we’ve": "they've", "we'll": "they'll", "we’ll": "they'll",
    "we'd": "they'd", "we’d": "they'd", "we": "they", "us": "them", "our": "their",
    "ours": "theirs", "ourselves": "themselves",
}  # fmt: skip
_FIRST_PERSON = re.compile(
    r"\b(?:I(?:'m|’m| am| was|'ve|’ve|'d|’d|'ll|’ll)?|[Mm]e|[Mm]y|[Mm]ine|[Mm]yself|"
    r"[Ww]e(?:'re|’re|'ve|’ve|'ll|’ll|'d|’d)?|us|[Oo]urs?|[Oo]urselves)\b"
)
_FINAL = re.compile(r"[.!?…]+[\"”’']*\s*$")
_SPOKEN_OPENING = re.compile(r"^(and|but|so|well|now|oh|uh|um|look|yes|no|because|or)\b", re.I)


def speaker(rng: random.Random) -> str:
    """An invented person with a title, a named person with a role, or a generic role."""
    kind = rng.random()
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    if kind < 0.3:
        return f"{rng.choice(TITLES)} {name}"
    if kind < 0.5:
        return f"{name}, {rng.choice(AFFILIATIONS)},"
    if kind < 0.65:
        return rng.choice(SURNAMES)
    return rng.choice(ROLES)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _clause(sentence: str) -> str:
    """The sentence as a reported clause: first letter lowered unless it starts a name."""
    first = sentence.split(" ", 1)[0]
    if first.isupper() or (len(first) > 1 and first[1:].lower() != first[1:]):
        return sentence
    return sentence[:1].lower() + sentence[1:]


def third_person(sentence: str) -> str | None:
    """The sentence with its speaker's "I" and "we" as "they" (singular or plural).

    "they" takes the same verb forms as "we", and as "I" once "I am" and "I was" are
    rewritten, so the result stays grammatical. None when the sentence addresses
    someone ("you"), which a report cannot keep.
    """
    if _SECOND_PERSON.search(sentence):
        return None

    def swap(match: re.Match[str]) -> str:
        return _THIRD_PERSON[match[0].lower()]

    return _FIRST_PERSON.sub(swap, sentence)


def retell(sentence: str, rng: random.Random) -> str:
    """``sentence`` as a news report of someone saying it."""
    sentence = " ".join(sentence.split())
    who = speaker(rng)
    body = _FINAL.sub("", sentence)
    ending = sentence[len(body) :].strip() or "."
    personal = bool(_PERSONAL.search(sentence))
    if personal and not _SPOKEN_OPENING.match(sentence) and not ending.startswith("?"):
        reported = third_person(body)
        if reported is not None and rng.random() < 0.5:
            frame = rng.choice(REPORTED)
            return _capitalised(frame.format(speaker=who, clause=f"{_clause(reported)}."))
    spoken = personal or bool(_SPOKEN_OPENING.match(sentence))
    choice = rng.random()
    if spoken or ending.startswith("?") or choice < 0.45:
        tail = rng.choice(AFTER_QUOTE)
        tail = tail.format(speaker=who.rstrip(",") if tail.endswith("{speaker}.") else who)
        mark = "?" if ending.startswith("?") else "!" if ending.startswith("!") else ","
        return f"“{body}{mark}” {tail}"
    if choice < 0.6:
        frame = rng.choice(BEFORE_QUOTE)
        return _capitalised(frame.format(speaker=who, quote=f"{body}{ending[0]}"))
    frame = rng.choice(REPORTED)
    return _capitalised(frame.format(speaker=who, clause=f"{_clause(body)}."))


def retold(
    texts: Sequence[str], labels: Sequence[int], share: float, seed: int
) -> tuple[list[str], list[int]]:
    """About ``share`` of ``texts`` (a seeded sample of both labels) retold, with their labels."""
    rng = random.Random(seed)
    count = round(len(texts) * share)
    chosen = rng.sample(range(len(texts)), min(count, len(texts)))
    usable = [i for i in chosen if len(texts[i].split()) >= 4]
    return [retell(texts[i], rng) for i in usable], [labels[i] for i in usable]
