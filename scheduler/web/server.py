"""Serving the status page: uvicorn in a thread of its own, beside the scheduler.

The socket is bound before the thread starts, so a port already in use is known at once.
uvicorn installs no signal handlers outside the main thread; the service's own SIGTERM
handler stays in charge, and `stop` asks uvicorn to finish (about a second at most: the
answers in flight get one second, a throttled wrong password included).
"""

from __future__ import annotations

import errno
import logging
import socket
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scheduler.config import Settings, WebSettings
from scheduler.errors import PageError, os_reason
from scheduler.logs import log
from scheduler.web.auth import viewer_password
from scheduler.web.board import Board, Refresher

STOP_SECONDS = 2.0
MAX_CONNECTIONS = 64  # at once; more get 503 and are closed


class WebServer:
    def __init__(self, web: WebSettings, board: Board, password: str | None) -> None:
        import uvicorn

        from scheduler.web.app import create_app

        self.web = web
        self.board = board
        config = uvicorn.Config(
            create_app(board, password),
            log_config=None,
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            loop="asyncio",
            server_header=False,
            timeout_graceful_shutdown=1,
            timeout_keep_alive=5,
            # The page shares the service's process: however many connections another machine
            # opens, it must not take the files the weekly run needs (SQLite, the ledger, SMTP).
            limit_concurrency=MAX_CONNECTIONS,
            backlog=MAX_CONNECTIONS,
            # No proxy stands in front of the page: a client's X-Forwarded-For is not its address.
            proxy_headers=False,
        )
        # Their lines are English and about themselves; ours say what matters, in Chinese.
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind, then serve in a daemon thread. Raises PageError when the port is taken."""
        sock = bind(self.web)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="taizhang-web", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_SECONDS)


def bind(web: WebSettings) -> socket.socket:
    family = socket.AF_INET6 if ":" in web.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    if sys.platform != "win32":  # on Windows SO_REUSEADDR would let a second process share the port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # uvicorn writes a response's head and body separately; with Nagle's algorithm the body of
    # a small page then waits for the browser's delayed ACK, 40 ms on a kept-alive connection.
    # Accepted connections inherit the option from the listening socket.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((web.host, web.port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        reason = (
            "端口已被占用（可能已有 taizhang 在提供看板）" if e.errno == errno.EADDRINUSE else os_reason(e)
        )
        raise PageError(
            f"看板无法在 {web.host}:{web.port} 上启动：{reason}。请在 config.toml 的 [web] port 中换一个端口"
        ) from None
    sock.setblocking(False)
    return sock


@dataclass
class Page:
    """The page as the service and `taizhang serve` run it: the board, its refresher, the server."""

    board: Board
    refresher: Refresher
    server: WebServer

    @classmethod
    def open(
        cls, settings: Settings, config_path: Path, today: date | None = None, *, read_first: bool = False
    ) -> Page:
        """Check the password (ConfigError when one is needed and missing), bind (PageError
        when the port is taken), start serving. The first read happens in the refresher, or,
        with `read_first`, before anything is served (PageError when the ledger is unreadable)."""
        password = viewer_password(settings.web, config_path)
        board = Board(settings, fixed_today=today)
        if read_first and not board.check(force=True):
            raise PageError(f"看板没有可显示的数据：{board.error}")
        server = WebServer(settings.web, board, password)
        refresher = Refresher(board)
        server.start()
        refresher.start()
        log.info("看板已启动：%s%s", settings.web.url, "（需要密码）" if password else "（仅本机可访问）")
        return cls(board, refresher, server)

    def refresh(self) -> None:
        """Read again now (after a cycle): in the refresher's thread, never the caller's."""
        self.refresher.poke()

    def reconfigure(self, settings: Settings) -> None:
        """New settings after a reload: the ledger and the rules apply at the next read; the
        address, port and password only after a restart."""
        old, new = self.board.settings.web, settings.web
        if (old.enabled, old.host, old.port, old.password_env) != (
            new.enabled,
            new.host,
            new.port,
            new.password_env,
        ):
            log.info("看板的地址、端口和密码设置在服务重新启动后生效。")
        self.board.settings = settings
        self.refresher.poke()

    def close(self) -> None:
        self.server.stop()
        self.refresher.stop()
