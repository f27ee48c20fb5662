from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from builders import Sheet, ledger, row, write

from scheduler.core.model import DeadlineKind, Status
from scheduler.errors import LedgerError
from scheduler.ledger import read_ledger

START = date(2025, 1, 17)


def read(path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return read_ledger([path], START, **kw)  # type: ignore[arg-type]


def test_it_reads_tasks_below_a_title_and_a_two_level_header(tmp_path: Path) -> None:
    path = write(
        tmp_path / "台账.xlsx",
        {
            "整改台账": ledger(
                [
                    row(
                        1,
                        "秸秆禁烧管控不力",
                        "大气环境股",
                        "2025年6月30日",
                        "正在推进",
                        0.6,
                        category="蓝天保卫战",
                        support="市农业农村局、各镇（街道、中心）",
                        note="网格化巡查",
                    ),
                ]
            )
        },
    )
    result = read(path)
    assert result.problems == ()
    (task,) = result.tasks
    assert (task.key, task.sheet, task.row, task.no) == ("整改台账!5", "整改台账", 5, "1")
    assert (task.category, task.title, task.measures, task.leader) == (
        "蓝天保卫战",
        "秸秆禁烧管控不力",
        "措施",
        "李红梅",
    )
    assert task.lead == ("大气环境股",)
    assert task.support == ("市农业农村局", "各镇（街道、中心）")
    assert task.deadline.date == date(2025, 6, 30)
    assert (task.status, task.status_text, task.progress, task.note) == (
        Status.OPEN,
        "正在推进",
        0.6,
        "网格化巡查",
    )


def test_a_vertical_merge_gives_its_value_to_every_row_it_covers(tmp_path: Path) -> None:
    rows = [
        row(1, "问题一", "水环境股", "2025年9月30日", category="碧水保卫战"),
        row(2, "问题二", None, None, category=None),  # type: ignore[arg-type]
        row(3, "问题三", "大气环境股", None, category=None),  # type: ignore[arg-type]
    ]
    path = write(tmp_path / "t.xlsx", {"台账": ledger(rows, merges=["B5:B7", "F5:F6", "H5:H7"])})
    tasks = read(path).tasks
    assert [t.category for t in tasks] == ["碧水保卫战"] * 3
    assert [t.lead for t in tasks] == [("水环境股",), ("水环境股",), ("大气环境股",)]
    assert [t.deadline.date for t in tasks] == [date(2025, 9, 30)] * 3


def test_a_banner_heading_becomes_the_category_of_the_rows_below(tmp_path: Path) -> None:
    rows = [
        ["（一）落实“守护一江碧水”有差距"],
        row(1, "问题一", category=""),
        row(2, "问题二", category=""),
        [None, None, "二、蓝天碧水净土保卫战差距大"],  # a lone text cell, not merged
        row(3, "问题三", category=""),
    ]
    path = write(tmp_path / "t.xlsx", {"台账": ledger(rows, merges=["A5:K5"])})
    tasks = read(path).tasks
    assert [t.no for t in tasks] == ["1", "2", "3"]
    assert [t.category for t in tasks] == [
        "（一）落实“守护一江碧水”有差距",
        "（一）落实“守护一江碧水”有差距",
        "二、蓝天碧水净土保卫战差距大",
    ]


def test_the_category_column_wins_over_a_banner(tmp_path: Path) -> None:
    rows = [["一、大类"], row(1, "问题一", category="小类")]
    path = write(tmp_path / "t.xlsx", {"台账": ledger(rows, merges=["A5:K5"])})
    assert read(path).tasks[0].category == "小类"


def test_it_skips_blank_rows_notes_totals_and_pre_numbered_empty_rows(tmp_path: Path) -> None:
    rows = [
        row(1, "问题一"),
        [],
        [None, None, None, None, None, None],
        [2],  # a row numbered in advance, still empty
        row(3, "问题三"),
        ["合计", None, "3项", None, None, None, None, None, None, 0.5],
        ["注：完成时限以整改方案为准。"],
        ["说明：本表每周五更新"],
    ]
    path = write(tmp_path / "t.xlsx", {"台账": ledger(rows, merges=["A11:K11"])})
    result = read(path)
    assert [t.title for t in result.tasks] == ["问题一", "问题三"]
    assert result.problems == ()


def test_it_reports_cells_it_cannot_understand_and_keeps_the_task(tmp_path: Path) -> None:
    rows = [
        row(1, "问题一", deadline="待定"),
        row(2, "问题二", lead="", progress="过半"),
    ]
    path = write(tmp_path / "台账.xlsx", {"整改台账": ledger(rows)})
    result = read(path)
    assert [t.no for t in result.tasks] == ["1", "2"]
    assert result.tasks[0].deadline.kind is DeadlineKind.UNKNOWN
    found = {(p.sheet, p.row, p.column, p.cell, p.value) for p in result.problems}
    assert found == {
        ("整改台账", 5, "完成时限", "H5", "待定"),
        ("整改台账", 6, "牵头单位", "F6", ""),
        ("整改台账", 6, "完成进度", "J6", "过半"),
    }
    assert all(p.message and p.file == str(path) for p in result.problems)


def test_every_column_lands_in_its_own_field(tmp_path: Path) -> None:
    # The reader builds tasks by position, for speed: each of the fourteen columns, all filled
    # with different text, must come out in the field it names.
    header = ["序号", "反馈问题", "具体问题", "整改措施", "责任领导", "牵头单位", "配合单位", "责任人",
              "开始时间", "完成时限", "整改状态", "完成进度", "整改进展", "备注"]  # fmt: skip
    cells = ["7", "类别", "问题", "措施", "领导", "大气环境股", "水环境股", "张三",
             "2025年2月1日", "2025年6月30日", "正在推进", "40%", "进展", "说明"]  # fmt: skip
    (task,) = read(write(tmp_path / "t.xlsx", {"台账": Sheet([header, cells])})).tasks
    assert (task.key, task.sheet, task.row, task.file) == ("台账!2", "台账", 2, str(tmp_path / "t.xlsx"))
    assert (task.no, task.category, task.title, task.measures, task.leader) == (
        "7",
        "类别",
        "问题",
        "措施",
        "领导",
    )
    assert (task.lead, task.support, task.owner) == (("大气环境股",), ("水环境股",), "张三")
    assert (task.start, task.deadline.date) == (date(2025, 2, 1), date(2025, 6, 30))
    assert (task.status, task.status_text, task.progress) == (Status.OPEN, "正在推进", 0.4)
    assert (task.note, task.remarks) == ("进展", "说明")


def test_one_rows_problems_are_listed_in_the_same_order_as_ever(tmp_path: Path) -> None:
    # The office compares lists week to week; the order must not move under them.
    rows = [row(1, "", "", "待定", progress="过半", measures="", category=""), row(2, "问题二")]
    result = read(write(tmp_path / "台账.xlsx", {"整改台账": ledger(rows)}))
    assert [p.cell for p in result.problems] == ["H5", "J5", "F5", "C5"]


def test_status_is_done_from_its_words_or_from_full_progress_with_no_status(tmp_path: Path) -> None:
    rows = [
        row(1, status="已销号", progress=0.3),
        row(2, status="", progress=1),
        row(3, status="未完成", progress=1),
        row(4, status="", progress=0.9),
        row(5, deadline="长期坚持", status="持续推进", progress=None),
        row(6, deadline="长期坚持", status="已完成", progress=None),
    ]
    path = write(tmp_path / "t.xlsx", {"台账": ledger(rows)})
    statuses = [t.status for t in read(path).tasks]
    assert statuses == [Status.DONE, Status.DONE, Status.OPEN, Status.OPEN, Status.ONGOING, Status.DONE]


def test_date_cells_and_percent_cells_are_read_as_values(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.xlsx",
        {
            "台账": ledger(
                [row(1, deadline=date(2025, 6, 25), progress=0.35)],
                formats={"H5": "yyyy年m月d日", "J5": "0%"},
            )
        },
    )
    (task,) = read(path).tasks
    assert (task.deadline.kind, task.deadline.date, task.progress) == (
        DeadlineKind.DATE,
        date(2025, 6, 25),
        0.35,
    )


def test_it_skips_sheets_that_are_not_ledgers_and_hidden_sheets(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.xlsx",
        {
            "填表说明": Sheet(rows=[["填表说明"], ["1. 每周五更新"]]),
            "台账": ledger([row(1, "可见")]),
            "联系人": Sheet(rows=[["股室", "电子邮箱"], ["大气环境股", "dq@example.gov.cn"]]),
            "旧台账": ledger([row(1, "隐藏")], hidden=True),
        },
    )
    assert [t.title for t in read(path).tasks] == ["可见"]


def test_listed_sheets_are_the_only_ones_read(tmp_path: Path) -> None:
    path = write(tmp_path / "t.xlsx", {"一": ledger([row(1, "甲")]), "二": ledger([row(1, "乙")])})
    assert [t.title for t in read(path).tasks] == ["甲", "乙"]
    assert [t.title for t in read(path, sheets=["二"]).tasks] == ["乙"]


def test_a_listed_sheet_that_is_missing_is_an_error_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path / "t.xlsx", {"一": ledger([row()])})
    with pytest.raises(LedgerError, match="没有名为“二”的工作表"):
        read(path, sheets=["二"])


def test_a_listed_sheet_without_a_header_is_an_error_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path / "t.xlsx", {"一": ledger([row()]), "说明": Sheet(rows=[["填表说明"]])})
    with pytest.raises(LedgerError, match=r"说明.*找不到表头"):
        read(path, sheets=["说明"])


def test_a_workbook_with_no_ledger_sheet_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "通讯录.xlsx", {"联系人": Sheet(rows=[["股室", "电子邮箱"]])})
    with pytest.raises(LedgerError, match=r"通讯录\.xlsx.*没有找到台账工作表"):
        read(path)


def test_custom_columns_read_a_ledger_with_unusual_headers(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.xlsx",
        {
            "台账": Sheet(
                rows=[
                    ["编号", "问题表述", "主办股室", "办结时间"],
                    [1, "问题一", "监测站", "2025年6月30日"],
                ]
            )
        },
    )
    with pytest.raises(LedgerError):
        read(path)
    columns = {"title": ("问题表述",), "lead": ("主办股室",), "deadline": ("办结时间",)}
    (task,) = read(path, columns=columns).tasks
    assert (task.title, task.lead, task.deadline.date) == ("问题一", ("监测站",), date(2025, 6, 30))


def test_tasks_from_several_files_carry_the_file_name_in_their_key(tmp_path: Path) -> None:
    a = write(tmp_path / "a.xlsx", {"台账": ledger([row(1)])})
    b = write(tmp_path / "b.xlsx", {"台账": ledger([row(1)])})
    keys = [t.key for t in read_ledger([a, b], START).tasks]
    assert keys == ["a.xlsx:台账!5", "b.xlsx:台账!5"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing.xlsx", None, "文件不存在"),
        ("notes.txt", b"hello", "只支持 Excel 文件"),
        ("broken.xlsx", b"PK\x03\x04 this is not a zip", "已损坏或不是 Excel 文件"),
        ("empty.xlsx", b"", "文件是空的"),
        ("text.xls", "序号,具体问题\n".encode(), "已损坏或不是 Excel 文件"),
    ],
)
def test_it_names_the_file_and_the_reason_when_it_cannot_read_it(
    tmp_path: Path, name: str, content: bytes | None, reason: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(LedgerError) as caught:
        read(path)
    assert str(path) in caught.value.message
    assert reason in caught.value.message


def test_a_half_copied_workbook_is_an_error_not_a_partial_read(tmp_path: Path) -> None:
    whole = write(tmp_path / "whole.xlsx", {"台账": ledger([row(n) for n in range(1, 50)])})
    half = tmp_path / "half.xlsx"
    half.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(LedgerError, match="已损坏"):
        read(half)


def test_a_file_locked_by_another_program_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Excel on Windows holds a share lock that makes reads fail with PermissionError. Root on
    # Linux cannot be locked out of a file, so the OS refusal itself is simulated here.
    path = write(tmp_path / "t.xlsx", {"台账": ledger([row()])})

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(LedgerError, match="被占用"):
        read(path)


def test_it_never_writes_to_the_ledger(tmp_path: Path) -> None:
    path = write(tmp_path / "t.xlsx", {"台账": ledger([row()], merges=["B5:B5"])})
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    read(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def _rewrite_sheet_xml(path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = change(xml).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize("used_range", ["A1:XFD1048576", "A1:B2"])
def test_a_wrong_used_range_does_not_change_what_is_read(tmp_path: Path, used_range: str) -> None:
    # WPS can save a <dimension> that is far too large or too small for the data.
    path = write(tmp_path / "t.xlsx", {"台账": ledger([row(1, "甲"), row(2, "乙")])})
    wrong = f'<dimension ref="{used_range}"'
    _rewrite_sheet_xml(path, lambda xml: re.sub(r'<dimension ref="[^"]*"', wrong, xml))
    assert [t.title for t in read(path).tasks] == ["甲", "乙"]


def test_styled_empty_cells_far_below_the_data_are_ignored(tmp_path: Path) -> None:
    path = write(tmp_path / "t.xlsx", {"台账": ledger([row(1, "甲")])})
    far = '<row r="1048576"><c r="XFD1048576" s="0"/></row></sheetData>'
    _rewrite_sheet_xml(path, lambda xml: xml.replace("</sheetData>", far))
    assert [t.title for t in read(path).tasks] == ["甲"]


def test_it_reads_macro_enabled_workbooks(tmp_path: Path) -> None:
    path = write(tmp_path / "台账.xlsm", {"台账": ledger([row(1, "甲")])})
    assert [t.title for t in read(path).tasks] == ["甲"]


def test_a_contacts_sheet_becomes_the_address_book(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.xlsx",
        {
            "台账": ledger([row()]),
            "联系人": Sheet(
                rows=[
                    ["通讯录"],
                    ["股室", "联系人", "电子邮箱"],
                    ["大气环境股", "刘洋", "dq@example.gov.cn"],
                    ["水环境股", "周敏", "a@example.gov.cn；b@example.gov.cn"],
                    ["监测站", "钱进", "jc(at)example.gov.cn"],
                    ["办公室", "孙丽", ""],
                ]
            ),
        },
    )
    result = read(path)
    assert result.contacts == {
        "大气环境股": ("dq@example.gov.cn",),
        "水环境股": ("a@example.gov.cn", "b@example.gov.cn"),
    }
    (problem,) = result.problems
    assert (problem.sheet, problem.row, problem.column, problem.cell) == ("联系人", 5, "电子邮箱", "C5")
    assert "监测站" in problem.message


def test_a_row_with_only_its_title_is_a_task_with_problems_not_a_heading(tmp_path: Path) -> None:
    rows = [
        row(1, "问题一", category=""),
        [None, None, "新发现的问题，其他待填"],
        row(3, "问题三", category=""),
    ]
    result = read(write(tmp_path / "t.xlsx", {"台账": ledger(rows)}))
    assert [t.title for t in result.tasks] == ["问题一", "新发现的问题，其他待填", "问题三"]
    assert result.tasks[2].category == ""  # it did not become the category of the rows below
    assert {(p.row, p.column) for p in result.problems} == {(6, "牵头单位"), (6, "完成时限")}


def test_the_contacts_sheet_is_read_when_the_ledger_sheets_are_listed(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.xlsx",
        {
            "台账": ledger([row()]),
            "联系人": Sheet(rows=[["股室", "邮箱"], ["大气环境股", "dq@example.gov.cn"]]),
        },
    )
    assert read(path, sheets=["台账"]).contacts == {"大气环境股": ("dq@example.gov.cn",)}


def test_a_plain_1_among_typed_percents_is_100_percent_and_flagged_unless_done(tmp_path: Path) -> None:
    rows = [
        row(1, progress=60, status=""),
        row(2, progress=1, status=""),  # 100% or 1%? it decides whether the task is done
        row(3, progress=1, status="已完成"),  # done either way: nothing to ask
    ]
    result = read(write(tmp_path / "t.xlsx", {"台账": ledger(rows, formats={"J7": "0%"})}))
    assert [(t.progress, t.status) for t in result.tasks] == [
        (0.6, Status.OPEN),
        (1.0, Status.DONE),
        (1.0, Status.DONE),
    ]
    (problem,) = result.problems
    assert (problem.cell, problem.value) == ("J6", "1") and "1%" in problem.message


def test_a_percent_formatted_column_reads_1_as_100_percent_without_question(tmp_path: Path) -> None:
    rows = [row(1, progress=0.5, status=""), row(2, progress=1, status="")]
    result = read(write(tmp_path / "t.xlsx", {"台账": ledger(rows, formats={"J5": "0%", "J6": "0%"})}))
    assert [t.progress for t in result.tasks] == [0.5, 1.0] and result.problems == ()


def test_a_missing_or_misnamed_column_is_one_problem_not_one_per_row(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.xlsx",
        {
            "台账": Sheet(
                rows=[["编号", "问题表述", "主办股室", "办结时间"]]
                + [[n, f"问题{n}", "监测站", "2025年6月30日"] for n in range(1, 6)]
            )
        },
    )
    columns = {"title": ("问题表述",), "lead": ("主办科室",), "deadline": ("办结时间",)}  # 科室: a typo
    result = read(path, columns=columns)
    assert len(result.tasks) == 5
    (problem,) = result.problems
    assert (problem.sheet, problem.row, problem.cell, problem.value) == ("台账", 1, "表头", "主办科室")
    assert "主办股室" in problem.message  # the columns it does have, to compare with
    assert all(t.lead == () for t in result.tasks)
