"""The server's side of the HTTP edge that is not a shape: answers rendered in their envelope family, the
optional snake_case rewrite (N8), and request-body inflation (T4).

The shapes themselves (ResponseStatus, the envelopes, every request and answer) live in
:mod:`artemis_client.wire`; this module decides how the server fills them: which errors a family answers
inside a 200 (T8) is the dispatcher's business (api/endpoints.py), how an error looks in each family is
:func:`error_body`'s.
"""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import msgspec

from artemis_client.errors import ArtemisError, BadRequestError, PayloadTooLargeError
from artemis_client.wire.codec import encode, to_snake
from artemis_client.wire.envelope import (
    OK,
    ApiError,
    EnvelopeA,
    EnvelopeB,
    EnvelopeC,
    Family,
    fail_status,
)

OK_BYTES = encode(EnvelopeA(OK))
"""A family A success without payload, encoded once (most registry answers are exactly this)."""


def error_body(family: Family, exc: ArtemisError) -> bytes:
    """Render an error in the envelope family of the endpoint (``raw`` endpoints answer family C)."""
    if family in ("A", "B"):
        rs = fail_status(exc.code, exc.message)
        return encode(EnvelopeB(rs, rs) if family == "B" else EnvelopeA(rs))
    err = ApiError(exc.code, exc.message, exc.field or None, exc.details)
    return encode(EnvelopeC(False, message=exc.message, error=err))


def ok_a(**payload: Any) -> dict[str, Any]:
    """Family A success document: payload fields (already camelCase names) + responseStatus."""
    payload["responseStatus"] = OK
    return payload


def ok_b(**payload: Any) -> dict[str, Any]:
    """Family B success document: payload fields + responseStatus + status."""
    payload["responseStatus"] = OK
    payload["status"] = OK
    return payload


def ok_c(data: Any) -> EnvelopeC:
    """Family C success: ``{"success":true,"data":...}`` (``data`` may be None: written as null)."""
    return EnvelopeC(True, data)


def inflate(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Inflate a gzip/deflate request body (T4), refusing to expand past ``limit`` bytes."""
    if not content_encoding or not body:
        return body  # an empty body is {} whatever its headers say (T3)
    enc = content_encoding.strip().lower()
    if enc in ("", "identity"):
        return body
    if enc not in ("gzip", "x-gzip", "deflate"):
        raise BadRequestError(f"unsupported Content-Encoding: {content_encoding}", field="Content-Encoding")
    wbits = 16 + zlib.MAX_WBITS if enc != "deflate" else zlib.MAX_WBITS
    try:
        d = zlib.decompressobj(wbits)
        out = d.decompress(body, limit + 1)
        if len(out) > limit or d.unconsumed_tail:
            raise PayloadTooLargeError(f"request body exceeds {limit} bytes once inflated", field="body")
        if not d.eof:
            raise BadRequestError(f"malformed {enc} body: truncated stream", field="body")
        return out
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise BadRequestError(f"malformed {enc} body: {exc}", field="body") from None


# -- optional snake_case output (N8) ------------------------------------------------------------------

# N3: the keys of these maps are data (metadata keys, service ids, property names) and are never renamed.
_DATA_MAPS = frozenset({"metadata", "discoveryData", "properties", "sources", "tags"})
# Maps keyed by service id whose values are model objects (their keys are renamed).
_KEYED_BY_DATA = frozenset({"leasesStatus", "leases", "delta"})


def _snake_keys(obj: Any) -> Any:
    if isinstance(obj, list):
        return [_snake_keys(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if k in _DATA_MAPS and isinstance(v, dict):
            out[to_snake(k)] = v
        elif k in _KEYED_BY_DATA and isinstance(v, dict):
            out[to_snake(k)] = {dk: _snake_keys(dv) for dk, dv in v.items()}
        else:
            out[to_snake(k)] = _snake_keys(v)
    return out


def to_snake_json(body: bytes | str) -> bytes | str:
    """Rewrite an encoded camelCase JSON document with snake_case keys (config ``wire.naming = "snake"``)."""
    if not body:
        return body
    try:
        doc = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return body
    return encode(_snake_keys(doc))
