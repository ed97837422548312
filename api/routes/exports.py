"""Public downloads of the active stations: ``GET /v1/exports/stations.{geojson,csv,xlsx,gpkg}``,
and the import template ``GET /v1/imports/template.xlsx``.

The CSV is exactly the import format (exporting then importing it changes nothing), with a
UTF-8 byte order mark so that Excel reads it as UTF-8; the .xlsx has the same columns and
re-imports the same way; the GeoJSON carries the same fields as properties; the GeoPackage opens
in QGIS or geopandas (layer ``stations``). Positions are WGS-84. Each answer is read from the
store, not from the courier snapshot, so it includes writes made by other processes a moment
ago. The template holds no station data: it is public, so that a new editor can fill it in
before being given a token.
"""

from __future__ import annotations

import shutil
import tempfile
from http import HTTPStatus
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

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

XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES: Final = {
    "geojson": GEOJSON,
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX,
    "gpkg": "application/geopackage+sqlite3",
}
#: Formats built as a file and streamed from it: a database, and a workbook written row by row
#: (neither is held in memory whole).
_FILE_FORMATS: Final = frozenset({"gpkg", "xlsx"})
_DOWNLOAD: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "The active stations as a file to save",
        "content": {media_type: {} for media_type in MEDIA_TYPES.values()},
    }
}
#: The template's name when saved: Chinese for its readers, ASCII for old clients (RFC 6266).
TEMPLATE_NAME: Final = "驿站导入模板.xlsx"
TEMPLATE_ASCII_NAME: Final = "yizhan-import-template.xlsx"

router = APIRouter(prefix="/v1", tags=["exports"], responses=problem_responses(404, 422))


@router.get(
    "/exports/stations.{file_format}",
    operation_id="exportStations",
    response_class=Response,
    responses=_DOWNLOAD,
)
async def export_stations(file_format: str, request: Request, store: StoreDep) -> Response:
    """Download every active station as GeoJSON, CSV (the import format), Excel or
    GeoPackage."""
    if file_format not in MEDIA_TYPES:
        raise ProblemError(
            HTTPStatus.NOT_FOUND,
            f"no export stations.{file_format}; use stations.geojson, stations.csv, "
            "stations.xlsx or stations.gpkg",
        )
    _refuse_parameters(request, "exports take none (positions are WGS-84)")
    filename = f"stations.{file_format}"
    if file_format in _FILE_FORMATS:
        return await run_in_threadpool(_file_response, store, filename)
    data = await run_in_threadpool(export_bytes, store, f".{file_format}")
    return Response(
        data,
        media_type=MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/imports/template.xlsx",
    operation_id="getImportTemplate",
    response_class=Response,
    responses={200: {"description": "The import template", "content": {XLSX: {}}}},
)
async def get_import_template(request: Request) -> Response:
    """Download the Excel import template: Chinese column headers, three example rows, the
    amenity list and instructions in Chinese."""
    _refuse_parameters(request, "the template takes none")
    # openpyxl loads with the first template asked for, not with every serving process.
    from stations.files.template import template_bytes

    data = await run_in_threadpool(template_bytes)
    disposition = (
        f"attachment; filename=\"{TEMPLATE_ASCII_NAME}\"; filename*=UTF-8''{quote(TEMPLATE_NAME)}"
    )
    return Response(data, media_type=XLSX, headers={"Content-Disposition": disposition})


def _refuse_parameters(request: Request, why: str) -> None:
    # Downloads take no options: a '?crs=gcj02' must not pass for shifted coordinates.
    if request.query_params:
        reason = f"is not a parameter: {why}"
        raise InvalidInput([Problem(k, reason) for k in sorted(set(request.query_params))])


def _file_response(store: StationStore, filename: str) -> FileResponse:
    # Built as a file in a directory of its own, streamed, then removed.
    directory = Path(tempfile.mkdtemp(prefix="yizhan-export-"))
    try:
        path = directory / filename
        export_file(store, path)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[path.suffix.removeprefix(".")],
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, directory, ignore_errors=True),
    )
