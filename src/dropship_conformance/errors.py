"""The errors the product raises on purpose, in one hierarchy (as httpx keeps its own).

Catching :class:`ConformanceError` catches every one of them (the target's TargetError, the
options' OptionError, the feed's NotAnAtomFeed and UnsafeOrInvalidXML, the sandbox's ApiError,
StoreUnavailable and PortInUse, ...); they keep the other bases callers rely on, such as
ValueError, and RequirementFailed stays an AssertionError so that pytest reports a failure.
:class:`SetupImpossible` is the one the pytest plugin turns into "not checked" with its reason,
in one place (harness/preconditions.py), so a suite never decides by itself how a missing
precondition is reported.
"""

from __future__ import annotations


class ConformanceError(Exception):
    """Base of every error this product raises on purpose."""


class SetupImpossible(ConformanceError):
    """A precondition of a check could not be built through the APIs (the target refused to
    create the order it needs, the feed could not be read): the check's requirements are not
    checked, with this message as the reason. Never a pass, never a failure."""
