"""`python -m artemis_server [--config FILE]`: run one node in the foreground, like `artemis server start`.

The server package starts without the CLI (import-linter keeps artemis_server free of artemis_cli): the
settings come from the file, ``ARTEMIS_CONFIG`` and ``ARTEMIS_<SECTION>__<KEY>`` variables; the command
line's other flags (``--addr``, ``--peer``, ...) are the CLI's.
"""

from __future__ import annotations

import argparse
import sys

from artemis_server.serve import run
from artemis_server.settings import ConfigError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m artemis_server",
        description="Run a registry node in the foreground until Ctrl-C / SIGTERM.",
    )
    parser.add_argument("--config", metavar="FILE", help="TOML config file (env ARTEMIS_CONFIG).")
    args = parser.parse_args(argv)
    try:
        settings, warnings = load_settings(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
