"""The one error hierarchy of the web edge, and the handlers that turn errors into JSON.

Everything a client or a FHIR server can cause ends as a `ServiceError` with its HTTP
status and an OperationOutcome body. Anything else is a bug: it is logged with its stack
trace and answered with a bare 500 OperationOutcome that reveals nothing. Messages in
these errors go to clients and to logs, so they never contain PHI or tokens: only prefetch
keys, resource types, ids and reasons.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """An error with an HTTP status and FHIR issue code, answered as an OperationOutcome."""

    status = 500
    issue_code = "exception"

    def __init__(self, message: str, *, issues: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        # extra (issue_code, diagnostics) pairs, e.g. one per prefetch key that failed
        self.issues = issues

    def headers(self) -> dict[str, str]:
        return {}


class BadRequestError(ServiceError):
    """The hook request is malformed (400)."""

    status = 400
    issue_code = "invalid"


class AuthenticationFailedError(ServiceError):
    """The caller could not be authenticated (401). The body never says why."""

    status = 401
    issue_code = "login"

    def __init__(self, message: str = "authentication required") -> None:
        super().__init__(message)

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class ServiceNotFoundError(ServiceError):
    """No CDS Service with this id (404)."""

    status = 404
    issue_code = "not-found"


class PreconditionFailedError(ServiceError):
    """Data the service needs could not be obtained (412), naming the prefetch keys."""

    status = 412
    issue_code = "incomplete"


class ServiceUnavailableError(ServiceError):
    """A dependency of ours (e.g. the feedback store) is down (503): the client may retry."""

    status = 503
    issue_code = "transient"


def operation_outcome(
    status: int, code: str, message: str, extra: tuple[tuple[str, str], ...] = ()
) -> dict[str, Any]:
    issues: list[dict[str, Any]] = [{"severity": "error", "code": code, "diagnostics": message}]
    issues.extend({"severity": "error", "code": c, "diagnostics": d} for c, d in extra)
    return {"resourceType": "OperationOutcome", "issue": issues}


def outcome_response(
    status: int, code: str, message: str, extra: tuple[tuple[str, str], ...] = ()
) -> Response:
    """The JSON response: `operation_outcome(...)` with `status`."""
    response = jsonify(operation_outcome(status, code, message, extra))
    response.status_code = status
    return response


_HTTP_ISSUE_CODES = {
    400: "invalid",
    404: "not-found",
    405: "not-supported",
    413: "too-costly",
    415: "not-supported",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError) -> Response:
        if error.status == 401:
            log.info("request refused: not authenticated")
        else:
            log.info("request refused: %s %s", error.status, error.message)
        response = outcome_response(error.status, error.issue_code, error.message, error.issues)
        response.headers.update(error.headers())
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        code = _HTTP_ISSUE_CODES.get(status, "processing" if status < 500 else "exception")
        response = outcome_response(status, code, error.name)
        if status == 405 and error.response is None:
            allowed = error.get_headers()
            for name, value in allowed:
                if name.lower() == "allow":
                    response.headers["Allow"] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unexpected error while handling a request")
        return outcome_response(500, "exception", "internal error")
