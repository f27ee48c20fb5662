"""The weekly progress report workbook, opened again with openpyxl and checked cell by cell."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from builders import ledger, row, write
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart

from scheduler.cli import main

FAR = "2025年12月31日"


@pytest.fixture
def office(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        '[office]\nname = "沅江分局"\n[ledger]\npath = "台账.xlsx"\n[plan]\nstart = 2025-01-17\n'
        '[store]\npath = "state.sqlite3"\n[mail]\noffice = ["office@example.gov.cn"]\n'
        '[sections]\n"大气环境股" = "dq@example.gov.cn"\n"水环境股" = "shj@example.gov.cn"\n',
        encoding="utf-8",
    )
    return config


def save(config: Path, rows: list[list[Any]]) -> None:
    write(config.parent / "台账.xlsx", {"整改台账": ledger(rows)})


WEEK1 = [
    row(1, "甲", "大气环境股", "2025年6月1日", "正在推进", 0.5),
    row(2, "乙", "大气环境股", FAR, "正在推进", 0.2),
    row(3, "丙", "水环境股", "2025年6月25日", "正在推进", 0.99),
    row(4, "丁", "水环境股", FAR, "已完成", 1),
]
WEEK3 = [
    row(1, "甲", "大气环境股", "2025年6月1日", "正在推进", 0.5),  # red, escalated
    row(2, "乙", "大气环境股", FAR, "已完成", 1),  # newly done
    row(3, "丙", "水环境股", "2025年6月25日", "正在推进", 0.99),  # blue, stale
    row(4, "丁", "水环境股", FAR, "已完成", 1),
    row(
        5, '\'=HYPERLINK("http://example.com","点我")', "大气环境股、水环境股", FAR, "正在推进", 0.1
    ),  # yellow
]


def report(office: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    save(office, WEEK1)
    for day in ("2025-06-06", "2025-06-13"):
        assert main(["snapshot", "--config", str(office), "--today", day]) == 0
    save(office, WEEK3)
    assert main(["report", "--config", str(office), "--today", "2025-06-20"]) == 0
    path = office.parent / "sheets" / "reports" / "整改进展周报_2025-06-20.xlsx"
    assert str(path) in capsys.readouterr().out
    return path


def values(ws: Any, first: int = 4) -> list[list[Any]]:
    """The rows below the header, without the empty cells the wide title row leaves at the end."""
    rows = []
    for found in ws.iter_rows(min_row=first, values_only=True):
        cells = list(found)
        while cells and cells[-1] is None:
            cells.pop()
        if cells:
            rows.append(cells)
    return rows


def test_the_summary_sheet_matches_a_hand_count(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wb = load_workbook(report(office, capsys))
    assert wb.sheetnames == ["汇总", "预警清单", "本周变化", "趋势", "数据问题"]
    ws = wb["汇总"]
    assert ws["A1"].value == "沅江分局整改任务进展周报 · 汇总（2025年6月20日）"
    assert [c.value for c in ws[3]] == [
        "牵头单位",
        "任务数",
        "已完成",
        "未完成",
        "红色",
        "黄色",
        "蓝色",
        "无进展",
        "完成率",
        "较上周新完成",
    ]
    # 大气环境股: 甲 (red, and stale), 乙 (done this week), the new 5 (yellow, behind).
    # 水环境股: 丙 (stale, so yellow, though also due soon), 丁 (done), 5 (yellow).
    assert values(ws) == [
        ["大气环境股", 3, 1, 2, 1, 1, 0, 1, 1 / 3, 1],
        ["水环境股", 3, 1, 2, 0, 2, 0, 1, 1 / 3, 0],
        ["合计", 5, 2, 3, 1, 2, 0, 2, 0.4, 1],
    ]
    assert ws["I4"].number_format == "0%"
    assert ws["E4"].fill.fgColor.rgb.endswith("FFCCC7")  # red cue where there are red items


def test_the_summary_has_a_native_bar_chart_of_open_and_overdue_items(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = load_workbook(report(office, capsys))["汇总"]
    (chart,) = ws._charts
    assert isinstance(chart, BarChart)
    refs = [
        (s.tx.strRef.f, s.val.numRef.f, s.cat.strRef.f if s.cat.strRef else s.cat.numRef.f)
        for s in chart.series
    ]
    assert refs == [
        ("'汇总'!D3", "'汇总'!$D$4:$D$5", "'汇总'!$A$4:$A$5"),
        ("'汇总'!E3", "'汇总'!$E$4:$E$5", "'汇总'!$A$4:$A$5"),
    ]


def test_the_warning_list_runs_red_then_yellow_then_blue(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = load_workbook(report(office, capsys))["预警清单"]
    rows = values(ws)
    # Within a colour the nearest deadline first: 5 has none, 丙 (3) is due in 5 days.
    assert [(r[0], r[2]) for r in rows] == [("红色预警", "1"), ("黄色预警", "5"), ("黄色预警", "3")]
    assert rows[0][5] == 19
    assert rows[0][9] == "已逾期19天，列入督办；本周无进展（7天来状态、进度和进展均未更新）"
    assert (rows[1][6], rows[1][7]) == (0.1, 0.44)  # progress against 序时进度: 154 of 348 days gone
    assert ws["A4"].fill.fgColor.rgb.endswith("FFCCC7")


def test_ledger_text_that_looks_like_a_formula_is_written_as_text(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = report(office, capsys)
    ws = load_workbook(path)["预警清单"]
    cell = next(c for r in ws.iter_rows(min_row=4) for c in r if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in z.read(n) for n in sheets)  # no formula anywhere in the file


def test_the_changes_sheet_lists_what_changed_since_last_week(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = values(load_workbook(report(office, capsys))["本周变化"])
    # The same groups, in the same order, as the summary mail and `taizhang week`.
    assert [(r[0], r[2]) for r in rows] == [
        ("新完成", "乙"),
        ("新增任务", '=HYPERLINK("http://example.com","点我")'),
        ("本周无进展", "甲"),
        ("本周无进展", "丙"),
        ("进度变化", "乙"),
    ]
    assert rows[4][4] == "20% → 100%"


def test_the_trend_sheet_covers_every_weekly_snapshot_with_a_line_chart(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = load_workbook(report(office, capsys))["趋势"]
    assert [(r[0].date().isoformat(), *r[1:]) for r in values(ws)] == [
        ("2025-06-06", 1, 3, 1),
        ("2025-06-13", 1, 3, 1),
        ("2025-06-20", 2, 3, 1),  # today, live
    ]
    (chart,) = ws._charts
    assert isinstance(chart, LineChart)
    assert [s.val.numRef.f for s in chart.series] == [
        "'趋势'!$B$4:$B$6",
        "'趋势'!$C$4:$C$6",
        "'趋势'!$D$4:$D$6",
    ]


def test_the_problems_sheet_names_the_cells_to_fix(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(office, [row(1, "甲", deadline="待定")])
    assert (
        main(
            [
                "report",
                "--config",
                str(office),
                "--today",
                "2025-06-20",
                "--out",
                str(office.parent / "r.xlsx"),
            ]
        )
        == 0
    )
    rows = values(load_workbook(office.parent / "r.xlsx")["数据问题"])
    assert rows[0][:5] == ["整改台账", 5, "完成时限", "H5", "待定"]


def test_every_sheet_prints_a4_landscape_with_its_header_repeated(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for ws in load_workbook(report(office, capsys)).worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.print_title_rows == "$3:$3"
        assert ws.freeze_panes == "A4"
        assert ws["A3"].font.name == "微软雅黑"


def test_the_weekly_run_attaches_the_report_and_keeps_old_ones(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(office, WEEK1)
    for day in ("2025-06-13", "2025-06-20"):
        assert main(["run", "--once", "--config", str(office), "--today", day]) == 0
    reports = sorted(p.name for p in (office.parent / "sheets" / "reports").iterdir())
    assert reports == ["整改进展周报_2025-06-13.xlsx", "整改进展周报_2025-06-20.xlsx"]
    from email import message_from_bytes, policy

    summaries = sorted((office.parent / "logs" / "outbox").glob("*整改周报*.eml"))
    names = [
        [
            a.get_filename()
            for a in message_from_bytes(p.read_bytes(), policy=policy.default).iter_attachments()
        ]  # type: ignore[attr-defined]
        for p in summaries
    ]
    assert names == [["整改进展周报_2025-06-13.xlsx"], ["整改进展周报_2025-06-20.xlsx"]]
    assert "已生成进展周报" in (office.parent / "logs" / "taizhang.log").read_text(encoding="utf-8")


SOFFICE = shutil.which("soffice")
PDFTOPPM = shutil.which("pdftoppm")


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None or PDFTOPPM is None, reason="LibreOffice or poppler is not installed")
def test_the_report_converts_to_pdf_and_renders_a_page(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = report(office, capsys)
    out = office.parent / "pdf"
    assert SOFFICE is not None and PDFTOPPM is not None
    subprocess.run(
        [SOFFICE, "--headless", "--convert-to", "pdf", "--outdir", str(out), str(path)],
        check=True, capture_output=True, timeout=180,
        env={"HOME": str(office.parent)},  # a private LibreOffice profile
    )  # fmt: skip
    pdf = out / path.with_suffix(".pdf").name
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(
        [PDFTOPPM, "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(out / "page")], check=True
    )
    (png,) = out.glob("page*.png")
    assert png.stat().st_size > 5_000  # a page with a table and a chart on it, not a blank one
