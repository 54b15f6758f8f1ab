"""The sandbox clock: real UTC time plus an offset that the control API can advance.

Order expiry (004 ``OrderExpiryDate``) is hours away; tests and the harness move the clock
instead of waiting. The offset lives in SQLite (``meta`` table), so a restarted sandbox keeps
the time it was moved to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """``now()`` = UTC now + offset. The owner (the store) persists the offset."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset_seconds = offset_seconds

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset_seconds)


def atom_time(value: datetime) -> str:
    """RFC 3339 in whole seconds with ``Z``, as the feed examples write it (000/001)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def orders_time(value: datetime) -> str:
    """ISO 8601 with a ``+00:00`` offset, as 004 writes CreatedDateUtc (DEV-DATETIME-OFFSET)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_orders_time(text: str) -> datetime:
    """Parse a stored ``orders_time`` value back."""
    return datetime.fromisoformat(text)
