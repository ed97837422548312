"""Editors act on rider reports: accept them (the change a report implies goes through the edit
path, checked against the token and the version the editor read, and its audit row names the
reports) or dismiss them with a reason. A report never changes station data by itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from enum import StrEnum
from typing import Final

from geo.crs import CoordinateSystem
from stations.editing.edits import PATCHABLE, authorize, check_fields, merge_patch
from stations.editing.tokens import Token
from stations.editing.validation import text_problem
from stations.errors import InvalidInput, Problem
from stations.model import Category, Station, StationDraft, StationId, Status
from stations.reports import Report
from stations.store.base import StationStore

MAX_REASON_CHARS: Final = 200
MAX_REPORTS_AT_ONCE: Final = 100
_FIELDS: Final = frozenset({"action", "reason", "patch", "reports"})


class Resolution(StrEnum):
    ACCEPT = "accept"
    DISMISS = "dismiss"


def resolve_reports(
    store: StationStore,
    token: Token,
    report_ids: Sequence[int],
    body: Mapping[str, object],
    *,
    expected_version: int | None,
) -> tuple[Station, list[Report]]:
    """Accept or dismiss open reports of one station, as ``body`` says: {"action": "accept"}
    (with an optional "patch" of station fields, required for hours_wrong) or
    {"action": "dismiss", "reason": …}. Accepting needs ``expected_version`` (If-Match)."""
    check_fields(body, allowed=_FIELDS)
    action, reason, patch = _resolution(body)
    if not report_ids:
        raise InvalidInput([Problem("reports", "name at least one report")])
    if len(report_ids) > MAX_REPORTS_AT_ONCE:
        raise InvalidInput([Problem("reports", f"at most {MAX_REPORTS_AT_ONCE} at once")])
    first = store.report(report_ids[0])
    station = store.get(first.station_id)
    authorize(token, station, station.to_draft())
    accept = None
    if action is Resolution.ACCEPT:
        if expected_version is None:
            raise InvalidInput([Problem("If-Match", "accepting reports changes the station")])
        accept = _accepting(token, patch)
    return store.resolve_reports(
        StationId(station.id),
        report_ids,
        accept=accept,
        actor=token.name,
        reason=reason,
        expected_version=expected_version,
    )


def implied_draft(
    current: Station, reports: Sequence[Report], patch: Mapping[str, object]
) -> StationDraft:
    """The station once ``reports`` are accepted: ``patch`` (the editor's own corrections)
    merged first, then what each report implies for the fields the patch leaves alone —
    closed_now: closed until an editor reopens it (status closed_temporarily), unless the
    patch gives closed_until; gone: retired; amenity_missing: the amenity dropped;
    amenity_broken: the amenity out of order since the report; confirmed_ok: confirmed at the
    report's time; hours_wrong needs the right opening_hours in the patch; other: nothing."""
    draft = merge_patch(current, patch, CoordinateSystem.WGS84) if patch else current.to_draft()
    problems: list[Problem] = []
    for report in reports:
        draft = _implied(draft, report, patch, problems)
    if problems:
        raise InvalidInput(problems)
    return draft


def _implied(
    draft: StationDraft, report: Report, patch: Mapping[str, object], problems: list[Problem]
) -> StationDraft:
    match report.category:
        case Category.CONFIRMED_OK:
            seen = report.created_at.replace(microsecond=0)  # instants are kept to the second
            latest = max(filter(None, (draft.last_confirmed_at, seen)))
            return replace(draft, last_confirmed_at=latest)
        case Category.CLOSED_NOW if not {"status", "closed_until"} & patch.keys():
            return replace(draft, status=Status.CLOSED_TEMPORARILY)
        case Category.GONE if "status" not in patch:
            return replace(draft, status=Status.RETIRED)
        case Category.HOURS_WRONG if "opening_hours" not in patch:
            problems.append(Problem("patch", _HOURS_NEEDED.format(report.id)))
        case Category.AMENITY_MISSING if "amenities" not in patch:
            kept = tuple(a for a in draft.amenities if a != report.amenity)
            still = tuple((c, t) for c, t in draft.out_of_order if c != report.amenity)
            return replace(draft, amenities=kept, out_of_order=still)
        case Category.AMENITY_BROKEN if report.amenity in draft.amenities:
            since = dict(draft.out_of_order)
            since.setdefault(str(report.amenity), report.created_at.replace(microsecond=0))
            ordered = tuple((c, since[c]) for c in draft.amenities if c in since)
            return replace(draft, out_of_order=ordered)
    return draft


_HOURS_NEEDED: Final = (
    'report {} says the hours are wrong: send the right ones, {{"action": "accept", '
    '"patch": {{"opening_hours": "Mo-Su 08:00-20:00"}}}}'
)


def _accepting(
    token: Token, patch: Mapping[str, object]
) -> Callable[[Station, list[Report]], StationDraft]:
    def accept(current: Station, reports: list[Report]) -> StationDraft:
        draft = implied_draft(current, reports, patch)
        authorize(token, current, draft)
        return draft

    return accept


def _resolution(body: Mapping[str, object]) -> tuple[Resolution, str | None, dict[str, object]]:
    problems: list[Problem] = []
    raw = body.get("action")
    action = next((r for r in Resolution if r.value == raw), None)
    if action is None:
        problems.append(Problem("action", f"must be accept or dismiss, not {raw!r}"))
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        problems.append(Problem("reason", "must be a string"))
        reason = None
    elif isinstance(reason, str):
        reason = reason.strip() or None
        why = None if reason is None else text_problem(reason, MAX_REASON_CHARS)
        if why:
            problems.append(Problem("reason", why))
    if action is Resolution.DISMISS and reason is None:
        problems.append(Problem("reason", "say why the reports are dismissed"))
    patch = body.get("patch") or {}
    if not isinstance(patch, dict):
        problems.append(Problem("patch", "must be a JSON object of station fields"))
        patch = {}
    elif action is Resolution.DISMISS and patch:
        problems.append(Problem("patch", "goes only with accept"))
    else:
        unknown = [k for k in patch if k not in PATCHABLE]
        problems += [Problem(f"patch.{k}", "is not a field an editor sets") for k in unknown]
    if problems:
        raise InvalidInput(problems)
    assert action is not None
    return action, reason, patch
