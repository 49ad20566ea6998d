"""Every finding carries its evidence: values, criteria, caveats, suggestions, milestones,
notes (clinical.md §10)."""

from __future__ import annotations

import json

import time_machine

from cds.assessment import Response, Status
from cds.rules import messages
from fhir_mapping.record import EgfrPoint, Note, PatientRecord, ProteinuriaKind, Series, Source
from tests.rules.builders import (
    c3,
    criterion,
    day,
    dsdna,
    egfr,
    measurement,
    mmf,
    p,
    rbc,
    record,
    run,
    scr,
    spot,
)


def _full_record() -> PatientRecord:
    return record(
        mmf(0, 400),
        p(-3, 3.2),
        egfr(-3, 80),
        scr(-3, 1.0),
        p(90, 1.2),
        p(200, 0.3),
        egfr(200, 78),
        scr(200, 1.05),
        rbc(200, 2),
        c3(200, False),
        dsdna(200, False),
        as_of=210,
    )


def test_baseline_and_current_values_carry_date_reported_value_and_source() -> None:
    assessment = run(_full_record())
    labels = [v.label for v in assessment.values]
    assert labels[:6] == ["P0", "eGFR0", "Scr0", "P", "eGFR", "Scr"]
    p0 = assessment.value("P0")
    assert p0 is not None
    assert (p0.date, p0.value, p0.unit, p0.reported) == (day(-3), 3.2, "g/g", "3.2 g/g")
    assert p0.sources[0].startswith("Observation/")
    current_egfr = assessment.value("eGFR")
    assert current_egfr is not None
    assert current_egfr.detail == "computed: CKD-EPI 2021"


def test_reported_value_keeps_the_comparator_and_the_lab_unit() -> None:
    low = measurement(
        Series.PROTEINURIA,
        200,
        0.1,
        unit="g/g",
        code="2890-2",
        kind=ProteinuriaKind.UPCR_SPOT,
        reported_value="10",
        reported_unit="mg/mmol",
        comparator="<",
    )
    assessment = run(record(mmf(0, 400), p(0, 2.0), low, as_of=210))
    current = assessment.value("P")
    assert current is not None
    assert current.reported == "<10 mg/mmol"
    assert current.test == "Urine protein/creatinine ratio (spot)"


def test_reported_egfr_is_shown_as_the_lab_wrote_it() -> None:
    # §10: values "as reported"; 84.9 must not read as 85 next to an 85 % threshold, and a
    # ">90" keeps its comparator
    baseline = EgfrPoint(
        date=day(-3),
        value=100.0,
        computed=False,
        equation="CKD-EPI 2021",
        sources=(Source("Observation", "e0"),),
        reported_value="100",
        reported_unit="mL/min/1.73m2",
        comparator=">=",
    )
    now = EgfrPoint(
        date=day(200),
        value=84.9,
        computed=False,
        equation="CKD-EPI 2021",
        sources=(Source("Observation", "e1"),),
        reported_value="84.9",
        reported_unit="mL/min/1.73m2",
    )
    assessment = run(record(mmf(0, 400), p(-3, 3.0), baseline, p(200, 0.3), now, as_of=210))
    egfr0, current = assessment.value("eGFR0"), assessment.value("eGFR")
    assert egfr0 is not None
    assert current is not None
    assert egfr0.reported == ">=100 mL/min/1.73m2"
    assert (current.reported, current.value) == ("84.9 mL/min/1.73m2", 84.9)
    assert current.detail == "reported: CKD-EPI 2021"


def test_latest_uacr_is_shown_but_never_used_for_the_response() -> None:
    # §2: UACR is shown, never used for CR/PR (a UACR of 20 mg/g is no complete response)
    uacr = measurement(Series.UACR, 190, 20.0, unit="mg/g", code="9318-7")
    later = measurement(Series.UACR, 205, 25.0, unit="mg/g", code="9318-7")  # after as_of
    assessment = run(record(mmf(0, 400), p(-3, 3.0), p(160, 2.5), uacr, later, as_of=200))
    shown = assessment.value("UACR")
    assert shown is not None
    assert (shown.date, shown.value, shown.unit) == (day(190), 20.0, "mg/g")
    assert shown.test == "Urine albumin/creatinine ratio"
    assert shown.detail == "shown only: never used for the response"
    assert assessment.response is Response.NONE
    assert assessment.value("P") is not None


def test_spot_ratio_is_flagged() -> None:
    assessment = run(record(mmf(0, 400), spot(0, 2.0), spot(60, 0.3), as_of=70))
    assert messages.SPOT_RATIO in assessment.caveats


def test_24_hour_values_carry_no_spot_caveat() -> None:
    assert messages.SPOT_RATIO not in run(_full_record()).caveats


def test_criteria_name_the_rule_and_its_source() -> None:
    assessment = run(_full_record())
    cr = criterion(assessment, "Complete response")
    assert cr.met is True
    assert cr.source == "KDIGO 2024"
    assert "P < 0.5 g/g" in cr.rule
    assert "85 %" in cr.rule
    assert {e.label for e in cr.evidence} >= {"P", "P0", "eGFR", "eGFR0"}
    gu = run(_full_record(), profile="gu-2014")
    assert "90 %" in criterion(gu, "Complete response").rule
    assert "EULAR" in criterion(gu, "Complete response").source


def test_milestones_mark_response_transitions_and_the_flare() -> None:
    rec = record(
        mmf(0, 400, dose=1000),
        p(0, 3.0),
        p(30, 1.2),  # PR
        p(60, 0.3),  # CR
        p(90, 0.4),  # still CR: no new milestone
        p(200, 1.6),  # flare (and no longer a PR: 1.6 > 0.5 × 3.0)
        as_of=210,
    )
    assessment = run(rec)
    assert assessment.milestones == (("PR", day(30)), ("CR", day(60)), ("flare", day(200)))


def test_no_response_milestone_at_the_current_proteinuria() -> None:
    assessment = run(record(mmf(0, 400, dose=1000), p(0, 2.0), p(190, 1.8), as_of=200))
    assert assessment.milestones == (("NR", day(190)),)


def test_record_notes_are_kept_and_rule_notes_added() -> None:
    note = Note(code="unknown-unit", message="unit not recognised")
    assessment = run(
        record(mmf(0, 200, dose=None), p(0, 2.0), p(190, 1.8), notes=(note,), as_of=200)
    )
    assert assessment.notes[0] == note
    assert any(n.code == "dose-unknown-counted-adequate" for n in assessment.notes)


def test_missing_monitoring_tests_are_suggested_in_a_fixed_order() -> None:
    assessment = run(record(mmf(0, 400), p(0, 2.0), p(60, 0.3), as_of=70))
    assert assessment.suggestions == ("creatinine", "urinalysis", "complement", "anti-dsdna")


def test_recent_monitoring_tests_are_not_suggested() -> None:
    assessment = run(_full_record())
    assert assessment.suggestions == ()


def test_assessment_json_is_serialisable_and_has_the_section_10_keys() -> None:
    data = json.loads(json.dumps(run(_full_record()).to_json()))
    for key in (
        "patient",
        "as_of",
        "profile",
        "status",
        "flare",
        "refractory",
        "response",
        "function_assessed",
        "index_date",
        "index_source",
        "ln_classes",
        "values",
        "sledai2k_lab",
        "notes",
    ):
        assert key in data
    assert data["status"] == Status.COMPLETE_RESPONSE.value
    assert data["values"]["P0"]["reported"] == "3.2 g/g"


def test_ln_classes_are_passed_through() -> None:
    assessment = run(record(mmf(0, 400), p(0, 2.0), ln_classes=("V", "IV"), as_of=10))
    assert assessment.ln_classes == ("IV", "V")


def test_rules_never_read_the_clock() -> None:
    rec = _full_record()
    with time_machine.travel("2031-05-05 23:30:00+14:00", tick=False):
        later = run(rec).to_json()
    with time_machine.travel("1999-01-01 00:00:00-12:00", tick=False):
        earlier = run(rec).to_json()
    assert later == earlier
