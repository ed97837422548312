"""What ``POST /v1/imports`` takes and answers, for the OpenAPI document and the answer body:
the multipart request body, and the import report as JSON."""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, Field

from geo.crs import CoordinateSystem
from stations.files.report import ImportReport


class RejectionPublic(BaseModel):
    row: int = Field(description="CSV line, GeoJSON feature number or Excel row")
    field: str
    reason: str
    reason_zh: str | None = Field(None, description="The reason in Chinese, where there is one")


class DuplicatePublic(BaseModel):
    row: int = Field(description="The row that would create a likely duplicate")
    id: str | None
    name: str
    near_id: str | None = Field(description="The similar station's id (null: a new row)")
    near_row: int | None = Field(description="The similar station's row in this file, if any")
    near_name: str
    distance_m: float = Field(description="Geodesic metres, WGS-84 ellipsoid")


class ImportReportPublic(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: list[RejectionPublic]
    duplicates: list[DuplicatePublic]
    dry_run: bool
    written: bool
    conversions: list[dict[str, Any]] = Field(
        description="Values read from how people write them, e.g. a Chinese hours phrase: "
        '{"row", "field", "given": "周一至周五 8:00-18:00", "saved": "Mo-Fr 08:00-18:00"}'
    )
    set_aside: list[str] = Field(
        description="Columns whose values were not imported: Yizhan records them itself "
        "(verified_at, last_confirmed_at, out_of_order, as exported)"
    )


#: The request body, described by hand: the route reads the form itself (see imports.py).
MULTIPART_BODY: Final = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "Stations as .csv (UTF-8), .geojson/.json or .xlsx; "
                        "the type comes from the file name's suffix.",
                    },
                    "crs": {"type": "string", "enum": [c.value for c in CoordinateSystem]},
                    "dry_run": {"type": "boolean", "default": False},
                    "allow_duplicates": {"type": "boolean", "default": False},
                },
            }
        }
    },
}


def report_body(report: ImportReport) -> dict[str, Any]:
    """The report's JSON members (ImportReportPublic)."""
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": [
            {"row": r.row, "field": r.field, "reason": r.reason, "reason_zh": r.reason_zh}
            for r in report.rejected
        ],
        "duplicates": [
            {
                "row": d.row,
                "id": d.id,
                "name": d.name,
                "near_id": d.near_id,
                "near_row": d.near_row,
                "near_name": d.near_name,
                "distance_m": d.distance_m,
            }
            for d in report.duplicates
        ],
        "dry_run": report.dry_run,
        "written": report.written,
        "set_aside": sorted(report.set_aside),
        "conversions": [
            {"row": c.row, "field": c.field, "given": c.given, "saved": c.saved}
            for c in report.conversions
        ],
    }
