"""Opening hours as people type them: OSM ``opening_hours`` as it is, or a Chinese phrase
turned into it (stations/hours_phrases.py); and what the result means for the next days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from stations.hours import SHANGHAI, Hours, InvalidOpeningHours, Openness
from stations.hours_phrases import UnreadablePhrase, to_osm
from stations.reading.intervals import state_runs


@dataclass(frozen=True, slots=True)
class ReadHours:
    osm: str  # OSM opening_hours, valid
    converted: bool  # True when it was read from a Chinese phrase


@dataclass(frozen=True, slots=True)
class Day:
    date: str  # ISO date in China
    open: list[tuple[str, str]]  # "HH:MM" ranges; "24:00" ends at midnight
    unknown: bool  # the hours cannot say (nothing recorded, or a rule the parser leaves open)


def read_hours(text: str) -> ReadHours:
    """``text`` as valid OSM opening_hours: itself when it is OSM already, else the Chinese
    phrase it is read as. Raises UnreadablePhrase (Chinese message, ``.english``)."""
    stripped = text.strip()
    try:
        Hours.parse(stripped)
    except InvalidOpeningHours:
        return ReadHours(to_osm(stripped), converted=True)
    return ReadHours(stripped, converted=False)


def week_ahead(osm: str, now: datetime, days: int = 7) -> list[Day]:
    """The open ranges of each of the next ``days`` days in China, today first (with China's
    holiday breaks)."""
    hours = Hours.parse(osm)
    today = now.astimezone(SHANGHAI).date()
    out = []
    for n in range(days):
        start = datetime.combine(today + timedelta(days=n), time(0), SHANGHAI)
        runs = state_runs(hours, start, start + timedelta(days=1))
        out.append(
            Day(
                date=start.date().isoformat(),
                open=[
                    (_hhmm(r.start, start), _hhmm(r.end, start))
                    for r in runs
                    if r.state is Openness.OPEN
                ],
                unknown=any(r.state is Openness.UNKNOWN for r in runs),
            )
        )
    return out


def _hhmm(moment: datetime, midnight: datetime) -> str:
    minutes = round((moment - midnight).total_seconds() / 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


__all__ = ["Day", "ReadHours", "UnreadablePhrase", "read_hours", "week_ahead"]
