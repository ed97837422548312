"""Response classes shared by the routes."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse

from api.schemas import GEOJSON


class OrjsonResponse(JSONResponse):
    """JSON encoded by orjson (keeps non-ASCII text as it is, as every answer does)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class GeoJSONResponse(JSONResponse):
    """GeoJSON encoded by orjson (a JSONResponse subclass so OpenAPI shows the schema)."""

    media_type = GEOJSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
