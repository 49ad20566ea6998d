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
from fhir_mapping.record import PatientRecord
from tests.rules.builders import Item, egfr, mmf, p, rbc, record, rituximab, run, scr

DAYS = 3000


def _long_record(proteinuria: float) -> PatientRecord:
    items: list[Item] = [mmf(0, DAYS)]
    items += [rituximab(k * 180) for k in range(1, DAYS // 180)]
    for i in range(DAYS):
        items += [p(i, proteinuria if i else 4.0), scr(i, 1.0), egfr(i, 80), rbc(i, 2)]
    return record(*items, as_of=DAYS)


@pytest.mark.parametrize(
    ("proteinuria", "status"), [(4.0, Status.REFRACTORY), (0.3, Status.COMPLETE_RESPONSE)]
)
def test_years_of_daily_results_are_assessed(proteinuria: float, status: Status) -> None:
    assert run(_long_record(proteinuria)).status is status
