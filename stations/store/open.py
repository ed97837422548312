"""Open the store a ``--db`` value names: a PostgreSQL URL or a GeoPackage path."""

from __future__ import annotations

from pathlib import Path

from stations.store.base import StationStore


def is_postgres_url(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL database (libpq URL) rather than a file. Here, not
    beside the PostGIS store: a GeoPackage server never loads psycopg."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def open_store(url_or_path: str | Path, *, create: bool = True) -> StationStore:
    """``postgresql://…`` (or ``postgres://…``) opens the PostGIS store; anything else is the
    path of a GeoPackage file. ``create`` makes a missing GeoPackage, or creates and migrates
    the PostGIS schema; without it, a missing store or an out-of-date schema raises
    StoreUnavailable saying what to run."""
    if is_postgres_url(url_or_path):
        from stations.store.postgis.store import PostGISStore  # psycopg only where it is used

        return PostGISStore(str(url_or_path), create=create)
    from stations.store.geopackage.store import GeoPackageStore

    return GeoPackageStore(url_or_path, create=create)


def upgrade_store(url_or_path: str | Path) -> int:
    """Create or migrate the store's schema (``yizhan db upgrade``); returns the schema
    version it is at now. Running it again changes nothing."""
    if is_postgres_url(url_or_path):
        from stations.store.postgis.store import upgrade_database

        return upgrade_database(str(url_or_path))[1]
    from stations.store.geopackage.format import MIGRATIONS
    from stations.store.geopackage.store import GeoPackageStore

    GeoPackageStore(url_or_path, create=True).close()  # a GeoPackage migrates when opened
    return len(MIGRATIONS)
