"""`ln-cds load-demo`: upload the synthetic demo cohort to a FHIR R4 server.

Each patient's bundle is POSTed to the server base as one transaction, so a patient is
loaded whole or not at all. Every entry is `PUT <Type>/<id>` with a client-assigned id:
re-running the command updates the same resources instead of creating copies, and a
server that skips no-op updates (HAPI does) leaves their versions unchanged.

Output names patients by id only (never by name) and never shows the token. Any failure
— server unreachable or slow, token refused, bundle rejected — stops the upload with a
one-line message and exit code 2; bundles already loaded stay loaded (re-run to finish).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    import requests

FHIR_JSON = "application/fhir+json"
EXIT_FAILURE = 2
_MAX_DIAGNOSTICS = 500


class LoadError(Exception):
    """Why the upload stopped; the message is shown as is (one line, no PHI, no token)."""


@dataclass(frozen=True, slots=True)
class _Server:
    base: str  # base URL, no trailing slash
    shown: str  # base URL safe to print (no user:password@)
    headers: dict[str, str]  # includes the Authorization header when a token was given
    timeout: float  # seconds, per request


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the timeout must be more than 0 seconds")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fhir-server",
        required=True,
        metavar="URL",
        help="base URL of the FHIR R4 server, e.g. http://localhost:8080/fhir",
    )
    parser.add_argument(
        "--bearer-token",
        metavar="T",
        default=None,
        help="OAuth bearer token sent as 'Authorization: Bearer T' (never printed)",
    )
    parser.add_argument(
        "--timeout",
        metavar="S",
        type=_positive_seconds,
        default=60.0,
        help="seconds allowed for each request to the server (default: 60)",
    )


def run(args: argparse.Namespace) -> int:
    import requests  # noqa: PLC0415  (kept out of `ln-cds --help`)

    from cds.demo import load_cohort  # noqa: PLC0415

    try:
        base = _base_url(args.fhir_server)
        headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
        if args.bearer_token:
            headers["Authorization"] = f"Bearer {args.bearer_token}"
        server = _Server(base, _display_url(base), headers, args.timeout)
        patients = load_cohort()
        created = other = 0
        with requests.Session() as session:
            for patient in patients:
                bundle = _for_server(patient.bundle, base)
                statuses = _post_transaction(session, server, bundle)
                new = sum(1 for s in statuses if s == 201)
                created += new
                other += len(statuses) - new
                _out(
                    f"{patient.id}: {len(statuses)} resources "
                    f"({new} created, {len(statuses) - new} updated or unchanged)"
                )
    except LoadError as exc:
        sys.stderr.write(f"ln-cds load-demo: error: {exc}\n")
        return EXIT_FAILURE
    _out(
        f"loaded {len(patients)} bundles, {created + other} resources into {server.shown} "
        f"({created} created, {other} updated or unchanged)"
    )
    return 0


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _base_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LoadError("--fhir-server must be an http(s) URL such as http://localhost:8080/fhir")
    if parts.query or parts.fragment:
        raise LoadError("--fhir-server must be the server's base URL, without ? or #")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _display_url(base: str) -> str:
    """The base URL without any user:password@ part, for messages."""
    parts = urlsplit(base)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _for_server(bundle: dict[str, Any], base: str) -> dict[str, Any]:
    """The bundle with each `fullUrl` on the target server's base (relative refs resolve there)."""
    entries = [
        {**entry, "fullUrl": f"{base}/{entry['request']['url']}"} for entry in bundle["entry"]
    ]
    return {**bundle, "entry": entries}


def _post_transaction(
    session: requests.Session, server: _Server, bundle: dict[str, Any]
) -> list[int]:
    """POST one transaction; the HTTP status of each entry of the response."""
    import requests  # noqa: PLC0415

    shown, timeout = server.shown, server.timeout
    try:
        response = session.post(
            server.base,
            data=json.dumps(bundle, ensure_ascii=False).encode("utf-8"),
            headers=server.headers,
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.Timeout:
        raise LoadError(f"no answer from the FHIR server at {shown} within {timeout:g} s") from None
    except requests.ConnectionError:
        raise LoadError(f"cannot reach the FHIR server at {shown}") from None
    except requests.RequestException as exc:
        raise LoadError(f"request to {shown} failed ({type(exc).__name__})") from None

    what = f"bundle {bundle['id']}"
    if response.status_code in (401, 403):
        if "Authorization" in server.headers:
            raise LoadError(
                f"the FHIR server refused the bearer token (HTTP {response.status_code})"
            )
        raise LoadError(
            f"the FHIR server requires authorization (HTTP {response.status_code}); "
            "pass --bearer-token"
        )
    if 300 <= response.status_code < 400:
        raise LoadError(
            f"the FHIR server redirected (HTTP {response.status_code}); "
            "give its final base URL as --fhir-server"
        )
    body = _json_or_none(response)
    if not 200 <= response.status_code < 300:
        detail = _diagnostics(body) or "no OperationOutcome in the response"
        raise LoadError(f"the FHIR server rejected {what} (HTTP {response.status_code}): {detail}")
    if (
        not isinstance(body, dict)
        or body.get("resourceType") != "Bundle"
        or body.get("type") != "transaction-response"
    ):
        raise LoadError(f"unexpected answer to {what}: not a transaction-response Bundle")
    statuses = [_entry_status(entry) for entry in body.get("entry") or ()]
    if len(statuses) != len(bundle["entry"]) or any(not 200 <= s < 300 for s in statuses):
        raise LoadError(f"the FHIR server did not store every entry of {what}")
    return statuses


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _entry_status(entry: Any) -> int:
    """`"201 Created"` → 201; anything unreadable → 0 (counts as not stored)."""
    status = entry.get("response", {}).get("status") if isinstance(entry, dict) else None
    if not isinstance(status, str):
        return 0
    code = status.strip().split(" ", 1)[0]
    return int(code) if code.isdigit() else 0


def _diagnostics(body: Any) -> str:
    """The OperationOutcome's issue diagnostics (or details text), on one line."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ""
    texts: list[str] = []
    for issue in body.get("issue") or ():
        if not isinstance(issue, dict):
            continue
        text = issue.get("diagnostics") or (issue.get("details") or {}).get("text")
        if isinstance(text, str) and text.strip():
            texts.append(" ".join(text.split()))
    joined = "; ".join(texts)
    if len(joined) > _MAX_DIAGNOSTICS:
        joined = joined[: _MAX_DIAGNOSTICS - 1] + "…"
    return joined
