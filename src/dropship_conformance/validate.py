"""``dropship-conformance validate``: judge one payload file against specs/ by hand.

JSON bodies are checked against the OpenAPI schema of an operation's request or response;
feed documents against the XSDs and the document rules of the catalogue.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from dropship_conformance import openapi
from dropship_conformance.feed import rules


def add_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "validate",
        help="check a JSON body or an Atom feed document against specs/",
        description="Validate a payload file. JSON: give --operation (an operationId) and, for "
        "a response, --status. Atom: give --feed current or --feed archive.",
    )
    parser.add_argument("file", type=Path, help="the payload file")
    parser.add_argument("--operation", help="operationId, e.g. putItemStatusUpdate")
    parser.add_argument("--status", type=int, help="judge as the response with this status")
    parser.add_argument("--feed", choices=["current", "archive"], help="judge as a feed document")
    parser.set_defaults(handler=command)


def problems(args: argparse.Namespace) -> list[str]:
    data = args.file.read_bytes()
    if args.feed:
        return [f"{v.requirement_id}: {v.message}" for v in rules.check_document(data, args.feed)]
    if not args.operation:
        raise ValueError("give --operation for a JSON body or --feed for an Atom document")
    try:
        body = json.loads(data)
    except ValueError as error:
        return [f"not JSON: {error}"]
    if args.status is None:
        return openapi.validate_request(args.operation, body)
    return openapi.validate_response(args.operation, args.status, body)


def command(args: argparse.Namespace) -> int:
    try:
        found = problems(args)
    except (OSError, KeyError, ValueError) as error:
        print(f"dropship-conformance: {error}")
        return 2
    for line in found:
        print(line)
    print(f"{args.file}: {'valid' if not found else f'{len(found)} problem(s)'}")
    return 0 if not found else 1
