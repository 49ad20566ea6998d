"""The suite's safety net: every reply a service test receives is checked, whatever it asserts.

`conftest.check_response` is what makes "every response in every test validates" true, so
it is tested like any other code: each kind of malformed reply must fail it.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, Response

from cds.config import Config
from cds.web.app import create_app
from tests.service.conftest import ValidatingClient, check_response


def _replies(body: bytes, mimetype: str, status: int = 200) -> Flask:
    """A stand-in app answering every CDS Hooks path with this body (no validation)."""
    app = Flask(__name__)

    @app.route("/cds-services", methods=["GET"])
    @app.route("/cds-services/<service_id>", methods=["POST"])
    def any_path(service_id: str = "") -> Response:
        return Response(body, status=status, mimetype=mimetype)

    return app


def _plain_client(app: Flask) -> Any:
    app.test_client_class = None  # Flask's own client, so that the test calls check_response
    return app.test_client()


@pytest.mark.parametrize(
    ("method", "path", "body", "mimetype", "status"),
    [
        pytest.param("post", "/cds-services/x", b'{"cards": [{}]}', "application/json", 200,
                     id="hook-200-invalid-card"),
        pytest.param("post", "/cds-services/x", b"<p>cards</p>", "text/html", 200,
                     id="hook-200-not-json"),
        pytest.param("get", "/cds-services", b"services", "text/plain", 200,
                     id="discovery-200-not-json"),
        pytest.param("post", "/cds-services/x", b"<h1>Server Error</h1>", "text/html", 500,
                     id="error-as-html"),
        pytest.param("post", "/cds-services/x", b'{"error": "boom"}', "application/json", 412,
                     id="error-not-an-operation-outcome"),
        pytest.param("post", "/cds-services/x", b"", "application/json", 204,
                     id="hook-success-other-than-200"),
    ],
)  # fmt: skip
def test_malformed_replies_fail_the_check(
    method: str, path: str, body: bytes, mimetype: str, status: int
) -> None:
    response = getattr(_plain_client(_replies(body, mimetype, status)), method)(path, json={})
    with pytest.raises((AssertionError, ValueError)):
        check_response(response)


def test_a_valid_empty_cards_reply_passes() -> None:
    app = _replies(b'{"cards": []}', "application/json")
    check_response(_plain_client(app).post("/cds-services/x", json={}))


def test_apps_built_directly_in_service_tests_validate_too() -> None:
    """Not only `make_app`: any app a service test builds gets the validating client."""
    assert isinstance(create_app(Config(auth=False)).test_client(), ValidatingClient)
