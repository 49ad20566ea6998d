"""Assessment → card: indicator, summary, detail, suggestions, links, ids, per status."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest

from cds.assessment import Response, Status
from cds.cards import CardBuilder, CardContext
from cds.cards.builder import KDIGO_URL, OVERRIDE_REASONS
from cds.rules import messages
from cds.schema import validate_response
from tests.service.assessments import nephritic_flare, proteinuric_flare, status_assessment

HOOK_INSTANCE = "0b5f3a02-2c1e-4a43-9d9e-111111111111"
CTX = CardContext(hook_instance=HOOK_INSTANCE, patient_id="pat-1", user_id="Practitioner/9")

EXPECTED_INDICATOR = {
    Status.FLARE: "warning",  # possible (single value); confirmed → critical, below
    Status.REFRACTORY: "warning",
    Status.NO_RESPONSE: "warning",
    Status.POSSIBLE_LN: "warning",
    Status.COMPLETE_RESPONSE: "info",
    Status.PARTIAL_RESPONSE: "info",
    Status.ACTIVE: "info",
    Status.INSUFFICIENT_DATA: "info",
}


@pytest.fixture(scope="module")
def builder() -> CardBuilder:
    return CardBuilder()


def _card(builder: CardBuilder, assessment: Any, ctx: CardContext = CTX) -> dict[str, Any]:
    cards = builder.build(assessment, ctx)
    validate_response({"cards": cards})
    assert len(cards) == 1
    return cards[0]


@pytest.mark.parametrize("status", list(EXPECTED_INDICATOR))
def test_each_status_gets_one_card_with_its_indicator(builder: CardBuilder, status: Status) -> None:
    card = _card(builder, status_assessment(status))
    assert card["indicator"] == EXPECTED_INDICATOR[status]
    assert len(card["summary"]) < 140
    assert card["source"]["label"] == "LN-CDS · kdigo-2024 profile"
    assert card["source"]["url"] == KDIGO_URL  # the guideline, not a drill-down (a link)
    assert card["source"]["topic"]["code"] == "ln-renal-status"
    assert card["overrideReasons"] == list(OVERRIDE_REASONS)


@pytest.mark.parametrize("status", [Status.NOT_APPLICABLE, Status.KIDNEY_FAILURE])
def test_not_applicable_and_kidney_failure_give_no_card(
    builder: CardBuilder, status: Status
) -> None:
    assert builder.build(status_assessment(status), CTX) == []


def test_confirmed_flare_is_critical(builder: CardBuilder) -> None:
    card = _card(builder, proteinuric_flare(confirmed=True))
    assert card["indicator"] == "critical"
    assert card["summary"] == (
        "Lupus nephritis: confirmed proteinuric flare — UPCR 1.5 g/g, "
        "up from 0.3 after complete response"
    )


def test_possible_flare_is_a_warning_that_suggests_repeating_the_upcr(builder: CardBuilder) -> None:
    card = _card(builder, proteinuric_flare(confirmed=False))
    assert card["indicator"] == "warning"
    assert card["summary"].startswith("Lupus nephritis: possible proteinuric flare — UPCR 1.5 g/g")
    assert card["suggestions"][0]["label"] == "Order urine protein/creatinine ratio"
    assert "Repeat the urine protein/creatinine ratio" in card["detail"]
    assert "Unconfirmed flare: a single value" in card["detail"]


def _recommended(card: dict[str, Any]) -> list[str]:
    assert all(s.get("isRecommended", True) is True for s in card.get("suggestions", ()))
    return [s["label"] for s in card.get("suggestions", ()) if "isRecommended" in s]


def test_possible_flare_recommends_the_repeat_that_confirms_it(builder: CardBuilder) -> None:
    """Among several orders, the one that confirms or refutes the flare is recommended."""
    a = replace(proteinuric_flare(confirmed=False), suggestions=("upcr", "complement"))
    card = _card(builder, a)
    assert [s["label"] for s in card["suggestions"]] == [
        "Order urine protein/creatinine ratio",
        "Order complement C3 and C4",
    ]
    assert _recommended(card) == ["Order urine protein/creatinine ratio"]


def test_possible_nephritic_flare_recommends_repeating_the_creatinine(
    builder: CardBuilder,
) -> None:
    flare = nephritic_flare()
    assert flare.flare is not None
    possible = replace(
        flare,
        flare=replace(flare.flare, confirmed=False, evidence=flare.flare.evidence[-1:]),
        suggestions=("upcr", "creatinine", "urinalysis"),
    )
    assert _recommended(_card(builder, possible)) == ["Order serum creatinine"]


def test_lost_response_recommends_repeating_the_upcr(builder: CardBuilder) -> None:
    lost = replace(
        status_assessment(Status.NO_RESPONSE), response=Response.LOST, suggestions=("complement",)
    )
    assert _recommended(_card(builder, lost)) == ["Order urine protein/creatinine ratio"]


@pytest.mark.parametrize(
    "assessment",
    [
        pytest.param(replace(proteinuric_flare(confirmed=True), suggestions=("upcr", "complement")),
                     id="confirmed-flare"),
        pytest.param(status_assessment(Status.ACTIVE), id="monitoring-orders"),
        pytest.param(proteinuric_flare(confirmed=False), id="one-suggestion-only"),
    ],
)  # fmt: skip
def test_no_suggestion_is_recommended_without_one_that_confirms_among_several(
    builder: CardBuilder, assessment: Any
) -> None:
    assert _recommended(_card(builder, assessment)) == []


def test_nephritic_flare_summary_names_creatinine(builder: CardBuilder) -> None:
    card = _card(builder, nephritic_flare())
    assert card["summary"] == (
        "Lupus nephritis: confirmed nephritic flare — creatinine 1.4 mg/dL, "
        "up from 0.9 after partial response"
    )
    assert "Also met: proteinuric flare criteria." in card["detail"]


@pytest.mark.parametrize(
    ("status", "summary"),
    [
        (Status.REFRACTORY,
         "Lupus nephritis: refractory — UPCR 1.1 g/g after 12 months of treatment"),
        (Status.NO_RESPONSE,
         "Lupus nephritis: no response — UPCR 1.1 g/g after 12 months of treatment"),
        (Status.COMPLETE_RESPONSE,
         "Lupus nephritis: complete response — UPCR 0.3 g/g"),
        (Status.PARTIAL_RESPONSE,
         "Lupus nephritis: partial response — UPCR 1.1 g/g, down from 3.2 at baseline"),
        (Status.ACTIVE,
         "Lupus nephritis: active — UPCR 2.5 g/g, 3 months into treatment"),
        (Status.POSSIBLE_LN,
         "Possible lupus nephritis in SLE — UPCR 0.8 g/g, no lupus nephritis diagnosis recorded"),
        (Status.INSUFFICIENT_DATA,
         "Lupus nephritis: status not assessable — no proteinuria measured at 6 months"),
    ],
)  # fmt: skip
def test_summary_says_the_status_and_the_number_that_matters(
    builder: CardBuilder, status: Status, summary: str
) -> None:
    assert _card(builder, status_assessment(status))["summary"] == summary


def test_lost_response_summary_and_repeat_suggestion(builder: CardBuilder) -> None:
    lost = replace(status_assessment(Status.NO_RESPONSE), response=Response.LOST, suggestions=())
    card = _card(builder, lost)
    assert (
        card["summary"] == "Lupus nephritis: response lost — UPCR 1.1 g/g, no longer in remission"
    )
    assert [s["label"] for s in card["suggestions"]] == ["Order urine protein/creatinine ratio"]


def test_overlong_reason_is_shortened_to_fit_140_characters(builder: CardBuilder) -> None:
    long = replace(status_assessment(Status.INSUFFICIENT_DATA), reason="x " * 120)
    summary = _card(builder, long)["summary"]
    assert summary == "Lupus nephritis: status not assessable"


def test_detail_has_evidence_table_baselines_criteria_caveats_sledai_and_what_would_change(
    builder: CardBuilder,
) -> None:
    detail = _card(builder, proteinuric_flare(confirmed=True))["detail"]
    assert (
        "| Test | Date | Value as reported | Normalised | Threshold (criteria below) | Source |"
        in detail
    )
    assert (
        "| Urine protein/creatinine ratio (spot) | 2025-03-01 | 1500 mg/g | 1.5 g/g | C1 "
        "| Observation/upcr-9 |" in detail
    )
    assert "- Index date (T0): 2024-03-01, from the start of induction treatment." in detail
    assert (
        "- Baseline proteinuria (P0): 3.2 g/g on 2024-02-20, before T0 (Observation/upcr-0)."
        in detail
    )
    assert "- Baseline eGFR (eGFR0): 88 mL/min/1.73 m² on 2024-02-20" in detail
    assert (
        "- C1. **Met**: Proteinuric flare: ref \\< 0.5 g/g and P ≥ 1.0 g/g "
        "(KDIGO 2012 relapse table)" in detail
    )
    assert "spot protein/creatinine ratio, not a 24-h measurement" in detail
    assert "Partial score 6 of 22 (renal items 4 of 16)" in detail
    assert "**What would change this assessment**" in detail
    assert "ISN/RPS class on record: IV." in detail


def test_every_rules_caveat_has_an_explanation(builder: CardBuilder) -> None:
    caveats = [
        messages.FUNCTION_NOT_ASSESSED, messages.TREATMENT_HISTORY_NOT_FOUND, messages.SPOT_RATIO,
        messages.FLARE_SINGLE_VALUE, messages.FLARE_SHORT_WINDOW, messages.RESPONSE_LOST,
        messages.P_STALE, messages.PR_NEEDS_P0, messages.INDEX_FROM_CONDITION,
        messages.CURRENT_P_BEFORE_INDEX,
    ]  # fmt: skip
    a = replace(status_assessment(Status.ACTIVE), caveats=tuple(caveats))
    detail = _card(builder, a)["detail"]
    caveat_lines = [
        line for line in detail.split("**Caveats**")[1].split("**SLEDAI")[0].splitlines() if line
    ]
    assert len(caveat_lines) == len(caveats)
    for caveat, line in zip(caveats, caveat_lines, strict=True):
        assert line != f"- {caveat}", "caveat shown without its explanation"


def test_kidney_function_not_assessed_is_a_caveat_with_a_creatinine_suggestion(
    builder: CardBuilder,
) -> None:
    card = _card(builder, status_assessment(Status.ACTIVE))
    assert "Kidney function not assessed" in card["detail"]
    labels = [s["label"] for s in card["suggestions"]]
    assert labels == [
        "Order serum creatinine",
        "Order complement C3 and C4",
        "Order anti-dsDNA antibodies",
    ]


def test_suggestions_are_draft_service_requests_valid_in_fhir_r4(builder: CardBuilder) -> None:
    ctx = replace(CTX, encounter_id="enc-7")
    card = _card(builder, status_assessment(Status.ACTIVE), ctx)
    assert card["selectionBehavior"] == "any"
    complement = card["suggestions"][1]
    assert [a["resource"]["code"]["coding"][0]["code"] for a in complement["actions"]] == [
        "4485-9",
        "4498-2",
    ]
    for suggestion in card["suggestions"]:
        for action in suggestion["actions"]:
            assert action["type"] == "create"
            resource = action["resource"]
            ServiceRequest.model_validate(resource)
            assert (resource["status"], resource["intent"]) == ("draft", "order")
            assert resource["subject"] == {"reference": "Patient/pat-1"}
            assert resource["encounter"] == {"reference": "Encounter/enc-7"}
            assert resource["requester"] == {"reference": "Practitioner/9"}


@pytest.mark.parametrize(
    ("key", "loinc"),
    [("upcr", ["2890-2"]), ("creatinine", ["2160-0"]), ("urinalysis", ["24356-8"]),
     ("complement", ["4485-9", "4498-2"]), ("anti-dsdna", ["5130-0"])],
)  # fmt: skip
def test_each_suggestion_key_orders_its_loinc_tests(
    builder: CardBuilder, key: str, loinc: list[str]
) -> None:
    a = replace(status_assessment(Status.COMPLETE_RESPONSE), suggestions=(key,))
    (suggestion,) = _card(builder, a)["suggestions"]
    assert [x["resource"]["code"]["coding"][0]["code"] for x in suggestion["actions"]] == loinc


def test_unknown_suggestion_key_is_skipped(builder: CardBuilder) -> None:
    a = replace(status_assessment(Status.COMPLETE_RESPONSE), suggestions=("kidney-biopsy",))
    assert "suggestions" not in _card(builder, a)


def test_card_without_suggestions_or_links_omits_those_fields(builder: CardBuilder) -> None:
    card = _card(builder, status_assessment(Status.COMPLETE_RESPONSE))
    assert "suggestions" not in card
    assert "selectionBehavior" not in card
    assert "links" not in card


def test_uuids_are_stable_per_hook_instance_and_finding(builder: CardBuilder) -> None:
    a = status_assessment(Status.ACTIVE)
    first, again = _card(builder, a), _card(builder, a)
    other = _card(builder, a, replace(CTX, hook_instance="another-call"))
    assert first["uuid"] == again["uuid"] != other["uuid"]
    ids = [s["uuid"] for s in first["suggestions"]]
    assert ids == [s["uuid"] for s in again["suggestions"]]
    assert len({first["uuid"], *ids}) == 1 + len(ids)
    flare = _card(builder, proteinuric_flare(confirmed=True))
    assert flare["uuid"] != _card(builder, proteinuric_flare(confirmed=False))["uuid"]


def test_demo_trend_link_is_absolute_and_smart_launch_is_smart(builder: CardBuilder) -> None:
    ctx = replace(
        CTX,
        trend_url="https://cds.example.org/demo/patients/pat-1/trend",
        smart_launch_url="https://cds.example.org/smart/launch",
    )
    links = _card(builder, status_assessment(Status.ACTIVE), ctx)["links"]
    assert links == [
        {"label": "Open the proteinuria and kidney function trend",
         "url": "https://cds.example.org/smart/launch", "type": "smart"},
        {"label": "Proteinuria and kidney function trend (demo)",
         "url": "https://cds.example.org/demo/patients/pat-1/trend", "type": "absolute"},
    ]  # fmt: skip
