"""The status page as an ASGI app (Starlette): routes, templates, and three wrappers that
hold for every response, in this order from the outside:

1. `SecurityHeaders`: CSP allowing only the page's own files, nosniff, no referrer, no frames;
2. `ReadOnly`: GET and HEAD only, anything else 405, before anything else is looked at;
3. `Guard`: the viewer password when one is set, and, on a page only this machine can
   reach, a Host header naming this machine (a web page elsewhere cannot point its own
   name at 127.0.0.1 and read the board through the office's browser).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scheduler.core.labels import LEVEL_NAMES, chinese_date, chinese_moment, percent
from scheduler.core.model import Level
from scheduler.logs import log
from scheduler.store import JobResult, opened_existing
from scheduler.web import pages
from scheduler.web.auth import Gate, Throttle
from scheduler.web.board import WEEKLY_JOBS, Board, BoardState

CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
ALLOWED_METHODS = ("GET", "HEAD")
HEALTHY_DAYS = 8
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")


# --- the wrappers -----------------------------------------------------------------------------


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))  # figures change; never a stale copy
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class ReadOnly:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ALLOWED_METHODS:
            response = _plain(405, "看板只能查看，不能修改。", {"Allow": ", ".join(ALLOWED_METHODS)})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class Guard:
    def __init__(self, app: ASGIApp, password: str | None, local_only: bool) -> None:
        self.app = app
        self.gate = Gate(password) if password else None
        self.local_only = local_only
        self.throttle = Throttle()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if self.local_only and not _local_host(headers.get("host", "")):
            await _plain(400, "请用 http://127.0.0.1 打开看板。")(scope, receive, send)
            return
        if self.gate is not None and not await self._admitted(scope, headers.get("authorization")):
            challenge = {"WWW-Authenticate": 'Basic realm="taizhang", charset="UTF-8"'}
            await _plain(401, "请输入看板密码（用户名随意）。", challenge)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _admitted(self, scope: Scope, header: str | None) -> bool:
        assert self.gate is not None
        client = (scope.get("client") or ("?", 0))[0]
        if self.throttle.shut(client):
            return False  # not even checked: a right password now would tell a guesser so
        if self.gate.allows(header):
            self.throttle.succeeded(client)
            return True
        if header:  # a wrong password, not the browser's first unauthenticated request
            count = self.throttle.failed(client)
            if count in (1, Throttle.FREE + 1) or count % 1000 == 0:
                log.warning("看板密码错误（来自 %s，连续第 %d 次）", client, count)
        return False


def _local_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name.lower() in LOCAL_NAMES


def _plain(status: int, text: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(text + "\n", status, headers=dict(headers or {}), media_type="text/plain; charset=utf-8")


# --- templates and static files ---------------------------------------------------------------


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("scheduler", "templates/web"),
        autoescape=True,  # every ledger text is data, never markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        LEVEL_NAMES=LEVEL_NAMES,
        Level=Level,
        chinese_date=chinese_date,
        chinese_moment=chinese_moment,
        percent=percent,
        bar=pages.bar,
    )
    return env


def static_files() -> dict[str, tuple[bytes, str]]:
    """Every file of scheduler/static, read once. Only these names are ever served, so no
    path, however written, reaches anything else."""
    found = {}
    for entry in resources.files("scheduler").joinpath("static").iterdir():
        kind = STATIC_TYPES.get("." + entry.name.rsplit(".", 1)[-1])
        if entry.is_file() and kind:
            found[entry.name] = (entry.read_bytes(), kind)
    return found


# --- the app ----------------------------------------------------------------------------------


class Site:
    """The routes. Pages render the board's current state; a rendered page is kept until
    the state changes, so a request costs a dictionary look-up."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self.env = environment()
        self.static = static_files()
        self.versions = {
            name: hashlib.sha256(body).hexdigest()[:10] for name, (body, _) in self.static.items()
        }
        self._cache: dict[str, bytes] = {}
        self._cache_version = -1

    def routes(self) -> list[Route]:
        return [
            Route("/", self.board_page),
            Route("/section/{name:path}", self.section_page),
            Route("/trend", self.trend_page),
            Route("/problems", self.problems_page),
            Route("/api/today.json", self.today_json),
            Route("/healthz", self.healthz),
            Route("/static/{name}", self.static_file),
            Route("/favicon.ico", self.favicon),
        ]

    # --- pages --------------------------------------------------------------------------------

    async def board_page(self, request: Request) -> Response:
        return self._page("/", "board.html", lambda s: {"red_list": pages.red_and_escalated(s.view)})

    async def section_page(self, request: Request) -> Response:
        name = request.path_params["name"]
        state = self.board.state
        if state is not None and pages.find_section(state.view, name) is None:
            raise HTTPException(404)
        return self._page(
            f"/section/{name}",
            "section.html",
            lambda s: {
                "figures": pages.find_section(s.view, name),
                "groups": pages.section_groups(s.view, s.view.tasks, name),
                "biggest": pages.biggest(s.view.sections),
            },
        )

    async def trend_page(self, request: Request) -> Response:
        return self._page("/trend", "trend.html", lambda s: {"chart": pages.trend_chart(s.view.trend)})

    async def problems_page(self, request: Request) -> Response:
        return self._page(
            "/problems",
            "problems.html",
            lambda s: {"rows": pages.problem_rows(s.view.problems, s.view.tasks)},
        )

    def _page(self, key: str, template: str, extra: Callable[[BoardState], dict[str, Any]]) -> Response:
        board = self.board
        state = board.state
        if state is None:
            return self._waiting()
        if board.version != self._cache_version:
            self._cache, self._cache_version = {}, board.version
        body = self._cache.get(key)
        if body is None:
            context = {**self._common(state), **extra(state)}
            body = self.env.get_template(template).render(context).encode("utf-8")
            self._cache[key] = body
        return Response(body, media_type="text/html; charset=utf-8")

    def _common(self, state: BoardState) -> dict[str, Any]:
        board, tz = self.board, self.board.settings.office.tz
        return {
            "view": state.view,
            "state": state,
            "tz": tz,
            "error": board.error,
            "error_at": board.error_at.astimezone(tz) if board.error_at else None,
            "read_at": state.read_at.astimezone(tz),
            "files": [(name, when.astimezone(tz) if when else None) for name, when in state.ledger_files],
            "last_weekly": state.last_weekly,
            "ok": JobResult.OK,
            "refresh_seconds": board.settings.web.refresh_minutes * 60,
            "css": f"/static/web.css?v={self.versions.get('web.css', '')}",
            "icon": f"/static/favicon.svg?v={self.versions.get('favicon.svg', '')}",
        }

    def _waiting(self) -> Response:
        reason = self.board.error or "看板正在读取台账，请稍候刷新本页。"
        template = self.env.get_template("waiting.html")
        css = f"/static/web.css?v={self.versions.get('web.css', '')}"
        html = template.render(
            reason=reason, css=css, icon=f"/static/favicon.svg?v={self.versions['favicon.svg']}"
        )
        return HTMLResponse(html, status_code=503)

    # --- data ---------------------------------------------------------------------------------

    async def today_json(self, request: Request) -> Response:
        state = self.board.state
        if state is None:
            return JSONResponse({"error": self.board.error or "看板正在读取台账"}, status_code=503)
        tz = self.board.settings.office.tz
        payload = {
            **pages.view_dict(state.view),
            "read_at": state.read_at.astimezone(tz).isoformat(timespec="seconds"),
            "banners": [
                *([f"台账暂时无法读取：{self.board.error}"] if self.board.error else []),
                *state.banners,
            ],
        }
        body = json.dumps(payload, ensure_ascii=False, indent=1)
        return Response(body, media_type="application/json; charset=utf-8")

    async def healthz(self, request: Request) -> Response:
        """200 when the latest weekly cycle succeeded and finished within HEALTHY_DAYS of
        today; 503 otherwise. Read from the store on every request: a monitor asks rarely."""
        board = self.board
        tz = board.settings.office.tz
        with opened_existing(board.settings.store.path) as store:
            run = store.last_finished_run(*WEEKLY_JOBS) if store else None
        if run is None or run.finished_at is None:
            return JSONResponse({"ok": False, "reason": "还没有完成过每周运行"}, status_code=503)
        finished = run.finished_at.astimezone(tz)
        fresh = finished.date() >= board.today() - timedelta(days=HEALTHY_DAYS)
        healthy = run.result is JobResult.OK and fresh
        payload: dict[str, Any] = {
            "ok": healthy,
            "job": run.job,
            "finished_at": finished.isoformat(timespec="seconds"),
            "result": run.result.value if run.result else None,
            "message": run.message,
        }
        if not healthy:
            payload["reason"] = (
                f"最近一次每周运行{'未成功' if run.result is not JobResult.OK else '已超过 8 天'}"
            )
        return JSONResponse(payload, status_code=200 if healthy else 503)

    async def static_file(self, request: Request) -> Response:
        found = self.static.get(request.path_params["name"])
        if found is None:
            raise HTTPException(404)
        body, kind = found
        return Response(body, media_type=kind, headers={"Cache-Control": "public, max-age=86400"})

    async def favicon(self, request: Request) -> Response:
        body, kind = self.static["favicon.svg"]
        return Response(body, media_type=kind, headers={"Cache-Control": "public, max-age=86400"})

    # --- errors -------------------------------------------------------------------------------

    async def not_found(self, request: Request, exc: Exception) -> Response:
        css = f"/static/web.css?v={self.versions.get('web.css', '')}"
        html = self.env.get_template("not_found.html").render(
            css=css, icon=f"/static/favicon.svg?v={self.versions['favicon.svg']}"
        )
        return HTMLResponse(html, status_code=404)

    async def server_error(self, request: Request, exc: Exception) -> Response:
        log.exception("看板出错：%s", request.url.path)
        return _plain(500, "看板出错了，详情见日志。")


def create_app(board: Board, password: str | None) -> ASGIApp:
    site = Site(board)
    app = Starlette(
        routes=site.routes(),
        exception_handlers={404: site.not_found, 500: site.server_error},
    )
    # Its redirect from "/trend/" to "/trend" would be built from the request's Host header.
    app.router.redirect_slashes = False
    local_only = board.settings.web.loopback and password is None
    return SecurityHeaders(ReadOnly(Guard(app, password, local_only)))
