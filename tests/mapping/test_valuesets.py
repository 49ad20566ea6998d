"""Every code of valuesets.json pinned to its meaning, by a table written independently.

The table below was checked code by code against clinical.md §2 and clinical-evidence.md §5
(LOINC displays §5.1, SNOMED FSNs §5.2, ICD-10-CM titles §5.3, RxNorm ingredients §5.4).
A code that changes meaning in the data file, or a code added without being pinned here,
fails a test.
"""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from fhir_mapping import valuesets as vs
from fhir_mapping.record import DrugClass, ProteinuriaKind, Series

LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD = "http://hl7.org/fhir/sid/icd-10"
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"

# code → (series, proteinuria kind, unit group, a word the LOINC display must contain)
OBSERVATIONS: dict[str, tuple[Series, ProteinuriaKind | None, str, str]] = {
    "13801-6": (Series.PROTEINURIA, ProteinuriaKind.UPCR_24H, "protein_ratio", "24 hour"),
    "40486-3": (Series.PROTEINURIA, ProteinuriaKind.UPCR_24H, "protein_ratio", "24 hour"),
    "2889-4": (Series.PROTEINURIA, ProteinuriaKind.PROTEIN_24H, "protein_24h", "Mass/time"),
    "2890-2": (
        Series.PROTEINURIA,
        ProteinuriaKind.UPCR_SPOT,
        "protein_ratio",
        "Protein/Creatinine",
    ),
    "34366-5": (
        Series.PROTEINURIA,
        ProteinuriaKind.UPCR_SPOT,
        "protein_ratio",
        "Protein/Creatinine",
    ),
    "9318-7": (Series.UACR, None, "albumin_ratio", "Albumin/Creatinine"),
    "14959-1": (Series.UACR, None, "albumin_ratio", "Microalbumin/Creatinine"),
    "32294-1": (Series.UACR, None, "albumin_ratio", "Albumin/Creatinine"),
    "2160-0": (Series.CREATININE, None, "creatinine", "Mass/volume"),
    "38483-4": (Series.CREATININE, None, "creatinine", "Mass/volume"),
    "14682-9": (Series.CREATININE, None, "creatinine", "Moles/volume"),
    "77140-2": (Series.CREATININE, None, "creatinine", "Moles/volume"),
    "98979-8": (Series.EGFR_REPORTED, None, "egfr", "CKD-EPI 2021"),
    "62238-1": (Series.EGFR_REPORTED, None, "egfr", "CKD-EPI"),
    "88293-6": (Series.EGFR_REPORTED, None, "egfr", "among blacks"),
    "88294-4": (Series.EGFR_REPORTED, None, "egfr", "among non-blacks"),
    "33914-3": (Series.EGFR_REPORTED, None, "egfr", "MDRD"),
    "48642-3": (Series.EGFR_REPORTED, None, "egfr", "MDRD"),
    "48643-1": (Series.EGFR_REPORTED, None, "egfr", "MDRD"),
    "50044-7": (Series.EGFR_REPORTED, None, "egfr", "females"),
    "70969-1": (Series.EGFR_REPORTED, None, "egfr", "males"),
    "69405-9": (Series.EGFR_REPORTED, None, "egfr", "Glomerular filtration rate"),
    "1751-7": (Series.ALBUMIN, None, "albumin", "Albumin [Mass/volume]"),
    "13945-1": (Series.URINE_RBC, None, "per_hpf", "Erythrocytes"),
    "5808-1": (Series.URINE_RBC, None, "per_hpf", "Erythrocytes"),
    "5821-4": (Series.URINE_WBC, None, "per_hpf", "Leukocytes"),
    "5807-3": (Series.RBC_CASTS, None, "per_lpf", "RBC casts"),
    "4485-9": (Series.C3, None, "complement", "Complement C3"),
    "4498-2": (Series.C4, None, "complement", "Complement C4"),
    "5130-0": (Series.ANTI_DSDNA, None, "as_reported", "DNA double strand Ab"),
    "31348-6": (Series.ANTI_DSDNA, None, "as_reported", "DNA double strand Ab [Presence]"),
    "777-3": (Series.PLATELETS, None, "cell_count", "Platelets"),
    "26515-7": (Series.PLATELETS, None, "cell_count", "Platelets"),
    "6690-2": (Series.LEUKOCYTES, None, "cell_count", "Leukocytes"),
    "26464-8": (Series.LEUKOCYTES, None, "cell_count", "Leukocytes"),
    "8302-2": (Series.HEIGHT, None, "length", "Body height"),
}

EGFR_METHODS = {
    "98979-8": "CKD-EPI 2021",
    "62238-1": "CKD-EPI 2009",
    "88293-6": "CKD-EPI 2009",
    "88294-4": "CKD-EPI 2009",
    "33914-3": "MDRD",
    "48642-3": "MDRD",
    "48643-1": "MDRD",
    "50044-7": "MDRD",
    "70969-1": "MDRD",
    "69405-9": "method unspecified",
}

# (system, code) → (role, ISN/RPS class)
CONDITIONS: dict[tuple[str, str], tuple[str, str | None]] = {
    (SCT, "55464009"): ("sle", None),
    (SCT, "239887007"): ("sle", None),
    (SCT, "239890001"): ("sle", None),
    (CM, "M32.1"): ("sle", None),
    (CM, "M32.8"): ("sle", None),
    (CM, "M32.9"): ("sle", None),
    (ICD, "M32.1"): ("sle", None),
    (ICD, "M32.8"): ("sle", None),
    (ICD, "M32.9"): ("sle", None),
    (SCT, "68815009"): ("ln", None),
    (SCT, "73286009"): ("ln", "I"),
    (SCT, "4676006"): ("ln", "II"),
    (SCT, "76521009"): ("ln", "III"),
    (SCT, "36402006"): ("ln", "IV"),
    (SCT, "52042003"): ("ln", "V"),
    (SCT, "11013005"): ("ln", "VI"),
    (SCT, "307755009"): ("ln", None),
    (CM, "M32.14"): ("ln", None),
    (CM, "M32.15"): ("ln", None),
    (ICD, "N08.5"): ("ln", None),
    (SCT, "201436003"): ("drug-induced-lupus", None),
    (CM, "M32.0"): ("drug-induced-lupus", None),
    (ICD, "M32.0"): ("drug-induced-lupus", None),
    (SCT, "46177005"): ("kidney-failure", None),
    (SCT, "236435004"): ("kidney-failure", None),
    (SCT, "236436003"): ("kidney-failure", None),
    (SCT, "714153000"): ("kidney-failure", None),
    (SCT, "105502003"): ("kidney-failure", None),
    (SCT, "433146000"): ("kidney-failure", None),
    (CM, "N18.6"): ("kidney-failure", None),
    (CM, "Z99.2"): ("kidney-failure", None),
    (CM, "Z94.0"): ("kidney-failure", None),
    (ICD, "N18.6"): ("kidney-failure", None),
    (ICD, "Z99.2"): ("kidney-failure", None),
    (ICD, "Z94.0"): ("kidney-failure", None),
}

# ingredient → (class, RxNorm ingredient codes, names and brands)
MEDICATIONS: dict[str, tuple[DrugClass, set[str], set[str]]] = {
    "mycophenolate mofetil": (
        DrugClass.MPAA,
        {"68149"},
        {"mycophenolate mofetil", "cellcept", "myfenax"},
    ),
    "mycophenolic acid": (DrugClass.MPAA, {"7145"}, {"mycophenolic acid"}),
    "mycophenolate sodium": (DrugClass.MPAA, set(), {"mycophenolate sodium", "myfortic"}),
    "mycophenolate (unspecified)": (DrugClass.MPAA, set(), {"mycophenolate"}),
    "cyclophosphamide": (
        DrugClass.CYC,
        {"3002"},
        {"cyclophosphamide", "cytoxan", "endoxan", "neosar", "procytox"},
    ),
    "tacrolimus": (
        DrugClass.CNI,
        {"42316"},
        {"tacrolimus", "prograf", "advagraf", "envarsus", "astagraf", "modigraf"},
    ),
    "cyclosporine": (
        DrugClass.CNI,
        {"3008"},
        {"cyclosporine", "ciclosporin", "neoral", "sandimmune", "sandimmun", "gengraf"},
    ),
    "voclosporin": (DrugClass.CNI, set(), {"voclosporin", "lupkynis"}),
    "rituximab": (
        DrugClass.BIOLOGIC,
        {"121191"},
        {"rituximab", "rituxan", "mabthera", "truxima", "ruxience", "riabni", "rixathon"},
    ),
    "belimumab": (DrugClass.BIOLOGIC, set(), {"belimumab", "benlysta"}),
    "obinutuzumab": (DrugClass.BIOLOGIC, set(), {"obinutuzumab", "gazyva"}),
    "prednisone": (DrugClass.GLUCOCORTICOID, {"8640"}, {"prednisone", "deltasone", "rayos"}),
    "prednisolone": (
        DrugClass.GLUCOCORTICOID,
        {"8638"},
        {"prednisolone", "orapred", "millipred", "pediapred"},
    ),
    "methylprednisolone": (
        DrugClass.GLUCOCORTICOID,
        {"6902"},
        {"methylprednisolone", "medrol", "solu-medrol"},
    ),
}


def test_data_file_carries_a_version() -> None:
    raw = json.loads(resources.files("fhir_mapping").joinpath("valuesets.json").read_text())
    assert re.fullmatch(r"\d+\.\d+\.\d+", raw["version"])
    assert raw["version"] == vs.VERSION


def test_every_loinc_code_is_pinned_and_nothing_else_is_mapped() -> None:
    loinc = {code for (system, code) in vs.OBSERVATION_CODES if system == LOINC}
    assert loinc == set(OBSERVATIONS)


@pytest.mark.parametrize("code", sorted(OBSERVATIONS))
def test_loinc_code_feeds_its_series_kind_and_units(code: str) -> None:
    series, kind, group, display_word = OBSERVATIONS[code]
    entry = vs.OBSERVATION_CODES[(LOINC, code)]
    assert (entry.series, entry.kind, entry.unit_group) == (series, kind, group)
    assert display_word.lower() in entry.display.lower()


def test_spot_upcr_2890_2_is_a_spot_mass_ratio() -> None:
    entry = vs.OBSERVATION_CODES[(LOINC, "2890-2")]
    assert entry.kind is ProteinuriaKind.UPCR_SPOT
    assert "24 hour" not in entry.display


def test_creatinine_14682_9_is_the_molar_code() -> None:
    assert "Moles/volume" in vs.OBSERVATION_CODES[(LOINC, "14682-9")].display


@pytest.mark.parametrize(("code", "method"), sorted(EGFR_METHODS.items()))
def test_reported_egfr_code_names_its_equation(code: str, method: str) -> None:
    assert vs.OBSERVATION_CODES[(LOINC, code)].method == method


def test_ckd_epi_2021_is_the_preferred_reported_egfr() -> None:
    priorities = {
        code: e.priority for (_, code), e in vs.OBSERVATION_CODES.items() if e.unit_group == "egfr"
    }
    assert priorities.pop("98979-8") < min(priorities.values())


def test_recorded_sledai_uses_the_project_code_system_not_loinc() -> None:
    entry = vs.OBSERVATION_CODES[(vs.PROJECT, "sledai-2k")]
    assert entry.series is Series.SLEDAI2K_RECORDED


def test_every_condition_code_is_pinned() -> None:
    in_file = {(c.system, c.code) for c in vs.CONDITION_CODE_LIST}
    assert in_file == set(CONDITIONS)


@pytest.mark.parametrize(("system", "code"), sorted(CONDITIONS))
def test_condition_code_has_its_role_and_class(system: str, code: str) -> None:
    role, ln_class = CONDITIONS[(system, code)]
    entries = [c for c in vs.condition_codes(system, code) if c.code == code]
    assert [(c.role, c.ln_class) for c in entries] == [(role, ln_class)]


def test_every_ln_class_i_to_vi_has_a_snomed_code() -> None:
    classes = {c.ln_class for c in vs.CONDITION_CODE_LIST if c.ln_class}
    assert classes == {"I", "II", "III", "IV", "V", "VI"}


@pytest.mark.parametrize("code", ["M32.10", "M32.11", "M32.12", "M32.13", "M32.19", "M3214"])
def test_icd10cm_m32_1x_family_is_sle(code: str) -> None:
    assert "sle" in {c.role for c in vs.condition_codes(CM, code)}


def test_icd10cm_m32_14_is_both_ln_and_in_the_sle_family() -> None:
    assert {c.role for c in vs.condition_codes(CM, "M32.14")} == {"ln", "sle"}


def test_icd_codes_compare_without_dots_and_case() -> None:
    assert vs.condition_codes(CM, "n186") == vs.condition_codes(CM, "N18.6")


def test_icd10_family_is_not_extended_to_who_icd10() -> None:
    assert vs.condition_codes(ICD, "M32.14") == ()


def test_m32_0_drug_induced_is_not_in_the_m32_1_family() -> None:
    assert {c.role for c in vs.condition_codes(CM, "M32.0")} == {"drug-induced-lupus"}


def test_n08_5_requires_an_icd10_m32_1_coding() -> None:
    (entry,) = vs.condition_codes(ICD, "N08.5")
    assert entry.requires == (ICD, "M321")


def test_every_medication_is_pinned_with_class_codes_and_names() -> None:
    assert {i.name for i in vs.INGREDIENTS} == set(MEDICATIONS)
    for ing in vs.INGREDIENTS:
        drug_class, rxnorm, names = MEDICATIONS[ing.name]
        assert ing.drug_class is drug_class
        assert set(ing.rxnorm) == rxnorm
        assert {n.lower() for n in ing.names} == names


@pytest.mark.parametrize(
    ("rxcui", "ingredient"),
    [
        ("68149", "mycophenolate mofetil"),
        ("7145", "mycophenolic acid"),
        ("3002", "cyclophosphamide"),
        ("42316", "tacrolimus"),
        ("3008", "cyclosporine"),
        ("121191", "rituximab"),
        ("8640", "prednisone"),
        ("8638", "prednisolone"),
        ("6902", "methylprednisolone"),
    ],
)
def test_rxnorm_ingredient_code_resolves(rxcui: str, ingredient: str) -> None:
    assert vs.INGREDIENTS_BY_RXNORM[rxcui].name == ingredient


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Methylprednisolone 500 mg IV", ["methylprednisolone"]),
        ("prednisolone 5 MG Oral Tablet", ["prednisolone"]),
        ("PredniSONE 20 mg", ["prednisone"]),
        ("CellCept 500mg", ["mycophenolate mofetil"]),
        (
            "Myfortic (mycophenolate sodium) 360 mg",
            ["mycophenolate sodium", "mycophenolate sodium"],
        ),
        ("ciclosporin", ["cyclosporine"]),
        ("Lupkynis 7.9 mg capsule", ["voclosporin"]),
        ("Benlysta 200 mg/mL", ["belimumab"]),
        ("Gazyva infusion", ["obinutuzumab"]),
        ("Rituxan 1000 mg IV infusion", ["rituximab"]),
        # MPAA all the same: judged against the MMF dose, the strictest threshold
        ("Mycophenolate 1000 mg twice daily", ["mycophenolate (unspecified)"]),
        ("Prograf 1 mg capsule", ["tacrolimus"]),
        ("Neoral 100 mg", ["cyclosporine"]),
        ("Solu-Medrol 500 mg IV", ["methylprednisolone"]),
        ("Cytoxan 750 mg IV", ["cyclophosphamide"]),
        ("hydroxychloroquine 200 mg", []),
        ("voclosporine-like garbage cyclosporines", []),
    ],
)
def test_names_and_brands_are_found_as_whole_words(text: str, expected: list[str]) -> None:
    assert [i.name for i in vs.ingredients_in_text(text)] == expected


def test_unit_matching_ignores_case_whitespace_and_micro_sign() -> None:
    group = vs.UNIT_GROUPS["creatinine"]
    assert group.lookup("µmol/L") == group.lookup("umol/l") == group.lookup(" μmol / L ")


def test_timing_codes_give_doses_per_day() -> None:
    assert dict(vs.TIMING_PER_DAY) == {"QD": 1, "BID": 2, "TID": 3, "QID": 4}


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("tacrolimus 0.1 % Topical Ointment", True),
        ("Protopic 0.03% ointment", True),
        ("cycloSPORINE 0.5 MG/ML Ophthalmic Emulsion", True),
        ("Restasis", True),
        ("Pred Forte 1% eye drops", True),
        ("prednisolone sodium phosphate ear drops", True),
        ("prednisolone 20 MG Rectal Foam", True),
        ("Topical", True),
        ("Ophthalmic route", True),
        # systemic forms, and words that merely contain a local word
        ("tacrolimus 1 MG Oral Capsule [Prograf]", False),
        ("Benlysta 200 mg/mL subcutaneous autoinjector", False),
        ("belimumab, sub-cutaneous", False),
        ("Methylprednisolone 500 mg IV", False),
        ("prednisolone 5 MG Oral Tablet, one a day for a year", False),
        ("Cyclophosphamide 500 MG Injection", False),
    ],
)
def test_local_forms_are_found_as_whole_words(text: str, local: bool) -> None:
    assert vs.names_local_form(text) is local


def test_local_route_codes_are_pinned() -> None:
    assert {
        (SCT, "6064005"),  # topical
        (SCT, "448598008"),  # cutaneous
        (SCT, "54485002"),  # ophthalmic
        (SCT, "10547007"),  # otic
        (SCT, "46713006"),  # nasal
        (SCT, "37161004"),  # rectal
        (SCT, "45890007"),  # transdermal
    } == vs.LOCAL_ROUTE_CODES
