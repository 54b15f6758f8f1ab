"""The secrets of a run removed from what pytest reports of a test.

A check may quote a target that echoes the Authorization header, and an exception may carry a
URL or a body. Every reporter (console, JUnit, HTML) reads the test's report object, so the
secrets are removed there, once, before any of them sees it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, overload

import pytest

from dropship_conformance.client.exchange import redact
from dropship_conformance.verdicts import Expect


def redacted(value: Any, secrets: tuple[str, ...]) -> Any:
    """``value`` with the secrets removed from every string in it (of any of the kinds a
    report field may hold, hence ``Any``).

    pytest's failure representations are dataclasses of strings, lists and tuples: they are
    redacted in place, so the terminal still renders them as pytest made them. A representation
    of another kind is rendered to text first.
    """
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [redacted(item, secrets) for item in value]
    if isinstance(value, tuple):
        items = [redacted(item, secrets) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for each in dataclasses.fields(value):
            object.__setattr__(value, each.name, redacted(getattr(value, each.name), secrets))
        return value
    if hasattr(value, "toterminal"):
        return redact(str(value), secrets)
    return value


def redact_outcome(
    report: pytest.TestReport,
    call: pytest.CallInfo[Any],
    judged: Expect | None,
    user_properties: list[tuple[str, object]],
    secrets: tuple[str, ...],
) -> None:
    """Remove ``secrets`` from all a reporter may show of one test phase: the checks' messages,
    the exception (its message becomes the matrix's reason), the failure text and the captured
    output."""
    if not secrets:
        return
    if judged is not None:
        judged.checks[:] = [
            dataclasses.replace(check, message=redact(check.message, secrets))
            for check in judged.checks
        ]
    if call.excinfo is not None:
        error = call.excinfo.value
        error.args = tuple(_text_only(arg, secrets) for arg in error.args)
        # hypothesis (and any add_note) explains a failure in notes, printed with the message.
        if hasattr(error, "__notes__"):
            error.__notes__ = [_text_only(note, secrets) for note in error.__notes__]
    report.longrepr = redacted(report.longrepr, secrets)
    report.sections = redacted(report.sections, secrets)
    user_properties[:] = [(name, _text_only(value, secrets)) for name, value in user_properties]


@overload
def _text_only(value: str, secrets: tuple[str, ...]) -> str: ...
@overload
def _text_only(value: object, secrets: tuple[str, ...]) -> object: ...
def _text_only(value: object, secrets: tuple[str, ...]) -> object:
    """``value`` redacted when it is text; objects of the test (a reply, a dataclass of its
    own) are left as they are."""
    return redact(value, secrets) if isinstance(value, str) else value
