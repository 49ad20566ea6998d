"""`POST /cds-services/{id}/feedback`: validated, stored once; errors as OperationOutcomes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from cds.feedback import FeedbackItem, FeedbackStore, FeedbackStoreError, store_for
from cds.schema import validate_feedback

URL = "/cds-services/lupus-nephritis/feedback"
OVERRIDDEN = {
    "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
    "outcome": "overridden",
    "overrideReason": {
        "reason": {
            "system": "http://example.org/fhir/CodeSystem/ln-cds-card-override-reason",
            "code": "already-addressed",
            "display": "Already addressed or being managed",
        },
        "userComment": "seen in clinic yesterday",
    },
    "outcomeTimestamp": "2025-03-14T10:00:00Z",
}
ACCEPTED = {
    "card": "1d3f1a2b-6c4e-4f5a-8b9c-0d1e2f3a4b5c",
    "outcome": "accepted",
    "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
    "outcomeTimestamp": "2025-03-14T10:05:00+01:00",
}


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return store_for(str(tmp_path / "feedback.sqlite3"))


@pytest.fixture
def app_with_store(make_app: Any, store: FeedbackStore) -> Flask:
    app: Flask = make_app(feedback_store=store)
    return app


def test_feedback_is_stored_and_answered_200(app_with_store: Flask, store: FeedbackStore) -> None:
    body = {"feedback": [OVERRIDDEN, ACCEPTED]}
    validate_feedback(body)
    response = app_with_store.test_client().post(URL, json=body)
    assert response.status_code == 200
    rows = store.export()
    assert sorted(r.outcome for r in rows) == ["accepted", "overridden"]
    assert "seen in clinic" not in repr(rows)  # the free-text comment is not kept


def test_same_feedback_twice_is_stored_once(app_with_store: Flask, store: FeedbackStore) -> None:
    client = app_with_store.test_client()
    for _ in range(2):
        assert client.post(URL, json={"feedback": [OVERRIDDEN]}).status_code == 200
    assert len(store.export()) == 1


def test_a_single_feedback_object_is_tolerated(app_with_store: Flask, store: FeedbackStore) -> None:
    assert app_with_store.test_client().post(URL, json=OVERRIDDEN).status_code == 200
    assert len(store.export()) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"feedback": [{**OVERRIDDEN, "outcome": "ignored"}]},
        {"feedback": [{k: v for k, v in ACCEPTED.items() if k != "acceptedSuggestions"}]},
        {"feedback": [{**OVERRIDDEN, "overrideReason": {}}]},
        {"feedback": [{**OVERRIDDEN, "outcomeTimestamp": "yesterday"}]},
        "not an object",
    ],
)
def test_invalid_feedback_is_400(app_with_store: Flask, store: FeedbackStore, body: Any) -> None:
    response = app_with_store.test_client().post(URL, json=body)
    assert response.status_code == 400
    assert store.export() == []


def test_feedback_body_that_is_not_json_is_400(app_with_store: Flask) -> None:
    response = app_with_store.test_client().post(URL, data=b"{", content_type="application/json")
    assert response.status_code == 400


def test_feedback_for_an_unknown_service_is_404(app_with_store: Flask) -> None:
    response = app_with_store.test_client().post(
        "/cds-services/other/feedback", json={"feedback": [OVERRIDDEN]}
    )
    assert response.status_code == 404


def test_feedback_needs_authentication(make_app: Any, store: FeedbackStore) -> None:
    client = make_app(auth=True, authenticator=None, feedback_store=store).test_client()
    assert client.post(URL, json={"feedback": [OVERRIDDEN]}).status_code == 401


class _BrokenStore:
    def save(self, service_id: str, items: Sequence[FeedbackItem]) -> int:
        raise FeedbackStoreError("database is down")

    def export(self) -> list[Any]:
        return []

    def ping(self) -> None:
        raise FeedbackStoreError("database is down")


def test_store_down_is_503_so_the_client_can_retry(make_app: Any) -> None:
    client = make_app(feedback_store=_BrokenStore()).test_client()
    response = client.post(URL, json={"feedback": [OVERRIDDEN]})
    assert response.status_code == 503
    assert "database is down" not in response.get_data(as_text=True)


def test_no_store_configured_is_503(make_app: Any) -> None:
    response = make_app().test_client().post(URL, json={"feedback": [OVERRIDDEN]})
    assert response.status_code == 503
