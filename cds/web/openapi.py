"""The OpenAPI 3.1 description of this app's own HTTP surface, served at `/openapi.json`.

Written by hand (`OPERATIONS` below: one entry per route and method any configuration can
register) and filtered, per app, to the routes that app really has: the views' demo routes
exist only in demo mode, the SMART routes only with a SMART client. Request and response
bodies of the CDS Hooks endpoints reuse our own JSON Schemas (`cds/schema/*.schema.json`,
draft 2020-12, which is OpenAPI 3.1's schema dialect); their `$defs` are hoisted into
`components.schemas` so that every `$ref` resolves inside this one document.

`tests/service/test_openapi.py` keeps the table and Flask's `url_map` in step: every route
documented, every documented path served, in each configuration. `openapi_document` checks
the first half itself, so an app with an undocumented route (in any configuration, built
anywhere) refuses to start. Never a value in here comes from a request: the document is
built once, at start-up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from copy import deepcopy
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from cds.feedback.parse import MAX_ITEMS, MAX_SUGGESTIONS
from cds.schema import load_schema
from cds.web.request_model import ACCESS_TOKEN, HOOK_INSTANCE_MAX_CHARS

OPENAPI_VERSION = "3.1.0"
# Methods documented per route: GET/POST everywhere, OPTIONS under /cds-services (the CORS
# preflight browser-based CDS Clients send, cds.web.app._register_cors); Flask's automatic
# HEAD, and OPTIONS elsewhere, are left out as usual.
CDS_HOOKS_PREFIX = "/cds-services"

# `<converter:name>` → `{name}`
_RULE_VARIABLE = re.compile(r"<(?:[a-zA-Z_][a-zA-Z0-9_]*(?:\([^)]*\))?:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: `/x/<service_id>` → `/x/{service_id}`."""
    return _RULE_VARIABLE.sub(r"{\1}", rule)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _response_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


def _json(schema: Mapping[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): _response_ref(_ERROR_RESPONSES[s][0]) for s in statuses}


# status → (component name, description); every body is an OperationOutcome
_ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is malformed: an OperationOutcome says which field."),
    401: (
        "Unauthorized",
        "No valid CDS Hooks JWT (the reason goes to the service log, never to the caller).",
    ),
    404: ("NotFound", "No such CDS Service, resource or route."),
    405: ("MethodNotAllowed", "The route exists but not for this method (see `Allow`)."),
    412: (
        "PreconditionFailed",
        "Data the service needs could not be obtained (prefetch unusable and self-fetch "
        "impossible or failed): one issue per prefetch key.",
    ),
    413: ("PayloadTooLarge", "The body is larger than `LNCDS_MAX_REQUEST_BYTES`."),
    503: ("Unavailable", "A dependency (the feedback store) is down; retry later."),
}

_SERVICE_ID: dict[str, Any] = {
    "name": "service_id",
    "in": "path",
    "required": True,
    "description": "The CDS Service id, as listed by discovery.",
    "schema": {"type": "string"},
}
_JWT: list[dict[str, list[str]]] = [{"cdsHooksJwt": []}]
_CORS_PREFLIGHT = {
    "tags": ["CDS Hooks"],
    "summary": "CORS preflight for browser-based CDS Clients",
    "description": (
        "Answered by Flask (and flask-cors when `LNCDS_CORS_ORIGINS` lists the origin: "
        "`Access-Control-Allow-Origin`, `-Methods`, `-Headers: Authorization, Content-Type`). "
        "Never `*`. No body."
    ),
    "responses": {"200": {"description": "Allowed methods (`Allow`), CORS headers if allowed."}},
}


def _operations() -> dict[str, dict[str, dict[str, Any]]]:
    """Every route any configuration registers: path → method → OpenAPI operation."""
    demo_patient = _path_parameter("patient_id", "A patient of the synthetic demo cohort.")
    return {
        "/cds-services": {
            "get": {
                "tags": ["CDS Hooks"],
                "operationId": "discovery",
                "summary": "CDS Hooks discovery: the services, their hooks and prefetch templates",
                "description": "No token needed: it holds no PHI and EHRs read it when "
                "registering the service. A token that is sent is verified, with the "
                "discovery URL as its audience (401 when it fails).",
                "responses": {
                    "200": _json(_ref("Discovery"), "The discovery document."),
                    **_errors(401, 405),
                },
            },
            "options": _CORS_PREFLIGHT,
        },
        "/cds-services/{service_id}": {
            "post": {
                "tags": ["CDS Hooks"],
                "operationId": "callHook",
                "summary": "Call a CDS Service (hook `patient-view`)",
                "description": "Authenticated first, then validated (400), then prefetch is used "
                "or the missing data fetched from `fhirServer` with the bearer token (412 when it "
                "cannot be obtained). At most one card.",
                "security": _JWT,
                "parameters": [_SERVICE_ID],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("LnCdsHookRequest")}},
                },
                "responses": {
                    "200": _json(
                        _ref("HookResponse"), "The cards (an empty array: nothing to say)."
                    ),
                    **_errors(400, 401, 404, 405, 412, 413),
                },
            },
            "options": _CORS_PREFLIGHT,
        },
        "/cds-services/{service_id}/feedback": {
            "post": {
                "tags": ["CDS Hooks"],
                "operationId": "feedback",
                "summary": "Feedback on cards (CDS Hooks 2.0 §Feedback)",
                "description": "Validated, then stored (idempotent) before the 200 is sent. A "
                "single feedback object, bare, is tolerated. `userComment` is never stored.",
                "security": _JWT,
                "parameters": [_SERVICE_ID],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("LnCdsFeedbackRequest")}},
                },
                "responses": {
                    "200": {"description": "Stored (or already stored). Empty body."},
                    **_errors(400, 401, 404, 405, 413, 503),
                },
            },
            "options": _CORS_PREFLIGHT,
        },
        "/healthz": {
            "get": {
                "tags": ["Operations"],
                "operationId": "healthz",
                "summary": "Liveness: the process answers HTTP",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["status"],
                            "properties": {"status": {"const": "ok"}},
                        },
                        "Alive.",
                    ),
                    **_errors(405),
                },
            }
        },
        "/readyz": {
            "get": {
                "tags": ["Operations"],
                "operationId": "readyz",
                "summary": "Readiness: configuration loaded, templates compiled, feedback store "
                "and JWT replay cache reachable",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["status", "checks"],
                            "properties": {
                                "status": {"const": "ready"},
                                "checks": {
                                    "type": "object",
                                    "additionalProperties": {"enum": ["ok", "not used"]},
                                },
                            },
                        },
                        "Ready; each check `ok` or `not used`.",
                    ),
                    "503": _json(
                        _ref("OperationOutcome"),
                        "Not ready: one issue per failed check (names only; the reason is logged).",
                    ),
                    **_errors(405),
                },
            }
        },
        "/metrics": {
            "get": {
                "tags": ["Operations"],
                "operationId": "metrics",
                "summary": "Prometheus metrics (text exposition), every gunicorn worker's",
                "responses": {
                    "200": {
                        "description": "Prometheus text format.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **_errors(405),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "tags": ["Operations"],
                "operationId": "openapi",
                "summary": "This document",
                "responses": {
                    "200": _json({"type": "object"}, "OpenAPI 3.1."),
                    **_errors(405),
                },
            }
        },
        "/views/static/{filename}": {
            "get": {
                "tags": ["Views"],
                "operationId": "viewsStatic",
                "summary": "Static files of the trend view (Chart.js, CSS)",
                "parameters": [
                    {
                        "name": "filename",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {"description": "The file.", "content": {"*/*": {"schema": {}}}},
                    **_errors(404, 405),
                },
            }
        },
        "/demo": {
            "get": {
                "tags": ["Demo"],
                "operationId": "demoIndex",
                "summary": "Demo mode only: pick a patient of the synthetic cohort",
                "responses": {"200": _html("The page."), **_errors(405)},
            }
        },
        "/demo/patients/{patient_id}": {
            "get": {
                "tags": ["Demo"],
                "operationId": "demoEhr",
                "summary": "Demo mode only: a demo EHR chart page that fires the hook",
                "parameters": [demo_patient],
                "responses": {"200": _html("The page."), **_errors(404, 405)},
            }
        },
        "/demo/patients/{patient_id}/trend": {
            "get": {
                "tags": ["Demo"],
                "operationId": "demoTrend",
                "summary": "Demo mode only: the trend view of a cohort patient",
                "parameters": [demo_patient],
                "responses": {"200": _html("The page."), **_errors(404, 405)},
            }
        },
        "/demo/fhir/": {
            "get": {
                "tags": ["Demo"],
                "operationId": "demoFhirRoot",
                "summary": "Demo mode only: the read-only FHIR facade's CapabilityStatement",
                "responses": {"200": _fhir("The CapabilityStatement."), **_errors(405)},
            }
        },
        "/demo/fhir/metadata": {
            "get": {
                "tags": ["Demo"],
                "operationId": "demoFhirMetadata",
                "summary": "Demo mode only: the read-only FHIR facade's CapabilityStatement",
                "responses": {"200": _fhir("The CapabilityStatement."), **_errors(405)},
            }
        },
        "/demo/fhir/{query}": {
            "get": {
                "tags": ["Demo"],
                "operationId": "demoFhirQuery",
                "summary": "Demo mode only: FHIR reads and type searches over the cohort",
                "parameters": [
                    _path_parameter(
                        "query", "`Type/id` or `Type` (search parameters in the query)."
                    )
                ],
                "responses": {
                    "200": _fhir("The resource, or a searchset Bundle."),
                    "400": _fhir("An OperationOutcome: not a read or type search."),
                    "404": _fhir("An OperationOutcome: no such resource."),
                    **_errors(405),
                },
            }
        },
        "/demo/markdown": {
            "post": {
                "tags": ["Demo"],
                "operationId": "demoMarkdown",
                "summary": "Demo mode only: card markdown to safe HTML for the demo EHR page",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["markdown"],
                                "properties": {"markdown": {"type": "string"}},
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["html"],
                            "properties": {"html": {"type": "string"}},
                        },
                        "The HTML.",
                    ),
                    "400": _json(
                        {
                            "type": "object",
                            "required": ["error"],
                            "properties": {"error": {"type": "string"}},
                        },
                        "No `markdown` string in the body (a page helper, not a FHIR API: "
                        "its errors are not OperationOutcomes).",
                    ),
                    **_errors(405, 413),
                },
            }
        },
        "/demo/ehr/jwks.json": {
            "get": {
                "tags": ["Demo"],
                "operationId": "demoEhrJwks",
                "summary": "Demo mode with auth on only: the demo EHR's public signing key",
                "description": "The `jku` of the demo EHR's CDS Hooks JWTs (ES384); trusted "
                "only if the trusted-issuers file lists it (docs/views.md).",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["keys"],
                            "properties": {"keys": {"type": "array", "items": {"type": "object"}}},
                        },
                        "The JWK Set (public members only).",
                    ),
                    **_errors(405),
                },
            }
        },
        "/demo/ehr/token": {
            "post": {
                "tags": ["Demo"],
                "operationId": "demoEhrToken",
                "summary": "Demo mode with auth on only: a signed CDS Hooks JWT for one call",
                "description": "What the demo EHR page sends as `Authorization: Bearer` to one "
                "of our hook or feedback endpoints: `aud` is that endpoint's URL.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["path"],
                                "properties": {
                                    "path": {
                                        "type": "string",
                                        "description": "`/cds-services/<id>[/feedback]`",
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["token"],
                            "properties": {"token": {"type": "string"}},
                        },
                        "The JWT.",
                    ),
                    "400": _json(
                        {
                            "type": "object",
                            "required": ["error"],
                            "properties": {"error": {"type": "string"}},
                        },
                        "No signable `path` in the body (a page helper, not a FHIR API: its "
                        "errors are not OperationOutcomes).",
                    ),
                    **_errors(405, 413),
                },
            }
        },
        "/smart/launch": {
            "get": {
                "tags": ["SMART"],
                "operationId": "smartLaunch",
                "summary": "SMART EHR launch of the trend view (with `LNCDS_SMART_CLIENT_ID`)",
                "parameters": [
                    {"name": "iss", "in": "query", "required": False, "schema": {"type": "string"}},
                    {
                        "name": "launch",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "302": {"description": "To the EHR's authorization endpoint (PKCE)."},
                    "400": _html("The launch was refused (an error page for the user)."),
                    **_errors(405),
                },
            }
        },
        "/smart/callback": {
            "get": {
                "tags": ["SMART"],
                "operationId": "smartCallback",
                "summary": "SMART authorization callback",
                "parameters": [_query_parameter(n) for n in ("code", "state", "error")],
                "responses": {
                    "302": {"description": "To the trend view."},
                    "400": _html("No pending launch, or the authorization failed."),
                    **_errors(405),
                },
            }
        },
        "/smart/trend": {
            "get": {
                "tags": ["SMART"],
                "operationId": "smartTrend",
                "summary": "The trend view of the launch's patient",
                "responses": {
                    "200": _html("The page."),
                    "401": _html("No authorised session (an error page for the user)."),
                    "502": _html("The EHR's FHIR server failed."),
                    **_errors(405),
                },
            }
        },
    }


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _query_parameter(name: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}


def _fhir(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/fhir+json": {"schema": {"type": "object"}}},
    }


OPERATION_OUTCOME: dict[str, Any] = {
    "description": "FHIR R4 OperationOutcome: every error of the CDS Hooks and ops endpoints.",
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"enum": ["fatal", "error", "warning", "information"]},
                    "code": {"type": "string", "minLength": 1},
                    "diagnostics": {"type": "string"},
                },
            },
        },
    },
}

# our JSON Schema file → its component name
_SCHEMA_COMPONENTS = {
    "discovery": "Discovery",
    "request": "HookRequest",
    "response": "HookResponse",
    "feedback": "FeedbackRequest",
}


def _hoist(name: str, schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """One of our schema files as components: the root under `name`, each `$defs` entry
    under `name_<def>`, with `#/$defs/x` references rewritten to match."""
    prefix = f"{name}_"

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: rewrite(v) for k, v in node.items()}
            ref = out.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                out["$ref"] = "#/components/schemas/" + prefix + ref.removeprefix("#/$defs/")
            return out
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    root = {k: v for k, v in schema.items() if k not in ("$schema", "$id", "$defs")}
    components = {name: rewrite(root)}
    for def_name, definition in schema.get("$defs", {}).items():
        components[prefix + def_name] = rewrite(definition)
    return components


_UUID = {
    "type": "string",
    "pattern": "^(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    "[0-9a-fA-F]{12}$",
}


# a date-time `datetime.fromisoformat` reads (years from 1000; day-of-month limits aside)
_INSTANT = (
    "^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]"
    ":[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)


def _service_refinements(hooks: list[str]) -> dict[str, Any]:
    """What this service checks beyond the generic CDS Hooks 2.0 schemas (`cds/schema`),
    stated so that a client (or a fuzzer) can tell a request we accept from one we refuse:
    the hook must be the service's, feedback ids are uuids and cds-fb-2/3 hold."""
    return {
        "LnCdsHookRequest": {
            "description": "A CDS Hooks 2.0 request for one of this app's services.",
            "allOf": [
                _ref("HookRequest"),
                {
                    "properties": {
                        "hook": {"enum": hooks},
                        "hookInstance": {
                            "type": "string",
                            "description": f"At most {HOOK_INSTANCE_MAX_CHARS} printable "
                            "characters.",
                            "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]"
                            f"{{1,{HOOK_INSTANCE_MAX_CHARS}}}$",
                        },
                        "fhirAuthorization": {
                            "properties": {
                                "access_token": {
                                    "type": "string",
                                    "pattern": f"^{ACCESS_TOKEN.pattern}$",
                                },
                                "expires_in": {"minimum": 0},
                                "scope": {"minLength": 1},
                                "subject": {"minLength": 1},
                            }
                        },
                    }
                },
            ],
        },
        "LnCdsFeedbackItem": {
            "description": "One feedback entry as this service validates it (cds-fb-1..3).",
            "allOf": [
                _ref("FeedbackRequest_feedback"),
                {
                    "properties": {
                        "card": _UUID,
                        "outcomeTimestamp": {"type": "string", "pattern": _INSTANT},
                        "acceptedSuggestions": {
                            "maxItems": MAX_SUGGESTIONS,
                            "items": {"properties": {"id": _UUID}},
                        },
                    },
                    # cds-fb-2/3 as two alternatives (`false`: the member must be absent)
                    "anyOf": [
                        {
                            "required": ["acceptedSuggestions"],
                            "properties": {
                                "outcome": {"const": "accepted"},
                                "overrideReason": False,
                            },
                        },
                        {
                            "properties": {
                                "outcome": {"const": "overridden"},
                                "acceptedSuggestions": False,
                            }
                        },
                    ],
                },
            ],
        },
        "LnCdsFeedbackRequest": {
            "description": '`{"feedback": [...]}`; a single entry, bare, is tolerated.',
            "anyOf": [
                {
                    "allOf": [
                        _ref("FeedbackRequest"),
                        {
                            "properties": {
                                "feedback": {
                                    "maxItems": MAX_ITEMS,
                                    "items": _ref("LnCdsFeedbackItem"),
                                }
                            }
                        },
                    ]
                },
                _ref("LnCdsFeedbackItem"),
            ],
        },
    }


def _components(hooks: list[str]) -> dict[str, Any]:
    schemas: dict[str, Any] = {"OperationOutcome": deepcopy(OPERATION_OUTCOME)}
    for file_name, component in _SCHEMA_COMPONENTS.items():
        schemas.update(_hoist(component, load_schema(file_name)))
    schemas.update(_service_refinements(hooks))
    responses = {
        name: _json(_ref("OperationOutcome"), description)
        for name, description in _ERROR_RESPONSES.values()
    }
    responses["Unauthorized"]["headers"] = {
        "WWW-Authenticate": {"required": True, "schema": {"const": "Bearer"}}
    }
    responses["MethodNotAllowed"]["headers"] = {
        "Allow": {"required": True, "schema": {"type": "string"}}
    }
    return {
        "schemas": schemas,
        "responses": responses,
        "securitySchemes": {
            "cdsHooksJwt": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "CDS Hooks 2.0 §Trusting CDS Clients: a JWT signed by the EHR "
                "(ES384/RS384), `aud` the endpoint's URL, unique `jti`. See docs/security.md.",
            }
        },
    }


OPERATIONS: dict[str, dict[str, dict[str, Any]]] = _operations()


def documented_methods(rule: Rule) -> set[str]:
    """The methods of a Flask rule that the description must document."""
    methods = {m.lower() for m in rule.methods or ()} & {"get", "post"}
    path = openapi_path(rule.rule)
    if path == CDS_HOOKS_PREFIX or path.startswith(CDS_HOOKS_PREFIX + "/"):
        methods.add("options")
    return methods


def app_routes(app: Flask) -> dict[str, set[str]]:
    """The app's routes as OpenAPI paths → methods to document."""
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        routes.setdefault(openapi_path(rule.rule), set()).update(documented_methods(rule))
    return routes


def undocumented(app: Flask) -> list[str]:
    """`METHOD path` of each route of `app` that `OPERATIONS` lacks (empty when in step)."""
    missing = []
    for path, methods in sorted(app_routes(app).items()):
        for method in sorted(methods):
            if method not in OPERATIONS.get(path, {}):
                missing.append(f"{method.upper()} {path}")
    return missing


def openapi_document(app: Flask, *, services: Mapping[str, str]) -> dict[str, Any]:
    """The description of `app`: the documented operations of the routes it has.

    `services` (the registry's id → hook) give the `service_id` parameter's enum (any other
    id is a 404, which the description says too) and the hooks a request may name.
    Raises `RuntimeError` when a route of `app` is missing from `OPERATIONS`.
    """
    missing = undocumented(app)
    if missing:
        raise RuntimeError(f"routes missing from cds.web.openapi.OPERATIONS: {', '.join(missing)}")
    ids = sorted(services)
    paths: dict[str, Any] = {}
    for path, methods in sorted(app_routes(app).items()):
        operations = {m: deepcopy(op) for m, op in OPERATIONS.get(path, {}).items() if m in methods}
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                if parameter["name"] == "service_id":
                    parameter["schema"] = {"type": "string", "enum": ids}
        if operations:
            paths[path] = operations
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "LN-CDS",
            "version": _version(),
            "summary": "CDS Hooks 2.0 service: lupus nephritis renal status from FHIR R4 data",
            "description": "Our own endpoints: CDS Hooks discovery, hook and feedback; "
            "liveness, readiness, metrics; the trend and demo views where configured. "
            "Errors of the CDS Hooks and ops endpoints are FHIR OperationOutcomes.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "tags": [
            {"name": "CDS Hooks", "description": "The EHR-facing API (CDS Hooks 2.0)."},
            {"name": "Operations", "description": "Probes, metrics and this document."},
            {"name": "Views", "description": "Trend view assets."},
            {"name": "Demo", "description": "Demo mode only (`LNCDS_DEMO=1`)."},
            {"name": "SMART", "description": "SMART EHR launch (`LNCDS_SMART_CLIENT_ID`)."},
        ],
        "paths": paths,
        "components": _components(sorted(set(services.values()))),
    }


def openapi_bytes(app: Flask, *, services: Mapping[str, str]) -> bytes:
    """The served body: serialised once, at start-up."""
    document = openapi_document(app, services=services)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _version() -> str:
    try:
        return version("ln-cds")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"
