"""Mixed Java/Python clusters share one database; Java nodes write its tables without our change log.

A Python node with ``database.reload_interval_secs`` re-reads the tables and raises events only for what
changed; rows written without our folded key column are matched by folding in Python (S17.2).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import httpx
import websockets

from tests.helpers import LiveServer, make_settings, wait_for
from tests.management.ops import is_instance_down, operate_instance, register, visible


async def test_a_row_written_by_a_java_node_is_seen_and_can_be_undone(tmp_path: Path) -> None:
    """A Java node pulls out Ärger/J1 by writing the instance table: the Python node hides it within the
    reload interval, tells its subscribers, and a pull-in through Python (ids spelled otherwise) clears it."""
    db = tmp_path / "shared.db"
    node = LiveServer(
        make_settings(tmp_path / "py", database={"url": f"sqlite:///{db}", "reload_interval_secs": 0.3})
    ).start()
    try:
        with httpx.Client(base_url=node.url, timeout=10) as http:
            register(http, "Ärger", "J1")
            register(http, "Ärger", "J2", ip="10.0.0.2")
            assert visible(http, "Ärger") == ["J1", "J2"]
            async with websockets.connect(node.url.replace("http://", "ws://") + "/ws") as ws:
                await ws.send(json.dumps({"type": "subscribe", "serviceId": "ärger"}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "subscribed"
                with sqlite3.connect(db) as conn:  # what a Java node writes (no FOLD_KEY, no change log)
                    conn.execute(
                        "INSERT INTO instance (INSTANCE_ID, SERVICE_ID, REGION_ID, OPERATION, OPERATOR_ID) "
                        "VALUES ('J1', 'Ärger', 'default', 'pullout', 'java')"
                    )
                msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert [(c["changeType"], c["instance"]["instanceId"]) for c in msg["changes"]] == [
                    ("delete", "J1")
                ]
            assert visible(http, "Ärger") == ["J2"]
            assert is_instance_down(http, "äRGER", "j1")
            operate_instance(http, "ÄRGER", "j1", "pullin")
            assert visible(http, "Ärger") == ["J1", "J2"]
            with sqlite3.connect(db) as conn:
                assert conn.execute("SELECT COUNT(*) FROM instance").fetchone() == (0,)
            # and later reloads do not bring it back
            mgmt = node.node.management
            seen = mgmt.reloads
            wait_for(lambda: mgmt.reloads >= seen + 2, timeout=5, what="two more reloads")
            assert visible(http, "Ärger") == ["J1", "J2"]
    finally:
        node.stop()
