"""Versions, audit history, tokens and schema migration of the GeoPackage store."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stations.editing.audit import Action
from stations.editing.tokens import Role, Token, secret_hash
from stations.errors import StationExists, TokenNotFound, VersionMismatch, VersionNotFound
from stations.model import StationId
from stations.store.geopackage.format import (
    GPKG_APPLICATION_ID,
    SCHEMA_VERSION,
    encode_point,
    schema_v1,
)
from stations.store.geopackage.store import GeoPackageStore
from tests.conftest import MakeDraft


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    return GeoPackageStore(tmp_path / "s.gpkg")


def test_every_write_is_recorded_with_before_and_after(
    store: GeoPackageStore, make_draft: MakeDraft
) -> None:
    draft = make_draft()
    assert draft.id is not None
    store.save_all([draft], actor="importer")
    store.update(draft.id, replace(draft, name="新名"), expected_version=1, actor="zhang")
    history = store.history(draft.id)
    assert [(e.version, e.action, e.actor) for e in history] == [
        (2, Action.UPDATE, "zhang"),
        (1, Action.IMPORT, "importer"),
    ]
    assert history[0].changes == {"name": {"before": draft.name, "after": "新名"}}
    assert history[1].changes["name"] == {"before": None, "after": draft.name}
    assert history[0].record["name"] == "新名"
    assert store.recorded_version(draft.id, 1).record["name"] == draft.name


def test_a_stale_version_is_refused_and_nothing_written(
    store: GeoPackageStore, make_draft: MakeDraft
) -> None:
    draft = make_draft()
    assert draft.id is not None
    store.create(draft, actor="a")
    store.update(draft.id, replace(draft, name="甲"), expected_version=1, actor="a")
    with pytest.raises(VersionMismatch) as exc:
        store.update(draft.id, replace(draft, name="乙"), expected_version=1, actor="b")
    assert exc.value.current_version == 2
    assert store.get(draft.id).name == "甲"
    assert len(store.history(draft.id)) == 2


def test_two_writers_with_one_version_exactly_one_wins(
    tmp_path: Path, make_draft: MakeDraft
) -> None:
    path = tmp_path / "s.gpkg"
    first = GeoPackageStore(path)
    draft = make_draft()
    assert draft.id is not None
    first.create(draft, actor="a")
    second = GeoPackageStore(path)  # another connection, as another process would have
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(store: GeoPackageStore, name: str) -> None:
        barrier.wait()
        try:
            store.update(draft.id, replace(draft, name=name), expected_version=1, actor=name)
            outcomes.append("ok")
        except VersionMismatch:
            outcomes.append("stale")

    threads = [
        threading.Thread(target=write, args=(s, n)) for s, n in ((first, "甲"), (second, "乙"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "stale"]
    assert len(first.history(draft.id)) == 2


def test_create_refuses_a_taken_id(store: GeoPackageStore, make_draft: MakeDraft) -> None:
    draft = make_draft()
    store.create(draft, actor="a")
    with pytest.raises(StationExists):
        store.create(draft, actor="a")


def test_unknown_recorded_version(store: GeoPackageStore, make_draft: MakeDraft) -> None:
    draft = make_draft()
    store.create(draft, actor="a")
    with pytest.raises(VersionNotFound):
        store.recorded_version(StationId(str(draft.id)), 7)


def test_tokens_are_stored_by_hash_and_revoked(store: GeoPackageStore) -> None:
    token = Token("zhang", Role.EDITOR, ("610103",), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    store.add_token(token, secret_hash("yz_secret"))
    assert store.token_by_hash(secret_hash("yz_secret")) == token
    assert store.token_by_hash(secret_hash("yz_other")) is None
    with pytest.raises(ValueError, match="exists already"):
        store.add_token(token, secret_hash("yz_again"))
    store.revoke_token("zhang")
    revoked = store.token_by_hash(secret_hash("yz_secret"))
    assert revoked is not None and not revoked.active
    with pytest.raises(TokenNotFound):
        store.revoke_token("nobody")
    raw = sqlite3.connect(store.path).execute("SELECT * FROM yizhan_tokens").fetchall()
    assert "yz_secret" not in repr(raw)


def test_a_version_1_store_is_migrated_with_baselines(tmp_path: Path) -> None:
    path = tmp_path / "old.gpkg"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
    for statement in schema_v1():
        conn.execute(statement)
    conn.execute(
        "INSERT INTO stations (geom, id, name, kind, district_code, amenities, status, version,"
        " updated_at) VALUES (?, 'old-1', '老站', 'love_station', '610103', 'water', 'active',"
        " 3, '2025-01-01T00:00:00.000Z')",
        (encode_point(108.9, 34.2),),
    )
    conn.commit()
    conn.close()
    store = GeoPackageStore(path)
    [baseline] = store.history(StationId("old-1"))
    assert (baseline.version, baseline.action) == (3, Action.BASELINE)
    assert store.list_tokens() == []
    version = (
        sqlite3.connect(path)
        .execute("SELECT value FROM yizhan_meta WHERE key = 'schema_version'")
        .fetchone()[0]
    )
    assert version == SCHEMA_VERSION
