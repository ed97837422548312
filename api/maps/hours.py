"""Opening hours as a map page carries them: when each station is open over a horizon, and its
hours in plain words.

A saved page has no opening-hours parser and no calendar of China's holiday breaks, so Python
works out, per station, the runs of each state from the build time on (``HORIZON``, 14 days):
``stations.reading.intervals`` walks the station's schedule (hours, holiday breaks, a temporary
closure, riders' reports) from change to change. The page then answers "open at t?" by looking t
up; past the horizon it says the state is unknown, and it states until when its hours are valid.

Encoding (``schedules`` in the page data): whole minutes since ``start`` (the build time, down to
the minute; ms since the epoch), as flat ``[from, to, from, to, …]`` lists of half-open ranges.
``table[i] = [open]`` or ``[open, unknown]``; a row's ``schedule`` column indexes ``table``, and
stations whose schedules agree share one entry (5,000 stations with a few distinct hours texts
cost a few entries). Outside every range a station is closed. A change that does not fall on a
whole minute (a closure ending at 12:34:56) is rounded so that the page never says open when the
station is not: open ranges shrink to whole minutes, unknown ones grow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from api.maps.texts import Lang, local_time_text
from stations.hours import InvalidOpeningHours, Openness
from stations.hours_text import describe
from stations.model import Station, Status
from stations.reading.catalog import schedule_of
from stations.reading.intervals import Run, state_runs

HORIZON: Final = timedelta(days=14)
_MINUTE: Final = timedelta(minutes=1)
_MINUTES: Final = HORIZON // _MINUTE

Entry = list[list[int]]


@dataclass(frozen=True, slots=True)
class PageHours:
    """The page's ``schedules`` object, and each station's index into its ``table``."""

    data: dict[str, Any]
    index: list[int]


def horizon_start(now: datetime) -> datetime:
    """The build time ``now`` (aware) down to the whole minute: where the horizon starts."""
    return now.replace(second=0, microsecond=0)


def page_hours(stations: Sequence[Station], *, now: datetime, lang: Lang) -> PageHours:
    """When each of ``stations`` is open, unknown or closed over ``HORIZON`` from ``now``."""
    start = horizon_start(now)
    end = start + HORIZON
    table: list[Entry] = []
    by_content: dict[tuple[tuple[int, ...], ...], int] = {}
    by_text: dict[str | None, int] = {}
    index: list[int] = []
    for station in stations:
        shared = _hours_only(station, start)
        if shared and station.opening_hours in by_text:
            index.append(by_text[station.opening_hours])
            continue
        entry = minutes_entry(_runs(station, start, end), start)
        position = by_content.setdefault(tuple(map(tuple, entry)), len(table))
        if position == len(table):
            table.append(entry)
        if shared:
            by_text[station.opening_hours] = position
        index.append(position)
    data = {
        "start": round(start.timestamp() * 1000),
        "minutes": _MINUTES,
        "validUntil": local_time_text(end, lang=lang, now=now),
        "table": table,
    }
    return PageHours(data, index)


def _runs(station: Station, start: datetime, end: datetime) -> list[Run]:
    """The station's state runs; hours the parser refuses (the store never holds such, but a
    page can be rendered from any stations) are unknown throughout."""
    try:
        schedule = schedule_of(station)
    except InvalidOpeningHours:
        return [Run(start, end, Openness.UNKNOWN)]
    return state_runs(schedule, start, end)


def _hours_only(station: Station, start: datetime) -> bool:
    """True when the station's schedule over the horizon is its hours text alone: no closure
    still running, no riders' reports (those make a schedule of its own)."""
    closure = station.closed_until is not None and station.closed_until > start
    return station.status is Status.ACTIVE and not closure and not station.reports


def minutes_entry(runs: Sequence[Run], start: datetime) -> Entry:
    """``[open]`` or ``[open, unknown]``: flat lists of whole minutes since ``start``, open
    ranges rounded inwards and unknown ones outwards; empty ranges left out."""
    opened: list[int] = []
    unknown: list[int] = []
    for run in runs:
        since_s = (run.start - start).total_seconds()
        until_s = (run.end - start).total_seconds()
        if run.state is Openness.OPEN:
            first, last = math.ceil(since_s / 60), math.floor(until_s / 60)
            target = opened
        elif run.state is Openness.UNKNOWN:
            first, last = math.floor(since_s / 60), math.ceil(until_s / 60)
            target = unknown
        else:
            continue
        if first >= last:
            continue
        if target and target[-1] >= first:  # rounding outwards met the previous range
            target[-1] = last
        else:
            target += [first, last]
    return [opened, unknown] if unknown else [opened]


def hours_words(stations: Sequence[Station], lang: Lang) -> list[list[str]]:
    """[[hours text, plain words], …] for each distinct text ``describe`` covers, in first-seen
    order; the page shows a text it does not find here as it is."""
    seen: set[str] = set()
    words: list[list[str]] = []
    for station in stations:
        text = station.opening_hours
        if text is None or text in seen:
            continue
        seen.add(text)
        described = describe(text, lang)
        if described is not None:
            words.append([text, described])
    return words
