"""``POST /v1/opening-hours/preview``: what typed opening hours mean, before they are saved —
the OSM text (read from a Chinese phrase when needed), the hours in plain words and the next
seven days' open times. The admin console's live preview; anyone may ask."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from api.openapi import json_body
from api.responses import OrjsonResponse
from api.routes.admin import json_object
from api.schemas import problem_responses
from stations.editing.validation import MAX_LENGTH, text_problem
from stations.errors import InvalidInput, Problem
from stations.hours import SHANGHAI
from stations.hours_input import UnreadablePhrase, read_hours, week_ahead
from stations.hours_text import describe_both

router = APIRouter(prefix="/v1", tags=["stations"])


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        max_length=500,
        description='OSM opening_hours ("Mo-Fr 08:00-18:00; PH off") or a Chinese phrase '
        '("周一至周五 8:00-18:00，节假日休息")',
    )


class DayPreview(BaseModel):
    date: str
    open: list[list[str]] = Field(description='[["08:00", "18:00"], …] in China time')
    unknown: bool


class HoursPreview(BaseModel):
    opening_hours: str = Field(description="What would be saved: OSM opening_hours")
    converted: bool = Field(description="True when read from a Chinese phrase")
    text: dict[str, str] | None = Field(description="The hours in plain words, zh and en")
    days: list[DayPreview] = Field(description="Today and the next six days")


@router.post(
    "/opening-hours/preview",
    operation_id="previewOpeningHours",
    response_model=HoursPreview,
    responses=problem_responses(422),
    openapi_extra={"requestBody": json_body(PreviewBody)},
)
async def preview(request: Request) -> Response:
    """Read typed hours as the importer and the editor do, and show what they mean."""
    body = await json_object(request)
    unknown = [k for k in body if k != "text"]
    text = body.get("text")
    problems = [Problem(k, "is not a field here") for k in unknown]
    if not isinstance(text, str):
        problems.append(Problem("text", "is required: the opening hours as typed"))
    elif (why := text_problem(text, MAX_LENGTH["opening_hours"])) is not None:
        problems.append(Problem("text", why))
    if problems:
        raise InvalidInput(problems)
    assert isinstance(text, str)
    try:
        read = read_hours(text)
    except UnreadablePhrase as exc:
        raise InvalidInput([Problem("text", exc.english)]) from None
    answer: dict[str, Any] = {
        "opening_hours": read.osm,
        "converted": read.converted,
        "text": describe_both(read.osm),
        "days": [
            {"date": d.date, "open": [list(r) for r in d.open], "unknown": d.unknown}
            for d in week_ahead(read.osm, datetime.now(SHANGHAI))
        ],
    }
    return OrjsonResponse(answer)
