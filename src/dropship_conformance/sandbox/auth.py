"""Bearer-token authentication and the ownership rules of both APIs.

002 §Step 1: the token goes in ``Authorization: Bearer <token>``. A missing or unknown token
answers 401 ``Invalid token`` (001 §ERRORS). A token stands for suppliers and/or companies
(seed.py). A SupplierId that is malformed or names no supplier answers 400 ``Cannot find
supplier identifier in the uri`` (001 §ERRORS); one that names another supplier answers 401
``Invalid token``: the token is not valid for it. A CompanyId that the token does not stand
for answers 401; a malformed one 400 with a message naming CompanyId.
"""

from __future__ import annotations

from collections.abc import Container

from starlette.requests import Request

from .errors import ApiError, bad_field
from .store import Identity, Store
from .validation import positive_int32


def authenticate(request: Request, store: Store) -> Identity:
    """The identity of the request's bearer token, or 401 ``Invalid token``."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        if request.app.state.profile.missing_credentials_400:
            raise bad_field("Authorization", "a Bearer token is required")
        raise ApiError("invalid_token")
    identity = store.directory.tokens.get(token)
    if identity is None:
        raise ApiError("invalid_token")
    return identity


def supplier_id(raw: str, identity: Identity, known: Container[int]) -> int:
    """The URI's SupplierId.

    400 ``Cannot find supplier identifier in the uri`` when it is malformed or names no
    supplier (001 §ERRORS, DS-ERR-001); 401 ``Invalid token`` when it names another
    supplier than the token's (AUTH-002 leaves the status open).
    """
    value = positive_int32(raw)
    if value is None or value not in known:
        raise ApiError("bad_supplier_id")
    if value not in identity.suppliers:
        raise ApiError("invalid_token")
    return value


def company_id(raw: str, identity: Identity) -> int:
    """The URI's CompanyId: 400 naming it when malformed (not a positive 32-bit integer),
    401 when it is not a company the token stands for."""
    value = positive_int32(raw)
    if value is None:
        raise ApiError("invalid_company", company_id=raw)
    if value not in identity.companies:
        raise ApiError("invalid_token")
    return value
