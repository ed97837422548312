"""Typed dependencies shared by the routes."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import Depends, Request

from api.problems import ProblemError
from stations.catalog import Catalog
from stations.live import LiveCatalog


async def get_live(request: Request) -> LiveCatalog:
    live: LiveCatalog = request.app.state.live
    return live


async def get_catalog(request: Request) -> Catalog:
    # async so FastAPI does not hop to the thread pool for one attribute read.
    catalog: Catalog = request.app.state.live.catalog
    return catalog


async def reject_repeated_params(request: Request) -> None:
    """A repeated query parameter would otherwise keep only its last value, silently."""
    params = request.query_params
    repeated = sorted({key for key in params if len(params.getlist(key)) > 1})
    if repeated:
        raise ProblemError(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            f"parameter(s) given more than once: {', '.join(repeated)}; give each once "
            "(lists are comma-separated, e.g. amenities=water,microwave)",
            errors=[{"field": key, "reason": "given more than once"} for key in repeated],
        )


LiveDep = Annotated[LiveCatalog, Depends(get_live)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
