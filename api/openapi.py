"""The OpenAPI document: helpers for routes that parse their own input, and the fixes that make
the generated document describe what the server really does."""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

#: Headers some operations cannot do without, though their dependency reads them as optional
#: to answer their absence with its own status (428 for If-Match) instead of a generic 422.
REQUIRED_HEADERS: Final = frozenset({"if-match"})


def inlined_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` inlined, so its references resolve anywhere."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined


def json_body(
    model: type[BaseModel], *, media_types: tuple[str, ...] = ("application/json",)
) -> dict[str, Any]:
    """An OpenAPI requestBody for a model the route validates itself (to name a point's field
    ``points[i].lat``, or to report every bad station field at once)."""
    schema = inlined_schema(model)
    return {"required": True, "content": {m: {"schema": schema} for m in media_types}}


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI query parameters for a model the route validates itself."""
    schema = inlined_schema(model)
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": field,
            "description": field.get("description", ""),
        }
        for name, field in schema["properties"].items()
    ]


def install_openapi(app: FastAPI) -> None:
    """Serve the generated document with ``REQUIRED_HEADERS`` marked required."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            _require_headers(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _require_headers(document: dict[str, Any]) -> None:
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"].lower() in REQUIRED_HEADERS:
                    parameter["required"] = True
