"""The two OpenAPI documents of ``specs/`` as validators.

Everything that judges a JSON body (the examples test, the sandbox's own tests, the harness)
asks this module, so a body is always judged by the same schema the documents publish.
jsonschema does the validating; this module only finds the schema of an operation's request or
response and turns errors into one readable line each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

# jsonschema ships no type stubs (types-jsonschema is not installed): its names are Any
from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from dropship_conformance.specs import spec_path

API_DOCUMENTS = {"dropship": "dropship.openapi.yaml", "orders": "orders.openapi.yaml"}
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
JSON = "application/json"


@dataclass(frozen=True)
class Operation:
    """One operation of one of the APIs, as its OpenAPI document describes it."""

    api: str
    operation_id: str
    method: str
    path: str

    @property
    def pointer(self) -> str:
        """JSON pointer of the operation object inside its document."""
        return f"/paths/{_escape(self.path)}/{self.method.lower()}"

    @property
    def spec(self) -> dict[str, Any]:
        operation: dict[str, Any] = document(self.api)["paths"][self.path][self.method.lower()]
        return operation


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _uri(api: str) -> str:
    return f"urn:dropship-conformance:{api}"


@cache
def document(api: str) -> dict[str, Any]:
    """The parsed OpenAPI document of ``api`` ("dropship" or "orders")."""
    with spec_path(API_DOCUMENTS[api]).open(encoding="utf-8") as handle:
        parsed: dict[str, Any] = yaml.safe_load(handle)
    return parsed


@cache
def _registry() -> Registry:
    resources = [
        (_uri(api), Resource.from_contents(document(api), default_specification=DRAFT202012))
        for api in API_DOCUMENTS
    ]
    return Registry().with_resources(resources)


def operations(api: str | None = None) -> list[Operation]:
    """Every operation of one API, or of both."""
    found = []
    for name in API_DOCUMENTS if api is None else (api,):
        for path, item in document(name)["paths"].items():
            for method in HTTP_METHODS:
                if method in item:
                    found.append(Operation(name, item[method]["operationId"], method.upper(), path))
    return found


def operation(operation_id: str) -> Operation:
    """The operation with this operationId, in whichever document holds it."""
    for candidate in operations():
        if candidate.operation_id == operation_id:
            return candidate
    raise KeyError(f"no operation {operation_id!r} in {sorted(API_DOCUMENTS.values())}")


def request_pointer(op: Operation, media_type: str = JSON) -> str | None:
    """Pointer to the request body schema of ``op``, or None when it takes no body."""
    content = op.spec.get("requestBody", {}).get("content", {})
    if media_type not in content:
        return None
    return f"{op.pointer}/requestBody/content/{_escape(media_type)}/schema"


def documented_statuses(op: Operation) -> list[str]:
    """The status codes ``op`` documents, as the strings the document uses ("202")."""
    return list(op.spec.get("responses", {}))


def response_pointer(op: Operation, status: int, media_type: str = JSON) -> str | None:
    """Pointer to the schema of ``op``'s response ``status`` in ``media_type``.

    Follows a ``$ref`` to ``components/responses``. None when the document gives that status no
    body of that media type, or does not document the status at all.
    """
    response = op.spec.get("responses", {}).get(str(status))
    if response is None:
        return None
    base = f"{op.pointer}/responses/{status}"
    if "$ref" in response:
        base = response["$ref"].removeprefix("#")
        response = _resolve(op.api, base)
    if media_type not in response.get("content", {}):
        return None
    return f"{base}/content/{_escape(media_type)}/schema"


def component_pointer(schema_name: str) -> str:
    return f"/components/schemas/{schema_name}"


def _resolve(api: str, pointer: str) -> Any:
    node: Any = document(api)
    for token in pointer.strip("/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


@cache
def _validator(api: str, pointer: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"{_uri(api)}#{pointer}"},
        registry=_registry(),
        format_checker=FormatChecker(),
    )


def validate(api: str, pointer: str, instance: Any) -> list[str]:
    """Validate ``instance`` against the schema at ``pointer`` of ``api``'s document.

    Returns one line per violation (JSON path and reason); an empty list means valid.
    """
    errors = sorted(_validator(api, pointer).iter_errors(instance), key=lambda e: list(e.path))
    return [line for error in errors for line in _explain(error)]


def _explain(error: ValidationError) -> Iterator[str]:
    # anyOf/oneOf failures say only "not valid under any of the given schemas"; the nearest
    # sub-error that got furthest into the instance names the real problem.
    if error.context:
        deepest = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.schema_path)))
        closest = f"{deepest.json_path}: {deepest.message}"
        yield f"{error.json_path}: {error.message} (closest: {closest})"
    else:
        yield f"{error.json_path}: {error.message}"


def validate_request(operation_id: str, body: Any) -> list[str]:
    """Violations of ``body`` as the JSON request body of ``operation_id``."""
    op = operation(operation_id)
    pointer = request_pointer(op)
    if pointer is None:
        return [f"{operation_id} takes no JSON request body"]
    return validate(op.api, pointer, body)


def validate_response(operation_id: str, status: int, body: Any) -> list[str]:
    """Violations of a JSON response: an undocumented status, or a body breaking its schema."""
    op = operation(operation_id)
    if str(status) not in documented_statuses(op):
        return [f"status {status} is not documented for {operation_id}"]
    pointer = response_pointer(op, status)
    if pointer is None:
        return [f"{operation_id} documents no JSON body for status {status}"]
    return validate(op.api, pointer, body)
