"""Build the ASGI application served by uvicorn."""

from __future__ import annotations

from typing import Any

from artemis_server.node import Node
from artemis_server.settings import Settings


def build_asgi(settings: Settings, *, bound_port: int | None = None, node: Node | None = None) -> Any:
    from artemis_server.api.app import create_app

    node = node or Node(settings)
    node.bound_port = bound_port
    return create_app(settings, node)
