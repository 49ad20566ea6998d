"""Assessment → the plain values the card templates print (no jinja2, no HTTP here).

Everything a card says is read from the `Assessment`; this module only chooses and formats
(the number that matters for the summary, the evidence rows, the baseline lines), so the
templates stay free of logic and every statement stays traceable to a `ValueUsed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cds.assessment import Assessment, Criterion, Flare, Status, ValueUsed
from cds.cards.text import number
from cds.rules import messages

_SHORT_NAMES = {
    "Urine protein/creatinine ratio (spot)": "UPCR",
    "Urine protein/creatinine ratio (24-h)": "24-h UPCR",
    "Urine protein (24-h)": "24-h urine protein",
    "Serum creatinine": "creatinine",
    "Urine RBC per HPF": "urine RBC",
    "Urine RBC casts": "RBC casts",
}
_BASELINE_LABELS = {"P0": "proteinuria", "eGFR0": "eGFR", "Scr0": "creatinine"}
_CURRENT_P = "P"
NOTES_SHOWN = 10


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    label: str
    test: str
    date: str
    reported: str
    normalised: str
    threshold: str
    source: str


@dataclass(frozen=True, slots=True)
class BaselineLine:
    name: str  # "proteinuria (P0)"
    value: str  # "3.2 g/g"
    date: str
    source: str
    window: str  # "before T0" | "after T0"


@dataclass(frozen=True, slots=True)
class CardView:
    """What the templates print for one assessment."""

    a: Assessment
    status: str
    flare_phrase: str  # "confirmed proteinuric flare" / "possible nephritic flare" / ""
    key_value: str  # "UPCR 1.5 g/g" ("" when there is none)
    change: str  # "up from 0.3 after complete response" ("" when there is none)
    months_since_index: str  # "7" ("" without T0)
    evidence: tuple[EvidenceRow, ...]
    index_date: str
    baselines: tuple[BaselineLine, ...]
    criteria: tuple[tuple[str, Criterion], ...]  # (id, criterion)
    caveats: tuple[str, ...]
    notes: tuple[str, ...]
    notes_more: int


def short_name(test: str) -> str:
    return _SHORT_NAMES.get(test, test)


_UNIT_DISPLAY = {
    "{1.73_m2}": "1.73 m²",
    "[HPF]": "HPF",
    "[LPF]": "LPF",
    "10*9": "10⁹",
    "g/(24.h)": "g/24 h",
}


def unit_text(unit: str) -> str:
    """A canonical (UCUM) unit as a clinician reads it: `mL/min/{1.73_m2}` → `mL/min/1.73 m²`."""
    for code, text in _UNIT_DISPLAY.items():
        unit = unit.replace(code, text)
    return unit


def quantity(v: ValueUsed) -> str:
    return f"{number(v.value)} {unit_text(v.unit)}".strip()


def build_view(a: Assessment) -> CardView:
    key, change = _key_value(a)
    months = ""
    if a.index_date is not None:
        months = str(max(0, round((a.as_of - a.index_date).days / 30.44)))
    return CardView(
        a=a,
        status=str(a.status),
        flare_phrase=_flare_phrase(a.flare),
        key_value=key,
        change=change,
        months_since_index=months,
        evidence=_evidence(a),
        index_date=a.index_date.isoformat() if a.index_date else "",
        baselines=_baselines(a),
        criteria=tuple((criterion_id(i), c) for i, c in enumerate(a.criteria)),
        caveats=_caveats(a),
        notes=tuple(_note_text(n.code, n.message) for n in a.notes[:NOTES_SHOWN]),
        notes_more=max(0, len(a.notes) - NOTES_SHOWN),
    )


def _flare_phrase(flare: Flare | None) -> str:
    if flare is None:
        return ""
    certainty = "confirmed" if flare.confirmed else "possible"
    return f"{certainty} {flare.type} flare"


def _key_value(a: Assessment) -> tuple[str, str]:
    """The one number that matters for the status, and how it moved."""
    if a.status is Status.FLARE and a.flare is not None:
        window = sorted(a.flare.evidence, key=lambda v: v.date)
        if not window:
            return "", ""
        latest = window[-1]
        key = f"{short_name(latest.test)} {quantity(latest)}"
        if latest.unit in ("", "1") and "cast" in latest.test.lower():
            key = f"{short_name(latest.test)} positive"
        ref = a.flare.reference
        change = (
            f"up from {number(ref.value)}"
            if ref is not None and "cast" not in latest.test.lower()
            else ""
        )
        after = _remission_before(a, ref.date if ref is not None else a.flare.date)
        if after:
            change = f"{change} after {after}".strip()
        return key, change
    current = a.value(_CURRENT_P)
    if current is None:
        return "", ""
    key = f"{short_name(current.test)} {quantity(current)}"
    baseline = a.value("P0")
    if a.status is Status.PARTIAL_RESPONSE and baseline is not None:
        return key, f"down from {number(baseline.value)} at baseline"
    return key, ""


def _remission_before(a: Assessment, when: date) -> str:
    """The response the flare is measured from: the last CR/PR reached by `when`."""
    reached = [(d, event) for event, d in a.milestones if event in ("CR", "PR") and d <= when]
    if not reached:
        return ""
    _, event = max(reached)
    return "complete response" if event == "CR" else "partial response"


def criterion_id(index: int) -> str:
    """How the evidence table refers to a criterion of the "Criteria applied" list."""
    return f"C{index + 1}"


def _thresholds(a: Assessment) -> dict[tuple[str, str, tuple[str, ...]], list[str]]:
    """Each value → the ids of the criteria (thresholds) it was judged against."""
    cited: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    for index, criterion in enumerate(a.criteria):
        for v in criterion.evidence:
            ids = cited.setdefault((v.test, v.date.isoformat(), v.sources), [])
            if criterion_id(index) not in ids:
                ids.append(criterion_id(index))
    return cited


def _evidence(a: Assessment) -> tuple[EvidenceRow, ...]:
    values: list[ValueUsed] = list(a.values)
    if a.flare is not None:
        if a.flare.reference is not None:
            values.append(a.flare.reference)
        values.extend(a.flare.evidence)
    for criterion in a.criteria:
        values.extend(criterion.evidence)
    cited = _thresholds(a)
    rows: list[EvidenceRow] = []
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    for v in values:
        key = (v.test, v.date.isoformat(), v.sources)
        if key in seen:
            continue
        seen.add(key)
        source = ", ".join(v.sources) or "—"
        if v.detail:
            source = f"{source} ({v.detail})"
        rows.append(
            EvidenceRow(
                label=v.label,
                test=v.test,
                date=v.date.isoformat(),
                reported=v.reported or "—",
                normalised=quantity(v),
                threshold=", ".join(cited.get(key, ())) or "—",
                source=source,
            )
        )
    rows.sort(key=lambda r: (r.test, r.date))
    return tuple(rows)


def _baselines(a: Assessment) -> tuple[BaselineLine, ...]:
    lines: list[BaselineLine] = []
    for label, name in _BASELINE_LABELS.items():
        v = a.value(label)
        if v is None:
            continue
        window = ""
        if a.index_date is not None:
            window = "after T0" if v.date > a.index_date else "before T0"
        lines.append(
            BaselineLine(
                name=f"{name} ({label})",
                value=quantity(v),
                date=v.date.isoformat(),
                source=", ".join(v.sources) or "—",
                window=window,
            )
        )
    return tuple(lines)


def _note_text(code: str, message: str) -> str:
    return f"{code}: {message}"


def _caveats(a: Assessment) -> tuple[str, ...]:
    caveats = list(a.caveats)
    if not a.function_assessed and a.status is not Status.POSSIBLE_LN:
        caveats.append(messages.FUNCTION_NOT_ASSESSED)
    return tuple(dict.fromkeys(caveats))
