"""The sandbox's error catalogue: every error it can answer, as a table.

Each key maps to (HTTP status, message template). The documented rows use the documents'
exact wording (001 §ERRORS, 003/004 §Errors), including their spelling ("Proccessing").
Every error body is JSON ``{"Message": "..."}``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse

from ..errors import ConformanceError

CATALOGUE: dict[str, tuple[int, str]] = {
    # 001 §ERRORS (dropship)
    "bad_supplier_id": (400, "Cannot find supplier identifier in the uri"),
    "bad_page_id": (400, "The request is invalid"),
    "invalid_token": (401, "Invalid token"),
    "not_found": (404, "Not found"),
    # Orders API: a malformed CompanyId is a 400 naming it (003/004 §Errors "Bad Request").
    "invalid_company": (400, "CompanyId: '{company_id}' in the uri is not a positive integer"),
    # 003/004 §Errors (orders); the same wording is used by the dropship API for an unknown
    # order and for an Id mismatch (DEV-DROPSHIP-UNDOCUMENTED-ERRORS).
    "order_not_found": (404, "Order resource with id {order_id} cannot be found"),
    "id_mismatch": (
        400,
        "Uri parameter representing resource id and resource id found in the request "
        "content don't match",
    ),
    "entity_not_related": (400, "Entity is not related to company"),
    "billing_customer": (
        400,
        "Billing Customer (id={customer_id}) not found for company {company_id}. "
        "Proccessing an Order requires a Billing Customer on the Order",
    ),
    "expired": (409, "Conflict"),
    "transition": (409, "Resource state transition from {from_state} to {to_state} is invalid"),
    "server_error": (500, "An error has occurred"),
    # Undocumented but necessary HTTP answers.
    "bad_field": (400, "{detail}"),
    "method_not_allowed": (405, "The requested resource does not support http method '{method}'"),
    "unsupported_media_type": (
        415,
        "Content-Type: the request body must be sent as application/json, not {content_type}",
    ),
    "too_large": (413, "The request body is larger than {limit} bytes"),
    "body_timeout": (408, "The request body took more than {seconds} s to arrive"),
}


def printable(text: str, limit: int = 80) -> str:
    """Client text for a message: non-printable characters escaped, length bounded."""
    if text.isprintable() and len(text) <= limit:
        return text
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    escaped = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped)
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."


class ApiError(ConformanceError):
    """An error answer of the catalogue; raised anywhere in a handler."""

    def __init__(self, key: str, **params: Any) -> None:
        status, template = CATALOGUE[key]
        self.key = key
        self.status = status
        # Ids echoed from the URI are client text; "detail" is composed here already.
        safe = {
            k: printable(v) if isinstance(v, str) and k != "detail" else v
            for k, v in params.items()
        }
        self.message = template.format(**safe)
        super().__init__(self.message)


def bad_field(field: str, problem: str) -> ApiError:
    """A 400 whose message starts with the offending field, e.g. ``Status: ...``."""
    return ApiError("bad_field", detail=f"{field}: {problem}")


def error_response(key: str, **params: Any) -> JSONResponse:
    """Render a catalogue entry as a JSON response."""
    return api_error_response(ApiError(key, **params))


def api_error_response(exc: ApiError) -> JSONResponse:
    """Render an ApiError; 401 also names the scheme (RFC 6750 §3)."""
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return JSONResponse({"Message": exc.message}, status_code=exc.status, headers=headers)
