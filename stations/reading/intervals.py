"""When a station is open over a stretch of time, as intervals: what a published map page needs
to answer "open now?" offline, without an opening-hours parser of its own.

Built by walking a schedule (``stations.reading.catalog.schedule_of``: the station's hours in
Asia/Shanghai with China's holiday breaks, behind a temporary closure or riders' reports) from
``status(t)`` to its ``next_change``, so an interval starts and ends exactly where
``schedule.state`` changes. Instants are aware datetimes; intervals are half-open
``[start, end)``, like the hours' own ranges (``08:30-18:00`` is closed at 18:00).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from stations.hours import Openness
from stations.reading.catalog import Schedule


class Run(NamedTuple):
    """A stretch ``[start, end)`` during which a schedule's state does not change."""

    start: datetime
    end: datetime
    state: Openness


def state_runs(schedule: Schedule, start: datetime, end: datetime) -> list[Run]:
    """Runs of one state covering ``[start, end)`` in time order, neighbours in different states.

    ``start`` and ``end`` are aware (any offset); the runs' instants are the schedule's own
    (Asia/Shanghai) except the first start and the last end, which are ``start`` and ``end`` as
    given. A station with no hours recorded gives one UNKNOWN run. ``start == end`` gives [].
    Raises ValueError for a naive instant or ``end`` before ``start``.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("state_runs needs timezone-aware instants")
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    runs: list[Run] = []
    t = start
    while t < end:
        status = schedule.status(t)
        change = status.next_change
        if change is not None and change <= t:
            raise RuntimeError(f"{schedule!r} gave no later change than {t.isoformat()}")
        until = end if change is None else min(change, end)
        if runs and runs[-1].state is status.state:
            # A change that changes nothing (one range ending where the next begins).
            runs[-1] = runs[-1]._replace(end=until)
        else:
            runs.append(Run(t, until, status.state))
        t = until
    return runs


def open_intervals(
    schedule: Schedule, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The ``[opens, closes)`` intervals within ``[start, end)`` when ``schedule`` is OPEN, in
    time order, clipped to ``[start, end)``; never touching (a gap lies between two).

    Unknown hours, a temporary closure and riders' reports are all not OPEN: a station whose
    hours are unknown throughout has no intervals (``state_runs`` tells unknown from closed).
    """
    return [(r.start, r.end) for r in state_runs(schedule, start, end) if r.state is Openness.OPEN]
