from __future__ import annotations

from typing import Any

from scheduler.ledger.header import Matcher, find_header, normalize


def grid(*rows: list[Any]) -> list[list[Any]]:
    return [list(r) for r in rows]


def test_it_normalizes_spaces_breaks_brackets_and_colons() -> None:
    assert normalize(" 完成\n时限 ") == "完成时限"
    assert normalize("完成进度（%）") == "完成进度(%)"
    assert normalize("责任单位：") == "责任单位"
    assert normalize("责任单位:") == "责任单位"
    assert normalize("*完成时限") == "完成时限"


def test_it_finds_the_header_below_title_and_filing_rows() -> None:
    header = find_header(
        grid(
            ["某某局整改任务台账", "", "", ""],
            ["填报单位：办公室  填报时间：2025年6月20日", "", "", ""],
            ["", "", "", ""],
            ["序号", "具体问题", "牵头单位", "完成时限"],
            [1, "问题", "大气环境股", "2025年6月30日"],
        ),
        Matcher({}),
    )
    assert header is not None
    assert header.first_data_row == 4
    assert header.columns == {"no": 0, "title": 1, "lead": 2, "deadline": 3}


def test_it_combines_a_two_level_header() -> None:
    # As the reader hands it over: merged parents already filled across and down.
    header = find_header(
        grid(
            ["序号", "具体问题", "责任单位", "责任单位", "完成时限", "整改情况", "整改情况", "整改情况"],
            ["序号", "具体问题", "牵头单位", "配合单位", "完成时限", "整改状态", "完成进度", "整改进展"],
            [1, "问题", "大气环境股", "", "2025年6月30日", "未完成", 0.5, "进展"],
        ),
        Matcher({}),
    )
    assert header is not None
    assert header.first_data_row == 2
    assert header.columns == {
        "no": 0,
        "title": 1,
        "lead": 2,
        "support": 3,
        "deadline": 4,
        "status": 5,
        "progress": 6,
        "note": 7,
    }


def test_it_reads_headers_with_line_breaks_and_full_width_brackets() -> None:
    header = find_header(
        grid(["序 号", "具体\n问题", "责任股室（单位）", "完成时限（年月日）", "完成进度(%)"]),
        Matcher({}),
    )
    assert header is not None
    assert header.columns == {"no": 0, "title": 1, "lead": 2, "deadline": 3, "progress": 4}


def test_custom_columns_map_headers_the_detector_does_not_know() -> None:
    rows = grid(["编 号", "问题表述", "主办股室", "办结时间"])
    assert find_header(rows, Matcher({})) is None
    header = find_header(
        rows, Matcher({"title": ("问题表述",), "lead": ("主办股室",), "deadline": ("办结时间",)})
    )
    assert header is not None
    assert header.columns == {"no": 0, "title": 1, "lead": 2, "deadline": 3}


def test_a_contacts_sheet_is_not_a_ledger() -> None:
    assert (
        find_header(grid(["股室", "联系人", "电子邮箱"], ["办公室", "孙丽", "a@b.cn"]), Matcher({})) is None
    )


def test_an_instructions_sheet_is_not_a_ledger() -> None:
    assert find_header(grid(["填表说明"], ["1. 完成时限填写具体日期"]), Matcher({})) is None


def test_it_looks_no_further_than_twenty_rows() -> None:
    rows = [["说明"] for _ in range(20)] + [["序号", "具体问题", "完成时限"]]
    assert find_header(rows, Matcher({})) is None
    assert find_header(rows[1:], Matcher({})) is not None
