"""The Starlette application: routes of every page module, error pages, middleware.

Only this module imports the page modules; they share what they need through
``saidao.web.common`` (settings, the index store, templates, ``render``, ``route``), so
``web/`` has no import circle.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from saidao.web import firms, forms, imports, pages, review, warm
from saidao.web.common import (
    HERE,
    Settings,
    Store,
    http_error,
    out_of_range,
    server_error,
)
from saidao.web.regroup import Regrouper
from saidao.web.security import GuardMiddleware, LoginThrottle, Sessions

__all__ = ["Settings", "create_app"]


def create_app(db_path: str | Path = "saidao.db", token: str | None = None,
               data_dir: str | Path | None = None, **options: Any) -> Starlette:
    """The web application over the index at ``db_path`` (created when missing)."""
    settings = Settings(Path(db_path), token=token, data_dir=data_dir, **options)
    routes = [
        *pages.ROUTES, *imports.ROUTES, *review.ROUTES, *firms.ROUTES, *forms.ROUTES,
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    endpoints = {r.path: r.endpoint for r in routes if isinstance(r, Route)}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.warmed = warm.start(app, endpoints)  # the first page as quick as the rest
        yield

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        HTTPException: http_error, OverflowError: out_of_range, 500: server_error})
    app.state.settings = settings
    app.state.store = Store(settings.db_path)
    app.state.jobs = imports.Jobs(settings)
    app.state.regroup = Regrouper(settings.db_path, app.state.store.read_only)
    app.state.sessions = Sessions()
    app.state.login_throttle = LoginThrottle()
    app.add_middleware(GuardMiddleware, token=settings.token, sessions=app.state.sessions)
    return app


