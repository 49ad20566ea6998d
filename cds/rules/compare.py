"""Threshold comparisons with a 1e-9 tolerance (clinical.md §1).

Values arrive as floats after unit conversion (mg/mmol ÷ 100, µmol/L ÷ 88.4, ...) and
thresholds are often products (1.3 × 0.9, 0.85 × eGFR0), so a value that is exactly on a
threshold on paper can land a hair either side of it in binary. Every clinical comparison
goes through these helpers so that "at the threshold" behaves as the guideline writes it.
Values are compared unrounded; rounding is for display only.
"""

from __future__ import annotations

EPSILON = 1e-9


def lt(a: float, b: float) -> bool:
    """a < b, with a within EPSILON of b counting as equal (so not less)."""
    return a < b - EPSILON


def le(a: float, b: float) -> bool:
    """a ≤ b, with a within EPSILON of b counting as equal."""
    return a <= b + EPSILON


def gt(a: float, b: float) -> bool:
    """a > b, with a within EPSILON of b counting as equal (so not greater)."""
    return a > b + EPSILON


def ge(a: float, b: float) -> bool:
    """a ≥ b, with a within EPSILON of b counting as equal."""
    return a >= b - EPSILON
