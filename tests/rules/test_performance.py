"""Rules run on every hook call: years of daily results are assessed, with the right status.

The worst case for the index-date reset (§3) is a long run with many later courses and no
response at all: every lab day is a day on which §6 must be checked. A quadratic scan once
took about 24 s on this record and the linear one about 0.4 s. How long it takes is
measured by the benchmark (`benchmarks/rules_scaling.py`, against the same record over half
the days, in the same run), not asserted here: a time limit in a test fails on a slow or
busy machine and lets a regression under the limit through.
"""

from __future__ import annotations

import pytest

from cds.assessment import Status
from tests.rules.builders import long_record, run

DAYS = 3000


@pytest.mark.parametrize(
    ("proteinuria", "status"), [(4.0, Status.REFRACTORY), (0.3, Status.COMPLETE_RESPONSE)]
)
def test_years_of_daily_results_are_assessed(proteinuria: float, status: Status) -> None:
    assert run(long_record(DAYS, proteinuria)).status is status
