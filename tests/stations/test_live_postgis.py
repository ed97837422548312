"""Serving processes follow a PostGIS store: LISTEN/NOTIFY on every committed write, delta
reads of the changed rows only, version polling while the announcements cannot arrive."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

import psycopg
import pytest

from stations.editing.audit import Action
from stations.errors import StoreUnavailable, VersionMismatch
from stations.model import StationId, Status
from stations.reading.catalog import Catalog
from stations.reading.live import LiveCatalog
from stations.store.postgis.schema import CHANGES_CHANNEL, schema_v1
from stations.store.postgis.store import PostGISStore
from tests.conftest import MakeDraft

if TYPE_CHECKING:
    from tests.pg import PgServer

CONVERGE_S = 1.0  # issue 5, item 3: every process rebuilds within a second of a write


@pytest.fixture
def store(pg_url: str) -> Iterator[PostGISStore]:
    store = PostGISStore(pg_url)
    yield store
    store.close()


@pytest.fixture
def other(pg_url: str, store: PostGISStore) -> Iterator[PostGISStore]:
    """The same database as another serving process sees it (its own connection)."""
    other = PostGISStore(pg_url)
    yield other
    other.close()


def _until(condition: Callable[[], bool], limit_s: float = 10.0) -> float:
    """Seconds until ``condition()`` holds (polled every 5 ms); fails after ``limit_s``."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < limit_s, "condition never held"
        time.sleep(0.005)
    return time.monotonic() - start


@pytest.fixture
def following(store: PostGISStore) -> Iterator[LiveCatalog]:
    """A live catalog that checks the version only when told (fallback after an hour), so
    whatever it picks up within seconds came by NOTIFY."""
    live = LiveCatalog(store, refresh_s=0.05, fallback_s=3600)
    live.start()
    _until(lambda: live.freshness().listening is True)
    yield live
    live.stop()


def test_a_committed_write_is_announced_with_its_data_version(
    store: PostGISStore, other: PostGISStore, pg_url: str, make_draft: MakeDraft
) -> None:
    with psycopg.connect(pg_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANGES_CHANNEL}")

        def announced() -> list[str]:
            return [n.payload for n in listener.notifies(timeout=0.3)]

        draft = make_draft()
        other.save_all([draft])
        assert announced() == ["1"]
        # Nothing committed, nothing announced: dry run, unchanged import, stale version.
        other.save_all([make_draft()], dry_run=True)
        other.save_all([draft])
        with pytest.raises(VersionMismatch):
            other.update(StationId(str(draft.id)), draft, expected_version=7, actor="t")
        assert announced() == []
        station = other.create(make_draft(), actor="t")
        other.update(
            station.id, replace(station.to_draft(), name="改名"), expected_version=1, actor="t"
        )
        assert announced() == ["2", "3"]
        assert store.data_version() == 3


def test_an_announced_write_is_served_within_a_second_without_polling(
    following: LiveCatalog, other: PostGISStore, make_draft: MakeDraft
) -> None:
    lags = []
    for _ in range(3):
        draft = make_draft()
        other.create(draft, actor="other process")
        lags.append(_until(lambda d=draft: d.id in following.catalog.by_id))
    print(f"\nNOTIFY → rebuilt snapshot, s: {', '.join(f'{x:.3f}' for x in lags)}")
    assert max(lags) < CONVERGE_S


def test_a_delta_rebuild_equals_a_full_read_and_reuses_unchanged_stations(
    store: PostGISStore, other: PostGISStore, make_draft: MakeDraft
) -> None:
    drafts = [make_draft() for _ in range(50)]
    store.save_all(drafts)
    live = LiveCatalog(store)
    before = live.catalog
    target = before.by_id[StationId(str(drafts[7].id))]
    untouched = before.by_id[drafts[0].id]  # made (asked for) before the refresh
    other.update(
        target.id,
        replace(target.to_draft(), status=Status.RETIRED),
        expected_version=target.version,
        actor="t",
        action=Action.RETIRE,
    )
    added = other.create(make_draft(), actor="t")
    after = live.refresh()
    full = Catalog(store.list_stations(), data_version=store.data_version())
    assert after.data_version == full.data_version
    assert list(after.by_id.values()) == list(full.by_id.values())
    assert [s.id for s in after.visible] == [s.id for s in full.visible]
    assert after.by_id[added.id] == added and after.position_of(target.id) is None
    assert after.by_id[untouched.id] is untouched  # not read again, nor made again


def test_a_lost_listen_connection_falls_back_to_polling_then_listens_again(
    following: LiveCatalog, other: PostGISStore, pg_url: str, make_draft: MakeDraft
) -> None:
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE query = 'LISTEN {CHANGES_CHANNEL}' AND pid <> pg_backend_pid()"
        )
    draft = make_draft()
    other.create(draft, actor="t")
    assert _until(lambda: draft.id in following.catalog.by_id) < CONVERGE_S + 0.5
    _until(lambda: following.freshness().listening is True)
    later = make_draft()
    other.create(later, actor="t")
    assert _until(lambda: later.id in following.catalog.by_id) < CONVERGE_S


def test_while_the_database_is_down_the_snapshot_stays_and_then_follows_again(
    following: LiveCatalog,
    other: PostGISStore,
    pg_server: PgServer,
    make_draft: MakeDraft,
) -> None:
    draft = make_draft()
    other.create(draft, actor="t")
    _until(lambda: draft.id in following.catalog.by_id)
    served = following.catalog
    pg_server.stop()
    try:
        _until(lambda: following.freshness().store_error is not None)
        assert following.catalog is served  # still answering from memory
        with pytest.raises(StoreUnavailable):
            following.refresh()
        assert following.freshness().listening is False
    finally:
        pg_server.start()
    later = make_draft()
    other.create(later, actor="t")  # the store reconnects by itself
    assert _until(lambda: later.id in following.catalog.by_id) < CONVERGE_S + 0.5
    _until(lambda: following.freshness().listening is True)
    assert following.freshness().store_error is None


def test_upgrading_a_v1_database_keeps_its_rows_and_starts_delta_reads(
    pg_url: str, make_draft: MakeDraft
) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for statement in schema_v1():
            conn.execute(statement)
        conn.execute("UPDATE yizhan_meta SET value = 1 WHERE key = 'schema_version'")
        conn.execute("UPDATE yizhan_meta SET value = 4 WHERE key = 'data_version'")
        conn.execute(
            "INSERT INTO stations (id, geom, name, kind, district_code, status, version,"
            " updated_at) VALUES ('old', ST_SetSRID(ST_MakePoint(108.9, 34.2), 4326), '旧驿站',"
            " 'love_station', '610103', 'active', 1, now())"
        )
    store = PostGISStore(pg_url)
    try:
        assert [s.id for s in store.read_stations().stations] == ["old"]
        assert not store.read_stations(since_version=4).stations
        fresh = store.create(make_draft(), actor="t")
        assert list(store.read_stations(since_version=4).stations) == [fresh]
    finally:
        store.close()
