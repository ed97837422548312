"""Rider reports: what a rider may tell about a station, how reporters stay anonymous, and what
the open reports signal to couriers.

A report never changes station data by itself; an editor accepts it (through the edit path) or
dismisses it. Riders have no account. Nothing identifies a reporter beyond one day: abuse
control uses an HMAC of the client's address under a secret salt kept in the store, keyed by the
calendar day in China, so the same address hashes differently every day and cannot be reversed
without the salt. No position is stored at all (a report is about a station, whose position is
known).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from stations.amenities import BY_CODE, UnknownAmenity
from stations.editing.validation import text_problem
from stations.errors import InvalidInput, Problem
from stations.hours import SHANGHAI
from stations.model import Category, ReportSignal, StationId


class ReportStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


#: Categories that name an amenity (and only these).
AMENITY_CATEGORIES: Final = frozenset({Category.AMENITY_MISSING, Category.AMENITY_BROKEN})
#: Categories that say the station cannot be used now: enough of them mark it reported closed.
CLOSURE_CATEGORIES: Final = frozenset({Category.CLOSED_NOW, Category.GONE})
MAX_NOTE_CHARS: Final = 500
#: How far back a courier answer's summary of open reports looks.
SUMMARY_WINDOW: Final = timedelta(hours=24)
#: The same report (station, category, amenity) from the same client counts once within this.
DEDUPE_WINDOW: Final = timedelta(hours=24)
RATE_WINDOW: Final = timedelta(hours=1)
_FIELDS: Final = frozenset({"category", "amenity", "note"})


@dataclass(frozen=True, slots=True)
class ReportDraft:
    """A rider's report as validated, before it is stored."""

    station_id: StationId
    category: Category
    amenity: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    station_id: StationId
    category: Category
    amenity: str | None
    note: str | None
    client_hash: str  # the day's salted hash of the reporter's address; never shown
    created_at: datetime  # aware, UTC
    status: ReportStatus = ReportStatus.OPEN
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    resolution_reason: str | None = None
    resolved_in_version: int | None = None  # the station version an accepted report made


@dataclass(frozen=True, slots=True)
class Resolution:
    """How an editor resolved reports: accepted (in the station version it wrote, or the one
    it found when nothing changed) or dismissed with a reason."""

    status: ReportStatus
    actor: str
    at: datetime
    reason: str | None
    version: int | None

    def of(self, report: Report) -> Report:
        """``report`` as resolved."""
        return replace(report, status=self.status, resolved_by=self.actor, resolved_at=self.at,
                       resolution_reason=self.reason, resolved_in_version=self.version)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportRule:
    """When riders' reports mark a station closed: ``threshold`` distinct reporters saying
    closed_now or gone within ``window``; and how many reports a client may send an hour."""

    threshold: int = 3
    window: timedelta = timedelta(hours=6)
    per_hour: int = 10

    def closed_until(self, signals: Sequence[ReportSignal], at: datetime) -> datetime | None:
        """The instant until which the station counts as reported closed at ``at``, or None
        when fewer than ``threshold`` distinct reporters said so in the window before ``at``.
        It lasts until the threshold-th latest of those reporters' reports leaves the window
        (later reports can only extend it)."""
        latest: dict[str, datetime] = {}
        for s in signals:
            in_window = s.category in CLOSURE_CATEGORIES and at - self.window < s.at <= at
            if in_window and (s.reporter not in latest or s.at > latest[s.reporter]):
                latest[s.reporter] = s.at
        if len(latest) < self.threshold:
            return None
        return sorted(latest.values(), reverse=True)[self.threshold - 1] + self.window


def summary(signals: Sequence[ReportSignal], at: datetime) -> dict[str, int]:
    """Open reports of the last 24 h before ``at`` by category (categories with none left out),
    in the categories' order."""
    counts = dict.fromkeys(Category, 0)
    for s in signals:
        if at - SUMMARY_WINDOW < s.at <= at:
            counts[s.category] += 1
    return {c.value: n for c, n in counts.items() if n}


def validate_report(station_id: StationId, body: Mapping[str, object]) -> ReportDraft:
    """A report from a JSON body {"category", "amenity", "note"}; raises InvalidInput naming
    every bad field."""
    problems = [Problem(name, "is not a report field") for name in body if name not in _FIELDS]
    raw_category = body.get("category")
    category: Category | None = None
    if raw_category is None:
        problems.append(Problem("category", f"is required; one of {_categories()}"))
    else:
        try:
            category = Category(str(raw_category)) if isinstance(raw_category, str) else None
        except ValueError:
            category = None
        if category is None:
            problems.append(Problem("category", f"{raw_category!r} is not one of {_categories()}"))
    amenity = _amenity(body.get("amenity"), category, problems)
    note = _note(body.get("note"), problems)
    if problems:
        raise InvalidInput(problems)
    assert category is not None
    return ReportDraft(station_id, category, amenity, note)


def client_hashes(salt: int, address: str, now: datetime) -> tuple[str, str]:
    """The client's hash for today and for yesterday (days in China): a report is compared
    with the last 24 h and the last hour, which may begin yesterday."""
    today = now.astimezone(SHANGHAI).date()
    return tuple(  # type: ignore[return-value]
        hmac.new(
            str(salt).encode(), f"{day.isoformat()}|{address}".encode(), hashlib.sha256
        ).hexdigest()[:32]
        for day in (today, today - timedelta(days=1))
    )


def _amenity(value: object, category: Category | None, problems: list[Problem]) -> str | None:
    if value is None:
        if category in AMENITY_CATEGORIES:
            problems.append(Problem("amenity", f"is required with category {category}"))
        return None
    if category is not None and category not in AMENITY_CATEGORIES:
        problems.append(Problem("amenity", "goes only with amenity_missing or amenity_broken"))
        return None
    if not isinstance(value, str) or value not in BY_CODE:
        problems.append(Problem("amenity", str(UnknownAmenity([str(value)]))))
        return None
    return value


def _note(value: object, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(Problem("note", "must be a string"))
        return None
    text = value.strip()
    reason = text_problem(text, MAX_NOTE_CHARS)
    if reason:
        problems.append(Problem("note", reason))
        return None
    return text or None


def _categories() -> str:
    return ", ".join(c.value for c in Category)
