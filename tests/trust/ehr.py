"""A stand-in EHR for the tests that run the production server: a key, its issuer entry, tokens.

`Ehr(tmp_dir)` generates an ES384 key, writes the trusted-issuers file that names it (issuer
`ISS` and key id `KID` unless given: benchmarks/load.py names its own), and mints tokens like a
CDS Client's: signed now, valid for five minutes, a fresh `jti` each time (or the one asked
for, to test replay). `server_env(public_url)` is the environment the service needs to trust
it. Nothing here is a real credential.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from tests.auth.tokens import SigningKey, write_issuers

ISS = "https://ehr.trust-tests.example.org"
KID = "trust-tests-es384"
SERVICE_PATH = "/cds-services/lupus-nephritis"
FEEDBACK_PATH = SERVICE_PATH + "/feedback"


class Ehr:
    def __init__(self, directory: Path, *, iss: str = ISS, kid: str = KID) -> None:
        self.iss = iss
        self._key = SigningKey(ec.generate_private_key(ec.SECP384R1()), kid=kid, alg="ES384")
        self.issuers_file = write_issuers(directory / "trusted-issuers.json", {iss: self._key})

    def server_env(self, public_url: str) -> dict[str, str]:
        """What the service needs to trust this EHR, with `public_url` as the audience base."""
        return {
            "LNCDS_AUTH": "on",
            "LNCDS_TRUSTED_ISSUERS_FILE": str(self.issuers_file),
            "LNCDS_PUBLIC_URL": public_url,
        }

    def token(self, aud: str, *, jti: str | None = None) -> str:
        now = int(time.time())
        claims = {
            "iss": self.iss,
            "aud": aud,
            "iat": now,
            "exp": now + 300,
            "jti": jti or str(uuid.uuid4()),
        }
        key = self._key
        return jwt.encode(claims, key.private, algorithm=key.alg, headers={"kid": key.kid})

    def headers(self, aud: str, *, jti: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(aud, jti=jti)}"}


def feedback_item() -> dict[str, Any]:
    """One accepted-card feedback entry with a card id of its own."""
    return {
        "card": str(uuid.uuid4()),
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": str(uuid.uuid4())}],
        "outcomeTimestamp": datetime.now(UTC).isoformat(timespec="microseconds"),
    }


def item_key(entry: dict[str, Any]) -> tuple[str, str, datetime]:
    """What makes a feedback entry unique (the store's idempotency key), as comparable values.

    Works for what we send (`outcomeTimestamp` with +00:00) and for what `ln-cds feedback
    export --format json` prints (with `Z`)."""
    when = datetime.fromisoformat(entry["outcomeTimestamp"].replace("Z", "+00:00"))
    return (entry["card"].lower(), entry["outcome"], when.astimezone(UTC))
