"""Start a service process with its clock set to `LNCDS_TEST_FROZEN_AT` (tests only).

Python's `site` imports `sitecustomize` at start-up; the HAPI tests put this directory first on
the `PYTHONPATH` of the gunicorn process they start, so the production command runs unchanged
while "now" is the demo cohort's as-of date. The service has no setting of its own for that
(`LNCDS_AS_OF` is documented but not read: tests/hapi/test_as_of_setting.py), and the cohort's
statuses only hold on that date. The clock keeps ticking from there, so timeouts and budgets
measure real time. `time-machine` patches the C-level clock functions, which gunicorn's forked
workers inherit from the master.
"""

import os

_FROZEN_AT = os.environ.get("LNCDS_TEST_FROZEN_AT")
if _FROZEN_AT:
    from datetime import datetime

    import time_machine

    time_machine.travel(datetime.fromisoformat(_FROZEN_AT), tick=True).start()
