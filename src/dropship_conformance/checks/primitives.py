"""What several checks compare by, defined once: media types, GUIDs, status names, numbers,
and how a reply is described in a verdict's "found"."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from dropship_conformance import openapi
from dropship_conformance.client.http import Reply

JSON = "application/json"
ATOM = "application/atom+xml"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# How much of a body a verdict quotes: enough to recognise it, not a page of it.
QUOTED_BODY = 300


def describe(reply: Reply) -> str:
    """A reply as a verdict's "found" shows it: status, media type and the start of the body."""
    content_type = reply.headers.get("content-type") or "no Content-Type"
    return f"HTTP {reply.status} ({content_type}) {reply.text[:QUOTED_BODY]!r}"


def is_guid(value: Any) -> bool:
    return isinstance(value, str) and GUID.match(value.strip()) is not None


def same_guid(a: Any, b: Any) -> bool:
    """Two GUIDs are the same whatever their case and surrounding blanks."""
    return isinstance(a, str) and isinstance(b, str) and a.strip().lower() == b.strip().lower()


@cache
def status_names() -> dict[int, str]:
    """Dropship status ids to names, from the OpenAPI's x-enumeration (001 §ENUMERATIONS)."""
    schemas = openapi.document("dropship")["components"]["schemas"]
    return {row["id"]: row["name"] for row in schemas["OrderStatus"]["x-enumeration"]}


def status_name(value: Any) -> str | None:
    """The documented name of a status sent by name or JSON-integer id (DEV-STATUS-NAME-OR-ID),
    else None."""
    names = status_names()
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return names.get(value)
    return value if isinstance(value, str) and value in names.values() else None


def number(value: Any) -> Decimal | None:
    """A quantity or price as a number, whether JSON number or XML text."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None
