"""Reading and checking JSON request bodies, with messages that name the offending field.

Any client mistake becomes an ApiError (400, 413 or 415), never an exception that would
surface as a 500.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any, TypeGuard

import anyio
from starlette.requests import Request

from .errors import ApiError, bad_field, printable

MAX_BODY = 1 << 20  # 1 MiB
BODY_TIMEOUT = 30
# Nothing the documents describe nests deeper than a few levels; a body nested hundreds
# deep was stored once and then broke every read of the company (RecursionError on output).
MAX_DEPTH = 32
# Every text field of both APIs is a name, a code or a short note; a bound keeps one
# request from adding megabytes to a feed page that every client then downloads.
MAX_TEXT = 4000
_INT_RE = re.compile(r"[0-9]{1,10}")
_DECIMAL_RE = re.compile(r"[+-]?[0-9]{1,15}(\.[0-9]{1,10})?")
GUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
INT32_MAX = 2147483647
# Characters outside XML 1.0's Char production (including lone surrogates).
_BAD_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def is_guid(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and GUID_RE.match(value) is not None


def same_guid(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def positive_int32(raw: str) -> int | None:
    """A URI id typed as a positive 32-bit integer, or None.

    ASCII digits only, the whole segment (``re.match`` with ``$`` lets "1\\n" through):
    ``str.isdigit`` accepts "²", which ``int`` refuses, and ``int`` refuses more than 4,300
    digits; both once surfaced as 500s.
    """
    if not _INT_RE.fullmatch(raw):
        return None
    value = int(raw)
    return value if 1 <= value <= INT32_MAX else None


def as_integer(value: Any) -> int | None:
    """A JSON number that JSON Schema calls an integer (``14202`` and ``14202.0``), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def decimal_number(value: Any) -> bool:
    """Whether a JSON number or numeric string is a plain decimal of bounded size.

    An exponent such as "1e999999999999999999" would expand to a gigabyte of digits once
    written as xs:decimal, so a decimal here is at most 15 integer and 10 fraction digits.
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return math.isfinite(value) and abs(value) < 1e15
    return isinstance(value, str) and _DECIMAL_RE.fullmatch(value) is not None


def show(value: Any) -> str:
    """A short JSON rendering of a client value for an error message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:30]} is out of range")
    return value


def _json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_json(request: Request) -> Any:
    """The request's JSON body: 413 over 1 MiB, 400 if missing, 415 if not sent as JSON,
    400 if malformed."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise ApiError("too_large", limit=MAX_BODY)
    chunks = []
    size = 0
    # The server bounds the headers (server.SandboxProtocol); a body dripped byte by byte
    # would hold the connection and its handler as long, so it has a bound of its own.
    with anyio.move_on_after(BODY_TIMEOUT) as scope:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:
                raise ApiError("too_large", limit=MAX_BODY)
            chunks.append(chunk)
    if scope.cancelled_caught:
        raise ApiError("body_timeout", seconds=BODY_TIMEOUT)
    raw = b"".join(chunks)
    if not raw.strip():
        # No body at all: the body is what is missing, whatever the Content-Type says.
        raise bad_field("body", "a JSON body is required")
    content_type = request.headers.get("content-type", "")
    if not _json_media_type(content_type):
        raise ApiError("unsupported_media_type", content_type=show(content_type or "nothing"))
    try:
        value = json.loads(raw, parse_constant=_reject_constant, parse_float=_parse_float)
    except RecursionError:
        raise _depth_error() from None
    except UnicodeDecodeError:
        raise bad_field("body", "the body is not UTF-8 text") from None
    except ValueError as exc:
        raise bad_field("body", f"not valid JSON ({exc})") from None
    check_text(value)
    return value


def _depth_error() -> ApiError:
    return bad_field("body", f"the JSON is nested more than {MAX_DEPTH} levels deep")


def check_text(value: Any, path: str = "") -> None:
    """Refuse characters XML 1.0 cannot carry (control characters, lone surrogates), text
    longer than MAX_TEXT and nesting deeper than MAX_DEPTH.

    Text sent to either API can end up in the Atom feed, and a document that cannot be
    serialized would break the feed for good; a lone surrogate cannot even be encoded in
    a UTF-8 JSON answer.
    """
    stack = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            _check_string(item, where)
        elif isinstance(item, list | dict) and depth >= MAX_DEPTH:
            raise _depth_error()
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else key
                if _BAD_XML_CHAR.search(key) or len(key) > 80:
                    name = printable(name)
                    _check_string(key, name)
                stack.append((child, name, depth + 1))


def _check_string(text: str, where: str) -> None:
    if len(text) > MAX_TEXT:
        raise bad_field(where or "body", f"is longer than {MAX_TEXT} characters")
    match = _BAD_XML_CHAR.search(text)
    if match is not None:
        raise bad_field(
            where or "body",
            f"contains the character U+{ord(match.group()):04X}, which XML cannot carry",
        )


class Obj:
    """Typed access to the fields of a JSON object; every failure names the field path."""

    def __init__(self, value: Any, path: str = "", what: str = "object") -> None:
        self.path = path
        if not isinstance(value, dict):
            raise bad_field(path or "body", f"must be a JSON {what}, not {show(value)}")
        self.value: dict[str, Any] = value

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def only(self, allowed: Iterable[str], what: str) -> None:
        allowed_set = set(allowed)
        for key in self.value:
            if key not in allowed_set:
                raise bad_field(self.name(key), f"is not a field of {what}")

    def has(self, key: str) -> bool:
        return key in self.value

    def _get(self, key: str, required: bool) -> Any:
        if key not in self.value or (required and self.value[key] is None):
            if required:
                raise bad_field(self.name(key), "is required")
            return None
        return self.value[key]

    def guid(self, key: str, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not is_guid(value):
            raise bad_field(
                self.name(key), f"must be a GUID (8-4-4-4-12 hexadecimal), not {show(value)}"
            )
        return str(value)

    def string(self, key: str, required: bool = False, min_length: int = 0) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise bad_field(self.name(key), f"must be a string, not {show(value)}")
        if len(value) < min_length:
            raise bad_field(self.name(key), "must not be empty")
        return value

    def integer(
        self,
        key: str,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        raw = self._get(key, required)
        if raw is None:
            return None
        value = as_integer(raw)
        if value is None:
            raise bad_field(self.name(key), f"must be an integer, not {show(raw)}")
        if minimum is not None and value < minimum:
            raise bad_field(self.name(key), f"must be at least {minimum}, not {value}")
        if maximum is not None and value > maximum:
            raise bad_field(self.name(key), f"must be at most {maximum}, not {value}")
        return value

    def number(self, key: str, required: bool = False) -> int | float | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad_field(self.name(key), f"must be a number, not {show(value)}")
        return value

    def boolean(self, key: str, required: bool = False) -> bool | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise bad_field(self.name(key), f"must be true or false, not {show(value)}")
        return value

    def array(self, key: str, required: bool = False, min_items: int = 0) -> list[Any] | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, list):
            raise bad_field(self.name(key), f"must be an array, not {show(value)}")
        if len(value) < min_items:
            raise bad_field(self.name(key), f"must hold at least {min_items} item(s)")
        return value
