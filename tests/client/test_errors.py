"""One error tree: what the server raises, a client rebuilds from the answer as the same class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from artemis_client import errors
from artemis_client.wire.envelope import ResponseStatus, answer_as, parse_answer
from tests.helpers import LiveServer

FOREIGN = {"Origin": "http://evil.example"}

# (method, path, body or raw bytes, extra headers, the class the server raised)
ANSWERS: list[tuple[str, str, Any, dict[str, str], type[errors.ArtemisError]]] = [
    ("GET", "/api/routing/groups/by-id/987654", None, {}, errors.NotFoundError),
    ("POST", "/api/routing/groups", {"serviceId": 7}, {}, errors.BadRequestError),
    ("GET", "/api/no/such/path", None, {}, errors.NoSuchPathError),
    ("DELETE", "/api/registry/register.json", None, {}, errors.MethodNotAllowedError),
    ("GET", "/api/auth/user", None, {}, errors.AuthError),
    ("GET", "/api/management/canary/configs", None, FOREIGN, errors.ForbiddenError),
    ("POST", "/api/discovery/services-delta.json", {}, {}, errors.BadRequestError),
    ("POST", "/api/discovery/services-delta.json", {"version": 1}, {}, errors.NotFoundError),
    ("POST", "/api/management/instance/is-instance-down.json", b"[1]", {}, errors.BadRequestError),
    (
        "POST",
        "/api/discovery/service.json",
        {"discoveryConfig": {"serviceId": "x" * 300}},
        {},
        errors.BadRequestError,
    ),
    (
        "POST",
        "/api/registry/register.json",
        {"instances": [{"serviceId": "s", "instanceId": "i", "metadata": {str(i): "v" for i in range(200)}}]},
        {},
        errors.PayloadTooLargeError,
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "headers", "raised"), ANSWERS)
def test_a_client_rebuilds_the_class_the_server_raised(
    http: httpx.Client,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],
    raised: type[errors.ArtemisError],
) -> None:
    """Errors of every envelope family (A inside a 200 or not, B, C, the JSON 404/405 of unknown paths) come
    back as the server's class, with its message (and, in family C, the field to blame)."""
    kw: dict[str, Any] = {"headers": headers}
    if isinstance(body, bytes):
        kw["content"] = body
    elif body is not None:
        kw["json"] = body
    r = http.request(method, path, **kw)
    with pytest.raises(errors.ArtemisError) as info:
        parse_answer(r.content, r.status_code)
    assert type(info.value) is raised, (r.status_code, r.text)
    assert info.value.message
    if r.status_code >= 400 and raised is errors.BadRequestError and "success" in r.json():
        assert info.value.field == "serviceId"


def test_rate_limited_inside_a_200_is_rebuilt_from_its_code(make_server: Callable[..., LiveServer]) -> None:
    """Family A reports a rate limit inside HTTP 200 (T8); the code alone makes it a RateLimitedError."""
    srv = make_server(ratelimit={"requests_per_second": 0.001, "burst_size": 1})
    body = {"instanceKeys": [{"serviceId": "s", "instanceId": "i"}]}
    with httpx.Client(base_url=srv.url, timeout=10) as http:
        answers = [http.post("/api/registry/heartbeat.json", json=body) for _ in range(3)]
    limited = [r for r in answers if b"rate-limited" in r.content]
    assert limited
    assert limited[0].status_code == 200
    with pytest.raises(errors.RateLimitedError):
        parse_answer(limited[0].content, 200)


def test_success_answers_return_the_document(http: httpx.Client) -> None:
    """A success of any family is returned as the decoded document; a bare document (no envelope) too."""
    for path in ("/api/status/node.json", "/api/management/canary/configs"):
        r = http.get(path)
        assert parse_answer(r.content, r.status_code)
    r = http.get("/api/status/message/connections.json")
    assert set(parse_answer(r.content, r.status_code)) == {"registry", "discovery"}


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("bad-request", 413, errors.PayloadTooLargeError),
        ("bad-request", 200, errors.BadRequestError),
        ("partial_fail", 200, errors.BadRequestError),
        ("data-not-found", 200, errors.NotFoundError),
        ("no-such-path", 404, errors.NoSuchPathError),
        ("forbidden", 403, errors.ForbiddenError),
        ("no-permission", 200, errors.NoPermissionError),
        ("service-unavailable", 503, errors.UnavailableError),
        ("unknown", 200, errors.UnavailableError),
        ("internal-error", 500, errors.ArtemisError),
        (None, 401, errors.AuthError),
        ("something-new", 429, errors.RateLimitedError),
        ("something-new", 418, errors.ArtemisError),
    ],
)
def test_from_code_refines_by_status(
    code: str | None, status: int, expected: type[errors.ArtemisError]
) -> None:
    """The code picks the class, the HTTP status a more specific one sharing the code; other spellings of
    api.md 0.4 (J's partial_fail and unknown, R's internal-error) map to their meaning; an unknown code falls
    back to the status."""
    assert type(errors.from_code(code, "m", status)) is expected


def test_unreadable_answers_are_invalid_response_errors() -> None:
    """A 2xx answer that is not JSON, or a document of the wrong shape, raises InvalidResponseError naming
    the field; a non-JSON error page is judged by its status."""
    with pytest.raises(errors.InvalidResponseError):
        parse_answer(b"<html>", 200)
    with pytest.raises(errors.UnavailableError):
        parse_answer(b"<html>bad gateway</html>", 503)
    rs = answer_as({"status": "fail", "error_code": "rate-limited", "Message": "m"}, ResponseStatus)
    assert rs.error_code == "rate-limited"
    with pytest.raises(errors.InvalidResponseError) as info:
        answer_as({"status": "fail", "errorCode": 5, "message": ""}, ResponseStatus)
    assert info.value.field == "errorCode"


def test_client_only_kinds_have_no_http_status() -> None:
    """TransportError (no answer at all) and InvalidResponseError (an answer nobody can read) are never
    rendered by the server: they carry no HTTP status and codes no envelope uses."""
    for cls in (errors.TransportError, errors.InvalidResponseError):
        assert cls.http_status == 0
        assert type(errors.from_code(cls.code, "m", 200)) is not cls


def test_answers_of_r_peers_read_back() -> None:
    """An R-style ResponseStatus (no ``message``, ``errorMessage`` only) reads as the shared shape, and a
    failure written that way is rebuilt from its code."""
    rs = answer_as({"status": "success", "errorCode": "success"}, ResponseStatus)
    assert (rs.status, rs.message) == ("success", "")
    doc = {"responseStatus": {"status": "fail", "errorCode": "rate-limited", "errorMessage": "slow down"}}
    err = errors.from_envelope(doc, 200)
    assert isinstance(err, errors.RateLimitedError)
    assert err.message == "slow down"
