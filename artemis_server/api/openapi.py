"""``GET /schema/openapi.json``: an OpenAPI 3.1 document of every HTTP endpoint, and ``GET /schema``, a
browsable page of it (api.md T10).

The document is built from the endpoint table (api/*.py), so it cannot drift from what the node serves:
every method and every spelling of a path (``.json`` and bare, J and R paths, the ``/api/v1`` aliases, the
``server.context_aliases`` prefixes of this node), path parameters, query parameters and request bodies from
the msgspec Structs the dispatcher decodes (``msgspec.json.schema_components``, constraints included), and
responses: the endpoint's own response Struct where it declares one (``response=``), else the envelope of
its family (api.md 0.4). Inputs are tolerant (N1: any spelling of a key, unknown keys ignored); the
document describes the camelCase form every SDK sends. Errors are the ``default`` response in the family's
error envelope (401/403/404/405/413/429/503 ...).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import msgspec

from artemis_client.wire import codec, envelope
from artemis_server import __version__
from artemis_server.api import table
from artemis_server.api.endpoints import Call, Endpoint, Reply, Routes

if TYPE_CHECKING:
    from artemis_server.settings import Settings

routes = Routes()

OPENAPI_PATH = "/schema/openapi.json"
UI_PATH = "/schema"
_REF = "#/components/schemas/{name}"
_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def _openapi_path(path: str) -> tuple[str, list[tuple[str, str]]]:
    params = [(m.group(1), m.group(2) or "str") for m in _PARAM.finditer(path)]
    return _PARAM.sub(lambda m: "{" + codec.snake_to_camel(m.group(1)) + "}", path), params


def _query_parameters(tp: type, components: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """A query Struct's fields as OpenAPI query parameters (scalars and lists of scalars)."""
    ref = schema.get("$ref", "")
    obj = components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema
    out = []
    for name, prop in (obj.get("properties") or {}).items():
        out.append({"name": name, "in": "query", "required": False, "schema": prop, "explode": True})
    return out


def _any_value(tp: type) -> dict[str, Any]:
    """``object`` (free-form JSON values, e.g. route rules in a Service) is any JSON value."""
    if tp is object:
        return {"description": "any JSON value"}
    raise NotImplementedError(f"no JSON schema for {tp!r}")


def _family_schema(family: str) -> dict[str, Any]:
    return {"$ref": _REF.format(name={"A": "EnvelopeA", "B": "EnvelopeB"}.get(family, "EnvelopeC"))}


def build_document(endpoints: list[Endpoint], aliases: list[str]) -> dict[str, Any]:
    # The envelopes of the three families (api.md 0.4) are schemas of their own: the ``default`` (error)
    # response of every endpoint, and the success response of endpoints without a response Struct.
    types: set[type] = {envelope.EnvelopeA, envelope.EnvelopeB, envelope.EnvelopeC}
    for ep in endpoints:
        for tp in (ep.body, ep.query, ep.extra.get("response")):
            if tp is not None:
                types.add(tp)
    ordered = sorted(types, key=lambda t: (t.__module__, t.__qualname__))
    schemas, components = msgspec.json.schema_components(ordered, ref_template=_REF, schema_hook=_any_value)
    by_type = dict(zip(ordered, schemas, strict=True))

    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        for raw in [*ep.paths, *(a + p for a in aliases for p in ep.paths)]:
            path, params = _openapi_path(raw)
            item = paths.setdefault(path, {})
            for method in ep.methods:
                item[method.lower()] = _operation(ep, method, path, params, by_type, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Artemis service registry",
            "version": __version__,
            "description": "Wire-compatible Python rewrite of Ctrip Artemis. Inputs accept any spelling of "
            "a key (regionId, region_id, regionid); outputs are camelCase. See api.md.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(components.items()))},
    }


def _operation(
    ep: Endpoint,
    method: str,
    path: str,
    params: list[tuple[str, str]],
    by_type: dict[type, dict[str, Any]],
    components: dict[str, Any],
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{method.lower()} {path}",
        "summary": (ep.handler.__doc__ or ep.name.replace("_", " ")).strip().split("\n")[0],
        "tags": [_tag(ep.paths[0])],
    }
    parameters: list[dict[str, Any]] = [
        {
            "name": codec.snake_to_camel(name),
            "in": "path",
            "required": True,
            "schema": {"type": "integer"} if kind == "int" else {"type": "string"},
        }
        for name, kind in params
    ]
    query_type = ep.query if ep.query is not None else (ep.body if method == "GET" else None)
    if query_type is not None:
        parameters += _query_parameters(query_type, components, by_type[query_type])
    if parameters:
        op["parameters"] = parameters
    if ep.body is not None and method != "GET":
        op["requestBody"] = {
            "required": False,  # an empty body is {} (T3)
            "content": {"application/json": {"schema": by_type[ep.body]}},
        }
    ok_status = str(ep.status)
    if ep.family == "raw":
        media = "text/html" if path.endswith(UI_PATH) else "text/plain"
        if path.endswith((OPENAPI_PATH, "connections.json")):
            media = "application/json"
        op["responses"] = {ok_status: {"description": "OK", "content": {media: {"schema": {}}}}}
        return op
    response = ep.extra.get("response")
    ok_schema = by_type[response] if response is not None else _family_schema(ep.family)
    op["responses"] = {
        ok_status: {"description": "OK", "content": {"application/json": {"schema": ok_schema}}},
        "default": {
            "description": "Error in the envelope of the endpoint's family",
            "content": {"application/json": {"schema": _family_schema(ep.family)}},
        },
    }
    if ep.private:
        op["description"] = (
            "Refuses browser requests from origins not listed in server.cors_origins with 403 (T5)."
        )
    return op


def _tag(path: str) -> str:
    parts = [p for p in path.split("/") if p and p not in ("api", "v1")]
    return parts[0] if parts else "root"


_cache: dict[tuple[int, tuple[str, ...]], bytes] = {}


def document_bytes(settings: Settings) -> bytes:
    aliases = tuple(a.rstrip("/") for a in settings.server.context_aliases if a.strip("/"))
    key = (id(settings), aliases)
    doc = _cache.get(key)
    if doc is None:
        doc = _cache[key] = msgspec.json.encode(
            build_document(table.endpoints() + routes.endpoints, list(aliases))
        )
    return doc


@routes.get(OPENAPI_PATH, family="raw")
async def openapi_document(call: Call) -> Reply:
    """The OpenAPI 3.1 document of this node (api.md T10)."""
    return Reply(document_bytes(call.node.settings), media_type="application/json")


_UI = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Artemis API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
<noscript>The API document itself is at <a href="{doc}">{doc}</a>.</noscript>
<div id="ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js" crossorigin></script>
<script>
window.addEventListener("load", function () {{
  window.ui = SwaggerUIBundle({{ url: "{doc}", dom_id: "#ui", deepLinking: true }});
}});
</script>
</body>
</html>
"""


@routes.get(UI_PATH, family="raw")
async def openapi_ui(call: Call) -> Reply:
    """A browsable page of the document (Swagger UI; the browser loads its assets from a CDN)."""
    prefix = call.path[: -len(UI_PATH)] if call.path.endswith(UI_PATH) else ""
    return Reply(_UI.format(doc=prefix + OPENAPI_PATH).encode(), media_type="text/html; charset=utf-8")
