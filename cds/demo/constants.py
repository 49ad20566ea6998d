"""Fixed facts of the demo cohort, kept apart so the generator script can import them alone.

The cohort's dates are all written relative to `DEMO_AS_OF`; its expected results hold when
it is assessed as of that day, so the demo service uses it as its clock instead of today.
"""

from __future__ import annotations

from datetime import date

DEMO_AS_OF = date(2026, 11, 1)
DEMO_PROFILE = "kdigo-2024"
# Base of the `fullUrl`s stored in the bundles; `ln-cds load-demo` rewrites it to the
# target server's base so the relative references resolve against that server.
DEMO_FULL_URL_BASE = "https://ln-cds-demo.example.org/fhir"
DEMO_PATIENT_PREFIX = "ln-demo-"
