"""The hook request: parsed and validated once at the edge into a frozen `HookRequest`.

Tolerant where CDS Hooks asks for tolerance (unknown fields and `extension` are ignored),
strict where a value later reaches a URL or a log line: `patientId` and `encounterId` must
be FHIR ids, because they are substituted into FHIR queries sent to the EHR's server.
Everything that fails here becomes a 400 with an OperationOutcome saying which field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cds import jsonio
from cds.web.errors import BadRequestError
from fhir_mapping.fhirjson import FHIR_ID

# userId is "ResourceType/id" of the current user (patient-view 1.0)
USER_REFERENCE = re.compile(
    rf"(Practitioner|PractitionerRole|Patient|RelatedPerson)/{FHIR_ID.pattern}"
)
# what an HTTP Authorization header can carry: visible ASCII, no spaces (RFC 6750 b64token
# is stricter; real tokens fit both). Anything else could not be sent to the FHIR server.
ACCESS_TOKEN = re.compile(r"[\x21-\x7e]{1,8192}")
HOOK_INSTANCE_MAX_CHARS = 256
ABSENT: Any = object()  # a prefetch key the client did not send (≠ null)


@dataclass(frozen=True, slots=True)
class FhirAuthorization:
    access_token: str = field(repr=False)  # never logged, never stored
    token_type: str
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


@dataclass(frozen=True, slots=True)
class PatientViewContext:
    user_id: str
    patient_id: str
    encounter_id: str | None = None

    def tokens(self) -> dict[str, str]:
        """Prefetch token values (`context.*` and the `user*Id` shorthands)."""
        out = {"context.userId": self.user_id, "context.patientId": self.patient_id}
        if self.encounter_id is not None:
            out["context.encounterId"] = self.encounter_id
        resource_type, _, user_id = self.user_id.partition("/")
        out[f"user{resource_type}Id"] = user_id
        return out


@dataclass(frozen=True, slots=True)
class HookRequest:
    hook: str
    hook_instance: str
    context: PatientViewContext
    fhir_server: str | None = None
    fhir_authorization: FhirAuthorization | None = field(default=None, repr=False)
    prefetch: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def prefetched(self, key: str) -> Any:
        """The value sent for `key`: a dict, None (JSON null), or `ABSENT`."""
        return self.prefetch.get(key, ABSENT)

    @property
    def access_token(self) -> str | None:
        return self.fhir_authorization.access_token if self.fhir_authorization else None


def parse_hook_request(body: bytes, *, expected_hook: str) -> HookRequest:
    """Validate a hook call's JSON body (CDS Hooks 2.0 §HTTP Request, patient-view 1.0)."""
    try:
        obj = jsonio.loads(body)
    except ValueError:
        raise BadRequestError("request body is not valid JSON") from None
    if not isinstance(obj, dict):
        raise BadRequestError("request body must be a JSON object")

    hook = _required_string(obj, "hook")
    if hook != expected_hook:
        raise BadRequestError(f"this service answers the {expected_hook} hook, not {hook[:40]!r}")
    hook_instance = _required_string(obj, "hookInstance")
    if len(hook_instance) > HOOK_INSTANCE_MAX_CHARS or not hook_instance.isprintable():
        raise BadRequestError(
            f"hookInstance must be at most {HOOK_INSTANCE_MAX_CHARS} printable characters"
        )

    context = obj.get("context")
    if not isinstance(context, dict):
        raise BadRequestError("context is required and must be an object")
    ctx = _patient_view_context(context)

    fhir_server = obj.get("fhirServer")
    if fhir_server is not None and (not isinstance(fhir_server, str) or not fhir_server):
        raise BadRequestError("fhirServer must be a non-empty string")
    authorization = _fhir_authorization(obj.get("fhirAuthorization"), ctx.patient_id)
    if authorization is not None and fhir_server is None:
        raise BadRequestError("fhirAuthorization requires fhirServer (cds-r-1)")

    prefetch = obj.get("prefetch")
    if prefetch is None:
        prefetch = {}
    if not isinstance(prefetch, dict):
        raise BadRequestError("prefetch must be an object")
    for key, value in prefetch.items():
        if value is not None and not isinstance(value, dict):
            raise BadRequestError(f"prefetch.{_safe_key(key)} must be a FHIR resource or null")

    return HookRequest(
        hook=hook,
        hook_instance=hook_instance,
        context=ctx,
        fhir_server=fhir_server,
        fhir_authorization=authorization,
        prefetch=prefetch,
    )


def _patient_view_context(context: Mapping[str, Any]) -> PatientViewContext:
    patient_id = context.get("patientId")
    if not isinstance(patient_id, str) or not patient_id:
        raise BadRequestError("context.patientId is required")
    if not FHIR_ID.fullmatch(patient_id):
        raise BadRequestError("context.patientId is not a valid FHIR id")
    user_id = context.get("userId")
    if not isinstance(user_id, str) or not user_id:
        raise BadRequestError("context.userId is required")
    if not USER_REFERENCE.fullmatch(user_id):
        raise BadRequestError("context.userId must be a reference such as Practitioner/123")
    encounter_id = context.get("encounterId")
    if encounter_id is not None and (
        not isinstance(encounter_id, str) or not FHIR_ID.fullmatch(encounter_id)
    ):
        raise BadRequestError("context.encounterId is not a valid FHIR id")
    return PatientViewContext(user_id=user_id, patient_id=patient_id, encounter_id=encounter_id)


def _fhir_authorization(value: Any, patient_id: str) -> FhirAuthorization | None:
    """CDS Hooks 2.0 §FHIR Resource Access: `access_token`, `token_type` (Bearer),
    `expires_in`, `scope` and `subject` are required; `patient`, when sent, is the patient
    the token is restricted to. Messages name the field, never its value."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRequestError("fhirAuthorization must be an object")
    token = value.get("access_token")
    if not isinstance(token, str) or not token:
        raise BadRequestError("fhirAuthorization.access_token is required")
    if not ACCESS_TOKEN.fullmatch(token):
        raise BadRequestError("fhirAuthorization.access_token is not sendable as a bearer token")
    token_type = value.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise BadRequestError("fhirAuthorization.token_type must be Bearer")
    expires_in = value.get("expires_in")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in < 0:
        raise BadRequestError("fhirAuthorization.expires_in is required: seconds, 0 or more")
    scope = _token_string(value, "scope")
    subject = _token_string(value, "subject")
    patient = value.get("patient")
    if patient is not None:
        if not isinstance(patient, str) or not FHIR_ID.fullmatch(patient):
            raise BadRequestError("fhirAuthorization.patient is not a valid FHIR id")
        if patient != patient_id:
            raise BadRequestError(
                "fhirAuthorization.patient is not context.patientId: "
                "the token is restricted to another patient"
            )
    return FhirAuthorization(
        access_token=token,
        token_type="Bearer",  # noqa: S106 - the token type, not a secret
        expires_in=expires_in,
        scope=scope,
        subject=subject,
        patient=patient,
    )


def _token_string(value: Mapping[str, Any], name: str) -> str:
    item = value.get(name)
    if not isinstance(item, str) or not item:
        raise BadRequestError(f"fhirAuthorization.{name} is required and must be a string")
    return item


def _required_string(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise BadRequestError(f"{name} is required and must be a non-empty string")
    return value


def _safe_key(key: str) -> str:
    """A prefetch key as it may appear in an error message (no control characters)."""
    return re.sub(r"[^A-Za-z0-9_\-.]", "?", key)[:64]
