"""42 CFR Part 2 consent matching (pure)."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from speciosa.clinical.privacy import part2
from speciosa.clinical.privacy.part2 import (
    ConsentTerms,
    DataCategory,
    DisclosureRequest,
    Purpose,
    matching_consent,
    refusal_reason,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def terms(**overrides) -> ConsentTerms:
    fields = dict(
        consent_id="c1",
        recipient="Ohio Opioid Registry",
        purposes=frozenset({Purpose.REGISTRY_REPORTING}),
        categories=frozenset({DataCategory.DEMOGRAPHICS, DataCategory.SUBSTANCE_USE}),
        effective_at=NOW - timedelta(days=10),
        expires_at=NOW + timedelta(days=10),
        signed_at=NOW - timedelta(days=10),
        revoked_at=None,
    )
    fields.update(overrides)
    return ConsentTerms(**fields)


def request(**overrides) -> DisclosureRequest:
    fields = dict(
        recipient="Ohio Opioid Registry",
        purpose=Purpose.REGISTRY_REPORTING,
        categories=frozenset({DataCategory.SUBSTANCE_USE}),
        at=NOW,
    )
    fields.update(overrides)
    return DisclosureRequest(**fields)


def test_a_matching_consent_covers_the_request():
    assert refusal_reason(terms(), request()) is None


def test_recipient_matches_ignoring_case_and_spaces():
    assert refusal_reason(terms(), request(recipient="  ohio   opioid REGISTRY ")) is None


def test_another_recipient_is_refused():
    assert refusal_reason(terms(), request(recipient="Employer Inc")) == (
        "consent names another recipient"
    )


def test_another_purpose_is_refused():
    reason = refusal_reason(terms(), request(purpose=Purpose.PAYMENT))
    assert reason == "consent does not cover the purpose payment"


def test_a_category_outside_the_consent_is_refused_and_named():
    reason = refusal_reason(
        terms(), request(categories=frozenset({DataCategory.LABS, DataCategory.DEMOGRAPHICS}))
    )
    assert reason == "consent does not cover: labs"


def test_expired_revoked_unsigned_and_future_consents_are_refused():
    assert refusal_reason(terms(expires_at=NOW), request()) == "consent has expired"
    assert refusal_reason(terms(revoked_at=NOW - timedelta(seconds=1)), request()) == (
        "consent was revoked"
    )
    assert refusal_reason(terms(signed_at=None), request()) == "consent is not signed"
    assert refusal_reason(terms(effective_at=NOW + timedelta(days=1)), request()) == (
        "consent is not yet in effect"
    )


def test_the_longest_running_covering_consent_is_chosen():
    short = terms(consent_id="short", expires_at=NOW + timedelta(days=1))
    long = terms(consent_id="long", expires_at=NOW + timedelta(days=90))
    revoked = terms(consent_id="revoked", expires_at=NOW + timedelta(days=900), revoked_at=NOW)
    assert matching_consent([short, revoked, long], request()).consent_id == "long"


def test_no_consent_means_no_match():
    assert matching_consent([], request()) is None
    assert part2.refusal_reasons([], request()) == ["no consent on file"]


@given(
    consented=st.sets(st.sampled_from(list(DataCategory))),
    asked=st.sets(st.sampled_from(list(DataCategory)), min_size=1),
)
def test_allowed_exactly_when_every_asked_category_is_consented(consented, asked):
    result = refusal_reason(
        terms(categories=frozenset(consented)), request(categories=frozenset(asked))
    )
    assert (result is None) == (asked <= consented)


def test_notice_is_the_2_32_statement_with_its_citation():
    notice = part2.redisclosure_notice()
    assert notice.startswith("This record which has been disclosed to you is protected by")
    assert "(42 CFR part 2)" in notice and "see 42 CFR 2.31" in notice
    assert part2.redisclosure_notice(short=True) == (
        "42 CFR part 2 prohibits unauthorized use or disclosure of these records."
    )
    assert "section-2.32" in (part2.citation("part2-redisclosure-notice").url or "")


def test_every_privacy_entry_has_a_citation():
    for entry_id in (
        "part2-redisclosure-notice",
        "part2-consent-elements",
        "part2-accounting-of-disclosures",
    ):
        assert part2.citation(entry_id).url.startswith("https://www.ecfr.gov/")


def test_scope_statement_names_recipient_purpose_categories_and_expiry():
    text = part2.scope_statement(terms())
    assert "Ohio Opioid Registry" in text and "registry reporting" in text
    assert "demographics, substance use" in text and "2026-06-11" in text
