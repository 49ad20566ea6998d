"""No token, name or lab value in any line the service writes (issue 7), against real HAPI.

The production command runs at DEBUG level (its own logs, gunicorn's access and error logs,
and every library logging to the root logger), and everything it writes to stdout and stderr
is captured. Through it go the whole cohort (every patient's names are distinct canary strings)
and a canary patient (tests/hapi/data/canary-patient.json: canary name, MRN, phone, address,
free-text notes and lab values with four decimals that appear nowhere else), each call carrying
a canary access token in `fhirAuthorization`, which the service sends to HAPI as its bearer.
The error paths go through it too: 412 from a stopped HAPI, from a FHIR server that is gone,
from a patient HAPI does not have and from an OperationOutcome in prefetch; 400 from malformed
requests that carry the token and names; and, with authentication on, 401 for bad JWTs.

The scan looks for each canary as a whole token (not inside a longer word or number), and the
test checks first that the canary lab values were really in the service's hands: they are in
the card it returned.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from cds.demo import CohortPatient
from tests.auth.tokens import SigningKey, write_issuers
from tests.gunicorn_server import running_gunicorn
from tests.hapi.ehr import complete_prefetch, discovery_templates, first_page_prefetch
from tests.hapi.runs import COHORT
from tests.hapi.service import (
    SERVICE_PATH,
    call_hook,
    check_answer,
    hook_body,
    service_env,
)
from tests.hapi_server import RunningHapi
from tests.infra import free_port

pytestmark = pytest.mark.hapi

DATA = Path(__file__).parent / "data"
CANARY_BUNDLE = DATA / "canary-patient.json"
CANARY_ID = "ln-canary-01"
CANARY_TOKEN = f"lncds-canary-token-{secrets.token_hex(16)}"
# Lab values of the canary patient as the FHIR data has them (four decimals, unique to it) and
# as the card shows them normalised: in the card, never in a log.
CANARY_LAB_VALUES = (
    "4.3719",
    "4.0253",
    "3.6871",
    "3.3941",
    "3.2617",
    "1.0637",
    "1.0811",
    "1.0743",
    "1.0929",
    "1.0858",
)
CANARY_CARD_VALUES = ("4.3719 g/g", "3.2617 g/g", "4.37 g/g", "3.26 g/g", "1.06 mg/dL")
STOPPED_BUDGET_SECONDS = "8"
PUBLIC_URL = "https://ln-cds.canary.test"
ISSUER = "https://ehr.canary.test"


def _canary_resources() -> list[dict[str, Any]]:
    bundle = json.loads(CANARY_BUNDLE.read_text("utf-8"))
    return [entry["resource"] for entry in bundle["entry"]]


def _patient_strings(patient: dict[str, Any]) -> set[str]:
    """Every identifying string of a Patient resource: names, MRNs, birth date, contacts."""
    found: set[str] = {patient["birthDate"]}
    for name in patient.get("name", ()):
        found.update([name["text"], name["family"], *name["given"]])
    found.update(i["value"] for i in patient.get("identifier", ()))
    found.update(t["value"] for t in patient.get("telecom", ()))
    for address in patient.get("address", ()):
        found.update(
            [*address.get("line", ()), address.get("city", ""), address.get("postalCode", "")]
        )
    return {s for s in found if s}


def _free_texts(resources: Iterable[dict[str, Any]]) -> set[str]:
    """Notes and condition texts of the canary patient (free text is where PHI hides)."""
    found: set[str] = set()
    for resource in resources:
        found.update(note["text"] for note in resource.get("note", ()))
        if resource["resourceType"] == "Condition":
            found.add(resource["code"]["text"])
    return found


def canaries() -> set[str]:
    """What must never be logged: the token, every cohort and canary identity, the canary's
    free text and lab values."""
    found = {CANARY_TOKEN, *CANARY_LAB_VALUES, *CANARY_CARD_VALUES}
    for patient in COHORT:
        found |= _patient_strings(_patient_of(patient))
    resources = _canary_resources()
    found |= _patient_strings(resources[0]) | _free_texts(resources)
    return found


def _patient_of(patient: CohortPatient) -> dict[str, Any]:
    (resource,) = [r for r in patient.resources() if r["resourceType"] == "Patient"]
    return resource


def find_leaks(lines: Iterable[str], secrets_: Iterable[str]) -> list[str]:
    """`canary: line` for each line that contains a canary as a whole token."""
    patterns = {s: re.compile(rf"(?<![A-Za-z0-9]){re.escape(s)}(?![A-Za-z0-9])") for s in secrets_}
    return [
        f"{secret!r}: {line}"
        for line in lines
        for secret, pattern in patterns.items()
        if pattern.search(line)
    ]


def test_the_scan_finds_a_canary_only_as_a_whole_token() -> None:
    lines = ["GET /x?name=Ava 200", "JavaScript 14.37 ms", "value 4.3719 g/g", "Avalon 24.3719"]
    assert find_leaks(lines, ["Ava", "4.3719"]) == [
        "'Ava': GET /x?name=Ava 200",
        "'4.3719': value 4.3719 g/g",
    ]


@pytest.fixture(scope="module")
def canary_on_hapi(hapi_cohort: RunningHapi) -> str:
    """The canary patient uploaded to the session's HAPI (one transaction of PUTs)."""
    bundle = json.loads(CANARY_BUNDLE.read_text("utf-8"))
    for entry in bundle["entry"]:
        entry["fullUrl"] = f"{hapi_cohort.base_url}/{entry['request']['url']}"
    response = requests.post(
        hapi_cohort.base_url,
        json=bundle,
        headers={"Content-Type": "application/fhir+json"},
        timeout=120,
    )
    assert response.status_code == 200, response.text[:500]
    return CANARY_ID


def _post_raw(service_url: str, data: bytes, headers: dict[str, str] | None = None) -> int:
    response = requests.post(
        service_url + SERVICE_PATH,
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
        timeout=120,
    )
    check_answer(response)
    return response.status_code


def _malformed_requests(fhir_base: str) -> Iterator[bytes]:
    """Bodies the service must refuse with 400; each carries the token and a name."""
    name = "Zephyrine Canarywing Quillfeather"
    good = hook_body(CANARY_ID, fhir_server=fhir_base, access_token=CANARY_TOKEN)
    yield (json.dumps(good)[:-40] + f', "note": "{name}"').encode()  # cut off: not JSON
    yield json.dumps({**good, "context": {**good["context"], "patientId": name}}).encode()
    no_server = {k: v for k, v in good.items() if k != "fhirServer"}
    yield json.dumps(no_server).encode()  # fhirAuthorization without fhirServer (cds-r-1)
    bad_token = {**good["fhirAuthorization"], "access_token": f"{CANARY_TOKEN}\r\n{name}"}
    yield json.dumps({**good, "fhirAuthorization": bad_token}).encode()
    yield json.dumps({**good, "prefetch": {"patient": name}}).encode()


def _assert_answers_logged(lines: list[str], statuses: Iterable[int]) -> None:
    """The log really covers the calls: an access line with each status, and DEBUG lines."""
    for status in statuses:
        assert any(SERVICE_PATH in line and re.search(rf"\b{status}\b", line) for line in lines), (
            f"no access line for HTTP {status}"
        )
    assert any("DEBUG" in line for line in lines), "the service did not log at DEBUG"


def test_hook_calls_against_hapi_log_no_token_name_or_lab_value(
    hapi_cohort: RunningHapi,
    canary_on_hapi: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base = hapi_cohort.base_url
    dead = f"http://127.0.0.1:{free_port()}/fhir"
    env = service_env(
        base,
        tmp_path_factory.mktemp("log-scan-service"),
        LNCDS_LOG_LEVEL="DEBUG",
        LNCDS_FHIR_ALLOWED_SERVERS=f"{base},{dead}",
        LNCDS_FHIR_BUDGET_SECONDS=STOPPED_BUDGET_SECONDS,
    )
    with running_gunicorn(env) as server:
        url = server.base_url

        def hook(patient_id: str, **kwargs: Any) -> requests.Response:
            body = hook_body(patient_id, access_token=CANARY_TOKEN, **kwargs)
            return call_hook(url, body)

        for patient in COHORT:
            assert hook(patient.id, fhir_server=base).status_code == 200
        canary_card = hook(canary_on_hapi, fhir_server=base)
        assert canary_card.status_code == 200, canary_card.text
        detail = canary_card.json()["cards"][0]["detail"]
        assert all(value in detail for value in CANARY_CARD_VALUES)
        ehr = complete_prefetch(base, discovery_templates(url), canary_on_hapi)
        assert hook(canary_on_hapi, fhir_server=base, prefetch=ehr.complete).status_code == 200
        first = first_page_prefetch(base, ehr.queries, 2)
        assert hook(canary_on_hapi, fhir_server=base, prefetch=first.prefetch).status_code == 200

        assert hook(canary_on_hapi, fhir_server=dead).status_code == 412
        assert hook("ln-canary-absent", fhir_server=base).status_code == 412
        outcome_prefetch = {
            "patient": {
                "resourceType": "OperationOutcome",
                "issue": [
                    {
                        "severity": "error",
                        "code": "not-found",
                        "diagnostics": "Patient Zephyrine Canarywing Quillfeather not found",
                    }
                ],
            }
        }
        assert hook(canary_on_hapi, fhir_server=dead, prefetch=outcome_prefetch).status_code == 412
        pid = hapi_cohort.server.pid()
        os.kill(pid, signal.SIGSTOP)
        try:
            stopped = hook(canary_on_hapi, fhir_server=base)
        finally:
            os.kill(pid, signal.SIGCONT)
        assert stopped.status_code == 412
        for body in _malformed_requests(base):
            assert _post_raw(url, body) == 400
        time.sleep(1.0)  # the calls cut off by the budget finish now that HAPI runs again
        lines = server.stop_and_read_log().splitlines()

    _assert_answers_logged(lines, (200, 400, 412))
    assert find_leaks(lines, canaries()) == []


def test_refused_and_accepted_jwts_are_never_logged(
    hapi_cohort: RunningHapi,
    canary_on_hapi: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Auth on: neither a refused JWT (whatever the reason) nor an accepted one is logged,
    nor the FHIR token and names in the bodies they came with."""
    work = tmp_path_factory.mktemp("log-scan-auth")
    trusted = SigningKey(ec.generate_private_key(ec.SECP384R1()), kid="canary-ehr-1", alg="ES384")
    stranger = SigningKey(ec.generate_private_key(ec.SECP384R1()), kid="canary-ehr-1", alg="ES384")
    issuers = write_issuers(work / "issuers.json", {ISSUER: trusted})
    env = service_env(
        hapi_cohort.base_url,
        work,
        LNCDS_AUTH="on",
        LNCDS_PUBLIC_URL=PUBLIC_URL,
        LNCDS_TRUSTED_ISSUERS_FILE=str(issuers),
        LNCDS_LOG_LEVEL="DEBUG",
    )
    audience = PUBLIC_URL + SERVICE_PATH
    now = int(time.time())

    def claims(**changes: Any) -> dict[str, Any]:
        base = {
            "iss": ISSUER,
            "aud": audience,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_hex(8),
            "sub": "canary-client",
        }
        return {**base, **changes}

    refused = [
        jwt.encode(claims(), stranger.private, algorithm="ES384", headers={"kid": stranger.kid}),
        trusted.sign(claims(aud="https://elsewhere.canary.test/cds-services/lupus-nephritis")),
        trusted.sign(claims(iat=now - 900, exp=now - 600)),
        trusted.sign(claims(name="Zephyrine Canarywing Quillfeather"))[:-8] + "AAAAAAAA",
        f"not-a-jwt-{secrets.token_hex(12)}",
    ]
    accepted = trusted.sign(claims())
    body = hook_body(canary_on_hapi, fhir_server=hapi_cohort.base_url, access_token=CANARY_TOKEN)
    with running_gunicorn(env) as server:
        for token in refused:
            data = json.dumps(body).encode()
            assert _post_raw(server.base_url, data, {"Authorization": f"Bearer {token}"}) == 401
        answer = call_hook(server.base_url, body, headers={"Authorization": f"Bearer {accepted}"})
        assert answer.status_code == 200, answer.text
        lines = server.stop_and_read_log().splitlines()

    _assert_answers_logged(lines, (200, 401))
    jwt_parts = {part for token in [*refused, accepted] for part in token.split(".")[1:]}
    assert find_leaks(lines, canaries() | set(refused) | {accepted} | jwt_parts) == []
