"""Artemis for Python, client side: the SDK, the wire shapes and the error tree shared with the server.

``AsyncArtemisClient`` (asyncio) and ``ArtemisClient`` (blocking, one background thread) register a
service's instances and keep them alive, discover services into a local cache kept fresh by push, pick
instances from it and follow changes (docs/sdk.md). ``artemis_client.wire`` holds every request, answer,
view and push frame of the wire contract (spec/api.md) as msgspec Structs; ``artemis_client.errors`` is the
one error tree.

Importing this package loads only the standard library (``artemis --help`` imports it for the error tree);
the shapes (msgspec) and the clients (httpx, websockets) are imported on first access to their names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from artemis_client.errors import ArtemisError

if TYPE_CHECKING:
    from artemis_client.client import AsyncArtemisClient
    from artemis_client.discovery import ServiceHandle
    from artemis_client.sync import ArtemisClient
    from artemis_client.wire.registry import Instance, InstanceChange

__version__ = "0.1.0"
__all__ = [
    "ArtemisClient",
    "ArtemisError",
    "AsyncArtemisClient",
    "Instance",
    "InstanceChange",
    "ServiceHandle",
    "__version__",
]

_LAZY = {
    "Instance": "artemis_client.wire.registry",
    "InstanceChange": "artemis_client.wire.registry",
    "AsyncArtemisClient": "artemis_client.client",
    "ArtemisClient": "artemis_client.sync",
    "ServiceHandle": "artemis_client.discovery",
}


def __getattr__(name: str) -> Any:
    # PEP 562: the clients pull in httpx and the shapes msgspec; the CLI imports this package for its errors.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'artemis_client' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
