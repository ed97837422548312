"""The FastAPI application, built by a factory from explicit settings.

Run with ``uvicorn api.app:create_app --factory`` (reads YIZHAN_* variables) or call
``create_app(Settings(db=...))``. Nothing happens at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from api.attempts import AttemptLimiter
from api.middleware.access_log import AccessLog, configure
from api.middleware.head import HeadAsGet
from api.middleware.limits import LimitBody, QueryLimits
from api.openapi import install_openapi
from api.problems import install_problem_handlers
from api.routes import (
    admin,
    admin_page,
    docs,
    exports,
    hours,
    imports,
    maps,
    meta,
    ogc,
    pages,
    photos,
    reports,
    stations,
)
from api.routing import Routing
from api.settings import Settings
from stations.reading.live import LiveCatalog
from stations.reports import RATE_WINDOW, ReportRule
from stations.store.open import is_postgres_url, open_store


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    store = open_store(settings.db, create=False)
    rule = ReportRule(
        threshold=settings.reported_closed_threshold,
        window=timedelta(hours=settings.reported_closed_window_h),
        per_hour=settings.reports_per_hour,
    )
    live = LiveCatalog(store, refresh_s=settings.refresh_s, report_rule=rule)
    routing = Routing(settings)
    configure()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        live.start()
        routing.start()
        try:
            yield
        finally:
            live.stop()
            routing.stop()
            store.close()

    app = FastAPI(
        title="Yizhan 驿站",
        summary="Find the nearest open courier rest station that has what a rider needs.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # api.routes.docs serves /docs without a CDN
        redoc_url=None,  # ReDoc would load from a CDN: not offered
    )
    app.state.settings = settings
    app.state.store = store
    app.state.live = live
    app.state.routing = routing
    app.state.report_rule = rule
    app.state.report_attempts = AttemptLimiter(rule.per_hour, RATE_WINDOW)
    app.state.store_kind = "postgis" if is_postgres_url(str(settings.db)) else "geopackage"
    app.add_middleware(HeadAsGet)
    app.add_middleware(LimitBody)
    app.add_middleware(QueryLimits)
    app.add_middleware(AccessLog)  # outermost: logs every answer, 413s and HEADs included
    install_problem_handlers(app)
    install_openapi(app)
    app.include_router(stations.nearest_router)  # before /v1/stations/{station_id}
    app.include_router(stations.router)
    app.include_router(admin.router)
    app.include_router(photos.router)
    app.include_router(reports.router)
    app.include_router(imports.router)
    app.include_router(exports.router)
    app.include_router(maps.router)
    app.include_router(meta.router)
    app.include_router(hours.router)
    app.include_router(pages.router)
    app.include_router(admin_page.router)
    app.include_router(docs.router)
    app.include_router(ogc.router)
    return app
