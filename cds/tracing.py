"""The trace of one web request: stage timings and facts that are safe to log.

Pure standard library, so that `cds.engine` (shared with the CLI) can time its stages
without importing Flask: `stage()` and `note()` look for the current request's
`RequestTrace` in a context variable and do nothing when there is none (the CLI, a test
calling the engine directly, or a self-fetch pool thread, which does not inherit it).

Stage times are exclusive: a stage nested in another is not counted twice, and a stage
entered more than once in a request adds up. Facts are only ever ids, counts, codes and
verified claims; never a token, a name, a value or an id from the patient's data.
`cds.web.observability` starts and ends the trace and turns it into metrics and the
request's summary log line.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

MAX_CLAIM_CHARS = 200  # `tenant`, `jti`, `hookInstance` are chosen by the caller: bounded


@dataclass
class RequestTrace:
    """Timing and safe facts about one request; see the module docstring."""

    started: float = field(default_factory=time.perf_counter)
    stages: dict[str, float] = field(default_factory=dict)  # seconds, exclusive
    facts: dict[str, Any] = field(default_factory=dict)
    _open: list[list[float]] = field(default_factory=list)  # [start, time in nested stages]

    def note(self, **facts: Any) -> None:
        """Record facts for the summary line; only ever ids, counts, codes and claims."""
        self.facts.update(facts)

    def stage_ms(self) -> dict[str, float]:
        return {name: round(seconds * 1000, 2) for name, seconds in self.stages.items()}


_CURRENT: ContextVar[RequestTrace | None] = ContextVar("lncds_request_trace", default=None)


def current_trace() -> RequestTrace | None:
    """The trace of the request this thread is serving, or None (CLI, worker threads)."""
    return _CURRENT.get()


def start_trace() -> Token[RequestTrace | None]:
    return _CURRENT.set(RequestTrace())


def end_trace(token: Token[RequestTrace | None]) -> None:
    _CURRENT.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time a stage of the current request (a no-op outside a request, e.g. in the CLI)."""
    trace = _CURRENT.get()
    if trace is None:
        yield
        return
    frame = [time.perf_counter(), 0.0]
    trace._open.append(frame)
    try:
        yield
    finally:
        trace._open.pop()
        elapsed = time.perf_counter() - frame[0]
        trace.stages[name] = trace.stages.get(name, 0.0) + elapsed - frame[1]
        if trace._open:
            trace._open[-1][1] += elapsed


def note(**facts: Any) -> None:
    """`RequestTrace.note` on the current request; a no-op outside a request."""
    trace = _CURRENT.get()
    if trace is not None:
        trace.note(**facts)


def note_cards(status: str, cards: list[dict[str, Any]]) -> None:
    """Record the assessment status and each card's indicator (never the card's text)."""
    note(cards=[{"status": status, "indicator": str(card.get("indicator"))} for card in cards])


def bounded(value: object) -> str | None:
    """A claim chosen by the caller, as a short string (or None)."""
    if not isinstance(value, str):
        return None
    return value if len(value) <= MAX_CLAIM_CHARS else value[: MAX_CLAIM_CHARS - 3] + "..."
