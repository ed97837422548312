"""Bearer tokens and If-Match preconditions for the admin routes."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Annotated, Final

from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.problems import ProblemError
from stations.editing.tokens import Token, secret_hash
from stations.model import StationId
from stations.store.base import StationStore

_BEARER: Final = re.compile(r"Bearer +(\S+) *", re.IGNORECASE)
# Entity tags compare character by character (RFC 9110 §8.8.3.2): only the canonical form
# of a version, as we send it, can match; "01" is another tag.
_STRONG_ETAG: Final = re.compile(r'"(0|[1-9][0-9]{0,17})"')
# One answer for missing, unknown and revoked tokens: nothing to learn by probing.
_UNAUTHORIZED: Final = (
    "this route needs a valid token in the header 'Authorization: Bearer <token>'; "
    "ask an admin for one (yizhan token create)"
)


def get_store(request: Request) -> StationStore:
    store: StationStore = request.app.state.store
    return store


#: Declares the bearer scheme in the OpenAPI document; the header is parsed by require_token,
#: so that every failure gets the same 401 problem document.
_BEARER_SCHEME: Final = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token made by `yizhan token create` (its secret, printed once).",
)


async def require_token(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER_SCHEME)] = None,
) -> Token:
    """The active token named by the Authorization header, or 401."""
    match = _BEARER.fullmatch(request.headers.get("authorization", ""))
    if match is None:
        raise _unauthorized()
    store = get_store(request)
    token = await run_in_threadpool(store.token_by_hash, secret_hash(match.group(1)))
    if token is None or not token.active:
        raise _unauthorized()
    return token


def expected_version(if_match: Annotated[str | None, Header()] = None) -> int:
    """The version named by If-Match (the ETag the client read), or 428 when it is missing.

    A weak or unparseable tag can never match (RFC 9110 §13.1.1 compares strongly), so it
    is answered like a stale one: 412 with the current version.
    """
    if _missing(if_match):
        raise ProblemError(
            HTTPStatus.PRECONDITION_REQUIRED,
            'send the station\'s ETag in If-Match (e.g. If-Match: "3"), as read from GET '
            "/v1/stations/{id}, so that a colleague's newer edit is never overwritten",
            zh='请在 If-Match 中发送站点的 ETag（例如 If-Match: "3"），即 GET /v1/stations/{id} '
            "返回的版本，以免覆盖同事较新的修改",
        )
    return _version_named(if_match)


async def station_version(
    station_id: str, request: Request, if_match: Annotated[str | None, Header()] = None
) -> int:
    """``expected_version`` for a route with the station in its path: a 428 names the
    station's current version (404 for a station that does not exist)."""
    if not _missing(if_match):
        return _version_named(if_match)
    store = get_store(request)
    current = await run_in_threadpool(store.get, StationId(station_id))
    version = current.version
    raise ProblemError(
        HTTPStatus.PRECONDITION_REQUIRED,
        f'send If-Match: "{version}" (the station\'s current version, from its ETag) once you '
        f"have checked your change against it (GET /v1/stations/{station_id}), so that a "
        "colleague's newer edit is never overwritten",
        zh=f'请发送 If-Match: "{version}"（站点当前的版本，即它的 ETag），并先核对修改是否基于'
        f"最新内容（GET /v1/stations/{station_id}），以免覆盖同事较新的修改",
        current_version=version,
    )


def _missing(if_match: str | None) -> bool:
    return if_match is None or if_match.strip() in ("", "*")


def _version_named(if_match: str | None) -> int:
    match = _STRONG_ETAG.fullmatch((if_match or "").strip())
    return int(match.group(1)) if match else -1


def _unauthorized() -> ProblemError:
    return ProblemError(
        HTTPStatus.UNAUTHORIZED,
        _UNAUTHORIZED,
        headers={"WWW-Authenticate": 'Bearer realm="yizhan"'},
    )


TokenDep = Annotated[Token, Depends(require_token)]
#: The If-Match version of a route whose path names the station (``{station_id}``).
ExpectedVersion = Annotated[int, Depends(station_version)]
StoreDep = Annotated[StationStore, Depends(get_store)]
