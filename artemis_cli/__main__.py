from __future__ import annotations

from artemis_cli.main import main

if __name__ == "__main__":
    main()
