"""Open-at lookups from interval arrays (stations.reading.open_table) answer exactly what the
schedules answer (``state(at) is OPEN``): for every opening-hours text in the suite (every string
of the hours tests that parses, the demo stations', the benchmarks' mix), behind a closure and
behind riders' reports too, at 10,000 random instants over two years — China's Spring Festival
and National Day breaks among them — and at every instant where a state changes, and a
microsecond before it."""

from __future__ import annotations

import ast
import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import numpy as np
import pytest

from bench.nearest import HOURS_MIX
from stations.hours import Hours, InvalidOpeningHours, Openness
from stations.model import Category, ReportSignal
from stations.reading.catalog import ClosedUntil, ReportedClosed, Schedule
from stations.reading.intervals import state_runs
from stations.reading.open_table import SHARE_SAMPLE, OpenTable
from stations.reports import ReportRule
from tests.conftest import DEMO_CSV

TESTS: Final = Path(__file__).resolve().parent
START: Final = datetime(2026, 1, 1, tzinfo=UTC)
END: Final = datetime(2027, 12, 31, tzinfo=UTC)
#: Days around the 2026 breaks (Spring Festival from 15 February, National Day from 1 October).
BREAKS: Final = [datetime(2026, 2, 13, tzinfo=UTC), datetime(2026, 9, 29, tzinfo=UTC)]


def suite_texts() -> list[str | None]:
    """Every string constant of the hours tests that is opening hours, and the data's."""
    found: set[str] = set()
    for path in [*sorted(TESTS.glob("test_hours*.py")), TESTS / "test_intervals.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    with DEMO_CSV.open(encoding="utf-8-sig", newline="") as f:
        found |= {row["opening_hours"] for row in csv.DictReader(f)}
    found |= {text for text, _ in HOURS_MIX if text}
    texts: list[str | None] = [None]
    for text in sorted(found):
        if not text.strip() or len(text) > 300:
            continue
        try:
            Hours.parse(text)
        except (InvalidOpeningHours, ValueError):
            continue
        texts.append(text)
    return texts


def schedules() -> list[Schedule]:
    texts = suite_texts()
    assert len(texts) > 40  # the suite's texts, not a handful
    plain: list[Schedule] = [Hours.parse(t) for t in texts]
    office = Hours.parse("Mo-Fr 09:00-18:00; PH off")
    reported = (
        ReportSignal(Category.CLOSED_NOW, None, "a", datetime(2026, 10, 2, 1, tzinfo=UTC)),
        ReportSignal(Category.GONE, None, "b", datetime(2026, 10, 2, 2, tzinfo=UTC)),
        ReportSignal(Category.CLOSED_NOW, None, "c", datetime(2026, 10, 2, 3, tzinfo=UTC)),
    )
    return [
        *plain,
        ClosedUntil(office, datetime(2026, 6, 1, 4, tzinfo=UTC)),
        ReportedClosed(office, reported, ReportRule()),
        ReportedClosed(
            ClosedUntil(Hours.parse("24/7"), datetime(2026, 10, 1, tzinfo=UTC)),
            reported,
            ReportRule(),
        ),
    ]


def instants(n: int, seed: int) -> list[datetime]:
    rng = random.Random(seed)
    span = (END - START).total_seconds()
    out = [START + timedelta(seconds=rng.uniform(0, span)) for _ in range(n * 4 // 5)]
    for _ in range(n - len(out)):  # a fifth around the holiday breaks
        out.append(rng.choice(BREAKS) + timedelta(seconds=rng.uniform(0, 12 * 86400)))
    return sorted(out)


@pytest.fixture(scope="module")
def table_and_schedules() -> tuple[OpenTable, list[Schedule]]:
    chosen = schedules()
    # Several stations share each schedule, as in a catalog: the table keeps one per schedule.
    per_station = [s for s in chosen for _ in range(3)]
    table = OpenTable(per_station)
    assert table.distinct == len(chosen)
    return table, per_station


def test_random_instants_agree_with_the_schedules(
    table_and_schedules: tuple[OpenTable, list[Schedule]],
) -> None:
    table, per_station = table_and_schedules
    everyone = list(range(len(per_station)))
    for at in instants(10_000, seed=16):
        expected = [s.state(at) is Openness.OPEN for s in per_station]
        assert table.open_at(everyone, at) == expected, at.isoformat()


def test_every_change_and_the_microsecond_before_agree(
    table_and_schedules: tuple[OpenTable, list[Schedule]],
) -> None:
    table, per_station = table_and_schedules
    checked = 0
    for position, schedule in enumerate(per_station[::3]):
        for start in BREAKS:
            for run in state_runs(schedule, start, start + timedelta(days=10))[1:]:
                for at in (run.start, run.start - timedelta(microseconds=1)):
                    (got,) = table.open_at([position * 3], at)
                    assert got == (schedule.state(at) is Openness.OPEN), (schedule, at)
                    checked += 1
    assert checked > 500


def test_a_batch_of_positions_in_any_order(
    table_and_schedules: tuple[OpenTable, list[Schedule]],
) -> None:
    table, per_station = table_and_schedules
    rng = np.random.default_rng(3)
    at = datetime(2026, 10, 3, 3, tzinfo=UTC)  # in the National Day break
    positions = rng.integers(0, len(per_station), 200).tolist()
    expected = [per_station[p].state(at) is Openness.OPEN for p in positions]
    assert table.open_at(positions, at) == expected
    assert table.open_at([], at) == []


def test_the_share_open_is_counted_per_station_at_the_minute_first_asked() -> None:
    chosen = schedules()
    rng = np.random.default_rng(5)
    # Unequal numbers of stations per schedule, as in a city: the share counts stations.
    per_station = [s for s in chosen for _ in range(int(rng.integers(1, 6)))][:SHARE_SAMPLE]
    assert len(set(map(id, per_station))) > 40  # many schedules, every station counted: exact
    table = OpenTable(per_station)
    for at in instants(300, seed=21):
        at = at.replace(second=0, microsecond=0)  # the first instant asked in its minute
        want = sum(s.state(at) is Openness.OPEN for s in per_station) / len(per_station)
        assert table.open_share(at) == pytest.approx(want, abs=1e-12), at.isoformat()
    assert OpenTable([]).open_share(datetime(2026, 1, 1, tzinfo=UTC)) == 0.0


def test_the_share_open_of_many_stations_is_estimated_from_a_sample() -> None:
    chosen = schedules()
    rng = np.random.default_rng(8)
    per_station = [chosen[i] for i in rng.integers(0, len(chosen), 20_000)]
    table = OpenTable(per_station)
    for at in instants(40, seed=22):
        at = at.replace(second=0, microsecond=0)
        want = sum(s.state(at) is Openness.OPEN for s in per_station) / len(per_station)
        assert table.open_share(at) == pytest.approx(want, abs=0.1), at.isoformat()
