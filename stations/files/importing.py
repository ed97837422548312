"""All-or-nothing import of station files (CSV, GeoJSON, Excel .xlsx).

Every row is validated before anything is written; one rejected row means nothing is written,
and the report lists every rejection with its row (CSV line, GeoJSON feature, Excel row), field
and reason. With a token, every row must lie in the token's districts (for an update: where the
station is now, too). Rows that would create a likely duplicate of a nearby station
(``stations.files.duplicates``) are listed, and block the import unless duplicates are allowed.
A dry run checks and counts against the store without writing. ``import_data`` is the one path the
command line and the HTTP API share. Files past a limit of ``stations.files.limits`` are
refused whole (ImportFileError); an import asked to stop (``cancelled``) stops within a few
hundred rows, before anything is written or by rolling its transaction back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Final, TypedDict, Unpack

from geo.crs import CoordinateSystem
from stations.editing.tokens import Token
from stations.editing.validation import Conversion, validate_draft
from stations.errors import ImportFileError, InvalidStation
from stations.files.duplicates import Place, likely_duplicates
from stations.files.formats import parse_rows
from stations.files.limits import Cancelled, stop_if_cancelled
from stations.files.report import ImportReport, Rejection, RowConversion
from stations.files.rows import STATE_COLUMNS, STRUCTURAL, RawRow
from stations.model import Station, StationDraft, StationId, Status
from stations.store.base import StationStore

Progress = Callable[[int], None]
#: Rows validated between two questions to ``cancelled`` (~10 ms of work).
_CHECK_EVERY: Final = 256


class ImportOptions(TypedDict, total=False):
    """How an import runs: the keywords ``import_rows`` takes (defaults there), which
    ``import_file`` and ``import_data`` pass on."""

    crs: CoordinateSystem
    dry_run: bool
    allow_duplicates: bool
    token: Token | None
    progress: Progress | None
    cancelled: Cancelled | None


def import_file(store: StationStore, path: Path, **options: Unpack[ImportOptions]) -> ImportReport:
    """``import_data`` on the file at ``path`` (format from its suffix)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from exc
    return import_data(store, data, path.name, **options)


def import_data(
    store: StationStore, data: bytes, filename: str, **options: Unpack[ImportOptions]
) -> ImportReport:
    """Validate a file's bytes (.csv, .geojson/.json or .xlsx, from ``filename``'s suffix;
    positions in ``crs``; ``options`` as ImportOptions) and, unless anything is rejected,
    duplicates are not allowed, or it is a dry run, save every row in one transaction, audited
    under the token's name (``cli`` without a token). Raises ImportFileError when the file
    cannot be read at all or passes a limit, ImportCancelled (nothing written) once
    ``cancelled()`` is true."""
    cancelled = options.get("cancelled")
    stop_if_cancelled(cancelled)
    return import_rows(store, parse_rows(data, filename, cancelled), **options)


def import_rows(
    store: StationStore,
    rows: Iterator[RawRow],
    *,
    crs: CoordinateSystem = CoordinateSystem.WGS84,
    dry_run: bool = False,
    allow_duplicates: bool = False,
    token: Token | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ImportReport:
    """``import_data`` on rows already read."""
    report = ImportReport(dry_run=dry_run, allow_duplicates=allow_duplicates)
    drafts = _valid_drafts(rows, crs, report, cancelled)
    stored = {s.id: s for s in store.list_stations()} if drafts else {}
    if token is not None:
        drafts = _in_scope(drafts, stored, token, report)
    stop_if_cancelled(cancelled)
    report.duplicates = likely_duplicates(_places(drafts, stored))
    report.rejected.sort(key=lambda r: r.row)  # stable: fields keep their order in a row
    if report.rejected:
        return report
    stop_if_cancelled(cancelled)
    counts = store.save_all(
        [draft for _, draft in drafts],
        dry_run=dry_run or report.blocked,
        progress=_stoppable(progress, cancelled, len(drafts)),
        actor=token.name if token is not None else "cli",
    )
    report.created, report.updated, report.unchanged = (
        counts.created,
        counts.updated,
        counts.unchanged,
    )
    report.written = not (dry_run or report.blocked)
    return report


def _stoppable(progress: Progress | None, cancelled: Cancelled | None, total: int) -> Progress:
    """``progress``, and a stop (ImportCancelled: the store rolls the transaction back) while
    drafts remain. Once every draft is handled the stop is too late: the store may have
    committed already, and the caller must learn that the import was written."""
    handled = 0

    def report(count: int) -> None:
        nonlocal handled
        handled += count
        if progress is not None:
            progress(count)
        if handled < total:
            stop_if_cancelled(cancelled)

    return report


def _valid_drafts(
    rows: Iterable[RawRow],
    crs: CoordinateSystem,
    report: ImportReport,
    cancelled: Cancelled | None = None,
) -> list[tuple[int, StationDraft]]:
    drafts: list[tuple[int, StationDraft]] = []
    first_row_of_id: dict[str, int] = {}
    for row in rows:
        report.rows += 1
        if report.rows % _CHECK_EVERY == 0:
            stop_if_cancelled(cancelled)
        checked = _draft_or_problems(row, crs, report)
        if isinstance(checked, list):
            report.rejected.extend(checked)
            continue
        draft = checked
        if draft.id is not None:
            earlier = first_row_of_id.setdefault(draft.id, row.number)
            if earlier != row.number:
                report.rejected.append(
                    Rejection(row.number, "id", f"{draft.id!r} already appears in row {earlier}")
                )
                continue
        drafts.append((row.number, draft))
    return drafts


def _draft_or_problems(
    row: RawRow, crs: CoordinateSystem, report: ImportReport
) -> StationDraft | list[Rejection]:
    """The row's draft, or every problem with it. Values of the columns Yizhan records itself
    are left aside (noted in ``report``)."""
    values = dict(row.values)
    for column in STATE_COLUMNS:
        if values.pop(column, None) not in (None, ""):
            report.set_aside.add(column)
    structural = [
        Rejection(row.number, key.strip("_"), str(values.pop(key)))
        for key in STRUCTURAL
        if key in values
    ]
    if "__row__" in row.values:
        return structural
    notes: list[Conversion] = []
    try:
        draft = validate_draft(values, crs=crs, notes=notes)
    except InvalidStation as exc:
        return structural + [
            Rejection(row.number, p.field, p.reason, p.reason_zh) for p in exc.problems
        ]
    report.conversions += [RowConversion(row.number, n.field, n.given, n.saved) for n in notes]
    return structural or draft


def _in_scope(
    drafts: list[tuple[int, StationDraft]],
    stored: Mapping[StationId, Station],
    token: Token,
    report: ImportReport,
) -> list[tuple[int, StationDraft]]:
    """The drafts the token may write; each other one is rejected on ``district_code``."""
    held = ", ".join(token.districts) or "none"
    kept = []
    for number, draft in drafts:
        current = stored.get(draft.id) if draft.id is not None else None
        if current is not None and not token.may_write(current.district_code):
            reason = (
                f"station {current.id!r} is in district {current.district_code}, which token "
                f"{token.name!r} may not write (it holds: {held})"
            )
        elif not token.may_write(draft.district_code):
            reason = (
                f"district {draft.district_code} is outside the districts token "
                f"{token.name!r} may write (it holds: {held})"
            )
        else:
            kept.append((number, draft))
            continue
        report.rejected.append(Rejection(number, "district_code", reason))
        report.out_of_scope += 1
    return kept


def _places(
    drafts: list[tuple[int, StationDraft]], stored: Mapping[StationId, Station]
) -> list[Place]:
    """The stations as they would stand after the import, retired ones left out."""
    in_file = {draft.id for _, draft in drafts if draft.id is not None}
    places = [
        Place(s.id, s.name, s.kind.value, s.lon, s.lat, row=None, new=False)
        for s in stored.values()
        if s.status is not Status.RETIRED and s.id not in in_file
    ]
    places.extend(
        Place(
            d.id,
            d.name,
            d.kind.value,
            d.lon,
            d.lat,
            row=number,
            new=d.id is None or d.id not in stored,
        )
        for number, d in drafts
        if d.status is not Status.RETIRED
    )
    return places
