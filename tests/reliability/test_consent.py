"""Consent cannot be silently defeated: names that differ only in case or spaces still
count, unknown names and unreadable expiries are refused where they are written, and an
offer cannot pass as inbound to skip consent and contact caps."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from one2one.errors import ConsentError, DataContractError, InvalidBatchError
from one2one.interact import ContactPolicy, FrequencyCap, Interaction, InteractionLog

AT = dt.datetime(2026, 7, 1, 10, tzinfo=dt.UTC)


def _variants(word):
    """The same name as a careless caller may type it: any case, spaces around."""
    return st.builds(
        lambda cases, left, right: (
            left
            + "".join(c.upper() if up else c for c, up in zip(word, cases, strict=False))
            + right
        ),
        st.lists(st.booleans(), min_size=len(word), max_size=len(word)),
        st.sampled_from(["", " ", "\t", "  "]),
        st.sampled_from(["", " ", "\n", "  "]),
    )


def _offer(at=AT, **fields):
    return Interaction(
        customer_id="c1", occurred_at=at, channel="email", kind="offer_made", **fields
    )


@given(purpose=_variants("marketing"), channel=_variants("email"))
def test_a_withdrawal_with_any_spelling_of_a_known_name_takes_effect(purpose, channel):
    log = InteractionLog()
    log.consent.grant("c1", "marketing", channel="email", at=AT - dt.timedelta(days=2))
    assert log.consent.allows("c1", "marketing", "email", at=AT)
    log.consent.withdraw("c1", purpose, channel=channel, at=AT - dt.timedelta(days=1))
    assert not log.consent.allows("c1", "marketing", "email", at=AT)
    assert not log.consent.allows("c1", purpose, channel, at=AT)
    with pytest.raises(ConsentError):
        log.append(_offer())
    assert log.count("c1", kinds=["offer_made"]) == 0


@given(name=st.text(min_size=1, max_size=12).filter(lambda s: s.strip().lower() != "marketing"))
def test_an_unknown_purpose_is_refused_naming_the_known_ones(name):
    log = InteractionLog()
    if name.strip().lower() in log.purposes:
        return
    with pytest.raises(DataContractError, match="marketing") as caught:
        log.consent.withdraw("c1", name, at=AT)
    assert caught.value.column == "purpose"
    assert len(log) == 0


def test_an_unknown_channel_is_refused_at_write_and_at_question():
    log = InteractionLog()
    with pytest.raises(DataContractError, match="email") as caught:
        log.consent.withdraw("c1", "marketing", channel="e-mail", at=AT)
    assert caught.value.column == "channel"
    with pytest.raises(DataContractError, match="unknown channel"):
        log.consent.allows("c1", "marketing", "fax", at=AT)
    assert len(log) == 0


@pytest.mark.parametrize("expires", ["next year", "2027-13-01T00:00:00+00:00", 17, "2027-01-01"])
def test_an_unreadable_expiry_is_refused_and_never_breaks_later_checks(expires):
    log = InteractionLog()
    grant = Interaction(
        customer_id="c1",
        occurred_at=AT - dt.timedelta(days=1),
        channel="web",
        kind="consent_granted",
        payload={"purpose": "marketing", "expires_at": expires},
    )
    with pytest.raises(InvalidBatchError, match="expires_at"):
        log.append(grant)
    result = log.append([grant, _offer_ok_later()], on_invalid="quarantine")
    assert result.quarantined == 1
    assert not log.consent.allows("c1", "marketing", "email", at=AT)  # answers, no error


def _offer_ok_later():
    return Interaction(customer_id="c2", occurred_at=AT, channel="web", kind="visit")


def test_an_expiry_with_any_zone_is_stored_in_utc_and_applied():
    log = InteractionLog()
    log.append(
        Interaction(
            customer_id="c1",
            occurred_at=AT - dt.timedelta(days=1),
            channel="web",
            kind="consent_granted",
            payload={"purpose": " Marketing ", "expires_at": "2026-07-01T12:00:00+02:00"},
        )
    )
    assert log.consent.allows("c1", "marketing", "email", at=AT - dt.timedelta(hours=1))
    assert not log.consent.allows("c1", "marketing", "email", at=AT)  # 10:00 UTC is 12:00+02
    stored = log.history("c1")["payload"].iloc[0]
    assert stored == {"purpose": "marketing", "expires_at": "2026-07-01T10:00:00+00:00"}


def test_an_offer_labelled_inbound_is_refused_and_an_offer_is_outbound_by_default():
    with pytest.raises(DataContractError, match="outbound") as caught:
        _offer(direction="inbound")
    assert caught.value.column == "direction"
    assert _offer().direction == "outbound"
    log = InteractionLog()
    log.consent.grant("c1", "marketing", at=AT - dt.timedelta(days=1))
    policy = ContactPolicy(log, [FrequencyCap(1, dt.timedelta(days=7))])
    log.append(_offer())
    assert not policy.check("c1", "email", AT + dt.timedelta(hours=1)).allowed
    raw = _offer().to_dict() | {"direction": "inbound", "event_id": "x"}
    with pytest.raises(InvalidBatchError, match="outbound"):
        log.append(raw)
