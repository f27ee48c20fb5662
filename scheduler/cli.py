"""Command line: parse arguments, build the objects, call one command, map errors to exit codes.

Exit codes: 0 done; 2 bad input (config, ledger file, arguments), with one Chinese line on
stderr; 1 an internal error, which is a bug.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from scheduler import __version__, logs
from scheduler import config as config_module
from scheduler.commands import (
    CheckCommand,
    ReportCommand,
    RunCommand,
    SendTestCommand,
    ServeCommand,
    ServiceCommand,
    ServiceFileCommand,
    SetPasswordCommand,
    SnapshotCommand,
    StatusCommand,
    TongbaoCommand,
    WeekCommand,
)
from scheduler.core import clock
from scheduler.core.addresses import is_address
from scheduler.errors import TaizhangError, UsageError

EXIT_OK = 0
EXIT_BUG = 1
EXIT_BAD_INPUT = 2

# argparse's own messages are English; the people who read ours are not programmers.
# argparse looks `_` up in its module at call time, so translating it here is enough.
_ARGPARSE_ZH = {
    "usage: ": "用法：",
    "options": "选项",
    "positional arguments": "命令",
    "show this help message and exit": "显示帮助并退出",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "expected one argument": "需要一个值",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "invalid %(type)s value: %(value)r": "无效的值：%(value)r",
}
argparse._ = lambda message: _ARGPARSE_ZH.get(message, message)  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.handler(args))
    except TaizhangError as e:
        print(f"错误：{e.message}", file=sys.stderr)  # noqa: T201
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`taizhang check | head`): not a failure of ours. Point stdout
        # at nothing so that Python's own flush at exit does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as e:  # a bug, not bad input: say so plainly, keep the details for us
        if logs.log.handlers:  # with no log set up, logging would print the traceback itself
            logs.log.exception("程序内部错误")
        print(f"程序内部错误：{type(e).__name__}: {e}。请把这条信息和日志发给技术人员。", file=sys.stderr)  # noqa: T201
        if os.environ.get("TAIZHANG_DEBUG"):
            traceback.print_exc()
        return EXIT_BUG


class _Parser(argparse.ArgumentParser):
    """argparse ends its section headings with an ASCII colon; the rest of the help is in
    Chinese, with full-width punctuation, and so are the headings here."""

    def format_help(self) -> str:
        text = re.sub(r"^(\S[^\n]*):$", r"\1：", super().format_help(), flags=re.M)
        return text.replace("命令：\n  命令\n", "命令：\n")  # the list of commands, named once


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="taizhang",
        description="台账预警：读取整改任务台账，跟踪进度并预警滞后任务。",
    )
    parser.add_argument(
        "--version", action="version", version=f"taizhang {__version__}", help="显示版本号并退出"
    )
    commands = parser.add_subparsers(title="命令", dest="command", metavar="命令")
    check = commands.add_parser("check", help="读取台账并列出任务和数据问题")
    _common(check)
    check.add_argument("--ledger", type=Path, help="台账文件，代替配置中的 ledger.path")
    check.add_argument(
        "--format", choices=("table", "json"), default="table", help="输出格式：table（表格）或 json"
    )
    check.set_defaults(handler=_check)

    snapshot = commands.add_parser("snapshot", help="保存今天所有任务的状态（每周跟踪用）")
    _common(snapshot)
    snapshot.set_defaults(handler=_snapshot)

    week = commands.add_parser("week", help="各牵头单位的完成情况和本周变化")
    _common(week)
    week.add_argument(
        "--format", choices=("table", "json"), default="table", help="输出格式：table（表格）或 json"
    )
    week.set_defaults(handler=_week)

    report = commands.add_parser("report", help="生成《整改进展周报》Excel 文件")
    _common(report)
    report.add_argument("--out", type=Path, help="保存到这个文件（默认：[report] dir 下按日期命名）")
    report.set_defaults(handler=_report)

    tongbao = commands.add_parser("tongbao", help="生成《整改进展情况通报》Word 草稿（.docx）")
    _common(tongbao)
    tongbao.add_argument("--out", type=Path, help="保存到这个文件（默认：[report] dir 下按日期命名）")
    tongbao.set_defaults(handler=_tongbao)

    run = commands.add_parser("run", help="作为后台服务运行（加 --once 则立即运行一次完整流程后退出）")
    _common(run)
    run.add_argument("--once", action="store_true", help="立即运行一次完整流程后退出")
    run.add_argument(
        "--daily", action="store_true", help="与 --once 一起用：只运行每日流程（新的红色、蓝色预警）"
    )
    run.add_argument(
        "--dry-run", action="store_true", help="与 --once 一起用：只生成并显示邮件，不发送、不记录"
    )
    run.add_argument("--verbose", action="store_true", help="同时在屏幕上显示日志")
    run.set_defaults(handler=_run)

    status = commands.add_parser("status", help="显示服务是否在运行、各任务上次和下次运行时间、待发邮件")
    status.add_argument("--config", help="配置文件路径（默认：当前目录下的 config.toml）")
    status.set_defaults(handler=_status)

    unit = commands.add_parser("service-file", help="输出 Linux systemd 服务文件")
    unit.add_argument("--config", help="配置文件路径（默认：当前目录下的 config.toml）")
    unit.set_defaults(handler=_service_file)

    send_test = commands.add_parser("send-test", help="向指定邮箱发送每种颜色的示例邮件，检查邮件设置")
    _common(send_test)
    send_test.add_argument("--to", required=True, type=_address, help="收件邮箱")
    send_test.set_defaults(handler=_send_test)

    serve = commands.add_parser("serve", help="只提供整改看板（网页），供试用；按 Ctrl-C 停止")
    _common(serve)
    serve.set_defaults(handler=_serve)

    password = commands.add_parser(
        "set-password", help="把邮箱密码（授权码）存入系统钥匙串；加 --web 则保存看板密码"
    )
    password.add_argument("--config", help="配置文件路径（默认：当前目录下的 config.toml）")
    password.add_argument("--web", action="store_true", help="保存整改看板的查看密码，而不是邮箱密码")
    password.set_defaults(handler=_set_password)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="配置文件路径（默认：当前目录下的 config.toml）")
    parser.add_argument("--today", type=_day, help="按这一天计算，格式 YYYY-MM-DD（默认：今天，北京时间）")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"“{value}”不是有效日期，应写作 YYYY-MM-DD，例如 2025-06-20"
        ) from None


def _address(value: str) -> str:
    if not is_address(value.strip()):
        raise argparse.ArgumentTypeError(f"“{value}”不是有效的邮箱地址")
    return value.strip()


def _settings(args: argparse.Namespace) -> config_module.Settings:
    return config_module.load(config_module.locate(args.config))


def _today(args: argparse.Namespace, settings: config_module.Settings) -> date:
    return args.today if args.today else clock.today(settings.office.tz)


def _check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.ledger is not None and not str(args.ledger).strip():
        raise UsageError("--ledger 不能为空")
    command = CheckCommand(settings, _today(args, settings), ledger_path=args.ledger)
    return command.run(args.format)


def _report(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return ReportCommand(settings, _today(args, settings)).run(args.out)


def _tongbao(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return TongbaoCommand(settings, _today(args, settings)).run(args.out)


def _snapshot(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return SnapshotCommand(settings, _today(args, settings)).run()


def _week(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return WeekCommand(settings, _today(args, settings)).run(args.format)


def _run(args: argparse.Namespace) -> int:
    path = config_module.locate(args.config)
    settings = config_module.load(path)
    logs.setup(settings.log_path, settings.office.tz, verbose=args.verbose)
    if not args.once:
        if args.today or args.dry_run or args.daily:
            raise UsageError("--today、--dry-run 和 --daily 只能与 --once 一起使用")
        return ServiceCommand(settings, clock.today(settings.office.tz), config_path=path).run()
    return RunCommand(settings, _today(args, settings)).run(dry_run=args.dry_run, daily=args.daily)


def _status(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return StatusCommand(settings, clock.today(settings.office.tz)).run()


def _service_file(args: argparse.Namespace) -> int:
    path = config_module.locate(args.config)
    settings = config_module.load(path)
    return ServiceFileCommand(settings, clock.today(settings.office.tz), config_path=path).run()


def _send_test(args: argparse.Namespace) -> int:
    settings = _settings(args)
    return SendTestCommand(settings, _today(args, settings)).run(args.to)


def _serve(args: argparse.Namespace) -> int:
    path = config_module.locate(args.config)
    settings = config_module.load(path)
    command = ServeCommand(settings, _today(args, settings), config_path=path, fixed_today=args.today)
    return command.run()


def _set_password(args: argparse.Namespace) -> int:
    settings = _settings(args)
    command = SetPasswordCommand(settings, clock.today(settings.office.tz))
    return command.run_web() if args.web else command.run()
