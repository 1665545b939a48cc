"""Access token, CSRF tokens and the acting person's name.

Everything extracted from documents is untrusted, so templates autoescape;
here the requests themselves are checked: an optional access token (cookie
after the login form, or ``Authorization: Bearer``) and a double-submit CSRF
cookie that every POST form must echo in its ``csrf`` field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
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


#: A session lasts this long after the login (seconds).
SESSION_SECONDS = 12 * 3600
#: Headers on every response: no inline or foreign script, no framing, no sniffing, no
#: query strings (searches, ids) leaking to other sites in the Referer.
SECURITY_HEADERS = (
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
#: A query string longer than this is refused (every hit link repeats the query).
MAX_QUERY_BYTES = 2048


class Sessions:
    """Signed session cookies: ``expiry.nonce.HMAC(secret, expiry.nonce)``, never the token.

    The secret is made when the server starts, so a stolen cookie dies with the
    session's expiry or a restart, and the token itself never sits in a browser.
    """

    def __init__(self, secret: bytes | None = None) -> None:
        self.secret = secret or secrets.token_bytes(32)

    def issue(self, now: float | None = None) -> str:
        body = f"{int((now or time.time()) + SESSION_SECONDS)}.{secrets.token_urlsafe(16)}"
        return f"{body}.{self._sign(body)}"

    def valid(self, value: str | None, now: float | None = None) -> bool:
        if not value or value.count(".") != 2:
            return False
        body, _, signature = value.rpartition(".")
        expiry = body.split(".", 1)[0]
        if not expiry.isdigit() or int(expiry) < (now or time.time()):
            return False
        return hmac.compare_digest(signature, self._sign(body))

    def _sign(self, body: str) -> str:
        return hmac.new(self.secret, body.encode(), hashlib.sha256).hexdigest()


class LoginThrottle:
    """Wrong tokens per client: free for a few, then a growing wait, then a lockout.

    628 guesses a second made guessing a short token practical; with this a
    client gets ``FREE`` tries, then waits 1, 2, 4 … (at most ``MAX_DELAY``)
    seconds between tries, and after ``LOCK_AFTER`` failures is locked out for
    ``LOCK_SECONDS``. Keyed by the client's address; bounded in memory.
    """

    FREE = 3
    MAX_DELAY = 60.0
    LOCK_AFTER = 10
    LOCK_SECONDS = 15 * 60.0
    MAX_CLIENTS = 10_000

    def __init__(self) -> None:
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str, now: float | None = None) -> float:
        """Seconds this client must wait before its next try is even checked (0: go ahead)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._failures.get(client, (0, 0.0))
        if count >= self.LOCK_AFTER:
            return max(0.0, last + self.LOCK_SECONDS - now)
        if count >= self.FREE:
            return max(0.0, last + min(2.0 ** (count - self.FREE), self.MAX_DELAY) - now)
        return 0.0

    def failed(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            count, last = self._failures.get(client, (0, 0.0))
            if count >= self.LOCK_AFTER and now - last >= self.LOCK_SECONDS:
                count = 0  # the lockout is over: start counting again
            if len(self._failures) >= self.MAX_CLIENTS:
                self._failures.pop(next(iter(self._failures)))
            self._failures[client] = (count + 1, now)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "?"


def login_refusal(request: Request, throttle: LoginThrottle) -> Response | None:
    """429 with a Chinese message while the client must wait, else None."""
    wait = throttle.wait(client_of(request))
    if wait <= 0:
        return None
    seconds = int(wait) + 1
    message = (f"登录失败次数过多，已暂时锁定，请 {seconds // 60 + 1} 分钟后再试"
               if wait > LoginThrottle.MAX_DELAY else f"登录尝试过于频繁，请 {seconds} 秒后再试")
    return PlainTextResponse(message, status_code=429, headers={"Retry-After": str(seconds)})


def has_token(request: Request, token: str, sessions: Sessions | None = None) -> bool:
    """True when the request carries the token (Bearer header) or a valid signed session."""
    auth = request.headers.get("authorization", "")
    bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    if same(bearer, token):
        return True
    return sessions is not None and sessions.valid(request.cookies.get(TOKEN_COOKIE))


class GuardMiddleware:
    """Require the token when one is set; give every browser a CSRF cookie; send the
    security headers; refuse absurd query strings before any page sees them."""

    def __init__(self, app: ASGIApp, token: str | None, sessions: Sessions | None = None) -> None:
        self.app = app
        self.token = token or None
        self.sessions = sessions or Sessions()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        send = _with_security_headers(send)
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            response = PlainTextResponse(
                f"请求地址过长（查询内容超过 {MAX_QUERY_BYTES} 字节），请缩短检索词", status_code=414)
            await response(scope, receive, send)
            return
        if self.token and not scope["path"].startswith(OPEN_PATHS) and not has_token(
            request, self.token, self.sessions
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


def _with_security_headers(send: Send) -> Send:
    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = message.setdefault("headers", [])
            present = {bytes(k).lower() for k, _ in headers}
            headers.extend((k, v) for k, v in SECURITY_HEADERS if k not in present)
        await send(message)

    return sending


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
