"""The log: logs/taizhang.log, rotating, one plain Chinese line per event, in office time."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from zoneinfo import ZoneInfo

LEVELS = {"DEBUG": "调试", "INFO": "信息", "WARNING": "警告", "ERROR": "错误", "CRITICAL": "严重"}
log = logging.getLogger("taizhang")


class OfficeFormatter(logging.Formatter):
    """ "2025-06-20 09:00:01 信息 每周运行：读取台账 57 项，发送邮件 7 封（含办公室周报）"."""

    def __init__(self, tz: ZoneInfo) -> None:
        super().__init__("%(asctime)s %(levelname_zh)s %(message)s")
        self.tz = tz

    def format(self, record: logging.LogRecord) -> str:
        record.levelname_zh = LEVELS.get(record.levelname, record.levelname)
        return super().format(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, self.tz).strftime("%Y-%m-%d %H:%M:%S")


def console(tz: ZoneInfo) -> None:
    """Log to the screen only (`taizhang serve`): the service's log file is the service's."""
    if log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OfficeFormatter(tz))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


def setup(path: Path, tz: ZoneInfo, *, verbose: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    formatter = OfficeFormatter(tz)
    rotating = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handlers: list[logging.Handler] = [rotating]
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(formatter)
    log.handlers[:] = handlers
    log.setLevel(logging.INFO)
    log.propagate = False
    # Their own lines are English and say nothing our lines do not; keep only real trouble.
    for noisy in ("apscheduler", "yagmail"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
