"""The views blueprint: trend view, SMART EHR launch, demo EHR page and demo FHIR facade.

Routes (all HTML pages send `Cache-Control: no-store` and a same-origin-only CSP):

| route | when | what |
|---|---|---|
| `GET /smart/launch?iss&launch` | SMART configured | discovery → redirect to authorize (PKCE) |
| `GET /smart/callback?code&state` | SMART configured | token → redirect to `/smart/trend` |
| `GET /smart/trend` | SMART configured | trend view of the token's patient |
| `GET /demo` | demo mode | pick a cohort patient |
| `GET /demo/patients/<id>` | demo mode | demo EHR chart page; fires the hook |
| `GET /demo/patients/<id>/trend` | demo mode | trend view of a cohort patient |
| `GET /demo/fhir/<query>` | demo mode | read-only FHIR facade over the cohort |
| `POST /demo/markdown` | demo mode | card markdown → safe HTML for the demo EHR |
| `GET /demo/ehr/jwks.json` | demo mode, auth on | the demo EHR's public signing key |
| `POST /demo/ehr/token` | demo mode, auth on | a signed CDS Hooks client JWT for one hook call |
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import requests
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from cds.cards.text import number
from cds.datasources.base import PatientDataSource
from cds.views import demo_fhir
from cds.views.analysis import (
    PatientAnalyser,
    PatientDataUnavailableError,
    PatientNotFoundError,
    PatientView,
    fetch_patient_resources,
    patient_header,
)
from cds.views.demo_issuer import (
    ISSUER_PATH,
    JWKS_PATH,
    TOKEN_PATH,
    DemoEhrIssuer,
    signable_path,
)
from cds.views.markdown import render_markdown
from cds.views.session_store import SessionStore
from cds.views.settings import ViewsSettings
from cds.views.smart import (
    LaunchContext,
    PendingLaunch,
    SmartLaunchError,
    authorization_request,
    check_issuer,
    discover,
    exchange_code,
)
from cds.views.smart_fhir import SmartFhirSource
from cds.views.trend import display_unit
from cds.views.urls import (
    DEMO_INDEX_PATH,
    DEMO_TREND_PATH,
    SMART_CALLBACK_PATH,
    SMART_LAUNCH_PATH,
    SMART_TREND_PATH,
)

log = logging.getLogger(__name__)

SESSION_COOKIE = "lncds_view_session"
SERVICE_ID = "lupus-nephritis"
DEMO_USER_ID = "Practitioner/demo-nephrologist"

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIR = REPO_ROOT / "templates"
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'"
)

Analyser = Callable[..., PatientView]


@dataclass(frozen=True, slots=True)
class DemoBackend:
    """The embedded cohort as the views see it: a data source, its patients, its as-of date."""

    source: PatientDataSource
    patient_ids: tuple[str, ...]
    as_of: date
    stories: Mapping[str, str] = field(default_factory=dict)  # synthetic case summaries
    # The demo EHR's signing key: set when the hook endpoint verifies JWTs, so the page
    # signs like an EHR.
    issuer: DemoEhrIssuer | None = None


def _error_page(message: str, status: int) -> tuple[str, int]:
    return render_template("views/error.html", message=message, status=status), status


def create_views_blueprint(
    settings: ViewsSettings,
    *,
    store: SessionStore | None = None,
    demo: DemoBackend | None = None,
    analyser: Analyser | None = None,
    http: Callable[[], requests.Session] = requests.Session,
) -> Blueprint:
    """Build the blueprint; demo routes exist only with `demo`, SMART routes only when a
    SMART client id is configured (a route that is not registered is a plain 404)."""
    bp = Blueprint(
        "views",
        __name__,
        template_folder=str(TEMPLATE_DIR),
        static_folder=str(STATIC_DIR),
        static_url_path="/views/static",
    )
    bp.add_app_template_filter(display_unit, "ln_unit")
    bp.add_app_template_filter(number, "ln_num")
    # `is None`, not `or`: an empty store has len() 0 and is falsy.
    sessions = (
        store
        if store is not None
        else SessionStore(ttl_seconds=float(settings.session_ttl_seconds))
    )
    analyse: Analyser = analyser or PatientAnalyser()

    @bp.after_request
    def _headers(response: Response) -> Response:
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = CSP
        if not request.path.startswith("/views/static/"):
            response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def render_trend(view: PatientView, *, demo_mode: bool) -> str:
        return render_template(
            "views/trend.html",
            view=view,
            trend=view.trend,
            header=view.header,
            banner=view.banner,
            assessment=view.assessment,
            demo_mode=demo_mode,
        )

    if settings.smart_enabled:
        _add_smart_routes(
            bp,
            settings=settings,
            sessions=sessions,
            analyser=analyse,
            http=http,
            render_trend=render_trend,
        )
    if demo is not None:
        _add_demo_routes(
            bp, settings=settings, demo=demo, analyser=analyse, render_trend=render_trend
        )
    return bp


def public_base(settings: ViewsSettings) -> str:
    """Our base URL as browsers and EHRs reach it: `LNCDS_PUBLIC_URL`, else the request's."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return request.host_url.rstrip("/")


def external_url(settings: ViewsSettings, endpoint: str, **values: Any) -> str:
    """An absolute URL of one of our routes, as browsers reach it.

    `public_base` when `LNCDS_PUBLIC_URL` is set (behind a reverse proxy the request's own host
    is not what the browser or the authorization server sees), else Flask's external URL: the
    request's scheme and host, an internationalised host in its ASCII (punycode) form, where
    `request.host_url` would give it in Unicode.
    """
    if settings.public_url:
        return public_base(settings) + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _set_session_cookie(
    response: BaseResponse,
    session_id: str,
    settings: ViewsSettings,
    *,
    max_age: int | None = None,
) -> None:
    """The opaque session id: HttpOnly, SameSite=Lax (the callback is a top-level GET from the
    authorization server), short-lived, scoped to /smart, Secure whenever browsers use https."""
    https = request.is_secure or (settings.public_url or "").startswith("https://")
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=settings.session_ttl_seconds if max_age is None else max_age,
        httponly=True,
        samesite="Lax",
        secure=https,
        path="/smart",
    )


def _add_smart_routes(
    bp: Blueprint,
    *,
    settings: ViewsSettings,
    sessions: SessionStore,
    analyser: Analyser,
    http: Callable[[], requests.Session],
    render_trend: Callable[..., str],
) -> None:
    client = settings.smart_client()

    @bp.get(SMART_LAUNCH_PATH)
    def smart_launch() -> Any:
        launch = request.args.get("launch", "")
        try:
            iss = check_issuer(
                request.args.get("iss"),
                settings.fhir_allowlist,
                allow_http=settings.fhir_allow_http,
            )
            if not launch:
                raise SmartLaunchError("The EHR launch did not carry a launch parameter.")
            with http() as session:
                configuration = discover(
                    session,
                    iss,
                    timeout=settings.fhir_timeout_seconds,
                    allow_http=settings.fhir_allow_http,
                )
            url, pending = authorization_request(
                client,
                configuration,
                iss=iss,
                launch=launch,
                redirect_uri=external_url(settings, "views.smart_callback"),
            )
        except SmartLaunchError as exc:
            log.info("smart launch refused: %s", exc)
            return _error_page(str(exc), 400)
        sessions.delete(request.cookies.get(SESSION_COOKIE))
        session_id = sessions.create({"pending": pending.to_dict()})
        response = redirect(url, code=302)
        _set_session_cookie(response, session_id, settings)
        return response

    @bp.get(SMART_CALLBACK_PATH)
    def smart_callback() -> Any:
        session_id = request.cookies.get(SESSION_COOKIE)
        data = sessions.get(session_id)
        if session_id is None or data is None or "pending" not in data:
            return _error_page(
                "The launch session has expired or was not started here; launch again from "
                "the EHR.",
                400,
            )
        try:
            pending = PendingLaunch.from_dict(data["pending"])
            context = exchange_code(
                client,
                pending,
                code=request.args.get("code"),
                state=request.args.get("state"),
                error=request.args.get("error"),
            )
        except SmartLaunchError as exc:
            sessions.delete(session_id)
            log.info("smart callback refused: %s", exc)
            return _error_page(str(exc), 400)
        # A fresh id once authorised (no session fixation); the pending state is gone. The
        # session (and its cookie) never outlives the access token it holds.
        sessions.delete(session_id)
        lifetime = sessions.lifetime(context.expires_in)
        new_id = sessions.create({"context": context.to_dict()}, ttl_seconds=lifetime)
        response = redirect(url_for("views.smart_trend"), code=302)
        _set_session_cookie(response, new_id, settings, max_age=int(lifetime))
        return response

    @bp.get(SMART_TREND_PATH)
    def smart_trend() -> Any:
        data = sessions.get(request.cookies.get(SESSION_COOKIE))
        if data is None or "context" not in data:
            return _error_page(
                "No authorised session; open the trend view from the EHR again.", 401
            )
        context = LaunchContext.from_dict(data["context"])
        source = SmartFhirSource(context, timeout_seconds=settings.fhir_timeout_seconds)
        as_of = settings.today()
        try:
            resources = fetch_patient_resources(
                source, context.patient, budget_seconds=settings.fhir_budget_seconds
            )
        except PatientNotFoundError:
            return _error_page("The EHR's FHIR server did not return the patient.", 502)
        except PatientDataUnavailableError as exc:
            return _error_page(f"The EHR's FHIR server failed: {exc}.", 502)
        view = analyser(
            resources, patient_id=context.patient, as_of=as_of, profile=settings.profile
        )
        return render_trend(view, demo_mode=False)


def _add_demo_routes(
    bp: Blueprint,
    *,
    settings: ViewsSettings,
    demo: DemoBackend,
    analyser: Analyser,
    render_trend: Callable[..., str],
) -> None:
    known = frozenset(demo.patient_ids)

    def require_patient(patient_id: str) -> None:
        if patient_id not in known:
            abort(404)

    @bp.get(DEMO_INDEX_PATH)
    def demo_index() -> Any:
        patients = []
        for pid in demo.patient_ids:
            outcome = demo.source.fetch({"p": f"Patient/{pid}"}, budget_seconds=5.0)
            resources = outcome.results["p"].resources if "p" in outcome.results else ()
            patients.append(patient_header(resources, pid, demo.as_of))
        return render_template(
            "views/demo_index.html", patients=patients, as_of=demo.as_of, stories=demo.stories
        )

    @bp.get("/demo/patients/<patient_id>")
    def demo_ehr(patient_id: str) -> Any:
        require_patient(patient_id)
        outcome = demo.source.fetch({"p": f"Patient/{patient_id}"}, budget_seconds=5.0)
        resources = outcome.results["p"].resources if "p" in outcome.results else ()
        header = patient_header(resources, patient_id, demo.as_of)
        base = public_base(settings)
        return render_template(
            "views/demo_ehr.html",
            header=header,
            as_of=demo.as_of,
            service_id=SERVICE_ID,
            user_id=DEMO_USER_ID,
            signs=demo.issuer is not None,
            issuer=base + ISSUER_PATH,
            jku=base + JWKS_PATH,
            fhir_base=external_url(settings, "views.demo_fhir_root").rstrip("/"),
            discovery_url="/cds-services",
        )

    @bp.get(DEMO_TREND_PATH.replace("{patient_id}", "<patient_id>"))
    def demo_trend(patient_id: str) -> Any:
        require_patient(patient_id)
        try:
            resources = fetch_patient_resources(
                demo.source, patient_id, budget_seconds=settings.fhir_budget_seconds
            )
        except PatientNotFoundError:
            abort(404)
        view = analyser(
            resources, patient_id=patient_id, as_of=demo.as_of, profile=settings.profile
        )
        return render_trend(view, demo_mode=True)

    @bp.get("/demo/fhir/", defaults={"query": ""})
    def demo_fhir_root(query: str) -> Any:
        base = external_url(settings, "views.demo_fhir_root").rstrip("/")
        return _fhir_response(200, demo_fhir.capability_statement(base))

    @bp.get("/demo/fhir/metadata")
    def demo_fhir_metadata() -> Any:
        base = external_url(settings, "views.demo_fhir_root").rstrip("/")
        return _fhir_response(200, demo_fhir.capability_statement(base))

    @bp.get("/demo/fhir/<path:query>")
    def demo_fhir_query(query: str) -> Any:
        base = external_url(settings, "views.demo_fhir_root").rstrip("/")
        relative = query
        if request.query_string:
            relative = f"{query}?{request.query_string.decode('utf-8', 'replace')}"
        status, body = demo_fhir.answer(demo.source, relative, base_url=base)
        return _fhir_response(status, body)

    if demo.issuer is not None:
        _add_demo_issuer_routes(bp, settings=settings, issuer=demo.issuer)

    @bp.post("/demo/markdown")
    def demo_markdown() -> Any:
        payload = request.get_json(silent=True)
        text = payload.get("markdown") if isinstance(payload, dict) else None
        if not isinstance(text, str):
            return jsonify({"error": 'send {"markdown": "..."}'}), 400
        return jsonify({"html": render_markdown(text)})


def _add_demo_issuer_routes(
    bp: Blueprint, *, settings: ViewsSettings, issuer: DemoEhrIssuer
) -> None:
    """The demo EHR as a JWT issuer (cds.views.demo_issuer): its JWK Set and its signer."""

    @bp.get(JWKS_PATH)
    def demo_ehr_jwks() -> Any:
        return jsonify(issuer.jwks())

    @bp.post(TOKEN_PATH)
    def demo_ehr_token() -> Any:
        # JSON only (a cross-site page cannot send it without a CORS preflight we refuse).
        payload = request.get_json(silent=True)
        path = signable_path(payload.get("path") if isinstance(payload, dict) else None)
        if path is None:
            return jsonify({"error": 'send {"path": "/cds-services/<id>[/feedback]"}'}), 400
        base = public_base(settings)
        token = issuer.sign(issuer=base + ISSUER_PATH, audience=base + path, jku=base + JWKS_PATH)
        return jsonify({"token": token})


def _fhir_response(status: int, body: dict[str, Any]) -> Response:
    return current_app.response_class(
        response=current_app.json.dumps(body),
        status=status,
        mimetype=demo_fhir.FHIR_JSON,
    )
