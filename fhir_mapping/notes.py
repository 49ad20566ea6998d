"""Data-quality notes: one fixed sentence per reason, so a note can never carry a value.

Notes may be logged and shown on cards, so they hold only a reason code, a fixed message
and the resource reference (`Source`). Messages are looked up here from the code: no
caller can interpolate a value, a unit string or a name into them.
"""

from __future__ import annotations

from fhir_mapping.record import Note, Source

MESSAGES: dict[str, str] = {
    # input shape
    "not-a-resource": "An entry is not a JSON object with a resourceType; it was ignored.",
    "invalid-id": "A resource has a missing or invalid id; it was ignored.",
    "duplicate-id-differs": "Two different resources share this id; the first was used.",
    "other-patient": "The resource belongs to another patient; it was ignored.",
    "bad-subject": "The resource's subject is malformed; it was ignored.",
    "no-patient-resource": "No Patient resource was supplied: age and sex are unknown.",
    "no-birthdate": "The Patient has no usable birthDate.",
    "partial-date": "A partial date was read as its first day.",
    "invalid-date": "A date could not be read; it was ignored.",
    # observations
    "status-not-final": "The result's status is not final, amended or corrected; it was ignored.",
    "no-date": "The result has no usable effective date or issued time; it was ignored.",
    "no-value": "The result has no value; it was ignored.",
    "value-not-quantity": "The value is not a quantity (text, range or ratio); it was ignored.",
    "value-not-numeric": "The result's value is not a finite number; it was ignored.",
    "negative-value": "The result's value is negative; it was ignored.",
    "unknown-unit": "The result's unit is not recognised for this test; it was ignored.",
    "missing-unit": "The result has no unit; it was ignored.",
    "unsupported-comparator": "The result's comparator is not <, <=, >= or >; it was ignored.",
    "value-at-bound": "The result was reported as a bound (<, <=, >=, >); its bound was used.",
    "proteinuria-unit-kind-mismatch": (
        "A proteinuria ratio was reported in mass per time, or a 24-hour protein as a ratio; "
        "it was ignored."
    ),
    "egfr-not-indexed": "The GFR is not indexed to 1.73 m2 (a clearance); it was ignored.",
    "uncoded-qualitative": "The qualitative result is not a known positive/negative code; ignored.",
    "same-day-superseded": "Another result of the same test on the same day was used instead.",
    "proteinuria-lower-priority": (
        "A proteinuria measurement of higher priority (24-h UPCR, 24-h protein, spot UPCR) "
        "exists on the same day and was used instead."
    ),
    "proteinuria-24h-as-ratio": (
        "A 24-hour urine protein in g/24 h was counted as a protein/creatinine ratio in g/g "
        "(as KDIGO does); this is an approximation."
    ),
    "proteinuria-molar-ratio-convention": (
        "A protein/creatinine ratio in mg/mmol was read as g/g by dividing by 100, the "
        "guidelines' convention (50 mg/mmol = 0.5 g/g), not the chemical factor 113.12."
    ),
    # eGFR
    "egfr-no-birthdate": "eGFR was not computed from creatinine: no birthDate.",
    "egfr-no-sex": "eGFR was not computed for an adult: gender is not male or female.",
    "egfr-no-height": "No eGFR computed for a child: no height within 180 days.",
    "egfr-before-birth": "A creatinine is dated before the birthDate; no eGFR computed.",
    "egfr-creatinine-not-positive": "A creatinine of zero cannot give an eGFR; none computed.",
    "egfr-mixed-equations": "The eGFR series mixes equations (computed and/or reported methods).",
    # conditions
    "condition-refuted": "The condition is refuted or entered in error; it was ignored.",
    "drug-induced-lupus": "Drug-induced lupus is not SLE; not counted as SLE or LN.",
    "kidney-failure-not-active": "Kidney failure condition not active/recurrence/relapse; ignored.",
    "ln-icd10-n085-without-m321": "N08.5 is LN only with an ICD-10 M32.1 coding; not counted.",
    # medications
    "medication-status": "The medication record's status does not count; it was ignored.",
    "medication-do-not-perform": "The request forbids the medication (doNotPerform); ignored.",
    "medication-local-form": (
        "The medication is a local form (topical, ophthalmic, otic, nasal, rectal, ...), "
        "not systemic treatment; it was ignored."
    ),
    "medication-unresolved": "A medicationReference could not be resolved to a Medication.",
    "medication-no-start": "The medication record has no usable start date; it was ignored.",
    "medication-end-before-start": "The medication record ends before it starts; read as one day.",
    "medication-multiple-classes": "The medication names several drug classes; no dose given.",
    "dose-unit": "A dose is not in mg or g; the daily dose is unknown.",
    "dose-timing": "A dosage timing could not be read as doses per day; the daily dose is unknown.",
    "supply-duration": "The expected supply duration could not be read; it was ignored.",
}


def note(code: str, source: Source | None = None) -> Note:
    """The note for `code` (a key of MESSAGES), about `source` or the record as a whole."""
    return Note(code=code, message=MESSAGES[code], source=source)
