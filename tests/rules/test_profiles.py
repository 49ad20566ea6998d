"""Profiles: every threshold lives in a versioned JSON file, read strictly."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from cds.profiles import (
    GuRefractoryRules,
    KdigoRefractoryRules,
    Profile,
    ProfileError,
    load_profile,
    parse_profile,
)


def _raw(name: str) -> dict[str, Any]:
    text = resources.files("cds.profiles").joinpath(f"{name}.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@pytest.mark.parametrize("name", ["kdigo-2024", "gu-2014"])
def test_each_profile_loads_with_its_own_name_and_a_version(name: str) -> None:
    profile = load_profile(name)
    assert profile.name == name
    assert profile.version


def test_default_profile_is_kdigo_2024() -> None:
    assert load_profile().name == "kdigo-2024"


def test_unknown_profile_name_is_a_one_line_error() -> None:
    with pytest.raises(ProfileError, match="unknown profile 'eular-2012'"):
        load_profile("eular-2012")


KDIGO_THRESHOLDS: list[tuple[str, Any]] = [
    ("index.run_gap_days", 90),
    ("index.condition_after_run_days", 90),
    ("index.baseline_before_days", 90),
    ("index.baseline_after_days", 14),
    ("index.function_window_days", 30),
    ("response.stale_days", 180),
    ("response.cr_p_below", 0.5),
    ("response.pr_fraction_of_p0", 0.5),
    ("response.pr_p_below", 3.0),
    ("response.egfr_stable_fraction", 0.85),
    ("response.scr_stable_fraction", 1.15),
    ("response.nr_due_days", 183),
    ("response.nr_min_p_days", 150),
    ("active.days_since_index_below", 183),
    ("active.p_lookback_days", 90),
    ("refractory.mpaa_min_days", 183),
    ("refractory.cyc_min_days", 183),
    ("refractory.cyc_min_doses", 6),
    ("refractory.cni_biologic_min_days", 183),
    ("refractory.join_gap_days", 90),
    ("flare.lookback_days", 180),
    ("flare.confirm_days", 7),
    ("flare.proteinuric.low_ref_below", 0.5),
    ("flare.proteinuric.low_ref_p_at_least", 1.0),
    ("flare.proteinuric.mid_ref_at_most", 1.0),
    ("flare.proteinuric.mid_ref_p_at_least", 2.0),
    ("flare.proteinuric.high_ref_factor", 2.0),
    ("flare.proteinuric.severe_rise_above", 5.0),
    ("flare.nephritic.scr_factor", 1.30),
    ("flare.nephritic.hematuria_above", 5),
    ("flare.nephritic.sediment_window_days", 30),
    ("flare.nephritic.high_ref_at_least", 2.0),
    ("flare.nephritic.severe_rise_above_low_ref", 1.0),
    ("flare.nephritic.severe_rise_above_high_ref", 1.5),
    ("flare.mild.rbc_above", 15),
    ("flare.mild.ref_rbc_at_most", 5),
    ("possible_ln.window_days", 180),
    ("possible_ln.p_at_least", 0.5),
    ("possible_ln.min_days_apart", 7),
    ("possible_ln.hematuria_above", 5),
    ("possible_ln.sediment_window_days", 30),
    ("kidney_failure.window_days", 90),
    ("kidney_failure.egfr_below", 15),
    ("kidney_failure.min_values", 2),
    ("kidney_failure.min_span_days", 30),
    ("sledai2k.window_days", 30),
    ("monitoring.overdue_days", 180),
]


def _get(profile: Profile, path: str) -> Any:
    value: Any = profile
    for part in path.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize(("path", "expected"), KDIGO_THRESHOLDS)
def test_kdigo_2024_pins_each_threshold(path: str, expected: Any) -> None:
    assert _get(load_profile("kdigo-2024"), path) == expected


def test_kdigo_2024_mpaa_full_doses_are_2_g_mmf_and_1_44_g_mpa() -> None:
    rules = load_profile("kdigo-2024").refractory
    assert isinstance(rules, KdigoRefractoryRules)
    assert dict(rules.mpaa_min_daily_mg) == {
        "mycophenolate mofetil": 2000,
        "mycophenolic acid": 1440,
        "mycophenolate sodium": 1440,
    }


def test_gu_2014_pins_its_own_thresholds() -> None:
    gu = load_profile("gu-2014")
    assert gu.response.egfr_stable_fraction == 0.90
    assert gu.response.scr_stable_fraction == 1.11
    assert gu.entry is not None
    assert gu.entry.p0_at_least == 1.0
    rules = gu.refractory
    assert isinstance(rules, GuRefractoryRules)
    assert rules.current_p_at_least == 1.0
    assert rules.glucocorticoid_above_mg == 20
    assert dict(rules.prednisone_equivalence) == {
        "prednisone": 1.0,
        "prednisolone": 1.0,
        "methylprednisolone": 1.25,
    }
    assert rules.mpaa_min_daily_mg["mycophenolate mofetil"] == 2000
    assert rules.mpaa_min_days == 91
    assert rules.cyc_min_days == 183
    assert gu.visits is not None
    assert gu.visits.months == (1, 3, 6, 9, 12)
    assert gu.visits.days_per_month == 30.44
    assert gu.visits.window_days == 30


def test_sledai2k_items_and_points_follow_gladman_2002() -> None:
    items = {i.item: (i.points, i.renal, i.threshold) for i in load_profile().sledai2k.items}
    assert items == {
        "urinary casts": (4, True, None),
        "hematuria": (4, True, 5),
        "proteinuria": (4, True, 0.5),
        "pyuria": (4, True, 5),
        "low complement": (2, False, None),
        "increased DNA binding": (2, False, None),
        "thrombocytopenia": (1, False, 100),
        "leukopenia": (1, False, 3),
    }
    assert sum(points for points, _, _ in items.values()) == 22
    assert sum(points for points, renal, _ in items.values() if renal) == 16


def _differences(a: Any, b: Any, path: str = "") -> set[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: set[str] = set()
        for key in set(a) | set(b):
            out |= _differences(a.get(key), b.get(key), f"{path}.{key}" if path else key)
        return out
    return set() if a == b else {path}


def test_gu_2014_differs_from_kdigo_only_where_section_7_says() -> None:
    diff = _differences(_raw("kdigo-2024"), _raw("gu-2014"))
    structural = {d for d in diff if not d.startswith(("sources.", "refractory"))}
    assert structural == {
        "name",
        "title",
        "response.egfr_stable_fraction",
        "response.scr_stable_fraction",
        "entry",
        "visits",
    }


def test_profile_with_an_unknown_key_is_rejected() -> None:
    raw = copy.deepcopy(_raw("kdigo-2024"))
    raw["response"]["cr_p_bellow"] = 0.5
    with pytest.raises(ProfileError, match=r"response: unknown key\(s\) cr_p_bellow"):
        parse_profile(raw)


def test_profile_missing_a_threshold_is_rejected() -> None:
    raw = copy.deepcopy(_raw("kdigo-2024"))
    del raw["flare"]["nephritic"]["scr_factor"]
    with pytest.raises(ProfileError, match="missing key 'scr_factor'"):
        parse_profile(raw)


@pytest.mark.parametrize("bad", ["0.5", True, -1, None])
def test_profile_threshold_must_be_a_non_negative_number(bad: Any) -> None:
    raw = copy.deepcopy(_raw("kdigo-2024"))
    raw["response"]["cr_p_below"] = bad
    with pytest.raises(ProfileError, match="cr_p_below"):
        parse_profile(raw)


def test_profile_days_must_be_whole_numbers() -> None:
    raw = copy.deepcopy(_raw("kdigo-2024"))
    raw["response"]["nr_due_days"] = 182.5
    with pytest.raises(ProfileError, match="nr_due_days: expected a whole number of days"):
        parse_profile(raw)


def test_profile_source_for_every_criterion_is_present() -> None:
    for name in ("kdigo-2024", "gu-2014"):
        profile = load_profile(name)
        for key in ("response", "refractory", "flare_proteinuric", "flare_nephritic", "flare_mild"):
            assert profile.source(key)
    assert "KDIGO 2012" in load_profile().source("flare_proteinuric")
    assert "Moroni" in load_profile().source("flare_nephritic")
