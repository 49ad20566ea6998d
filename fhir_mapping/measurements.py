"""Every laboratory Observation of a patient → the measurement series of the record.

This loop runs once per laboratory result (ten years of labs: thousands per hook call),
so its common case is a few dict lookups: the first coding is tried before every coding,
a resource id is checked once, the patient check (`belongs`) tries the plain `Patient/id`
reference first, and `observations_fast.fast_read` reads well-formed results. Whatever
does not fit goes through the general functions (`match_code`, `source_of`,
`read_observation`), which add the notes; the result is the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from fhir_mapping.fhirjson import FHIR_ID, JsonObject, source_of
from fhir_mapping.notes import note
from fhir_mapping.observations import read_observation
from fhir_mapping.observations_fast import TARGETS, DateMemo, fast_read, match_target, new_tuple
from fhir_mapping.record import Measurement, Note, Series, Source
from fhir_mapping.same_day import Candidate, SameDay


def extract_measurements(
    observations: Iterable[JsonObject],
    as_of: date,
    notes: list[Note],
    *,
    belongs: Callable[[JsonObject, Source], bool],
) -> dict[Series, tuple[Measurement, ...]]:
    """The series of the record, one value per series per day, each sorted by date.

    `belongs(resource, source)` says whether the resource is this patient's (it adds the
    note when it is not).
    """
    same_day = SameDay()
    best = same_day.best
    seen: dict[str, JsonObject] = {}
    dates = DateMemo()
    targets = TARGETS
    is_valid_id = FHIR_ID.fullmatch
    for resource in observations:
        try:
            first = resource["code"]["coding"][0]
            target = targets.get((first["system"], first["code"]))
        except (KeyError, TypeError, IndexError):
            target = None
        if target is None:
            target = match_target(resource)  # every coding, type-checked
            if target is None:
                continue

        # `source_of` inlined for a valid id: calling it costs about 40 ns per result, 1-2%
        # of this loop (measured); anything else is asked of it
        rid = resource.get("id")
        rtype = resource.get("resourceType")
        if type(rid) is str and type(rtype) is str and is_valid_id(rid):
            source: Source = new_tuple(Source, (rtype, rid))
        else:
            found = source_of(resource)
            if found is None:
                notes.append(note("invalid-id"))
                continue
            source = found
        previous = seen.get(source.id)
        if previous is not None:
            if previous != resource:
                notes.append(note("duplicate-id-differs", source))
            continue
        seen[source.id] = resource
        if not belongs(resource, source):
            continue

        m = fast_read(resource, source, target, as_of, dates)
        if m is None:
            m = read_observation(resource, source, target.ocode, as_of, notes)
            if m is None:
                continue
        cand: Candidate = new_tuple(Candidate, (m, target.priority))
        key = (m.series, m.date)
        current = best.get(key)
        if current is None:
            best[key] = cand
        else:
            same_day.clash(key, cand, current)
    notes.extend(same_day.notes)
    return same_day.series()
