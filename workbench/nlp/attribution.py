"""Who makes a claim: the claimant that a news sentence names for it.

Reporters attribute in a handful of shapes, and these rules read them from the text
alone (no parser or named-entity model is needed, so they work on ``spacy.blank("en")``):

* a quotation and its speaker: ``“...,” Kim said.``, ``“...,” said Kim.``,
  ``Kim said: “...”``, ``Kim said in an interview that “...”``; every sentence of a
  quotation of several gets the speaker, and a quotation that opens the sentence right
  after one (``“...,” he said. “...”``) continues it;
* a reported statement: ``Kim said (that) ...``, ``..., the ministry said on Monday.``,
  ``Kim told reporters ...``, ``the report found ...``;
* ``according to X``, ``as reported by X``;
* a spokesperson speaks for the one named: ``the ministry’s spokesperson said`` and
  ``a spokesman for the ministry said`` give ``the ministry``, and a report or study
  *by* someone gives that someone (``a study by Amnesty International found``).

The claimant is the speaker as written ("Rep. Lee Un-ju", "the ministry", "the
report"). A pronoun ("he said") takes the last speaker named, when that was at most
:data:`PRONOUN_WINDOW` sentences before and the pronoun fits it: a person for "he" or
"she" (not one written as a woman for "he"), an organisation or a document for "it".
Anything less certain ("they", a person only mentioned, "he" after "the ministry said")
leaves the claimant empty, which the fact-checker fills in, rather than wrong, which
they would first have to notice.

Everything here is pure: the article text and its units (sentences, as character
offsets) in, one :class:`Attribution` per unit out.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from workbench.nlp.sentences import (
    CLOSE_QUOTES,
    OPEN_QUOTES,
    STRAIGHT_QUOTE,
    TITLE_ABBREVIATIONS,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PRONOUN_WINDOW = 3
"""A pronoun ("he said") resolves to a speaker at most this many units back.

Further back, someone else named in between is too often the one meant.
"""

MAX_NAME_WORDS = 10
"""A speaker written with more words than this is a clause misread as a name: none."""

MAX_WORDS_BEFORE_QUOTE = 16
"""``Kim said in a Nov. 24 interview with TASS that “...``: words allowed between the
attribution verb and the quotation it introduces."""

QUOTED_SHARE = 0.5
"""A unit is a quotation when at least this share of its letters and digits is quoted."""

SPEECH_VERBS = _words(
    """said says say told tells added adds announced announces reported reports stated states
    claimed claims confirmed confirms denied denies wrote writes warned warns argued argues
    insisted insists noted notes explained explains testified alleged alleges estimated
    estimates revealed reveals acknowledged acknowledges admitted admits declared declares
    asserted asserts predicted predicts tweeted disclosed discloses concluded concludes"""
)
"""Verbs that attribute what follows, or what precedes, to their subject."""

QUOTING_VERBS = _words("asked asks replied replies responded responds continued continues")
"""Verbs that attribute a quotation (``“Why now?” Kim asked``), but not a reported
statement: "Kim asked the council to help" is a request."""

_PLURAL_VERBS = _words("say")
_NOUN_LIKE = _words("reports claims notes estimates shows finds states")
"""Verbs that are also plural nouns ("the press reports", "his claims"): a verb only
before what can begin a clause or an object."""

FINDING_VERBS = _words("found finds showed shows suggested suggests")
"""Verbs that attribute only for a document (``the report found``) or before ``that``:
``Police found a body`` names no claimant."""

DOCUMENTS = _words(
    """report reports study studies survey surveys analysis audit review investigation
    inquiry poll polls paper research statement assessment census data figures statistics
    estimate estimates document documents filing letter ruling findings"""
)
"""What a claim can come from when no person makes it."""

SPOKESPEOPLE = _words("spokesperson spokesman spokeswoman spokespeople spokespersons spokesmen")
"""They speak for the organisation or person named with them: that one is the claimant."""

PERSON_ROLES = _words(
    """minister president lawmaker legislator senator representative congressman
    congresswoman governor mayor official spokesperson spokesman spokeswoman chair chairman
    chairwoman chief secretary director professor researcher scientist author leader
    ambassador envoy diplomat commander general officer head manager founder executive ceo
    coach analyst expert doctor physician nurse lawyer attorney judge prosecutor witness
    resident man woman victim candidate player member deputy adviser advisor economist
    historian teacher student owner worker inspector detective captain activist campaigner
    father mother son daughter husband wife brother sister king queen prince princess pope
    bishop priest premier chancellor mp justice biologist engineer journalist reporter
    editor producer actor actress singer artist athlete farmer pilot soldier driver
    spokesperson survivor organizer organiser"""
)
"""Head nouns that name one person: "the defense minister" can be "he" or "she"."""

ORGANISATION_WORDS = _words(
    """ministry party office agency committee council department government university
    association institute court union nations organization organisation bank company
    corporation group times post herald news press service police commission board
    foundation federation league network authority administration assembly parliament
    congress senate house center centre society fund program programme force army navy
    guard club inc ltd corp co television radio channel wikinews reuters ap afp yonhap
    tass xinhua bureau embassy school hospital team firm report study survey statement
    regime military cabinet coalition alliance"""
)
"""Head words of names that are not persons: "it said", never "he said"."""

_PERSON_PRONOUNS = frozenset({"he", "she"})
_THING_PRONOUNS = frozenset({"it"})
_PRONOUNS = _PERSON_PRONOUNS | _THING_PRONOUNS | frozenset({"i", "we", "they", "you"})

_STOP = _words(
    """that which who whom whose where when while as because if after before since though
    although so but or nor yet than to in on at by from into onto with without about over
    under during through between among against is are was were be been being has have had
    do does did will would can could may might shall should must not also however this
    these there here then meanwhile instead finally separately continuing asked speaking
    what why how whether unless until like and"""
)
"""Words that end a speaker's name read backwards from the verb (compared lowercased)."""

_OWNER_LINKS = _words("for by from")
"""``a spokesman for the ministry``, ``a report by Amnesty``: the name after is the claimant."""

_PLACE_LINKS = _words("in at from for by")
"""``officials in Seoul``, ``researchers at Harvard``: part of a group's description."""

_SKIPPED_BEFORE_VERB = _words(
    """also earlier later previously then reportedly further again separately publicly
    recently has have had once repeatedly officially initially subsequently privately
    first already personally openly formally explicitly flatly firmly strongly directly
    immediately originally allegedly apparently himself herself itself themselves"""
)
"""Adverbs, auxiliaries and reflexives between a speaker and the verb: ``Kim also said``,
``has said``, ``Santorum himself has acknowledged``."""

_PREPOSITIONS = _words(
    """from of in on at with by for about to into onto over under through between among
    against without during across toward towards near"""
)
"""Words before a name that make it an object, not the speaker ("seen by Sky News says")."""

_RESEARCHERS = _words("researchers scientists authors investigators analysts experts")
"""Who *finds* what they report ("the scientists found reduced yields")."""
_ENVOYS = _words("ambassador ambassadors envoy envoys representative delegate adviser advisor")
_NOT_IN_NAMES = _words("made just only quoting citing speaking writing saying")
_CLAUSE_ENDS = frozenset({".", ";", ":", "?", "!", "(", ")", "—", "–"})
MAX_APPOSITION_TOKENS = 40
"""How far back before ``, said`` the name opening the clause may be."""

_PASSIVE = _words("was were is are be been being")
_TIME_WORDS = _words(
    """yesterday today tonight monday tuesday wednesday thursday friday saturday sunday week
    month year weekend night morning afternoon evening january february march april may
    june july august september october november december"""
)
_TIME_PREPOSITIONS = _words("on last this early late in")
_STARTERS = _words(
    """the a an his her its their our my your one two three four five six several some many
    most other another both each every all this these those senior top"""
)
"""Words a described speaker may begin with: ``the ministry``, ``one official``."""

_GROUPS = _words("officials sources authorities police people experts media")
_NAME_PARTICLES = _words("of de del da la le von van der al bin the and")

_QUOTE_MARKS = OPEN_QUOTES | CLOSE_QUOTES | {STRAIGHT_QUOTE}
_LINE_BREAKS = frozenset("\n\r\u2028\u2029\x0b\x0c\x85")

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\w+(?:[’'\-&.]\w+)*|[^\w\s]")
_POSSESSIVE = re.compile(r"[’']s?$")
_ACCORDING = re.compile(
    r"\b(?:according\s+to|as\s+(?:reported|announced|stated|said)\s+by)\s+", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who one unit of an article is attributed to.

    ``claimant`` is the speaker as written, or ``""`` when none is named or a pronoun
    could not be resolved. ``quoted``: the unit is mostly a quotation. ``phrase`` is
    where the attribution ("Kim said", "according to the ministry") is written, in
    offsets of the article, when it lies in this unit: the claim's content is the rest.
    ``pronoun`` is the pronoun the claimant was resolved from, if it was.
    """

    claimant: str = ""
    quoted: bool = False
    phrase: tuple[int, int] | None = None
    pronoun: str = ""


@dataclass(frozen=True, slots=True)
class Speaker:
    """An attribution found in one piece of text, in offsets of that text.

    ``name`` is the claimant as written, or a pronoun in lower case ("he");
    ``phrase`` spans the whole attribution ("the ministry said", "according to Kim").
    """

    name: str
    phrase: tuple[int, int]

    @property
    def pronoun(self) -> str:
        return self.name if self.name in _PRONOUNS else ""


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def is_word(self) -> bool:
        return self.text[:1].isalnum()


def _tokens(text: str) -> list[_Token]:
    return [_Token(m[0], m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _is_stop(tokens: Sequence[_Token], j: int) -> bool:
    """Whether ``tokens[j]`` ends a name: "Theresa May" is a name, "Then Kim" is not."""
    token = tokens[j]
    if token.lower not in _STOP:
        return False
    if token.text[:1].islower():
        return True
    return j == 0 or not tokens[j - 1].is_word  # capitalised: only at the start of a clause


def _is_role(word: str) -> bool:
    """A word naming people by what they do: "minister", "officials", "researchers"."""
    lower = word.lower()
    return lower in PERSON_ROLES or lower in _GROUPS or lower.removesuffix("s") in PERSON_ROLES


def _is_name_dot(tokens: Sequence[_Token], i: int) -> bool:
    """Whether the ``.`` at ``i`` belongs to a name ("Rep. Lee", "U.S. Navy", "J. K. Smith")."""
    if i == 0 or tokens[i - 1].end != tokens[i].start:
        return False
    before = tokens[i - 1].text
    return before in TITLE_ABBREVIATIONS or (before[:1].isupper() and len(before) <= 3)


def _is_link(tokens: Sequence[_Token], j: int) -> bool:
    """Whether the small word at ``j`` joins two parts of one speaker's description.

    ``a spokesman for the ministry``, ``a report by Amnesty``, ``officials in Seoul``,
    ``Ambassador to the United States``, ``Council on Foreign Relations``, ``Smith and
    Jones``; but not ``Kim met Yoon in Seoul``.
    """
    if j == 0 or j + 1 >= len(tokens) or not tokens[j - 1].is_word:
        return False
    word, before, after = tokens[j].lower, tokens[j - 1], tokens[j + 1]
    if word in _OWNER_LINKS and (before.lower in DOCUMENTS or before.lower in SPOKESPEOPLE):
        return True
    if word in _PLACE_LINKS and _is_role(before.text):
        return True
    if word == "to" and before.lower in _ENVOYS:
        return True
    named = before.text[:1].isupper()
    if word in {"on", "for"} and named and after.text[:1].isupper():
        return True
    return word == "and" and named and (after.text[:1].isupper() or after.lower == "the")


def _valid_name(words: Sequence[_Token]) -> bool:
    """Whether ``words`` can name a speaker: a name, a pronoun or a described someone."""
    words = [t for t in words if t.is_word]
    if not words or len(words) > MAX_NAME_WORDS:
        return False
    first, head = words[0], words[-1]
    if _POSSESSIVE.search(head.text) or head.lower in _STARTERS:
        return False
    if head.lower in _STOP and not head.text[:1].isupper():
        return False
    if len(words) == 1 and first.lower in _PRONOUNS:
        return True
    if any(w.lower in _PRONOUNS for w in words) or all(w.lower in _TIME_WORDS for w in words):
        return False
    if first.text[:1].isupper() or first.lower in _STARTERS or first.text[:1].isdigit():
        return True
    if head.text[:1].isupper() and len(words) > 1:
        return True  # a title before a name: "coauthor Colette Heald", "curator Elaine Gus"
    # A bare group: "officials said", "police told", "witnesses said".
    return (
        _is_role(first.text)
        or first.lower in ORGANISATION_WORDS
        or (len(words) == 1 and first.lower.endswith("s") and not first.lower.endswith("ss"))
    )


def _name_before(tokens: Sequence[_Token], end: int) -> int | None:
    """The first token of the name whose last token is ``tokens[end]``, read backwards.

    None when the words there are no name, or are the object of a preposition ("from
    the press reports", "seen by Sky News says"): the speaker is then someone else.
    """
    j = end
    while j >= 0:
        token = tokens[j]
        if token.is_word and token.lower in _PRONOUNS and j < end:
            break
        joined = (
            (token.text == "." and _is_name_dot(tokens, j))
            or (token.is_word and not _is_stop(tokens, j))
            or (j < end and _is_link(tokens, j))
        )
        if not joined:
            break
        j -= 1
    first = j + 1
    while first < end and tokens[first].lower in _TIME_WORDS:
        first += 1  # "Thursday Kim said"
    if first > end or not _valid_name(tokens[first : end + 1]):
        return None
    if first == j + 1 and j >= 0 and tokens[j].lower in _PREPOSITIONS:
        return None
    return first


def _speaker_before(tokens: Sequence[_Token], verb: int) -> tuple[int, int] | None:
    """The token range ``(first, last)`` of the speaker written before ``tokens[verb]``."""
    j = verb - 1
    while j >= 0 and tokens[j].lower in _SKIPPED_BEFORE_VERB:
        j -= 1
    if j >= 0 and tokens[j].lower in _PASSIVE:
        return None  # "he was told", "it is said"
    if j >= 1 and tokens[j].lower in _TIME_WORDS and tokens[j - 1].lower in _TIME_PREPOSITIONS:
        j -= 2  # "Kim on Thursday said"
    if j < 0:
        return None
    if tokens[j].text == ",":
        return _speaker_before_apposition(tokens, j, verb)
    first = _name_before(tokens, j)
    return None if first is None else (first, j)


def _speaker_before_apposition(
    tokens: Sequence[_Token], comma: int, verb: int
) -> tuple[int, int] | None:
    """``Rep. Kang, deputy chair of the committee, told``: the name that opens the clause.

    The clause is cut at commas; the first part that is a name entire is the speaker,
    and the parts after it describe them ("Cynthia Thompson, curator at the University
    of Arkansas, Fayetteville, said" is Cynthia Thompson's).
    """
    commas = [comma]
    j = comma - 1
    while j >= 0:
        token = tokens[j]
        if comma - j > MAX_APPOSITION_TOKENS:
            return None
        if token.text == ",":
            commas.append(j)
        elif (token.text in _CLAUSE_ENDS and not _is_name_dot(tokens, j)) or (
            token.text in _QUOTE_MARKS
        ):
            break
        j -= 1
    starts = [j + 1, *(c + 1 for c in reversed(commas[1:]))]
    ends = [c - 1 for c in reversed(commas)]
    # With one part only, the comma merely divides the speaker from the verb ("Lydia
    # Buchtmann for Food Standards Australia, says ...") unless a name follows the verb
    # ("Recipients, said Mauer, are"); with more parts, the last one describes.
    inverted = _speaker_after(tokens, verb + 1)
    if len(commas) == 1 and inverted is not None and tokens[inverted[0]].lower not in _PRONOUNS:
        return None
    parts = list(zip(starts, ends, strict=True))
    candidates = parts if len(commas) == 1 else parts[:-1]
    for n, (start, end) in enumerate(candidates):
        if start <= end and _name_before(tokens, end) == start:
            after = parts[n + 1] if n + 1 < len(parts) else None
            if after is not None and _described(tokens[start : end + 1]):
                first, last = after
                if first <= last and _proper_name(tokens[first : last + 1]):
                    # "The opposition leader, Mark Dunn, said": both, the name included
                    # (and "the spokesman" still tells who "she" cannot be)
                    return start, last
            return start, end
    return None


def _described(words: Sequence[_Token]) -> bool:
    """Whether ``words`` describe someone without naming them: "the opposition leader"
    (not a spokesperson or a report, whose owner is the claimant: see :func:`_claimant`)."""
    return words[0].lower in {"the", "a", "an"} and not any(
        w.text[:1].isupper() or w.lower in SPOKESPEOPLE or w.lower in DOCUMENTS for w in words[1:]
    )


def _proper_name(words: Sequence[_Token]) -> bool:
    """Whether ``words`` are a person's or body's name, every word capitalised: "Mark Dunn"."""
    named = [w for w in words if w.is_word]
    return 0 < len(named) <= 5 and all(w.text[:1].isupper() for w in named)


def _speaker_after(tokens: Sequence[_Token], start: int) -> tuple[int, int] | None:
    """The token range of a name that begins at ``tokens[start]`` ("said *the ministry* on")."""
    if start >= len(tokens) or not tokens[start].is_word or tokens[start].lower in _STOP:
        return None
    j = start
    while j < len(tokens):
        token = tokens[j]
        if token.text == "." and _is_name_dot(tokens, j) and j + 1 < len(tokens):
            following = tokens[j + 1]
            if following.start == token.end or (
                following.text[:1].isupper() and tokens[j - 1].text in TITLE_ABBREVIATIONS
            ):
                j += 1
                continue
            break
        if j > start and _ends_name_after(tokens, j):
            if _is_link(tokens, j):
                j += 1
                continue
            break
        if not token.is_word:
            break
        j += 1
    last = j - 1
    while last >= start and not tokens[last].is_word:
        last -= 1
    if last < start or not _valid_name(tokens[start : last + 1]):
        return None
    return start, last


def _ends_name_after(tokens: Sequence[_Token], j: int) -> bool:
    """Whether ``tokens[j]``, read forwards, is past the end of the name before it."""
    token = tokens[j]
    if not token.is_word:
        return True
    if _is_stop(tokens, j) or token.lower in _PRONOUNS or token.lower in _NOT_IN_NAMES:
        return True
    if token.lower in {"the", "a", "an"} and tokens[j - 1].text[:1].isupper():
        return True  # "according to Rathbun the property was": a new phrase begins
    return token.text.islower() and token.text.endswith("ed") and len(token.text) > 4


def _claimant(text: str, tokens: Sequence[_Token], span: tuple[int, int]) -> str:
    """Who a speaker's description names: the owner of a spokesperson or of a report."""
    first, last = span
    words = tokens[first : last + 1]
    if len(words) == 1 and words[0].lower in _PRONOUNS:
        return words[0].lower
    for k, word in enumerate(words[:-2]):
        if (word.lower in SPOKESPEOPLE or word.lower in DOCUMENTS) and (
            words[k + 1].lower in _OWNER_LINKS
        ):
            return _written(text, words[k + 2].start, words[-1].end)  # "a study by *Amnesty*"
    for k, word in enumerate(words[:-1]):
        rest = {w.lower for w in words[k + 1 :]}
        if _POSSESSIVE.search(word.text) and rest & (SPOKESPEOPLE | DOCUMENTS):
            owner = _written(text, words[0].start, word.end)  # "*the ministry*’s spokesperson"
            return _POSSESSIVE.sub("", owner)
    return _written(text, words[0].start, words[-1].end)


def _written(text: str, start: int, end: int) -> str:
    return " ".join(text[start:end].split())


def _speaker_of(text: str, tokens: Sequence[_Token], verb: int) -> Speaker | None:
    """The speaker of the verb at ``tokens[verb]``: before it, or after it when inverted."""
    verb_token = tokens[verb]
    after = tokens[verb + 1] if verb + 1 < len(tokens) else None
    following = after.lower if after is not None else ""
    if following in _PASSIVE or following in {"has", "have", "had", "about"}:
        return None  # the noun: "as some reports had speculated"; "wrote about the war"
    if verb_token.lower in _NOUN_LIKE and not (
        after is not None
        and (
            following in {"that", *_PRONOUNS, *_STARTERS}
            or after.text[:1].isupper()
            or after.text[:1].isdigit()
            or after.text in {",", ":", *_QUOTE_MARKS}
        )
    ):
        return None  # "the news reports (BBC etc.) were", "the claims of": nouns
    finding = verb_token.lower in FINDING_VERBS
    span = _speaker_before(tokens, verb)
    if span is not None:
        words = tokens[span[0] : span[1] + 1]
        described = {t.lower for t in words}
        if finding and following != "that" and not described & (DOCUMENTS | _RESEARCHERS):
            return None  # "Police found a body"
        if verb_token.lower in _PLURAL_VERBS and not _plural(words):
            return None  # "Take say on Obama": "say" needs "officials", "they", "we"
        name = _claimant(text, tokens, span)
        return Speaker(name, (tokens[span[0]].start, verb_token.end))
    # Inverted: "..., said Kim." / "“...,” said the ministry."
    if finding or verb == 0 or tokens[verb - 1].text not in {",", *_QUOTE_MARKS}:
        return None
    span = _speaker_after(tokens, verb + 1)
    if span is None or tokens[span[0]].lower in _PRONOUNS:
        return None
    return Speaker(_claimant(text, tokens, span), (verb_token.start, tokens[span[1]].end))


def _plural(words: Sequence[_Token]) -> bool:
    head = words[-1].lower
    return (
        head in {"we", "they", "i", "you"}
        or (words[-1].text.isupper() and len(head) > 1)  # "WHO say": British usage
        or head in _GROUPS
        or (head.endswith("s") and not head.endswith("ss"))
        or any(w.lower == "and" for w in words)
    )


def find_speakers(text: str, *, quoting: bool = False) -> list[Speaker]:
    """Every attribution written in ``text``, in reading order; pronouns stay pronouns.

    ``text`` is one sentence, or part of one; quoted words should be masked first
    (see :func:`attribute`), or a verb inside a quotation counts. With ``quoting``,
    ``text`` is what stands right before or after a quotation, where "asked" and
    "replied" attribute it too; elsewhere they ask for something ("asked the council to
    help") rather than state it.
    """
    tokens = _tokens(text)
    found: list[Speaker] = []
    for match in _ACCORDING.finditer(text):
        start = next((i for i, t in enumerate(tokens) if t.start >= match.end()), None)
        span = None if start is None else _speaker_after(tokens, start)
        if span is not None and tokens[span[0]].lower not in _PRONOUNS:
            name = _claimant(text, tokens, span)
            found.append(Speaker(name, (match.start(), tokens[span[1]].end)))
    for i, token in enumerate(tokens):
        verb = token.text  # in lower case: "the United States", "Reports of ..." are names
        if verb in SPEECH_VERBS or verb in FINDING_VERBS or (quoting and verb in QUOTING_VERBS):
            speaker = _speaker_of(text, tokens, i)
            if speaker is not None:
                found.append(speaker)
    found.sort(key=lambda speaker: speaker.phrase[0])
    return found


def sentence_speaker(text: str) -> Speaker | None:
    """The speaker of one sentence (quoted words masked), or None.

    ``according to X`` comes first; then an attribution that closes the sentence
    (``..., Kim said.``), which reports everything before it; then the first one.
    """
    speakers = find_speakers(text)
    for speaker in speakers:
        if _ACCORDING.match(text, speaker.phrase[0]):
            return speaker
    if len(speakers) > 1:
        last = speakers[-1]
        tail = text[last.phrase[1] :].split()
        if text[: last.phrase[0]].rstrip().endswith((",", *_QUOTE_MARKS)) and (
            len(tail) <= 8 and "that" not in tail
        ):
            return last
    return speakers[0] if speakers else None


# -- quotations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Quote:
    """A quotation: from its opening mark to just after its closing one (or the line end)."""

    start: int
    end: int
    closed: bool


def _quotations(text: str) -> list[_Quote]:
    """Every double-quoted passage of ``text``; a quotation never spans a line break.

    An opening mark with no closing one before the line ends quotes the rest of the
    line. A quotation of several paragraphs may also close only at its end, with no
    mark opening the paragraphs after the first: a closing mark with no opening one,
    in the paragraph after one left open, quotes that paragraph up to it. A straight
    quote opens after a space (or before a word, after punctuation) and closes before
    a space or after a word, as a curly one would.
    """
    found: list[_Quote] = []
    opened: int | None = None
    line_start = 0
    left_open = False  # the last paragraph with text ended inside a quotation
    for i, char in enumerate(text):
        if char in _LINE_BREAKS:
            if opened is not None:
                found.append(_Quote(opened, i, False))
            if text[line_start:i].strip():
                left_open = opened is not None
            opened, line_start = None, i + 1
            continue
        if char == STRAIGHT_QUOTE:
            before = text[i - 1] if i > line_start else " "
            after = text[i + 1] if i + 1 < len(text) else " "
            if before.isspace() or before in "([{—–/":
                closing = opened is not None and after.isspace()
            else:  # "all," said: closes; said,"Warhol: opens
                closing = after.isspace() or before.isalnum() or after in ".,;:!?)]"
        elif char in OPEN_QUOTES:
            opened = i
            continue
        elif char in CLOSE_QUOTES:
            closing = True
        else:
            continue
        if not closing:
            opened = i
        elif opened is not None:
            found.append(_Quote(opened, i + 1, True))
            opened = None
        elif left_open and (not found or found[-1].end <= line_start):
            start = line_start + len(text[line_start:i]) - len(text[line_start:i].lstrip())
            found.append(_Quote(start, i + 1, True))
    if opened is not None:
        found.append(_Quote(opened, len(text), False))
    return found


class _Article:
    """An article's text, units and quotations, with the lookups between them.

    Units and quotations are each sorted and non-overlapping, so every lookup is a
    bisection: a long article with many quotations stays linear.
    """

    def __init__(self, text: str, units: Sequence[tuple[int, int]]) -> None:
        self.text = text
        self.units = list(units)
        self.unit_starts = [start for start, _ in self.units]
        self.quotes = _quotations(text)
        self.quote_starts = [quote.start for quote in self.quotes]

    def unit_at(self, offset: int) -> int | None:
        """The index of the unit that holds character ``offset``, if any."""
        index = bisect.bisect_right(self.unit_starts, offset) - 1
        if index >= 0 and offset < self.units[index][1]:
            return index
        return None

    def quotes_in(self, start: int, end: int) -> list[int]:
        """The indexes of the quotations that overlap ``start:end``."""
        index = max(bisect.bisect_right(self.quote_starts, start) - 1, 0)
        found: list[int] = []
        while index < len(self.quotes) and self.quotes[index].start < end:
            if self.quotes[index].end > start:
                found.append(index)
            index += 1
        return found

    def masked(self, start: int, end: int) -> str:
        """``text[start:end]`` with quoted words blanked: a verb inside a quotation is not
        the attribution. The quotation marks stay, so a name is never read across one."""
        chars = list(self.text[start:end])
        for index in self.quotes_in(start, end):
            quote = self.quotes[index]
            for k in range(max(quote.start, start), min(quote.end, end)):
                if self.text[k] not in _QUOTE_MARKS:
                    chars[k - start] = " "
        return "".join(chars)

    def main_quote(self, start: int, end: int) -> int | None:
        """The quotation ``start:end`` mostly is (:data:`QUOTED_SHARE`), if it is one."""
        text = self.text
        total = sum(1 for k in range(start, end) if text[k].isalnum())
        best: tuple[int, int] | None = None
        inside = 0
        for index in self.quotes_in(start, end):
            quote = self.quotes[index]
            count = sum(
                1 for k in range(max(quote.start, start), min(quote.end, end)) if text[k].isalnum()
            )
            inside += count
            if best is None or count > best[0]:
                best = (count, index)
        if best is None or not total or inside / total < QUOTED_SHARE:
            return None
        return best[1]

    def quote_speaker(self, quote: _Quote) -> Speaker | None:
        """The speaker of ``quote``, in offsets of the article: after it, or before it."""
        close_unit = self.unit_at(quote.end - 1)
        if quote.closed and close_unit is not None:
            # From the closing mark on, so that "...” said Kim" reads as inverted.
            after = self.masked(quote.end - 1, self.units[close_unit][1])
            speaker = _speaker_after_quote(after)
            if speaker is not None:
                return _shifted(speaker, quote.end - 1)
        open_unit = self.unit_at(quote.start)
        if open_unit is not None:
            unit_start = self.units[open_unit][0]
            speaker = _speaker_before_quote(self.masked(unit_start, quote.start))
            if speaker is not None:
                return _shifted(speaker, unit_start)
        return None

    def quote_speakers(self) -> list[Speaker | None]:
        """The speaker of each quotation; one that opens the unit right after an attributed
        quotation continues it (``“...,” he said. “...”``)."""
        speakers: list[Speaker | None] = []
        last: tuple[Speaker, int] | None = None  # the last speaker, the unit it ends in
        for quote in self.quotes:
            speaker = self.quote_speaker(quote)
            open_unit = self.unit_at(quote.start)
            if (
                speaker is None
                and last is not None
                and open_unit == last[1] + 1
                and self.units[open_unit][0] == quote.start
            ):
                speaker = last[0]
            speakers.append(speaker)
            if speaker is not None:
                ends = [self.unit_at(quote.end - 1), self.unit_at(speaker.phrase[0])]
                known = [unit for unit in ends if unit is not None]
                last = (speaker, max(known)) if known else None
        return speakers


def _speaker_after_quote(after: str) -> Speaker | None:
    """An attribution that follows a quotation at once: ``,” Kim said``, ``” said Kim``."""
    speakers = find_speakers(after, quoting=True)
    if speakers and not after[: speakers[0].phrase[0]].strip(' ,\u00a0“”«»"'):
        return speakers[0]
    return None


def _speaker_before_quote(before: str) -> Speaker | None:
    """An attribution that introduces a quotation: ``Kim said in an interview that “``."""
    speakers = find_speakers(before, quoting=True)
    if not speakers:
        return None
    # The unit is one sentence, so a "." between is an abbreviation ("in a Nov. 24 interview").
    if len(before[speakers[-1].phrase[1] :].split()) > MAX_WORDS_BEFORE_QUOTE:
        return None
    return speakers[-1]


def _shifted(speaker: Speaker, offset: int) -> Speaker:
    start, end = speaker.phrase
    return Speaker(speaker.name, (start + offset, end + offset))


# -- the article -------------------------------------------------------------------------


def _words_of(name: str) -> list[str]:
    return [w.strip(".") for w in re.findall(r"[\w’'\-.]+", name) if w.strip(".")]


def _head(words: Sequence[str]) -> str:
    return _POSSESSIVE.sub("", words[-1]).lower()


_FEMALE = _words(
    """she spokeswoman woman mother daughter wife sister queen princess actress chairwoman
    congresswoman businesswoman girl ms mrs miss madam"""
)
_MALE = _words(
    """he spokesman man father son husband brother king prince chairman congressman
    businessman boy mr sir"""
)


def _kind(name: str) -> str:
    """``"person"``, ``"thing"`` (an organisation, a document) or ``""`` when not clear."""
    words = _words_of(name)
    if not words:
        return ""
    head = _head(words)
    lowered = [_POSSESSIVE.sub("", w).lower() for w in words]
    if head in ORGANISATION_WORDS or head in DOCUMENTS or (words[-1].isupper() and len(head) > 1):
        return "thing"
    if head in PERSON_ROLES or any(w in PERSON_ROLES or w in _MALE | _FEMALE for w in lowered):
        return "person"
    if any(w in ORGANISATION_WORDS or w in DOCUMENTS for w in lowered):
        return ""
    if lowered[0] in _STARTERS or any(w.isupper() and len(w) > 1 for w in words):
        return ""  # "the delegation", "some lawmakers": not known to be one person
    proper = all(w[:1].isupper() or w.lower() in _NAME_PARTICLES for w in words)
    return "person" if proper else ""


@dataclass
class _Recent:
    """The last speaker named: the claimant, its unit and its kind (see :func:`_kind`)."""

    last: tuple[str, int, str] | None = None

    def note(self, claimant: str, index: int) -> None:
        self.last = (claimant, index, _kind(claimant))

    def resolve(self, pronoun: str, index: int, window: int) -> str:
        """The claimant ``pronoun`` stands for, or ``""`` when that is not clear.

        Only the last speaker named counts, and only when the pronoun fits it: "he"
        after "the ministry said" is someone the rules cannot tell.
        """
        if self.last is None:
            return ""
        name, at, kind = self.last
        if index - at > window:
            return ""
        if pronoun in _THING_PRONOUNS:
            return name if kind == "thing" else ""
        if pronoun not in _PERSON_PRONOUNS or kind != "person":
            return ""  # "I", "we", "they" are not resolved
        words = {_POSSESSIVE.sub("", w).lower() for w in _words_of(name)}
        other = _FEMALE if pronoun == "he" else _MALE
        return "" if words & other else name


def attribute(
    text: str, units: Sequence[tuple[int, int]], *, pronoun_window: int = PRONOUN_WINDOW
) -> list[Attribution]:
    """The attribution of each unit of ``text``.

    Args:
        text: The article.
        units: Its sentences as ``(start, end)`` character offsets, in reading order and
            not overlapping: every sentence, not only the claims, since a pronoun and a
            quotation of several sentences look at their neighbours.
        pronoun_window: How many units back a pronoun may find its speaker.
    """
    article = _Article(text, units)
    quote_speakers = article.quote_speakers()
    recent = _Recent()
    resolved: dict[tuple[int, int], str] = {}  # a quotation's pronoun, resolved once
    results: list[Attribution] = []
    for index, (start, end) in enumerate(units):
        main_quote = article.main_quote(start, end)
        quoted = main_quote is not None
        speaker: Speaker | None = None
        if main_quote is not None:
            speaker = quote_speakers[main_quote]
        else:
            local = sentence_speaker(article.masked(start, end))
            speaker = None if local is None else _shifted(local, start)
        if speaker is None:
            results.append(Attribution(quoted=quoted))
            continue
        phrase = None
        if start <= speaker.phrase[0] < end:
            phrase = (speaker.phrase[0], min(speaker.phrase[1], end))
        pronoun = speaker.pronoun
        if not pronoun:
            claimant = speaker.name
            recent.note(claimant, index)
        elif speaker.phrase in resolved:
            claimant = resolved[speaker.phrase]
        else:
            claimant = resolved[speaker.phrase] = recent.resolve(pronoun, index, pronoun_window)
            if claimant:
                recent.note(claimant, index)
        results.append(Attribution(claimant, quoted, phrase, pronoun))
    return results
