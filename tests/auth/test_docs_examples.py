"""The trusted-issuers examples in docs/security.md are valid configuration (docs stay true)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cds.auth.settings import parse_trusted_issuers

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
SANDBOX = "https://sandbox.cds-hooks.org"


def issuers_examples() -> list[dict[str, object]]:
    pattern = re.compile(r"<!-- issuers-example -->\s*```json\n(.*?)```", re.DOTALL)
    return [json.loads(block) for block in pattern.findall(DOC.read_text(encoding="utf-8"))]


def test_every_issuers_example_in_the_security_doc_parses(tmp_path: Path) -> None:
    examples = issuers_examples()
    assert len(examples) == 3
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "other-ehr-jwks.json").write_text(
        json.dumps(examples[2][SANDBOX]["jwks"])  # type: ignore[index]
    )
    for example in examples:
        assert parse_trusted_issuers(example, base_dir=tmp_path)


def test_pinned_sandbox_key_is_an_es384_key_under_the_sandbox_kid(tmp_path: Path) -> None:
    pinned = parse_trusted_issuers(issuers_examples()[2], base_dir=tmp_path)[SANDBOX]
    key = pinned.keys["44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"]
    assert key.accepts("ES384")
    assert not key.accepts("ES256")
