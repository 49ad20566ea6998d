"""The demo EHR signs its hook calls like an EHR when hook authentication is on.

The tokens are checked by the service's own JWT verifier (cds.auth) through the real app
factory, with the demo EHR configured as a trusted issuer the way an operator would do it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jwt
import pytest
from flask.testing import FlaskClient

from cds.views.demo_issuer import SUBJECT, DemoEhrIssuer, signable_path
from cds.web.app import config_from_env, create_app

BASE = "http://localhost"  # the Flask test client's host
HOOK = "/cds-services/lupus-nephritis"


@pytest.fixture(scope="module")
def issuer() -> DemoEhrIssuer:
    return DemoEhrIssuer.generate()


@pytest.fixture
def signed_demo(
    issuer: DemoEhrIssuer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> FlaskClient:
    """The real app in demo mode with auth on, trusting the demo EHR (its key inline)."""
    monkeypatch.setattr(DemoEhrIssuer, "generate", classmethod(lambda cls: issuer))
    issuers = tmp_path / "issuers.json"
    issuers.write_text(json.dumps({f"{BASE}/demo/ehr": {"jwks": issuer.jwks()}}), "utf-8")
    config = config_from_env(
        {
            "LNCDS_DEMO": "on",
            "LNCDS_AUTH": "on",
            "LNCDS_PUBLIC_URL": BASE,  # the JWT audience's base
            "LNCDS_TRUSTED_ISSUERS_FILE": str(issuers),
            "LNCDS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
        }
    )
    return create_app(config).test_client()


def _hook(patient_id: str = "ln-demo-01") -> dict[str, object]:
    return {
        "hook": "patient-view",
        "hookInstance": "0c7d2a1e-5f4b-4c1e-9d1a-2b3c4d5e6f70",
        "context": {"userId": "Practitioner/demo-nephrologist", "patientId": patient_id},
    }


def test_tokens_carry_the_cds_hooks_claims_and_a_public_only_jwk_set(
    issuer: DemoEhrIssuer,
) -> None:
    token = issuer.sign(
        issuer=f"{BASE}/demo/ehr", audience=BASE + HOOK, jku=f"{BASE}/demo/ehr/jwks.json", now=1000
    )
    header = jwt.get_unverified_header(token)
    assert header == {
        "alg": "ES384",
        "kid": issuer.kid,
        "jku": f"{BASE}/demo/ehr/jwks.json",
        "typ": "JWT",
    }
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == f"{BASE}/demo/ehr"
    assert claims["sub"] == SUBJECT
    assert claims["aud"] == BASE + HOOK
    assert claims["exp"] - claims["iat"] == 300
    assert re.fullmatch(r"[0-9a-f-]{36}", claims["jti"])
    (key,) = issuer.jwks()["keys"]
    assert key["kid"] == issuer.kid
    assert key["crv"] == "P-384"
    assert "d" not in key  # never the private part
    assert issuer.kid not in ("", None)
    assert "PRIVATE" not in repr(issuer)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/cds-services/lupus-nephritis", True),
        ("/cds-services/lupus-nephritis/feedback", True),
        ("/cds-services", False),
        ("/demo/fhir/Patient/ln-demo-01", False),
        ("https://elsewhere.example/cds-services/x", False),
        ("/cds-services/../admin", False),
        (None, False),
    ],
)
def test_the_demo_ehr_signs_only_for_hook_and_feedback_endpoints(
    path: str | None, allowed: bool
) -> None:
    assert (signable_path(path) is not None) is allowed


def test_the_demo_ehr_page_signs_its_hook_call_and_the_service_accepts_it(
    signed_demo: FlaskClient,
) -> None:
    page = signed_demo.get("/demo/patients/ln-demo-01").get_data(as_text=True)
    assert 'data-token-url="/demo/ehr/token"' in page
    assert f'data-issuer="{BASE}/demo/ehr"' in page
    assert signed_demo.post(HOOK, json=_hook()).status_code == 401  # auth really is on

    token = signed_demo.post("/demo/ehr/token", json={"path": HOOK}).get_json()["token"]
    answer = signed_demo.post(HOOK, json=_hook(), headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 200
    (card,) = answer.get_json()["cards"]
    assert card["indicator"] == "warning"
    replay = signed_demo.post(HOOK, json=_hook(), headers={"Authorization": f"Bearer {token}"})
    assert replay.status_code == 401  # one token, one call (jti replay cache)


def test_a_token_signed_for_the_hook_is_refused_by_the_feedback_endpoint(
    signed_demo: FlaskClient,
) -> None:
    token = signed_demo.post("/demo/ehr/token", json={"path": HOOK}).get_json()["token"]
    feedback = {"feedback": [{"card": "0c7d2a1e-5f4b-4c1e-9d1a-2b3c4d5e6f70", "outcome": "x"}]}
    answer = signed_demo.post(
        f"{HOOK}/feedback", json=feedback, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 401  # aud names the hook endpoint, not this one


def test_the_token_route_refuses_other_paths_and_non_json(signed_demo: FlaskClient) -> None:
    assert signed_demo.post("/demo/ehr/token", json={"path": "/smart/trend"}).status_code == 400
    assert signed_demo.post("/demo/ehr/token", data="path=" + HOOK).status_code == 400
    jwks = signed_demo.get("/demo/ehr/jwks.json").get_json()
    assert [k["kty"] for k in jwks["keys"]] == ["EC"]


def test_without_hook_authentication_the_demo_ehr_has_no_signer(tmp_path: Path) -> None:
    config = config_from_env(
        {"LNCDS_DEMO": "on", "LNCDS_AUTH": "off", "LNCDS_FEEDBACK_DB": str(tmp_path / "f.db")}
    )
    client = create_app(config).test_client()
    assert client.post("/demo/ehr/token", json={"path": HOOK}).status_code == 404
    assert client.get("/demo/ehr/jwks.json").status_code == 404
    assert "data-token-url" not in client.get("/demo/patients/ln-demo-01").get_data(as_text=True)
