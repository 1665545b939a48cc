"""What every page module of the web app shares: settings, the per-thread index store,
the templates and ``render``, ``route``, and the Chinese error pages."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from saidao.index.db import connect
from saidao.index.store import Index
from saidao.vocab import DIRECTIONS as VOCAB_DIRECTIONS
from saidao.vocab import LEVEL_LABELS, UNIT_FIELD_LABELS, UPLOAD_OUTCOME_LABELS
from saidao.web.security import (
    acting_user,
    csrf_token,
)

HERE = Path(__file__).parent

#: Chinese names of the values the pages show often (``saidao.vocab``, shared with the CLI).
DIRECTIONS = VOCAB_DIRECTIONS
LEVEL_ZH = LEVEL_LABELS
UNIT_ZH = UNIT_FIELD_LABELS
OUTCOME_ZH = UPLOAD_OUTCOME_LABELS


T = TypeVar("T")

@dataclass
class Settings:
    """Where the index and the uploaded files live, and the optional access token."""

    db_path: Path
    token: str | None = None
    data_dir: Path | None = None  # uploads; default: ``<db folder>/saidao-data``
    max_upload_bytes: int = 200 * 1024 * 1024
    max_store_bytes: int = 5 * 1024 * 1024 * 1024  # all kept uploads together (oldest go first)
    keep_upload_days: float = 90.0  # uploads older than this are removed
    workers: int = 2
    #: How long /dupes waits for a regroup it started before it shows the last stored
    #: groups under a notice (seconds; None: until it is done, for tests). 0: a page
    #: never waits (the regroup is a child process: even a small index takes a second).
    regroup_wait: float | None = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.db_path = Path(self.db_path).resolve()
        self.data_dir = Path(self.data_dir or self.db_path.parent / "saidao-data").resolve()


class Store:
    """One index connection per server thread (SQLite connections stay in their thread)."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._local = threading.local()
        probe = Index.open(db_path)  # create or migrate once, refresh the zone registry
        self.read_only = probe.read_only  # a read-only index is served read-only
        probe.close()

    def index(self) -> Index:
        index = getattr(self._local, "index", None)
        if index is None:
            index = _thread_index(self.db_path, self.read_only)
            self._local.index = index
        return index

    def release(self) -> None:
        """Close this thread's connection (a thread that ends, such as the warm-up's)."""
        index = getattr(self._local, "index", None)
        if index is not None:
            index.close()
            self._local.index = None


def _thread_index(db_path: Path, read_only: bool) -> Index:
    """A thread's connection: read-only (``mode=ro``) when the index file cannot be written."""
    if read_only:
        from saidao.index.opening import connect_read_only

        return Index(connect_read_only(db_path), str(db_path), read_only=True)
    return Index(connect(db_path), str(db_path))


def _environment() -> jinja2.Environment:
    """Autoescape everywhere: extracted text is untrusted."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
    )
    from saidao.web import format as fmt

    env.filters.update(fmt.FILTERS)
    from saidao import vocab
    from saidao.corpus.zones import registry

    env.globals.update(LEVEL_ZH=LEVEL_ZH, OUTCOME_ZH=OUTCOME_ZH, DIRECTIONS=DIRECTIONS,
                       UNIT_ZH=UNIT_ZH, TAG_LABELS=vocab.TAG_LABELS,
                       ZONE_STATUS_LABELS=vocab.ZONE_STATUS_LABELS,
                       DOC_KIND_LABELS=vocab.DOC_KIND_LABELS,
                       zone_names={z.id: z.name for z in registry().all()})
    return env


ENV = _environment()


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from ``templates/`` with the request's CSRF token and user in scope."""
    context.update(
        request=request,
        csrf=csrf_token(request),
        user=acting_user(request),
        csrf_field=Markup('<input type="hidden" name="csrf" value="{}">').format(
            csrf_token(request)),
    )
    html = ENV.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)


def store(request: Request) -> Store:
    return request.app.state.store


def index_of(request: Request) -> Index:
    """The index connection of this thread."""
    return store(request).index()


def by_number(request: Request, name: str, look_up: Callable[[int], T | None],
              missing: str) -> tuple[int, T]:
    """The number in the path (parameter ``name``) and what ``look_up`` finds for it; a path
    that is not a number, or names nothing, is a 404 page saying ``missing`` (for staff)."""
    try:
        number = int(request.path_params[name])
    except ValueError:
        raise HTTPException(404, missing) from None
    found = look_up(number)
    if found is None:
        raise HTTPException(404, missing)
    return number, found


async def out_of_range(request: Request, exc: Exception) -> Response:
    """A number too large for the index (``/track/99999999999999999999``) is the request's fault."""
    return render(request, "error.html", status_code=400, status=400,
                  detail="请求中的数字超出范围")


async def server_error(request: Request, exc: Exception) -> Response:
    """The last net: a Chinese page, never a traceback."""
    return render(request, "error.html", status_code=500, status=500,
                  detail="服务器内部错误，请稍后重试或联系维护人员")


async def http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", "") or ""
    if not detail or detail == HTTPStatus(status).phrase:  # Starlette's English default
        detail = {404: "页面不存在", 405: "不支持的请求方法"}.get(status, "请求未能完成")
    return render(request, "error.html", status_code=status, status=status, detail=detail)


def route(path: str, endpoint: Any, methods: list[str] | None = None) -> Route:
    return Route(path, endpoint, methods=methods or ["GET"])


# ---------------------------------------------------------------- lists in pages

#: Rows per page of a list when the page does not say otherwise (``?size=``).
PAGE_SIZE = 100


def page_number(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


#: Bounds of a page size asked for with ``?size=``.
MIN_SIZE, MAX_SIZE = 1, 200


def page_size(request: Request, default: int) -> int:
    """``?size=`` when given (within MIN_SIZE..MAX_SIZE), else the list's own default."""
    try:
        return min(MAX_SIZE, max(MIN_SIZE, int(request.query_params["size"])))
    except (KeyError, ValueError):
        return default


def pager(request: Request, total: int, page: int, size: int = PAGE_SIZE) -> dict[str, Any]:
    """Links to the previous and next pages, the filters kept (a decision's message and
    position are not carried to another page)."""
    params = {k: v for k, v in request.query_params.items()
              if k not in ("done", "error", "at", "dupes", "page")}

    def link(n: int) -> str:
        return request.url.path + "?" + urlencode({**params, "page": n})

    pages = max(1, -(-total // size))
    return {"page": page, "pages": pages, "total": total,
            "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < pages else None}


def xlsx_link(request: Request) -> str:
    params = {k: v for k, v in request.query_params.items() if k not in ("page", "format")}
    return request.url.path + "?" + urlencode({**params, "format": "xlsx"})
