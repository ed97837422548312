"""Service routes: the amenity vocabulary and health."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import CatalogDep
from stations.amenities import VOCABULARY

router = APIRouter()


@router.get("/v1/amenities", operation_id="listAmenities", tags=["stations"])
async def list_amenities() -> dict[str, Any]:
    """The amenity vocabulary with Chinese and English labels."""
    return {"amenities": [{"code": a.code, "zh": a.zh, "en": a.en} for a in VOCABULARY]}


@router.get("/healthz", operation_id="health", tags=["service"])
async def health(catalog: CatalogDep) -> dict[str, Any]:
    """Liveness: the process serves a snapshot of this many stations."""
    return {"status": "ok", "stations": len(catalog), "data_version": catalog.data_version}
