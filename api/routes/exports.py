"""Public downloads of the active stations: ``GET /v1/exports/stations.{geojson,csv,gpkg}``.

The CSV is exactly the import format (exporting then importing it changes nothing); the GeoJSON
carries the same fields as properties; the GeoPackage opens in QGIS or geopandas (layer
``stations``). Positions are WGS-84. Each answer is read from the store, not from the courier
snapshot, so it includes writes made by other processes a moment ago.
"""

from __future__ import annotations

import shutil
import tempfile
from http import HTTPStatus
from pathlib import Path
from typing import Any, Final

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response

from api.auth import StoreDep
from api.problems import ProblemError
from api.schemas import GEOJSON, problem_responses
from stations.errors import InvalidInput, Problem
from stations.files.exporting import export_bytes, export_file
from stations.store.base import StationStore

MEDIA_TYPES: Final = {
    "geojson": GEOJSON,
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
}
_DOWNLOAD: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "The active stations as a file to save",
        "content": {media_type: {} for media_type in MEDIA_TYPES.values()},
    }
}

router = APIRouter(prefix="/v1", tags=["exports"], responses=problem_responses(404, 422))


@router.get(
    "/exports/stations.{file_format}",
    operation_id="exportStations",
    response_class=Response,
    responses=_DOWNLOAD,
)
async def export_stations(file_format: str, request: Request, store: StoreDep) -> Response:
    """Download every active station as GeoJSON, CSV (the import format) or GeoPackage."""
    if file_format not in MEDIA_TYPES:
        raise ProblemError(
            HTTPStatus.NOT_FOUND,
            f"no export stations.{file_format}; use stations.geojson, stations.csv or "
            "stations.gpkg",
        )
    if request.query_params:
        # Exports take no options: a '?crs=gcj02' must not pass for shifted coordinates.
        reason = "is not a parameter: exports take none (positions are WGS-84)"
        raise InvalidInput([Problem(k, reason) for k in sorted(set(request.query_params))])
    filename = f"stations.{file_format}"
    if file_format == "gpkg":
        return await run_in_threadpool(_gpkg_response, store)
    data = await run_in_threadpool(export_bytes, store, f".{file_format}")
    return Response(
        data,
        media_type=MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _gpkg_response(store: StationStore) -> FileResponse:
    # A GeoPackage is an SQLite database: it is built as a file, streamed, then removed.
    directory = Path(tempfile.mkdtemp(prefix="yizhan-export-"))
    try:
        path = directory / "stations.gpkg"
        export_file(store, path)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=MEDIA_TYPES["gpkg"],
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, directory, ignore_errors=True),
    )
