"""stations.reading.intervals: runs and open intervals, checked against ``schedule.state`` sampled
every 10 minutes (and on both sides of every boundary) over 14-day horizons, for every hours text
in the demo data, holiday breaks the calendar knows (2026 National Day) and does not (2027 Spring
Festival), the calendar's end, temporary closures and riders' reports.

Dates (chinese_calendar 1.11.0, see test_hours.py): 2026 National Day break Oct 1 (Thu) - Oct 7
(Wed), make-up working Saturday Oct 10. The calendar ends with 2026: PH in 2027 is unknown.
"""

from __future__ import annotations

import bisect
import csv
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, Final

import pytest

from stations.hours import SHANGHAI, Hours, Openness
from stations.model import Category, Kind, ReportSignal, Station, StationId, Status
from stations.reading.catalog import (
    DEFAULT_RULE,
    ClosedUntil,
    ReportedClosed,
    Schedule,
    schedule_of,
)
from stations.reading.intervals import Run, open_intervals, state_runs
from tests.conftest import DEMO_CSV

OPEN, CLOSED, UNKNOWN = Openness.OPEN, Openness.CLOSED, Openness.UNKNOWN
HORIZON: Final = timedelta(days=14)
STEP: Final = timedelta(minutes=10)
TINY: Final = timedelta(microseconds=1)


def sh(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """An instant on the Shanghai wall clock."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


#: Horizon starts: before National Day 2026, into the calendar's end, the 2027 Spring Festival
#: (6 Feb 2027), and an odd instant (not on a minute) in an ordinary week.
STARTS: Final = (
    sh(2026, 9, 27, 16, 0),
    sh(2026, 12, 24, 9, 30),
    sh(2027, 2, 1, 0, 0),
    sh(2026, 3, 2, 7, 13, 27),
)


def make_station(n: int, *, opening_hours: str | None, **overrides: Any) -> Station:
    return Station(
        id=StationId(f"iv-{n:03d}"),
        name=f"驿站{n}",
        kind=Kind.LOVE_STATION,
        lon=108.94,
        lat=34.26,
        address=None,
        district_code="610103",
        amenities=(),
        opening_hours=opening_hours,
        phone=None,
        host=None,
        status=Status.ACTIVE,
        version=1,
        updated_at=datetime(2026, 3, 1, tzinfo=UTC),
        **overrides,
    )


def demo_texts() -> list[str | None]:
    with DEMO_CSV.open(encoding="utf-8") as f:
        texts = {row["opening_hours"] or None for row in csv.DictReader(f)}
    return sorted(texts, key=lambda t: t or "")


def state_in(runs: list[Run], at: datetime) -> Openness:
    i = bisect.bisect_right([r.start for r in runs], at) - 1
    assert i >= 0 and runs[i].start <= at < runs[i].end, at
    return runs[i].state


def assert_runs_match(schedule: Schedule, start: datetime, end: datetime) -> list[Run]:
    runs = state_runs(schedule, start, end)
    assert runs[0].start == start and runs[-1].end == end
    for before, after in pairwise(runs):
        assert before.end == after.start, "runs cover the horizon without gaps"
        assert before.state is not after.state, "neighbours differ (equal ones are merged)"
    t = start
    while t < end:
        assert state_in(runs, t) is schedule.state(t), t
        t += STEP
    for run in runs:  # exactly at each boundary, and just before it
        assert schedule.state(run.start) is run.state, run
        assert schedule.state(run.end - TINY) is run.state, run
    return runs


@pytest.mark.parametrize("text", demo_texts(), ids=lambda t: t or "none")
def test_every_demo_text_matches_its_states_sampled_every_10_minutes(text: str | None) -> None:
    schedule = Hours.parse(text)
    for start in STARTS:
        runs = assert_runs_match(schedule, start, start + HORIZON)
        expected = [(r.start, r.end) for r in runs if r.state is OPEN]
        assert open_intervals(schedule, start, start + HORIZON) == expected


def test_every_demo_station_through_its_schedule() -> None:
    """The demo stations as the catalog sees them (schedule_of), one horizon each."""
    with DEMO_CSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    start = sh(2026, 9, 28, 11, 5)
    seen: set[str] = set()
    for n, row in enumerate(rows):
        if row["opening_hours"] in seen:
            continue  # one station per text: the schedule depends on nothing else here
        seen.add(row["opening_hours"])
        station = make_station(n, opening_hours=row["opening_hours"] or None)
        assert_runs_match(schedule_of(station), start, start + HORIZON)


def test_weekdays_with_national_day_off() -> None:
    schedule = Hours.parse("Mo-Fr 08:30-18:00; PH off")
    start = sh(2026, 9, 27, 16, 0)  # a Sunday
    got = open_intervals(schedule, start, start + HORIZON)
    days = [(9, 28), (9, 29), (9, 30), (10, 8), (10, 9)]  # Oct 1-7 off; Sa Oct 10 stays Sa
    expected = [(sh(2026, m, d, 8, 30), sh(2026, m, d, 18, 0)) for m, d in days]
    assert got == expected
    assert_runs_match(schedule, start, start + HORIZON)


def test_2027_holidays_are_unknown_in_working_hours_not_guessed() -> None:
    schedule = Hours.parse("Mo-Fr 08:30-18:00; PH off")
    start = sh(2027, 2, 1)
    runs = assert_runs_match(schedule, start, start + HORIZON)
    assert open_intervals(schedule, start, start + HORIZON) == []
    assert state_in(runs, sh(2027, 2, 8, 10, 0)) is UNKNOWN  # a Monday, PH unknown
    assert state_in(runs, sh(2027, 2, 8, 20, 0)) is CLOSED
    assert state_in(runs, sh(2027, 2, 6, 10, 0)) is CLOSED  # a Saturday: closed either way


def test_across_the_calendar_s_end() -> None:
    schedule = Hours.parse("Mo-Fr 09:00-17:00; PH off")
    start = sh(2026, 12, 28, 8, 0)
    runs = assert_runs_match(schedule, start, start + HORIZON)
    assert state_in(runs, sh(2026, 12, 31, 10, 0)) is OPEN
    assert state_in(runs, sh(2027, 1, 4, 10, 0)) is UNKNOWN
    assert open_intervals(schedule, start, start + HORIZON)[-1][1] == sh(2026, 12, 31, 17, 0)


def test_overnight_hours_are_one_interval_across_midnight() -> None:
    schedule = Hours.parse("Mo-Su 18:00-06:00")
    start = sh(2026, 3, 2, 12, 0)
    got = open_intervals(schedule, start, start + timedelta(days=3))
    assert got == [(sh(2026, 3, d, 18, 0), sh(2026, 3, d + 1, 6, 0)) for d in (2, 3, 4)]


def test_always_open_is_one_interval_and_no_hours_none() -> None:
    start = sh(2026, 3, 2, 7, 13, 27)
    end = start + HORIZON
    assert open_intervals(Hours.parse("24/7"), start, end) == [(start, end)]
    assert state_runs(Hours.parse(None), start, end) == [Run(start, end, UNKNOWN)]
    assert open_intervals(Hours.parse(None), start, end) == []
    assert open_intervals(Hours.parse("off"), start, end) == []


def test_a_temporary_closure_ends_to_the_second() -> None:
    hours = Hours.parse("Mo-Su 08:00-20:00")
    until = sh(2026, 12, 3, 11, 17, 42)
    start = sh(2026, 12, 1, 12, 0)
    schedule = ClosedUntil(hours, until)
    runs = assert_runs_match(schedule, start, start + HORIZON)
    assert runs[0] == Run(start, until, CLOSED)
    assert open_intervals(schedule, start, start + HORIZON)[0] == (until, sh(2026, 12, 3, 20, 0))
    # Ending at night: open again at the next opening, not at the closure's end.
    night = ClosedUntil(hours, sh(2026, 12, 3, 22, 30))
    assert open_intervals(night, start, start + HORIZON)[0][0] == sh(2026, 12, 4, 8, 0)
    assert_runs_match(night, start, start + HORIZON)


def test_a_station_closed_temporarily_through_schedule_of() -> None:
    until = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    station = make_station(1, opening_hours="24/7", closed_until=until)
    start = sh(2026, 12, 1, 12, 0)
    assert open_intervals(schedule_of(station), start, start + HORIZON) == [
        (until, start + HORIZON)
    ]


def test_riders_reports_close_a_station_until_they_age_out() -> None:
    built = sh(2026, 12, 1, 12, 0)
    signals = tuple(
        ReportSignal(Category.CLOSED_NOW, None, f"rider-{n}", built - timedelta(hours=n))
        for n in (1, 2, 3)
    )
    schedule = ReportedClosed(Hours.parse("24/7"), signals, DEFAULT_RULE)
    runs = assert_runs_match(schedule, built, built + HORIZON)
    lifted = built - timedelta(hours=3) + timedelta(hours=6)
    assert runs[0] == Run(built, lifted, Openness.REPORTED_CLOSED)
    assert open_intervals(schedule, built, built + HORIZON) == [(lifted, built + HORIZON)]


def test_any_offset_in_and_clipped_to_the_horizon() -> None:
    schedule = Hours.parse("Mo-Su 08:00-20:00")
    start = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    end = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # 09:00 the next day
    assert open_intervals(schedule, start, end) == [
        (start, sh(2026, 3, 2, 20, 0)),
        (sh(2026, 3, 3, 8, 0), end),
    ]


def test_empty_naive_and_reversed() -> None:
    schedule = Hours.parse("24/7")
    start = sh(2026, 3, 2)
    assert state_runs(schedule, start, start) == []
    with pytest.raises(ValueError, match="aware"):
        state_runs(schedule, start.replace(tzinfo=None), start + HORIZON)
    with pytest.raises(ValueError, match="before start"):
        state_runs(schedule, start, start - TINY)
