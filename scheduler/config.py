"""config.toml → frozen, typed settings, validated when they load.

Every error names the key, the value and what is allowed. Unknown keys are errors
with a "did you mean" hint: a misspelt key silently ignored is a setting the office
believes in but does not have.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.core.addresses import is_address
from scheduler.core.model import FIELDS
from scheduler.core.rules import AlertSettings, RuleSettings
from scheduler.errors import MISSING, ConfigError, CrontabError, os_reason

DEFAULT_PATH = Path("config.toml")
ENV_PATH = "TAIZHANG_CONFIG"


@dataclass(frozen=True)
class OfficeSettings:
    name: str = "整改工作办公室"
    timezone: str = "Asia/Shanghai"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class LedgerSettings:
    paths: tuple[Path, ...]
    sheets: tuple[str, ...] = ()  # empty: every sheet with a recognizable header
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field → header texts
    max_unpacked_mb: int = 512  # a workbook that unpacks to more is refused before it is read


@dataclass(frozen=True)
class PlanSettings:
    start: date


SECURITY = ("ssl", "starttls", "none")
TRANSPORT_NAMES = ("outbox", "smtp")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # ssl | starttls | none
    user: str | None  # None: no login (a local relay)
    password_env: str = "TAIZHANG_SMTP_PASSWORD"
    timeout: float = 30.0
    ca_file: Path | None = None  # a private CA, e.g. an internal Exchange server


@dataclass(frozen=True)
class MailSettings:
    transport: str
    outbox_dir: Path
    sender: str
    office: tuple[str, ...]
    copy_support: bool = False
    reply_days: int = 5
    reply_instructions: str = "请在台账中更新本股室事项的整改状态、完成进度和整改进展，或直接回复本邮件。"
    retry_backoff_seconds: int = 300
    max_message_kb: int = 10240  # an attachment that would break it is left out
    smtp: SmtpSettings | None = None

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]


@dataclass(frozen=True)
class ScheduleSettings:
    weekly: str = "0 9 * * mon"  # full cycle: snapshot, warnings, office summary
    daily: str = "0 9 * * *"  # only new red and blue warnings
    skip_holidays: bool = True
    read_retries: int = 3  # a ledger open in WPS or half-copied: try again this many times
    read_retry_seconds: float = 20.0
    reload_check_seconds: int = 30  # how often to look whether config.toml changed


@dataclass(frozen=True)
class CalendarSettings:
    holidays: tuple[date, ...] = ()  # days off the calendar package does not know yet
    workdays: tuple[date, ...] = ()  # working days (调休) it does not know yet


@dataclass(frozen=True)
class StoreSettings:
    path: Path  # the SQLite file: weekly snapshots, the mail outbox, what was sent, the runs


DEFAULT_TONGBAO_TITLE = "关于整改任务进展情况的通报"


@dataclass(frozen=True)
class TongbaoSettings:
    """The 通报 draft (taizhang tongbao, and the weekly run when enabled)."""

    enabled: bool = False  # the weekly run writes it and attaches it to the office summary
    template: Path | None = None  # None: the template shipped with taizhang
    issuer: str = OfficeSettings.name  # 发文机关; by default the office's name
    title: str = DEFAULT_TONGBAO_TITLE
    show_status: bool = False  # "（已完成）", "（已逾期20天）" … after each 整改情况


@dataclass(frozen=True)
class WebSettings:
    """The read-only status page (整改看板)."""

    enabled: bool = True
    host: str = "127.0.0.1"  # loopback: only this machine; anything else needs a password
    port: int = 8765
    password_env: str = "TAIZHANG_WEB_PASSWORD"
    refresh_minutes: int = 10  # how often, at most, the page re-reads a changed ledger

    @property
    def loopback(self) -> bool:
        return self.host == "localhost" or ipaddress.ip_address(self.host).is_loopback

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"


@dataclass(frozen=True)
class Settings:
    path: Path
    office: OfficeSettings
    ledger: LedgerSettings
    plan: PlanSettings
    alerts: AlertSettings
    store: StoreSettings
    mail: MailSettings
    sections: dict[str, tuple[str, ...]]  # section → addresses; the contacts sheet adds more
    leaders: dict[str, tuple[str, ...]]  # 责任领导 → addresses, for 督办 copies
    schedule: ScheduleSettings
    calendar: CalendarSettings
    log_path: Path
    report_dir: Path
    tongbao: TongbaoSettings = field(default_factory=TongbaoSettings)
    web: WebSettings = field(default_factory=WebSettings)

    def rules(self) -> RuleSettings:
        return RuleSettings(plan_start=self.plan.start, alerts=self.alerts)


def locate(explicit: str | Path | None) -> Path:
    """The config file to use: --config, else $TAIZHANG_CONFIG, else ./config.toml."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(ENV_PATH) or DEFAULT_PATH)


def load(path: Path) -> Settings:
    """Read and validate config.toml. Raises ConfigError naming key, value and what is allowed."""
    data = _read_toml(path)
    root = _Table(path, "", data)
    base = path.resolve().parent
    office = _office(root.table("office"))
    settings = Settings(
        path=path,
        office=office,
        ledger=_ledger(root.table("ledger", required=True), base),
        plan=_plan(root.table("plan", required=True)),
        alerts=_alerts(root.table("alerts")),
        store=_store(root.table("store"), base),
        mail=_mail(root.table("mail"), base),
        sections=_address_book(root.table("sections")),
        leaders=_address_book(root.table("leaders")),
        schedule=_schedule(root.table("schedule")),
        calendar=_calendar(root.table("calendar")),
        log_path=_log(root.table("log"), base),
        report_dir=_report(root.table("report"), base),
        tongbao=_tongbao(root.table("tongbao"), base, office),
        web=_web(root.table("web")),
    )
    root.finish()
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        # utf-8-sig: Windows Notepad may put a byte-order mark in front of the file.
        text = path.read_bytes().decode("utf-8-sig")
        return tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(
            path, "", MISSING, "找不到配置文件，请用 --config 指定 config.toml 的位置"
        ) from None
    except OSError as e:
        raise ConfigError(path, "", MISSING, f"无法打开配置文件（{os_reason(e)}）") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "", MISSING, "文件不是 UTF-8 编码，请用 UTF-8 保存") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, "", MISSING, _toml_syntax(str(e), text)) from None


def _toml_syntax(message: str, text: str) -> str:
    """A TOML syntax error as the office can act on it: the line, what it says, and the
    likely slip (Chinese quotes, a Chinese date, a Windows path, an unquoted Chinese key)."""
    where = re.search(r"line (\d+), column (\d+)", message)
    if not where:
        return f"不符合 TOML 格式（{message}）"
    number = int(where.group(1))
    lines = text.splitlines()
    line = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    return f"第{number}行“{_shown_line(line)}”写法有误：{_toml_hint(line)}"


_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key|auth|user|密码|口令|授权码", re.I)


def _shown_line(line: str) -> str:
    """A line as an error message may show it: a value that could be a password, pasted into
    the wrong place or without quotes, is hidden."""
    key, equals, value = line.partition("=")
    if equals and value.strip() and (_SECRET_KEY.search(key) or not re.search(r"[\"'\[{]", value)):
        return f"{key.strip()} = {HIDDEN}"
    return line


def _toml_hint(line: str) -> str:
    if any(ch in line for ch in "“”‘’＂＝，［］"):
        return '请把中文符号改成英文半角符号：引号用 "，等号用 =，逗号用 ,，方括号用 [ ]'
    if re.search(r"\d{4}\s*年", line):
        return "日期请写成 2025-01-17 这样的格式，不加引号"
    if "\\" in line and '"' in line:
        return "Windows 路径请把 \\ 改成 /，或者改用单引号，例如 path = 'D:\\台账\\台账.xlsx'"
    if re.match(r"^[^\x00-\x7f]", line):
        return '中文名称写在等号左边时要加英文引号，例如 "大气环境股" = "dq@example.gov.cn"'
    return "请检查这一行的引号、等号和括号是否成对、是否为英文半角符号；文字要加英文引号，日期和数字不加"


def _office(t: _Table) -> OfficeSettings:
    office = OfficeSettings(
        name=t.text("name", OfficeSettings.name),
        timezone=t.text("timezone", OfficeSettings.timezone),
    )
    try:
        ZoneInfo(office.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise t.error("timezone", office.timezone, '应为 IANA 时区名，例如 "Asia/Shanghai"') from None
    t.finish()
    return office


def _ledger(t: _Table, base: Path) -> LedgerSettings:
    raw = t.get("path", required=True)
    paths = raw if isinstance(raw, list) else [raw]
    if not paths or not all(isinstance(p, str) and p.strip() for p in paths):
        raise t.error("path", raw, '应为台账文件路径，或路径的列表，例如 "sheets/整改任务台账.xlsx"')
    sheets = t.get("sheets", [])
    if not isinstance(sheets, list) or not all(isinstance(s, str) and s for s in sheets):
        raise t.error("sheets", sheets, '应为工作表名称的列表，例如 ["整改台账"]；不填则读取所有台账工作表')
    settings = LedgerSettings(
        paths=tuple(_resolve(base, p) for p in paths),
        sheets=tuple(sheets),
        columns=_columns(t.table("columns")),
        max_unpacked_mb=t.integer("max_unpacked_mb", 512, 1, 65536),
    )
    t.finish()
    return settings


def _columns(t: _Table) -> dict[str, tuple[str, ...]]:
    columns: dict[str, tuple[str, ...]] = {}
    for name in t.names():
        if name not in FIELDS:
            raise t.unknown(name, FIELDS)
        value = t.get(name)
        texts = value if isinstance(value, list) else [value]
        if not texts or not all(isinstance(x, str) and x.strip() for x in texts):
            raise t.error(name, value, "应为台账中的表头文字，或表头文字的列表")
        columns[name] = tuple(texts)
    t.finish()
    return columns


def _plan(t: _Table) -> PlanSettings:
    start = t.get("start", required=True)
    if isinstance(start, datetime) or not isinstance(start, date):
        raise t.error(
            "start", start, "应为整改方案开始的日期，TOML 日期格式，不加引号，例如 start = 2025-01-17"
        )
    t.finish()
    return PlanSettings(start=start)


def _alerts(t: _Table) -> AlertSettings:
    alerts = AlertSettings(
        due_soon_days=t.integer("due_soon_days", AlertSettings.due_soon_days, 0, 365),
        behind_tolerance=t.fraction("behind_tolerance", AlertSettings.behind_tolerance),
        stale_after_days=t.integer("stale_after_days", AlertSettings.stale_after_days, 1, 365),
        escalate_after_days=t.integer("escalate_after_days", AlertSettings.escalate_after_days, 0, 3650),
        review_after_days=t.integer("review_after_days", AlertSettings.review_after_days, 0, 3650),
        repeat_days=t.integer("repeat_days", AlertSettings.repeat_days, 1, 365),
    )
    t.finish()
    return alerts


DEFAULT_STORE = "logs/taizhang.sqlite3"


def _store(t: _Table, base: Path) -> StoreSettings:
    path = t.file("path", DEFAULT_STORE, base, "数据库文件")
    t.finish()
    return StoreSettings(path=path)


DEFAULT_SENDER = "整改工作办公室 <office@example.gov.cn>"


def _mail(t: _Table, base: Path) -> MailSettings:
    transport = t.choice("transport", "outbox", TRANSPORT_NAMES)
    sender = t.text("sender", DEFAULT_SENDER)
    if _CONTROL.search(sender) or not is_address(parseaddr(sender)[1]):
        raise t.error("sender", sender, '应为发件人，例如 "沅江分局办公室 <office@example.gov.cn>"')
    smtp_table = t.table("smtp", required=transport == "smtp")
    mail = MailSettings(
        transport=transport,
        outbox_dir=t.file("outbox_dir", "logs/outbox", base, "邮件存放文件夹", is_folder=True),
        sender=sender,
        office=t.addresses("office"),
        copy_support=t.boolean("copy_support", False),
        reply_days=t.integer("reply_days", MailSettings.reply_days, 1, 60),
        reply_instructions=t.text("reply_instructions", MailSettings.reply_instructions),
        retry_backoff_seconds=t.integer("retry_backoff_seconds", 300, 0, 86400),
        max_message_kb=t.integer("max_message_kb", MailSettings.max_message_kb, 64, 102400),
        smtp=_smtp(smtp_table, base) if smtp_table.data or transport == "smtp" else None,
    )
    t.finish()
    return mail


def _smtp(t: _Table, base: Path) -> SmtpSettings:
    security = t.choice("security", "ssl", SECURITY)
    default_port = {"ssl": 465, "starttls": 587, "none": 25}[security]
    user = t.get("user")
    if user is not None and (not isinstance(user, str) or not is_address(user)):
        # yagmail appends "@gmail.com" to a user without "@": insist on the full address.
        # What is there may be the password typed into the wrong line: never show it.
        allowed = "应为完整的邮箱地址（如 office@example.gov.cn）；本地中继不需要登录时删去此项"
        raise t.error("user", HIDDEN, allowed)
    password_env = t.password_env(SmtpSettings.password_env, "或运行 taizhang set-password 存入系统钥匙串")
    ca_file = t.get("ca_file")
    host = t.get("host", required=True)
    if not isinstance(host, str) or not host.strip():
        raise t.error("host", host, '应为邮件服务器地址，例如 "smtp.qq.com"')
    smtp = SmtpSettings(
        host=host.strip(),
        port=t.integer("port", default_port, 1, 65535),
        security=security,
        user=user,
        password_env=password_env,
        timeout=float(t.integer("timeout", 30, 1, 600)),
        ca_file=_resolve(base, ca_file) if isinstance(ca_file, str) and ca_file else None,
    )
    if ca_file is not None and smtp.ca_file is None:
        raise t.error("ca_file", ca_file, "应为证书文件（PEM）的路径")
    t.finish()
    return smtp


def _schedule(t: _Table) -> ScheduleSettings:
    defaults = ScheduleSettings()
    schedule = ScheduleSettings(
        weekly=t.crontab("weekly", defaults.weekly),
        daily=t.crontab("daily", defaults.daily),
        skip_holidays=t.boolean("skip_holidays", defaults.skip_holidays),
        read_retries=t.integer("read_retries", defaults.read_retries, 0, 20),
        read_retry_seconds=float(t.integer("read_retry_seconds", int(defaults.read_retry_seconds), 0, 600)),
        reload_check_seconds=t.integer("reload_check_seconds", defaults.reload_check_seconds, 1, 3600),
    )
    t.finish()
    return schedule


def _calendar(t: _Table) -> CalendarSettings:
    calendar = CalendarSettings(holidays=t.dates("holidays"), workdays=t.dates("workdays"))
    t.finish()
    return calendar


def _log(t: _Table, base: Path) -> Path:
    path = t.file("path", "logs/taizhang.log", base, "日志文件")
    t.finish()
    return path


def _report(t: _Table, base: Path) -> Path:
    path = t.file("dir", "sheets/reports", base, "周报文件夹", is_folder=True)
    t.finish()
    return path


def _tongbao(t: _Table, base: Path, office: OfficeSettings) -> TongbaoSettings:
    # The template is looked for when the draft is made, not here: a template being edited
    # (or moved) must not stop `check` or the weekly warnings from loading this file.
    template = t.get("template")
    if template is not None and (not isinstance(template, str) or not template.strip()):
        raise t.error(
            "template",
            template,
            '应为通报模板（.docx）的路径，相对于本配置文件所在的文件夹，例如 "通报模板.docx"；'
            "不写则使用 taizhang 自带的模板",
        )
    if isinstance(template, str) and not template.strip().lower().endswith(".docx"):
        raise t.error(
            "template", template, "通报模板应为 .docx 文件；.doc、.wps 文件请在 Word 或 WPS 中另存为 .docx"
        )
    tongbao = TongbaoSettings(
        enabled=t.boolean("enabled", False),
        template=_resolve(base, template.strip()) if isinstance(template, str) else None,
        issuer=t.text("issuer", office.name),
        title=t.text("title", DEFAULT_TONGBAO_TITLE),
        show_status=t.boolean("show_status", False),
    )
    for name in ("issuer", "title"):
        value = getattr(tongbao, name)
        if _CONTROL.search(value):
            raise t.error(name, value, "应为一行文字，不能包含换行或其他控制字符")
    t.finish()
    return tongbao


def _web(t: _Table) -> WebSettings:
    defaults = WebSettings()
    host = t.get("host", defaults.host)
    if not isinstance(host, str) or not _is_host(host.strip()):
        allowed = (
            '应为本机的 IP 地址："127.0.0.1"（只允许本机访问）、"0.0.0.0"（允许局域网内的电脑访问，'
            "须设置看板密码）或本机某块网卡的地址"
        )
        raise t.error("host", host, allowed)
    password_env = t.password_env(defaults.password_env, "或运行 taizhang set-password --web")
    web = WebSettings(
        enabled=t.boolean("enabled", defaults.enabled),
        host=host.strip(),
        port=t.integer("port", defaults.port, 1, 65535),
        password_env=password_env,
        refresh_minutes=t.integer("refresh_minutes", defaults.refresh_minutes, 1, 1440),
    )
    t.finish()
    return web


def _is_host(text: str) -> bool:
    if text == "localhost":
        return True
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _address_book(t: _Table) -> dict[str, tuple[str, ...]]:
    book = {name: t.addresses(name, required=True) for name in t.names()}
    t.finish()
    return book


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # CR or LF in a header would start a new header
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
HIDDEN = "******"  # shown instead of a value that may be a secret


def _unwritable(path: Path, *, is_folder: bool = False) -> str:
    """Why taizhang could not write this file or folder ("" when it can), creating nothing."""
    if path.is_dir() != is_folder and path.exists():
        return "是一个文件夹，应为文件的路径" if not is_folder else "是一个文件，应为文件夹的路径"
    folder = path if is_folder else path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the folders below it would be created
    if not folder.is_dir():
        return f"无法创建：路径中的 {folder} 是文件而不是文件夹"
    target = path if path.exists() else folder
    if not os.access(target, os.W_OK):
        return f"无法写入：没有 {target} 的写入权限"
    return ""


def _resolve(base: Path, text: str) -> Path:
    """Relative paths count from the folder that holds config.toml, not from where we run."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


class _Table:
    """One TOML table being validated: typed getters, and a check for keys nobody asked for."""

    def __init__(self, path: Path, prefix: str, data: dict[str, Any]) -> None:
        self.path = path
        self.prefix = prefix
        self.data = data
        self.known: list[str] = []

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def names(self) -> list[str]:
        return list(self.data)

    def error(self, name: str, value: object, allowed: str) -> ConfigError:
        return ConfigError(self.path, self.key(name), value, allowed)

    def unknown(self, name: str, allowed: tuple[str, ...] | list[str]) -> ConfigError:
        hint = difflib.get_close_matches(name, allowed, n=1)
        guess = f"，是不是想写 {hint[0]}？" if hint else ""
        listed = "、".join(allowed)
        where = f"[{self.prefix}] 中" if self.prefix else "顶层"
        return ConfigError(
            self.path, self.key(name), MISSING, f"{where}没有这个设置项{guess}可用的有：{listed}"
        )

    def missing(self, name: str) -> ConfigError:
        typo = difflib.get_close_matches(name, [k for k in self.data if k not in self.known], n=1)
        hint = f"；是否误写成了 {typo[0]}？" if typo else ""
        return ConfigError(self.path, self.key(name), MISSING, f"缺少这一项，请在配置文件中填写{hint}")

    def get(self, name: str, default: Any = None, *, required: bool = False) -> Any:
        self.known.append(name)
        if name not in self.data:
            if required:
                raise self.missing(name)
            return default
        return self.data[name]

    def table(self, name: str, *, required: bool = False) -> _Table:
        value = self.get(name, {}, required=required)
        if not isinstance(value, dict):
            raise self.error(name, value, f"应为一个表，写作 [{self.key(name)}]")
        return _Table(self.path, self.key(name), value)

    def text(self, name: str, default: str) -> str:
        value = self.get(name, default)
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, value, "应为非空的文字，用引号括起来")
        return value.strip()

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(name, value, f"应为 {low} 到 {high} 之间的整数")
        return value

    def fraction(self, name: str, default: float) -> float:
        value = self.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
            raise self.error(name, value, "应为 0 到 1 之间的小数，例如 0.10 表示 10%")
        return float(value)

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.get(name, default)
        if value not in allowed:
            raise self.error(name, value, "应为 " + "、".join(f'"{a}"' for a in allowed) + " 之一")
        return str(value)

    def boolean(self, name: str, default: bool) -> bool:
        value = self.get(name, default)
        if not isinstance(value, bool):
            raise self.error(name, value, "应为 true 或 false（不加引号）")
        return value

    def crontab(self, name: str, default: str) -> str:
        value = self.get(name, default)
        if value in ("off", default):
            # The default is proven valid by a test, so reading it needs no APScheduler, which
            # is slow to import (a thirtieth of a second on every `check`).
            return str(value)
        try:
            if not isinstance(value, str):
                raise CrontabError("应为文字")
            from scheduler.service.timing import make_trigger  # APScheduler is slow to import; only here

            trigger = make_trigger(value, ZoneInfo("Asia/Shanghai"), None)  # every field, as the service will
            if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
                raise CrontabError("这个时间永远不会到来（例如2月30日）")
        except CrontabError as e:
            raise self.error(name, value, f'{e}；例如 "0 9 * * mon"（每周一9点）') from None
        return value.strip()

    def file(self, name: str, default: str, base: Path, kind: str, *, is_folder: bool = False) -> Path:
        """A file or folder taizhang writes: refused at load when it is the wrong kind or
        cannot be created, rather than failing later, half-way through a run."""
        path = _resolve(base, self.text(name, default))
        problem = _unwritable(path, is_folder=is_folder)
        if problem:
            raise self.error(name, self.data.get(name, default), f"{kind}{problem}，请换一个可以写入的位置")
        return path

    def password_env(self, default: str, keyring: str) -> str:
        """The name of the environment variable a password comes from. The password itself is
        refused here, and whatever might be one (a value in the wrong key) is never shown."""
        name = self.get("password_env", default)
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            allowed = (
                f"应为环境变量的名称（大写字母、数字和下划线），例如 {default}；密码本身不能写在配置文件里"
            )
            raise self.error("password_env", HIDDEN, allowed)
        if "password" in self.data:
            self.known.append("password")
            allowed = f"密码不能写在配置文件里：请设置环境变量 {name}，{keyring}"
            raise self.error("password", HIDDEN, allowed)
        return name

    def dates(self, name: str) -> tuple[date, ...]:
        value = self.get(name, [])
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(d, date) and not isinstance(d, datetime) for d in items):
            raise self.error(name, value, "应为日期的列表，不加引号，例如 [2027-01-01, 2027-02-06]")
        return tuple(items)

    def addresses(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.get(name, None if required else [], required=required)
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(a, str) and is_address(a.strip()) for a in items) or (required and not items):
            raise self.error(name, value, '应为邮箱地址，或邮箱地址的列表，例如 "dq@example.gov.cn"')
        return tuple(a.strip() for a in items)

    def finish(self) -> None:
        for name in self.data:
            if name not in self.known:
                raise self.unknown(name, self.known)
