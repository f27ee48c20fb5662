from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.core.model import DeadlineKind
from scheduler.ledger.dates import parse_day, parse_deadline

START = date(2025, 1, 17)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025年6月30日", date(2025, 6, 30)),
        ("2025年6月30日前", date(2025, 6, 30)),
        ("2025年6月30日之前", date(2025, 6, 30)),
        ("2025-06-30", date(2025, 6, 30)),
        ("2025/6/30", date(2025, 6, 30)),
        ("2025.6.30", date(2025, 6, 30)),
        ("2025.6.30前", date(2025, 6, 30)),
        ("２０２５年６月３０日", date(2025, 6, 30)),
        (" 2025 年 6 月 30 日 ", date(2025, 6, 30)),
        ("20250630", date(2025, 6, 30)),
        ("2025年6月", date(2025, 6, 30)),
        ("2025年6月底", date(2025, 6, 30)),
        ("2025年6月底前", date(2025, 6, 30)),
        ("2025年2月底前", date(2025, 2, 28)),
        ("2024年2月底前", date(2024, 2, 29)),
        ("2025年底", date(2025, 12, 31)),
        ("2025年底前", date(2025, 12, 31)),
        ("2025年", date(2025, 12, 31)),
        ("上半年", date(2025, 6, 30)),
        ("下半年", date(2025, 12, 31)),
        ("2026年上半年", date(2026, 6, 30)),
        ("一季度", date(2025, 3, 31)),
        ("二季度", date(2025, 6, 30)),
        ("第三季度", date(2025, 9, 30)),
        ("第四季度", date(2025, 12, 31)),
        ("2025年第三季度", date(2025, 9, 30)),
        ("6月底前", date(2025, 6, 30)),
        ("12月底", date(2025, 12, 31)),
        ("6月15日前", date(2025, 6, 15)),
        ("2025年6月中旬", date(2025, 6, 20)),
        ("2025年6月上旬", date(2025, 6, 10)),
        ("2025年6月下旬", date(2025, 6, 30)),
    ],
)
def test_it_reads_every_written_date_form(text: str, expected: date) -> None:
    deadline, problem = parse_deadline(text, START)
    assert problem is None
    assert deadline.kind is DeadlineKind.DATE
    assert deadline.date == expected
    assert deadline.text == text.strip()


def test_a_date_without_a_year_is_its_first_occurrence_on_or_after_the_plan_start() -> None:
    assert parse_deadline("1月10日", START)[0].date == date(2026, 1, 10)
    assert parse_deadline("1月17日", START)[0].date == date(2025, 1, 17)
    assert parse_deadline("1月底", START)[0].date == date(2025, 1, 31)
    assert parse_deadline("一季度", date(2025, 4, 1))[0].date == date(2026, 3, 31)


def test_it_takes_the_last_of_several_dates() -> None:
    deadline, _ = parse_deadline("2025年3月启动，2025年6月底前完成", START)
    assert deadline.date == date(2025, 6, 30)
    deadline, _ = parse_deadline("3月底前制定方案，9月30日前完成整改", START)
    assert deadline.date == date(2025, 9, 30)


@pytest.mark.parametrize("text", ["长期坚持", "长期", "持续推进", "常态化", "立行立改，长期坚持"])
def test_it_reads_ongoing_deadlines_as_having_no_date(text: str) -> None:
    deadline, problem = parse_deadline(text, START)
    assert (deadline.kind, deadline.date, problem) == (DeadlineKind.ONGOING, None, None)


def test_immediate_items_are_due_on_the_plan_start() -> None:
    deadline, problem = parse_deadline("立行立改", START)
    assert (deadline.kind, deadline.date, problem) == (DeadlineKind.IMMEDIATE, START, None)


def test_a_date_wins_over_ongoing_words_in_the_same_cell() -> None:
    deadline, _ = parse_deadline("2025年6月底前完成，并长期坚持", START)
    assert (deadline.kind, deadline.date) == (DeadlineKind.DATE, date(2025, 6, 30))


@pytest.mark.parametrize("text", ["待定", "尽快", "按上级要求", "ASAP"])
def test_it_keeps_unreadable_text_as_unknown_with_a_message(text: str) -> None:
    deadline, problem = parse_deadline(text, START)
    assert deadline.kind is DeadlineKind.UNKNOWN
    assert deadline.date is None
    assert deadline.text == text
    assert problem is not None and "无法识别" in problem


@pytest.mark.parametrize("text", ["2025年2月30日", "2025年13月", "2025/6/31", "0000年"])
def test_it_reports_dates_that_do_not_exist(text: str) -> None:
    deadline, problem = parse_deadline(text, START)
    assert deadline.kind is DeadlineKind.UNKNOWN
    assert problem is not None and problem.startswith("日期不存在")


@pytest.mark.parametrize("value", [None, "", "   "])
def test_an_empty_deadline_is_a_problem(value: object) -> None:
    deadline, problem = parse_deadline(value, START)  # type: ignore[arg-type]
    assert deadline.kind is DeadlineKind.UNKNOWN
    assert problem is not None and "为空" in problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2025, 6, 30), date(2025, 6, 30)),
        (datetime(2025, 6, 30, 17, 30), date(2025, 6, 30)),
        (45838.0, date(2025, 6, 30)),  # an Excel day number in a cell without a date format
        (45838, date(2025, 6, 30)),
        (20250630, date(2025, 6, 30)),
    ],
)
def test_it_reads_date_cells_and_date_numbers(value: object, expected: date) -> None:
    deadline, problem = parse_deadline(value, START)  # type: ignore[arg-type]
    assert (deadline.kind, deadline.date, problem) == (DeadlineKind.DATE, expected, None)


@pytest.mark.parametrize("value", [3.5, 7, True, 99999999])
def test_other_numbers_are_unknown(value: object) -> None:
    deadline, problem = parse_deadline(value, START)  # type: ignore[arg-type]
    assert deadline.kind is DeadlineKind.UNKNOWN
    assert problem is not None


def test_parse_day_only_accepts_a_day() -> None:
    assert parse_day("2025年3月1日", START) == date(2025, 3, 1)
    assert parse_day("长期坚持", START) is None
    assert parse_day("立行立改", START) is None


cells = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="0123456789年月日底前上下半季度第一二三四/.-号旬中末长期立行改 ", max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    st.booleans(),
)


@given(value=cells, start=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 1, 1)))
def test_no_cell_value_can_crash_the_deadline_parser(value: object, start: date) -> None:
    deadline, problem = parse_deadline(value, start)  # type: ignore[arg-type]
    assert deadline.kind in DeadlineKind
    assert (deadline.date is None) == (deadline.kind in (DeadlineKind.UNKNOWN, DeadlineKind.ONGOING))
    assert (problem is not None) == (deadline.kind is DeadlineKind.UNKNOWN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025年4季度", date(2025, 12, 31)),
        ("2025年3季度前", date(2025, 9, 30)),
        ("2025年1季度", date(2025, 3, 31)),
    ],
)
def test_a_quarter_written_with_a_digit_after_the_year_is_a_quarter_not_a_month(
    text: str, expected: date
) -> None:
    assert parse_deadline(text, START)[0].date == expected
