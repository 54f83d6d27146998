"""Flag and argument values, checked by the CLI before any request is sent.

Every value a user types goes through one of these functions, either as a Typer ``parser=`` (see
``options.py``) or called by a command. A bad value raises
:class:`~artemis_client.errors.InvalidArgumentError` (exit 2) with one plain sentence that names the flag:
``--ip: 'x' is not an IP address or CIDR block``.
Typer's own coercion (pydantic wording such as ``Input should be ...``) is never reached for our parameters.

Parsers are also handed the parameter's default value, so each accepts an already-typed value too.
Standard library only, imported lazily where it costs anything: ``artemis --help`` loads this module.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, TypeVar

from artemis_client.errors import InvalidArgumentError

MAX_ID = 256
"""Longest service, instance, region, zone, group, rule or operator id (api.md T11)."""
MAX_TEXT = 1024

E = TypeVar("E", bound=Enum)
Parser = Callable[[Any], Any]

# Unicode categories that have no business in an id: C0/C1 controls, format characters (bidi overrides,
# zero-width characters), line and paragraph separators.
_CONTROL = {"Cc", "Cf", "Zl", "Zp"}


def bad(flag: str, message: str) -> InvalidArgumentError:
    """The error for a wrong value of ``flag``: one line, exit 2."""
    return InvalidArgumentError(f"{flag}: {message}")


def _shown(value: Any) -> str:
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text)


def _control_char(value: str) -> str | None:
    for ch in value:
        if unicodedata.category(ch) in _CONTROL:
            return f"U+{ord(ch):04X}"
    return None


def ident(flag: str, value: Any, *, what: str = "an id") -> str:
    """A non-empty id of at most 256 characters without control characters; surrounding blanks dropped."""
    text = str(value).strip()
    if not text:
        raise bad(flag, f"{what} must not be empty")
    if len(text) > MAX_ID:
        raise bad(flag, f"{what} has {len(text)} characters; at most {MAX_ID} are allowed")
    ch = _control_char(text)
    if ch:
        raise bad(flag, f"{_shown(text)} contains a control character ({ch})")
    return text


def text(flag: str, value: Any) -> str:
    """Free text (descriptions): at most 1024 characters, no control characters except tabs."""
    s = str(value)
    if len(s) > MAX_TEXT:
        raise bad(flag, f"the text has {len(s)} characters; at most {MAX_TEXT} are allowed")
    ch = _control_char(s.replace("\t", " "))
    if ch:
        raise bad(flag, f"the text contains a control character ({ch})")
    return s


def ip(flag: str, value: Any) -> str:
    import ipaddress

    s = str(value).strip()
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        raise bad(flag, f"{_shown(s)} is not an IP address") from None


def ip_or_cidr(flag: str, value: Any) -> str:
    """An IP address or a CIDR block (``10.2.0.0/16``; host bits may be set, as the server accepts)."""
    import ipaddress

    s = str(value).strip()
    try:
        if "/" in s:
            ipaddress.ip_network(s, strict=False)
        else:
            ipaddress.ip_address(s)
    except ValueError:
        raise bad(flag, f"{_shown(s)} is not an IP address or CIDR block") from None
    return s


def integer(flag: str, value: Any, *, low: int, high: int | None = None, what: str = "") -> int:
    if isinstance(value, bool):
        raise bad(flag, f"{_shown(value)} is not a whole number")
    if isinstance(value, int):
        n = value
    else:
        s = str(value).strip()
        if not re.fullmatch(r"[+-]?\d+", s):
            raise bad(flag, f"{_shown(s)} is not a whole number")
        n = int(s)
    if n < low or (high is not None and n > high):
        span = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise bad(flag, f"{n} is out of range: {what or 'the value'} must be {span}")
    return n


def port(flag: str, value: Any) -> int:
    return integer(flag, value, low=1, high=65535, what="a port")


def weight(flag: str, value: Any) -> int:
    return integer(flag, value, low=1, high=100, what="a weight")


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def seconds(flag: str, value: Any, *, low: float, high: float | None = None) -> float:
    """A duration: ``5``, ``0.5``, ``250ms``, ``5s``, ``2m``, ``1h`` -> seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        n = float(value)
    else:
        s = str(value).strip().lower()
        m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?", s)
        if not m:
            raise bad(flag, f"{_shown(value)} is not a duration (for example 5, 0.5, 250ms, 2m)")
        n = float(m.group(1)) * _UNITS[m.group(2) or "s"]
    if not math.isfinite(n) or n < low or (high is not None and n > high):
        span = f"between {low:g}s and {high:g}s" if high is not None else f"at least {low:g}s"
        raise bad(flag, f"{n:g}s is out of range: it must be {span}")
    return n


def choice(flag: str, enum: type[E], value: Any) -> E:
    """An enum member by its value, case-insensitively, ``_`` and ``-`` alike."""
    if isinstance(value, enum):
        return value

    def norm(s: str) -> str:
        return s.strip().lower().replace("_", "-")

    for member in enum:
        if norm(str(member.value)) == norm(str(value)):
            return member
    allowed = ", ".join(str(m.value) for m in enum)
    raise bad(flag, f"{_shown(value)} is not one of {allowed}")


def url(flag: str, value: Any) -> str:
    s = str(value).strip()
    scheme, sep, rest = s.partition("://")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) or not rest or rest.startswith("/"):
        raise bad(flag, f"{_shown(s)} is not a URL (scheme://host[:port][/path])")
    if len(s) > MAX_TEXT or _control_char(s):
        raise bad(flag, f"{_shown(s)} is not a URL (too long or with control characters)")
    return s


def http_url(flag: str, value: Any) -> str:
    s = url(flag, value)
    if s.split("://", 1)[0].lower() not in ("http", "https"):
        raise bad(flag, f"{_shown(s)} is not an http:// or https:// URL")
    return s


def key_value(flag: str, value: Any) -> tuple[str, str]:
    """``KEY=VALUE`` (the value may be empty or contain ``=``)."""
    k, sep, v = str(value).partition("=")
    if not sep or not k.strip():
        raise bad(flag, f"{_shown(value)} is not KEY=VALUE")
    key = ident(flag, k, what="the key")
    ch = _control_char(v.replace("\t", " "))
    if ch or len(v) > MAX_TEXT:
        raise bad(flag, f"the value of {key} is longer than {MAX_TEXT} characters or has a control character")
    return key, v


def pairs(flag: str, items: Iterable[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        k, v = key_value(flag, item)
        out[k] = v
    return out


# -- Typer parsers: ``typer.Option(parser=...)`` ----------------------------------------------------------


def _lift(check: Callable[[str, Any], Any], flag: str) -> Parser:
    def parse(value: Any) -> Any:
        return None if value is None else check(flag, value)

    parse.__name__ = f"parse_{flag.strip('-').replace('-', '_') or 'value'}"
    return parse


def ident_parser(flag: str, what: str = "an id") -> Parser:
    return _lift(lambda f, v: ident(f, v, what=what), flag)


def text_parser(flag: str) -> Parser:
    return _lift(text, flag)


def ip_parser(flag: str) -> Parser:
    return _lift(ip, flag)


def ip_or_cidr_parser(flag: str) -> Parser:
    return _lift(ip_or_cidr, flag)


def port_parser(flag: str) -> Parser:
    return _lift(port, flag)


def weight_parser(flag: str) -> Parser:
    return _lift(weight, flag)


def count_parser(flag: str, low: int = 1, high: int | None = None) -> Parser:
    return _lift(lambda f, v: integer(f, v, low=low, high=high), flag)


def seconds_parser(flag: str, low: float, high: float | None = None) -> Parser:
    return _lift(lambda f, v: seconds(f, v, low=low, high=high), flag)


def choice_parser(flag: str, enum: type[Enum]) -> Parser:
    return _lift(lambda f, v: choice(f, enum, v), flag)


def url_parser(flag: str) -> Parser:
    return _lift(url, flag)


def http_url_parser(flag: str) -> Parser:
    return _lift(http_url, flag)


def key_value_parser(flag: str) -> Parser:
    """Checks the form of one ``KEY=VALUE`` item and keeps it a string (commands build the dict)."""

    def check(f: str, v: Any) -> str:
        key_value(f, v)
        return str(v)

    return _lift(check, flag)
