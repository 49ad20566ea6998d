"""Assessment → CDS Hooks 2.0 cards: one card per assessment, chosen by its status.

Pure apart from the templates, which are compiled once when the `CardBuilder` is made (at
start-up). The JSON follows the service's own schema (`cds.schema`): optional fields are
omitted rather than null or empty, and every card and suggestion has a `uuid` that is the
same for the same hook call and finding, so feedback and retries line up.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cds.assessment import Assessment, Response, Status
from cds.cards.orders import ORDERABLE, service_request
from cds.cards.text import TEMPLATES_DIR, build_environment
from cds.cards.view import CardView, build_view
from cds.rules import messages
from cds.rules.evidence import EGFR_TEST, PROTEINURIA_NAMES, TEST_NAMES
from fhir_mapping.record import Series

UPCR = messages.UPCR
SUMMARY_MAX = 139  # CDS Hooks: "<140-character summary"
CARD_NAMESPACE = uuid.UUID("6f0c1a52-7c1e-4d0b-9a38-2d4c5e7b9f10")  # fixed for LN-CDS
PROJECT_SYSTEM = "http://example.org/fhir/CodeSystem/ln-cds"  # = fhir_mapping.valuesets.PROJECT
OVERRIDE_SYSTEM = PROJECT_SYSTEM + "-card-override-reason"
KDIGO_URL = "https://kdigo.org/guidelines/lupus-nephritis/"
TOPIC = {
    "system": PROJECT_SYSTEM,
    "code": "ln-renal-status",
    "display": "Lupus nephritis renal status",
}

OVERRIDE_REASONS: tuple[dict[str, str], ...] = tuple(
    {"system": OVERRIDE_SYSTEM, "code": code, "display": display}
    for code, display in (
        ("already-addressed", "Already addressed or being managed"),
        ("data-incomplete", "Record incomplete or data wrong"),
        ("clinical-judgement", "Clinical judgement differs"),
        ("not-relevant-now", "Not relevant to this visit"),
    )
)

_INFO_STATUSES = frozenset(
    {Status.COMPLETE_RESPONSE, Status.PARTIAL_RESPONSE, Status.ACTIVE, Status.INSUFFICIENT_DATA}
)
_WARNING_STATUSES = frozenset({Status.REFRACTORY, Status.NO_RESPONSE, Status.POSSIBLE_LN})
NO_CARD_STATUSES = frozenset({Status.NOT_APPLICABLE, Status.KIDNEY_FAILURE})
CARD_STATUSES = tuple(s for s in Status if s not in NO_CARD_STATUSES)


@dataclass(frozen=True, slots=True)
class CardContext:
    """What a card needs from the hook call besides the assessment."""

    hook_instance: str
    patient_id: str
    user_id: str | None = None
    encounter_id: str | None = None
    trend_url: str | None = None  # absolute link to the trend view (demo mode)
    smart_launch_url: str | None = None  # SMART launch of the trend view


def indicator_for(a: Assessment) -> str | None:
    """`critical` only for a confirmed flare (needs action now); None: no card."""
    if a.status is Status.FLARE:
        return "critical" if a.flare is not None and a.flare.confirmed else "warning"
    if a.status in _WARNING_STATUSES:
        return "warning"
    if a.status in _INFO_STATUSES:
        return "info"
    return None


def finding_of(a: Assessment) -> str:
    """A stable name for what the card reports, the seed of its uuid."""
    parts = ["lupus-nephritis", str(a.status)]
    if a.flare is not None:
        parts += [str(a.flare.type), "confirmed" if a.flare.confirmed else "possible"]
    return "/".join(parts)


def stable_uuid(hook_instance: str, *parts: str) -> str:
    return str(uuid.uuid5(CARD_NAMESPACE, "\n".join((hook_instance, *parts))))


class CardBuilder:
    """Compiles the card templates once; `build()` is then pure and fast."""

    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self._env = build_environment(templates_dir)
        self._summary = self._env.get_template("cards/summary.txt.j2")
        self._details = {s: self._env.get_template(f"cards/{s}.md.j2") for s in CARD_STATUSES}

    def build(self, a: Assessment, ctx: CardContext) -> list[dict[str, Any]]:
        indicator = indicator_for(a)
        if indicator is None:
            return []
        view = build_view(a)
        finding = finding_of(a)
        card: dict[str, Any] = {
            "uuid": stable_uuid(ctx.hook_instance, finding),
            "summary": self.summary(view),
            "indicator": indicator,
            "detail": self._details[a.status].render(v=view, a=a, m=messages).strip(),
            "source": {
                "label": f"LN-CDS · {a.profile} profile",
                "url": KDIGO_URL,
                "topic": dict(TOPIC),
            },
        }
        suggestions = self._suggestions(a, ctx, finding)
        if suggestions:
            card["selectionBehavior"] = "any"
            card["suggestions"] = suggestions
        card["overrideReasons"] = [dict(r) for r in OVERRIDE_REASONS]
        links = _links(ctx)
        if links:
            card["links"] = links
        return [card]

    def summary(self, view: CardView) -> str:
        """The summary, shortened (never cut mid-word) until it is under 140 characters."""
        for detail_level in ("full", "short", "minimal"):
            text = self._summary.render(v=view, a=view.a, level=detail_level).strip()
            if len(text) <= SUMMARY_MAX:
                return text
        return text[: SUMMARY_MAX - 1].rsplit(" ", 1)[0] + "…"

    def _suggestions(self, a: Assessment, ctx: CardContext, finding: str) -> list[dict[str, Any]]:
        keys = list(a.suggestions)
        if a.flare is not None and not a.flare.confirmed:
            keys.insert(0, UPCR)  # a possible flare: repeat the test to confirm or refute
        if a.response is Response.LOST:
            keys.insert(0, UPCR)
        if not a.function_assessed and a.status not in (Status.POSSIBLE_LN,):
            keys.append(messages.CREATININE)
        out: list[dict[str, Any]] = []
        orderable = [k for k in _ordered_unique(keys) if k in ORDERABLE]
        # CDS Hooks 2.0 isRecommended: "when there are multiple suggestions"; omitted, not false
        recommended = _confirming(a) if len(orderable) > 1 else frozenset()
        for key in orderable:
            test = ORDERABLE[key]
            actions = [
                {
                    "type": "create",
                    "description": f"Create a draft order: {text}",
                    "resource": service_request(
                        code,
                        display,
                        text,
                        patient_id=ctx.patient_id,
                        requester=ctx.user_id,
                        encounter_id=ctx.encounter_id,
                        reason=f"Lupus nephritis monitoring ({a.status})",
                    ),
                }
                for code, display, text in test.tests
            ]
            suggestion: dict[str, Any] = {
                "label": test.label,
                "uuid": stable_uuid(ctx.hook_instance, finding, "order", key),
            }
            if key in recommended:
                suggestion["isRecommended"] = True
            suggestion["actions"] = actions
            out.append(suggestion)
        return out


def _confirming(a: Assessment) -> frozenset[str]:
    """The orders that would confirm or refute what the card reports, if anything needs it.

    An unconfirmed flare: repeat the test(s) whose values met the flare rule. A lost
    response: repeat the proteinuria. Anything else: none stands out among the orders.
    """
    if a.flare is not None:  # a confirmed flare needs treatment, not a confirming test
        if a.flare.confirmed:
            return frozenset()
        keys = {_ORDER_FOR_TEST.get(v.test, UPCR) for v in a.flare.evidence}
        return frozenset(keys or {UPCR})
    if a.response is Response.LOST:
        return frozenset({UPCR})
    return frozenset()


# the series a flare's evidence can show → the suggestion key that repeats the test
_ORDER_FOR_SERIES = {
    Series.PROTEINURIA: UPCR,
    Series.CREATININE: messages.CREATININE,
    Series.EGFR_REPORTED: messages.CREATININE,
    Series.URINE_RBC: messages.URINALYSIS,
    Series.URINE_WBC: messages.URINALYSIS,
    Series.RBC_CASTS: messages.URINALYSIS,
}
# evidence test names → that key, from the names the evidence uses (so they cannot drift)
_ORDER_FOR_TEST = {
    **dict.fromkeys(PROTEINURIA_NAMES.values(), UPCR),
    **{TEST_NAMES[series]: key for series, key in _ORDER_FOR_SERIES.items()},
    EGFR_TEST: messages.CREATININE,
}


def _ordered_unique(keys: Sequence[str]) -> list[str]:
    order = list(ORDERABLE)
    unique = dict.fromkeys(keys)
    return sorted(unique, key=lambda k: order.index(k) if k in order else len(order))


def _links(ctx: CardContext) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    if ctx.smart_launch_url:
        links.append(
            {
                "label": "Open the proteinuria and kidney function trend",
                "url": ctx.smart_launch_url,
                "type": "smart",
            }
        )
    if ctx.trend_url:
        links.append(
            {
                "label": "Proteinuria and kidney function trend (demo)",
                "url": ctx.trend_url,
                "type": "absolute",
            }
        )
    return links
