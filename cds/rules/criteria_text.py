"""The rule text of each criterion, written from the profile's numbers.

Cards show "which rule, from which source" next to each finding; building the sentence
from the same profile values the rule used keeps the text and the logic from drifting.
"""

from __future__ import annotations

from cds.profiles import GuRefractoryRules, KdigoRefractoryRules, Profile


def num(x: float) -> str:
    """0.5 → "0.5", 3.0 → "3", 1.44 → "1.44"."""
    return f"{x:g}"


def pct(fraction: float) -> str:
    return f"{fraction * 100:g} %"


def function_clause(profile: Profile) -> str:
    r = profile.response
    return (
        f"kidney function not fallen (eGFR ≥ {pct(r.egfr_stable_fraction)} of baseline, "
        f"or creatinine ≤ {pct(r.scr_stable_fraction)} of baseline)"
    )


def complete_response(profile: Profile) -> str:
    return f"P < {num(profile.response.cr_p_below)} g/g and {function_clause(profile)}"


def partial_response(profile: Profile) -> str:
    r = profile.response
    return (
        f"P ≤ {pct(r.pr_fraction_of_p0)} of baseline P0 and P < {num(r.pr_p_below)} g/g, "
        f"and {function_clause(profile)}"
    )


def function_stable(profile: Profile) -> str:
    r = profile.response
    return (
        f"eGFR within ± {profile.index.function_window_days} days ≥ "
        f"{pct(r.egfr_stable_fraction)} of eGFR0, or creatinine ≤ "
        f"{pct(r.scr_stable_fraction)} of Scr0"
    )


def no_response(profile: Profile) -> str:
    r = profile.response
    return (
        f"no complete or partial response at any proteinuria since the index date, "
        f"≥ {r.nr_due_days} days after it, with the current proteinuria dated "
        f"≥ {r.nr_min_p_days} days after it"
    )


def refractory(profile: Profile) -> str:
    rules = profile.refractory
    if isinstance(rules, KdigoRefractoryRules):
        return (
            "no response despite an adequate course since the index date: MPAA at "
            f"{_mpaa_doses(rules)} for ≥ {rules.mpaa_min_days} days, cyclophosphamide for "
            f"≥ {rules.cyc_min_days} days or ≥ {rules.cyc_min_doses} doses, or a calcineurin "
            f"inhibitor or biologic for ≥ {rules.cni_biologic_min_days} days"
        )
    return (
        f"current proteinuria ≥ {num(rules.current_p_at_least)} g/g without response, on a "
        f"glucocorticoid > {num(rules.glucocorticoid_above_mg)} mg/day prednisone-equivalent, "
        f"after cyclophosphamide for ≥ {rules.cyc_min_days} days or MPAA at "
        f"{_mpaa_doses(rules)} for ≥ {rules.mpaa_min_days} days"
    )


def _mpaa_doses(rules: KdigoRefractoryRules | GuRefractoryRules) -> str:
    parts = [f"≥ {num(mg / 1000)} g/day {name}" for name, mg in rules.mpaa_min_daily_mg.items()]
    return ", ".join(parts)


def proteinuric_flare(profile: Profile) -> str:
    p = profile.flare.proteinuric
    return (
        f"after a response, against the lowest proteinuria since: P ≥ {num(p.low_ref_p_at_least)} "
        f"g/g if it was < {num(p.low_ref_below)}; P ≥ {num(p.mid_ref_p_at_least)} g/g if it was "
        f"{num(p.low_ref_below)}–{num(p.mid_ref_at_most)}; P ≥ {num(p.high_ref_factor)} × it if "
        f"it was > {num(p.mid_ref_at_most)}"
    )


def nephritic_flare(profile: Profile) -> str:
    n = profile.flare.nephritic
    return (
        f"after a response: creatinine ≥ {pct(n.scr_factor)} of the lowest since, with "
        f"hematuria > {num(n.hematuria_above)} RBC/HPF or RBC casts within ± "
        f"{n.sediment_window_days} days"
    )


def mild_flare(profile: Profile) -> str:
    m = profile.flare.mild
    return (
        f"after a response: hematuria > {num(m.rbc_above)} RBC/HPF from ≤ "
        f"{num(m.ref_rbc_at_most)} RBC/HPF, or RBC casts after negative results"
    )


def flare_confirmation(profile: Profile) -> str:
    return f"confirmed when the values meeting the rule span ≥ {profile.flare.confirm_days} days"


def active(profile: Profile) -> str:
    a = profile.active
    return (
        f"fewer than {a.days_since_index_below} days since the index date, proteinuria measured "
        f"since {a.p_lookback_days} days before it, and no response at the current proteinuria"
    )


def possible_ln(profile: Profile) -> str:
    r = profile.possible_ln
    return (
        f"SLE with, in the last {r.window_days} days, two proteinuria values ≥ "
        f"{num(r.p_at_least)} g/g at least {r.min_days_apart} days apart, or one with hematuria "
        f"> {num(r.hematuria_above)} RBC/HPF or RBC casts within ± {r.sediment_window_days} days"
    )


def kidney_failure(profile: Profile) -> str:
    k = profile.kidney_failure
    return (
        "a kidney failure Condition (dialysis, transplant, CKD stage 5), or "
        f"≥ {k.min_values} eGFR values in the last {k.window_days} days, all "
        f"< {num(k.egfr_below)}, spanning ≥ {k.min_span_days} days"
    )


def entry(profile: Profile) -> str:
    if profile.entry is None:
        return ""
    return f"baseline proteinuria P0 ≥ {num(profile.entry.p0_at_least)} g/g"


def visit(profile: Profile, month: int, day: int) -> str:
    window = profile.visits.window_days if profile.visits else 0
    return f"complete or partial response at the proteinuria closest to day {day} (± {window} days)"
