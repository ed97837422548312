"""The OpenAPI document states what the server does: request bodies, required headers, the
bearer scheme, every status, and the methods a 405 names."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.problem import assert_problem

WRITES_WITH_IF_MATCH = [
    ("/v1/stations/{station_id}", "patch"),
    ("/v1/stations/{station_id}", "delete"),
    ("/v1/stations/{station_id}/amenities", "put"),
    ("/v1/stations/{station_id}/revert", "post"),
    ("/v1/stations/{station_id}/amenities/{code}", "put"),
    ("/v1/stations/{station_id}/verify", "post"),
]
ADMIN_OPERATIONS = [
    *WRITES_WITH_IF_MATCH,
    ("/v1/stations", "post"),
    ("/v1/stations/{station_id}/history", "get"),
    ("/v1/imports", "post"),
    ("/v1/reports", "get"),
    ("/v1/reports/{report_id}", "get"),
    ("/v1/reports/{report_id}/resolve", "post"),
    ("/v1/stations/{station_id}/photos", "post"),
    ("/v1/photos/{photo_id}", "delete"),
    ("/v1/tokens/me", "get"),
]


@pytest.fixture(scope="module")
def document(demo_client: TestClient) -> dict[str, Any]:
    response = demo_client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/v1/stations", "post"),
        ("/v1/stations/{station_id}", "patch"),
        ("/v1/stations/{station_id}/amenities", "put"),
        ("/v1/stations/nearest:batch", "post"),
        ("/v1/imports", "post"),
    ],
)
def test_writes_declare_their_request_body(
    document: dict[str, Any], path: str, method: str
) -> None:
    body = document["paths"][path][method]["requestBody"]
    assert body["required"] is True
    schemas = [c["schema"] for c in body["content"].values()]
    assert schemas and all(s for s in schemas)


def test_a_station_body_lists_its_fields_and_nothing_else(document: dict[str, Any]) -> None:
    create = document["paths"]["/v1/stations"]["post"]["requestBody"]["content"]
    schema = create["application/json"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "kind", "lon", "lat", "district_code"}
    patch = document["paths"]["/v1/stations/{station_id}"]["patch"]["requestBody"]["content"]
    assert "application/merge-patch+json" in patch


@pytest.mark.parametrize(("path", "method"), WRITES_WITH_IF_MATCH)
def test_if_match_is_required(document: dict[str, Any], path: str, method: str) -> None:
    headers = [p for p in document["paths"][path][method]["parameters"] if p["in"] == "header"]
    assert [(p["name"].lower(), p["required"]) for p in headers] == [("if-match", True)]
    assert "428" in document["paths"][path][method]["responses"]


def test_admin_operations_and_only_they_need_the_bearer_scheme(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes == {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": schemes["bearer"]["description"],
        }
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            secured = operation.get("security") == [{"bearer": []}]
            assert secured == ((path, method) in ADMIN_OPERATIONS), (path, method)
            if secured:
                assert "401" in operation["responses"], (path, method)


def test_a_duplicate_id_is_documented_as_409(document: dict[str, Any]) -> None:
    assert "409" in document["paths"]["/v1/stations"]["post"]["responses"]


def test_an_empty_bbox_is_not_schema_valid(document: dict[str, Any]) -> None:
    params = document["paths"]["/v1/stations"]["get"]["parameters"]
    bbox = next(p for p in params if p["name"] == "bbox")
    pattern = bbox["schema"]["pattern"]
    assert not re.search(pattern, "")
    assert re.search(pattern, "108.9,34.2,109.0,34.3")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/stations", "GET, HEAD, POST"),
        ("PUT", "/v1/stations/x-1", "DELETE, GET, HEAD, PATCH"),
        ("POST", "/v1/stations/nearest", "GET, HEAD"),
        ("GET", "/v1/stations/nearest:batch", "POST"),
        ("HEAD", "/v1/stations/nearest:batch", "POST"),
        ("GET", "/v1/imports", "POST"),
        ("DELETE", "/healthz", "GET, HEAD"),
    ],
)
def test_a_405_names_every_method_of_the_resource(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    if method != "HEAD":
        assert_problem(response, 405)
        assert allowed in response.json()["detail"]
