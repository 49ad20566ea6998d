"""SLEDAI-2K laboratory items (Gladman 2002; clinical.md §9)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cds.assessment import Sledai2kLab, Status
from fhir_mapping.record import Measurement
from tests.rules.builders import (
    c3,
    c4,
    cast,
    dsdna,
    leukocytes,
    mmf,
    p,
    platelets,
    rbc,
    record,
    run,
    sledai_recorded,
    wbc,
)


def _sledai(*items: Measurement, as_of: int = 365) -> Sledai2kLab:
    return run(record(mmf(0, 400), *items, as_of=as_of)).sledai2k_lab


def _item(lab: Sledai2kLab, name: str) -> bool:
    return next(i.present for i in lab.items if i.item == name)


@pytest.mark.parametrize(
    ("item", "make", "present"),
    [
        ("hematuria", lambda: rbc(360, 6), True),
        ("hematuria", lambda: rbc(360, 5), False),
        ("pyuria", lambda: wbc(360, 6), True),
        ("pyuria", lambda: wbc(360, 5), False),
        ("proteinuria", lambda: p(360, 0.51), True),
        ("proteinuria", lambda: p(360, 0.5), False),
        ("urinary casts", lambda: cast(360, True), True),
        ("urinary casts", lambda: cast(360, False), False),
        ("low complement", lambda: c3(360, True), True),
        ("low complement", lambda: c4(360, True), True),
        ("low complement", lambda: c3(360, None), False),  # no range, no interpretation
        ("low complement", lambda: c3(360, False), False),
        ("increased DNA binding", lambda: dsdna(360, True), True),
        ("increased DNA binding", lambda: dsdna(360, None), False),
        ("thrombocytopenia", lambda: platelets(360, 99), True),
        ("thrombocytopenia", lambda: platelets(360, 100), False),
        ("leukopenia", lambda: leukocytes(360, 2.9), True),
        ("leukopenia", lambda: leukocytes(360, 3.0), False),
    ],
)
def test_each_laboratory_item_just_inside_and_outside_its_threshold(
    item: str, make: Callable[[], Measurement], present: bool
) -> None:
    assert _item(_sledai(make()), item) is present


@pytest.mark.parametrize(("day_", "present"), [(335, True), (334, False)])
def test_items_look_back_30_days_inclusive(day_: int, present: bool) -> None:
    assert _item(_sledai(rbc(day_, 20)), "hematuria") is present


def test_score_counts_each_present_item_once_up_to_22_and_16_renal() -> None:
    lab = _sledai(
        rbc(350, 20),
        rbc(360, 30),
        wbc(360, 10),
        p(360, 2.0),
        cast(360, True),
        c3(360, True),
        c4(360, True),
        dsdna(360, True),
        platelets(360, 50),
        leukocytes(360, 2.0),
    )
    assert lab.score == 22
    assert lab.renal_score == 16
    assert lab.to_json()["max"] == 22


def test_evidence_is_what_met_the_item_else_the_latest_value_checked() -> None:
    lab = _sledai(rbc(340, 20), rbc(360, 2), wbc(350, 1), wbc(360, 2))
    hematuria = next(i for i in lab.items if i.item == "hematuria")
    pyuria = next(i for i in lab.items if i.item == "pyuria")
    assert [e.value for e in hematuria.evidence] == [20]
    assert not pyuria.present
    assert [e.value for e in pyuria.evidence] == [2]
    assert next(i for i in lab.items if i.item == "leukopenia").evidence == ()


def test_recorded_sledai_is_shown_as_recorded() -> None:
    lab = _sledai(sledai_recorded(100, 12), sledai_recorded(300, 6))
    assert [m.value for m in lab.recorded] == [6]


def test_sledai_is_shown_for_every_status() -> None:
    assessment = run(record(rbc(360, 20), ln=False, sle=False, as_of=365))
    assert assessment.status is Status.NOT_APPLICABLE
    assert assessment.sledai2k_lab.score == 4
