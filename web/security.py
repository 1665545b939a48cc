"""Access token, CSRF tokens and the acting person's name.

Everything extracted from documents is untrusted, so templates autoescape;
here the requests themselves are checked: an optional access token (cookie
after the login form, or ``Authorization: Bearer``) and a double-submit CSRF
cookie that every POST form must echo in its ``csrf`` field.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

CSRF_COOKIE = "saidao_csrf"
TOKEN_COOKIE = "saidao_token"
USER_COOKIE = "saidao_user"
#: Paths reachable without the access token (the login form and its style sheet).
OPEN_PATHS = ("/login", "/static/")


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison that treats a missing value as a mismatch."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def has_token(request: Request, token: str) -> bool:
    """True when the request carries the access token (cookie or Bearer header)."""
    auth = request.headers.get("authorization", "")
    bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    return same(bearer, token) or same(request.cookies.get(TOKEN_COOKIE), token)


class GuardMiddleware:
    """Require the token when one is set; give every browser a CSRF cookie."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if self.token and not scope["path"].startswith(OPEN_PATHS) and not has_token(
            request, self.token
        ):
            await self._refuse(request)(scope, receive, send)
            return
        csrf = request.cookies.get(CSRF_COOKIE) or ""
        fresh = not csrf
        if fresh:
            csrf = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf"] = csrf

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if fresh and message["type"] == "http.response.start":
                cookie = f"{CSRF_COOKIE}={csrf}; Path=/; SameSite=Strict; HttpOnly"
                message.setdefault("headers", []).append((b"set-cookie", cookie.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    @staticmethod
    def _refuse(request: Request) -> Response:
        """Browsers are sent to the login form; API clients get 401."""
        wants_html = "text/html" in request.headers.get("accept", "")
        if request.method == "GET" and wants_html:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return PlainTextResponse("需要访问令牌 / access token required", status_code=401,
                                 headers={"WWW-Authenticate": "Bearer"})


def csrf_token(request: Request) -> str:
    """The token forms must echo (set by :class:`GuardMiddleware`)."""
    return str(request.scope.get("state", {}).get("csrf", ""))


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """Double-submit check: the form's token equals the browser's cookie."""
    return same(submitted, request.cookies.get(CSRF_COOKIE))


def csrf_refused() -> Response:
    return PlainTextResponse("表单已失效（CSRF 校验失败），请刷新页面后重试", status_code=403)


def acting_user(request: Request, typed: str | None = None) -> str:
    """Who made a change: the name typed in the form, else the remembered one, else 网页用户."""
    name = (typed or unquote(request.cookies.get(USER_COOKIE) or "")).strip()
    return name[:40] or "网页用户"


def remember_user(response: Response, name: str) -> None:
    """Keep the name staff typed so the next form is filled in."""
    response.set_cookie(USER_COOKIE, quote(name), samesite="strict", httponly=True,
                        max_age=3600 * 24 * 365)


async def staff_post(request: Request, back_to: str, keep: tuple[str, ...],
                     apply: Callable[[FormData, str], dict[str, str]]) -> Response:
    """A staff change posted from a form: CSRF checked, the acting person named,
    ``apply(form, by)`` run off the event loop, then back to ``back_to``.

    The page's query parameters in ``keep`` are carried back, with what
    ``apply`` returns (``done``: the message shown) or a ``ValueError``'s
    message as ``error``; the name typed is remembered for the next form.
    """
    form = await request.form()
    if not csrf_ok(request, str(form.get("csrf", ""))):
        return csrf_refused()
    typed = str(form.get("user", "")).strip()
    by = acting_user(request, typed)
    back = {k: str(form.get(k)) for k in keep if form.get(k)}
    try:
        back.update(await run_in_threadpool(apply, form, by))
    except ValueError as e:
        back["error"] = str(e)
    response = RedirectResponse(f"{back_to}?{urlencode(back)}", status_code=303)
    if typed:
        remember_user(response, typed)
    return response
