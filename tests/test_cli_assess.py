"""`ln-cds assess FILE [--as-of] [--profile] [--format]` through the real entry point."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import time_machine

from cds.cli import main
from cds.engine import assess_resources
from cds.profiles import ProfileError
from fhir_mapping.bundle import read_resources

BUNDLE = Path(__file__).resolve().parent / "rules" / "data" / "cli_patient_bundle.json"


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["assess", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_rejected(code: int, out: str, err: str, names: str) -> None:
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert names in err
    assert "Traceback" not in err


def test_json_output_is_the_assessment(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli([str(BUNDLE), "--as-of", "2024-06-10"], capsys)
    assert (code, err) == (0, "")
    data: dict[str, Any] = json.loads(out)
    assert data["patient"] == "pt-cli"
    assert data["as_of"] == "2024-06-10"
    assert data["profile"] == "kdigo-2024"
    assert data["status"] == "flare"
    assert data["flare"] == {
        "type": "proteinuric",
        "severity": "moderate",
        "confirmed": False,
        "date": "2024-06-01",
        "also_met": [],
    }
    assert data["index_date"] == "2024-01-01"
    assert data["ln_classes"] == ["IV"]
    assert data["values"]["P0"]["sources"] == ["Observation/upcr-baseline"]
    assert data["values"]["P0"]["reported"] == "3.0 g/g"
    assert "upcr" in data["suggestions"]
    assert out.startswith("{\n  ")  # indented by 2


def test_profile_option_changes_the_criteria(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli([str(BUNDLE), "--as-of", "2024-06-10", "--profile", "gu-2014"], capsys)
    data = json.loads(out)
    assert code == 0
    assert data["profile"] == "gu-2014"
    assert data["status"] == "active"
    assert data["flare"] is None


def test_text_output_summarises_with_evidence(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli([str(BUNDLE), "--as-of", "2024-06-10", "--format", "text"], capsys)
    assert (code, err) == (0, "")
    assert "Status: flare" in out
    assert "Flare: proteinuric, moderate, unconfirmed (possible), from 2024-06-01" in out
    assert "P0: 3 g/g on 2023-12-28 (reported 3.0 g/g; Observation/upcr-baseline)" in out
    assert "[met] Proteinuric flare" in out
    assert "Suggested tests: upcr" in out
    assert "SLEDAI-2K laboratory items: 4 of 22" in out


@pytest.mark.parametrize(
    ("zone", "expected"),
    [(None, "2024-06-10"), ("UTC", "2024-06-10"), ("Pacific/Auckland", "2024-06-11")],
)
def test_default_as_of_is_today_in_the_configured_time_zone(
    zone: str | None,
    expected: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if zone is None:
        monkeypatch.delenv("LNCDS_TIMEZONE", raising=False)
    else:
        monkeypatch.setenv("LNCDS_TIMEZONE", zone)
    with time_machine.travel("2024-06-10 20:00:00+00:00", tick=False):
        code, out, _ = _cli([str(BUNDLE)], capsys)
    assert code == 0
    assert json.loads(out)["as_of"] == expected


def test_ndjson_input_gives_the_same_assessment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = json.loads(BUNDLE.read_text(encoding="utf-8"))
    ndjson = tmp_path / "patient.ndjson"
    ndjson.write_text(
        "\n".join(json.dumps(e["resource"]) for e in bundle["entry"]) + "\n", encoding="utf-8"
    )
    _, from_bundle, _ = _cli([str(BUNDLE), "--as-of", "2024-06-10"], capsys)
    _, from_ndjson, _ = _cli([str(ndjson), "--as-of", "2024-06-10"], capsys)
    assert json.loads(from_ndjson) == json.loads(from_bundle)


@pytest.mark.parametrize(
    ("options", "names"),
    [
        (["--as-of", "2024-13-01"], "--as-of"),
        (["--as-of", "yesterday"], "--as-of"),
        (["--profile", "eular-2012"], "unknown profile"),
        (["--format", "xml"], "unknown format"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    options: list[str], names: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _assert_rejected(*_cli([str(BUNDLE), *options], capsys), names)


def test_unknown_time_zone_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LNCDS_TIMEZONE", "Mars/Olympus_Mons")
    _assert_rejected(*_cli([str(BUNDLE)], capsys), "LNCDS_TIMEZONE")


def _write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def _bundle_of(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


@pytest.mark.parametrize(
    ("name", "content", "names"),
    [
        ("broken.json", '{"resourceType": "Bundle", ', "not JSON"),
        ("list.json", "[1, 2]", "not a FHIR"),
        ("no_patient.json", _bundle_of({"resourceType": "Observation", "id": "o1"}), "no Patient"),
        (
            "two.json",
            _bundle_of(
                {"resourceType": "Patient", "id": "a"}, {"resourceType": "Patient", "id": "b"}
            ),
            "two different Patient",
        ),
        ("empty.json", "", "empty"),
    ],
)
def test_bad_input_files_exit_2_with_one_line_naming_the_problem(
    tmp_path: Path, name: str, content: object, names: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _assert_rejected(
        *_cli([str(_write(tmp_path, name, content)), "--as-of", "2024-06-10"], capsys), names
    )


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _assert_rejected(
        *_cli([str(tmp_path / "absent.json"), "--as-of", "2024-06-10"], capsys), "cannot read"
    )


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["assess", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("FILE", "--as-of", "--profile", "--format", "kdigo-2024", "gu-2014"):
        assert option in out


def test_engine_rejects_an_unknown_profile_before_reading_data() -> None:
    with pytest.raises(ProfileError):
        assess_resources([{"resourceType": "Bogus"}], as_of=date(2024, 6, 10), profile="x")


def test_engine_and_cli_agree(capsys: pytest.CaptureFixture[str]) -> None:
    direct = assess_resources(read_resources(BUNDLE), as_of=date(2024, 6, 10))
    _, out, _ = _cli([str(BUNDLE), "--as-of", "2024-06-10"], capsys)
    assert json.loads(out) == json.loads(json.dumps(direct.to_json()))
