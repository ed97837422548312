"""Instants as the API writes them."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_text(at: datetime, timespec: str = "auto") -> str:
    """ISO 8601 in UTC with a ``Z`` (RFC 3339), e.g. 2026-11-27T04:30:00Z; ``at`` is aware."""
    return at.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def utc_now_text(timespec: str = "auto") -> str:
    """The current instant, as ``utc_text`` writes it."""
    return utc_text(datetime.now(UTC), timespec)
