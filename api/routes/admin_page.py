"""``GET /admin``: the admin console and its files (``api.pages.admin``); and
``GET /v1/tokens/me``: who the bearer's token is, so the console can say so after sign-in.

The console's files are answered as the rider page's are (``api.routes.pages``): their ETag,
``Cache-Control: no-cache``, gzip when the browser takes it; they are pages, not API, so the
OpenAPI document leaves them out. The query string of ``/admin`` is ignored. The token itself
never travels in a URL: the console sends it in ``Authorization`` only, and the access log
writes no header (``api.middleware.access_log``).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Final, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from api.auth import TokenDep
from api.pages.admin.shell import CONSOLE, FILES, admin_assets, content_security_policy
from api.pages.shell import Asset
from api.problems import ProblemError
from api.responses import OrjsonResponse
from api.routes.pages import asset_response
from api.schemas import problem_responses
from stations.districts import district_name
from stations.editing.tokens import Role

router = APIRouter()

#: What the console page may do beyond its policy: locate the editor (to place a station where
#: they stand), never the camera or microphone; and send no Referer anywhere.
_PAGE_HEADERS: Final = {
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
}


class TokenPublic(BaseModel):
    """A token as its holder sees it: never its secret."""

    name: str
    role: Literal["editor", "admin"]
    districts: list[str] = Field(
        description="Adcode prefixes the token writes in (6101: all of Xi'an); empty for an "
        "admin, who writes everywhere"
    )
    district_names: dict[str, str] = Field(
        description="Each of ``districts`` by its full name (陕西省西安市碑林区; a 2- or "
        "4-digit prefix by its province's or city's), or the code itself when the shipped "
        "table does not know it"
    )


@router.get(
    "/v1/tokens/me",
    operation_id="getOwnToken",
    tags=["admin"],
    response_model=TokenPublic,
    responses=problem_responses(401),
)
async def get_own_token(token: TokenDep) -> Response:
    """Who the bearer's token is: its name, role and districts with their names."""
    body = TokenPublic(
        name=token.name,
        role="admin" if token.role is Role.ADMIN else "editor",
        districts=list(token.districts),
        district_names={d: district_name(d.ljust(6, "0")) for d in token.districts},
    )
    return OrjsonResponse(body.model_dump(), headers={"Cache-Control": "no-store"})


@router.get(CONSOLE, include_in_schema=False)
def get_admin_console(request: Request) -> Response:
    """The admin console: stations, rider reports, imports and exports."""
    headers = {"Content-Security-Policy": content_security_policy(), **_PAGE_HEADERS}
    return _answer(request, CONSOLE, headers)


@router.get(FILES + "/{name}", include_in_schema=False)
def get_admin_file(request: Request, name: str) -> Response:
    """One of the console's own scripts or its stylesheet."""
    return _answer(request, f"{FILES}/{name}")


def _answer(request: Request, url: str, headers: dict[str, str] | None = None) -> Response:
    asset: Asset | None = admin_assets().get(url)
    if asset is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no such file: {url}; the console is at /admin")
    return asset_response(request, asset, headers)
