"""Shared helpers for the mapping tests: FHIR fixtures live as JSON files in data/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine

from fhir_mapping.record import Measurement, Note, PatientRecord, Series

DATA = Path(__file__).parent / "data"


def load(name: str) -> list[dict[str, Any]]:
    """The resources of a fixture Bundle in tests/mapping/data/."""
    bundle = json.loads((DATA / name).read_text(encoding="utf-8"))
    return [entry["resource"] for entry in bundle["entry"]]


def by_id(record: PatientRecord, series: Series) -> dict[str, Measurement]:
    return {m.source.id: m for m in record.series(series)}


def notes_for(record: PatientRecord, resource_id: str) -> set[str]:
    return {n.code for n in record.notes if n.source is not None and n.source.id == resource_id}


def record_notes(record: PatientRecord) -> set[str]:
    return {n.code for n in record.notes if n.source is None}


def all_notes(record: PatientRecord) -> list[Note]:
    return list(record.notes)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    """Nothing in the mapping may read the clock; freeze it far away (and off UTC) anyway."""
    with time_machine.travel("2031-07-04T03:00:00+09:00", tick=False):
        yield
