"""Who a task is across weeks, when rows are inserted, sorted, renumbered or reworded."""

from __future__ import annotations

from datetime import date

from builders import task

from scheduler.core.identity import identify, normalize_title
from scheduler.core.model import Task
from scheduler.core.tracking import snapshot_of

LAST_WEEK = date(2025, 6, 13)


def rows(*items: tuple[str, str]) -> list[Task]:
    """Tasks in sheet order: (序号, title) each, from row 5 down."""
    return [task(f"整改台账!{5 + i}", no=no, title=title) for i, (no, title) in enumerate(items)]


def carried(before: list[Task], after: list[Task]) -> dict[str, str]:
    """Title → identity now, given last week's identities."""
    snapshot = snapshot_of(before, identify(before, None), LAST_WEEK)
    ids = identify(after, snapshot)
    return {t.title: ids[t.key] for t in after}


def first_ids(tasks: list[Task]) -> dict[str, str]:
    ids = identify(tasks, None)
    return {t.title: ids[t.key] for t in tasks}


WEEK1 = rows(("1", "秸秆禁烧"), ("2", "重污染天气"), ("3", "禁燃区划定"))


def test_it_identifies_a_task_by_sheet_and_unique_number() -> None:
    assert first_ids(WEEK1) == {
        "秸秆禁烧": "整改台账#1",
        "重污染天气": "整改台账#2",
        "禁燃区划定": "整改台账#3",
    }


def test_it_identifies_by_title_when_numbers_repeat_or_are_missing() -> None:
    ids = first_ids(rows(("1", "甲"), ("1", "乙"), ("", "丙")))
    assert ids == {"甲": "整改台账@甲", "乙": "整改台账@乙", "丙": "整改台账@丙"}


def test_identical_titles_without_numbers_still_get_distinct_identities() -> None:
    tasks = rows(("", "同一问题"), ("", "同一问题"))
    ids = identify(tasks, None)
    assert len(set(ids.values())) == 2


def test_a_row_inserted_and_renumbered_keeps_every_old_identity() -> None:
    week2 = rows(("1", "秸秆禁烧"), ("2", "新增问题"), ("3", "重污染天气"), ("4", "禁燃区划定"))
    ids = carried(WEEK1, week2)
    assert ids["秸秆禁烧"] == "整改台账#1"
    assert ids["重污染天气"] == "整改台账#2"
    assert ids["禁燃区划定"] == "整改台账#3"
    assert ids["新增问题"] not in {"整改台账#1", "整改台账#2", "整改台账#3"}


def test_rows_sorted_into_another_order_keep_their_identities() -> None:
    week2 = rows(("3", "禁燃区划定"), ("1", "秸秆禁烧"), ("2", "重污染天气"))
    assert carried(WEEK1, week2) == first_ids(WEEK1)


def test_renumbered_rows_are_matched_by_title() -> None:
    week2 = rows(("A1", "秸秆禁烧"), ("A2", "重污染天气"), ("A3", "禁燃区划定"))
    assert carried(WEEK1, week2) == first_ids(WEEK1)


def test_a_deleted_row_leaves_the_others_matched() -> None:
    week2 = rows(("1", "秸秆禁烧"), ("2", "禁燃区划定"))
    assert carried(WEEK1, week2) == {"秸秆禁烧": "整改台账#1", "禁燃区划定": "整改台账#3"}


def test_a_reworded_title_under_the_same_number_is_the_same_task() -> None:
    week2 = rows(("1", "秸秆禁烧管控"), ("2", "重污染天气"), ("3", "禁燃区划定"))
    assert carried(WEEK1, week2)["秸秆禁烧管控"] == "整改台账#1"


def test_a_different_task_under_a_reused_number_is_new() -> None:
    week2 = rows(("1", "秸秆禁烧"), ("2", "监测站持证人员不足"), ("3", "禁燃区划定"))
    ids = carried(WEEK1, week2)
    assert ids["监测站持证人员不足"] != "整改台账#2"
    assert ids["禁燃区划定"] == "整改台账#3"


def test_tasks_on_different_sheets_do_not_match_each_other() -> None:
    a = task("一!5", no="1", title="同名问题")
    b = task("二!5", no="1", title="同名问题")
    ids = identify([a, b], None)
    assert ids == {"一!5": "一#1", "二!5": "二#1"}


def test_titles_are_compared_without_spaces_punctuation_or_width() -> None:
    assert normalize_title("秸秆禁烧，管控不力。") == normalize_title("秸秆禁烧, 管控不力")
    assert normalize_title("ＰＭ２.５ 超标") == normalize_title("pm25超标")
