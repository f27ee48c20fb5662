from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from builders import Sheet, ledger, row, write

from scheduler.cli import main
from scheduler.core import clock

JSON_TASK_KEYS = {
    "key",
    "sheet",
    "row",
    "no",
    "category",
    "title",
    "lead",
    "support",
    "leader",
    "deadline",
    "status",
    "progress",
    "alerts",
    "light",
}


def check(config: Path, *args: str) -> list[str]:
    return ["check", "--config", str(config), "--today", "2025-06-20", *args]


def test_check_json_keeps_its_contract_on_the_sample_ledger(
    sample_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(check(sample_config, "--format", "json")) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"today", "tasks", "problems"}
    assert out["today"] == "2025-06-20"
    assert len(out["tasks"]) == 19
    for task in out["tasks"]:
        assert set(task) == JSON_TASK_KEYS
        assert set(task["deadline"]) == {"kind", "date", "text"}
        assert task["deadline"]["kind"] in {"date", "ongoing", "immediate", "unknown"}
        assert task["status"] in {"open", "done", "ongoing"}
        assert task["progress"] is None or 0 <= task["progress"] <= 1
        for alert in task["alerts"]:
            assert set(alert) <= {"code", "level", "days", "expected", "actual", "escalate", "message"}
            assert alert["level"] in {"red", "yellow", "blue"} and alert["message"]
    third = out["tasks"][2]
    assert third == {
        "key": "整改台账!7",
        "sheet": "整改台账",
        "row": 7,
        "no": "3",
        "category": "政治担当不够，巡视巡察、生态环保督察交办问题整改不彻底",
        "title": "2023年省级督察指出问题在2024年中央督察中被作为典型案例公布",
        "lead": ["自然生态股"],
        "support": ["市林业局", "南洞庭湖保护区管理局"],
        "leader": "王建国",
        "deadline": {"kind": "date", "date": "2025-06-30", "text": "2025-06-30"},
        "status": "open",
        "progress": 0.8,
        "alerts": [
            {
                "code": "behind_schedule",
                "level": "yellow",
                "expected": 0.94,
                "actual": 0.8,
                "message": "进度80%，低于序时进度94%",
            }
        ],
        "light": "yellow",
    }
    by_no = {t["no"]: t for t in out["tasks"]}
    assert by_no["10"]["alerts"] == [
        {"code": "overdue", "level": "red", "days": 20, "escalate": True, "message": "已逾期20天，列入督办"}
    ]
    # Every warning stays listed; the task has one light, its worst.
    assert [a["code"] for a in by_no["12"]["alerts"]] == ["behind_schedule", "due_soon"]
    assert by_no["12"]["light"] == "yellow"
    assert all(t["light"] is None for t in out["tasks"] if not t["alerts"])
    (problem,) = out["problems"]
    assert {k: problem[k] for k in ("sheet", "row", "column", "value")} == {
        "sheet": "整改台账",
        "row": 23,
        "column": "完成时限",
        "value": "待定",
    }
    assert "无法识别" in problem["message"]


def test_check_table_groups_tasks_by_lead_section_and_lists_problems(
    sample_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(check(sample_config)) == 0
    out = capsys.readouterr().out
    assert "整改任务台账检查（2025年6月20日）" in out
    assert "共19项任务，有预警的6项：红色2项、黄色4项、蓝色0项" in out and "数据问题1处" in out
    assert "红色：已逾期20天，列入督办" in out
    assert out.index("水环境股") < out.index("大气环境股") < out.index("数据问题（1处")
    assert "I23" in out and "待定" in out


def test_ledger_option_overrides_the_configured_path(
    sample_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "别的台账.xlsx", {"台账": ledger([row(1, "唯一的问题")])})
    assert main(check(sample_config, "--ledger", str(path), "--format", "json")) == 0
    tasks = json.loads(capsys.readouterr().out)["tasks"]
    assert [t["title"] for t in tasks] == ["唯一的问题"]


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda d: d / "missing.xlsx", "文件不存在"),
        (lambda d: _file(d / "ledger.csv", b"a,b"), "只支持 Excel 文件"),
        (lambda d: _file(d / "ledger.xlsx", b"PK\x03\x04garbage"), "已损坏"),
        (
            lambda d: write(d / "通讯录.xlsx", {"联系人": Sheet(rows=[["股室", "邮箱"]])}),
            "没有找到台账工作表",
        ),
    ],
)
def test_an_unreadable_ledger_exits_2_with_one_chinese_line(
    sample_config: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make,
    expected: str,  # type: ignore[no-untyped-def]
) -> None:
    path = make(tmp_path)
    assert main(check(sample_config, "--ledger", str(path))) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("错误：台账文件 ")
    assert str(path) in captured.err and expected in captured.err
    assert captured.err.count("\n") == 1


def test_a_bad_config_exits_2_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[ledger]\npath = "a.xlsx"\n[plan]\nstart = 2025-01-17\n[alerts]\ndue_soon_days = -3\n',
        encoding="utf-8",
    )
    assert main(["check", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "alerts.due_soon_days" in err and "-3" in err and "0 到 365" in err


def test_a_bad_today_exits_2_in_chinese(sample_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["check", "--config", str(sample_config), "--today", "6月20日"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "不是有效日期" in err and "YYYY-MM-DD" in err


def test_a_bad_format_choice_is_explained_in_chinese(
    sample_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(check(sample_config, "--format", "xml"))
    assert "无效的选择" in capsys.readouterr().err


def test_the_office_day_turns_at_midnight_beijing_time_not_utc() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    late_utc = datetime(2025, 6, 19, 23, 30, tzinfo=UTC)  # 07:30 on the 20th in Beijing
    assert clock.today(shanghai, now=late_utc).isoformat() == "2025-06-20"
    assert clock.today(ZoneInfo("UTC"), now=late_utc).isoformat() == "2025-06-19"


@pytest.mark.slow
@pytest.mark.parametrize("command", [["taizhang"], [sys.executable, "-m", "scheduler"]])
def test_both_entry_points_run_check_and_fail_without_a_traceback(
    sample_config: Path, tmp_path: Path, command: list[str]
) -> None:
    ok = subprocess.run(
        [*command, *check(sample_config, "--format", "json")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        cwd=tmp_path,
    )
    assert ok.returncode == 0, ok.stderr
    assert len(json.loads(ok.stdout)["tasks"]) == 19
    bad = subprocess.run(
        [*command, *check(sample_config, "--ledger", str(tmp_path / "无.xlsx"))],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        cwd=tmp_path,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "文件不存在" in bad.stderr


def _file(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_run_needs_the_office_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[ledger]\npath = "a.xlsx"\n[plan]\nstart = 2025-01-17\n', encoding="utf-8")
    assert main(["run", "--once", "--config", str(cfg)]) == 2
    assert "mail.office" in capsys.readouterr().err


def test_run_on_the_sample_writes_eml_files_to_the_outbox_folder(
    sample_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = sample_config.read_text(encoding="utf-8").replace(
        '"logs/outbox"', f'"{(tmp_path / "out").as_posix()}"'
    )
    sample_config.write_text(text, encoding="utf-8")
    assert main(["run", "--once", "--config", str(sample_config), "--today", "2025-06-20"]) == 0
    out = capsys.readouterr().out
    assert "生成邮件 7 封" in out and "没有真正发出" in out
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 7 and all(n.startswith("2025-06-20_") and n.endswith(".eml") for n in names)
    assert any("计划财务股" in n for n in names)  # no address: sent to the office, flagged
    assert main(["run", "--once", "--config", str(sample_config), "--today", "2025-06-20"]) == 0
    assert len(list((tmp_path / "out").iterdir())) == 7


def test_status_reports_the_service_the_jobs_and_pending_mail(
    sample_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--config", str(sample_config)]) == 0
    out = capsys.readouterr().out
    assert "服务：未在运行" in out
    assert "每周运行：上次 从未运行；下次 " in out and "每日运行：" in out
    assert "待发邮件：0 封" in out
    # Times read as in the mail and on the page: 2025年6月23日 09:00, never 2025-06-23.
    assert re.search(r"下次 \d{4}年\d{1,2}月\d{1,2}日 09:00", out) and not re.search(r"\d{4}-\d\d-\d\d", out)


def test_service_file_prints_a_systemd_unit_for_this_install(
    sample_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["service-file", "--config", str(sample_config)]) == 0
    unit = capsys.readouterr().out
    assert f"ExecStart={sys.executable} -m scheduler run --config {sample_config.resolve()}" in unit
    assert f"WorkingDirectory={sample_config.resolve().parent}" in unit
    assert "Restart=on-failure" in unit and "WantedBy=multi-user.target" in unit


def test_service_only_options_need_once(sample_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--config", str(sample_config), "--dry-run"]) == 2
    assert "只能与 --once 一起使用" in capsys.readouterr().err


def test_the_summary_tells_the_office_when_next_years_holidays_are_unknown(
    sample_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scheduler.service.workdays import WorkCalendar

    assert main(["run", "--once", "--dry-run", "--config", str(sample_config), "--today", "2026-11-28"]) == 0
    out = capsys.readouterr().out
    note = "节假日数据尚未包含2027年"
    # Whether 2027 is known depends on the chinese-calendar release installed; the note must follow it.
    assert (note in out) == (2027 in WorkCalendar().missing_years(2027))
    filled = sample_config.read_text(encoding="utf-8").replace("holidays = []", "holidays = [2027-01-01]")
    sample_config.write_text(filled, encoding="utf-8")
    assert main(["run", "--once", "--dry-run", "--config", str(sample_config), "--today", "2026-11-28"]) == 0
    assert note not in capsys.readouterr().out


def test_control_characters_in_the_ledger_do_not_stop_the_mail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A vertical tab, as a line break pasted from Word leaves it. openpyxl refuses to write
    # one, so the ledger gets it the way Excel stores it, escaped as _x000B_.
    path = write(
        tmp_path / "台账.xlsx", {"台账": ledger([row(1, "问题VT一", deadline="2025年6月1日", note="甲VT乙")])}
    )
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(b"VT", b"_x000B_")
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    from scheduler.ledger import read_ledger

    assert read_ledger([path], date(2025, 1, 17)).tasks[0].title == "问题\n一"  # cleaned where read
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[ledger]\npath = "台账.xlsx"\n[plan]\nstart = 2025-01-17\n'
        '[mail]\noffice = ["office@example.gov.cn"]\n[sections]\n"大气环境股" = "dq@example.gov.cn"\n',
        encoding="utf-8",
    )
    assert main(["run", "--once", "--config", str(cfg), "--today", "2025-06-20"]) == 0
    assert "生成邮件 2 封" in capsys.readouterr().out  # the section's warning and the summary


def test_a_report_that_cannot_be_saved_exits_2_in_chinese(
    sample_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "report.xlsx"  # a folder that is a file
    assert main(["report", "--config", str(sample_config), "--today", "2025-06-20", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "进展周报无法保存" in err and "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_output_cut_short_by_a_pipe_is_not_an_error(sample_config: Path, tmp_path: Path, fmt: str) -> None:
    # `taizhang check | head -1`: the reader stops early; that is not a failure. The ledger is
    # big enough that the output overflows the pipe, so the writer really meets a closed pipe.
    big = write(tmp_path / "big.xlsx", {"台账": ledger([row(n, f"问题{n}") for n in range(1, 1500)])})
    proc = subprocess.Popen(
        [sys.executable, "-m", "scheduler", *check(sample_config, "--ledger", str(big), "--format", fmt)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""
