"""The views' public URL rules (used by the cards module to build the card's link)."""

from __future__ import annotations

SMART_LAUNCH_PATH = "/smart/launch"
SMART_CALLBACK_PATH = "/smart/callback"
SMART_TREND_PATH = "/smart/trend"
DEMO_INDEX_PATH = "/demo"
DEMO_TREND_PATH = "/demo/patients/{patient_id}/trend"


def trend_link_url(base_url: str, patient_id: str, *, demo: bool) -> str:
    """The card link's URL.

    Demo mode: the demo trend page of this patient (link type `absolute`). Otherwise the SMART
    launch URL (link type `smart`; the EHR appends `iss` and `launch`, and the patient comes
    from the launch context, never from the URL).
    """
    base = base_url.rstrip("/")
    if demo:
        return base + DEMO_TREND_PATH.format(patient_id=patient_id)
    return base + SMART_LAUNCH_PATH
