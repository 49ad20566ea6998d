"""The one pass over a prefetched Bundle's entries (`cds.datasources.prefetch.decide`).

Resources, the count of search matches and the OperationOutcome check come from a single
loop over the entries; these cases pin what it reads from entries of every shape.
"""

from __future__ import annotations

from typing import Any

import pytest

from cds.datasources.prefetch import Decision, bundle_resources, decide, resolve_template

QUERY = resolve_template(
    "conditions", "Condition?patient={{context.patientId}}", {"context.patientId": "p1"}
)
ABSENT = object()
CONDITION = {"resourceType": "Condition", "id": "c1"}


def _bundle(entry: Any, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": entry, **extra}


@pytest.mark.parametrize(
    ("bundle", "decision"),
    [
        (_bundle([{"resource": CONDITION}], total=1), Decision.USE),
        (_bundle([{"resource": CONDITION, "search": {"mode": "match"}}], total=1), Decision.USE),
        (_bundle([{"resource": CONDITION, "search": "odd"}], total=1), Decision.USE),
        (
            _bundle([{"resource": CONDITION, "search": {"mode": "include"}}], total=1),
            Decision.FETCH,
        ),
        (
            _bundle([{"resource": CONDITION}, "not an entry", {"resource": 3}], total=1),
            Decision.USE,
        ),
        (_bundle([{"resource": CONDITION}], total=2), Decision.FETCH),  # cut short
        (_bundle(5, total=3), Decision.FETCH),  # not a list: no entries, fewer than total
        (_bundle({"resource": CONDITION}, total=1), Decision.FETCH),
        (_bundle(None), Decision.USE),
        (
            _bundle([{"resource": CONDITION}, {"resource": {"resourceType": "OperationOutcome"}}]),
            Decision.FETCH,
        ),
    ],
)
def test_entries_of_every_shape(bundle: dict[str, Any], decision: Decision) -> None:
    assert decide(QUERY, bundle, absent=ABSENT).decision is decision


def test_bundle_resources_keeps_order_and_skips_non_objects() -> None:
    second = {"resourceType": "Condition", "id": "c2"}
    bundle = _bundle([{"resource": CONDITION}, 7, {"fullUrl": "x"}, {"resource": second}])
    assert bundle_resources(bundle) == (CONDITION, second)
