"""What only the PostGIS store has: its schema and migrations, URLs, a server that goes away."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

from stations.errors import StoreUnavailable
from stations.model import StationId
from stations.store.geopackage.store import GeoPackageStore
from stations.store.open import open_store, upgrade_store
from stations.store.postgis.schema import SCHEMA_VERSION
from stations.store.postgis.store import PostGISStore
from tests.conftest import MakeDraft

if TYPE_CHECKING:  # tests.pg is a plugin (tests/conftest.py), imported by pytest first
    from tests.pg import PgServer


@pytest.fixture
def store(pg_url: str) -> Iterator[PostGISStore]:
    store = PostGISStore(pg_url)
    yield store
    store.close()


def _sql(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(query).fetchall()


def test_open_store_picks_the_back_end_by_url(pg_url: str, tmp_path: Path) -> None:
    for target, kind in (
        (pg_url, PostGISStore),
        (str(tmp_path / "a.gpkg"), GeoPackageStore),
        (tmp_path / "b.gpkg", GeoPackageStore),
    ):
        store = open_store(target)
        assert isinstance(store, kind)
        store.close()


def test_positions_are_indexed_points_in_epsg_4326(
    store: PostGISStore, pg_url: str, make_draft: MakeDraft
) -> None:
    near, far = make_draft(lon=108.9401, lat=34.2601), make_draft(lon=116.39, lat=39.9)
    store.save_all([far, near])
    assert _sql(
        pg_url, "SELECT type, srid FROM geometry_columns WHERE f_table_name = 'stations'"
    ) == [("POINT", 4326)]
    [(indexdef,)] = _sql(
        pg_url, "SELECT indexdef FROM pg_indexes WHERE indexname = 'stations_geom_gist'"
    )
    assert "USING gist (geom)" in str(indexdef)
    knn = _sql(
        pg_url,
        "SELECT id FROM stations ORDER BY geom <-> ST_SetSRID(ST_MakePoint(108.94, 34.26), 4326)",
    )
    assert [row[0] for row in knn] == [near.id, far.id]


def test_upgrade_is_idempotent_and_create_false_needs_it(pg_url: str) -> None:
    with pytest.raises(StoreUnavailable, match="has no Yizhan schema: run `yizhan db upgrade"):
        PostGISStore(pg_url, create=False)
    assert upgrade_store(pg_url) == SCHEMA_VERSION
    assert upgrade_store(pg_url) == SCHEMA_VERSION
    store = PostGISStore(pg_url, create=False)
    assert store.upgrade() == (SCHEMA_VERSION, SCHEMA_VERSION)
    assert store.data_version() == 0
    store.close()


def test_a_schema_from_a_newer_yizhan_is_refused(store: PostGISStore, pg_url: str) -> None:
    store.close()
    _sql(
        pg_url, "UPDATE yizhan_meta SET value = value + 1 WHERE key = 'schema_version' RETURNING 1"
    )
    for create in (True, False):
        with pytest.raises(StoreUnavailable, match="upgrade Yizhan"):
            PostGISStore(pg_url, create=create)


def test_postgis_is_created_in_a_database_without_it(pg_server: PgServer) -> None:
    url = pg_server.new_database(postgis=False)
    try:
        PostGISStore(url).close()
        assert _sql(url, "SELECT extname FROM pg_extension WHERE extname = 'postgis'")
    finally:
        pg_server.drop_database(url)


def test_a_role_that_may_not_create_postgis_is_told_whom_to_ask(pg_server: PgServer) -> None:
    url = pg_server.new_database(postgis=False)
    dbname = url.rsplit("/", 1)[1]
    with pg_server.admin() as conn:
        conn.execute("CREATE ROLE yizhan_plain LOGIN")
        conn.execute(f"ALTER DATABASE {dbname} OWNER TO yizhan_plain")
    try:
        plain = url.replace("postgres@", "yizhan_plain@")
        with pytest.raises(StoreUnavailable, match="ask a superuser to run CREATE EXTENSION"):
            PostGISStore(plain)
    finally:
        pg_server.drop_database(url)
        with pg_server.admin() as conn:
            conn.execute("DROP ROLE yizhan_plain")


def test_an_unreachable_database_is_a_clear_error_without_the_password() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nobody listens on it once the socket is closed
    with pytest.raises(StoreUnavailable) as exc:
        PostGISStore(f"postgresql://yizhan:s3cret-pw@127.0.0.1:{port}/stations")
    message = str(exc.value)
    assert f"postgresql://yizhan@127.0.0.1:{port}/stations" in message
    assert "refused" in message.lower()
    assert "s3cret" not in message and exc.value.__cause__ is None


def test_a_missing_database_and_a_malformed_url(pg_server: PgServer) -> None:
    with pytest.raises(StoreUnavailable, match='database "nope" does not exist'):
        PostGISStore(pg_server.url("nope"))
    with pytest.raises(StoreUnavailable, match="not a valid PostgreSQL URL") as exc:
        PostGISStore("postgresql://u:s3cret@host:5432/db?no_such_option=1")
    assert "s3cret" not in str(exc.value)


def test_other_connections_see_all_or_nothing(
    store: PostGISStore, pg_url: str, make_draft: MakeDraft
) -> None:
    seen: list[int] = []

    def peek(_n: int) -> None:
        [(count,)] = _sql(pg_url, "SELECT count(*) FROM stations")
        seen.append(int(str(count)))

    store.save_all([make_draft() for _ in range(2000)], progress=peek)
    assert seen[:2] == [0, 0]  # mid-transaction, other sessions see the old state
    assert int(str(_sql(pg_url, "SELECT count(*) FROM yizhan_audit")[0][0])) == 2000


def test_a_lost_connection_is_reopened_on_next_use(
    store: PostGISStore, pg_url: str, make_draft: MakeDraft
) -> None:
    draft = make_draft()
    store.save_all([draft])
    _sql(
        pg_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE application_name = 'yizhan' AND pid <> pg_backend_pid()",
    )
    assert store.get(StationId(str(draft.id))).same_content(draft)


def test_while_the_server_is_down_the_store_is_unavailable_then_recovers(
    store: PostGISStore, pg_server: PgServer, make_draft: MakeDraft
) -> None:
    draft = make_draft()
    store.save_all([draft])
    pg_server.stop()
    try:
        with pytest.raises(StoreUnavailable, match="cannot use the PostgreSQL database"):
            store.data_version()
        with pytest.raises(StoreUnavailable):
            store.save_all([make_draft()])
    finally:
        pg_server.start()
    store.save_all([make_draft()])
    assert store.data_version() == 2
