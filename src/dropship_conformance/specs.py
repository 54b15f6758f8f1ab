"""Where the contract files (XSDs, OpenAPI documents, requirements, examples) live.

The files are kept once, in the repository's ``specs/`` folder. A wheel carries a copy at
``dropship_conformance/_specs`` (pyproject force-includes it), so code must never assume
a checkout: it asks :func:`spec_dir`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_MARKER = "atom.xsd"


@cache
def spec_dir() -> Path:
    """Return the folder holding the contract files.

    From a checkout (``src/dropship_conformance/specs.py``) that is ``<repo>/specs``, so
    that edits to the specs are seen without reinstalling; from an installed wheel it is
    the packaged copy ``dropship_conformance/_specs``.
    """
    checkout = _PACKAGE_DIR.parent.parent / "specs"
    if _PACKAGE_DIR.parent.name == "src" and (checkout / _MARKER).is_file():
        return checkout
    packaged = _PACKAGE_DIR / "_specs"
    if (packaged / _MARKER).is_file():
        return packaged
    raise FileNotFoundError(
        f"no specs folder holding {_MARKER}: looked for {checkout} and {packaged}"
    )


def spec_path(*parts: str) -> Path:
    """Return the path of a file below :func:`spec_dir` (e.g. ``spec_path("atom.xsd")``)."""
    return spec_dir().joinpath(*parts)
