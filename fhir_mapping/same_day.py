"""One value per series per day (clinical.md §2 "Same-day values").

Priority first (24-h UPCR, then 24-h protein, then spot UPCR; reported eGFR by method),
then the later effective time, then the later issued time, then the higher value. Results
are added as they are read: a clash is the exception, so the common case is one dict
lookup. Notes about the losers are kept apart and added after every reading note, in the
order the clashes occurred.
"""

from __future__ import annotations

from datetime import date
from operator import attrgetter
from typing import NamedTuple

from fhir_mapping.notes import note
from fhir_mapping.record import Measurement, Note, Series

_by_date = attrgetter("date")
_NEVER = float("-inf")


class Candidate(NamedTuple):
    measurement: Measurement
    priority: int  # lower wins


def _tie_key(c: Candidate) -> tuple[int, float, float, float]:
    """Higher wins: better priority, later effective time, later issued, higher value."""
    m = c.measurement
    ts = m.timestamp.timestamp() if m.timestamp is not None else _NEVER
    issued = m.issued.timestamp() if m.issued is not None else _NEVER
    value = m.value if m.value is not None else _NEVER
    return (-c.priority, ts, issued, value)


class SameDay:
    """The best candidate per (series, day) so far, and the notes about those it beat.

    The caller (`measurements.extract_measurements`) stores a candidate in `best` itself
    when its key is new, and calls `clash` only when it is taken.
    """

    __slots__ = ("best", "notes")

    def __init__(self) -> None:
        self.best: dict[tuple[Series, date], Candidate] = {}
        self.notes: list[Note] = []

    def clash(self, key: tuple[Series, date], cand: Candidate, current: Candidate) -> None:
        """`cand` arrives where `current` already is: keep the winner, note the loser."""
        winner, loser = (cand, current) if _tie_key(cand) > _tie_key(current) else (current, cand)
        self.best[key] = winner
        lower_kind = (
            winner.measurement.series is Series.PROTEINURIA and winner.priority < loser.priority
        )
        code = "proteinuria-lower-priority" if lower_kind else "same-day-superseded"
        self.notes.append(note(code, loser.measurement.source))

    def series(self) -> dict[Series, tuple[Measurement, ...]]:
        """Each series sorted by date, series in the order they first appeared."""
        out: dict[Series, list[Measurement]] = {}
        for (series, _), cand in self.best.items():
            bucket = out.get(series)
            if bucket is None:
                out[series] = [cand.measurement]
            else:
                bucket.append(cand.measurement)
        for ms in out.values():
            ms.sort(key=_by_date)  # linear when the server already sorted by date
        return {series: tuple(ms) for series, ms in out.items()}
