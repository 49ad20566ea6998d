"""`/openapi.json` describes exactly the routes the app serves, with our own JSON Schemas.

The description is kept in step with Flask's `url_map` in every configuration that changes
the routes (plain, demo mode, demo mode with auth on, SMART launch configured): every route
documented, every documented path served, and no entry of the hand-written table that no
configuration serves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from cds.feedback import store_for
from cds.schema import load_schema
from cds.web.openapi import (
    OPERATIONS,
    app_routes,
    openapi_document,
    openapi_path,
    undocumented,
)
from tests.service.conftest import SERVICE_URL, hook_body, load_prefetch

ROOT = Path(__file__).resolve().parents[2]
CONFIGURATIONS = ("plain", "demo", "demo-auth", "smart")


@pytest.fixture
def build(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], Flask]:
    """An app in one of the configurations that register different routes."""

    def make(configuration: str) -> Flask:
        if configuration == "demo":
            return make_app(demo=True)
        if configuration == "demo-auth":  # the demo EHR signs its calls: its issuer routes
            return make_app(demo=True, auth=True, authenticator=lambda request, audience: None)
        if configuration == "smart":
            monkeypatch.setenv("LNCDS_SMART_CLIENT_ID", "ln-cds-test-client")
            return make_app(smart_launch_url="https://cds.example.org/smart/launch")
        return make_app()

    return make


def served(app: Flask) -> dict[str, Any]:
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document: dict[str, Any] = response.get_json()
    return document


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def validator(document: dict[str, Any], component: str) -> Draft202012Validator:
    """A validator for one component schema, its references resolved in the document."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    return Draft202012Validator(schema)


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_every_route_of_the_app_is_documented(
    build: Callable[[str], Flask], configuration: str
) -> None:
    assert undocumented(build(configuration)) == []


def test_a_route_added_without_documentation_is_reported(build: Callable[[str], Flask]) -> None:
    app = build("plain")
    app.add_url_rule("/cds-services/<service_id>/explain", "explain", lambda service_id: "")
    assert undocumented(app) == [
        "GET /cds-services/{service_id}/explain",
        "OPTIONS /cds-services/{service_id}/explain",
    ]


def test_an_app_with_an_undocumented_route_is_refused_its_description(
    build: Callable[[str], Flask],
) -> None:
    app = build("plain")
    app.add_url_rule("/explain", "explain", lambda: "")
    with pytest.raises(RuntimeError, match=r"OPERATIONS: GET /explain$"):
        openapi_document(app, services={"lupus-nephritis": "patient-view"})


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_served_description_has_exactly_the_apps_routes_and_methods(
    build: Callable[[str], Flask], configuration: str
) -> None:
    app = build(configuration)
    documented = {path: set(ops) for path, ops in served(app)["paths"].items()}
    assert documented == app_routes(app)


def test_every_documented_operation_is_served_in_some_configuration(
    build: Callable[[str], Flask],
) -> None:
    routes: dict[str, set[str]] = {}
    for configuration in CONFIGURATIONS:
        for path, methods in app_routes(build(configuration)).items():
            routes.setdefault(path, set()).update(methods)
    assert {path: set(ops) for path, ops in OPERATIONS.items()} == routes


def test_the_plain_app_documents_the_cds_hooks_and_ops_endpoints(
    build: Callable[[str], Flask],
) -> None:
    paths = served(build("plain"))["paths"]
    assert set(paths["/cds-services"]) == {"get", "options"}
    assert set(paths["/cds-services/{service_id}"]) == {"post", "options"}
    assert set(paths["/cds-services/{service_id}/feedback"]) == {"post", "options"}
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert set(paths[path]) == {"get"}, path
    assert not any(path.startswith(("/demo", "/smart")) for path in paths)


def test_flask_rules_become_openapi_paths() -> None:
    assert openapi_path("/cds-services/<service_id>/feedback") == (
        "/cds-services/{service_id}/feedback"
    )
    assert openapi_path("/demo/fhir/<path:query>") == "/demo/fhir/{query}"
    assert openapi_path("/healthz") == "/healthz"


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_description_is_valid_openapi_3_1_and_every_reference_resolves(
    build: Callable[[str], Flask], configuration: str
) -> None:
    document = served(build(configuration))
    assert document["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(document).validate()  # the OpenAPI 3.1 meta-schema
    for ref in refs(document):
        assert ref.startswith("#/"), ref
        node: Any = document
        for part in ref[2:].split("/"):
            node = node[part]  # KeyError: a dangling reference


def test_service_id_is_the_registrys(build: Callable[[str], Flask]) -> None:
    document = served(build("plain"))
    for path in ("/cds-services/{service_id}", "/cds-services/{service_id}/feedback"):
        (parameter,) = document["paths"][path]["post"]["parameters"]
        assert parameter["schema"]["enum"] == ["lupus-nephritis"]


@pytest.mark.parametrize(
    ("component", "schema_file"),
    [
        ("Discovery", "discovery"),
        ("HookRequest", "request"),
        ("HookResponse", "response"),
        ("FeedbackRequest", "feedback"),
    ],
)
def test_bodies_reuse_our_cds_hooks_json_schemas(
    build: Callable[[str], Flask], component: str, schema_file: str
) -> None:
    components = served(build("plain"))["components"]["schemas"]
    original = load_schema(schema_file)
    hoisted = json.dumps(components[component])
    for name in original.get("$defs", {}):
        assert components[f"{component}_{name}"], name
        hoisted = hoisted.replace(f"#/components/schemas/{component}_{name}", f"#/$defs/{name}")
    expected = {k: v for k, v in original.items() if k not in ("$schema", "$id", "$defs")}
    assert json.loads(hoisted) == expected


def test_documented_bodies_fit_what_the_service_sends_and_accepts(
    build: Callable[[str], Flask],
) -> None:
    app = build("plain")
    document = served(app)
    client = app.test_client()
    example = json.loads((ROOT / "examples" / "hook-request.json").read_text("utf-8"))
    validator(document, "LnCdsHookRequest").validate(example)
    validator(document, "LnCdsHookRequest").validate(hook_body(load_prefetch()))
    discovery = client.get("/cds-services").get_json()
    validator(document, "Discovery").validate(discovery)
    cards = client.post(SERVICE_URL, json=hook_body(load_prefetch())).get_json()
    assert cards["cards"]
    validator(document, "HookResponse").validate(cards)
    refused = client.post(SERVICE_URL, json={"hook": "patient-view"})
    assert refused.status_code == 400
    validator(document, "OperationOutcome").validate(refused.get_json())


FEEDBACK_ITEM = {
    "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
    "outcome": "accepted",
    "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
    "outcomeTimestamp": "2025-03-14T10:05:00+01:00",
}


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        pytest.param({"feedback": [FEEDBACK_ITEM]}, True, id="array"),
        pytest.param(FEEDBACK_ITEM, True, id="single-object-tolerated"),
        pytest.param({"feedback": [{**FEEDBACK_ITEM, "card": "card-1"}]}, False, id="not-a-uuid"),
        pytest.param({"feedback": [{k: v for k, v in FEEDBACK_ITEM.items()
                                    if k != "acceptedSuggestions"}]}, False, id="cds-fb-2"),
        pytest.param({"feedback": [{**FEEDBACK_ITEM, "outcome": "overridden"}]}, False,
                     id="suggestions-only-when-accepted"),
    ],
)  # fmt: skip
def test_documented_feedback_body_states_what_the_service_checks(
    build: Callable[[str], Flask],
    make_app: Callable[..., Flask],
    tmp_path: Path,
    body: dict[str, Any],
    valid: bool,
) -> None:
    document = served(build("plain"))
    assert validator(document, "LnCdsFeedbackRequest").is_valid(body) is valid
    client = make_app(feedback_store=store_for(str(tmp_path / "feedback.sqlite3"))).test_client()
    assert client.post(SERVICE_URL + "/feedback", json=body).status_code == (200 if valid else 400)
