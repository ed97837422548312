"""The OpenAPI document is the truth: schemathesis, generating requests from it for every route
with an admin token, finds no server error, no response outside its schema, no undocumented
status, and no schema-valid request refused. Bounded and derandomised, so it is a gate that
cannot fail by chance.

Two kinds of rule cannot be stated in a JSON Schema, and only for requests that break one is a
refusal accepted (every other check still applies):

* rules between parameters, documented in their descriptions: ``open_now`` with ``open_at``;
  a bbox whose min_lat is above its max_lat; a batch's points × k over its limit;
* the admin writes' preconditions on stored state (the station's current ETag, its district
  within the token's) and on content grammars (OSM opening hours, an import file's rows).

schemathesis's own pytest loader, ``from_fixture``, does not run under pytest 9, so each
operation's strategy is driven here with hypothesis directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.params.batch import MAX_BATCH_FEATURES
from tests.api.admin_fixtures import AdminEnv, admin_env

EXAMPLES_PER_OPERATION = 100
#: Operations whose acceptance depends on stored state or a content grammar (module docstring).
STATEFUL_WRITES = frozenset(
    {
        "createStation",
        "patchStation",
        "replaceStationAmenities",
        "retireStation",
        "revertStation",
        "setStationAmenityState",
        "verifyStation",
        "importStations",
        "createReport",
        "resolveReport",
        "uploadStationPhoto",
        "previewOpeningHours",
    }
)


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminEnv]:
    with admin_env(tmp_path_factory.mktemp("fuzz")) as env:
        yield env


def test_every_route_keeps_its_documented_contract(fuzz_env: AdminEnv) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_env.client.app)
    headers = fuzz_env.auth("admin")
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    for operation in operations:
        try:
            _fuzz(operation, headers)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group
            failures.append(f"{operation.label}:\n{exc}")
    assert not failures, "\n\n".join(failures)


def _fuzz(operation: APIOperation, headers: dict[str, str]) -> None:
    stateful = operation.definition.raw.get("operationId") in STATEFUL_WRITES

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Case) -> None:
        excluded = [positive_data_acceptance] if stateful or _cross_field(case) else []
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    check()


def _cross_field(case: Case) -> bool:
    """True when the request breaks a documented rule between parameters."""
    values: dict[str, Any] = {**(case.query or {})}
    if isinstance(case.body, dict):
        values.update(case.body)
    open_now = values.get("open_now") in (True, "true", "True", "1", "on", "yes")
    if open_now and values.get("open_at") is not None:
        return True
    bbox = values.get("bbox")
    if isinstance(bbox, str) and bbox.count(",") == 3:
        _, min_lat, _, max_lat = (float(v) for v in bbox.split(","))
        if min_lat > max_lat:
            return True
    points = values.get("points")
    return isinstance(points, list) and len(points) * int(values.get("k", 5)) > MAX_BATCH_FEATURES
