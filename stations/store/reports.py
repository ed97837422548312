"""Rider reports as every store keeps them (table ``yizhan_reports``), and the read side of
moderation. Writes (adding, resolving) go through stations/store/writes.py, in the station
write transaction: a report and the station change it causes commit together."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from stations.model import Category, StationId
from stations.reports import Report, ReportStatus


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Which reports a moderation list shows. ``scope``: the adcode prefixes the reader may see
    (None: all, an admin); ``district``: an adcode prefix asked for."""

    status: ReportStatus | None = ReportStatus.OPEN
    station_id: StationId | None = None
    district: str | None = None
    scope: tuple[str, ...] | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class ListedReport:
    report: Report
    station_name: str
    district_code: str


@dataclass(frozen=True, slots=True)
class ReportPage:
    """One page of reports, newest first; ``matched`` and ``counts`` (by category) cover every
    report the filter matches."""

    reports: list[ListedReport]
    matched: int
    counts: dict[str, int] = field(default_factory=dict)


def report_page(
    rows: Sequence[tuple[Report, object, object]], counts: Iterable[Sequence[object]]
) -> ReportPage:
    """A page from (report, station name, district) rows and (category, count) rows, the
    counts in the categories' order."""
    listed = [ListedReport(report, str(name), str(district)) for report, name, district in rows]
    by_category = {str(c): int(str(n)) for c, n in counts}
    ordered: dict[str, int] = {
        c.value: by_category[c.value] for c in Category if c.value in by_category
    }
    return ReportPage(listed, sum(ordered.values()), dict(ordered))


class ReportReader(Protocol):
    def list_reports(self, query: ReportFilter) -> ReportPage: ...

    def report(self, report_id: int) -> Report:
        """One report (raises ReportNotFound)."""
        ...

    def reports_of(self, station_id: StationId) -> list[Report]:
        """Every report about a station, newest first."""
        ...

    def report_salt(self) -> int:
        """The store's secret salt for hashing reporters' addresses."""
        ...
