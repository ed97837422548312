"""Which of the app's routes a path belongs to, for code that runs outside the router: the
access log (a path by its template) and the 405 answer (every method the path takes)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from starlette.routing import Route, compile_path

_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class RouteTemplate:
    template: str  # e.g. /v1/stations/{station_id}
    regex: re.Pattern[str]
    methods: frozenset[str]  # HEAD included wherever GET is (api.middleware.head.HeadAsGet)


def route_templates(app: Any) -> list[RouteTemplate]:
    """Every path template of ``app``, literal paths first (as the router prefers them), from
    its OpenAPI document and its undocumented routes (/openapi.json, /docs). Built once."""
    cached: list[RouteTemplate] | None = getattr(app.state, "route_templates", None)
    if cached is None:
        methods: dict[str, set[str]] = {}
        for path, item in app.openapi()["paths"].items():
            methods.setdefault(path, set()).update(m.upper() for m in item)
        for route in app.router.routes:
            if isinstance(route, Route) and route.methods:
                methods.setdefault(route.path_format, set()).update(route.methods)
        ordered = sorted(methods, key=lambda p: "{" in p)  # stable: documented order kept
        cached = [_template(path, methods[path]) for path in ordered]
        app.state.route_templates = cached
    return cached


def _template(path: str, methods: set[str]) -> RouteTemplate:
    known = {m for m in methods if m in _METHODS}
    if "GET" in known:
        known.add("HEAD")
    return RouteTemplate(path, compile_path(path)[0], frozenset(known))


def matching_templates(app: Any, path: str) -> list[RouteTemplate]:
    """The templates ``path`` matches, in the router's order (the first is the one it takes)."""
    return [t for t in route_templates(app) if t.regex.fullmatch(path)]
