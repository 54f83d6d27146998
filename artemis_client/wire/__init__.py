"""Every wire shape of Artemis (spec/api.md), one definition each, used by server and clients alike.

========== ==========================================================================================
module     what
========== ==========================================================================================
codec      tolerant decoding (N1), compact camelCase encoding (N2, T2), the ``CamelStruct`` base
ids        id limits and forbidden characters (T11), as annotated types on the fields
envelope   the envelope families A / B / C (0.4), ResponseStatus, answer -> result or error
========== ==========================================================================================

Only the standard library and msgspec are imported, so a light client can use these without the server's
dependencies.
"""

from __future__ import annotations
