"""The sans-I/O client core without sockets: answer decoding into Structs and errors, and the failover
decisions for every kind of failure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import pytest

from artemis_client._core import Answer, Failover, Failure, Request, decode
from artemis_client.errors import (
    ArtemisError,
    AuthError,
    BadRequestError,
    InvalidResponseError,
    NoSuchPathError,
    NotFoundError,
    RateLimitedError,
    TransportError,
    UnavailableError,
)
from artemis_client.wire.management import ZoneStatus
from artemis_client.wire.registry import Instance, Service

S = "http://a:1"


def answer(status: int, doc: Any) -> Answer:
    return Answer(status, doc if isinstance(doc, bytes) else msgspec.json.encode(doc))


def ok_a(**payload: Any) -> dict[str, Any]:
    return {**payload, "responseStatus": {"status": "success", "errorCode": "success", "message": ""}}


def fail_a(code: str, message: str = "no") -> dict[str, Any]:
    return {
        "responseStatus": {"status": "fail", "errorCode": code, "message": message, "errorMessage": message}
    }


def test_family_a_payload_decodes_into_the_struct() -> None:
    """A family A answer's picked payload is decoded into the wire Struct (keys matched as on the server)."""
    req: Request[Service] = Request("GET", "/x", pick="service", shape=Service)
    svc = decode(
        req,
        answer(200, ok_a(service={"serviceId": "s", "instances": [{"serviceId": "s", "instanceId": "i"}]})),
        S,
    )
    assert svc == Service("s", [Instance("s", "i")])


def test_many_missing_list_is_empty_and_non_list_is_invalid() -> None:
    """``many`` answers: a missing list is ``[]``; something else than a list is an InvalidResponseError."""
    req: Request[list[Service]] = Request("GET", "/x", pick="services", shape=Service, many=True)
    assert decode(req, answer(200, ok_a()), S) == []
    with pytest.raises(InvalidResponseError):
        decode(req, answer(200, ok_a(services={"no": 1})), S)


def test_wrong_shape_is_invalid_response_naming_the_field() -> None:
    """An answer that does not fit the Struct raises InvalidResponseError with the field."""
    req: Request[ZoneStatus] = Request("GET", "/z", family="C", shape=ZoneStatus)
    with pytest.raises(InvalidResponseError) as ei:
        decode(
            req, answer(200, {"success": True, "data": {"zoneId": "z", "regionId": "r", "isDown": "no"}}), S
        )
    assert ei.value.field == "isDown"


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("data-not-found", NotFoundError),
        ("rate-limited", RateLimitedError),
        ("bad-request", BadRequestError),
        ("unauthorized", AuthError),
        ("something-new", ArtemisError),
    ],
)
def test_family_a_failure_inside_200_is_the_class_of_its_code(code: str, cls: type[ArtemisError]) -> None:
    """Business failures answered inside HTTP 200 (T8) raise the class their errorCode names."""
    with pytest.raises(cls) as ei:
        decode(Request("POST", "/x"), answer(200, fail_a(code, "it failed")), S)
    assert type(ei.value) is cls
    assert ei.value.message == "it failed"


def test_partial_fail_is_an_answer_only_when_the_call_accepts_it() -> None:
    """``partial_fail`` returns the document for a call with ``partial_ok`` (heartbeat), else it raises."""
    doc = {"failedInstanceKeys": [], "responseStatus": {"status": "partial_fail", "errorCode": "bad-request"}}
    assert decode(Request("POST", "/h", partial_ok=True), answer(200, doc), S)["failedInstanceKeys"] == []
    with pytest.raises(BadRequestError):
        decode(Request("POST", "/h"), answer(200, doc), S)


def test_family_c_failure_carries_code_field_and_details() -> None:
    """A family C failure becomes the class of ``error.code`` with its field and details."""
    doc = {
        "success": False,
        "message": "bad weight",
        "error": {"code": "bad-request", "message": "x", "field": "weight"},
    }
    with pytest.raises(BadRequestError) as ei:
        decode(Request("POST", "/r", family="C"), answer(400, doc), S)
    assert (ei.value.message, ei.value.field) == ("bad weight", "weight")


def test_401_says_what_to_do_and_404_of_unknown_path_says_so() -> None:
    """A 401 message carries the request's hint; a 404 without an envelope is NoSuchPathError (a server
    without this feature), a 404 in the envelope is NotFoundError naming the thing."""
    req: Request[Any] = Request("GET", "/api/x", family="C", auth_hint="log in")
    with pytest.raises(AuthError) as ei:
        decode(req, answer(401, {"success": False, "message": "token expired"}), S)
    assert str(ei.value) == "not authorized: token expired (log in)"
    with pytest.raises(NoSuchPathError) as nf:
        decode(req, answer(404, {"detail": "Not Found"}), S)
    assert "does not serve GET /api/x" in str(nf.value)
    with pytest.raises(NotFoundError) as gone:
        decode(Request("GET", "/g", family="C", what="group 7"), answer(404, {"success": False}), S)
    assert not isinstance(gone.value, NoSuchPathError)
    assert str(gone.value) == "group 7: not found"


def test_non_json_success_is_invalid_and_raw_is_text() -> None:
    """A 200 that is not JSON is InvalidResponseError; a raw call returns the text."""
    with pytest.raises(InvalidResponseError):
        decode(Request("GET", "/x"), answer(200, b"<html>"), S)
    assert decode(Request("GET", "/health", family="raw"), answer(200, b"OK"), S) == "OK"


def test_lookup_returns_the_instance() -> None:
    """The R single lookup (``{success, instance}``) returns the instance."""
    req: Request[Instance] = Request("POST", "/l", family="lookup", shape=Instance)
    got = decode(req, answer(200, {"success": True, "instance": {"serviceId": "s", "instanceId": "i"}}), S)
    assert got == Instance("s", "i")


# -- failover ------------------------------------------------------------------------------------------


def drive(fo: Failover, req: Request[Any], outcomes: Sequence[Answer | Failure]) -> tuple[Any, list[str]]:
    """Run the policy with scripted outcomes per attempt; returns (result, servers asked)."""
    asked: list[str] = []
    gen = fo.attempts(req)
    try:
        server = next(gen)
        for outcome in outcomes:
            asked.append(server)
            server = gen.send(outcome)
    except StopIteration as done:
        return done.value, asked
    raise AssertionError(f"the policy asked more servers than scripted: {asked}")


OK = answer(200, ok_a(value=1))
UNSENT = Failure("connection refused", sent=False)
SENT = Failure("timed out", sent=True)


def test_unsent_failure_moves_on_even_for_a_write_and_remembers_the_server() -> None:
    """A connection never established moves on for any call; the server that answered is asked first
    next time."""
    fo = Failover(["http://a", "http://b", "http://c"])
    result, asked = drive(fo, Request("POST", "/w", pick="value"), [UNSENT, OK])
    assert (result, asked) == (1, ["http://a", "http://b"])
    assert (fo.preferred, fo.last_server) == (1, "http://b")
    _, asked = drive(fo, Request("GET", "/r", safe=True, pick="value"), [OK])
    assert asked == ["http://b"]


def test_sent_failure_moves_on_only_for_safe_calls() -> None:
    """A failure after the request left: a safe call tries the next server; a write raises TransportError
    saying the outcome is unknown."""
    fo = Failover(["http://a", "http://b"])
    assert drive(fo, Request("GET", "/r", safe=True, pick="value"), [SENT, OK])[0] == 1
    fo = Failover(["http://a", "http://b"])
    with pytest.raises(TransportError, match="may or may not have been applied"):
        drive(fo, Request("POST", "/w"), [SENT])


def test_unavailable_moves_on_even_for_a_write_but_a_gateway_error_does_not() -> None:
    """503 / service-unavailable: the node applied nothing, so a write goes on; 502/504 leave the outcome
    unknown, so a write stops with UnavailableError (a safe call goes on)."""
    unavailable = answer(200, fail_a("service-unavailable"))
    assert (
        drive(Failover(["http://a", "http://b"]), Request("POST", "/w", pick="value"), [unavailable, OK])[0]
        == 1
    )
    assert (
        drive(
            Failover(["http://a", "http://b"]), Request("POST", "/w", pick="value"), [answer(503, b""), OK]
        )[0]
        == 1
    )
    with pytest.raises(UnavailableError):
        drive(Failover(["http://a", "http://b"]), Request("POST", "/w"), [answer(502, b"")])
    assert (
        drive(
            Failover(["http://a", "http://b"]),
            Request("GET", "/r", safe=True, pick="value"),
            [answer(504, b""), OK],
        )[0]
        == 1
    )


def test_everything_failed_is_transport_or_unavailable() -> None:
    """No server answered at all: TransportError listing each; some answered "unavailable": UnavailableError."""
    with pytest.raises(TransportError, match=r"cannot reach any server \(2 tried\)"):
        drive(Failover(["http://a", "http://b"]), Request("GET", "/r", safe=True), [UNSENT, SENT])
    with pytest.raises(UnavailableError, match="no server could serve"):
        drive(Failover(["http://a", "http://b"]), Request("GET", "/r", safe=True), [UNSENT, answer(503, b"")])


def test_an_answered_error_is_not_retried_elsewhere() -> None:
    """A refusal from a node that answered is final: the next server is not asked."""
    fo = Failover(["http://a", "http://b"])
    gen = fo.attempts(Request("GET", "/r", safe=True))
    assert next(gen) == "http://a"
    with pytest.raises(NotFoundError):
        gen.send(answer(200, fail_a("data-not-found")))
