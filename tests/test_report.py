"""The weekly progress report workbook, opened again with openpyxl and checked cell by cell."""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from builders import ledger, row, write
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart
from paper import SMALLEST, font_sizes, needs_libreoffice, page_texts, pages, to_pdf

from scheduler import pipeline
from scheduler.cli import main
from scheduler.config import load
from scheduler.core.view import WeeklyView
from scheduler.views.report import (
    CHANGE_WIDTHS,
    PROBLEM_WIDTHS,
    SUMMARY_WIDTHS,
    TREND_WIDTHS,
    WARNING_WIDTHS,
    build,
    to_bytes,
)
from scheduler.views.xlsx import print_scale

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
        "无预警",
        "无进展",
        "督办",
        "完成率",
        "较上周新完成",
    ]
    # 大气环境股: 甲 (red, and stale), 乙 (done this week), the new 5 (yellow, behind).
    # 水环境股: 丙 (stale, so yellow, though also due soon), 丁 (done), 5 (yellow).
    # 无预警 counts the open tasks with no warning: 未完成 = 红色 + 黄色 + 蓝色 + 无预警.
    assert values(ws) == [
        ["大气环境股", 3, 1, 2, 1, 1, 0, 0, 1, 1, 1 / 3, 1],
        ["水环境股", 3, 1, 2, 0, 2, 0, 0, 1, 0, 1 / 3, 0],
        ["合计", 5, 2, 3, 1, 2, 0, 0, 2, 1, 0.4, 1],
    ]  # 甲 is 19 days overdue: 督办
    assert ws["K4"].number_format == "0%"
    assert ws["E4"].fill.fgColor.rgb.endswith("FFCCC7")  # red cue where there are red items


def test_the_summary_chart_stacks_each_sections_open_tasks_by_light(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = load_workbook(report(office, capsys))["汇总"]
    (chart,) = ws._charts
    assert isinstance(chart, BarChart)
    assert (chart.type, chart.grouping, chart.overlap) == ("bar", "stacked", 100)
    assert chart.title.tx.rich.p[0].r[0].t == "各牵头单位未完成任务（按预警颜色）"
    # One bar per section, red + yellow + blue + grey (no warning) = its open tasks.
    refs = [(s.tx.strRef.f, s.val.numRef.f) for s in chart.series]
    assert refs == [
        ("'汇总'!E3", "'汇总'!$E$4:$E$5"),
        ("'汇总'!F3", "'汇总'!$F$4:$F$5"),
        ("'汇总'!G3", "'汇总'!$G$4:$G$5"),
        ("'汇总'!H3", "'汇总'!$H$4:$H$5"),
    ]
    assert [ws[s.tx.strRef.f.split("!")[1]].value for s in chart.series] == ["红色", "黄色", "蓝色", "无预警"]
    colours = [s.graphicalProperties.solidFill.srgbClr for s in chart.series]
    assert colours == ["D9363E", "FAAD14", "1677FF", "BFBFBF"]
    assert {s.cat.numRef.f if s.cat.numRef else s.cat.strRef.f for s in chart.series} == {"'汇总'!$A$4:$A$5"}


def test_the_chart_shares_a_page_with_a_short_table_and_takes_its_own_after_a_long_one(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = load_workbook(report(office, capsys))["汇总"]  # two sections
    assert not short.row_breaks.brk
    save(office, wide_ledger())
    long = build(weekly(office, date(2025, 6, 20)))["汇总"]  # twenty-four sections
    (brk,) = long.row_breaks.brk
    assert long.cell(brk.id, 1).value == "合计"  # the break comes after the total


def test_the_warning_list_runs_red_then_yellow_then_blue(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = load_workbook(report(office, capsys))["预警清单"]
    rows = values(ws)
    # Within a colour the nearest deadline first: 丙 (3) is due in 5 days, 5 at the year's end.
    assert [(r[0], r[2]) for r in rows] == [("红色", 1), ("黄色", 3), ("黄色", 5)]
    assert rows[0][9 + 1] == "已逾期19天，列入督办；本周无进展（7天来状态、进度和进展均未更新）"
    assert (rows[2][7], rows[2][8]) == (0.1, 0.44)  # progress against 序时进度: 154 of 348 days gone
    assert ws["A4"].fill.fgColor.rgb.endswith("FFCCC7")


def test_days_overdue_and_days_left_are_two_columns(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = load_workbook(report(office, capsys))["预警清单"]
    assert [c.value for c in ws[3]][5:7] == ["逾期\n天数", "剩余\n天数"]
    overdue, due_soon, far = ([c.value for c in r][5:7] for r in ws.iter_rows(min_row=4))
    assert (overdue, due_soon, far) == ([19, None], [None, 5], [None, None])


def test_ledger_text_that_looks_like_a_formula_is_written_as_text(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = report(office, capsys)
    ws = load_workbook(path)["预警清单"]
    cell = next(c for r in ws.iter_rows(min_row=4) for c in r if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"
    assert cell.quotePrefix  # as if typed with an apostrophe: editing it keeps it text
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
    out = office.parent / "r.xlsx"
    assert main(["report", "--config", str(office), "--today", "2025-06-20", "--out", str(out)]) == 0
    rows = values(load_workbook(out)["数据问题"])
    assert rows[0][:2] == ["整改台账", 5] and rows[0][4:7] == ["完成时限", "H5", "待定"]


def weekly(config: Path, day: date) -> WeeklyView:
    settings = load(config)
    ledger_now = pipeline.read(settings)
    known = pipeline.history(None, settings, day)
    return pipeline.view(settings, pipeline.assess(settings, ledger_now, day, known), known)


def test_the_problems_sheet_names_the_task_on_the_row_to_fix(office: Path) -> None:
    save(office, [row(1, "甲"), row(7, "乙", lead="水环境股", deadline="待定")])
    view = weekly(office, date(2025, 6, 20))
    rows = values(build(view)["数据问题"])
    assert rows == [
        ["整改台账", 6, 7, "水环境股", "完成时限", "H6", "待定", view.problems[0].message],
    ]


def test_every_sheet_prints_a4_landscape_fitted_to_the_width_with_page_numbers(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for ws in load_workbook(report(office, capsys)).worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
        assert ws["A1"].font.name == "微软雅黑"


def test_a_list_repeats_its_header_on_every_page_and_the_short_summary_does_not(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wb = load_workbook(report(office, capsys))
    for name in ("预警清单", "本周变化", "趋势"):
        assert (wb[name].print_title_rows, wb[name].freeze_panes) == ("$3:$3", "A4")
    # The summary fits on a page; its chart may take the next one, where a header is out of place.
    assert (wb["汇总"].print_title_rows, wb["汇总"].freeze_panes) == (None, "A4")


def test_an_empty_list_says_so_in_one_line_without_a_header(office: Path) -> None:
    save(office, WEEK1)  # no snapshot before: no changes; a clean ledger: no problems
    view = weekly(office, date(2025, 6, 20))
    wb = build(view)
    for name, line in (("本周变化", view.changes_intro), ("数据问题", "未发现数据问题。")):
        ws = wb[name]
        assert values(ws, first=2) == [[line]]
        assert (ws.print_title_rows, ws.freeze_panes) == (None, None)


def test_the_trend_reads_chinese_dates(office: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = load_workbook(report(office, capsys))["趋势"]
    assert ws["A4"].number_format == 'yyyy"年"m"月"d"日"'
    (chart,) = ws._charts
    assert chart.x_axis.numFmt.formatCode == 'm"月"d"日"'
    assert chart.y_axis.numFmt.formatCode == "0"  # counts, not 2.5 tasks


def test_every_sheet_is_narrow_enough_to_print_at_nine_points_or_more() -> None:
    # 10 pt text, shrunk by fit-to-width on A4 landscape, in the wider LibreOffice measure.
    for widths in (SUMMARY_WIDTHS, WARNING_WIDTHS, CHANGE_WIDTHS, TREND_WIDTHS, PROBLEM_WIDTHS):
        assert print_scale(widths) >= 0.9


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


LONG_TITLE = "对辖区内工业企业开展排污许可证后监管，核查自行监测、台账记录和执行报告，" * 4
LONG_NOTE = (
    "已完成第一轮现场核查，详见 http://example.gov.cn/zhenggai/tongbao/2025/06/20/xiangqing.html 。" * 3
)


def wide_ledger() -> list[list[Any]]:
    """Twenty-four sections with long names, long texts, every colour."""
    deadlines = ("2025年3月31日", "2025年6月25日", FAR, "2025年6月30日")
    return [
        row(
            n,
            f"{n}号问题：{LONG_TITLE}",
            f"沅江市第{n % 24 + 1}生态环境保护综合行政执法中队",
            deadlines[n % 4],
            "正在推进",
            (n % 10) / 10,
            measures=LONG_TITLE,
            support="市自然资源局、市住房和城乡建设局、市农业农村局、各乡镇人民政府",
            note=LONG_NOTE,
        )
        for n in range(1, 121)
    ]


@pytest.mark.slow
@needs_libreoffice
def test_the_sample_report_prints_at_nine_points_or_more(sample_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "整改进展周报.xlsx"
    assert main(["report", "--config", str(sample_config), "--today", "2025-06-20", "--out", str(out)]) == 0
    pdf = to_pdf(out, tmp_path / "pdf")
    sizes = font_sizes(pdf)
    assert min(min(page) for page in sizes) >= SMALLEST, [round(min(page), 1) for page in sizes]
    texts = page_texts(pdf)
    footers = [re.findall(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页", text) for text in texts]
    assert footers == [[(str(n), str(len(texts)))] for n in range(1, len(texts) + 1)]
    assert any("各牵头单位未完成任务（按预警颜色）" in text for text in texts)  # the chart is printed
    assert all(png.stat().st_size > 3_000 for png in pages(pdf, tmp_path / "pdf"))


@pytest.mark.slow
@needs_libreoffice
def test_a_wide_report_with_long_texts_prints_at_nine_points_or_more(office: Path, tmp_path: Path) -> None:
    save(office, wide_ledger())
    view = weekly(office, date(2025, 6, 20))
    out = tmp_path / "wide.xlsx"
    out.write_bytes(to_bytes(view))
    pdf = to_pdf(out, tmp_path / "pdf")
    sizes = font_sizes(pdf)
    assert len(sizes) > 10  # a long report, on many pages
    assert min(min(page) for page in sizes if page) >= SMALLEST, [
        round(min(page or [0]), 1) for page in sizes
    ]
    texts = page_texts(pdf)
    # The list runs over several pages, each under the header.
    assert sum(1 for t in texts if "逾期\n天数" in t and "剩余\n天数" in t) > 3
