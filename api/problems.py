"""RFC 9457 problem details for every error, installed by one function from one table."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from http import HTTPStatus
from typing import Any, Final

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from api.params.errors import PARAMETERS, field_problem
from api.route_table import matching_templates
from api.schemas import PROBLEM_JSON
from geo.position import InvalidCoordinate
from stations.errors import (
    Forbidden,
    ImportFileError,
    InvalidInput,
    LikelyDuplicate,
    PhotoNotFound,
    Problem,
    RateLimited,
    ReportNotFound,
    StationExists,
    StationNotFound,
    StoreUnavailable,
    TokenNotFound,
    UnsupportedMediaType,
    VersionMismatch,
    VersionNotFound,
    YizhanError,
)

log = logging.getLogger("yizhan.api")


#: A problem document lists at most this many field problems (a hostile body could have 70,000).
MAX_LISTED_PROBLEMS: Final = 50
#: Retry-After (seconds) on a 503: a restarting PostgreSQL is usually back within this.
RETRY_AFTER_S: Final = 5

STATUS_FOR: Final[dict[type[Exception], HTTPStatus]] = {
    StationNotFound: HTTPStatus.NOT_FOUND,
    InvalidInput: HTTPStatus.UNPROCESSABLE_ENTITY,
    ImportFileError: HTTPStatus.UNPROCESSABLE_ENTITY,
    StoreUnavailable: HTTPStatus.SERVICE_UNAVAILABLE,
    InvalidCoordinate: HTTPStatus.UNPROCESSABLE_ENTITY,
    VersionMismatch: HTTPStatus.PRECONDITION_FAILED,
    VersionNotFound: HTTPStatus.NOT_FOUND,
    TokenNotFound: HTTPStatus.NOT_FOUND,
    Forbidden: HTTPStatus.FORBIDDEN,
    StationExists: HTTPStatus.CONFLICT,
    PhotoNotFound: HTTPStatus.NOT_FOUND,
    ReportNotFound: HTTPStatus.NOT_FOUND,
    UnsupportedMediaType: HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    RateLimited: HTTPStatus.TOO_MANY_REQUESTS,
}


class ProblemError(Exception):
    """Raise from a route for a problem the domain does not model (e.g. a bad header)."""

    def __init__(
        self,
        status: HTTPStatus,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        zh: str | None = None,
        **extra: object,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.zh = zh  # the detail in Chinese, for a reader who prefers it
        self.headers = headers or {}
        self.extra = extra


#: RFC 9110's names where Python's HTTPStatus still has the older RFC 7231 ones.
_TITLES: Final = {413: "Content Too Large", 414: "URI Too Long"}


def problem_response(
    status: int, detail: str, *, instance: str | None = None, **extra: object
) -> Response:
    """A problem+json response; ``extra`` members are added to the body (RFC 9457 §3.2)."""
    body: dict[str, object] = {
        "type": "about:blank",
        "title": _TITLES.get(status) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    # orjson refuses NaN, so a problem document is always valid JSON; replace what it can't
    # encode rather than fail while reporting a failure.
    content = orjson.dumps(body, default=str)
    return Response(content, status_code=status, media_type=PROBLEM_JSON)


def install_problem_handlers(app: FastAPI) -> None:
    for exc_type, status in STATUS_FOR.items():
        app.add_exception_handler(exc_type, _domain_handler(status))
    # Starlette types handlers as taking Exception; each of ours takes its own subclass.
    app.add_exception_handler(ProblemError, _problem_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected)


Handler = Callable[[Request, Any], Awaitable[Response]]


def _domain_handler(status: HTTPStatus) -> Handler:
    async def handle(request: Request, exc: YizhanError) -> Response:
        extra: dict[str, object] = {}
        headers: dict[str, str] = {}
        chinese = prefers_chinese(request.headers.get("accept-language"))
        detail = exc.zh if chinese and exc.zh else str(exc)
        if isinstance(exc, InvalidInput):
            errors = _field_entries(exc.problems, chinese=chinese)
            if len(errors) > MAX_LISTED_PROBLEMS:
                detail, extra["errors"] = listed(errors)
            else:
                extra["errors"] = errors
        if isinstance(exc, VersionMismatch):
            extra["current_version"] = exc.current_version
            headers["ETag"] = f'"{exc.current_version}"'
        if isinstance(exc, StoreUnavailable):
            # The reason names the database server: for the operator's log, not the client.
            log.warning("%s %s: %s", request.method, request.url.path, exc)
            detail = (
                "the station database cannot be reached right now, so nothing was read or "
                f"written: try again in {RETRY_AFTER_S} seconds (nearest-station searches keep "
                "working from the last loaded data)"
            )
            headers["Retry-After"] = str(RETRY_AFTER_S)
        if isinstance(exc, LikelyDuplicate):
            extra.update(
                near_id=exc.near_id, near_name=exc.near_name, distance_m=round(exc.distance_m, 1)
            )
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after_s)
            extra["retry_after_s"] = exc.retry_after_s
        response = problem_response(status, detail, instance=request.url.path, **extra)
        response.headers.update(headers)
        return response

    return handle


async def _problem_error(request: Request, exc: ProblemError) -> Response:
    chinese = prefers_chinese(request.headers.get("accept-language"))
    detail = exc.zh if chinese and exc.zh else exc.detail
    response = problem_response(exc.status, detail, instance=request.url.path, **exc.extra)
    response.headers.update(exc.headers)
    return response


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    detail, errors = listed(_field_entries(field_problem(e, PARAMETERS) for e in exc.errors()))
    return problem_response(422, detail, instance=request.url.path, errors=errors)


def _field_entries(problems: Iterable[Problem], *, chinese: bool = False) -> list[dict[str, str]]:
    """The ``errors`` member of a problem document: one {field, reason} a problem, the reason
    in Chinese for a reader who prefers it (where there is one; field names stay)."""
    if chinese:
        return [{"field": p.field, "reason": p.reason_zh or p.reason} for p in problems]
    return [{"field": p.field, "reason": p.reason} for p in problems]


def prefers_chinese(accept_language: str | None) -> bool:
    """Whether an Accept-Language header (RFC 9110 §12.5.4) ranks Chinese first: the language
    with the highest q (the first of equals) is zh or a zh-… tag."""
    best, best_q = "", 0.0
    for item in (accept_language or "")[:1000].split(","):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0
        if tag.strip() and q > best_q:
            best, best_q = tag.strip().lower(), q
    return best == "zh" or best.startswith("zh-")


def listed(errors: list[dict[str, str]]) -> tuple[str, list[dict[str, str]]]:
    """A detail naming the first ``MAX_LISTED_PROBLEMS`` field problems (and how many more
    there are) and those problems, for a problem document of bounded size."""
    shown = errors[:MAX_LISTED_PROBLEMS]
    detail = "; ".join(f"{e['field']}: {e['reason']}" for e in shown)
    if len(errors) > len(shown):
        detail += f"; and {len(errors) - len(shown)} more problems"
    return detail, shown


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such resource: {request.url.path}; see /docs for the API"
    if exc.status_code == 405:
        # Starlette names only the first route whose path matched; RFC 9110 §15.5.6 wants
        # every method the resource takes (GET /v1/stations and POST /v1/stations are two
        # routes of one resource).
        headers["Allow"] = ", ".join(sorted(allowed_methods(request)))
        detail = f"use one of: {headers['Allow']}"
    response = problem_response(exc.status_code, detail, instance=request.url.path)
    response.headers.update(headers)
    return response


def allowed_methods(request: Request) -> set[str]:
    """The methods of the resource at this request's path: its most specific route template
    (a literal path such as /v1/stations/nearest before /v1/stations/{station_id})."""
    found = matching_templates(request.app, request.url.path)
    return set(found[0].methods) if found else set()


#: The status logged for a request whose client went away before its answer (nginx's code).
CLIENT_GONE: Final = 499


async def _client_gone(request: Request, exc: Exception) -> Response:
    # A client that leaves mid-body (or is cut off by the body timeout) is no server error:
    # one line, no traceback; nobody reads the answer, the access log does.
    log.info("%s %s: the client went away before its request was read", request.method,
             request.url.path)  # fmt: skip
    return Response(status_code=CLIENT_GONE)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        500,
        "Yizhan hit an internal error; it has been logged. Try again, or report it with the "
        "time of the request.",
        instance=request.url.path,
    )
