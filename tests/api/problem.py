"""The shape every error response must have: RFC 9457 problem details."""

from __future__ import annotations

import json
from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"


def assert_problem(
    response: httpx.Response, status: int, field: str | None = None
) -> dict[str, Any]:
    """``response`` is a problem+json document for ``status``; when ``field`` is given, the
    detail names it and ``errors`` has an entry for it. Returns the parsed body."""
    assert response.status_code == status, (response.status_code, response.text)
    media_type = response.headers["content-type"].split(";")[0].strip()
    assert media_type == PROBLEM_JSON
    body = json.loads(response.content, parse_constant=_no_constant)  # HTML would not parse
    assert isinstance(body, dict)
    assert isinstance(body.get("type"), str) and body["type"]
    assert isinstance(body.get("title"), str) and body["title"]
    assert body.get("status") == status
    assert isinstance(body.get("detail"), str) and body["detail"].strip()
    if field is not None:
        assert field in body["detail"], body["detail"]
        errors = body.get("errors")
        assert isinstance(errors, list) and errors, body
        assert all(isinstance(e.get("reason"), str) and e["reason"] for e in errors)
        assert field in {e.get("field") for e in errors}, errors
    return body


def _no_constant(name: str) -> object:
    raise AssertionError(f"{name} is not JSON (RFC 8259)")
