"""Management ids longer than their J/R schema columns are a 400 naming the field, on SQLite and PostgreSQL
(PostgreSQL enforces VARCHAR widths; the node used to answer 503 "database unavailable")."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/management/zone/pull-out", {"zoneId": "z" * 65, "regionId": "r"}, "zoneId"),
        ("/api/management/zone/pull-out", {"zoneId": "z", "regionId": "r" * 65}, "regionId"),
        (
            "/api/management/server/operate-server.json",
            {"serverId": "1" * 129, "regionId": "r", "operation": "pullout"},
            "serverId",
        ),
        (
            "/api/routing/groups",
            {"serviceId": "s", "regionId": "r", "zoneId": "z", "name": "n" * 129, "groupType": "physical"},
            "name",
        ),
        (
            "/api/management/instance/operate-instance.json",
            {
                "instanceKey": {"serviceId": "s", "instanceId": "i", "regionId": "r" * 65},
                "operation": "pullout",
            },
            "instanceKey.regionId",
        ),
        (
            "/api/management/canary/config",
            {"serviceId": "s", "ipWhitelist": [], "operatorId": "o" * 129},
            "operatorId",
        ),
    ],
)
def test_ids_wider_than_their_columns_are_refused(
    api: httpx.Client, path: str, body: dict[str, object], field: str
) -> None:
    """Region/zone over 64, server id, names and operator over 128 characters answer 400 naming the field."""
    r = api.post(path, json=body)
    assert r.status_code == 400, r.text
    assert f"`{field}`" in r.text


def test_other_values_too_wide_for_the_database_are_a_400(api: httpx.Client) -> None:
    """A free-text value longer than its column is the client's error (400), never 'database unavailable'."""
    body = {
        "serviceId": "s",
        "regionId": "r",
        "zoneId": "z",
        "name": "n",
        "groupType": "physical",
        "description": "d" * 5000,
    }
    r = api.post("/api/routing/groups", json=body)
    assert r.status_code in (201, 400), r.text  # SQLite stores it, PostgreSQL refuses it: never a 5xx
    assert api.get("/health").status_code == 200
