"""The access log's records as a test sees them (a pytest plugin: the ``access_records``
fixture is available to every test)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest


class Records(logging.Handler):
    """Collects the access log's records (it does not propagate to pytest's caplog)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def access_records() -> Iterator[Records]:
    records = Records()
    logger = logging.getLogger("yizhan.access")
    logger.addHandler(records)
    yield records
    logger.removeHandler(records)
