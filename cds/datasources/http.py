"""Self-fetch: the one module that talks HTTP to the EHR's FHIR server.

Used when a prefetch key is absent or unusable. Every defence the hook needs against a
slow, broken or hostile server lives here:

- the `fhirServer` must be on the configured allow-list (SSRF) and use https unless plain
  http is allowed for local testing, checked *before* any connection is made;
- every URL requested, including each `next` link, must lie under that base URL, and
  redirects are not followed;
- every call has a timeout that covers its whole body (a server dribbling bytes never
  resets it), and all calls of one hook share one overall deadline;
- queries run in parallel on a small thread pool over one `requests.Session`;
- bodies are streamed and abandoned past a byte cap; paging stops at a page cap;
- anything unexpected (status, JSON, Bundle type, OperationOutcome) fails that key.

Failures are `QueryFailure`s naming the key and a reason without PHI; the web edge turns
them into a 412. The bearer token is sent on each call and kept nowhere else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from cds import jsonio
from cds.datasources.base import FetchOutcome, JsonObject, QueryFailure, QueryResult
from cds.datasources.prefetch import next_link, read_entries

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
_CHUNK = 64 * 1024
_GRACE = 0.25  # seconds past the deadline for threads to report their own timeout


class SourceUnavailableError(Exception):
    """No data source can be used for this hook call (e.g. fhirServer not allowed)."""


@dataclass(frozen=True, slots=True)
class FetchLimits:
    timeout_seconds: float
    max_pages: int
    max_response_bytes: int
    workers: int


def new_session() -> requests.Session:
    """The process-wide session: pooled connections, no cookies, no environment secrets.

    `trust_env = False` keeps `.netrc` credentials and proxy variables out of calls to
    EHR servers; the cookie policy blocks every cookie so that one EHR's session can
    never leak into another hook call's request.
    """
    session = requests.Session()
    session.trust_env = False
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def check_fhir_server(url: str, allowed: tuple[str, ...], *, allow_http: bool) -> str:
    """The normalised base URL if `url` may be queried, else `SourceUnavailableError`."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise SourceUnavailableError("fhirServer is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SourceUnavailableError("fhirServer is not an absolute http(s) URL")
    if parts.scheme == "http" and not allow_http:
        raise SourceUnavailableError("fhirServer must use https")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise SourceUnavailableError("fhirServer must be a plain base URL")
    if not any(is_under(url, base) for base in allowed):
        raise SourceUnavailableError("fhirServer is not on this service's allow-list")
    return url.rstrip("/")


def is_under(url: str, base: str) -> bool:
    """True when `url` has `base`'s scheme, host and port and a path inside base's path
    (no `.` or `..` segment, plain or percent-encoded, no backslash)."""
    try:
        u, b = urlsplit(url), urlsplit(base)
        same_origin = (
            u.scheme.lower() == b.scheme.lower()
            and (u.hostname or "").lower() == (b.hostname or "").lower()
            and (u.port or _default_port(u.scheme)) == (b.port or _default_port(b.scheme))
        )
    except ValueError:  # an invalid IPv6 address or port number
        return False
    if not same_origin or u.username or u.password:
        return False
    # `..` would climb out of the base: requests removes dot segments before sending (and a
    # server may decode `%2e%2e` and do the same), so the path is judged as it will be used
    decoded = unquote(u.path)
    if "\\" in decoded or any(segment in (".", "..") for segment in decoded.split("/")):
        return False
    base_path = b.path.rstrip("/")
    return (
        u.path == base_path
        or u.path.startswith(base_path + "/")
        or (base_path == "" and u.path in ("", "/"))
    )


def _default_port(scheme: str) -> int:
    return 443 if scheme.lower() == "https" else 80


class _QueryFailedError(Exception):
    def __init__(self, reason: str, requests_made: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.requests_made = requests_made


class FhirHttpDataSource:
    """`PatientDataSource` over the EHR's FHIR REST API (one hook call's worth)."""

    def __init__(
        self,
        session: requests.Session,
        base_url: str,
        access_token: str | None,
        limits: FetchLimits,
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._token = access_token
        self._limits = limits

    def fetch(self, queries: Mapping[str, str], *, budget_seconds: float) -> FetchOutcome:
        """Run each query (relative to the base, or an absolute `next` URL) in parallel."""
        if not queries:
            return FetchOutcome()
        deadline = time.monotonic() + budget_seconds
        results: dict[str, QueryResult] = {}
        failures: dict[str, QueryFailure] = {}
        workers = min(self._limits.workers, len(queries))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fhir-fetch")
        try:
            futures = {
                pool.submit(self._run_query, key, query, deadline): key
                for key, query in queries.items()
            }
            # every call watches the deadline itself; the grace lets the last ones report
            done, not_done = wait(futures, timeout=max(0.0, deadline - time.monotonic()) + _GRACE)
            for future in done:
                key = futures[future]
                try:
                    results[key] = future.result()
                except _QueryFailedError as failure:
                    failures[key] = QueryFailure(key, failure.reason, failure.requests_made)
                except Exception:  # a bug, or something no check foresaw: never a 500
                    log.exception("self-fetch of %s failed unexpectedly", key)
                    failures[key] = QueryFailure(key, "unexpected error while fetching")
            for future in not_done:
                key = futures[future]
                future.cancel()
                failures[key] = QueryFailure(key, "FHIR server did not answer within the budget")
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return FetchOutcome(results=results, failures=failures)

    def _run_query(self, key: str, query: str, deadline: float) -> QueryResult:
        url = query if query.startswith(("https://", "http://")) else f"{self._base}/{query}"
        is_read = "?" not in query and query.count("/") == 1 and not query.startswith("http")
        expected_type, _, expected_id = query.partition("/") if is_read else ("", "", "")
        resources: list[JsonObject] = []
        seen: set[str] = set()
        pages = 0
        while True:
            if not is_under(url, self._base):
                raise _QueryFailedError("a link points outside the FHIR server", pages)
            if url in seen:
                raise _QueryFailedError("paging links loop", pages)
            if pages >= self._limits.max_pages:
                raise _QueryFailedError(f"more than {self._limits.max_pages} pages", pages)
            seen.add(url)
            pages += 1
            body = self._get_json(url, deadline, pages)
            if is_read:
                if body.get("resourceType") != expected_type or body.get("id") != expected_id:
                    raise _QueryFailedError(f"the read did not return the {expected_type}", pages)
                return QueryResult(key, (body,), requests_made=pages)
            if body.get("resourceType") != "Bundle" or body.get("type") != "searchset":
                raise _QueryFailedError("the search did not return a searchset Bundle", pages)
            page, _, has_outcome = read_entries(body)
            if not has_outcome:
                resources.extend(page)  # the usual page: its entries are walked once
            else:
                for resource in page:
                    if resource.get("resourceType") == "OperationOutcome":
                        if _is_error_outcome(resource):
                            raise _QueryFailedError(
                                "the search returned an error OperationOutcome", pages
                            )
                        continue  # warnings about the search itself are not data
                    resources.append(resource)
            following = next_link(body)
            if following is None:
                return QueryResult(key, tuple(resources), requests_made=pages)
            url = urljoin(self._base + "/", following)  # absolute as FHIR says; relative tolerated

    def _get_json(self, url: str, deadline: float, pages: int) -> JsonObject:
        started = time.monotonic()
        remaining = deadline - started
        if remaining <= 0:
            raise _QueryFailedError("FHIR server did not answer within the budget", pages - 1)
        timeout = min(self._limits.timeout_seconds, remaining)
        call_ends = started + self._limits.timeout_seconds  # the whole call, body included
        headers = {"Accept": FHIR_JSON}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            response = self._session.get(
                url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
            )
        except requests.Timeout:
            raise _QueryFailedError("FHIR server timed out", pages) from None
        except requests.RequestException as error:
            raise _QueryFailedError(
                f"FHIR server unreachable ({type(error).__name__})", pages
            ) from None
        try:
            if response.status_code != 200:
                raise _QueryFailedError(f"FHIR server answered HTTP {response.status_code}", pages)
            raw = self._read_capped(response, deadline, call_ends, pages)
        finally:
            response.close()
        try:
            body: Any = jsonio.loads(raw)
        except ValueError:
            raise _QueryFailedError("FHIR server sent invalid JSON", pages) from None
        if not isinstance(body, dict):
            raise _QueryFailedError("FHIR server sent JSON that is not a resource", pages)
        if body.get("resourceType") == "OperationOutcome":
            raise _QueryFailedError("FHIR server sent an OperationOutcome", pages)
        return body

    def _read_capped(
        self, response: requests.Response, deadline: float, call_ends: float, pages: int
    ) -> bytes:
        """The body, read as it arrives and abandoned past the byte cap or either deadline.

        `read1` returns after at most one read from the socket, so a server dribbling one
        byte at a time (which never trips the socket timeout) is noticed at the next byte,
        and closing the response then hangs up on it: no reader thread outlives the call.
        """
        cap = self._limits.max_response_bytes
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > cap:
            raise _QueryFailedError(f"FHIR response larger than {cap} bytes", pages)
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := response.raw.read1(_CHUNK, decode_content=True):
                size += len(chunk)
                if size > cap:
                    raise _QueryFailedError(f"FHIR response larger than {cap} bytes", pages)
                now = time.monotonic()
                if now > deadline:
                    raise _QueryFailedError("FHIR server did not answer within the budget", pages)
                if now > call_ends:
                    raise _QueryFailedError("FHIR server timed out", pages)
                chunks.append(chunk)
        except (urllib3.exceptions.ReadTimeoutError, requests.Timeout, TimeoutError):
            raise _QueryFailedError("FHIR server timed out", pages) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            raise _QueryFailedError(
                f"FHIR response broken off ({type(error).__name__})", pages
            ) from None
        return b"".join(chunks)


def _is_error_outcome(outcome: Mapping[str, Any]) -> bool:
    """An OperationOutcome entry counts as an error unless every issue is a warning/info."""
    issues = outcome.get("issue")
    if not isinstance(issues, list) or not issues:
        return True
    return any(
        not isinstance(i, dict) or i.get("severity") not in ("warning", "information")
        for i in issues
    )
