"""`python -m artemis_server [--config FILE]`: same as `artemis server start`."""

from __future__ import annotations

import sys

from artemis_cli.main import main

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "server", "start", *sys.argv[1:]]
    main()
