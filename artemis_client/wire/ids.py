"""Id constraints of the wire (api.md T11, S17): how long an id may be and which characters it may hold.

These annotated types sit on the Struct fields that carry ids, so decoding enforces them: a violation is a
400 naming the field, never a database error or a log line that prints as something it is not.
"""

from __future__ import annotations

import re
from typing import Annotated

import msgspec

MAX_ID_CHARS = 256
"""Longest service, instance, group, region or zone id (api.md T11); longer is a 400 naming the field."""
Id = Annotated[str, msgspec.Meta(max_length=MAX_ID_CHARS)]

# C0/C1 control characters (NUL, ESC, ...) and the bidirectional formatting characters (U+202E right-to-left
# override, isolates, marks): they make an id print as something it is not in logs, terminals and consoles.
_ID_FORBIDDEN = "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
ID_PATTERN = f"^[^{_ID_FORBIDDEN}]*$"
_BAD_ID_CHAR = re.compile(f"[{_ID_FORBIDDEN}]")
CleanId = Annotated[str, msgspec.Meta(max_length=MAX_ID_CHARS, pattern=ID_PATTERN)]
"""An id of a management request: length-limited and free of control and bidi characters (400 otherwise)."""
# Management state is persisted in the J/R schema (S17), whose columns are narrower for some ids:
# REGION_ID / ZONE_ID VARCHAR(64); SERVER_ID, NAME, OPERATOR_ID, TAG VARCHAR(128). Longer values are a 400
# naming the field rather than a database error.
LocationId = Annotated[str, msgspec.Meta(max_length=64, pattern=ID_PATTERN)]
ShortName = Annotated[str, msgspec.Meta(max_length=128, pattern=ID_PATTERN)]


def bad_id_char(value: str) -> str | None:
    """The first control or bidi formatting character of ``value`` as ``U+XXXX``, or None."""
    m = _BAD_ID_CHAR.search(value)
    return f"U+{ord(m.group()):04X}" if m else None
