"""A contract's recording retention: 7 days, 14 days, or until the client asks, never past
five years after the contract ends."""

from datetime import date, timedelta

import pytest

from lyceum.orgs.models import Contract


@pytest.mark.parametrize(
    ("choice", "kept"),
    [
        (Contract.RecordingRetention.DAYS_7, timedelta(days=7)),
        (Contract.RecordingRetention.DAYS_14, timedelta(days=14)),
    ],
)
def test_a_recording_is_kept_as_long_as_the_client_chose(choice, kept):
    contract = Contract(
        starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31), seats=5, recording_retention=choice
    )
    assert contract.recording_kept_for(date(2027, 3, 1)) == kept


def test_until_asked_is_never_past_five_years_after_the_contract():
    contract = Contract(
        starts_on=date(2027, 1, 1),
        ends_on=date(2027, 12, 31),
        seats=5,
        recording_retention=Contract.RecordingRetention.UNTIL_ASKED,
    )
    recorded = date(2027, 3, 1)
    assert recorded + contract.recording_kept_for(recorded) == date(2032, 12, 31)
    assert contract.is_current(date(2027, 6, 1)) and not contract.is_current(date(2028, 1, 1))
