"""A small SMART-on-FHIR EHR stand-in for tests: an Authlib OAuth 2.0 authorization server
(authorization code + PKCE S256, public client) plus a FHIR endpoint that checks the bearer
token and serves resources from an upstream FHIR server (e.g. HAPI) or from memory.

It plays the EHR side of a SMART EHR launch:

- `GET {base}/fhir/.well-known/smart-configuration` → the endpoints below;
- `GET {base}/auth/authorize` → approves at once (the test is the user) when the `launch`
  id is one it issued, `aud` is its FHIR base and the request carries an S256 challenge;
- `POST {base}/auth/token` → a Bearer token whose response carries the launch's `patient`;
- `GET {base}/fhir/...` → 401 without a token it issued; else the upstream's answer, with the
  upstream's base URL rewritten to ours so paging links stay on this server.

Every request the client made is recorded (`server.log`) for assertions. Test code only: it
keeps tokens in memory and must never be used as a real authorization server.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, Response, jsonify, request

from tests.browser.wsgi_server import serve_wsgi

TOKEN_LIFETIME_SECONDS = 300


@dataclass
class LaunchUser:
    """The 'user' Authlib hands around: here, the launch context of one EHR launch."""

    launch: str
    patient: str

    def get_user_id(self) -> str:
        return "Practitioner/test-clinician"


@dataclass
class Client:
    client_id: str
    redirect_uris: tuple[str, ...]
    scope: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(self.scope.split())
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return False  # public client: PKCE only

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: LaunchUser
    code_challenge: str | None
    code_challenge_method: str | None
    issued_at: float = field(default_factory=time.time)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_code_challenge(self) -> str | None:
        return self.code_challenge

    def get_code_challenge_method(self) -> str | None:
        return self.code_challenge_method

    def get_auth_time(self) -> int:
        return int(self.issued_at)

    def get_nonce(self) -> None:
        return None

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass
class State:
    """Everything the server remembers (in memory, test-only)."""

    base: str = ""
    upstream: str | None = None
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    launches: dict[str, str] = field(default_factory=dict)  # launch id → patient id
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token → (patient, exp)
    log: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # noqa: RUF012 (Authlib's class attribute)
    state: State

    def save_authorization_code(self, code: str, req: Any) -> None:
        data = req.payload.data
        self.state.codes[code] = Code(
            code=code,
            client_id=req.client.client_id,
            redirect_uri=req.payload.redirect_uri,
            scope=req.payload.scope or "",
            user=req.user,
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        found = self.state.codes.get(code)
        if found and found.client_id == client.client_id:
            return found
        return None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.state.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> LaunchUser:
        return authorization_code.user


def create_ehr_app(state: State) -> Flask:
    app = Flask("test-ehr")

    def query_client(client_id: str) -> Client | None:
        return state.clients.get(client_id)

    def save_token(token: Mapping[str, Any], req: Any) -> None:
        expires = time.time() + float(token.get("expires_in", TOKEN_LIFETIME_SECONDS))
        state.tokens[str(token["access_token"])] = (str(token["patient"]), expires)

    def generate_token(
        grant_type: str,
        client: Client,
        *,
        user: LaunchUser | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        assert user is not None
        return {
            "access_token": secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "scope": scope or "",
            "patient": user.patient,
        }

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_token_generator("default", generate_token)
    grant_cls = type("CodeGrant", (_CodeGrant,), {"state": state})
    server.register_grant(grant_cls, [CodeChallenge(required=True)])

    @app.get("/fhir/.well-known/smart-configuration")
    def smart_configuration() -> Response:
        state.log.append({"path": request.path, "method": "GET"})
        return jsonify(
            {
                "issuer": state.base,
                "authorization_endpoint": f"{state.base}/auth/authorize",
                "token_endpoint": f"{state.base}/auth/token",
                "grant_types_supported": ["authorization_code"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "scopes_supported": ["launch", "openid", "fhirUser", "patient/*.rs"],
                "response_types_supported": ["code"],
                "capabilities": [
                    "launch-ehr",
                    "client-public",
                    "context-ehr-patient",
                    "permission-v2",
                ],
            }
        )

    @app.get("/auth/authorize")
    def authorize() -> Any:
        args = request.args
        state.log.append({"path": request.path, "method": "GET", "args": dict(args)})
        patient = state.launches.get(args.get("launch", ""))
        if patient is None:
            return jsonify({"error": "invalid_request", "error_description": "unknown launch"}), 400
        if args.get("aud") != f"{state.base}/fhir":
            return jsonify({"error": "invalid_request", "error_description": "wrong aud"}), 400
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            return jsonify(
                {"error": "invalid_request", "error_description": "PKCE S256 required"}
            ), 400
        user = LaunchUser(launch=args["launch"], patient=patient)
        grant = server.get_consent_grant(end_user=user)
        return server.create_authorization_response(grant_user=user, grant=grant)

    @app.post("/auth/token")
    def token() -> Any:
        form = request.form
        state.log.append(
            {
                "path": request.path,
                "method": "POST",
                "grant_type": form.get("grant_type"),
                "has_code_verifier": bool(form.get("code_verifier")),
            }
        )
        return server.create_token_response()

    @app.get("/fhir/<path:path>")
    def fhir(path: str) -> Any:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        with state.lock:
            entry = state.tokens.get(token)
        state.log.append({"path": request.path, "method": "GET", "bearer": bool(entry)})
        if entry is None or entry[1] < time.time():
            return Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        query = request.query_string.decode()
        if state.upstream is None:
            return _from_memory(state, path, request.args)
        upstream = f"{state.upstream}/{path}" + (f"?{query}" if query else "")
        answer = requests.get(upstream, headers={"Accept": "application/fhir+json"}, timeout=30)
        body = answer.text.replace(state.upstream, f"{state.base}/fhir")
        return Response(body, status=answer.status_code, mimetype="application/fhir+json")

    return app


def _from_memory(state: State, path: str, args: Mapping[str, str]) -> Any:
    parts = path.split("/")
    if len(parts) == 2:
        for r in state.resources.get(parts[0], []):
            if r.get("id") == parts[1]:
                return jsonify(r)
        return jsonify({"resourceType": "OperationOutcome", "issue": []}), 404
    patient = args.get("patient", "").removeprefix("Patient/")
    codes = {c for c in args.get("code", "").split(",") if c}
    matches = [
        r
        for r in state.resources.get(parts[0], [])
        if str((r.get("subject") or r.get("patient") or {}).get("reference", "")).endswith(
            f"Patient/{patient}"
        )
        and (not codes or _codes_of(r) & codes)
    ]
    return jsonify(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "entry": [{"resource": r} for r in matches],
        }
    )


def _codes_of(resource: Mapping[str, Any]) -> set[str]:
    """`system|code` of every coding of the resource's `code` (FHIR token search)."""
    codings = (resource.get("code") or {}).get("coding") or []
    return {f"{c.get('system', '')}|{c.get('code', '')}" for c in codings}


@dataclass
class RunningEhr:
    state: State

    @property
    def fhir_base(self) -> str:
        return f"{self.state.base}/fhir"

    def register_client(self, client_id: str, redirect_uri: str, scope: str) -> None:
        self.state.clients[client_id] = Client(client_id, (redirect_uri,), scope)

    def new_launch(self, patient_id: str) -> str:
        launch = secrets.token_urlsafe(12)
        self.state.launches[launch] = patient_id
        return launch

    def add_resources(self, resources: list[dict[str, Any]]) -> None:
        for r in resources:
            self.state.resources.setdefault(str(r["resourceType"]), []).append(r)

    @property
    def log(self) -> list[dict[str, Any]]:
        return self.state.log


@contextmanager
def running_ehr(upstream_fhir: str | None = None, host: str = "127.0.0.1") -> Iterator[RunningEhr]:
    """Start the stand-in EHR on a free loopback port for the duration of the block."""
    state = State(upstream=upstream_fhir.rstrip("/") if upstream_fhir else None)
    with serve_wsgi(create_ehr_app(state), host=host, name="test-ehr") as base:
        state.base = base
        assert urlsplit(state.base).hostname == host
        yield RunningEhr(state)
