"""Feedback failures, split by who is at fault.

`FeedbackError`: the request body is wrong (the web edge answers 400 with an OperationOutcome
carrying `message`, which never echoes free text from the body). `FeedbackStoreError`: our
database failed (the web edge answers 503/500; the EHR may retry, and retries are idempotent).
"""

from __future__ import annotations


class FeedbackError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FeedbackStoreError(Exception):
    """The feedback database could not be reached or refused the write."""
