"""Keep a catalog snapshot in step with its store.

Readers take ``live.catalog`` (one attribute read, no lock). A background thread swaps in a
rebuilt snapshot when the store's data version moves:

* with a change feed (PostgreSQL LISTEN/NOTIFY) it rebuilds as soon as a write is announced,
  and still checks the version every ``fallback_s`` in case an announcement was missed; while
  the feed's connection is lost it checks every ``refresh_s`` until the feed listens again;
* without one (a GeoPackage file) it checks the version every ``refresh_s``.

Rider reports have their own version: when only it moved, the snapshot is reused with the
stations' new open reports (``Catalog.with_signals``), at the cost of one small query. A store
that can say which stations changed (both can) is read incrementally: the new snapshot reuses
every unchanged station's row, and takes every station's open reports afresh. When the store
cannot be reached the last good snapshot keeps being served. Writers in this process call
``refresh()`` to see their change at once.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from stations.errors import StoreUnavailable
from stations.reading.catalog import DEFAULT_RULE, Catalog
from stations.reports import ReportRule
from stations.store.base import (
    SIGNAL_HORIZON,
    ChangeFeed,
    SignalsRead,
    StationStore,
)
from stations.store.station_table import as_table

log = logging.getLogger("yizhan.live")


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS, Windows)."""
    try:
        return getattr(ctypes.CDLL(None), "malloc_trim", None)
    except (OSError, TypeError):
        return None


_MALLOC_TRIM: Final = _malloc_trim()


_PAUSES_LOCK: Final = threading.Lock()
_pauses = 0  # snapshots being built now, in any LiveCatalog of this process
_resume = False  # whether the first of them found the collector on


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a snapshot is built, then as it was. A snapshot
    is hundreds of thousands of new objects, none in a reference cycle: the collector would
    scan the growing heap several times while they are made (0.35 s of a 1.7 s start at
    190,000 stations) and find nothing. Counted, so that builds overlapping in several
    LiveCatalogs leave the collector as the first found it."""
    global _pauses, _resume
    with _PAUSES_LOCK:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _PAUSES_LOCK:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


def return_freed_memory() -> None:
    """Hand the memory a replaced snapshot freed back to the system. glibc keeps freed memory
    in the process's heap for reuse, and a new snapshot is allocated while the old one still
    lives, so without this every rebuild leaves a snapshot's worth of unused pages resident
    (bench/serving.py measured 406 MiB after five edits against 290 MiB once ready; a few ms)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


@dataclass(frozen=True, slots=True)
class Freshness:
    """How current the served snapshot is known to be."""

    data_version: int
    stations: int
    built_at: datetime  # when this snapshot was built (UTC)
    checked_at: datetime | None  # last time the store confirmed (or replaced) it; None: never
    store_error: str | None  # why the last check failed, None when it succeeded
    listening: bool | None  # change feed connected; None when the store has no feed


class LiveCatalog:
    def __init__(
        self,
        store: StationStore,
        *,
        refresh_s: float = 0.5,
        fallback_s: float = 5.0,
        report_rule: ReportRule = DEFAULT_RULE,
    ) -> None:
        self.store = store
        self.report_rule = report_rule
        self.refresh_s = refresh_s
        self.fallback_s = fallback_s
        self._rebuild_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._feed: ChangeFeed | None = None
        self.catalog = self._rebuild(None)
        return_freed_memory()  # what reading the store held on the way
        self._built_at = self._checked_at = datetime.now(UTC)
        self._store_error: str | None = None

    def refresh(self) -> Catalog:
        """Rebuild now if the store changed since the current snapshot; return the snapshot.
        Raises StoreUnavailable when the store cannot be read (the snapshot stays)."""
        with self._rebuild_lock:
            try:
                if self.store.data_version() != self.catalog.data_version:
                    self.catalog = self._rebuild(self.catalog)
                    self._built_at = datetime.now(UTC)
                    return_freed_memory()  # the old snapshot's, unless a request still holds it
                elif self.store.reports_version() != self.catalog.reports_version:
                    # Only riders' reports moved: the same snapshot with their new signals.
                    self.catalog = self.catalog.with_signals(self._signals())
            except StoreUnavailable as exc:
                if self._store_error is None:
                    log.warning("serving the last snapshot: %s", exc)
                self._store_error = str(exc)
                raise
            if self._store_error is not None:
                log.info("store reachable again; snapshot at data version %s",
                         self.catalog.data_version)  # fmt: skip
            self._store_error = None
            self._checked_at = datetime.now(UTC)
            return self.catalog

    def freshness(self) -> Freshness:
        feed = self._feed
        return Freshness(
            data_version=self.catalog.data_version,
            stations=len(self.catalog.by_id),
            built_at=self._built_at,
            checked_at=self._checked_at,
            store_error=self._store_error,
            listening=None if feed is None else feed.listening,
        )

    def start(self) -> None:
        """Start following the store in a daemon thread (idempotent)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._follow, name="yizhan-refresh", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _follow(self) -> None:
        try:
            self._feed = self.store.change_feed()
        except StoreUnavailable as exc:  # poll until the database is back; the feed retries
            log.warning("no change feed yet (%s): polling every %s s", exc, self.refresh_s)
        last_check = time.monotonic()
        while not self._stop.is_set():
            started = time.monotonic()
            feed = self._feed
            if feed is None:
                due = True
                if self._stop.wait(self.refresh_s):
                    break
                self._feed = self._try_feed()
            else:
                announced = feed.wait(self.refresh_s)  # short waits keep stop() prompt
                if not feed.listening:  # lost: wait out the round, then poll the version
                    self._stop.wait(max(0.0, self.refresh_s - (time.monotonic() - started)))
                due = (
                    announced
                    or not feed.listening
                    or time.monotonic() - last_check >= self.fallback_s
                )
            if due and not self._stop.is_set():
                last_check = time.monotonic()
                try:
                    self.refresh()
                except StoreUnavailable:
                    pass  # logged once by refresh(); the snapshot keeps being served
                except Exception:  # keep serving the last good snapshot; say why in the log
                    log.exception("could not refresh the station snapshot")
        if self._feed is not None:
            self._feed.close()
            self._feed = None

    def _try_feed(self) -> ChangeFeed | None:
        """A change feed if the store offers one and can give it now."""
        try:
            return self.store.change_feed()
        except StoreUnavailable:
            return None

    def _signals(self) -> SignalsRead:
        """The open reports a snapshot shows: those of the courier answer's summary window."""
        return self.store.read_signals(datetime.now(UTC) - SIGNAL_HORIZON)

    def _rebuild(self, current: Catalog | None) -> Catalog:
        with _collector_paused():
            catalog = self._build(current)
            if current is not None:
                # Request threads went on making garbage while the collector was paused, some of
                # it in reference cycles: collect it (one pass over the young objects, ~0.1 s at
                # 190,000 stations) or the freeze below would keep it for good. The first
                # snapshot is built before any request is served.
                gc.collect(0)
            # A snapshot is millions of long-lived, acyclic objects: keep the cyclic collector
            # from rescanning them on every full collection (measured ~5 s pauses at 1M
            # stations). Old snapshots are still freed by reference counting.
            gc.freeze()
        return catalog

    def _build(self, current: Catalog | None) -> Catalog:
        read = self.store.read_stations(None if current is None else current.data_version)
        if read.complete or current is None:
            stations = as_table(read.stations)
        else:  # only the changed stations came back: every other one is kept as it is
            stations = current.stations.replaced(read.stations)
        signals = self._signals()
        # Every station's reports afresh: one kept from the last snapshot may have been resolved
        # since, even though the station's own row did not change.
        had = map(stations.id_at, stations.reports)
        reports = dict.fromkeys(had, ()) | dict(signals.signals)
        return Catalog(
            stations.with_reports(reports),
            data_version=read.data_version,
            reports_version=signals.reports_version,
            report_rule=self.report_rule,
        )
