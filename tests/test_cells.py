from __future__ import annotations

from datetime import date, datetime

import pytest

from scheduler.ledger.cells import parse_progress, says_done, split_sections, text


@pytest.mark.parametrize(
    ("cell", "names"),
    [
        ("大气环境股", ("大气环境股",)),
        ("大气环境股、水环境股", ("大气环境股", "水环境股")),
        ("大气环境股，水环境股,执法大队", ("大气环境股", "水环境股", "执法大队")),
        ("大气环境股；水环境股;监测站", ("大气环境股", "水环境股", "监测站")),
        ("大气环境股/水环境股／监测站", ("大气环境股", "水环境股", "监测站")),
        ("大气环境股\n水环境股", ("大气环境股", "水环境股")),
        ("各镇（街道、中心）", ("各镇（街道、中心）",)),
        ("市农业农村局、各镇(街道、中心)", ("市农业农村局", "各镇(街道、中心)")),
        (" 水环境股 、、 水环境股 ", ("水环境股",)),
        ("", ()),
    ],
)
def test_it_splits_sections_outside_brackets(cell: str, names: tuple[str, ...]) -> None:
    assert split_sections(cell) == names


@pytest.mark.parametrize(
    "status",
    ["已完成", "完成", "已整改", "整改完成", "已销号", "办结", "已办结", "已落实", "整改到位", "全部完成"],
)
def test_it_reads_finished_statuses_as_done(status: str) -> None:
    assert says_done(status)


@pytest.mark.parametrize(
    "status",
    [
        "未完成",
        "尚未完成",
        "没有完成",
        "未销号",
        "正在推进",
        "基本完成",
        "部分完成",
        "持续推进",
        "阶段性完成",
        "完成80%",
        "待销号",
        "",
        "推进中",
    ],
)
def test_it_does_not_read_negated_or_partial_statuses_as_done(status: str) -> None:
    assert not says_done(status)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.6, 0.6),  # a percent-formatted cell
        (0, 0.0),
        (1, 1.0),
        (60, 0.6),  # a percent typed as a plain number
        (100, 1.0),
        ("60%", 0.6),
        ("６０％", 0.6),
        ("60", 0.6),
        ("0.6", 0.6),
        ("12.5%", 0.125),
        (None, None),
        ("", None),
    ],
)
def test_it_reads_progress_written_three_ways(value: object, expected: float | None) -> None:
    progress, problem = parse_progress(value)  # type: ignore[arg-type]
    assert problem is None
    assert progress == expected


@pytest.mark.parametrize("value", ["过半", "120%", 150, -5, "完成", date(2025, 1, 1)])
def test_it_reports_progress_it_cannot_read(value: object) -> None:
    progress, problem = parse_progress(value)  # type: ignore[arg-type]
    assert progress is None
    assert problem


def test_cell_text_shows_values_as_the_office_sees_them() -> None:
    assert text(3.0) == "3"
    assert text(" 序号 ") == "序号"
    assert text(None) == ""
    assert text(datetime(2025, 6, 30)) == "2025-06-30"
    assert text(date(2025, 6, 30)) == "2025-06-30"


def test_a_column_of_typed_percents_is_recognised() -> None:
    from scheduler.ledger.cells import typed_as_percents

    assert typed_as_percents([60, 1, None, "30%"]) and not typed_as_percents([0.6, 1, 0.3])


@pytest.mark.parametrize("status", ["是", "√", "Y"])
def test_a_yes_in_a_done_column_means_done(status: str) -> None:
    assert says_done(status)
    assert not says_done("否")
