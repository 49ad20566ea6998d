"""The look-back window (`drop_observations_before`) on every date form an Observation can have.

The loop runs once per prefetched Observation, so its common case (a full
`effectiveDateTime` inside the window) takes a shortcut; these cases pin that every other
form is still judged by the date clinical.md §2 uses, from its first ten characters.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds.datasources.prefetch import drop_observations_before

START = date(2011, 12, 5)


def _obs(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "o", **fields}


@pytest.mark.parametrize(
    ("resource", "kept"),
    [
        (_obs(effectiveDateTime="2011-12-05"), True),  # the first day kept
        (_obs(effectiveDateTime="2011-12-04T23:59:59+14:00"), False),
        (_obs(effectiveDateTime="2011-12-05T00:00:00-12:00"), True),
        (_obs(effectiveDateTime="2011-12"), False),  # a partial date is its first day
        (_obs(effectiveDateTime="2012-01"), True),
        (_obs(effectiveDateTime="2011"), False),
        (_obs(effectiveDateTime="2012"), True),
        (_obs(effectiveDateTime="2011-1"), True),  # unreadable: kept for the mapping to note
        (_obs(effectiveDateTime="abcd-ef-gh"), True),
        (_obs(effectiveDateTime="0000-00-00"), False),  # reads as a date, compares early
        (_obs(effectiveDateTime=""), True),
        (_obs(effectiveDateTime=20100101), True),  # not a string: the next date form counts
        (_obs(effectiveDateTime=20100101, issued="2010-01-01T10:00:00Z"), False),
        (_obs(effectiveInstant="2010-06-01T08:00:00Z"), False),
        (_obs(effectivePeriod={"start": "2009-01-01", "end": "2011-12-05"}), True),
        (_obs(effectivePeriod={"start": "2009-01-01", "end": "2010-12-05"}), False),
        (_obs(effectivePeriod={"start": "2009-01-01"}, issued="2012-01-01T00:00:00Z"), True),
        (_obs(issued="2011-12-04T12:00:00Z"), False),
        (_obs(), True),  # undated: kept, the mapping notes it
        ({"resourceType": "Condition", "onsetDateTime": "1990-01-01"}, True),
        ({"resourceType": "MedicationRequest", "authoredOn": "1990-01-01"}, True),
    ],
)
def test_observations_are_dropped_by_the_date_the_mapping_uses(
    resource: dict[str, Any], kept: bool
) -> None:
    assert (drop_observations_before([resource], START) == [resource]) is kept


def test_order_and_identity_of_what_is_kept_are_unchanged() -> None:
    resources = [
        _obs(id="a", effectiveDateTime="2020-01-01"),
        _obs(id="b", effectiveDateTime="2001-01-01"),
        {"resourceType": "Patient", "id": "p"},
        _obs(id="c", effectiveDateTime="2015"),
    ]
    kept = drop_observations_before(resources, START)
    assert [r["id"] for r in kept] == ["a", "p", "c"]
    assert all(
        k is r for k, r in zip(kept, [resources[0], resources[2], resources[3]], strict=True)
    )
