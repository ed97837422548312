"""The OpenAPI 3.0 document of ``/ogc`` (its ``service-desc``), written out rather than generated.

The /ogc routes read their own parameters (``api.ogc_params``) and stay out of the main
``/openapi.json``: this document is the one OGC clients read (QGIS takes the items' ``limit``
default and maximum from it) and the one the tests check with ogcapi-registry and schemathesis.
OGC 17-069r4 §7.3 and its OpenAPI building blocks (ogcapi-features-1.yaml) give the shape;
parameters are written inline, not as ``$ref``, because validators read ``name`` directly.
"""

from __future__ import annotations

from typing import Any, Final

from api.ogc_documents import COLLECTION_ID, DESCRIPTION, JSON, OPENAPI_JSON, SCHEMA_JSON, TITLE
from api.ogc_params import ADCODE, DEFAULT_LIMIT, MAX_LIMIT
from api.openapi import inlined_schema
from api.schemas import GEOJSON, PROBLEM_JSON, ProblemDetails, StationProperties
from stations.amenities import CODES
from stations.model import Access, Kind

Json = dict[str, Any]

#: A station id as the editor's validation allows it (stations/editing/validation.py).
STATION_ID: Final = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$"
_LON: Final = r"[+-]?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[0-9]{1,2})(?:\.[0-9]+)?)"
_LAT: Final = r"[+-]?(?:90(?:\.0+)?|[0-8]?[0-9](?:\.[0-9]+)?)"
_HEIGHT: Final = r"[+-]?[0-9]{1,6}(?:\.[0-9]+)?"
#: Four numbers in range, or six with heights; the order of the latitudes (and heights) is a
#: rule between values that a pattern cannot state: the description says it.
BBOX_PATTERN: Final = (
    rf"^(?:{_LON},{_LAT},{_LON},{_LAT}|{_LON},{_LAT},{_HEIGHT},{_LON},{_LAT},{_HEIGHT})$"
)
_DATE: Final = r"[1-9][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
_INSTANT: Final = (
    rf"{_DATE}(?:T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{{1,9}})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]))?"
)
DATETIME_PATTERN: Final = rf"^(?:{_INSTANT}|{_INSTANT}/(?:{_INSTANT}|\.\.)?|(?:\.\.)?/{_INSTANT})$"
_WORD: Final = "(?:" + "|".join(CODES) + ")"
AMENITIES_PATTERN: Final = rf"^{_WORD}(?:,{_WORD})*$"


def _param(name: str, schema: Json, description: str, *, where: str = "query") -> Json:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
        "style": "form" if where == "query" else "simple",
        "explode": False,
    }


F: Final = _param("f", {"type": "string", "enum": ["json"]}, "The encoding: JSON (the only one).")
#: The one collection's paths are written out, as pygeoapi writes its collections': QGIS maps an
#: items path's simple query parameters to its collection by the literal id in the path.
HERE: Final = f"/collections/{COLLECTION_ID}"
LIMIT: Final = _param(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    f"Stations per page, 1 to {MAX_LIMIT:,} (default {DEFAULT_LIMIT}); a larger value is "
    f"read as {MAX_LIMIT:,}. Follow the `next` link for the rest.",
)
ITEMS_PARAMETERS: Final = [
    LIMIT,
    _param("offset", {"type": "integer", "minimum": 0, "default": 0}, "Stations to skip."),
    _param(
        "bbox",
        {"type": "string", "pattern": BBOX_PATTERN, "maxLength": 200},
        "Only stations inside: min_lon,min_lat,max_lon,max_lat in degrees, CRS84 (six numbers: "
        "heights third and sixth, ignored). min_lat ≤ max_lat; min_lon > max_lon crosses the "
        "antimeridian.",
    ),
    _param(
        "datetime",
        {"type": "string", "pattern": DATETIME_PATTERN, "maxLength": 100},
        "An RFC 3339 instant or interval ('..' for an open end). Stations have no temporal "
        "geometry, so every station matches (OGC 17-069r4 /req/core/fc-time-response C).",
    ),
    _param(
        "amenities",
        {"type": "string", "pattern": AMENITIES_PATTERN, "maxLength": 400},
        "Comma-separated amenity codes; only stations with every one in working order.",
    ),
    _param("kind", {"type": "string", "enum": [k.value for k in Kind]}, "Only this kind."),
    _param("access", {"type": "string", "enum": [a.value for a in Access]}, "Only this access."),
    _param("district_code", {"type": "string", "pattern": ADCODE}, "Only this 6-digit adcode."),
    F,
]


def oas30(schema: Any) -> Any:
    """A pydantic (JSON Schema 2020-12) schema in OpenAPI 3.0's dialect: ``nullable`` instead
    of a ``null`` type, ``enum`` instead of ``const``."""
    if isinstance(schema, list):
        return [oas30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: oas30(value) for key, value in schema.items() if key != "const"}
    if "const" in schema:
        out["enum"] = [schema["const"]]
    options = out.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        del out["anyOf"]
        out.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
        out["nullable"] = True
    return out


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(media_type: str, schema: Json, description: str) -> Json:
    return {"description": description, "content": {media_type: {"schema": schema}}}


_PROBLEMS: Final = {
    "400": "A bad or unknown query parameter",
    "404": "No such station (or it is retired)",
    "414": "The query string is over 4 KiB",
    "422": "A query parameter given twice, or more than 32 of them",
    "500": "An internal error (logged)",
}


def _operation(op_id: str, summary: str, ok: Json, params: list[Json], *extra: str) -> Json:
    statuses = ["400", *extra, "414", "422", "500"]
    problem = {"content": {PROBLEM_JSON: {"schema": _ref("Problem")}}}
    return {
        "operationId": op_id,
        "summary": summary,
        "tags": ["OGC API – Features"],
        "parameters": params,
        "responses": {
            "200": ok,
            **{s: {"description": _PROBLEMS[s], **problem} for s in sorted(statuses)},
        },
    }


def _schemas() -> Json:
    link = {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {k: {"type": "string"} for k in ("href", "rel", "type", "title")},
    }
    links = {"type": "array", "items": _ref("Link")}
    problem = oas30(inlined_schema(ProblemDetails))
    problem["properties"]["code"] = {"type": "string", "description": "OGC exception code"}
    problem["properties"]["description"] = {"type": "string"}
    feature = {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {
                "type": "object",
                "required": ["type", "coordinates"],
                "properties": {
                    "type": {"type": "string", "enum": ["Point"]},
                    "coordinates": {
                        "type": "array",
                        "items": {"type": "number"},
                        "minItems": 2,
                        "maxItems": 2,
                        "description": "[longitude, latitude], WGS-84 (CRS84)",
                    },
                },
            },
            "properties": oas30(inlined_schema(StationProperties)),
            "links": links,
        },
    }
    collection = {
        "type": "object",
        "required": ["id", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "itemType": {"type": "string"},
            "crs": {"type": "array", "items": {"type": "string"}},
            "extent": {"type": "object"},
            "links": links,
        },
    }
    return {
        "Link": link,
        "Problem": problem,
        "Feature": feature,
        "Collection": collection,
        "FeatureCollection": {
            "type": "object",
            "required": ["type", "features", "links", "numberMatched", "numberReturned"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": _ref("Feature")},
                "links": links,
                "numberMatched": {"type": "integer", "minimum": 0},
                "numberReturned": {"type": "integer", "minimum": 0},
                "timeStamp": {"type": "string", "format": "date-time"},
            },
        },
    }


def ogc_openapi(server_url: str) -> Json:
    """The document, its one server the absolute URL of ``/ogc`` as the client reached it."""
    landing = {
        "type": "object",
        "required": ["links"],
        "properties": {"title": {"type": "string"}, "description": {"type": "string"},
                       "links": {"type": "array", "items": _ref("Link")}},
    }  # fmt: skip
    conformance = {
        "type": "object",
        "required": ["conformsTo"],
        "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
    }
    collections = {
        "type": "object",
        "required": ["links", "collections"],
        "properties": {"links": {"type": "array", "items": _ref("Link")},
                       "collections": {"type": "array", "items": _ref("Collection")}},
    }  # fmt: skip
    item_id = _param(
        "featureId", {"type": "string", "pattern": STATION_ID}, "A station's id", where="path"
    )
    paths = {
        "/": {"get": _operation(
            "getLandingPage", "The landing page", _ok(JSON, landing, "Links to everything"), [F]
        )},
        "/api": {"get": _operation(
            "getApiDefinition", "This document",
            _ok(OPENAPI_JSON, {"type": "object"}, "OpenAPI 3.0"), [F],
        )},
        "/conformance": {"get": _operation(
            "getConformance", "The conformance classes", _ok(JSON, conformance, "Declared"), [F]
        )},
        "/collections": {"get": _operation(
            "getCollections", "The collections", _ok(JSON, collections, "One: stations"), [F]
        )},
        HERE: {"get": _operation(
            "describeCollection", "The stations collection",
            _ok(JSON, _ref("Collection"), "Its metadata"), [F],
        )},
        f"{HERE}/queryables": {"get": _operation(
            "getQueryables", "What the items filter on",
            _ok(SCHEMA_JSON, {"type": "object"}, "A JSON Schema"), [F],
        )},
        f"{HERE}/items": {"get": _operation(
            "getFeatures", "Stations, a page at a time, ordered by id",
            _ok(GEOJSON, _ref("FeatureCollection"), "A page of stations"), ITEMS_PARAMETERS,
        )},
        f"{HERE}/items/{{featureId}}": {"get": _operation(
            "getFeature", "One station", _ok(GEOJSON, _ref("Feature"), "The station"),
            [item_id, F], "404",
        )},
    }  # fmt: skip
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{TITLE} – OGC API – Features", "version": "1.0.0",
                 "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "paths": paths,
        # QGIS reads the page size's default and maximum here (QgsOapifApiRequest), not from
        # the operation; validators read the operation's inline parameters: both say the same.
        "components": {"schemas": _schemas(), "parameters": {"limit": LIMIT}},
    }  # fmt: skip
