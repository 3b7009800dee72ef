"""Google Fact Check Tools API responses as archives, and ratings given only as numbers."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.core.cli_runner import run
from tests.core.test_hostile_input import check_archive, inputs
from workbench.archive import import_archive, publisher_from_url, read_archive
from workbench.errors import ImportFormatError
from workbench.models import ArticleDraft, DetectedClaim, Status
from workbench.past_checks import scale_verdict, verdict_to_status
from workbench.store import Store

from .test_store import snapshot

POLITIFACT = "https://www.politifact.com/factchecks/2019/apr/03/donald-trump/wind-turbines-cancer/"
FACTCHECK = "https://www.factcheck.org/2019/04/trump-wind-turbines/"
SNOPES = "https://www.snopes.com/fact-check/shark-highway-flood/"
AFP = "https://factcheck.afp.com/doc.afp.com.33KQ9XY"

PAGE_ONE: dict[str, object] = {
    "claims": [
        {
            "text": "Wind turbines cause cancer.",
            "claimant": "Donald Trump",
            "claimDate": "2019-04-02T00:00:00Z",
            "claimReview": [
                {
                    "publisher": {"name": "PolitiFact", "site": "politifact.com"},
                    "url": POLITIFACT,
                    "title": "No, wind turbines do not cause cancer",
                    "reviewDate": "2019-04-03T00:00:00Z",
                    "textualRating": "Pants on Fire",
                    "languageCode": "en",
                },
                {
                    "publisher": {"site": "factcheck.org"},
                    "url": FACTCHECK,
                    "title": "Trump's Wind Turbine Claims",
                    "textualRating": "False",
                    "languageCode": "en",
                },
            ],
        },
        {  # no claimant, a publisher without a name or site, a rating only as a number
            "text": "A photo shows a shark swimming on a flooded highway.",
            "claimDate": "2017-08-28T00:00:00Z",
            "claimReview": [
                {
                    "publisher": {},
                    "url": SNOPES,
                    "title": "Shark swimming on a flooded highway?",
                    "reviewDate": "2017-08-29T00:00:00Z",
                    "reviewRating": {"ratingValue": 2, "bestRating": 5, "worstRating": 1},
                    "languageCode": "en",
                }
            ],
        },
    ],
    "nextPageToken": "CAI",
}
PAGE_TWO: dict[str, object] = {
    "claims": [
        {
            "text": "Drinking hot water kills the coronavirus.",
            "claimant": "Facebook posts",
            "claimReview": [
                {
                    "publisher": {"name": "AFP Fact Check", "site": "factcheck.afp.com"},
                    "url": AFP,
                    "title": "Hot water does not kill the novel coronavirus",
                    "reviewDate": "2020-03-12T00:00:00Z",
                    "textualRating": "False",
                    "languageCode": "en",
                }
            ],
        }
    ]
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "wb.db", user="tester") as s:
        yield s


def write(path: Path, content: object) -> Path:
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return path


# -- the API's responses ---------------------------------------------------------------------


def test_one_record_per_review_with_claim_and_review_fields(tmp_path: Path) -> None:
    parsed = read_archive(write(tmp_path / "search.json", PAGE_ONE))
    assert (parsed.format, parsed.unit, parsed.skipped) == ("factcheck-api", "record", ())
    politifact, factcheck, snopes = parsed.records
    assert politifact.text == factcheck.text == "Wind turbines cause cancer."
    assert (politifact.external_id, politifact.url) == (POLITIFACT, POLITIFACT)
    assert politifact.title == "No, wind turbines do not cause cancer"
    assert (politifact.verdict, politifact.publisher) == ("Pants on Fire", "PolitiFact")
    assert (politifact.speaker, politifact.date) == ("Donald Trump", "2019-04-03")
    # No review date: the claim's; no publisher name: the site the API gives.
    assert (factcheck.date, factcheck.publisher, factcheck.line) == (
        "2019-04-02",
        "factcheck.org",
        1,
    )
    # No claimant; no publisher at all: the review URL's host, without www.
    assert (snopes.speaker, snopes.publisher, snopes.line) == ("", "snopes.com", 2)
    assert snopes.verdict == "mostly false (2 on a scale of 1 to 5)"
    assert [verdict_to_status(r.verdict) for r in parsed.records] == [Status.DISPUTED] * 3


def test_imported_api_review_verdict_applies_to_a_claim(store: Store, tmp_path: Path) -> None:
    report = import_archive(store, write(tmp_path / "factchecks.json", PAGE_ONE))
    assert (report.format, report.added, report.duplicates) == ("factcheck-api", 3, 0)
    assert import_archive(store, tmp_path / "factchecks.json").duplicates == 3
    sentence = "A photo shows a shark swimming on a flooded highway in Houston."
    detected = DetectedClaim(0, len(sentence), sentence, 0.9)
    claim = store.add_article(ArticleDraft(sentence, title="Shark"), [detected]).claims[0]
    (past,) = store.archive_search("shark highway")
    assert past.publisher == "snopes.com"
    applied = store.apply_past_verdict(claim.id, past.id)
    assert applied.status is Status.DISPUTED
    assert [e.url for e in applied.evidence] == [SNOPES]


ARRAY = json.dumps([PAGE_ONE, PAGE_TWO])
CONCATENATED = json.dumps(PAGE_ONE, indent=2) + "\n" + json.dumps(PAGE_TWO, indent=2)  # cat p*.json
LINES = json.dumps(PAGE_ONE) + "\n" + json.dumps(PAGE_TWO) + "\n"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("pages.json", ARRAY),
        ("pages", ARRAY),
        ("pages.json", CONCATENATED),
        ("pages.txt", CONCATENATED),
        ("pages.jsonl", LINES),
        ("pages.json", LINES),
    ],
)
def test_several_pages_in_one_file(tmp_path: Path, name: str, content: str) -> None:
    parsed = read_archive(write(tmp_path / name, content))
    assert [r.url for r in parsed.records] == [POLITIFACT, FACTCHECK, SNOPES, AFP]
    assert parsed.records[-1].publisher == "AFP Fact Check" and not parsed.skipped


def test_a_bad_claim_or_review_skips_only_itself(tmp_path: Path) -> None:
    page = {
        "claims": [
            PAGE_TWO["claims"][0],  # type: ignore[index]
            {"claimant": "Nobody", "claimReview": [{"url": SNOPES}]},
            {"text": "A claim nobody reviewed."},
            {"text": "A claim with one bad review.", "claimReview": ["oops", {"url": FACTCHECK}]},
            {"text": "Reviews in a string.", "claimReview": "False"},
            ["not", "a", "claim"],
        ]
    }
    as_document = read_archive(write(tmp_path / "page.json", page))
    assert [r.url for r in as_document.records] == [AFP, FACTCHECK]
    assert as_document.skipped == (
        (2, "no 'text'"),
        (3, "no review in 'claimReview'"),
        (4, "review 1: not a JSON object"),
        (5, "'claimReview' is not a list of reviews"),
        (6, "not a JSON object"),
    )
    as_lines = read_archive(
        write(tmp_path / "pages.jsonl", json.dumps(PAGE_TWO) + "\n" + json.dumps(page))
    )
    assert [r.url for r in as_lines.records] == [AFP, AFP, FACTCHECK]
    assert [(line, why.split(":")[0]) for line, why in as_lines.skipped] == [
        (2, "claim 2"), (2, "claim 3"), (2, "claim 4"), (2, "claim 5"), (2, "claim 6"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{}", "not a ClaimReview document, a Fact Check API response"),
        ('{"claims": []}', "holds no valid claim record"),
        ('{"claims": "none", "nextPageToken": "x"}', "without a list of 'claims'"),
        ('{"nextPageToken": "CAI"}', "without a list of 'claims'"),
        ('{"claims": [{"text": "x", "claimReview": []}]}', "no review in 'claimReview'"),
        ('{"claims": [{"text": 12, "claimReview": [{}]}]}', "'text' is not a string"),
        ('{"claims": [{"text": "Wind', "not valid JSON \\(line 1,"),
        (CONCATENATED + '\n{"claims": [', "not valid JSON \\(line 72, column 13: Expecting value"),
        ('{"claims": [{"text": "x", "claimReview": [{"reviewRating": {"ratingValue": '
         + "9" * 5000 + "}}]}]}", "a number too long"),
        ("[" * 100_000, "nested too deeply"),
    ],
)  # fmt: skip
def test_malformed_responses_are_one_line_errors_and_import_nothing(
    store: Store, tmp_path: Path, content: str, message: str
) -> None:
    path = write(tmp_path / "search.json", content)
    before = snapshot(store.path)
    with pytest.raises(ImportFormatError, match=message) as raised:
        import_archive(store, path)
    assert "\n" not in str(raised.value)
    assert snapshot(store.path) == before


def test_an_overlong_number_in_json_lines_skips_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "pages.jsonl", '{"text": 1' + "0" * 5000 + "}\n" + json.dumps(PAGE_TWO))
    parsed = read_archive(path)
    assert [r.url for r in parsed.records] == [AFP]
    assert parsed.skipped == ((1, "holds a number too long to read"),)


# -- ratings given only as a number ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "worst", "best", "verdict", "status"),
    [
        (1, 1, 5, "false (1 on a scale of 1 to 5)", Status.DISPUTED),
        (2, 1, 5, "mostly false (2 on a scale of 1 to 5)", Status.DISPUTED),
        (3, 1, 5, "mixed (3 on a scale of 1 to 5)", Status.UNVERIFIABLE),
        (4, 1, 5, "mostly true (4 on a scale of 1 to 5)", Status.VERIFIED),
        (5, 1, 5, "true (5 on a scale of 1 to 5)", Status.VERIFIED),
        (0, 0, 10, "false (0 on a scale of 0 to 10)", Status.DISPUTED),
        (4, 0, 10, "mixed (4 on a scale of 0 to 10)", Status.UNVERIFIABLE),
        (6, 0, 10, "mixed (6 on a scale of 0 to 10)", Status.UNVERIFIABLE),
        (10, 0, 10, "true (10 on a scale of 0 to 10)", Status.VERIFIED),
        (2, 1, 6, "mostly false (2 on a scale of 1 to 6)", Status.DISPUTED),  # 0.2: nearer
        (5, 1, 6, "mostly true (5 on a scale of 1 to 6)", Status.VERIFIED),  # the middle
        (1, 5, 1, "true (1 on a scale of 5 to 1)", Status.VERIFIED),  # less is truer
        (0.5, 0, 1, "mixed (0.5 on a scale of 0 to 1)", Status.UNVERIFIABLE),
    ],
)
def test_scale_ends_and_middle(
    value: float, worst: float, best: float, verdict: str, status: Status
) -> None:
    assert scale_verdict(value, best=best, worst=worst) == verdict
    assert verdict_to_status(verdict) is status


@pytest.mark.parametrize(
    ("value", "worst", "best"),
    [
        (0, 1, 5),
        (6, 1, 5),
        (3, 3, 3),
        (float("nan"), 1, 5),
        (1, -math.inf, 5),
        (1e308, -1e308, 1e308),
    ],
)
def test_off_the_scale_is_no_verdict(value: float, worst: float, best: float) -> None:
    assert scale_verdict(value, best=best, worst=worst) is None


MIRRORED = {
    Status.DISPUTED: Status.VERIFIED,
    Status.VERIFIED: Status.DISPUTED,
    Status.UNVERIFIABLE: Status.UNVERIFIABLE,
}


@given(value=st.floats(), best=st.floats(), worst=st.floats())
def test_any_scale_gives_a_status_or_none_and_mirrors(
    value: float, best: float, worst: float
) -> None:
    verdict = scale_verdict(value, best=best, worst=worst)
    mirrored = scale_verdict(value, best=worst, worst=best)
    assert (verdict is None) == (mirrored is None)
    if verdict is not None and mirrored is not None:
        status = verdict_to_status(verdict)
        assert status is not None and verdict_to_status(mirrored) is MIRRORED[status]


def claim_review(rating: Mapping[str, object], **extra: object) -> dict[str, object]:
    return {
        "@type": "ClaimReview",
        "claimReviewed": "Drinking hot water kills the coronavirus.",
        "url": "https://www.Example-Checks.org/hot-water",
        "reviewRating": {"@type": "Rating", **rating},
        **extra,
    }


@pytest.mark.parametrize(
    ("rating", "verdict"),
    [
        ({"ratingValue": 1, "bestRating": 5, "worstRating": 1}, "false (1 on a scale of 1 to 5)"),
        ({"ratingValue": " 3", "bestRating": "5"}, "mixed (3 on a scale of 1 to 5)"),
        ({"ratingValue": 5, "bestRating": 5}, "true (5 on a scale of 1 to 5)"),  # worst: 1
        ({"ratingValue": 0, "worstRating": 0}, "false (0 on a scale of 0 to 5)"),  # best: 5
        ({"ratingValue": 2}, "2"),  # no scale given: kept as published, no status
        ({"ratingValue": 9, "bestRating": 5, "worstRating": 1}, "9"),  # off the scale
        ({"ratingValue": -1, "bestRating": "five", "worstRating": 1}, "-1"),
        ({"ratingValue": 1, "bestRating": 5, "alternateName": "Misleading"}, "Misleading"),
    ],
)  # fmt: skip
def test_claimreview_numeric_rating(
    tmp_path: Path, rating: dict[str, object], verdict: str
) -> None:
    (record,) = read_archive(write(tmp_path / "reviews.json", claim_review(rating))).records
    assert record.verdict == verdict


def test_claimreview_publisher_from_author_else_url_host(tmp_path: Path) -> None:
    rating = {"alternateName": "False"}
    unnamed = claim_review(rating)
    named = claim_review(rating, url="https://example.org/x", author={"name": "Example Checks"})
    parsed = read_archive(write(tmp_path / "reviews.json", [unnamed, named]))
    assert [r.publisher for r in parsed.records] == ["example-checks.org", "Example Checks"]


@pytest.mark.parametrize(
    ("url", "publisher"),
    [
        ("https://www.politifact.com/factchecks/x/", "politifact.com"),
        ("http://factcheck.afp.com:8080/a", "factcheck.afp.com"),
        ("https://xn--bcher-kva.example/check", "bücher.example"),
        ("https://www.politifact.com@evil.example/x", "evil.example"),  # where it opens
        # A browser ends the host at "\\" (audit): not the name after the "@".
        ("https://evil.example\\@www.politifact.com/x", "evil.example"),
        ("https://www./x", ""),
        ("javascript:alert(1)", ""),
        ("politifact.com/x", ""),
        ("https://[::1/x", ""),
        ("", ""),
    ],
)
def test_publisher_from_url(url: str, publisher: str) -> None:
    assert publisher_from_url(url) == publisher


# -- the command line ------------------------------------------------------------------------


def test_cli_imports_an_api_response(tmp_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    path = write(tmp_path / "factchecks.json", [PAGE_ONE, {"claims": [{"text": "No review."}]}])
    code, out = run("import", str(path), "--db", db, "--no-embed")
    assert code == 0
    assert out == "imported 3 claims into 'factchecks' (0 duplicates, 1 malformed: record 3)\n"
    code, out = run("import", str(path), "--db", db, "--json", "--no-embed", "--source", "api")
    assert code == 0
    data = json.loads(out)
    assert (data["format"], data["read"], data["added"]) == ("factcheck-api", 3, 3)
    assert data["malformed"] == [{"record": 3, "reason": "no review in 'claimReview'"}]
    code, out = run("archive", "--search", "shark", "--db", db, "--json", "--source", "api")
    (found,) = json.loads(out)
    assert found["verdict"] == "mostly false (2 on a scale of 1 to 5)" and found["url"] == SNOPES


def test_cli_refuses_a_broken_response_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "search.json", '{"claims": "none"}')
    code, out = run("import", str(path), "--db", str(tmp_path / "cli.db"))
    err = capsys.readouterr().err
    assert code == 2 and out == ""
    assert err.startswith("workbench: error: search.json holds no valid claim record")
    assert err.count("\n") == 1


# -- hostile input ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("factcheck-api")


@pytest.fixture(scope="module")
def fuzz_store(scratch: Path) -> Iterator[Store]:
    with Store(scratch / "fuzz.db", user="fuzz") as opened:
        yield opened


SEED = (json.dumps(PAGE_ONE, indent=1) + "\n" + json.dumps(PAGE_TWO)).encode()


@given(data=inputs(SEED))
def test_damaged_api_responses_give_records_or_one_line(
    fuzz_store: Store, scratch: Path, data: bytes
) -> None:
    check_archive(fuzz_store, scratch, data, ".json")
