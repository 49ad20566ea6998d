"""The eGFR series (clinical.md §2): computed from creatinine where possible, else reported.

Per date: where a creatinine and a computable equation exist, the computed value wins
(the same equation for every date keeps the series comparable); other dates take a
reported eGFR (98979-8 first, already chosen by the same-day rules). Adults (≥ 18 on the
creatinine date) use CKD-EPI 2021, which needs birthDate and gender male/female; children
use bedside Schwartz, which needs a height within ±180 days (the closest; ties: the
earlier). Race is never used. Every point says whether it was computed and how.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from datetime import date

from fhir_mapping.notes import note
from fhir_mapping.record import Demographics, EgfrPoint, Measurement, Note

CKD_EPI_2021 = "CKD-EPI 2021"
BEDSIDE_SCHWARTZ = "bedside Schwartz"
ADULT_AGE = 18
HEIGHT_WINDOW_DAYS = 180


def ckd_epi_2021(scr_mg_dl: float, age: int, *, female: bool) -> float:
    """CKD-EPI 2021 creatinine equation (Inker 2021, race-free), mL/min/1.73 m²."""
    kappa = 0.7 if female else 0.9
    alpha = -0.241 if female else -0.302
    ratio = scr_mg_dl / kappa
    value = (
        142.0
        * math.pow(min(ratio, 1.0), alpha)
        * math.pow(max(ratio, 1.0), -1.200)
        * math.pow(0.9938, age)
    )
    return value * 1.012 if female else value


def bedside_schwartz(height_cm: float, scr_mg_dl: float) -> float:
    """Bedside Schwartz (2009): 0.413 × height (cm) / creatinine (mg/dL)."""
    return 0.413 * height_cm / scr_mg_dl


def age_in_completed_years(birth: date, on: date) -> int:
    """Whole years lived on `on` (a birthday on 29 February is reached on 1 March)."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def closest_height(heights: Sequence[Measurement], on: date) -> Measurement | None:
    """The height closest to `on` within ±180 days (ties: the earlier); heights sorted by date."""
    dates = [h.date for h in heights]
    i = bisect.bisect_left(dates, on)
    best: Measurement | None = None
    best_gap = HEIGHT_WINDOW_DAYS + 1
    for j in (i - 1, i):  # the nearest before and the nearest on/after
        if 0 <= j < len(heights) and heights[j].value is not None:
            gap = abs((heights[j].date - on).days)
            if gap < best_gap:  # strictly closer: on a tie the earlier (seen first) stays
                best, best_gap = heights[j], gap
    return best if best_gap <= HEIGHT_WINDOW_DAYS else None


def _computed(
    scr: Measurement,
    demographics: Demographics,
    heights: Sequence[Measurement],
    missing: set[str],
) -> EgfrPoint | None:
    if scr.value is None or scr.value <= 0:
        missing.add("egfr-creatinine-not-positive")
        return None
    birth = demographics.birth_date
    if birth is None:
        missing.add("egfr-no-birthdate")
        return None
    if scr.date < birth:
        missing.add("egfr-before-birth")
        return None
    age = age_in_completed_years(birth, scr.date)
    if age >= ADULT_AGE:
        if demographics.gender not in ("male", "female"):
            missing.add("egfr-no-sex")
            return None
        value = ckd_epi_2021(scr.value, age, female=demographics.gender == "female")
        return EgfrPoint(
            date=scr.date,
            value=value,
            computed=True,
            equation=CKD_EPI_2021,
            sources=(scr.source,),
            creatinine_mg_dl=scr.value,
            age_years=age,
        )
    height = closest_height(heights, scr.date)
    if height is None or height.value is None:
        missing.add("egfr-no-height")
        return None
    return EgfrPoint(
        date=scr.date,
        value=bedside_schwartz(height.value, scr.value),
        computed=True,
        equation=BEDSIDE_SCHWARTZ,
        sources=(scr.source, height.source),
        creatinine_mg_dl=scr.value,
        age_years=age,
    )


def build_egfr_series(
    creatinine: Sequence[Measurement],
    reported: Sequence[Measurement],
    heights: Sequence[Measurement],
    demographics: Demographics,
    notes: list[Note],
    *,
    methods: dict[str, str],
) -> tuple[EgfrPoint, ...]:
    """The eGFR series, one point per date, sorted by date.

    `methods` maps a reported eGFR LOINC code to the equation the lab used.
    Reasons an eGFR could not be computed are noted once for the record, not per value.
    """
    points: dict[date, EgfrPoint] = {}
    missing: set[str] = set()
    for scr in creatinine:
        point = _computed(scr, demographics, heights, missing)
        if point is not None:
            points[point.date] = point
    for m in reported:
        if m.date in points or m.value is None:
            continue
        points[m.date] = EgfrPoint(
            date=m.date,
            value=m.value,
            computed=False,
            equation=methods.get(m.code, "reported"),
            sources=(m.source,),
            reported_value=m.reported_value,
            reported_unit=m.reported_unit,
            comparator=m.comparator,
        )
    for code in sorted(missing):
        notes.append(note(code))
    series = tuple(points[d] for d in sorted(points))
    if len({p.equation for p in series}) > 1:
        notes.append(note("egfr-mixed-equations"))
    return series
