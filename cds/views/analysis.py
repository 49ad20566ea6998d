"""One patient's resources → everything a view page shows (record, assessment, trend, banner).

The views take the same path as the hook and the CLI (mapping → rules), so the trend view can
never disagree with the card it was launched from; the status banner uses the cards module's
own summary so the words are identical too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cds.assessment import Assessment, Status
from cds.cards import CardBuilder, indicator_for
from cds.cards.view import build_view
from cds.datasources.base import FetchOutcome, JsonObject, PatientDataSource
from cds.profiles import Profile, load_profile
from cds.rules import assess
from cds.views.smart_fhir import patient_queries
from cds.views.trend import TrendThresholds, build_trend
from fhir_mapping.extract import build_record
from fhir_mapping.record import PatientRecord


class PatientNotFoundError(LookupError):
    """The data source has no Patient with this id (a 404, not a 500)."""


class PatientDataUnavailableError(RuntimeError):
    """Some of the patient's data could not be read; the message names the query key only."""


@dataclass(frozen=True, slots=True)
class PatientHeader:
    """The minimal chart header: who this is (shown on the page, never logged)."""

    id: str
    name: str
    sex: str
    birth_date: str | None
    age: int | None


@dataclass(frozen=True, slots=True)
class Banner:
    """The status banner: the card's own indicator and summary, plus the status in words."""

    indicator: str  # info | warning | critical
    summary: str
    status: str


@dataclass(frozen=True, slots=True)
class PatientView:
    header: PatientHeader
    record: PatientRecord
    assessment: Assessment
    banner: Banner
    trend: JsonObject


STATUS_WORDS: dict[Status, str] = {
    Status.NOT_APPLICABLE: "Not applicable",
    Status.KIDNEY_FAILURE: "Kidney failure",
    Status.POSSIBLE_LN: "Possible lupus nephritis",
    Status.FLARE: "Renal flare",
    Status.REFRACTORY: "Refractory",
    Status.NO_RESPONSE: "No response",
    Status.COMPLETE_RESPONSE: "Complete response",
    Status.PARTIAL_RESPONSE: "Partial response",
    Status.ACTIVE: "Active",
    Status.INSUFFICIENT_DATA: "Insufficient data",
}


def thresholds_for_profile(profile: Profile) -> TrendThresholds:
    """The thresholds the trend view draws: the same profile values the rules used."""
    rules = profile.response
    return TrendThresholds(
        complete_below=rules.cr_p_below,
        partial_below=rules.pr_p_below,
        partial_fraction=rules.pr_fraction_of_p0,
        egfr_stable_fraction=rules.egfr_stable_fraction,
    )


def fetch_patient_resources(
    source: PatientDataSource, patient_id: str, *, budget_seconds: float
) -> list[JsonObject]:
    """Every resource the trend view needs for one patient, via the shared data-source API."""
    outcome: FetchOutcome = source.fetch(patient_queries(patient_id), budget_seconds=budget_seconds)
    if "patient" in outcome.failures or not _has_patient(outcome, patient_id):
        raise PatientNotFoundError(patient_id)
    if outcome.failures:
        keys = ", ".join(sorted(outcome.failures))
        raise PatientDataUnavailableError(f"could not read: {keys}")
    resources: list[JsonObject] = []
    seen: set[tuple[str, str]] = set()
    for result in outcome.results.values():
        for resource in result.resources:
            kind = str(resource.get("resourceType"))
            key = (kind, str(resource.get("id")))
            if kind == "OperationOutcome" or key in seen:
                continue  # an entry two queries both returned is one resource
            seen.add(key)
            resources.append(resource)
    return resources


def _has_patient(outcome: FetchOutcome, patient_id: str) -> bool:
    result = outcome.results.get("patient")
    if result is None:
        return False
    return any(
        r.get("resourceType") == "Patient" and r.get("id") == patient_id for r in result.resources
    )


def patient_header(
    resources: Sequence[Mapping[str, Any]], patient_id: str, as_of: date
) -> PatientHeader:
    patient: Mapping[str, Any] = next(
        (r for r in resources if r.get("resourceType") == "Patient" and r.get("id") == patient_id),
        {},
    )
    birth = patient.get("birthDate")
    birth_date = birth if isinstance(birth, str) else None
    return PatientHeader(
        id=patient_id,
        name=_display_name(patient.get("name")),
        sex=str(patient.get("gender") or "unknown"),
        birth_date=birth_date,
        age=_age(birth_date, as_of),
    )


def _display_name(names: Any) -> str:
    if not isinstance(names, list) or not names:
        return "(no name)"
    preferred = next((n for n in names if isinstance(n, dict) and n.get("use") == "official"), None)
    name = preferred or next((n for n in names if isinstance(n, dict)), None)
    if name is None:
        return "(no name)"
    if isinstance(name.get("text"), str) and name["text"].strip():
        return str(name["text"]).strip()
    given = " ".join(g for g in name.get("given") or () if isinstance(g, str))
    family = name.get("family") if isinstance(name.get("family"), str) else ""
    return " ".join(p for p in (given, family) if p) or "(no name)"


def _age(birth_date: str | None, as_of: date) -> int | None:
    """Completed years on `as_of`; a partial birth date takes its first day (clinical.md §1)."""
    if not birth_date:
        return None
    parts = birth_date.split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 1
        day = int(parts[2][:2]) if len(parts) > 2 else 1
        born = date(year, month, day)
    except (ValueError, IndexError):
        return None
    return as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))


# Statuses that produce no card (cds.cards.NO_CARD_STATUSES): the banner still has to say
# something, in the same plain style, and never louder than the card module would be.
_NO_CARD_SUMMARIES: dict[Status, str] = {
    Status.NOT_APPLICABLE: "No lupus nephritis recorded: the criteria for it do not apply.",
    Status.KIDNEY_FAILURE: (
        "Kidney failure recorded or eGFR < 15: remission and flare are not judged."
    ),
}


def status_banner(assessment: Assessment, cards: CardBuilder) -> Banner:
    """The card's own indicator and summary (same functions as the hook's card)."""
    indicator = indicator_for(assessment)
    words = STATUS_WORDS.get(assessment.status, str(assessment.status))
    if indicator is None:
        summary = _NO_CARD_SUMMARIES.get(assessment.status, words)
        return Banner(indicator="info", summary=summary, status=words)
    return Banner(indicator=indicator, summary=cards.summary(build_view(assessment)), status=words)


class PatientAnalyser:
    """Mapping → rules → trend and banner, exactly as the hook does it.

    Holds the compiled card templates (built once at start-up, like the service's).
    """

    def __init__(self, cards: CardBuilder | None = None) -> None:
        self._cards = cards or CardBuilder()

    def __call__(
        self, resources: Sequence[Mapping[str, Any]], *, patient_id: str, as_of: date, profile: str
    ) -> PatientView:
        rules = load_profile(profile)
        record = build_record(resources, as_of=as_of, patient_id=patient_id)
        assessment = assess(record, as_of, rules)
        trend = build_trend(record, assessment, thresholds=thresholds_for_profile(rules))
        return PatientView(
            header=patient_header(resources, patient_id, as_of),
            record=record,
            assessment=assessment,
            banner=status_banner(assessment, self._cards),
            trend=trend,
        )
