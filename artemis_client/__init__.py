"""Artemis for Python, client side: the wire shapes and the error tree shared with the server.

``artemis_client.wire`` holds every request, answer, view and push frame of the wire contract (spec/api.md)
as msgspec Structs, with the tolerant decoding the server applies; ``artemis_client.errors`` is the one error
tree. The server, the CLI and the TUI use both; the Python SDK (issue 18) is built on them. Importing this
package loads only the standard library and msgspec.
"""

from __future__ import annotations

from artemis_client.errors import ArtemisError

__version__ = "0.1.0"
__all__ = ["ArtemisError", "__version__"]
