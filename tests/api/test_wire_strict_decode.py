"""codec.decode's strict fast path gives exactly what the tolerant path gives, and falls back otherwise."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from artemis_client.errors import BadRequestError
from artemis_client.wire import codec
from artemis_client.wire.registry import KeysRequest, RegisterRequest, ServiceRequest


def plain(obj: Any) -> Any:
    return msgspec.to_builtins(obj)


BODIES = [
    (
        RegisterRequest,
        b'{"instances":[{"serviceId":"s","instanceId":"i","ip":"1.2.3.4","port":80,'
        b'"metadata":{"a":"b"},"status":"UP","regionId":null}]}',
    ),
    (RegisterRequest, b'{"instances":[{"service_id":"s","instanceId":"i","ip":"1.2.3.4"}]}'),
    (RegisterRequest, b'{"instances":[{"serviceId":"s","instanceId":"i","metadata":{"n":1,"z":null}}]}'),
    (RegisterRequest, b'{"instances":[{"serviceId":"s","instanceId":"i","unknownKey":1}]}'),
    (RegisterRequest, b'{"instances":[{"serviceId":null,"serviceId":"s","instanceId":"i"}]}'),
    (KeysRequest, b'{"instanceKeys":[{"serviceId":"s","instanceId":"i"}],"instances":[{"serviceId":"t"}]}'),
    (KeysRequest, b'{"instance_keys":[{"SERVICEID":"s","instance-id":"i"}]}'),
    (KeysRequest, b"{}"),
    (ServiceRequest, b'{"discoveryConfig":{"serviceId":"s","discoveryData":{"clientIp":"1.1.1.1"}}}'),
    (ServiceRequest, b'{"discovery_config":{"serviceId":"s"},"regionId":"r"}'),
]


@pytest.mark.parametrize(("tp", "body"), BODIES)
def test_strict_and_tolerant_paths_agree(tp: type, body: bytes) -> None:
    fast = codec.decode(body, tp)
    tolerant = codec.convert(codec.parse_json(body), tp)
    assert isinstance(fast, tp)
    assert plain(fast) == plain(tolerant)
    assert codec.encode(fast) == codec.encode(tolerant)


@pytest.mark.parametrize(
    "body", [b"", b"[]", b'{"instances":[{"serviceId":1}]}', b'{"instances":5}', b"\xff", b"{"]
)
def test_bad_bodies_still_get_the_tolerant_error(body: bytes) -> None:
    with pytest.raises(BadRequestError) as fast:
        codec.decode(body or b"[]", RegisterRequest)
    with pytest.raises(BadRequestError) as tolerant:
        codec.convert(codec.parse_json(body or b"[]"), RegisterRequest)
    assert (fast.value.message, fast.value.field) == (tolerant.value.message, tolerant.value.field)
