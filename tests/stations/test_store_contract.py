"""One contract, every store: each test runs against a GeoPackage file and a PostGIS database.

The PostGIS server is started by the suite itself (tests/pg.py); missing binaries fail the
run with the command to install them, they never skip it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stations.editing.audit import Action, record_of
from stations.editing.edits import revert_station
from stations.editing.tokens import Role, Token, secret_hash
from stations.errors import (
    StationExists,
    StationNotFound,
    StoreUnavailable,
    TokenNotFound,
    VersionMismatch,
    VersionNotFound,
)
from stations.model import Access, Entry, Kind, StationDraft, StationId, Status
from stations.store.base import Outcome, StationStore
from stations.store.geopackage.format import SCHEMA_VERSION as GPKG_SCHEMA_VERSION
from stations.store.open import is_postgres_url, open_store, upgrade_store
from stations.store.postgis.schema import SCHEMA_VERSION as PG_SCHEMA_VERSION
from tests.conftest import MakeDraft
from tests.stations.old_stores import OLD_ID, OLD_RECORD, make_v2_store

OpenStore = Callable[[], StationStore]


@pytest.fixture(params=["geopackage", "postgis"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """What ``--db`` would say: a GeoPackage path or a fresh PostGIS database's URL."""
    if request.param == "geopackage":
        return str(tmp_path / "stations.gpkg")
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def open_another(target: str) -> Iterator[OpenStore]:
    """Opens more store objects on the same file or database, as other processes would."""
    opened: list[StationStore] = []

    def open_one() -> StationStore:
        opened.append(open_store(target))
        return opened[-1]

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(open_another: OpenStore) -> StationStore:
    return open_another()


def _id(draft: StationDraft) -> StationId:
    assert draft.id is not None
    return draft.id


# -- imports (save_all) ----------------------------------------------------------------------


def test_upsert_counts_and_versions(store: StationStore, make_draft: MakeDraft) -> None:
    a, b = make_draft(), make_draft()
    first = store.save_all([a, b])
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    second = store.save_all([make_draft(id=a.id, name="新名字"), b])
    assert [r.outcome for r in second.results] == [Outcome.UPDATED, Outcome.UNCHANGED]
    assert [r.station_id for r in second.results] == [a.id, b.id]
    saved = store.get(_id(a))
    assert (saved.name, saved.version) == ("新名字", 2)
    assert store.get(_id(b)).version == 1


def test_a_draft_without_id_gets_one(store: StationStore, make_draft: MakeDraft) -> None:
    [result] = store.save_all([make_draft(id=None)]).results
    assert result.outcome is Outcome.CREATED
    assert store.get(result.station_id).version == 1


def test_an_id_named_twice_in_one_import_is_created_then_updated(
    store: StationStore, make_draft: MakeDraft
) -> None:
    draft = make_draft()
    counts = store.save_all([draft, replace(draft, name="再改"), draft])
    assert [r.outcome for r in counts.results] == [
        Outcome.CREATED,
        Outcome.UPDATED,
        Outcome.UPDATED,
    ]
    saved = store.get(_id(draft))
    assert (saved.name, saved.version) == (draft.name, 3)
    assert [e.version for e in store.history(_id(draft))] == [3, 2, 1]
    assert store.data_version() == 1


def test_dry_run_counts_but_writes_nothing(store: StationStore, make_draft: MakeDraft) -> None:
    existing, kept = make_draft(), make_draft()
    store.save_all([existing, kept])
    counts = store.save_all([make_draft(), replace(existing, name="改"), kept], dry_run=True)
    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 1)
    assert [s.id for s in store.list_stations()] == [existing.id, kept.id]
    assert store.get(_id(existing)).name == existing.name
    assert len(store.history(_id(existing))) == 1
    assert store.data_version() == 1


def test_data_version_grows_once_per_real_change(
    store: StationStore, make_draft: MakeDraft
) -> None:
    assert store.data_version() == 0
    draft = make_draft()
    store.save_all([draft, make_draft()])
    assert store.data_version() == 1
    store.save_all([draft])  # unchanged
    store.update(_id(draft), draft, expected_version=1, actor="a")  # no-op
    assert store.data_version() == 1
    store.update(_id(draft), replace(draft, phone=None), expected_version=1, actor="a")
    store.create(make_draft(), actor="a")
    assert store.data_version() == 3


def test_other_store_objects_see_committed_writes(
    store: StationStore, open_another: OpenStore, make_draft: MakeDraft
) -> None:
    other = open_another()
    draft = make_draft()
    store.save_all([draft])
    assert other.data_version() == 1
    assert other.get(_id(draft)).same_content(draft)


def test_a_failure_mid_save_leaves_the_previous_state(
    store: StationStore, make_draft: MakeDraft
) -> None:
    kept = make_draft(id=StationId("keep"))
    store.save_all([kept])
    reports: list[int] = []

    def explode(n: int) -> None:
        reports.append(n)
        raise RuntimeError("power cut")

    drafts = [replace(kept, name="半途"), *(make_draft() for _ in range(2500))]
    with pytest.raises(RuntimeError, match="power cut"):
        store.save_all(drafts, progress=explode)  # raises once the first 1000 are written
    assert reports == [1000]
    assert [s.id for s in store.list_stations()] == ["keep"]
    assert store.get(StationId("keep")).name == kept.name
    assert len(store.history(StationId("keep"))) == 1
    assert store.data_version() == 1


def test_progress_counts_every_draft(store: StationStore, make_draft: MakeDraft) -> None:
    reports: list[int] = []
    store.save_all([make_draft() for _ in range(2345)], progress=reports.append)
    assert reports == [1000, 1000, 345]
    assert len(store.list_stations()) == 2345


# -- single edits ------------------------------------------------------------------------------


def test_create_starts_at_version_1_and_refuses_a_taken_id(
    store: StationStore, make_draft: MakeDraft
) -> None:
    draft = make_draft()
    created = store.create(draft, actor="zhang")
    assert created.version == 1 and created.same_content(draft)
    with pytest.raises(StationExists):
        store.create(replace(draft, name="别的"), actor="li")
    assert store.get(_id(draft)).name == draft.name
    assert [(e.version, e.action, e.actor) for e in store.history(_id(draft))] == [
        (1, Action.CREATE, "zhang")
    ]
    assert store.create(make_draft(id=None), actor="zhang").id.startswith("st-")


def test_update_bumps_the_version_and_keeps_the_action(
    store: StationStore, make_draft: MakeDraft
) -> None:
    draft = make_draft()
    store.create(draft, actor="a")
    retired = store.update(
        _id(draft),
        replace(draft, status=Status.RETIRED),
        expected_version=1,
        actor="b",
        action=Action.RETIRE,
    )
    assert (retired.version, retired.status) == (2, Status.RETIRED)
    assert retired.updated_at >= store.history(_id(draft))[1].at
    [latest, _] = store.history(_id(draft))
    assert (latest.action, latest.actor) == (Action.RETIRE, "b")
    assert latest.changes == {"status": {"before": "active", "after": "retired"}}


def test_a_stale_version_is_refused_and_nothing_written(
    store: StationStore, make_draft: MakeDraft
) -> None:
    draft = make_draft()
    store.create(draft, actor="a")
    store.update(_id(draft), replace(draft, name="甲"), expected_version=1, actor="a")
    with pytest.raises(VersionMismatch) as exc:
        store.update(_id(draft), replace(draft, name="乙"), expected_version=1, actor="b")
    assert (exc.value.expected, exc.value.current_version) == (1, 2)
    assert store.get(_id(draft)).name == "甲"
    assert len(store.history(_id(draft))) == 2
    assert store.data_version() == 2


def test_a_no_op_update_keeps_the_version(store: StationStore, make_draft: MakeDraft) -> None:
    draft = make_draft()
    created = store.create(draft, actor="a")
    same = store.update(_id(draft), draft, expected_version=1, actor="b")
    assert same == created
    assert len(store.history(_id(draft))) == 1
    assert store.data_version() == 1


def test_updating_an_unknown_station(store: StationStore, make_draft: MakeDraft) -> None:
    draft = make_draft()
    with pytest.raises(StationNotFound):
        store.update(_id(draft), draft, expected_version=1, actor="a")
    with pytest.raises(StationNotFound):
        store.get(_id(draft))
    assert store.data_version() == 0


def test_two_writers_with_one_version_exactly_one_wins(
    store: StationStore, open_another: OpenStore, make_draft: MakeDraft
) -> None:
    draft = make_draft()
    store.create(draft, actor="setup")
    writers = [store, *(open_another() for _ in range(3))]  # as other processes would have
    barrier = threading.Barrier(len(writers))
    won: list[str] = []
    lost: list[str] = []

    def write(writer: StationStore, name: str) -> None:
        barrier.wait()
        try:
            writer.update(_id(draft), replace(draft, name=name), expected_version=1, actor=name)
            won.append(name)
        except VersionMismatch:
            lost.append(name)

    threads = [
        threading.Thread(target=write, args=(w, n))
        for w, n in zip(writers, ["甲", "乙", "丙", "丁"], strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(lost) == 3
    saved = store.get(_id(draft))
    assert (saved.name, saved.version) == (won[0], 2)
    assert [(e.version, e.actor) for e in store.history(_id(draft))] == [(2, won[0]), (1, "setup")]
    assert store.data_version() == 2


# -- history -----------------------------------------------------------------------------------


def test_history_is_newest_first_with_before_and_after(
    store: StationStore, make_draft: MakeDraft
) -> None:
    # Every field has a value: a create records each.
    draft = make_draft(
        entry=Entry.ASK_STAFF,
        closed_until=datetime(2026, 12, 24, 10, tzinfo=UTC),
        closure_reason="装修",
    )
    store.save_all([draft], actor="importer")
    moved = replace(draft, name="新名", lon=draft.lon + 0.001, amenities=("toilet",))
    store.update(_id(draft), moved, expected_version=1, actor="zhang")
    history = store.history(_id(draft))
    assert [(e.version, e.action, e.actor) for e in history] == [
        (2, Action.UPDATE, "zhang"),
        (1, Action.IMPORT, "importer"),
    ]
    assert history[0].changes == {
        "name": {"before": draft.name, "after": "新名"},
        "lon": {"before": draft.lon, "after": moved.lon},
        "amenities": {"before": list(draft.amenities), "after": ["toilet"]},
    }
    assert history[1].changes["name"] == {"before": None, "after": draft.name}
    # A creation records every field that has a value (not yet verified: verified_at has none).
    assert history[1].changes.keys() == {k for k, v in record_of(draft).items() if v is not None}
    assert history[0].record == record_of(moved)
    assert history[1].record == record_of(draft)
    assert all(e.at.tzinfo is not None for e in history)
    assert history[0].at >= history[1].at


def test_recorded_version(store: StationStore, make_draft: MakeDraft) -> None:
    draft = make_draft()
    store.create(draft, actor="a")
    store.update(_id(draft), replace(draft, host=None), expected_version=1, actor="b")
    first = store.recorded_version(_id(draft), 1)
    assert (first.version, first.actor, first.record) == (1, "a", record_of(draft))
    assert store.recorded_version(_id(draft), 2).record["host"] is None
    with pytest.raises(VersionNotFound):
        store.recorded_version(_id(draft), 3)
    with pytest.raises(VersionNotFound):
        store.recorded_version(StationId("nope"), 1)


def test_history_of_an_unknown_station(store: StationStore) -> None:
    with pytest.raises(StationNotFound):
        store.history(StationId("nope"))


# -- tokens ------------------------------------------------------------------------------------


def test_tokens_by_hash_revoke_and_duplicate_names(store: StationStore) -> None:
    created = datetime(2026, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)
    editor = Token("zhang", Role.EDITOR, ("610103", "6101"), created)
    admin = Token("Admin.1", Role.ADMIN, (), created + timedelta(days=1))
    store.add_token(editor, secret_hash("yz_secret"))
    store.add_token(admin, secret_hash("yz_admin"))
    assert store.token_by_hash(secret_hash("yz_secret")) == editor
    assert store.token_by_hash(secret_hash("yz_admin")) == admin
    assert store.token_by_hash(secret_hash("yz_other")) is None
    with pytest.raises(ValueError, match="exists already"):
        store.add_token(editor, secret_hash("yz_again"))
    assert store.token_by_hash(secret_hash("yz_again")) is None
    assert [t.name for t in store.list_tokens()] == ["Admin.1", "zhang"]  # code-point order
    store.revoke_token("zhang")
    revoked = store.token_by_hash(secret_hash("yz_secret"))
    assert revoked is not None and not revoked.active
    assert revoked.revoked_at is not None and revoked.revoked_at.tzinfo is not None
    store.revoke_token("zhang")  # again: keeps the first revocation time
    assert store.token_by_hash(secret_hash("yz_secret")) == revoked
    with pytest.raises(TokenNotFound):
        store.revoke_token("nobody")
    assert store.data_version() == 0  # tokens are not station data


# -- records -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {
            "kind": Kind.SERVICE_POINT,
            "status": Status.CLOSED_TEMPORARILY,
            "address": None,
            "opening_hours": None,
            "phone": None,
            "host": None,
            "amenities": (),
        },
        {"amenities": ("toilet", "water", "aed"), "status": Status.RETIRED},
        {"lon": 116.39748123456789, "lat": 39.90882987654321, "name": "<b>'天安门' \"驿站\"</b>"},
        {"lon": -179.99999999999997, "lat": 89.99999999999999},
        {"lon": 5e-324, "lat": -0.0},
    ],
    ids=["full", "sparse", "amenity-order", "precise", "extreme", "tiny"],
)
def test_every_field_round_trips(
    store: StationStore,
    open_another: OpenStore,
    make_draft: MakeDraft,
    overrides: dict[str, object],
) -> None:
    draft = make_draft(**overrides)
    store.save_all([draft])
    for reader in (store, open_another()):
        saved = reader.get(_id(draft))
        assert saved.same_content(draft)
        assert (saved.lon, saved.lat) == (draft.lon, draft.lat)  # exact, not approximately
        assert saved.amenities == draft.amenities
        assert saved.updated_at.tzinfo is not None
    assert store.save_all([draft]).unchanged == 1


def test_stations_are_listed_by_id_in_code_point_order(
    store: StationStore, make_draft: MakeDraft
) -> None:
    ids = ["b-1", "a-2", "A-3", "站-1", "Z", "a-10"]
    store.save_all([make_draft(id=StationId(i)) for i in ids])
    assert [s.id for s in store.list_stations()] == sorted(ids)


def test_one_store_object_serves_many_threads(store: StationStore, make_draft: MakeDraft) -> None:
    drafts = [[make_draft() for _ in range(10)] for _ in range(6)]
    errors: list[BaseException] = []

    def work(mine: list[StationDraft]) -> None:
        try:
            for draft in mine:
                store.create(draft, actor="t")
                assert store.get(_id(draft)).same_content(draft)
                store.list_stations()
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(mine,)) for mine in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.list_stations()) == 60
    assert store.data_version() == 60


def test_a_store_that_does_not_exist_yet_is_not_made_without_create(target: str) -> None:
    with pytest.raises(StoreUnavailable, match="yizhan"):
        open_store(target, create=False)


def test_read_stations_agrees_with_the_version_and_may_send_only_changes(
    store: StationStore, open_another: OpenStore, make_draft: MakeDraft
) -> None:
    first = make_draft()
    store.save_all([first, make_draft()])
    whole = store.read_stations()
    assert whole.complete and whole.data_version == store.data_version()
    assert list(whole.stations) == store.list_stations()
    other = open_another()
    changed = other.create(make_draft(), actor="another process")
    since = store.read_stations(since_version=whole.data_version)
    assert since.data_version == store.data_version() == whole.data_version + 1
    # Complete or not, applying the answer to what was read gives the store's current state.
    merged = {s.id: s for s in ([] if since.complete else whole.stations)}
    merged.update((s.id, s) for s in since.stations)
    assert sorted(merged.values(), key=lambda s: s.id) == store.list_stations()
    assert changed in since.stations


# -- access and entry (schema v3) --------------------------------------------------------------

ADMIN = Token("root", Role.ADMIN, (), datetime(2026, 1, 1, tzinfo=UTC))


def test_access_and_entry_round_trip_through_every_write(
    store: StationStore, open_another: OpenStore, make_draft: MakeDraft
) -> None:
    imported = [make_draft(access=a, entry=e) for a in Access for e in (*Entry, None)]
    store.save_all(imported)
    created = store.create(
        make_draft(access=Access.OUTDOOR_WORKERS, entry=Entry.FACE_SCAN), actor="a"
    )
    assert (created.access, created.entry) == (Access.OUTDOOR_WORKERS, Entry.FACE_SCAN)
    for reader in (store, open_another()):
        for draft in imported:
            saved = reader.get(_id(draft))
            assert (saved.access, saved.entry) == (draft.access, draft.entry)
        assert reader.get(created.id) == created
    updated = store.update(
        created.id,
        replace(created.to_draft(), access=Access.UNION_MEMBERS, entry=None),
        expected_version=1,
        actor="b",
    )
    assert (updated.version, updated.access, updated.entry) == (2, Access.UNION_MEMBERS, None)
    assert open_another().get(created.id) == updated
    assert store.save_all(imported).unchanged == len(imported)


def test_a_change_of_access_or_entry_alone_is_a_write_and_the_same_values_are_not(
    store: StationStore, make_draft: MakeDraft
) -> None:
    draft = make_draft(access=Access.OUTDOOR_WORKERS, entry=Entry.QR_CODE)
    created = store.create(draft, actor="a")
    assert created.same_content(draft)
    assert not created.same_content(replace(draft, access=Access.PUBLIC))
    assert not created.same_content(replace(draft, entry=None))
    assert store.update(_id(draft), draft, expected_version=1, actor="b") == created  # no-op
    assert store.save_all([draft]).unchanged == 1
    assert (store.data_version(), len(store.history(_id(draft)))) == (1, 1)
    store.update(_id(draft), replace(draft, entry=Entry.ID_CARD), expected_version=1, actor="b")
    store.save_all([replace(draft, entry=Entry.ID_CARD, access=Access.UNION_MEMBERS)])
    assert store.get(_id(draft)).version == 3
    assert store.data_version() == 3
    assert [e.changes for e in store.history(_id(draft))[:2]] == [
        {"access": {"before": "outdoor_workers", "after": "union_members"}},
        {"entry": {"before": "qr_code", "after": "id_card"}},
    ]


def test_history_records_access_and_entry_and_a_revert_restores_them(
    store: StationStore, make_draft: MakeDraft
) -> None:
    draft = make_draft()  # access and entry left at their defaults: public, not recorded
    store.create(draft, actor="a")
    gated = replace(draft, access=Access.UNION_MEMBERS, entry=Entry.PHONE_AHEAD)
    store.update(_id(draft), gated, expected_version=1, actor="b")
    store.update(_id(draft), replace(gated, name="改名"), expected_version=2, actor="b")
    [renamed, changed, first] = store.history(_id(draft))
    assert (first.record["access"], first.record["entry"]) == ("public", None)
    assert changed.changes == {
        "access": {"before": "public", "after": "union_members"},
        "entry": {"before": None, "after": "phone_ahead"},
    }
    assert (renamed.record["access"], renamed.record["entry"]) == ("union_members", "phone_ahead")
    reverted = revert_station(store, ADMIN, _id(draft), to_version=1, expected_version=3)
    assert (reverted.version, reverted.access, reverted.entry) == (4, Access.PUBLIC, None)
    assert reverted.same_content(draft)
    again = revert_station(store, ADMIN, _id(draft), to_version=2, expected_version=4)
    assert (again.access, again.entry) == (Access.UNION_MEMBERS, Entry.PHONE_AHEAD)
    assert store.history(_id(draft))[0].action is Action.REVERT


def test_a_schema_v2_store_upgrades_to_v3_open_to_anyone_with_entry_not_recorded(
    target: str, open_another: OpenStore
) -> None:
    make_v2_store(target)
    # Each store's own latest schema (the GeoPackage needed one more step: changed_in, which
    # PostGIS had from version 6).
    latest = PG_SCHEMA_VERSION if is_postgres_url(target) else GPKG_SCHEMA_VERSION
    assert upgrade_store(target) == latest
    assert upgrade_store(target) == latest  # again: nothing to do
    store = open_another()
    [old] = store.list_stations()
    assert (old.id, old.version, old.access, old.entry) == (OLD_ID, 1, Access.PUBLIC, None)
    assert (old.name, old.amenities, old.opening_hours) == ("老站", ("water",), "24/7")
    [entry] = store.history(OLD_ID)  # kept as it was: no second baseline
    assert (entry.version, entry.action, entry.record) == (1, Action.IMPORT, OLD_RECORD)
    gated = replace(old.to_draft(), access=Access.OUTDOOR_WORKERS, entry=Entry.WALK_IN)
    assert store.update(OLD_ID, gated, expected_version=1, actor="a").entry is Entry.WALK_IN
    assert open_another().get(OLD_ID).access is Access.OUTDOOR_WORKERS
    # A version recorded before the fields existed reverts to their defaults.
    reverted = revert_station(store, ADMIN, OLD_ID, to_version=1, expected_version=2)
    assert (reverted.version, reverted.access, reverted.entry) == (3, Access.PUBLIC, None)
    assert reverted.same_content(old.to_draft())


def test_a_temporary_closure_round_trips_and_clears(
    store: StationStore, open_another: OpenStore, make_draft: MakeDraft
) -> None:
    until = datetime(2026, 12, 24, 10, 0, 5, tzinfo=UTC)
    created = store.create(make_draft(closed_until=until, closure_reason="供暖检修"), actor="a")
    assert (created.closed_until, created.closure_reason) == (until, "供暖检修")
    assert open_another().get(created.id) == created
    cleared = store.update(
        created.id,
        replace(created.to_draft(), closed_until=None, closure_reason=None),
        expected_version=1,
        actor="b",
    )
    assert (cleared.closed_until, cleared.closure_reason) == (None, None)
    assert open_another().get(created.id) == cleared
    assert store.history(created.id)[0].changes["closed_until"] == {
        "before": until.isoformat(),
        "after": None,
    }


# -- OpenStreetMap provenance ------------------------------------------------------------------


def test_the_osm_source_is_stored_kept_by_edits_and_revert_and_audited(
    store: StationStore, open_another: OpenStore, make_draft: MakeDraft
) -> None:
    from stations.model import OsmSource

    source = OsmSource(
        "node/123",
        4,
        (("name", "公厕"), ("lon", 24.9384567), ("lat", 60.1699123), ("amenities", ["toilet"]),
         ("opening_hours", None)),
    )  # fmt: skip
    draft = replace(make_draft(name="公厕", amenities=("toilet",)), osm=source)
    store.save_all([draft], actor="osm-import")
    sid = _id(draft)
    again = open_another().get(sid)  # read back by another connection: what the store holds
    assert again.osm == source and again.osm.value("lon") == 24.9384567
    # An editor's change (a draft without a source, as the edit path keeps state) keeps it.
    editor_draft = again.keep_state(replace(draft, name="公共厕所", osm=None))
    edited = store.update(sid, editor_draft, expected_version=1, actor="editor")
    assert edited.osm == source and edited.name == "公共厕所"
    newer = OsmSource("node/123", 5, (("name", "公厕（新）"),))
    synced = store.update(sid, replace(edited.to_draft(), osm=newer), expected_version=2,
                          actor="osm-import")  # fmt: skip
    assert synced.osm == newer
    history = store.history(sid)
    assert history[0].changes["osm"]["after"] == newer.to_json()  # newest first
    assert history[-1].record["osm"] == source.to_json()
    # Reverting to version 1 restores the editor-visible fields, not the old source.
    reverted = revert_station(store, ADMIN, sid, to_version=1, expected_version=3)
    assert reverted.name == "公厕" and reverted.osm == newer


def test_a_snapshot_read_gives_back_every_field_written(
    store: StationStore, make_draft: MakeDraft
) -> None:
    """``read_stations`` (a serving snapshot, rows made into Stations when asked for) gives
    back what was written, against the drafts themselves: every field, every kind of value
    (set and absent), the field state, instants exact and aware; and agrees with ``get``."""
    from stations.model import FIELD_STATE, OsmSource

    at = datetime(2026, 3, 1, 8, 30, 15, 123000, tzinfo=UTC)
    full = replace(
        make_draft(amenities=("microwave", "phone_charging", "water"), entry=Entry.QR_CODE,
                   access=Access.OUTDOOR_WORKERS, closed_until=at + timedelta(days=3),
                   closure_reason="供暖检修", phone="029-1234"),
        verified_at=at, last_confirmed_at=at + timedelta(hours=1),
        out_of_order=(("microwave", at),),
        osm=OsmSource("way/7", 2, (("name", "驿站"), ("amenities", ["water"]))),
    )  # fmt: skip
    sparse = make_draft(address=None, phone=None, host=None, opening_hours=None, amenities=())
    retired = make_draft(status=Status.RETIRED, kind=Kind.SERVICE_POINT)
    drafts = {_id(d): d for d in (full, sparse, retired)}
    before = datetime.now(UTC)
    store.save_all(list(drafts.values()))
    snapshot = list(store.read_stations().stations)
    assert [s.id for s in snapshot] == sorted(drafts)
    for read in snapshot:
        draft = drafts[read.id]
        assert read.same_content(draft)  # every editable field and the status
        for name in FIELD_STATE:
            assert getattr(read, name) == getattr(draft, name), name
        assert read.version == 1 and read.updated_at.tzinfo is not None
        assert before - timedelta(seconds=1) <= read.updated_at <= datetime.now(UTC)
        assert read == store.get(read.id)
    first = next(s for s in snapshot if s.id == _id(full))
    assert first.entry is Entry.QR_CODE and first.out_of_order == (("microwave", at),)
    assert first.closed_until == at + timedelta(days=3) and first.closed_until.tzinfo is not None


def test_delta_reads_return_only_rows_changed_after_a_version(
    store: StationStore, make_draft: MakeDraft
) -> None:
    """What a serving process reloads after a write: the changed rows alone, on both stores."""
    first, second = make_draft(), make_draft()
    store.save_all([first, second])
    whole = store.read_stations()
    assert whole.complete and [s.id for s in whole.stations] == [first.id, second.id]
    at = whole.data_version
    renamed = store.update(
        StationId(str(second.id)), replace(second, name="新名"), expected_version=1, actor="t"
    )
    third = store.create(make_draft(), actor="t")
    delta = store.read_stations(since_version=at)
    assert not delta.complete and delta.data_version == at + 2
    assert list(delta.stations) == [renamed, third]
    assert not store.read_stations(since_version=at + 2).stations
    # A store behind the snapshot (an older copy put back): read everything.
    behind = store.read_stations(since_version=at + 99)
    assert behind.complete and len(behind.stations) == 3
