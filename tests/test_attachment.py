"""A section's attachment, opened again and printed: a sheet the section can print and edit."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from builders import task
from openpyxl import load_workbook
from paper import SMALLEST, font_sizes, needs_libreoffice, page_texts, pages, to_pdf

from scheduler.config import load
from scheduler.core.model import Alert, AlertCode, Level, Task
from scheduler.mail.compose import Entry, SectionMail
from scheduler.mail.drafts import section_draft
from scheduler.views.attachment import HEADER, WIDTHS, section_workbook
from scheduler.views.xlsx import print_scale

TODAY = date(2025, 6, 20)
OFFICE = "益阳市生态环境局沅江分局"
RED = Alert(AlertCode.OVERDUE, Level.RED, "已逾期19天，列入督办", days=19, escalate=True)
STALE = Alert(AlertCode.STALE, Level.YELLOW, "本周无进展")
SOON = Alert(AlertCode.DUE_SOON, Level.BLUE, "距完成时限还有5天", days=5)

TASKS = [
    task("整改台账!5", no="12", title="重污染天气管控不到位", deadline=date(2025, 6, 1), progress=0.6),
    task("整改台账!6", no="3.1", title="秸秆禁烧管控不力", deadline=date(2025, 6, 25), progress=None),
    task("整改台账!7", no="13", title='=HYPERLINK("http://example.com","点我")', status="done", progress=1),
]
ALERTS = {"整改台账!5": [STALE, RED], "整改台账!6": [SOON]}


def sheet(tasks: list[Task] = TASKS, alerts: dict[str, list[Alert]] = ALERTS) -> Any:
    content = section_workbook("大气环境股", tasks, alerts, today=TODAY, office=OFFICE)
    return load_workbook(io.BytesIO(content)).active


def test_it_prints_a4_landscape_fitted_to_the_width_with_the_header_on_every_page() -> None:
    ws = sheet()
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.print_title_rows, ws.freeze_panes) == ("$3:$3", "A4")
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
    assert ws.page_margins.left == ws.page_margins.right == 0.4
    assert all(ws.cell(4, column).alignment.wrap_text for column in range(1, len(HEADER) + 1))


def test_its_columns_print_at_nine_points_or_more() -> None:
    assert print_scale(WIDTHS) >= 0.9  # 10 pt text, shrunk by fit-to-width, in the wider measure


def test_it_opens_with_a_title_naming_the_section_the_day_and_the_office() -> None:
    ws = sheet()
    assert ws["A1"].value == "大气环境股整改任务（截至2025年6月20日） · 益阳市生态环境局沅江分局"
    assert ws["A2"].value == "共 3 项，已完成 1 项；红色 1 项、黄色 0 项、蓝色 1 项。"
    assert [c.value for c in ws[3]] == list(HEADER)
    assert ws.auto_filter.ref == "A3:K6"  # sort or filter by 预警


def test_numbers_are_stored_as_numbers_and_text_as_text() -> None:
    ws = sheet()
    no, progress = ws["A4"], ws["I4"]
    assert (no.value, no.data_type) == (12, "n")
    assert (progress.value, progress.data_type, progress.number_format) == (0.6, "n", "0%")
    assert ws["A5"].value == "3.1"  # a sub-number is not a number
    assert ws["I5"].value is None  # no progress written: an empty cell, not "—"
    assert ws["C6"].value.startswith("=HYPERLINK") and ws["C6"].data_type == "s"  # never a formula


def test_each_task_shows_its_worst_light_with_the_row_tinted_and_every_warning() -> None:
    ws = sheet()
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert [(r[0], r[1], r[-1]) for r in rows] == [
        (12, "红色", "本周无进展；已逾期19天，列入督办"),  # red and yellow: red
        ("3.1", "蓝色", "距完成时限还有5天"),
        (13, None, None),
    ]
    assert {c.fill.fgColor.rgb[-6:] for c in ws[4]} == {"FFCCC7"}  # the whole row, red
    assert {c.fill.fgColor.rgb[-6:] for c in ws[5]} == {"BAE0FF"}
    assert ws["A6"].fill.fill_type is None


def test_the_section_draft_attaches_it_for_the_office_and_the_day(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[office]\nname = "{OFFICE}"\n[ledger]\npath = "台账.xlsx"\n[plan]\nstart = 2025-01-17\n',
        encoding="utf-8",
    )
    mail = SectionMail("大气环境股", ("dq@example.gov.cn",), (), (Entry(TASKS[0], "id", (RED,)),))
    draft = section_draft(load(config), mail, TASKS, {k: list(v) for k, v in ALERTS.items()}, TODAY)
    ((name, content),) = draft.attachments
    assert name == "大气环境股整改任务_20250620.xlsx"
    ws = load_workbook(io.BytesIO(content)).active
    assert ws["A1"].value == f"大气环境股整改任务（截至2025年6月20日） · {OFFICE}"


LONG = "对辖区内工业企业开展排污许可证后监管，核查自行监测、台账记录和执行报告，" * 3


@pytest.mark.slow
@needs_libreoffice
def test_a_long_attachment_prints_at_nine_points_or_more_under_its_header(tmp_path: Path) -> None:
    tasks = [
        replace(
            task(f"整改台账!{n + 5}", no=str(n), title=f"{n}号问题：{LONG}", deadline=date(2025, 6, 1)),
            measures=LONG,
            support=("市自然资源局", "市住房和城乡建设局", "各乡镇人民政府"),
            note=f"已完成第一轮现场核查，详见 http://example.gov.cn/zhenggai/{n}/xiangqing.html 。" * 2,
        )
        for n in range(1, 41)
    ]
    alerts = {t.key: [RED] for t in tasks[::3]}
    path = tmp_path / "大气环境股整改任务_20250620.xlsx"
    path.write_bytes(section_workbook("大气环境股", tasks, alerts, today=TODAY, office=OFFICE))
    pdf = to_pdf(path, tmp_path / "pdf")
    sizes = font_sizes(pdf)
    assert len(sizes) > 3
    assert min(min(page) for page in sizes) >= SMALLEST, [round(min(page), 1) for page in sizes]
    texts = page_texts(pdf)
    assert all("整改措施" in text and "预警说明" in text for text in texts)  # the header on every page
    assert "大气环境股整改任务（截至2025年6月20日）" in texts[0]
    assert all(png.stat().st_size > 3_000 for png in pages(pdf, tmp_path / "pdf"))
