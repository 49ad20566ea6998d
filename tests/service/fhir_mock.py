"""Helpers that answer the service's FHIR queries from a `responses` mock (strict mode).

Every registration matches the exact query parameters the service must send and, when a
token is given, the `Authorization: Bearer <token>` header: a query sent with a wrong
parameter or without the token finds no match and fails the test.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import responses
from responses import matchers

from cds.datasources.prefetch import resolve_template
from cds.web.lupus_nephritis import prefetch_templates
from tests.service.conftest import FHIR_BASE, PATIENT_ID, TOKEN

TEMPLATES = prefetch_templates()
TOKENS = {"context.patientId": PATIENT_ID, "context.userId": "Practitioner/nephro-1"}


def query(key: str) -> tuple[str, dict[str, str]]:
    """(absolute URL without query, query parameters) of one prefetch key's query."""
    text = resolve_template(key, TEMPLATES[key], TOKENS).text
    path, _, params = text.partition("?")
    return f"{FHIR_BASE}/{path}", dict(parse_qsl(params))


def searchset(resources: list[dict[str, Any]], next_url: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }
    if next_url is not None:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def answer(
    fhir: responses.RequestsMock,
    key: str,
    resource: Any = None,
    *,
    status: int = 200,
    token: str | None = TOKEN,
    **kwargs: Any,
) -> None:
    """Register the server's answer to `key`'s query (exact parameters and token)."""
    url, params = query(key)
    match: list[Any] = [matchers.query_param_matcher(params)]
    if token is not None:
        match.append(matchers.header_matcher({"Authorization": f"Bearer {token}"}))
    if resource is not None:
        kwargs["json"] = resource
    fhir.add(responses.GET, url, match=match, status=status, **kwargs)


def answer_like_prefetch(
    fhir: responses.RequestsMock, prefetch: dict[str, Any], *keys: str
) -> None:
    """Serve `keys` with the same data the scenario's prefetch holds (null → no matches)."""
    for key in keys:
        value = prefetch[key]
        answer(fhir, key, value if value is not None else searchset([]))
