"""The harness's options: one table, read by the pytest plugin and the command line alike.

Every option has a command-line flag (``--dropship-url``), an environment variable
(``DROPSHIP_CONFORMANCE_DROPSHIP_URL``) and a default; the flag wins over the variable.
The identity defaults are the reference sandbox's seeded identities, so a sandbox reached at
another address needs only the two URLs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from dropship_conformance.feed.walk import MAX_PAGES, MAX_SECONDS

ENV_PREFIX = "DROPSHIP_CONFORMANCE_"


@dataclass(frozen=True)
class Option:
    name: str
    default: Any
    kind: type
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

    @property
    def secrets(self) -> tuple[str, ...]:
        """The tokens a report, a log or an error message must never show."""
        return tuple(token for token in (self.token, self.other_token) if token)

    @property
    def embedded(self) -> bool:
        """No target was given: the run starts and tests the embedded sandbox."""
        return self.dropship_url is None and self.orders_url is None


class OptionError(ValueError):
    """An option has a value the harness cannot use; the message names it."""


def resolve(given: dict[str, Any], environ: dict[str, str] | None = None) -> Settings:
    """Settings from flags (``given``, keyed by dest, None when absent), then env, then defaults."""
    environ = os.environ if environ is None else environ
    values = {}
    for option in OPTIONS:
        value = given.get(option.dest)
        source = option.flag
        if value is None and option.env in environ:
            value, source = environ[option.env], option.env
        if value is None:
            values[option.dest] = option.default
            continue
        try:
            values[option.dest] = option.kind(value)
        except (TypeError, ValueError):
            raise OptionError(
                f"{source}: {value!r} is not a valid {option.kind.__name__}"
            ) from None
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
