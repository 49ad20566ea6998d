"""Clinicians' feedback on our cards (CDS Hooks 2.0 §Feedback): validate, store, export.

Plug-in for the web edge, per `POST /cds-services/{id}/feedback`:
    items = parse_feedback(request.get_json())      # FeedbackError → 400 OperationOutcome
    store.save(service_id, items)                   # FeedbackStoreError → 503; returns after commit
with `store = store_from_env(os.environ)` built once at start-up and `store.ping()` for readiness.
"""

from cds.feedback.errors import FeedbackError, FeedbackStoreError
from cds.feedback.model import FeedbackItem, FeedbackRow, Outcome, OverrideReason
from cds.feedback.parse import parse_feedback
from cds.feedback.store import DEFAULT_SQLITE_PATH, FeedbackStore, store_for, store_from_env

__all__ = [
    "DEFAULT_SQLITE_PATH",
    "FeedbackError",
    "FeedbackItem",
    "FeedbackRow",
    "FeedbackStore",
    "FeedbackStoreError",
    "Outcome",
    "OverrideReason",
    "parse_feedback",
    "store_for",
    "store_from_env",
]
