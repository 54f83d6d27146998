"""Tolerant JSON in (api.md N1), compact camelCase JSON out (N2): how every wire shape is read and written.

A body is decoded by :func:`decode` into a msgspec Struct. Before conversion, object keys are matched to the
Struct's fields after lower-casing and deleting ``_``/``-`` (``regionId``, ``region_id``, ``regionid`` all
bind ``regionId``); map-typed fields (metadata, ...) keep their keys untouched (N3). Type errors become
:class:`~artemis_client.errors.BadRequestError` naming the field path (T7). Encoding is msgspec's: compact
separators, UTF-8 written raw (T2).

Every shape derives from :class:`CamelStruct`: camelCase names on the wire, fields at their default left
out (N7). The server decodes requests with these functions; clients decode answers with the same ones.
"""

from __future__ import annotations

import functools
import operator
from functools import lru_cache
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

import msgspec
from msgspec import inspect as mi

from artemis_client.errors import BadRequestError

T = TypeVar("T")

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


class CamelStruct(msgspec.Struct, rename="camel", omit_defaults=True):
    """Base of the wire shapes: camelCase keys (N2), fields at their default omitted (N7)."""


def encode(obj: Any) -> bytes:
    """Compact JSON, UTF-8 written raw (api.md T2): the one encoder of every answer and request."""
    return _encoder.encode(obj)


def normkey(key: str) -> str:
    """The key N1 compares: lower case, without ``_`` and ``-`` (``region_id`` -> ``regionid``)."""
    return key.lower().replace("_", "").replace("-", "")


def snake_to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_snake(camel: str) -> str:
    """``regionId`` -> ``region_id`` (the snake spelling N1 accepts and N8 writes)."""
    out = []
    for ch in camel:
        if ch.isupper():
            out.append("_")
            out.append(ch.lower())
        else:
            out.append(ch)
    return "".join(out)


# -- tolerant decoding ----------------------------------------------------------------------------

_STRMAP = "strmap"


class _Plan:
    __slots__ = ("fields",)

    def __init__(self) -> None:
        # normalized key -> (camel name, snake name, sub-plan kind, sub-plan)
        self.fields: dict[str, tuple[str, str, str | None, _Plan | None]] = {}


def _sub_plan(t: mi.Type) -> tuple[str | None, _Plan | None]:
    if isinstance(t, mi.UnionType):
        for member in t.types:
            kind, plan = _sub_plan(member)
            if kind is not None:
                return kind, plan
        return None, None
    if isinstance(t, mi.StructType):
        return "struct", _build_plan(t)
    if isinstance(t, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        kind, plan = _sub_plan(t.item_type)
        if kind == "struct":
            return "list", plan
        return None, None
    if isinstance(t, mi.DictType) and isinstance(t.value_type, mi.StrType):
        return _STRMAP, None
    return None, None


def _build_plan(st: mi.StructType) -> _Plan:
    plan = _Plan()
    for f in st.fields:
        kind, sub = _sub_plan(f.type)
        plan.fields[normkey(f.encode_name)] = (f.encode_name, to_snake(f.encode_name), kind, sub)
    return plan


@lru_cache(maxsize=256)
def plan_for(tp: type) -> _Plan:
    info = mi.type_info(tp)
    if not isinstance(info, mi.StructType):
        raise TypeError(f"{tp!r} is not a msgspec Struct")
    return _build_plan(info)


def _coerce_strmap(value: Any) -> Any:
    """Java maps of strings accept scalars (Jackson coerces them); nulls are dropped."""
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        if v is None:
            continue
        if isinstance(v, bool):
            out[k] = "true" if v else "false"
        elif isinstance(v, int | float):
            out[k] = str(v)
        else:
            out[k] = v
    return out


def normalize(obj: Any, plan: _Plan) -> Any:
    """Rename the keys of ``obj`` to the camelCase field names of ``plan`` (N1); unknown keys are dropped."""
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] = {}
    rank: dict[str, int] = {}
    fields = plan.fields
    for key, value in obj.items():
        if not isinstance(key, str):
            continue
        spec = fields.get(normkey(key))
        if spec is None:
            continue
        camel, snake, kind, sub = spec
        r = 0 if key == camel else 1 if key == snake else 2
        prev = rank.get(camel)
        if prev is not None and (value is None or (out[camel] is not None and prev <= r)):
            continue
        if kind == "struct" and sub is not None:
            value = normalize(value, sub)
        elif kind == "list" and sub is not None and isinstance(value, list):
            value = [normalize(v, sub) for v in value]
        elif kind == _STRMAP:
            value = _coerce_strmap(value)
        out[camel] = value
        rank[camel] = r
    return out


def _field_from_error(msg: str) -> str | None:
    marker = "at `$."
    i = msg.find(marker)
    if i < 0:
        if "missing required field `" in msg:
            return msg.split("missing required field `", 1)[1].split("`", 1)[0]
        return None
    return msg[i + len(marker) :].rstrip("`")


def _plain(text: str) -> str:
    """msgspec's wording of the id constraints (wire.ids.Id / CleanId) in plain words."""
    if text.startswith("Expected `str` matching regex"):
        return "contains a control or bidi formatting character (NUL, U+202E, ...)"
    if text.startswith("Expected `str` of length <= "):
        return f"too long: at most {text.rsplit(' ', 1)[-1]} characters"
    return text


def bad_field(exc: msgspec.ValidationError) -> BadRequestError:
    msg = str(exc)
    field = _field_from_error(msg)
    if "missing required field" in msg and field:
        path_i = msg.find(" - at `$.")
        prefix = msg[path_i + len(" - at `$.") :].rstrip("`") + "." if path_i >= 0 else ""
        field = prefix + field
        return BadRequestError(f"missing required field `{field}`", field=field)
    text = _plain(msg.split(" - at ", 1)[0])
    if field:
        return BadRequestError(f"invalid field `{field}`: {text}", field=field)
    return BadRequestError(f"invalid request body: {text}")


def parse_json(body: bytes) -> Any:
    """Parse a request body; empty means ``{}`` (T3)."""
    if not body or not body.strip():
        return {}
    try:
        return _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise BadRequestError(f"malformed JSON: {exc}", field="body") from None
    except RecursionError:
        raise BadRequestError("malformed JSON: nested too deeply", field="body") from None
    except UnicodeDecodeError as exc:
        raise BadRequestError(f"malformed JSON: invalid UTF-8 at byte {exc.start}", field="body") from None


def convert(obj: Any, tp: type[T]) -> T:
    """Convert an already parsed JSON value to a request Struct with tolerant keys."""
    if not isinstance(obj, dict):
        raise BadRequestError("request body must be a JSON object", field="body")
    try:
        return msgspec.convert(normalize(obj, plan_for(tp)), tp)  # type: ignore[arg-type]  # classes hash
    except msgspec.ValidationError as exc:
        raise bad_field(exc) from None


STRICT_MISSES = (msgspec.DecodeError, RecursionError, UnicodeDecodeError, ValueError)
"""What :func:`strict_decoder`'s decoders raise for a body they do not take (the tolerant path decides)."""


def decode(body: bytes, tp: type[T]) -> T:
    """Decode a request body into ``tp``.

    Fast path: a body that spells every key exactly as the contract does (camelCase, what every SDK sends),
    with values of the right types, decodes in one msgspec call into a strict twin of ``tp`` (a subclass
    that refuses unknown keys). Anything else (another key spelling, a scalar in a string map, an error)
    takes the tolerant path, which gives the same object for such bodies and the 400 naming the field.
    """
    strict = strict_decoder(tp)  # type: ignore[arg-type]  # Struct classes are hashable
    if strict is not None and body:
        try:
            return strict.decode(body)
        except STRICT_MISSES:
            pass
    return convert(parse_json(body), tp)


def _twin_type(t: Any) -> Any:
    if isinstance(t, type) and issubclass(t, msgspec.Struct):
        return strict_twin(t)
    origin = get_origin(t)
    if origin is None:
        return t
    args = tuple(_twin_type(a) for a in get_args(t))
    if origin in (UnionType, Union):
        return functools.reduce(operator.or_, args)
    return origin[args]


@lru_cache(maxsize=64)
def strict_twin(tp: type) -> type:
    """A subclass of the Struct ``tp`` that forbids unknown keys, with its nested Structs twinned alike."""
    hints = get_type_hints(tp)
    fields = []
    for f in msgspec.structs.fields(tp):
        t = _twin_type(hints[f.name])
        if t != hints[f.name]:
            default = f.default if f.default is not msgspec.NODEFAULT else msgspec.NODEFAULT
            fields.append((f.name, t, default) if default is not msgspec.NODEFAULT else (f.name, t))
    return msgspec.defstruct(f"Strict{tp.__name__}", fields, bases=(tp,), forbid_unknown_fields=True)


@lru_cache(maxsize=64)
def strict_decoder(tp: type) -> msgspec.json.Decoder[Any] | None:
    """The decoder of :func:`decode`'s fast path for ``tp`` (its strict twin), None when ``tp`` is no Struct.
    A body it refuses (:data:`STRICT_MISSES`) may still be valid in another spelling: :func:`decode` says."""
    if not (isinstance(tp, type) and issubclass(tp, msgspec.Struct)):
        return None
    return msgspec.json.Decoder(strict_twin(tp))


@lru_cache(maxsize=64)
def _query_types(tp: type) -> dict[str, Any]:
    """The wire name -> type of each field of the query Struct ``tp``, translated once per type (msgspec's
    ``type_info`` walks the annotations every time: ~8% of a services.json request's samples)."""
    info = mi.type_info(tp)
    assert isinstance(info, mi.StructType)
    return {f.encode_name: f.type for f in info.fields}


def query_to_obj(params: dict[str, list[str]], tp: type) -> dict[str, Any]:
    """Turn query parameters into an object for :func:`convert`: names matched per N1, scalars typed."""
    plan = plan_for(tp)
    types = _query_types(tp)
    out: dict[str, Any] = {}
    for name, values in params.items():
        spec = plan.fields.get(normkey(name))
        if spec is None or not values:
            continue
        camel = spec[0]
        t = types[camel]
        if isinstance(t, mi.UnionType):
            t = next((m for m in t.types if not isinstance(m, mi.NoneType)), t)
        if isinstance(t, mi.ListType):
            items: list[str] = []
            for v in values:
                items.extend(x for x in v.split(",") if x)
            out[camel] = items
            continue
        v = values[0]
        if isinstance(t, mi.IntType):
            try:
                out[camel] = int(v)
            except ValueError:
                raise BadRequestError(
                    f"invalid query parameter `{camel}`: not an integer", field=camel
                ) from None
        elif isinstance(t, mi.BoolType):
            out[camel] = v.lower() in ("1", "true", "yes", "on")
        else:
            out[camel] = v
    return out
