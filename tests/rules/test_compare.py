"""Threshold comparisons: exact on paper means exact in code (clinical.md §1)."""

from __future__ import annotations

import pytest

from cds.rules.compare import ge, gt, le, lt


def test_product_landing_a_hair_off_the_threshold_counts_as_equal() -> None:
    product = 1.3 * 0.9  # 1.1700000000000002 in binary
    assert ge(1.17, product)
    assert le(product, 1.17)
    assert not lt(1.17, product)
    assert not gt(product, 1.17)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # a, b → (lt, le, gt, ge)
        (0.4999, 0.5, (True, True, False, False)),
        (0.5, 0.5, (False, True, False, True)),
        (0.5001, 0.5, (False, False, True, True)),
        (0.5 + 5e-10, 0.5, (False, True, False, True)),  # inside the tolerance: equal
        (0.5 - 5e-10, 0.5, (False, True, False, True)),
    ],
)
def test_comparisons_just_below_at_and_just_above(
    a: float, b: float, expected: tuple[bool, bool, bool, bool]
) -> None:
    assert (lt(a, b), le(a, b), gt(a, b), ge(a, b)) == expected
