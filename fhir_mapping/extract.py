"""FHIR R4 resources (plain JSON dicts) → the immutable `PatientRecord`.

This is the hot path of every hook call, so it reads JSON dicts directly (no model
validation): one pass sorts resources by type, then each kind is read by its module with
dict lookups on precomputed indexes. Malformed input never raises here: whatever cannot be
used becomes a `Note` naming the resource and the reason. The only exception is
`InputError` when no patient can be identified at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from fhir_mapping.bundle import InputError, single_patient
from fhir_mapping.conditions import classify_conditions
from fhir_mapping.dates import parse_date
from fhir_mapping.egfr import build_egfr_series
from fhir_mapping.fhirjson import JsonObject, source_of, valid_id
from fhir_mapping.measurements import extract_measurements
from fhir_mapping.medications import (
    MEDICATION_TYPES,
    build_courses,
    extract_medications,
    supplied_medications,
)
from fhir_mapping.notes import note
from fhir_mapping.record import (
    Demographics,
    Measurement,
    Note,
    PatientRecord,
    ProteinuriaKind,
    Series,
    Source,
)
from fhir_mapping.valuesets import OBSERVATION_CODES

_EGFR_METHODS: dict[str, str] = {
    o.code: o.method for o in OBSERVATION_CODES.values() if o.method is not None
}


class _PatientFilter:
    """Does a resource's subject point at our patient? (It adds the note when it does not.)

    Accepted forms: `Patient/id`, an absolute URL ending in `/Patient/id` (history
    stripped) and `urn:uuid:id`. A resource with no subject reference is accepted: the
    query that fetched it was already scoped to the patient.
    """

    __slots__ = ("_id", "_local", "_notes", "_suffix", "_uuid")

    def __init__(self, patient_id: str, notes: list[Note]) -> None:
        self._id = patient_id
        self._notes = notes
        self._local = f"Patient/{patient_id}"
        self._suffix = f"/Patient/{patient_id}"
        self._uuid = f"urn:uuid:{patient_id}"

    def __call__(self, resource: JsonObject, source: Source) -> bool:
        # called once per resource read (thousands per hook call): the common cases first
        subject = resource.get("subject")
        if subject is None:
            return True
        if not isinstance(subject, dict):
            self._notes.append(note("bad-subject", source))
            return False
        ref = subject.get("reference")
        if ref == self._local or ref is None:
            return True
        if not isinstance(ref, str):
            self._notes.append(note("bad-subject", source))
            return False
        if ref == self._uuid:
            return True
        base = ref.split("/_history/", maxsplit=1)[0]
        if base == self._local or base.endswith(self._suffix):
            return True
        self._notes.append(note("other-patient", source))
        return False


def _demographics(patient: Mapping[str, Any] | None, notes: list[Note]) -> Demographics:
    if patient is None:
        notes.append(note("no-patient-resource"))
        return Demographics(birth_date=None, gender=None)
    source = source_of(patient)
    birth: date | None = None
    parsed = parse_date(patient.get("birthDate"))
    if parsed is None:
        notes.append(note("no-birthdate", source))
    else:
        birth = parsed[0]
        if parsed[1]:
            notes.append(note("partial-date", source))
    gender = patient.get("gender")
    return Demographics(
        birth_date=birth,
        gender=gender if isinstance(gender, str) else None,
        source=source,
    )


def build_record(
    resources: Iterable[Mapping[str, Any]],
    *,
    as_of: date,
    patient_id: str | None = None,
) -> PatientRecord:
    """The patient's record as of `as_of` (clinical.md §1-2).

    Without `patient_id` the input must hold exactly one Patient (else `InputError`);
    with it, the Patient of that id gives the demographics and other patients' data is
    ignored with a note.
    """
    notes: list[Note] = []
    patients: list[Mapping[str, Any]] = []
    observations: list[JsonObject] = []
    conditions: list[JsonObject] = []
    medication_records: list[JsonObject] = []
    medications: list[JsonObject] = []
    for resource in resources:
        if not isinstance(resource, dict):
            notes.append(note("not-a-resource"))
            continue
        rtype = resource.get("resourceType")
        if not isinstance(rtype, str):
            notes.append(note("not-a-resource"))
        elif rtype == "Observation":
            observations.append(resource)
        elif rtype == "Condition":
            conditions.append(resource)
        elif rtype in MEDICATION_TYPES:
            medication_records.append(resource)
        elif rtype == "Medication":
            medications.append(resource)
        elif rtype == "Patient":
            patients.append(resource)

    patient: Mapping[str, Any] | None
    if patient_id is None:
        patient = single_patient(patients)
        found_id = valid_id(patient.get("id"))
        if found_id is None:
            raise InputError("the Patient resource has no valid id")
        patient_id = found_id
    else:
        patient = None
        for p in patients:
            if p.get("id") == patient_id:
                patient = patient or p
            else:
                notes.append(note("other-patient", source_of(p)))

    # the bound method: called once per resource, it is called faster than the instance
    belongs = _PatientFilter(patient_id, notes).__call__
    demographics = _demographics(patient, notes)
    measurements = extract_measurements(observations, as_of, notes, belongs=belongs)
    notes.extend(_approximation_notes(measurements.get(Series.PROTEINURIA, ())))
    egfr = build_egfr_series(
        measurements.get(Series.CREATININE, ()),
        measurements.get(Series.EGFR_REPORTED, ()),
        measurements.get(Series.HEIGHT, ()),
        demographics,
        notes,
        methods=_EGFR_METHODS,
    )
    facts = classify_conditions(_unique(conditions, notes), as_of, notes, belongs=belongs)
    records = extract_medications(
        _unique(medication_records, notes),
        supplied_medications(medications),
        as_of,
        notes,
        belongs=belongs,
    )
    return PatientRecord(
        patient_id=patient_id,
        as_of=as_of,
        demographics=demographics,
        measurements=measurements,
        egfr=egfr,
        sle_conditions=facts.sle,
        ln_conditions=facts.ln,
        kidney_failure_conditions=facts.kidney_failure,
        medications=records,
        courses=build_courses(records),
        notes=tuple(notes),
    )


def _approximation_notes(proteinuria: Iterable[Measurement]) -> list[Note]:
    """One record-level note per approximation the proteinuria series relies on (§2, §10):
    a 24-h protein in g/24 h counted as g/g, and a molar ratio (mg/mmol) read as g/g by the
    guidelines' ÷ 100 convention rather than the chemical factor 113.12."""
    codes: list[str] = []
    for m in proteinuria:
        if m.kind is ProteinuriaKind.PROTEIN_24H:
            code = "proteinuria-24h-as-ratio"
        else:
            # the unit the reader converted from (the UCUM code), not the printed unit
            if m.converted_from is None or "mol" not in m.converted_from:
                continue
            code = "proteinuria-molar-ratio-convention"
        if code not in codes:
            codes.append(code)
    return [note(code) for code in sorted(codes)]


def _unique(resources: list[JsonObject], notes: list[Note]) -> list[JsonObject]:
    """Drop repeats of the same type/id (overlapping prefetch queries return them twice)."""
    seen: dict[tuple[Any, str], JsonObject] = {}
    out: list[JsonObject] = []
    for r in resources:
        rid = valid_id(r.get("id"))
        if rid is None:
            out.append(r)  # the reader notes the invalid id if the resource matters
            continue
        key = (r.get("resourceType"), rid)
        previous = seen.get(key)
        if previous is None:
            seen[key] = r
            out.append(r)
        elif previous != r:
            notes.append(note("duplicate-id-differs", source_of(r)))
    return out


__all__ = ["InputError", "build_record"]
