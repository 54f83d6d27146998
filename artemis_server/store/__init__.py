"""SQLAlchemy 2 persistence of the management state (S17) and its Alembic migrations."""

import logging

# Alembic narrates every plugin (at import) and every migration step at INFO; the server logs one line when
# the management state is loaded instead.
logging.getLogger("alembic").setLevel(logging.WARNING)
