"""The three answer envelopes of api.md 0.4 and how a client turns an answer into a result or an error.

* **A** (Artemis): payload fields plus ``responseStatus`` (:class:`ResponseStatus`). Registry, discovery,
  replication, status, cluster and every Java management path; business failures travel inside HTTP 200
  (T8).
* **B** (R management): family A plus ``status``, the same ResponseStatus object.
* **C** (ApiResponse): ``{success, data}`` on success, ``{success: false, message, error?}`` on failure.

Typed answers of family A are Structs whose last field is ``response_status`` (payload keys first, as the
server writes them); families B and C wrap their payload in the envelope Structs below.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

import msgspec

from artemis_client.errors import ArtemisError, InvalidResponseError, from_envelope
from artemis_client.wire.codec import CamelStruct, convert

T = TypeVar("T")

Family = Literal["A", "B", "C", "raw"]
"""The envelope family of an endpoint (``raw``: no envelope, e.g. ``/health``)."""


class ResponseStatus(msgspec.Struct, rename="camel"):
    """``responseStatus`` (api.md 0.4): ``status`` is exactly ``success`` on success (N5), as Java checks it.

    ``status``: ``success`` | ``fail`` | ``partial_fail`` | ``unknown``. ``errorCode`` and ``message`` are
    always written (``message`` is ``""`` on success, J); ``errorMessage`` (R) only when the call did not
    succeed. Read back, only ``status`` is required: R peers leave ``message`` out.
    """

    status: str
    error_code: str = ""
    message: str = ""
    error_message: str | msgspec.UnsetType = msgspec.UNSET


OK = ResponseStatus("success", "success", "")
"""The ResponseStatus of every successful family A / B answer."""


def fail_status(code: str, message: str, status: str = "fail") -> ResponseStatus:
    """A failed ResponseStatus: ``message`` and ``errorMessage`` carry the same text."""
    return ResponseStatus(status, code, message, message)


class EnvelopeA(CamelStruct):
    """Family A (api.md 0.4) without payload: an answer that only reports its outcome."""

    response_status: ResponseStatus


class EnvelopeB(CamelStruct):
    """Family B: family A plus ``status``, the same ResponseStatus object (R management paths)."""

    response_status: ResponseStatus
    status: ResponseStatus


class ApiError(CamelStruct):
    """The ``error`` object of a failed family C answer (house style; never replaces ``message``)."""

    code: str
    message: str
    field: str | None = None
    details: Any = None


class EnvelopeC(CamelStruct):
    """Family C (ApiResponse): ``success``; ``data`` on success (may be null); ``message`` on failure."""

    success: bool
    data: Any = msgspec.UNSET
    message: str | msgspec.UnsetType = msgspec.UNSET
    error: ApiError | None = None


def parse_answer(body: bytes, http_status: int) -> Any:
    """Parse an answer of any family and raise the error it carries; returns the decoded document.

    Raises:
        ArtemisError: the class the server raised (:func:`artemis_client.errors.from_envelope`).
        InvalidResponseError: the body is not JSON (and the status does not already say what went wrong).
    """
    doc: Any = None
    if body.strip():
        try:
            doc = msgspec.json.decode(body)
        except msgspec.DecodeError:
            if http_status >= 400:
                doc = None
            else:
                raise InvalidResponseError(
                    f"the answer is not JSON (HTTP {http_status}, {len(body)} bytes)"
                ) from None
    err = from_envelope(doc, http_status)
    if err is not None:
        raise err
    return doc


def answer_as(doc: Any, tp: type[T]) -> T:
    """Read a decoded document (or a part of it) as the wire shape ``tp``, keys matched as on the server.

    Raises:
        InvalidResponseError: the document does not have that shape; the message names the field.
    """
    try:
        return convert(doc, tp)
    except ArtemisError as exc:
        raise InvalidResponseError(f"unexpected answer: {exc.message}", field=exc.field) from None
