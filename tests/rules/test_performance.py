"""Rules run on every hook call: years of daily results must not make them quadratic.

The worst case for the index-date reset (§3) is a long run with many later courses and no
response at all: every lab day is a day on which §6 must be checked. A quadratic scan
took about 24 s on this record and the linear one about 0.4 s (2.5 s under coverage
tracing); the bound sits between them with room for slow machines.
"""

from __future__ import annotations

import time

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
def test_years_of_daily_results_are_assessed_quickly(proteinuria: float, status: Status) -> None:
    rec = _long_record(proteinuria)
    started = time.perf_counter()
    assessment = run(rec)
    elapsed = time.perf_counter() - started
    assert assessment.status is status
    assert elapsed < 8.0
