"""The harness's options: one table, read by the pytest plugin and the command line alike.

Every option has a command-line flag (``--dropship-url``), an environment variable
(``DROPSHIP_CONFORMANCE_DROPSHIP_URL``) and a default; the flag wins over the variable.
The identity defaults are the reference sandbox's seeded identities, so a sandbox reached at
another address needs only the two URLs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dropship_conformance.catalogue import classes
from dropship_conformance.errors import ConformanceError
from dropship_conformance.feed.walk import MAX_PAGES, MAX_SECONDS

ENV_PREFIX = "DROPSHIP_CONFORMANCE_"
DEPTHS = ("quick", "deep")
# Generated examples a deep run takes at least, whatever --examples says (the nightly gate).
DEEP_EXAMPLES = 25


class OptionError(ConformanceError, ValueError):
    """An option has a value the harness cannot use; the message names it."""


def claims(text: str) -> frozenset[str]:
    """The conformance classes a comma-separated list names; an unknown name is an error."""
    named = [name.strip() for name in str(text).split(",") if name.strip()]
    unknown = [name for name in named if name not in classes()]
    if unknown or not named:
        what = f"unknown conformance class {', '.join(map(repr, unknown))}" if unknown else "empty"
        raise OptionError(f"{what} (known: {', '.join(classes())})")
    return frozenset(named)


def depth(text: str) -> str:
    if text not in DEPTHS:
        raise OptionError(f"{text!r} is not one of {', '.join(DEPTHS)}")
    return text


@dataclass(frozen=True)
class Option:
    name: str
    default: Any
    kind: Callable[[str], Any]
    help: str

    @property
    def flag(self) -> str:
        return f"--{self.name}"

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.dest.upper()


OPTIONS = (
    Option(
        "dropship-url",
        None,
        str,
        "base URL of the Supplier Orders API, ending in /v1 (default: start the embedded sandbox)",
    ),
    Option(
        "orders-url",
        None,
        str,
        "base URL of the Orders API, ending in /v1 (default: the embedded sandbox)",
    ),
    Option("token", "sandbox-token", str, "bearer token for both APIs (never shown in reports)"),
    Option("supplier-id", 60455, int, "the supplier whose feed and orders are tested"),
    Option("company-id", 14146, int, "the company whose orders are tested"),
    Option("location-id", 14202, int, "a location (EntityId) of the company"),
    Option(
        "billing-customer-id",
        "659c2a38-d083-4421-9330-46d779702f85",
        str,
        "a billing customer of the company",
    ),
    Option("other-supplier-id", 14107, int, "a second supplier, for isolation tests"),
    Option("other-company-id", 33772, int, "a second company, for isolation tests"),
    Option("other-location-id", 33773, int, "a location (EntityId) of the second company"),
    Option(
        "other-token",
        None,
        str,
        "bearer token of the second supplier and company, for the isolation tests that act as "
        "them (default: the sandbox's second identity; never shown in reports)",
    ),
    Option("timeout", 15.0, float, "seconds a single request may take, body included"),
    Option(
        "event-wait",
        30.0,
        float,
        "seconds to wait for an effect on a foreign target (a link between the APIs that does "
        "not show in time is decided once per run)",
    ),
    Option(
        "archive-max-pages",
        MAX_PAGES,
        int,
        "pages the archive walk reads at most before it stops, the rest not checked",
    ),
    Option(
        "archive-max-seconds",
        MAX_SECONDS,
        float,
        "seconds the archive walk may take before it stops, the rest not checked",
    ),
    Option(
        "claims",
        frozenset(classes()),
        claims,
        "the conformance classes the target claims, comma-separated, among "
        f"{', '.join(classes())}; a requirement of another class is not claimed (not judged) "
        "(default: all, for the embedded sandbox and a foreign target alike)",
    ),
    Option(
        "examples",
        3,
        int,
        "generated examples per property-based scenario (derandomized, the seed printed)",
    ),
    Option(
        "seed",
        16,
        int,
        "the seed of the generated examples (printed by every run: give it to replay one)",
    ),
    Option(
        "depth",
        "quick",
        depth,
        "quick (the default run) or deep (more examples, longer state machine runs: nightly)",
    ),
)


def option(name: str) -> Option:
    """The option called ``name`` (its flag without the dashes), for messages that name it."""
    return next(candidate for candidate in OPTIONS if candidate.name == name)


@dataclass(frozen=True)
class Settings:
    """The resolved options of one run."""

    dropship_url: str | None
    orders_url: str | None
    token: str = field(repr=False)
    supplier_id: int
    company_id: int
    location_id: int
    billing_customer_id: str
    other_supplier_id: int
    other_company_id: int
    other_location_id: int
    other_token: str | None = field(repr=False)
    timeout: float
    event_wait: float
    archive_max_pages: int
    archive_max_seconds: float
    claims: frozenset[str]
    examples: int
    seed: int
    depth: str

    @property
    def generated_examples(self) -> int:
        """Examples per generated scenario: ``--examples``, at least ``DEEP_EXAMPLES`` deep."""
        return max(self.examples, DEEP_EXAMPLES) if self.depth == "deep" else self.examples

    @property
    def secrets(self) -> tuple[str, ...]:
        """The tokens a report, a log or an error message must never show."""
        return tuple(token for token in (self.token, self.other_token) if token)

    @property
    def embedded(self) -> bool:
        """No target was given: the run starts and tests the embedded sandbox."""
        return self.dropship_url is None and self.orders_url is None


def value_of(option: Option, given: dict[str, Any], environ: Mapping[str, str]) -> Any:
    """One option's value: its flag (``given``, keyed by dest), else its variable, else its
    default; a value it cannot use is an :class:`OptionError` naming where it came from."""
    value, source = given.get(option.dest), option.flag
    if value is None and option.env in environ:
        value, source = environ[option.env], option.env
    if value is None:
        return option.default
    try:
        return option.kind(value)
    except OptionError as error:
        raise OptionError(f"{source}: {error}") from None
    except (TypeError, ValueError):
        raise OptionError(f"{source}: {value!r} is not a valid {option.kind.__name__}") from None


def resolve(given: dict[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from flags (``given``, keyed by dest, None when absent), then env, then defaults."""
    environ = os.environ if environ is None else environ
    values = {option.dest: value_of(option, given, environ) for option in OPTIONS}
    settings = Settings(**values)
    if (settings.dropship_url is None) != (settings.orders_url is None):
        raise OptionError(
            "--dropship-url and --orders-url go together (or neither, for the embedded sandbox)"
        )
    for name in ("dropship_url", "orders_url"):
        url = getattr(settings, name)
        if url is not None and not url.startswith(("http://", "https://")):
            raise OptionError(f"--{name.replace('_', '-')}: {url!r} is not an http(s) URL")
    return settings
