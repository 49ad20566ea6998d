"""The CDS Hooks endpoints: discovery, the hook call and feedback, driven by the registry.

Order of work for a call: authenticate (before anything about the request is looked at),
find the service, validate the body, act, serialise. Errors are raised as
`cds.web.errors.ServiceError`s and answered by the handlers in `errors.py`.

Each step is timed as a stage of the request's trace (`cds.tracing`) and what is
safe to log is noted for the one summary line per call: the service id (only once it is
known to be ours), the hookInstance, feedback counts. Never a body, a token or a value.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from cds import jsonio
from cds.config import Config
from cds.tracing import bounded, note, stage
from cds.web.errors import (
    BadRequestError,
    ServiceNotFoundError,
    ServiceUnavailableError,
)
from cds.web.registry import Registry, ServiceDefinition
from cds.web.request_model import parse_hook_request
from cds.web.security import authenticate

log = logging.getLogger(__name__)
JSON = "application/json"


def create_blueprint(registry: Registry, config: Config) -> Blueprint:
    bp = Blueprint("cds_hooks", __name__)

    def service_for(service_id: str) -> ServiceDefinition:
        service = registry.get(service_id)
        if service is None:
            raise ServiceNotFoundError("no CDS Service with this id")
        note(service=service.id)
        return service

    @bp.get("/cds-services")
    def discovery() -> Response:
        """Public (CDS Hooks 2.0 asks for a JWT only where the service requires one, and the
        document holds no PHI), but a token that *is* sent is verified with the discovery
        URL as its audience: an EHR misconfigured at registration hears 401 then, not at its
        first hook call."""
        if request.headers.get("Authorization") is not None:
            with stage("auth"):
                authenticate(request, config)
        return Response(registry.discovery_body, mimetype=JSON)

    @bp.post("/cds-services/<service_id>")
    def hook(service_id: str) -> Response:
        with stage("auth"):
            authenticate(request, config)
        service = service_for(service_id)
        with stage("validate"):
            hook_request = parse_hook_request(
                request.get_data(cache=False), expected_hook=service.hook
            )
        note(hookInstance=bounded(hook_request.hook_instance))
        base_url = config.public_url or request.url_root
        cards = service.handler(hook_request, base_url)  # times fetch, map, assess, cards
        with stage("cards"):
            body = jsonio.dumps({"cards": cards})
        return Response(body, mimetype=JSON)

    @bp.post("/cds-services/<service_id>/feedback")
    def feedback(service_id: str) -> Response:
        """CDS Hooks 2.0 §Feedback: validated by `cds.feedback`, stored before answering 200."""
        from cds.feedback import FeedbackError, FeedbackStoreError, parse_feedback  # noqa: PLC0415

        with stage("auth"):
            authenticate(request, config)
        service = service_for(service_id)
        with stage("validate"):
            try:
                body = jsonio.loads(request.get_data(cache=False))
            except ValueError:
                raise BadRequestError("request body is not valid JSON") from None
            try:
                items = parse_feedback(body)
            except FeedbackError as error:
                raise BadRequestError(str(error)) from None
        if config.feedback_store is None:
            raise ServiceUnavailableError("feedback storage is not configured")
        with stage("store"):
            try:
                saved = config.feedback_store.save(service.id, items)
            except FeedbackStoreError:
                log.exception("feedback for %s could not be stored", service.id)
                raise ServiceUnavailableError("feedback could not be stored; retry later") from None
        # counted in the summary line and the metrics, not logged on a line of its own
        note(
            feedback_items=len(items),
            feedback_new=saved,
            feedback_outcomes=[item.outcome.value for item in items],
        )
        return Response(status=200)

    return bp
