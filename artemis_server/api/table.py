"""The endpoint table: every module that declares endpoints, the one list both HTTP fronts serve.

The Litestar routes (api/app.py) and the fast lane (api/fastpath.py) take their routes from here, and the
OpenAPI document (api/openapi.py) describes them; a new endpoint module is added to this list and nowhere
else. openapi.py's own two endpoints are added by :func:`artemis_server.api.app.all_endpoints` (it reads
this table, so it cannot be in it without an import cycle).
"""

from __future__ import annotations

from types import ModuleType

from artemis_server.api import (
    audit,
    auth,
    canary,
    discovery,
    inventory,
    management,
    registry,
    replication,
    routing,
    routing_java,
    routing_java_instances,
    status,
    zone,
)
from artemis_server.api.endpoints import Endpoint

ENDPOINT_MODULES: list[ModuleType] = [
    status,
    registry,
    discovery,
    replication,
    management,
    inventory,
    zone,
    canary,
    audit,
    routing,
    routing_java,
    routing_java_instances,
    auth,
]


def endpoints() -> list[Endpoint]:
    """Every endpoint of the modules of the table, in table order."""
    eps: list[Endpoint] = []
    for mod in ENDPOINT_MODULES:
        eps.extend(mod.routes.endpoints)
    return eps
