"""The /ogc OpenAPI document (``/ogc/api``) is the truth about /ogc: schemathesis, generating
requests from it for every operation, finds no server error, no response outside its schema
or media type, no undocumented status, and no schema-valid request refused. Bounded and
derandomised, as tests/api/test_openapi_fuzz.py runs the main document (its docstring says why
the strategies are driven with hypothesis directly).

The one rule between parameters a JSON Schema cannot state, documented in the ``bbox``
description: min_lat ≤ max_lat (and the lower height below the upper); only a request that
breaks it may be refused (every other check still applies).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import DEMO_CSV
from tests.api.stores import build_store, open_client

EXAMPLES_PER_OPERATION = 100


@pytest.fixture(scope="module")
def own_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app of its own: schemathesis runs the app's lifespan, whose end closes the store,
    which must not be the one the other modules share."""
    db = build_store(tmp_path_factory.mktemp("ogc-fuzz") / "stations.gpkg", DEMO_CSV)
    with open_client(db) as client:
        yield client


def test_every_ogc_operation_keeps_its_documented_contract(own_client: TestClient) -> None:
    client = own_client
    # As from_asgi loads it, but without its location: from_asgi leaves out the operation that
    # serves the document (GET /api), which is as much part of the contract as the others.
    schema = schemathesis.openapi.from_dict(client.get("/ogc/api").json())
    schema.app = client.app
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8, [op.label for op in operations]
    failures: list[str] = []
    for operation in operations:
        try:
            _fuzz(operation)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group
            failures.append(f"{operation.label}:\n{exc}")
    assert not failures, "\n\n".join(failures)


def _fuzz(operation: APIOperation) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Case) -> None:
        excluded = [positive_data_acceptance] if _cross_field(case.query or {}) else []
        case.call_and_validate(excluded_checks=excluded)

    check()


def _cross_field(query: dict[str, Any]) -> bool:
    """True when the bbox breaks the documented order of its latitudes or heights."""
    bbox = query.get("bbox")
    if not isinstance(bbox, str):
        return False
    numbers = [float(v) for v in bbox.split(",")]
    if len(numbers) == 6:
        return numbers[1] > numbers[4] or numbers[2] > numbers[5]
    return len(numbers) == 4 and numbers[1] > numbers[3]
