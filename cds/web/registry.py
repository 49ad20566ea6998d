"""One registry of CDS Services: it drives both the routes and the discovery document.

A service is declared once, as a `ServiceDefinition`; `GET /cds-services` lists exactly
the registered services and `POST /cds-services/<id>` dispatches to them, so the two can
never disagree. The discovery document is serialised once, when the registry is built.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cds.web.request_model import HookRequest

HookHandler = Callable[[HookRequest, str], list[dict[str, Any]]]
"""(validated request, base URL of this service as the client sees it) → cards."""


@dataclass(frozen=True, slots=True)
class ServiceDefinition:
    id: str
    hook: str
    title: str
    description: str
    usage_requirements: str
    prefetch: Mapping[str, str]
    handler: HookHandler = field(repr=False)

    def discovery_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
        }
        if self.prefetch:
            entry["prefetch"] = dict(self.prefetch)
        if self.usage_requirements:
            entry["usageRequirements"] = self.usage_requirements
        return entry


class Registry:
    def __init__(self, services: Iterable[ServiceDefinition]) -> None:
        self._services: dict[str, ServiceDefinition] = {}
        for service in services:
            if service.id in self._services:
                raise ValueError(f"CDS Service id {service.id!r} registered twice")
            self._services[service.id] = service
        self.discovery_document: dict[str, Any] = {
            "services": [s.discovery_entry() for s in self._services.values()]
        }
        self.discovery_body: bytes = json.dumps(
            self.discovery_document, ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")

    def get(self, service_id: str) -> ServiceDefinition | None:
        return self._services.get(service_id)

    def __iter__(self) -> Iterator[ServiceDefinition]:
        return iter(self._services.values())
