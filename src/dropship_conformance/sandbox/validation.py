"""Reading and checking JSON request bodies, with messages that name the offending field.

Any client mistake becomes an ApiError (400, 413 or 415), never an exception that would
surface as a 500.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request

from .errors import ApiError, bad_field

MAX_BODY = 1 << 20  # 1 MiB
GUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
INT32_MAX = 2147483647
# Characters outside XML 1.0's Char production (including lone surrogates).
_BAD_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def is_guid(value: Any) -> bool:
    return isinstance(value, str) and GUID_RE.match(value) is not None


def same_guid(a: str, b: str) -> bool:
    return a.lower() == b.lower()


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
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError("too_large", limit=MAX_BODY)
        chunks.append(chunk)
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
        raise bad_field("body", "the JSON is nested too deeply") from None
    except UnicodeDecodeError:
        raise bad_field("body", "the body is not UTF-8 text") from None
    except ValueError as exc:
        raise bad_field("body", f"not valid JSON ({exc})") from None
    check_text(value)
    return value


def check_text(value: Any, path: str = "") -> None:
    """Refuse characters XML 1.0 cannot carry (control characters, lone surrogates).

    Text sent to either API can end up in the Atom feed, and a document that cannot be
    serialized would break the feed for good; a lone surrogate cannot even be encoded in
    a UTF-8 JSON answer.
    """
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            _check_string(item, where)
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else key
                if _BAD_XML_CHAR.search(key):
                    name = json.dumps(name)[1:-1]  # escaped, safe to show
                    _check_string(key, name)
                stack.append((child, name))


def _check_string(text: str, where: str) -> None:
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
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad_field(self.name(key), f"must be an integer, not {show(value)}")
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
