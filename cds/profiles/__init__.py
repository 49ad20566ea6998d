"""Clinical profiles: every threshold the rules use, read from one versioned JSON file each.

clinical.md asks for thresholds in data, not code: `kdigo-2024.json` (the default) and
`gu-2014.json` (the criteria of the trial that motivates the project, §7) sit beside this
module. The rules receive a `Profile` and never hold a clinical number of their own, so a
reviewer can check every threshold in one file, and a new profile is a new file.

The reader is strict (unknown or missing keys are errors) so that a typo in a data file
fails at load time instead of silently falling back to some default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from fhir_mapping.record import Series

DEFAULT_PROFILE = "kdigo-2024"
PROFILE_NAMES: tuple[str, ...] = ("kdigo-2024", "gu-2014")


class ProfileError(ValueError):
    """An unknown profile name or a malformed profile file (one-line message)."""


@dataclass(frozen=True, slots=True)
class IndexRules:
    """§3: the index date T0, baselines and the kidney-function window."""

    run_gap_days: int  # induction courses this close (end → next start) form one run
    condition_after_run_days: int  # an LN Condition this long after the run's end restarts T0
    baseline_before_days: int  # baselines: latest in [T0 − this, T0] ...
    baseline_after_days: int  # ... else earliest in (T0, T0 + this]
    function_window_days: int  # eGFR / Scr at t: closest within ± this


@dataclass(frozen=True, slots=True)
class ResponseRules:
    """§4 (and §7 for gu-2014): complete / partial / no response."""

    stale_days: int  # current P older than this is stale
    cr_p_below: float  # CR: P < this
    pr_fraction_of_p0: float  # PR: P ≤ this × P0 ...
    pr_p_below: float  # ... and P < this
    egfr_stable_fraction: float  # function stable: eGFR(t) ≥ this × eGFR0 ...
    scr_stable_fraction: float  # ... or Scr(t) ≤ this × Scr0
    nr_due_days: int  # NR only once as_of ≥ T0 + this (6 months)
    nr_min_p_days: int  # ... and the current P is dated ≥ T0 + this


@dataclass(frozen=True, slots=True)
class EntryRules:
    """§7: the trial's entry proteinuria; absent for kdigo-2024."""

    p0_at_least: float


@dataclass(frozen=True, slots=True)
class ActiveRules:
    """§5: active LN during induction."""

    days_since_index_below: int
    p_lookback_days: int  # a P must exist in [T0 − this, as_of]


class RefractoryRule(StrEnum):
    KDIGO_2024 = "kdigo-2024"
    GU_2014 = "gu-2014"


@dataclass(frozen=True, slots=True)
class KdigoRefractoryRules:
    """§4: no response despite an adequate induction course."""

    join_gap_days: int  # adequate MPAA records are joined like courses (§2)
    mpaa_min_daily_mg: Mapping[str, float]  # by ingredient (MMF 2 g, MPA 1.44 g)
    mpaa_default_ingredient: str  # threshold used for an ingredient not listed
    mpaa_min_days: int
    cyc_min_days: int
    cyc_min_doses: int
    cni_biologic_min_days: int
    rule: RefractoryRule = RefractoryRule.KDIGO_2024


@dataclass(frozen=True, slots=True)
class GuRefractoryRules:
    """§7: NCT01741857 entry criteria (the trial's definition of refractory)."""

    join_gap_days: int
    current_p_at_least: float
    glucocorticoid_above_mg: float  # prednisone-equivalent mg/day, exclusive
    prednisone_equivalence: Mapping[str, float]  # ingredient → factor to prednisone mg
    mpaa_min_daily_mg: Mapping[str, float]
    mpaa_default_ingredient: str
    mpaa_min_days: int
    cyc_min_days: int
    rule: RefractoryRule = RefractoryRule.GU_2014


@dataclass(frozen=True, slots=True)
class ProteinuricFlareRules:
    """§6, KDIGO 2012 relapse table (g/g)."""

    low_ref_below: float  # ref < this → P ≥ low_ref_p_at_least
    low_ref_p_at_least: float
    mid_ref_at_most: float  # low_ref_below ≤ ref ≤ this → P ≥ mid_ref_p_at_least
    mid_ref_p_at_least: float
    high_ref_factor: float  # ref > mid_ref_at_most → P ≥ this × ref
    severe_rise_above: float  # severe if P − ref > this


@dataclass(frozen=True, slots=True)
class NephriticFlareRules:
    """§6, Moroni: creatinine rise with nephritic sediment; KDIGO 2012 severity."""

    scr_factor: float  # Scr ≥ this × ref
    hematuria_above: float  # RBC/HPF > this counts as nephritic sediment
    sediment_window_days: int  # sediment within ± this of the creatinine
    high_ref_at_least: float  # ref ≥ this uses the high-ref severity step
    severe_rise_above_low_ref: float
    severe_rise_above_high_ref: float


@dataclass(frozen=True, slots=True)
class MildFlareRules:
    """§6, KDIGO 2012 mild relapse (sediment)."""

    rbc_above: float
    ref_rbc_at_most: float


@dataclass(frozen=True, slots=True)
class FlareRules:
    lookback_days: int  # judged values all within this many days before as_of
    confirm_days: int  # a window spanning ≥ this is confirmed
    proteinuric: ProteinuricFlareRules
    nephritic: NephriticFlareRules
    mild: MildFlareRules


@dataclass(frozen=True, slots=True)
class PossibleLnRules:
    """§8 `possible-ln`: SLE without LN but with renal findings."""

    window_days: int
    p_at_least: float
    min_days_apart: int
    hematuria_above: float
    sediment_window_days: int


@dataclass(frozen=True, slots=True)
class KidneyFailureRules:
    """§2 last bullet: kidney failure from the eGFR series."""

    window_days: int
    egfr_below: float
    min_values: int
    min_span_days: int


class SledaiTest(StrEnum):
    ABOVE = "above"  # value > threshold
    BELOW = "below"  # value < threshold
    POSITIVE = "positive"  # RBC cast positive
    FLAG = "flag"  # low complement / raised anti-dsDNA flag set


@dataclass(frozen=True, slots=True)
class SledaiItemRule:
    item: str
    series: tuple[Series, ...]
    test: SledaiTest
    points: int
    renal: bool
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class SledaiRules:
    window_days: int
    items: tuple[SledaiItemRule, ...]


@dataclass(frozen=True, slots=True)
class MonitoringRules:
    overdue_days: int  # a test not done for this long is suggested


@dataclass(frozen=True, slots=True)
class VisitRules:
    """§7 cohort visits: months after T0, round(m × days_per_month) days, ± window."""

    months: tuple[int, ...]
    days_per_month: float
    window_days: int


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    version: str
    title: str
    index: IndexRules
    response: ResponseRules
    entry: EntryRules | None
    active: ActiveRules
    refractory: KdigoRefractoryRules | GuRefractoryRules
    flare: FlareRules
    possible_ln: PossibleLnRules
    kidney_failure: KidneyFailureRules
    sledai2k: SledaiRules
    monitoring: MonitoringRules
    visits: VisitRules | None
    sources: Mapping[str, str]

    def source(self, key: str) -> str:
        """The published source of one criterion, for the card ("KDIGO 2024", ...)."""
        return self.sources[key]


SOURCE_KEYS = frozenset(
    {
        "index",
        "response",
        "no_response",
        "refractory",
        "active",
        "entry",
        "flare_proteinuric",
        "flare_nephritic",
        "flare_mild",
        "possible_ln",
        "kidney_failure",
        "sledai2k",
    }
)


def load_profile(name: str = DEFAULT_PROFILE) -> Profile:
    """The named profile, read once from its JSON file (cached: profiles are immutable)."""
    if name not in PROFILE_NAMES:
        known = ", ".join(PROFILE_NAMES)
        raise ProfileError(f"unknown profile {name!r} (known: {known})")
    return _load(name)


@cache
def _load(name: str) -> Profile:
    text = resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"profile {name}: not valid JSON ({exc.msg})") from exc
    profile = parse_profile(raw, where=name)
    if profile.name != name:
        raise ProfileError(f"profile file {name}.json names itself {profile.name!r}")
    return profile


def parse_profile(raw: object, *, where: str = "profile") -> Profile:
    """Build a `Profile` from parsed JSON, rejecting unknown or missing keys."""
    top = _Obj(raw, where)
    profile = Profile(
        name=top.string("name"),
        version=top.string("version"),
        title=top.string("title"),
        index=_index(top.obj("index")),
        response=_response(top.obj("response")),
        entry=_entry(top.optional_obj("entry")),
        active=_active(top.obj("active")),
        refractory=_refractory(top.obj("refractory")),
        flare=_flare(top.obj("flare")),
        possible_ln=_possible_ln(top.obj("possible_ln")),
        kidney_failure=_kidney_failure(top.obj("kidney_failure")),
        sledai2k=_sledai(top.obj("sledai2k")),
        monitoring=_monitoring(top.obj("monitoring")),
        visits=_visits(top.optional_obj("visits")),
        sources=_sources(top.obj("sources")),
    )
    top.done()
    return profile


class _Obj:
    """A JSON object being read: each key must be read exactly once (`done` checks)."""

    def __init__(self, raw: object, where: str) -> None:
        if not isinstance(raw, dict):
            raise ProfileError(f"{where}: expected an object")
        self._raw: dict[str, Any] = raw
        self._where = where
        self._seen: set[str] = set()

    def _get(self, key: str) -> Any:
        if key not in self._raw:
            raise ProfileError(f"{self._where}: missing key {key!r}")
        self._seen.add(key)
        return self._raw[key]

    def string(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value:
            raise ProfileError(f"{self._where}.{key}: expected a non-empty string")
        return value

    def number(self, key: str) -> float:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ProfileError(f"{self._where}.{key}: expected a non-negative number")
        return float(value)

    def days(self, key: str) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ProfileError(f"{self._where}.{key}: expected a whole number of days")
        return value

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise ProfileError(f"{self._where}.{key}: expected true or false")
        return value

    def obj(self, key: str) -> _Obj:
        return _Obj(self._get(key), f"{self._where}.{key}")

    def optional_obj(self, key: str) -> _Obj | None:
        value = self._get(key)
        return None if value is None else _Obj(value, f"{self._where}.{key}")

    def array(self, key: str) -> list[Any]:
        value = self._get(key)
        if not isinstance(value, list) or not value:
            raise ProfileError(f"{self._where}.{key}: expected a non-empty list")
        return value

    def number_map(self, key: str) -> Mapping[str, float]:
        inner = self.obj(key)
        out = {k: inner.number(k) for k in inner.names()}
        inner.done()
        return MappingProxyType(out)

    def names(self) -> tuple[str, ...]:
        return tuple(self._raw)

    def done(self) -> None:
        extra = sorted(set(self._raw) - self._seen)
        if extra:
            raise ProfileError(f"{self._where}: unknown key(s) {', '.join(extra)}")


def _index(o: _Obj) -> IndexRules:
    rules = IndexRules(
        run_gap_days=o.days("run_gap_days"),
        condition_after_run_days=o.days("condition_after_run_days"),
        baseline_before_days=o.days("baseline_before_days"),
        baseline_after_days=o.days("baseline_after_days"),
        function_window_days=o.days("function_window_days"),
    )
    o.done()
    return rules


def _response(o: _Obj) -> ResponseRules:
    rules = ResponseRules(
        stale_days=o.days("stale_days"),
        cr_p_below=o.number("cr_p_below"),
        pr_fraction_of_p0=o.number("pr_fraction_of_p0"),
        pr_p_below=o.number("pr_p_below"),
        egfr_stable_fraction=o.number("egfr_stable_fraction"),
        scr_stable_fraction=o.number("scr_stable_fraction"),
        nr_due_days=o.days("nr_due_days"),
        nr_min_p_days=o.days("nr_min_p_days"),
    )
    o.done()
    return rules


def _entry(o: _Obj | None) -> EntryRules | None:
    if o is None:
        return None
    rules = EntryRules(p0_at_least=o.number("p0_at_least"))
    o.done()
    return rules


def _active(o: _Obj) -> ActiveRules:
    rules = ActiveRules(
        days_since_index_below=o.days("days_since_index_below"),
        p_lookback_days=o.days("p_lookback_days"),
    )
    o.done()
    return rules


def _refractory(o: _Obj) -> KdigoRefractoryRules | GuRefractoryRules:
    try:
        rule = RefractoryRule(o.string("rule"))
    except ValueError as exc:
        raise ProfileError(f"refractory.rule: unknown rule ({exc})") from exc
    rules: KdigoRefractoryRules | GuRefractoryRules
    if rule is RefractoryRule.KDIGO_2024:
        rules = KdigoRefractoryRules(
            join_gap_days=o.days("join_gap_days"),
            mpaa_min_daily_mg=o.number_map("mpaa_min_daily_mg"),
            mpaa_default_ingredient=o.string("mpaa_default_ingredient"),
            mpaa_min_days=o.days("mpaa_min_days"),
            cyc_min_days=o.days("cyc_min_days"),
            cyc_min_doses=o.days("cyc_min_doses"),
            cni_biologic_min_days=o.days("cni_biologic_min_days"),
        )
    else:
        rules = GuRefractoryRules(
            join_gap_days=o.days("join_gap_days"),
            current_p_at_least=o.number("current_p_at_least"),
            glucocorticoid_above_mg=o.number("glucocorticoid_above_mg"),
            prednisone_equivalence=o.number_map("prednisone_equivalence"),
            mpaa_min_daily_mg=o.number_map("mpaa_min_daily_mg"),
            mpaa_default_ingredient=o.string("mpaa_default_ingredient"),
            mpaa_min_days=o.days("mpaa_min_days"),
            cyc_min_days=o.days("cyc_min_days"),
        )
    if rules.mpaa_default_ingredient not in rules.mpaa_min_daily_mg:
        raise ProfileError("refractory.mpaa_default_ingredient: not in mpaa_min_daily_mg")
    o.done()
    return rules


def _flare(o: _Obj) -> FlareRules:
    p = o.obj("proteinuric")
    proteinuric = ProteinuricFlareRules(
        low_ref_below=p.number("low_ref_below"),
        low_ref_p_at_least=p.number("low_ref_p_at_least"),
        mid_ref_at_most=p.number("mid_ref_at_most"),
        mid_ref_p_at_least=p.number("mid_ref_p_at_least"),
        high_ref_factor=p.number("high_ref_factor"),
        severe_rise_above=p.number("severe_rise_above"),
    )
    p.done()
    n = o.obj("nephritic")
    nephritic = NephriticFlareRules(
        scr_factor=n.number("scr_factor"),
        hematuria_above=n.number("hematuria_above"),
        sediment_window_days=n.days("sediment_window_days"),
        high_ref_at_least=n.number("high_ref_at_least"),
        severe_rise_above_low_ref=n.number("severe_rise_above_low_ref"),
        severe_rise_above_high_ref=n.number("severe_rise_above_high_ref"),
    )
    n.done()
    m = o.obj("mild")
    mild = MildFlareRules(
        rbc_above=m.number("rbc_above"), ref_rbc_at_most=m.number("ref_rbc_at_most")
    )
    m.done()
    rules = FlareRules(
        lookback_days=o.days("lookback_days"),
        confirm_days=o.days("confirm_days"),
        proteinuric=proteinuric,
        nephritic=nephritic,
        mild=mild,
    )
    o.done()
    return rules


def _possible_ln(o: _Obj) -> PossibleLnRules:
    rules = PossibleLnRules(
        window_days=o.days("window_days"),
        p_at_least=o.number("p_at_least"),
        min_days_apart=o.days("min_days_apart"),
        hematuria_above=o.number("hematuria_above"),
        sediment_window_days=o.days("sediment_window_days"),
    )
    o.done()
    return rules


def _kidney_failure(o: _Obj) -> KidneyFailureRules:
    rules = KidneyFailureRules(
        window_days=o.days("window_days"),
        egfr_below=o.number("egfr_below"),
        min_values=o.days("min_values"),
        min_span_days=o.days("min_span_days"),
    )
    o.done()
    return rules


def _sledai(o: _Obj) -> SledaiRules:
    items: list[SledaiItemRule] = []
    for i, raw in enumerate(o.array("items")):
        item = _Obj(raw, f"sledai2k.items[{i}]")
        try:
            series = tuple(Series(s) for s in item.array("series"))
            test = SledaiTest(item.string("test"))
        except ValueError as exc:
            raise ProfileError(f"sledai2k.items[{i}]: {exc}") from exc
        threshold = (
            item.number("threshold") if test in (SledaiTest.ABOVE, SledaiTest.BELOW) else None
        )
        items.append(
            SledaiItemRule(
                item=item.string("item"),
                series=series,
                test=test,
                points=item.days("points"),
                renal=item.boolean("renal"),
                threshold=threshold,
            )
        )
        item.done()
    rules = SledaiRules(window_days=o.days("window_days"), items=tuple(items))
    o.done()
    return rules


def _monitoring(o: _Obj) -> MonitoringRules:
    rules = MonitoringRules(overdue_days=o.days("overdue_days"))
    o.done()
    return rules


def _visits(o: _Obj | None) -> VisitRules | None:
    if o is None:
        return None
    months: list[int] = []
    for m in o.array("months"):
        if isinstance(m, bool) or not isinstance(m, int) or m <= 0:
            raise ProfileError("visits.months: expected positive whole months")
        months.append(m)
    rules = VisitRules(
        months=tuple(months),
        days_per_month=o.number("days_per_month"),
        window_days=o.days("window_days"),
    )
    o.done()
    return rules


def _sources(o: _Obj) -> Mapping[str, str]:
    out = {key: o.string(key) for key in sorted(SOURCE_KEYS)}
    o.done()
    return MappingProxyType(out)
