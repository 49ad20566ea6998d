"""The trend view's data builder: what the nephrologist sees, pinned value by value."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from cds.assessment import Flare, FlareType, Status
from cds.views.trend import TrendThresholds, build_trend, epoch_ms
from fhir_mapping.record import DrugClass, ProteinuriaKind, Series
from tests.views.builders import AS_OF, assessment, course, egfr, obs, record, used

DAY_MS = 86_400_000


def test_epoch_ms_is_utc_midnight_of_the_date() -> None:
    assert epoch_ms(date(2024, 1, 1)) == 1_704_067_200_000
    assert epoch_ms(date(1970, 1, 2)) == DAY_MS


def test_each_proteinuria_value_is_one_point_with_normalised_and_reported_value() -> None:
    p1 = obs(
        Series.PROTEINURIA,
        date(2025, 1, 10),
        1.5,
        reported_value="150",
        reported_unit="mg/mmol",
        kind=ProteinuriaKind.UPCR_SPOT,
    )
    p2 = obs(Series.PROTEINURIA, date(2025, 3, 10), 0.42, reported_unit="g/g")
    trend = build_trend(record([p1, p2]), assessment())

    points = trend["proteinuria"]["points"]
    assert [p["value"] for p in points] == [1.5, 0.42]
    assert points[0]["reported"] == "150 mg/mmol"
    assert points[0]["kind"] == "spot UPCR"
    assert points[0]["t"] == epoch_ms(date(2025, 1, 10))
    assert points[0]["source"] == f"Observation/{p1.source.id}"


def test_a_comparator_stays_in_the_reported_text() -> None:
    p = obs(Series.PROTEINURIA, date(2025, 1, 10), 0.1, reported_value="0.1", comparator="<")
    trend = build_trend(record([p]), assessment())
    assert trend["proteinuria"]["points"][0]["reported"] == "<0.1"
    assert trend["table"][0]["reported_value"] == "<0.1"


def test_threshold_lines_are_the_profile_values_and_half_of_p0() -> None:
    p0 = obs(Series.PROTEINURIA, date(2025, 1, 10), 4.0)
    a = assessment(values=(used("P0", p0),))
    trend = build_trend(record([p0]), a, thresholds=TrendThresholds(0.5, 3.0, 0.5, 0.85))
    lines = {line["kind"]: line["value"] for line in trend["proteinuria"]["lines"]}
    assert lines == {"complete": 0.5, "partial-ceiling": 3.0, "partial-fraction": 2.0}
    labels = [(line["label"], line["short"]) for line in trend["proteinuria"]["lines"]]
    assert labels == [("CR < 0.5", "CR 0.5"), ("3 g/g", "3 g/g"), ("50 % of P0 (2)", "50% P0")]
    assert trend["proteinuria"]["p0"] == 4.0


def test_without_p0_there_is_no_fifty_percent_line() -> None:
    p = obs(Series.PROTEINURIA, date(2025, 1, 10), 4.0)
    trend = build_trend(record([p]), assessment())
    kinds = [line["kind"] for line in trend["proteinuria"]["lines"]]
    assert kinds == ["complete", "partial-ceiling"]
    assert trend["proteinuria"]["p0"] is None


@pytest.mark.parametrize(("fraction", "lower"), [(0.85, 68.0), (0.9, 72.0)])
def test_egfr_band_lower_edge_is_the_profile_fraction_of_egfr0(
    fraction: float, lower: float
) -> None:
    point = egfr(date(2025, 1, 10), 80.0)
    egfr0 = used("eGFR0", obs(Series.CREATININE, point.date, 80.0, obs_id="scr-2025-01-10"))
    trend = build_trend(
        record(egfr_points=[point]),
        assessment(values=(egfr0,)),
        thresholds=TrendThresholds(egfr_stable_fraction=fraction),
    )
    band = trend["egfr"]["band"]
    assert band["baseline"] == 80.0
    assert band["lower"] == pytest.approx(lower)
    assert f"{round(fraction * 100)} % of baseline 80" in band["label"]


def test_without_egfr0_there_is_no_stability_band() -> None:
    trend = build_trend(record(egfr_points=[egfr(date(2025, 1, 10), 80.0)]), assessment())
    assert trend["egfr"]["band"] is None


def test_egfr_points_say_whether_computed_or_reported() -> None:
    points = [egfr(date(2025, 1, 10), 80.0), egfr(date(2025, 2, 10), 75.0, computed=False)]
    trend = build_trend(record(egfr_points=points), assessment())
    methods = [p["method"] for p in trend["egfr"]["points"]]
    assert methods == ["computed, CKD-EPI 2021 from creatinine 1 mg/dL", "reported, CKD-EPI 2009"]


def test_courses_become_bars_in_their_class_row_and_a_one_day_course_is_one_day_wide() -> None:
    mmf = course(DrugClass.MPAA, date(2025, 1, 1), date(2025, 6, 30), "mycophenolate mofetil", "m1")
    pulse = course(
        DrugClass.GLUCOCORTICOID, date(2025, 1, 2), date(2025, 1, 2), "methylprednisolone", "g1"
    )
    trend = build_trend(record(courses=[mmf, pulse]), assessment())
    bars = {c["class"]: c for c in trend["courses"]}
    assert bars["MPAA"]["row"] == "MPAA"
    assert bars["MPAA"]["ingredients"] == ["mycophenolate mofetil"]
    assert bars["MPAA"]["sources"] == ["MedicationRequest/m1"]
    assert bars["glucocorticoid"]["row"] == "GC"
    assert bars["glucocorticoid"]["t_end"] - bars["glucocorticoid"]["t_start"] == DAY_MS
    assert trend["course_rows"] == ["MPAA", "CYC", "CNI", "Biologic", "GC"]


def test_t0_and_milestones_are_markers_in_date_order() -> None:
    a = assessment(
        index_date=date(2024, 7, 1),
        index_source="medication",
        milestones=(
            ("CR", date(2025, 2, 1)),
            ("PR", date(2024, 11, 1)),
            ("flare", date(2025, 5, 1)),
        ),
    )
    trend = build_trend(record(), a)
    assert trend["index"] == {
        "date": "2024-07-01",
        "t": epoch_ms(date(2024, 7, 1)),
        "source": "medication",
    }
    assert [(m["event"], m["date"]) for m in trend["milestones"]] == [
        ("PR", "2024-11-01"),
        ("CR", "2025-02-01"),
        ("flare", "2025-05-01"),
    ]


@pytest.mark.parametrize(
    ("series", "value", "flag", "state"),
    [
        (Series.C3, 0.6, True, "abnormal"),
        (Series.C3, 1.1, False, "normal"),
        (Series.C4, 0.1, None, "unknown"),
        (Series.ANTI_DSDNA, 200.0, True, "abnormal"),
        (Series.URINE_RBC, 6.0, None, "abnormal"),
        (Series.URINE_RBC, 5.0, None, "normal"),
        (Series.URINE_WBC, 5.5, None, "abnormal"),
        (Series.RBC_CASTS, None, True, "abnormal"),
        (Series.RBC_CASTS, None, None, "unknown"),
    ],
)
def test_secondary_rows_mark_low_complement_raised_dsdna_and_sediment_above_five(
    series: Series, value: float | None, flag: bool | None, state: str
) -> None:
    m = obs(series, date(2025, 3, 1), value, flag=flag, reported_value="x")
    trend = build_trend(record([m]), assessment())
    rows = {row["series"]: row for row in trend["secondary"]}
    assert [p["state"] for p in rows[str(series)]["points"]] == [state]
    assert [row["label"] for row in trend["secondary"]] == [
        "C3",
        "C4",
        "dsDNA",
        "RBC",
        "Casts",
        "WBC",
    ]


def test_table_lists_every_value_oldest_first_with_unit_as_reported_source_and_role() -> None:
    p0 = obs(
        Series.PROTEINURIA,
        date(2025, 1, 10),
        3.2,
        reported_value="320",
        reported_unit="mg/mmol",
        obs_id="up1",
    )
    scr = obs(
        Series.CREATININE,
        date(2025, 1, 5),
        1.1,
        reported_value="97",
        reported_unit="umol/L",
        obs_id="cr1",
    )
    c3 = obs(Series.C3, date(2025, 1, 7), 0.6, reported_unit="g/L", flag=True, obs_id="c3")
    trend = build_trend(
        record([p0, scr, c3], egfr_points=[egfr(date(2025, 1, 5), 66.0, source_id="cr1")]),
        assessment(values=(used("P0", p0),)),
    )
    rows = trend["table"]
    assert [(r["date"], r["test"]) for r in rows] == [
        ("2025-01-05", "Creatinine"),
        ("2025-01-05", "eGFR (CKD-EPI 2021, computed)"),
        ("2025-01-07", "C3"),
        ("2025-01-10", "Proteinuria"),
    ]
    proteinuria = rows[-1]
    assert proteinuria["reported_value"] == "320"
    assert proteinuria["reported_unit"] == "mg/mmol"
    assert proteinuria["normalised"] == "3.2 g/g"
    assert proteinuria["sources"] == ["Observation/up1"]
    assert proteinuria["roles"] == ["P0"]
    assert rows[0]["reported_unit"] == "umol/L"
    assert rows[2]["normalised"] == "0.6 g/L · low"


def test_reported_egfr_appears_once_in_the_table() -> None:
    reported = obs(Series.EGFR_REPORTED, date(2025, 2, 1), 75.0, obs_id="eg1")
    trend = build_trend(
        record(
            [reported], egfr_points=[egfr(date(2025, 2, 1), 75.0, computed=False, source_id="eg1")]
        ),
        assessment(),
    )
    assert [r["test"] for r in trend["table"]] == ["eGFR (reported)"]


def test_time_axis_runs_from_the_earliest_item_to_as_of_with_a_margin() -> None:
    p = obs(Series.PROTEINURIA, date(2025, 3, 1), 1.0)
    trend = build_trend(
        record([p]), assessment(index_date=date(2025, 1, 1), index_source="medication")
    )
    assert trend["x_min"] == epoch_ms(date(2025, 1, 1) - timedelta(days=14))
    assert trend["x_max"] == epoch_ms(AS_OF + timedelta(days=14))
    assert trend["t_as_of"] == epoch_ms(AS_OF)


def test_description_gives_count_dates_latest_and_range_for_screen_readers() -> None:
    ps = [
        obs(Series.PROTEINURIA, date(2025, 1, 10), 3.2),
        obs(Series.PROTEINURIA, date(2025, 4, 10), 0.4),
    ]
    trend = build_trend(record(ps), assessment(status=Status.COMPLETE_RESPONSE))
    assert trend["proteinuria"]["description"] == (
        "2 proteinuria values from 2025-01-10 to 2025-04-10; latest 0.4 g/g; range 0.4 to 3.2 g/g."
    )
    assert build_trend(record(), assessment())["egfr"]["description"] == "No eGFR values."


def test_a_computed_egfr_and_its_creatinine_each_carry_only_their_own_role() -> None:
    scr = obs(Series.CREATININE, date(2025, 1, 5), 1.1, obs_id="cr1")
    point = egfr(date(2025, 1, 5), 66.0, source_id="cr1")
    scr0 = replace(used("Scr0", scr), test="Serum creatinine")
    egfr0 = replace(used("eGFR0", scr), test="eGFR", value=66.0)
    current = replace(used("P", obs(Series.PROTEINURIA, date(2025, 1, 5), 0.3, obs_id="u1")))
    trend = build_trend(
        record(
            [scr, obs(Series.PROTEINURIA, date(2025, 1, 5), 0.3, obs_id="u1")], egfr_points=[point]
        ),
        assessment(values=(scr0, egfr0, current)),
    )
    roles = {row["test"]: row["roles"] for row in trend["table"]}
    assert roles["Creatinine"] == ["Scr0"]
    assert roles["eGFR (CKD-EPI 2021, computed)"] == ["eGFR0"]
    assert roles["Proteinuria"] == ["current P"]
    assert trend["egfr"]["points"][0]["roles"] == ["eGFR0"]


def test_flare_evidence_and_reference_are_marked_in_the_table() -> None:
    ref = obs(Series.PROTEINURIA, date(2025, 2, 1), 0.3, obs_id="u-ref")
    high = obs(Series.PROTEINURIA, date(2025, 6, 1), 2.5, obs_id="u-high")
    flare = Flare(
        type=FlareType.PROTEINURIC,
        severity="moderate",
        confirmed=False,
        date=high.date,
        also_met=(),
        evidence=(used("flare proteinuria 2025-06-01", high),),
        reference=used("flare reference proteinuria", ref),
    )
    trend = build_trend(record([ref, high]), assessment(status=Status.FLARE, flare=flare))
    assert [row["roles"] for row in trend["table"]] == [["flare reference"], ["flare"]]
