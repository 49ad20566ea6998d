"""The CDS Hooks endpoints: discovery, the hook call and feedback, driven by the registry.

Order of work for a call: authenticate (before anything about the request is looked at),
find the service, validate the body, act, serialise. Errors are raised as
`cds.web.errors.ServiceError`s and answered by the handlers in `errors.py`.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, request

from cds.config import Config
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
        return service

    @bp.get("/cds-services")
    def discovery() -> Response:
        return Response(registry.discovery_body, mimetype=JSON)

    @bp.post("/cds-services/<service_id>")
    def hook(service_id: str) -> Response:
        authenticate(request, config)
        service = service_for(service_id)
        hook_request = parse_hook_request(request.get_data(cache=False), expected_hook=service.hook)
        base_url = config.public_url or request.url_root
        cards = service.handler(hook_request, base_url)
        body = json.dumps({"cards": cards}, ensure_ascii=False, separators=(",", ":"))
        return Response(body, mimetype=JSON)

    @bp.post("/cds-services/<service_id>/feedback")
    def feedback(service_id: str) -> Response:
        """CDS Hooks 2.0 §Feedback: validated by `cds.feedback`, stored before answering 200."""
        from cds.feedback import FeedbackError, FeedbackStoreError, parse_feedback  # noqa: PLC0415

        authenticate(request, config)
        service = service_for(service_id)
        try:
            body = json.loads(request.get_data(cache=False))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise BadRequestError("request body is not valid JSON") from None
        try:
            items = parse_feedback(body)
        except FeedbackError as error:
            raise BadRequestError(str(error)) from None
        if config.feedback_store is None:
            raise ServiceUnavailableError("feedback storage is not configured")
        try:
            saved = config.feedback_store.save(service.id, items)
        except FeedbackStoreError:
            log.exception("feedback for %s could not be stored", service.id)
            raise ServiceUnavailableError("feedback could not be stored; retry later") from None
        log.info("feedback for %s: %d item(s), %d new", service.id, len(items), saved)
        return Response(status=200)

    return bp
