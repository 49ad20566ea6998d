"""README's HAPI how-to pins the service's date with `LNCDS_AS_OF`; the service ignores it.

README.md ("Against a real FHIR server") starts the service with `LNCDS_AS_OF=2026-11-01` so
that the demo cohort, dated around that day, gives its expected statuses. `Config.from_env`
reads no such variable (unknown `LNCDS_*` names are silently ignored), so "today" stays the
real date and the cohort drifts away from expected.json as time passes (with "today" at
2027-03-01, ln-demo-08 is no longer `active` but `insufficient-data`). The HAPI tests pin
the clock of their gunicorn process instead (tests/hapi/frozen_clock). This test documents
the bug and turns into a failure (strict xfail) once the setting exists, so that its marker
and the workaround are removed then.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds.config import Config

PINNED = date(2020, 2, 29)


@pytest.mark.xfail(
    strict=True,
    reason="README documents LNCDS_AS_OF, but cds/config.py does not read it (issue 4 report)",
)
def test_lncds_as_of_pins_the_assessment_date() -> None:
    config = Config.from_env({"LNCDS_AS_OF": PINNED.isoformat()})
    assert config.today() == PINNED
