"""Management commands as Structs: JSON round trips, and one handler per command class."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest

from artemis_client.errors import BadRequestError
from artemis_client.wire.routing import JServiceInstance
from artemis_server.management import commands as c
from artemis_server.management.commands import COMMANDS, Command, CommandBase, command_name
from artemis_server.node import Node
from tests.helpers import make_settings

# One example per command class, every optional field set where it has one (a new class without an
# example fails test_every_command_has_an_example).
EXAMPLES: list[CommandBase] = [
    c.InstanceOperate(
        region_id="r1",
        service_id="svc",
        instance_id="i1",
        operation="pullout",
        operation_complete=True,
        token="t",
        style="j",
        reason="why",
        extensions={"k": "v"},
    ),
    c.ServerOperate(region_id="r1", server_id="10.0.0.1", operation="pullin", token="t", style="j"),
    c.ZoneOperate(region_id="r1", zone_id="z1", operation="pullout", service_id="svc", reason="r"),
    c.CanarySet(service_id="svc", ip_whitelist=["10.0.0.1", "10.1.0.0/16"], enabled=False),
    c.CanaryEnable(service_id="svc", enabled=False),
    c.CanaryDelete(service_id="svc"),
    c.CanaryWhitelist(service_id="svc", ips=["::1"], action="remove"),
    c.GroupCreate(
        service_id="svc",
        region_id="r1",
        zone_id="z1",
        name="g1",
        group_type="logical",
        status="inactive",
        description=" d ",
        app_id="app",
    ),
    c.GroupUpdate(group_key="svc:r1:z1:g1", description="", status="active"),
    c.GroupDelete(group_key="7"),
    c.GroupTagsAdd(group_key="svc:r1:z1:g1", tags={"b": "2", "a": ""}),
    c.GroupTagsRemove(group_key="svc:r1:z1:g1", tag_key="a"),
    c.BindingAdd(group_key="svc:r1:z1:g1", instance_id="i1", service_id="svc", region_id="r1", zone_id="z1"),
    c.BindingRemove(group_key="svc:r1:z1:g1", instance_id="i1"),
    c.BindingBatch(
        service_id="svc",
        instances=[
            c.BatchItem(
                group_ref="3", instance_id="i1", service_id="SVC", region_id="r1", binding_type="auto"
            ),
            c.BatchItem(group_ref="svc:r1:z1:g1", instance_id="i2", service_id="svc"),
        ],
    ),
    c.RuleCreate(
        route_id="rt",
        service_id="svc",
        name="Rule",
        strategy="close-by-visit",
        status="active",
        description="d",
        groups=[c.RuleGroupItem(group_id="g1", weight=100, region_id="r1", zone_id="z1")],
    ),
    c.RuleUpdate(route_id="rt", name="n", description="", strategy="weighted-round-robin", status="inactive"),
    c.RuleDelete(route_id="rt"),
    c.RulePublish(route_id="rt"),
    c.RuleUnpublish(route_id="rt"),
    c.RuleGroupAdd(route_id="rt", group_id="g1", weight=1, region_id="r1", zone_id="z1"),
    c.RuleGroupUpdate(route_id="rt", group_id="g1", weight=50),
    c.RuleGroupRemove(route_id="rt", group_id="g1"),
    c.RuleGroupStage(route_id="rt", group_id="5", weight=60),
    c.RuleGroupRelease(route_id="rt", group_id="5"),
    c.GroupOperate(group_key="svc:r1:z1:g1", operation="pullout", operation_complete=True),
    c.ServiceInstancePut(
        instance=JServiceInstance(
            service_id="svc", instance_id="s1", ip="1.2.3.4", port=80, metadata={"a": "b"}, group_id=7
        )
    ),
    c.ServiceInstanceDelete(service_id="svc", instance_id="s1"),
]


def test_every_command_has_an_example() -> None:
    """The examples cover every command class of the union, once each."""
    assert sorted(type(e).__name__ for e in EXAMPLES) == sorted(cls.__name__ for cls in COMMANDS)


@pytest.mark.parametrize("command", EXAMPLES, ids=lambda e: command_name(e))
def test_round_trip(command: CommandBase) -> None:
    """A command encodes to JSON tagged with its name and decodes, through the union, to an equal command."""
    data = msgspec.json.encode(command)
    assert msgspec.json.decode(data)["command"] == command_name(command)
    back = msgspec.json.decode(data, type=Command)
    assert type(back) is type(command)
    assert back == command


def test_command_names_are_the_old_names() -> None:
    """Tags are unique and keep the names the change log and the metric have always carried."""
    names = [str(cls.__struct_config__.tag) for cls in COMMANDS]
    assert len(set(names)) == len(names)
    plain = {"instance.operate", "server.operate", "zone.operate"}
    plain |= {"canary.set", "canary.enable", "canary.delete", "canary.whitelist"}
    assert plain <= set(names)
    assert all(n.startswith("routing.") for n in set(names) - plain)


def test_commands_are_frozen() -> None:
    """A command cannot be changed once built (a re-planned attempt sees the same arguments)."""
    cmd = c.CanaryDelete(service_id="svc")
    with pytest.raises(AttributeError):
        cmd.service_id = "other"  # type: ignore[misc]


def test_decoding_checks_types() -> None:
    """A command decoded from JSON is checked like any Struct: a wrong literal is refused, naming the field."""
    bad = b'{"command":"instance.operate","regionId":"r","serviceId":"s","instanceId":"i","operation":"stop"}'
    with pytest.raises(msgspec.ValidationError, match="operation"):
        msgspec.json.decode(bad, type=Command)


def test_one_handler_per_command_class(tmp_path: Path) -> None:
    """The management service registers exactly one handler for each command class, and no other."""
    node = Node(make_settings(tmp_path))
    assert set(node.management.handlers) == set(COMMANDS)
    with pytest.raises(ValueError, match="second handler"):
        node.management.handle(c.CanaryDelete, node.management.handlers[c.CanaryDelete])


def test_a_command_without_handler_is_refused(tmp_path: Path) -> None:
    """A command class nobody handles is a 400 naming `command`, before the database is touched."""

    class Stray(CommandBase, frozen=True, tag="stray.command"):
        pass

    node = Node(make_settings(tmp_path))
    with pytest.raises(BadRequestError) as err:
        asyncio.run(node.management.execute(Stray()))  # type: ignore[arg-type]
    assert err.value.field == "command"
    assert "stray.command" in str(err.value)
