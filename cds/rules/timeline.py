"""The record's dated series as seen on one date, with bisect-based window look-ups.

Rules only use data dated ≤ as_of (clinical.md §1), and some rules ask what was known on
an earlier date (the index-date reset asks whether a flare was met at each laboratory date,
§3). A `Timeline` shares the record's sorted arrays and keeps only an upper bound, so
looking at the record "as of" another date costs a few bisects, not a copy.

"Within N days" windows are inclusive at both ends everywhere in this module.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Generic, Protocol, TypeVar

from fhir_mapping.record import EgfrPoint, Measurement, PatientRecord, Series


class Dated(Protocol):
    @property
    def date(self) -> date: ...


T = TypeVar("T", bound=Dated)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def value_of(m: Measurement) -> float:
    """The numeric value of a measurement from a numeric series (never None there)."""
    if m.value is None:  # pragma: no cover - numeric series are filtered on construction
        raise ValueError(f"{m.source.reference} has no numeric value")
    return m.value


def cast_positive(m: Measurement) -> bool | None:
    """RBC cast result: positive (flag, or a count > 0), negative, or None when unknown."""
    if m.flag is not None:
        return m.flag
    if m.value is not None:
        return m.value > 0
    return None


class DatedSeries(Generic[T]):
    """Items sorted by date (at most one per date), visible up to an index bound."""

    __slots__ = ("_dates", "_items", "_stop")

    def __init__(
        self, items: Sequence[T], dates: Sequence[date] | None = None, stop: int | None = None
    ):
        self._items = items
        self._dates = dates if dates is not None else [i.date for i in items]
        self._stop = len(items) if stop is None else stop

    def upto(self, day: date) -> DatedSeries[T]:
        """The same series, restricted to items dated ≤ day."""
        return DatedSeries(self._items, self._dates, bisect_right(self._dates, day, 0, self._stop))

    def __len__(self) -> int:
        return self._stop

    def __iter__(self) -> Iterator[T]:
        for i in range(self._stop):
            yield self._items[i]

    def all(self) -> Sequence[T]:
        return self._items[: self._stop]

    def bounds(self, start: date, end: date) -> tuple[int, int]:
        """Index range [lo, hi) of the items dated in [start, end]."""
        lo = bisect_left(self._dates, start, 0, self._stop)
        hi = bisect_right(self._dates, end, lo, self._stop)
        return lo, hi

    def item(self, index: int) -> T:
        return self._items[index]

    def between(self, start: date, end: date) -> Sequence[T]:
        """Items dated in [start, end]."""
        lo, hi = self.bounds(start, end)
        return self._items[lo:hi]

    def after(self, start: date, end: date) -> Sequence[T]:
        """Items dated in (start, end]."""
        return self.between(start + days(1), end)

    def latest(self) -> T | None:
        return self._items[self._stop - 1] if self._stop else None

    def latest_in(self, start: date, end: date) -> T | None:
        lo, hi = self.bounds(start, end)
        return self._items[hi - 1] if hi > lo else None

    def earliest_in(self, start: date, end: date) -> T | None:
        lo, hi = self.bounds(start, end)
        return self._items[lo] if hi > lo else None

    def closest(self, t: date, window_days: int) -> T | None:
        """The item closest to t within ± window_days; on a tie, the earlier one."""
        lo, hi = self.bounds(t - days(window_days), t + days(window_days))
        if hi == lo:
            return None
        right = bisect_left(self._dates, t, lo, hi)  # first item dated ≥ t
        candidates = [i for i in (right - 1, right) if lo <= i < hi]
        return min(
            (self._items[i] for i in candidates),
            key=lambda item: (abs((item.date - t).days), item.date),
        )


@dataclass(frozen=True, slots=True)
class Timeline:
    """Every series the rules read, as of one date."""

    as_of: date
    p: DatedSeries[Measurement]
    scr: DatedSeries[Measurement]
    egfr: DatedSeries[EgfrPoint]
    rbc: DatedSeries[Measurement]
    wbc: DatedSeries[Measurement]
    casts: DatedSeries[Measurement]  # only results whose positivity is known
    c3: DatedSeries[Measurement]
    c4: DatedSeries[Measurement]
    dsdna: DatedSeries[Measurement]
    platelets: DatedSeries[Measurement]
    leukocytes: DatedSeries[Measurement]
    sledai_recorded: DatedSeries[Measurement]

    @classmethod
    def of(cls, record: PatientRecord, as_of: date) -> Timeline:
        def numeric(series: Series) -> DatedSeries[Measurement]:
            items = _one_per_day(m for m in record.series(series) if m.value is not None)
            return DatedSeries(items).upto(as_of)

        def flagged(series: Series) -> DatedSeries[Measurement]:
            return DatedSeries(_one_per_day(record.series(series))).upto(as_of)

        casts = _one_per_day(
            m for m in record.series(Series.RBC_CASTS) if cast_positive(m) is not None
        )
        egfr = _one_per_day(record.egfr)
        return cls(
            as_of=as_of,
            p=numeric(Series.PROTEINURIA),
            scr=numeric(Series.CREATININE),
            egfr=DatedSeries(egfr).upto(as_of),
            rbc=numeric(Series.URINE_RBC),
            wbc=numeric(Series.URINE_WBC),
            casts=DatedSeries(casts).upto(as_of),
            c3=flagged(Series.C3),
            c4=flagged(Series.C4),
            dsdna=flagged(Series.ANTI_DSDNA),
            platelets=numeric(Series.PLATELETS),
            leukocytes=numeric(Series.LEUKOCYTES),
            sledai_recorded=flagged(Series.SLEDAI2K_RECORDED),
        )

    def at(self, day: date) -> Timeline:
        """The same record as known on `day` (never later than this timeline's as_of)."""
        if day >= self.as_of:
            return self
        return Timeline(
            as_of=day,
            p=self.p.upto(day),
            scr=self.scr.upto(day),
            egfr=self.egfr.upto(day),
            rbc=self.rbc.upto(day),
            wbc=self.wbc.upto(day),
            casts=self.casts.upto(day),
            c3=self.c3.upto(day),
            c4=self.c4.upto(day),
            dsdna=self.dsdna.upto(day),
            platelets=self.platelets.upto(day),
            leukocytes=self.leukocytes.upto(day),
            sledai_recorded=self.sledai_recorded.upto(day),
        )


def _one_per_day(items: Iterator[T] | Sequence[T]) -> list[T]:
    """Sorted by date, keeping the last item of each date (the record's series are
    already one per day after the §2 same-day rules; this only guards the invariant)."""
    by_day: dict[date, T] = {}
    for item in sorted(items, key=lambda i: i.date):
        by_day[item.date] = item
    return list(by_day.values())
