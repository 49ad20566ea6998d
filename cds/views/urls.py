"""The views' URL paths. `cds.web` gives `DEMO_TREND_PATH` to the hook for the card's demo link;
the SMART link is `LNCDS_SMART_LAUNCH_URL`, which should be our `SMART_LAUNCH_PATH`."""

from __future__ import annotations

SMART_LAUNCH_PATH = "/smart/launch"
SMART_CALLBACK_PATH = "/smart/callback"
SMART_TREND_PATH = "/smart/trend"
DEMO_INDEX_PATH = "/demo"
DEMO_TREND_PATH = "/demo/patients/{patient_id}/trend"
