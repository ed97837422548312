"""Bulk import over HTTP: ``POST /v1/imports`` (multipart), the same path as ``yizhan import``.

All or nothing. The answer is the import report: 200 when the import was written or, in a dry
run, would be; otherwise nothing is written and the answer is a problem document carrying the
same report members — 403 when the only problem is rows outside the token's districts, 422 for
anything else (rejected rows, likely duplicates without ``allow_duplicates=true``).

An import runs on a thread of its own small pool (IMPORT_THREADS), never on the pool that token
checks and edits share, so imports cannot take every thread those need; and it stops (writing
nothing) soon after its client disconnects, instead of working on for nobody.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import PurePath
from typing import Final

import anyio
import orjson
from anyio.lowlevel import RunVar
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from api.auth import StoreDep, TokenDep
from api.deps import LiveDep
from api.problems import CLIENT_GONE, MAX_LISTED_PROBLEMS, ProblemError
from api.routes.import_models import MULTIPART_BODY, ImportReportPublic, report_body
from api.schemas import problem_responses
from geo.crs import CoordinateSystem
from stations.errors import ImportFileError, InvalidInput, Problem
from stations.files import importing
from stations.files.formats import SUFFIXES
from stations.files.limits import Cancelled, ImportCancelled
from stations.files.report import ImportReport

FORM_FIELDS: Final = ("file", "crs", "dry_run", "allow_duplicates")
_FLAGS: Final = {"true": True, "false": False}
#: Imports that run at once (each on a thread); more wait for a turn. The threads that token
#: checks and edits use are AnyIO's default pool (40), which imports never touch.
IMPORT_THREADS: Final = 2
#: One pool per event loop, made on first use (a limiter belongs to the loop it is used in).
_import_pool: RunVar[anyio.CapacityLimiter] = RunVar("yizhan_import_pool")

router = APIRouter(
    prefix="/v1", tags=["admin"], responses=problem_responses(400, 401, 403, 413, 415, 422)
)


@dataclass(frozen=True, slots=True)
class _Upload:
    data: bytes
    filename: str
    crs: CoordinateSystem
    dry_run: bool
    allow_duplicates: bool


@router.post(
    "/imports",
    operation_id="importStations",
    response_model=ImportReportPublic,
    openapi_extra={"requestBody": MULTIPART_BODY},
)
async def import_stations(
    request: Request, token: TokenDep, store: StoreDep, live: LiveDep
) -> Response:
    """Import a file of stations, all or nothing; answers with the import report."""
    if request.query_params:
        # Options travel as form fields: a '?dry_run=true' must never be ignored into a write.
        unknown = sorted(set(request.query_params))
        reason = "is not a URL parameter here; send options as form fields (crs, dry_run, ...)"
        raise InvalidInput([Problem(k, reason) for k in unknown])
    upload = await _read_upload(request)
    try:
        report = await _while_connected(
            request,
            lambda cancelled: importing.import_data(
                store,
                upload.data,
                upload.filename,
                crs=upload.crs,
                dry_run=upload.dry_run,
                allow_duplicates=upload.allow_duplicates,
                token=token,
                cancelled=cancelled,
            ),
        )
    except ImportFileError as exc:
        raise InvalidInput([Problem("file", str(exc))]) from exc
    if report is None:
        return Response(status_code=CLIENT_GONE)  # nobody reads it; the access log does
    if report.written and (report.created or report.updated):
        await run_in_threadpool(live.refresh)
    body = report_body(report)
    if report.blocked:
        status = (
            HTTPStatus.FORBIDDEN if report.only_out_of_scope else HTTPStatus.UNPROCESSABLE_ENTITY
        )
        raise ProblemError(
            status, _detail(report), errors=_errors(report), zh=_detail_zh(report), **body
        )
    return Response(orjson.dumps(body), media_type="application/json")


async def _while_connected(
    request: Request, work: Callable[[Cancelled], ImportReport]
) -> ImportReport | None:
    """``work(cancelled)`` on an import thread, ``cancelled()`` turning true when the client
    disconnects; None if it did before the work finished (which then wrote nothing)."""
    gone = threading.Event()
    outcome: list[ImportReport | Exception] = []

    async def run() -> None:
        try:
            report = await anyio.to_thread.run_sync(work, gone.is_set, limiter=_import_threads())
            outcome.append(report)
        except Exception as exc:  # raised below, outside the task group (which would wrap it)
            outcome.append(exc)
        finally:
            watch.cancel_scope.cancel()  # done: stop waiting for a disconnect

    async with anyio.create_task_group() as watch:
        watch.start_soon(run)
        await _disconnected(request)
        gone.set()
        # A turn not yet begun is given up at once; a running import is waited for (it sees
        # ``gone`` within a few hundred rows).
        watch.cancel_scope.cancel()
    result = outcome[0] if outcome else None
    if isinstance(result, ImportCancelled):
        return None
    if isinstance(result, Exception):
        raise result
    return result


async def _disconnected(request: Request) -> None:
    """Return when the client has gone. The body has been read whole, so the server's next
    message can only be the disconnect."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _import_threads() -> anyio.CapacityLimiter:
    try:
        return _import_pool.get()
    except LookupError:
        pool = anyio.CapacityLimiter(IMPORT_THREADS)
        _import_pool.set(pool)
        return pool


async def _read_upload(request: Request) -> _Upload:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        raise ProblemError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "send the file as multipart/form-data, e.g. curl -F file=@stations.csv -F dry_run=true",
        )
    # Parsed here rather than by FastAPI's File() so that the body limit's exception reaches
    # its middleware (413) instead of becoming a 400. Text fields are tiny.
    async with request.form(max_files=4, max_fields=16, max_part_size=1024) as form:
        fields = _single_fields(form)
        upload = fields.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput([Problem("file", "is required: a file part with a file name")])
        filename = upload.filename
        if PurePath(filename).suffix.lower() not in SUFFIXES:
            endings = ", ".join(SUFFIXES)
            raise InvalidInput([Problem("file", f"{filename!r}: the name must end in {endings}")])
        options = _options(fields)
        data = await upload.read()
    return _Upload(data, filename, *options)


def _single_fields(form: FormData) -> dict[str, str | UploadFile]:
    names = [name for name, _ in form.multi_items()]
    known = ", ".join(FORM_FIELDS)
    problems = [
        Problem(n, f"is not a form field of this endpoint; use {known}")
        for n in dict.fromkeys(names)
        if n not in FORM_FIELDS
    ]
    problems += [Problem(n, "is given more than once") for n in FORM_FIELDS if names.count(n) > 1]
    if problems:
        raise InvalidInput(problems)
    return dict(form.items())


def _options(fields: dict[str, str | UploadFile]) -> tuple[CoordinateSystem, bool, bool]:
    problems: list[Problem] = []
    text: dict[str, str] = {}
    for name in ("crs", "dry_run", "allow_duplicates"):
        value = fields.get(name, "")
        if isinstance(value, UploadFile):
            problems.append(Problem(name, "must be a text field, not a file"))
        else:
            text[name] = value.strip().lower()
    crs_text = text.get("crs") or CoordinateSystem.WGS84.value
    if crs_text not in {c.value for c in CoordinateSystem}:
        choices = ", ".join(c.value for c in CoordinateSystem)
        problems.append(Problem("crs", f"{crs_text!r} is not one of {choices}"))
    for name in ("dry_run", "allow_duplicates"):
        if text.get(name, "") not in ("", *_FLAGS):
            problems.append(Problem(name, f"{text[name]!r} is not true or false"))
    if problems:
        raise InvalidInput(problems)
    flag = {name: _FLAGS.get(text.get(name, ""), False) for name in ("dry_run", "allow_duplicates")}
    return CoordinateSystem(crs_text), flag["dry_run"], flag["allow_duplicates"]


def _detail(report: ImportReport) -> str:
    reasons = []
    if report.rejected:
        rows = len({r.row for r in report.rejected})
        reasons.append(f"{rows} of {report.rows} rows were rejected (first: {report.rejected[0]})")
    if report.duplicates_block:
        reasons.append(
            f"{len(report.duplicates)} rows look like duplicates of a station within 30 m with "
            "a similar name (send allow_duplicates=true if they are different stations)"
        )
    lead = "dry run: the import would write nothing" if report.dry_run else "nothing was written"
    return f"{lead}: {'; '.join(reasons)}. The report lists every problem."


def _detail_zh(report: ImportReport) -> str:
    """``_detail`` in Chinese."""
    reasons = []
    if report.rejected:
        rows = len({r.row for r in report.rejected})
        first = report.rejected[0]
        reasons.append(
            f"{report.rows} 行中有 {rows} 行有问题（第一个：第 {first.row} 行 {first.field}："
            f"{first.reason_zh or first.reason}）"
        )
    if report.duplicates_block:
        reasons.append(
            f"{len(report.duplicates)} 行与 30 米内名称相近的站点可能重复（如确为不同站点，请发送 "
            "allow_duplicates=true）"
        )
    lead = "试导入：不会写入任何数据" if report.dry_run else "什么都没有写入"
    return f"{lead}：{'；'.join(reasons)}。报告列出了每一个问题。"


def _errors(report: ImportReport) -> list[dict[str, str]]:
    errors = [{"field": r.field, "reason": f"row {r.row}: {r.reason}"} for r in report.rejected]
    if report.duplicates_block:
        errors += [
            {
                "field": "duplicates",
                "reason": f"row {d.row}: {d.name!r} is {d.distance_m:.1f} m from "
                f"{d.near_name!r} ({_near(d.near_id, d.near_row)})",
            }
            for d in report.duplicates
        ]
    # ``errors`` summarises like every problem document; ``rejected`` and ``duplicates`` list all.
    return errors[:MAX_LISTED_PROBLEMS]


def _near(near_id: str | None, near_row: int | None) -> str:
    if near_row is not None:
        return f"row {near_row}" + (f", id {near_id}" if near_id else "")
    return f"id {near_id}"
