"""Pydantic's validation errors as the problem fields a 422 lists: one translator for the query
parameters FastAPI validates and for the JSON bodies the routes validate themselves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from stations.errors import Problem


@dataclass(frozen=True)
class Wording:
    """How one kind of input names its parts in a problem."""

    #: The field named when an error is about the input as a whole.
    whole: str
    #: The reason given for a name the model does not have.
    unknown: str
    #: Parts of an error's location that say where a value came from, not which value it is.
    sources: frozenset[str] = frozenset()


#: Query, path and header parameters as FastAPI reports them: loc ("query", "lat") is "lat".
PARAMETERS: Final = Wording(
    whole="request",
    unknown="is not a parameter of this endpoint",
    sources=frozenset({"query", "body", "path", "header"}),
)
#: A JSON body the route validates itself: loc ("points", 3, "lat") is "points[3].lat".
BODY_FIELDS: Final = Wording(whole="body", unknown="is not a field of this request body")

#: The longest input a reason repeats, as Python shows it.
SHOWN_INPUT_CHARS: Final = 60


def field_problem(error: Mapping[str, Any], wording: Wording) -> Problem:
    """One pydantic error (``ValidationError.errors()`` or FastAPI's) as a Problem: the field
    in JSONPath-like form, the reason with the input it got."""
    return Problem(_field(error.get("loc", ()), wording), _reason(error, wording))


def _field(loc: Sequence[object], wording: Wording) -> str:
    field = ""
    for part in loc:
        if part in wording.sources:
            continue
        if isinstance(part, int):
            field += f"[{part}]"
        else:
            field += f".{part}" if field else str(part)
    return field or wording.whole


def _reason(error: Mapping[str, Any], wording: Wording) -> str:
    kind = error.get("type")
    if kind == "extra_forbidden":
        return wording.unknown
    reason = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    if kind == "missing" or "input" not in error:
        return reason
    if kind == "model_type":  # pydantic would name the model class
        return f"must be a JSON object (got {shown(error['input'])})"
    return f"{reason} (got {shown(error['input'])})"


def shown(value: object) -> str:
    """``value`` as Python shows it, cut to ``SHOWN_INPUT_CHARS``."""
    text = repr(value)
    return text if len(text) <= SHOWN_INPUT_CHARS else text[: SHOWN_INPUT_CHARS - 3] + "..."
