"""The OpenAPI 3.1 document at /schema/openapi.json and the browsable /schema page (api.md T10)."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from openapi_spec_validator import validate

from artemis_server.api.app import all_endpoints
from tests.helpers import LiveServer


def _openapi(path: str) -> str:
    return re.sub(
        r"\{(\w+)(?::\w+)?\}",
        lambda m: "{" + re.sub(r"_(\w)", lambda x: x.group(1).upper(), m.group(1)) + "}",
        path,
    )


def test_document_is_valid_openapi_31_with_every_endpoint(make_server: Callable[..., LiveServer]) -> None:
    """Every method of every path of the endpoint table (both spellings, aliases, the /artemis prefix of this
    node) is in a document that validates as OpenAPI 3.1."""
    srv = make_server(server={"context_aliases": ["/artemis"]})
    r = httpx.get(srv.url + "/schema/openapi.json", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    paths = doc["paths"]
    want = {
        (m.lower(), prefix + _openapi(p))
        for ep in all_endpoints()
        for p in ep.paths
        for m in ep.methods
        for prefix in ("", "/artemis")
    }
    have = {(m, p) for p, item in paths.items() for m in item}
    assert want <= have, sorted(want - have)[:10]
    for spelled in (
        "/api/registry/heartbeat.json",
        "/api/registry/heartbeat",
        "/api/v1/management/groups",
        "/artemis/api/discovery/lookup",
    ):
        assert spelled in paths


def test_shapes_come_from_the_msgspec_structs(http: httpx.Client) -> None:
    """Request bodies, query parameters, path parameters and responses carry the Structs' fields and limits."""
    doc = http.get("/schema/openapi.json").json()
    schemas = doc["components"]["schemas"]
    register = doc["paths"]["/api/registry/register.json"]["post"]
    body = register["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    instance = schemas[body]["properties"]["instances"]["anyOf"][0]["items"]["$ref"].rsplit("/", 1)[-1]
    sid = schemas[instance]["properties"]["serviceId"]
    assert sid["maxLength"] == 256
    ok = register["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert "failedInstances" in schemas[ok.rsplit("/", 1)[-1]]["properties"]
    get_service = doc["paths"]["/api/discovery/service.json"]["get"]
    assert {p["name"] for p in get_service["parameters"]} >= {"serviceId", "regionId", "zoneId"}
    canary = doc["paths"]["/api/management/canary/config/{serviceId}"]
    assert set(canary) == {"get", "delete"}
    assert canary["get"]["parameters"][0] == {
        "name": "serviceId",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    assert canary["get"]["responses"]["default"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "EnvelopeC"
    )
    assert doc["paths"]["/health"]["get"]["responses"]["200"]["content"].keys() == {"text/plain"}


def test_schema_page_is_browsable(http: httpx.Client) -> None:
    """/schema serves an HTML page that loads the document."""
    r = http.get("/schema")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "/schema/openapi.json" in r.text
    assert "<html" in r.text
