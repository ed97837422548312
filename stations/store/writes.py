"""Station writes as every back end makes them: what to write is decided here, once.

Creating, updating and importing stations follow the same rules in every store: a draft whose
id is stored updates that station (or, if it changes nothing, is left unchanged), any other
draft creates one; a single edit applies only at the version its author saw; every change
writes its audit row in the same transaction; the data version grows once per committed write.
A back end supplies only what its database differs in: a ``Writer`` (the SQL, its parameter
style, and reading the rows a write depends on) inside a transaction of its own (locking,
announcing the commit).
"""

from __future__ import annotations

import math
import uuid
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol

import orjson

from stations.editing.audit import Action, changes_between
from stations.editing.audit import encode as audit_json
from stations.errors import (
    InvalidInput,
    Problem,
    RateLimited,
    ReportNotFound,
    StationExists,
    StationNotFound,
    VersionMismatch,
)
from stations.model import Station, StationDraft, StationId, Status
from stations.reports import (
    DEDUPE_WINDOW,
    RATE_WINDOW,
    Report,
    ReportDraft,
    ReportStatus,
    Resolution,
)
from stations.store.base import ImportCounts, Merge, Outcome, SaveResult

CHUNK: Final = 1000  # drafts an import reads and writes at a time, and per progress report


@dataclass(frozen=True, slots=True)
class Write:
    """One station row to write (a new one when ``creates``) and the audit row recording it."""

    station_id: StationId
    version: int  # the version the write produces
    draft: StationDraft
    action: Action
    actor: str
    at: datetime  # UTC, to the millisecond
    changes: dict[str, dict[str, Any]]
    creates: bool
    reports: tuple[int, ...] = ()  # the rider reports this write accepted


def creation(
    station_id: StationId, draft: StationDraft, action: Action, actor: str, at: datetime
) -> Write:
    """The write that adds ``draft`` as station ``station_id`` at version 1."""
    changes = changes_between(None, draft)
    return Write(station_id, 1, draft, action, actor, at, changes, creates=True)


def change(
    current: Station,
    draft: StationDraft,
    action: Action,
    actor: str,
    at: datetime,
    reports: tuple[int, ...] = (),
) -> Write | None:
    """The write that replaces ``current`` by ``draft``, or None when it would change nothing."""
    if current.same_content(draft):
        return None
    changes = changes_between(current, draft)
    return Write(current.id, current.version + 1, draft, action, actor, at, changes,
                 creates=False, reports=reports)  # fmt: skip


def audit_values(write: Write, at: object) -> tuple[object, ...]:
    """The audit row of ``write``, with its moment ``at`` as the back end stores moments."""
    reports = orjson.dumps(list(write.reports)).decode() if write.reports else None
    return (write.station_id, write.version, write.action.value, write.actor, at,
            *audit_json(write.changes, write.draft), reports)  # fmt: skip


def new_id() -> StationId:
    return StationId(f"st-{uuid.uuid4().hex[:12]}")


def millis(moment: datetime) -> datetime:
    """``moment`` in UTC, cut to the millisecond (the GeoPackage DATETIME precision)."""
    utc = moment.astimezone(UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


def now_ms() -> datetime:
    return millis(datetime.now(UTC))


class Writer(Protocol):
    """A back end's station writes inside one of its transactions. In a transaction that will
    commit, the rows it reads stay as read until the commit (a back end locks them, or the
    whole store)."""

    def get(self, station_id: StationId) -> Station:
        """One stored station; raises StationNotFound."""
        ...

    def stored(self, ids: Sequence[StationId]) -> Iterable[Station]:
        """The stations among ``ids`` that are stored."""
        ...

    def as_stored(self, write: Write) -> Station:
        """The station ``write`` leaves, as reading it back would give it."""
        ...

    def insert_new(self, write: Write) -> bool:
        """Insert the station row of a creating write; False (nothing written) if its id is
        taken."""
        ...

    def insert(self, writes: Sequence[Write]) -> None:
        """Insert the station rows of creating writes."""
        ...

    def update(self, writes: Sequence[Write]) -> None:
        """Replace the station rows of changing writes."""
        ...

    def audit(self, writes: Sequence[Write]) -> None:
        """Insert the audit rows of ``writes``."""
        ...

    def finish(self, drafts: Sequence[StationDraft], at: datetime) -> None:
        """Record that the transaction changed stations (``drafts`` among them): bump the data
        version, and whatever else the back end keeps about its contents."""
        ...

    def reports_changed(self) -> None:
        """Record (and announce) that reports were added or resolved: bump the reports
        version, which serving processes follow to reload the open reports alone."""
        ...

    def insert_report(self, draft: ReportDraft, client_hash: str, at: datetime) -> Report: ...

    def reports_by_clients(self, hashes: Sequence[str], since: datetime) -> list[Report]:
        """Reports from any of these client hashes made after ``since``."""
        ...

    def reports_by_id(self, ids: Sequence[int]) -> list[Report]:
        """The reports among ``ids`` (locked until the commit in a committing transaction)."""
        ...

    def resolve(self, ids: Sequence[int], resolution: Resolution) -> None: ...


def apply(writer: Writer, writes: Sequence[Write]) -> None:
    """Write the rows of ``writes``: new rows before changed ones (an import may name an id
    twice), then the audit rows, in the order planned."""
    for method, rows in (
        (writer.insert, [w for w in writes if w.creates]),
        (writer.update, [w for w in writes if not w.creates]),
        (writer.audit, writes),
    ):
        if rows:
            method(rows)


class ImportPlan:
    """One import's writes: the state each draft meets (earlier drafts of the same import
    included), and the rows to write, sent a chunk at a time."""

    def __init__(
        self,
        writer: Writer,
        drafts: Sequence[StationDraft],
        actor: str,
        at: datetime,
        merge: Merge | None = None,
    ) -> None:
        self.writer, self.actor, self.at, self.merge = writer, actor, at, merge
        self.known: dict[StationId, Station] = {}
        self.pending: list[Write] = []
        named = Counter(d.id for d in drafts if d.id is not None)
        #: Ids that more than one draft names: only a later draft can meet what a write left.
        self.named_again = {station_id for station_id, n in named.items() if n > 1}

    def load(self, chunk: Sequence[StationDraft]) -> None:
        """Read the stored stations this chunk names that the plan does not know yet."""
        ids = sorted({d.id for d in chunk if d.id is not None and d.id not in self.known})
        if ids:
            for station in self.writer.stored(ids):
                self.known[station.id] = station

    def plan(self, draft: StationDraft) -> SaveResult:
        current = self.known.get(draft.id) if draft.id is not None else None
        if self.merge is not None:
            merged = self.merge(current, draft)
            if merged is None:
                return SaveResult(draft.id or StationId(""), Outcome.UNCHANGED)
            draft = merged
        if current is None:
            write = creation(draft.id or new_id(), draft, Action.IMPORT, self.actor, self.at)
        else:
            # A file carries what editors type; what Yizhan records itself stays.
            changing = change(current, current.keep_state(draft), Action.IMPORT, self.actor,
                              self.at)  # fmt: skip
            if changing is None:
                return SaveResult(current.id, Outcome.UNCHANGED)
            write = changing
        self.pending.append(write)
        if write.station_id in self.named_again:
            self.known[write.station_id] = self.writer.as_stored(write)
        return SaveResult(write.station_id, Outcome.CREATED if write.creates else Outcome.UPDATED)

    def flush(self) -> None:
        apply(self.writer, self.pending)
        self.pending = []


class WritingStore(ABC):
    """``save_all``, ``create`` and ``update`` of the StationStore interface (see
    stations/store/base.py for what they promise), on a back end's ``_writing``."""

    @abstractmethod
    def _writing(self, *, commit: bool) -> AbstractContextManager[Writer]:
        """One transaction, committed at the end if ``commit`` and no exception, else rolled
        back; a committing one queues behind every other station writer."""

    def save_all(
        self,
        drafts: Sequence[StationDraft],
        *,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
        actor: str = "cli",
        merge: Merge | None = None,
    ) -> ImportCounts:
        counts = ImportCounts()
        with self._writing(commit=not dry_run) as writer:
            plan = ImportPlan(writer, drafts, actor, now_ms(), merge)
            for start in range(0, len(drafts), CHUNK):
                chunk = drafts[start : start + CHUNK]
                plan.load(chunk)
                for draft in chunk:
                    counts.add(plan.plan(draft))
                if not dry_run:
                    plan.flush()
                if progress is not None and len(chunk) == CHUNK:
                    progress(CHUNK)
            if not dry_run and (counts.created or counts.updated):
                writer.finish(drafts, plan.at)
        if progress is not None:
            progress(len(drafts) % CHUNK)
        return counts

    def create(self, draft: StationDraft, *, actor: str) -> Station:
        """Add a new station (version 1); raises StationExists if its id is taken."""
        write = creation(draft.id or new_id(), draft, Action.CREATE, actor, now_ms())
        with self._writing(commit=True) as writer:
            if not writer.insert_new(write):
                raise StationExists(write.station_id)
            writer.audit([write])
            writer.finish([draft], write.at)
            return writer.get(write.station_id)

    def update(
        self,
        station_id: StationId,
        draft: StationDraft,
        *,
        expected_version: int,
        actor: str,
        action: Action = Action.UPDATE,
    ) -> Station:
        """Replace a station's fields with ``draft`` if it is still at ``expected_version``.
        A draft that changes nothing writes nothing (same version, no history row). Raises
        StationNotFound or VersionMismatch; then nothing is written."""
        at = now_ms()
        with self._writing(commit=True) as writer:
            current = writer.get(station_id)
            if current.version != expected_version:
                raise VersionMismatch(station_id, expected_version, current.version)
            write = change(current, draft, action, actor, at)
            if write is None:
                return current
            apply(writer, [write])
            writer.finish([draft], at)
            return writer.get(station_id)

    def add_report(
        self, draft: ReportDraft, hashes: tuple[str, str], *, per_hour: int
    ) -> tuple[Report, bool]:
        """Store a rider's report of an active station: (the report, False), or (the same
        report stored earlier, True) when this client sent it within DEDUPE_WINDOW. Raises
        StationNotFound, RateLimited when the client's reports stored in the last hour reach
        ``per_hour``. ``hashes``: the client's hashes for today and yesterday."""
        at = now_ms()
        with self._writing(commit=True) as writer:
            station = writer.get(draft.station_id)
            if station.status is Status.RETIRED:
                raise StationNotFound(draft.station_id)
            recent = writer.reports_by_clients(hashes, at - DEDUPE_WINDOW)
            for earlier in recent:
                if (earlier.station_id, earlier.category, earlier.amenity) == (
                    draft.station_id, draft.category, draft.amenity,
                ):  # fmt: skip
                    return earlier, True
            in_hour = sorted(r.created_at for r in recent if r.created_at > at - RATE_WINDOW)
            if len(in_hour) >= per_hour:
                wait_s = (in_hour[-per_hour] + RATE_WINDOW - at).total_seconds()
                raise RateLimited(
                    f"at most {per_hour} reports an hour from one connection; "
                    f"try again in {math.ceil(wait_s / 60)} minutes",
                    retry_after_s=max(1, math.ceil(wait_s)),
                )
            report = writer.insert_report(draft, hashes[0], at)
            writer.reports_changed()
            return report, False

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
        """Resolve open reports of one station in one transaction. ``accept`` given: they are
        accepted, and the draft it makes of the station and the reports is written as a new
        version (when it changes anything) whose audit row names them, if the station is still
        at ``expected_version`` (else VersionMismatch, nothing written, reports stay open).
        ``accept`` None: dismissed with ``reason``. Raises ReportNotFound, InvalidInput for a
        report of another station or one resolved already."""
        at = now_ms()
        ids = tuple(dict.fromkeys(report_ids))
        with self._writing(commit=True) as writer:
            current = writer.get(station_id)
            reports = sorted(writer.reports_by_id(ids), key=lambda r: r.id)
            missing = set(ids) - {r.id for r in reports}
            if missing:
                raise ReportNotFound(min(missing))
            _check_open(station_id, reports)
            version: int | None = None
            if accept is not None:
                if expected_version != current.version:
                    raise VersionMismatch(station_id, expected_version or -1, current.version)
                draft = accept(current, reports)
                write = change(current, draft, Action.ACCEPT_REPORTS, actor, at, ids)
                if write is not None:
                    apply(writer, [write])
                    writer.finish([draft], at)
                version = current.version if write is None else write.version
            status = ReportStatus.DISMISSED if accept is None else ReportStatus.ACCEPTED
            resolution = Resolution(status, actor, at, reason, version)
            writer.resolve(ids, resolution)
            writer.reports_changed()
            return writer.get(station_id), [resolution.of(r) for r in reports]


def _check_open(station_id: StationId, reports: Sequence[Report]) -> None:
    problems = [
        Problem("reports", f"report {r.id} is about station {r.station_id!r}, not {station_id!r}")
        for r in reports
        if r.station_id != station_id
    ] + [
        Problem("reports", f"report {r.id} was {r.status.value} by {r.resolved_by} already")
        for r in reports
        if r.status is not ReportStatus.OPEN
    ]
    if problems:
        raise InvalidInput(problems)
