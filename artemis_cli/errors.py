"""Exit codes of the CLI (spec/cli.md), decided here and only here from the one error tree.

The client raises :mod:`artemis_client.errors` classes; commands raise the same classes for what they find
themselves (an unknown service is :class:`~artemis_client.errors.NotFoundError`, a bad flag value
:class:`~artemis_client.errors.InvalidArgumentError`). Standard library only, so every module may import it.

====  =====================================================================================================
exit  when
====  =====================================================================================================
1     the server answered and refused or failed the operation (any other :class:`ArtemisError`)
2     the request cannot be built from what the user gave (:class:`InvalidArgumentError`), or a refused
      confirmation (``artemis_cli.common.Refusal``)
3     the thing does not exist (:class:`NotFoundError`, also a path the server does not serve)
4     no answer from any configured server (:class:`TransportError`)
130   interrupted (:class:`Interrupted`)
====  =====================================================================================================
"""

from __future__ import annotations

from artemis_client.errors import ArtemisError, InvalidArgumentError, NotFoundError, TransportError
from artemis_client.servers import DEFAULT_SERVER, parse_servers

__all__ = ["DEFAULT_SERVER", "EXIT_USAGE", "Interrupted", "exit_code", "parse_servers"]

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_UNREACHABLE = 4
EXIT_INTERRUPTED = 130


class Interrupted(ArtemisError):  # noqa: N818 - an outcome, as its parent's siblings
    """The user interrupted a long-running command (Ctrl-C) before it could clean up."""

    code = "interrupted"
    http_status = 0


def exit_code(exc: ArtemisError) -> int:
    """The exit code of cli.md for an error of the tree."""
    if isinstance(exc, Interrupted):
        return EXIT_INTERRUPTED
    if isinstance(exc, InvalidArgumentError):
        return EXIT_USAGE
    if isinstance(exc, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(exc, TransportError):
        return EXIT_UNREACHABLE
    return EXIT_REFUSED
