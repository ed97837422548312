"""Typed dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from stations.reading.catalog import Catalog
from stations.reading.live import LiveCatalog


async def get_live(request: Request) -> LiveCatalog:
    live: LiveCatalog = request.app.state.live
    return live


async def get_catalog(request: Request) -> Catalog:
    # async so FastAPI does not hop to the thread pool for one attribute read.
    catalog: Catalog = request.app.state.live.catalog
    return catalog


LiveDep = Annotated[LiveCatalog, Depends(get_live)]
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
