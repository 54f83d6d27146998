"""normalize_instance (S2.2-S2.4) against a plain reference: same instance, same error, for random input."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from artemis_client.wire.ids import bad_id_char
from artemis_client.wire.registry import Instance
from artemis_server.registry.model import INSTANCE_STATUSES, normalize_instance, valid_ip


def reference(inst: Instance, default_region: str, default_zone: str) -> Instance:
    """The rules written out one by one, as they were before the fast version."""
    if not inst.service_id or not inst.service_id.strip():
        raise ValueError("serviceId is required")
    if not inst.instance_id or not inst.instance_id.strip():
        raise ValueError("instanceId is required")
    for name, value in (
        ("serviceId", inst.service_id),
        ("instanceId", inst.instance_id),
        ("regionId", inst.region_id),
        ("zoneId", inst.zone_id),
        ("groupId", inst.group_id),
    ):
        bad = bad_id_char(value) if value else None
        if bad:
            raise ValueError(f"{name} contains the control or bidi formatting character {bad}")
    port = inst.port
    if port is not None and not 0 <= port <= 65535:
        raise ValueError(f"port {port} is out of range 0..65535")
    if inst.ip and not valid_ip(inst.ip):
        raise ValueError(f"ip {inst.ip[:64]!r} is not an IPv4 or IPv6 address")
    url = inst.url
    if not url or not url.strip():
        if inst.ip and inst.ip.strip():
            url = f"{inst.protocol or 'http'}://{inst.ip}:{port or 0}"
        else:
            raise ValueError("url is required (or an ip to build it from)")
    status = "up"
    if inst.status:
        s = inst.status.strip().lower().replace("_", "").replace("-", "")
        status = s if s in INSTANCE_STATUSES else "unknown"
    return Instance(
        service_id=inst.service_id,
        instance_id=inst.instance_id,
        region_id=inst.region_id or default_region,
        zone_id=inst.zone_id or default_zone,
        group_id=inst.group_id or None,
        machine_name=inst.machine_name,
        ip=inst.ip if inst.ip is not None else "",
        port=port if port is not None else 0,
        protocol=inst.protocol or None,
        url=url,
        health_check_url=inst.health_check_url,
        status=status,
        metadata=inst.metadata or None,
    )


# ids mixing plain text with characters that are forbidden (controls, bidi) and unprintable-but-allowed
# (no-break space, line separator, zero-width space)
_chars = st.sampled_from(
    ["a", "B", " ", "ß", "\u00a0", "\u2028", "\u200b", "\x00", "\x1b", "\u202e", "\u2066"]
)
ids = st.text(_chars, max_size=4)
maybe = st.none() | ids
statuses = st.none() | st.sampled_from(
    ["", "up", "UP", " Down ", "un_healthy", "starting", "bogus", "Unknown"]
)


@settings(max_examples=400, deadline=None)
@given(
    sid=ids,
    iid=ids,
    region=maybe,
    zone=maybe,
    group=maybe,
    ip=st.none() | st.sampled_from(["", "10.0.0.1", "192.168.1.300", "fe80::1", "nope", " "]),
    port=st.none() | st.sampled_from([0, 80, 65535, 65536, -1]),
    url=st.none() | st.sampled_from(["", "  ", "http://h:1"]),
    protocol=st.none() | st.sampled_from(["", "https"]),
    status=statuses,
    metadata=st.none() | st.sampled_from([{}, {"k": "v"}]),
)
def test_fast_normalize_matches_the_rules(
    sid: str,
    iid: str,
    region: str | None,
    zone: str | None,
    group: str | None,
    ip: str | None,
    port: int | None,
    url: str | None,
    protocol: str | None,
    status: str | None,
    metadata: dict[str, str] | None,
) -> None:
    """For random items the fast normalize_instance gives the reference's instance, or its error message."""
    inst = Instance(sid, iid, region, zone, group, "m", ip, port, protocol, url, None, status, metadata)
    try:
        want: Instance | str = reference(inst, "reg", "zone")
    except ValueError as exc:
        want = str(exc)
    try:
        got: Instance | str = normalize_instance(inst, "reg", "zone")
    except ValueError as exc:
        got = str(exc)
    assert got == want
    if isinstance(got, Instance):
        assert got.service_id is sys.intern(got.service_id)
        assert got.status is sys.intern(got.status or "")
