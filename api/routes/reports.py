"""Rider reports: anyone reports (no account), editors and admins moderate.

``POST /v1/stations/{id}/reports`` stores a report and nothing else: a report never changes
station data by itself. Moderators list open reports within their districts and accept (the
implied change goes through the edit path with If-Match) or dismiss them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.auth import StoreDep, TokenDep, expected_version
from api.deps import LiveDep
from api.openapi import json_body
from api.params.common import QueryModel
from api.presenter import report_json
from api.responses import OrjsonResponse
from api.routes.admin import json_object, written_feature
from api.schemas import problem_responses
from stations.amenities import CODES
from stations.editing import moderation
from stations.editing.edits import authorize
from stations.editing.tokens import Role, Token
from stations.errors import Forbidden, InvalidInput, Problem, RateLimited, StationNotFound
from stations.model import Category, StationId, Status
from stations.reports import MAX_NOTE_CHARS, ReportStatus, client_hashes, validate_report
from stations.store.reports import ListedReport, ReportFilter

router = APIRouter(prefix="/v1", tags=["reports"])

#: Report ids are positive and fit every store's integers (and JavaScript's exactly).
ReportId = Annotated[int, Path(ge=1, le=2**53)]

_CATEGORIES = [c.value for c in Category]


class ReportCreate(BaseModel):
    """A rider's report; only ``category`` is required."""

    model_config = ConfigDict(extra="forbid")

    category: Literal[
        "confirmed_ok", "closed_now", "gone", "hours_wrong", "amenity_missing",
        "amenity_broken", "other",
    ]  # fmt: skip
    amenity: str | None = Field(
        None,
        description="The amenity code, with amenity_missing or amenity_broken only",
        json_schema_extra={"enum": list(CODES)},
    )
    note: str | None = Field(None, max_length=MAX_NOTE_CHARS)


class ReportOut(BaseModel):
    id: int
    station_id: str
    category: str
    amenity: str | None
    note: str | None
    created_at: str
    status: Literal["open", "accepted", "dismissed"]
    duplicate: bool | None = Field(
        None, description="True: the same report from you within 24 h; counted once"
    )
    resolved_by: str | None = None
    resolved_at: str | None = None
    resolution_reason: str | None = None
    resolved_in_version: int | None = None
    station_name: str | None = None
    district_code: str | None = None


class ReportList(BaseModel):
    reports: list[ReportOut]
    numberMatched: int  # noqa: N815
    numberReturned: int  # noqa: N815
    counts: dict[str, int] = Field(description="Every matched report, by category")
    links: list[dict[str, str]]


class ResolveBody(BaseModel):
    """Accept (the change the reports imply, with optional corrections in ``patch``; needs
    If-Match) or dismiss (with a reason) open reports of one station."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["accept", "dismiss"]
    reason: str | None = Field(None, max_length=moderation.MAX_REASON_CHARS)
    patch: dict[str, Any] | None = Field(None, description="Station fields to set as well")
    reports: list[int] | None = Field(
        None, description="More open reports of the same station to resolve at once"
    )


class ReportListParams(QueryModel):
    status: Literal["open", "accepted", "dismissed", "all"] = "open"
    station: Annotated[
        str | None,
        Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$", description="One station's id"),
    ] = None
    district: Annotated[
        str | None, Field(pattern=r"^[1-9][0-9]{0,5}$", description="An adcode or its prefix")
    ] = None
    limit: Annotated[int, Field(ge=1, le=500, description="Reports per page")] = 50
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0


@router.post(
    "/stations/{station_id}/reports",
    operation_id="createReport",
    status_code=201,
    response_model=ReportOut,
    responses=problem_responses(404, 413, 422, 429),
    openapi_extra={"requestBody": json_body(ReportCreate)},
)
async def create_report(station_id: str, request: Request, live: LiveDep) -> Response:
    """Tell what you found at a station; no account. At most a few reports an hour from one
    connection (429 with Retry-After); the same report within 24 h counts once."""
    body = await json_object(request)
    draft = validate_report(StationId(station_id), body)
    station = live.catalog.by_id.get(StationId(station_id))
    if station is None or station.status is Status.RETIRED:
        raise StationNotFound(station_id)
    if draft.amenity is not None and draft.amenity not in station.amenities:
        listed = ", ".join(station.amenities) or "none"
        raise InvalidInput([Problem("amenity", f"the station lists {listed}, not {draft.amenity}")])
    app = request.app
    if getattr(app.state, "report_salt", None) is None:
        app.state.report_salt = await run_in_threadpool(app.state.store.report_salt)
    address = request.client.host if request.client else "unknown"
    hashes = client_hashes(app.state.report_salt, address, datetime.now(UTC))
    wait_s = app.state.report_attempts.attempt(hashes[0])
    if wait_s is not None:
        per_hour = app.state.report_rule.per_hour
        raise RateLimited(
            f"at most {per_hour} reports an hour from one connection; try again later",
            retry_after_s=wait_s,
        )
    report, duplicate = await run_in_threadpool(
        app.state.store.add_report, draft, hashes, per_hour=app.state.report_rule.per_hour
    )
    if not duplicate:
        await run_in_threadpool(live.refresh)  # this process shows it at once
    answer = report_json(report) | {"duplicate": duplicate}
    return OrjsonResponse(
        answer,
        status_code=200 if duplicate else 201,
        headers={"Location": f"/v1/reports/{report.id}"},
    )


@router.get(
    "/reports",
    operation_id="listReports",
    response_model=ReportList,
    responses=problem_responses(401, 403, 422),
)
async def list_reports(
    token: TokenDep, store: StoreDep, q: Annotated[ReportListParams, Query()]
) -> Response:
    """Reports newest first, within your districts (an admin sees all), with the station's
    name and the counts by category of everything matched."""
    if q.district is not None and token.role is not Role.ADMIN and not token.may_write(
        q.district.ljust(6, "0")
    ) and not any(d.startswith(q.district) for d in token.districts):  # fmt: skip
        raise Forbidden(f"token {token.name!r} may not read reports of district {q.district}")
    query = ReportFilter(
        status=None if q.status == "all" else ReportStatus(q.status),
        station_id=None if q.station is None else StationId(q.station),
        district=q.district,
        scope=None if token.role is Role.ADMIN else token.districts,
        limit=q.limit,
        offset=q.offset,
    )
    page = await run_in_threadpool(store.list_reports, query)
    return OrjsonResponse(
        {
            "reports": [_listed_json(r) for r in page.reports],
            "numberMatched": page.matched,
            "numberReturned": len(page.reports),
            "counts": page.counts,
            "links": _page_links(q, page.matched),
        }
    )


@router.get(
    "/reports/{report_id}",
    operation_id="getReport",
    response_model=ReportOut,
    responses=problem_responses(401, 403, 404),
)
async def get_report(report_id: ReportId, token: TokenDep, store: StoreDep) -> Response:
    report = await run_in_threadpool(store.report, report_id)
    await _authorize_station(token, store, report.station_id)
    return OrjsonResponse(report_json(report))


@router.post(
    "/reports/{report_id}/resolve",
    operation_id="resolveReport",
    responses=problem_responses(401, 403, 404, 412, 422, 428),
    openapi_extra={"requestBody": json_body(ResolveBody)},
)
async def resolve_report(
    report_id: ReportId,
    request: Request,
    token: TokenDep,
    store: StoreDep,
    live: LiveDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Accept or dismiss this report and any listed in ``reports`` (all of one station).
    Accepting applies what they imply (closed, gone, amenity missing or broken, the hours in
    ``patch``) as a new version: send the station's ETag in If-Match."""
    body = await json_object(request)
    more = body.pop("reports", None) or []
    if not isinstance(more, list) or not all(type(i) is int for i in more):
        raise InvalidInput([Problem("reports", "must be a list of report ids")])
    # Accepting changes the station: it needs the version the moderator read (428 without).
    version = expected_version(if_match) if body.get("action") == "accept" else None
    station, resolved = await run_in_threadpool(
        moderation.resolve_reports, store, token, [report_id, *more], body,
        expected_version=version,
    )  # fmt: skip
    payload: dict[str, Any] = {
        "station": await written_feature(station, live),
        "reports": [report_json(r) for r in resolved],
    }
    return OrjsonResponse(payload, headers={"ETag": f'"{station.version}"'})


def _listed_json(listed: ListedReport) -> dict[str, Any]:
    return report_json(listed.report) | {
        "station_name": listed.station_name,
        "district_code": listed.district_code,
    }


def _page_links(q: ReportListParams, matched: int) -> list[dict[str, str]]:
    links = []
    base = {k: v for k, v in q.model_dump().items() if v is not None and k != "offset"}
    if q.offset + q.limit < matched:
        links.append(_link("next", base, q.offset + q.limit))
    if q.offset > 0:
        links.append(_link("prev", base, max(0, q.offset - q.limit)))
    return links


def _link(rel: str, base: dict[str, Any], offset: int) -> dict[str, str]:
    return {"rel": rel, "href": "/v1/reports?" + urlencode(base | {"offset": offset})}


async def _authorize_station(token: Token, store: StoreDep, station_id: StationId) -> None:
    station = await run_in_threadpool(store.get, station_id)
    authorize(token, None, station.to_draft())
