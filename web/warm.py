"""Warm the server's caches when it starts, so the first person's first page is as quick
as the rest.

A fresh server pays once for what every later request reuses: jieba's dictionary (the
search tokenizer, ~0.6 s), the counts and review queues cached per data state
(``index/cache.py``, ~0.5 s at 10,000 tracks) and the compiled templates. Without this the
first visit to the home page or to search after a restart took 0.5–0.6 s at 10,000 tracks
against 16–20 ms after (``benchmarks/web.py``).

Warming renders the read-only pages in a background thread of the server itself, through
the same page functions the routes call, so whatever a page caches is what gets warmed
(nothing is listed twice). A page that fails to warm is logged and skipped: warming is an
optimisation, never a reason for the server not to start.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request

log = logging.getLogger(__name__)

#: (path, query string) of the pages warmed, in order; read-only pages only (``/dupes``
#: may start a regroup, so it is left to its own background work).
PAGES: tuple[tuple[str, str], ...] = (
    ("/", ""), ("/search", "q=人才"), ("/review", ""), ("/tracks", ""), ("/zones", ""),
)


#: The zone page's route: each zone's page keeps its own tracks and clauses (~0.3 s each
#: the first time at 10,000 tracks), so every zone of the registry is warmed too.
ZONE_ROUTE = "/zone/{zone_id}"


def _request(app: Any, path: str, query: str = "", params: dict[str, str] | None = None) -> Request:
    scope = {"type": "http", "app": app, "method": "GET", "path": path,
             "path_params": params or {}, "query_string": query.encode("utf-8"),
             "headers": [], "state": {}}
    return Request(scope)


def _visits(app: Any) -> list[tuple[str, Request]]:
    """(route, request) of every page warmed: :data:`PAGES`, then each zone's page."""
    from saidao.corpus.zones import registry

    visits = [(path, _request(app, path, query)) for path, query in PAGES]
    visits += [(ZONE_ROUTE, _request(app, f"/zone/{z.id}", params={"zone_id": z.id}))
               for z in registry().all()]
    return visits


def warm_up(app: Any, endpoints: dict[str, Callable[[Request], Any]]) -> float:
    """Render each page of :func:`_visits` that ``endpoints`` (route → page function) serves,
    once; returns the seconds it took."""
    started = time.perf_counter()
    for route, request in _visits(app):
        endpoint = endpoints.get(route)
        if endpoint is None:
            continue
        try:
            endpoint(request)
        except Exception:  # noqa: BLE001 - warming must never stop the server
            log.warning("warming %s failed", request.url.path, exc_info=True)
    app.state.store.release()
    took = time.perf_counter() - started
    log.info("caches warmed in %.1f s", took)
    return took


def start(app: Any, endpoints: dict[str, Callable[[Request], Any]]) -> threading.Event:
    """Warm in a daemon thread; the returned event is set when it is done."""
    done = threading.Event()

    def run() -> None:
        try:
            warm_up(app, endpoints)
        finally:
            done.set()

    threading.Thread(target=run, name="saidao-warm", daemon=True).start()
    return done
