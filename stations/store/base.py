"""The store interface: every back end (GeoPackage file, PostGIS) implements it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final, Protocol

from stations.editing.audit import Action, AuditEntry
from stations.editing.tokens import Token
from stations.model import ReportSignal, Station, StationDraft, StationId
from stations.reports import SUMMARY_WINDOW, Report, ReportDraft
from stations.store.photos import PhotoStore
from stations.store.reports import ReportReader

#: What a draft writes over the stored station (None: a new one); None: leave it as it is.
Merge = Callable[[Station | None, StationDraft], StationDraft | None]


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What saving one draft did (or, in a dry run, would do)."""

    station_id: StationId
    outcome: Outcome


@dataclass(slots=True)
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    results: list[SaveResult] = field(default_factory=list)

    def add(self, result: SaveResult) -> None:
        self.results.append(result)
        setattr(self, result.outcome.value, getattr(self, result.outcome.value) + 1)


@dataclass(frozen=True, slots=True)
class StationsRead:
    """Stations read in one consistent view of the store, with the data version of that view.

    ``complete``: every station is in ``stations``; otherwise only the ones changed after the
    version asked for (a serving process applies them to the snapshot it has)."""

    data_version: int
    stations: Sequence[Station]  # in id order (a StationTable: no Station made yet)
    complete: bool


#: How far back the open reports a snapshot carries go: the courier answer's summary window
#: (SUMMARY_WINDOW), which is longer than any reported-closed window worth setting.
SIGNAL_HORIZON: Final = SUMMARY_WINDOW


@dataclass(frozen=True, slots=True)
class SignalsRead:
    """Open rider reports by station (oldest first), read with the reports version they
    belong to."""

    reports_version: int
    signals: Mapping[StationId, Sequence[ReportSignal]]


class ChangeFeed(Protocol):
    """Tells a serving process that another one committed a write (PostgreSQL LISTEN/NOTIFY)."""

    def wait(self, timeout_s: float) -> bool:
        """Block until a change is announced (True) or ``timeout_s`` passes (False). While the
        feed cannot listen (its connection lost) it tries to reconnect and returns False;
        the caller then checks the data version itself."""
        ...

    @property
    def listening(self) -> bool:
        """Whether announcements arrive now (False after a lost connection, until reconnected)."""
        ...

    def close(self) -> None: ...


class StationStore(PhotoStore, ReportReader, Protocol):
    """Durable station storage. Every write is one transaction: all of it or none of it."""

    def list_stations(self) -> list[Station]:
        """Every stored station, retired ones included, ordered by id."""
        ...

    def read_stations(self, since_version: int | None = None) -> StationsRead:
        """Stations and the data version they belong to, read consistently. With
        ``since_version`` a store may answer with only the stations changed after that version
        (``complete=False``); it answers completely when it cannot tell (or always)."""
        ...

    def change_feed(self) -> ChangeFeed | None:
        """A feed announcing committed writes from any process, or None when the store has
        none (then serving processes poll ``data_version``)."""
        ...

    def get(self, station_id: StationId) -> Station:
        """One station; raises StationNotFound."""
        ...

    def save_all(
        self,
        drafts: Sequence[StationDraft],
        *,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
        actor: str = "cli",
        merge: Merge | None = None,
    ) -> ImportCounts:
        """Create or update every draft in one transaction (upsert by id; a draft without id is
        created with a new one), each change with its audit row. ``dry_run`` computes the same
        counts and writes nothing. ``progress`` is called with the number of drafts handled
        since its last call. ``merge(current, draft)``, when given, decides inside the
        transaction what each draft writes over the station as stored there (None: nothing),
        so no write made after the caller read the store is overwritten."""
        ...

    def create(self, draft: StationDraft, *, actor: str) -> Station:
        """Add one station at version 1 (raises StationExists if the id is taken)."""
        ...

    def update(
        self,
        station_id: StationId,
        draft: StationDraft,
        *,
        expected_version: int,
        actor: str,
        action: Action = Action.UPDATE,
    ) -> Station:
        """Replace a station's fields if it is still at ``expected_version`` (else
        VersionMismatch, nothing written); the new version is recorded in the history. A draft
        that changes nothing writes nothing."""
        ...

    def add_report(
        self, draft: ReportDraft, hashes: tuple[str, str], *, per_hour: int
    ) -> tuple[Report, bool]:
        """Store a rider's report (see WritingStore.add_report)."""
        ...

    def resolve_reports(
        self,
        station_id: StationId,
        report_ids: Sequence[int],
        *,
        accept: Callable[[Station, list[Report]], StationDraft] | None,
        actor: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> tuple[Station, list[Report]]:
        """Accept or dismiss open reports of one station (see WritingStore.resolve_reports)."""
        ...

    def history(self, station_id: StationId) -> list[AuditEntry]:
        """Every recorded version, newest first."""
        ...

    def recorded_version(self, station_id: StationId, version: int) -> AuditEntry:
        """One recorded version (raises VersionNotFound)."""
        ...

    def add_token(self, token: Token, secret_sha256: str) -> None: ...

    def token_by_hash(self, secret_sha256: str) -> Token | None: ...

    def list_tokens(self) -> list[Token]: ...

    def revoke_token(self, name: str) -> None: ...

    def data_version(self) -> int:
        """A counter that grows with every committed write, from any process."""
        ...

    def reports_version(self) -> int:
        """A counter that grows with every rider report written or resolved."""
        ...

    def read_signals(self, since: datetime) -> SignalsRead:
        """The open reports made after ``since``, by station, and the reports version."""
        ...

    def close(self) -> None: ...
