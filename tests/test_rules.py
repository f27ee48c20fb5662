"""The pure core: tasks + today (+ earlier weeks) → warnings. No files, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from builders import task

from scheduler.core import clock
from scheduler.core.identity import identify
from scheduler.core.model import AlertCode, Level, Snapshot
from scheduler.core.rules import AlertSettings, History, RuleSettings, assess
from scheduler.core.tracking import snapshot_of

T = date(2025, 6, 20)
START = date(2025, 1, 17)
SETTINGS = RuleSettings(plan_start=START)


def codes(t, today=T, settings=SETTINGS, history=None):  # type: ignore[no-untyped-def]
    return [(a.code, a.days) for a in assess([t], today, settings, history).get(t.key, [])]


def test_a_deadline_today_is_due_soon_with_zero_days() -> None:
    alerts = assess([task(deadline=T)], T, SETTINGS)["整改台账!5"]
    assert [(a.code, a.level, a.days, a.message) for a in alerts] == [
        (AlertCode.DUE_SOON, Level.BLUE, 0, "今天到期")
    ]


def test_due_soon_reaches_exactly_due_soon_days_ahead() -> None:
    assert codes(task(deadline=T + timedelta(days=7))) == [(AlertCode.DUE_SOON, 7)]
    assert codes(task(deadline=T + timedelta(days=8))) == []
    wider = RuleSettings(plan_start=START, alerts=AlertSettings(due_soon_days=8))
    assert codes(task(deadline=T + timedelta(days=8)), settings=wider) == [(AlertCode.DUE_SOON, 8)]


def test_a_deadline_yesterday_is_one_day_overdue() -> None:
    (alert,) = assess([task(deadline=T - timedelta(days=1))], T, SETTINGS)["整改台账!5"]
    assert (alert.code, alert.level, alert.days, alert.message) == (
        AlertCode.OVERDUE,
        Level.RED,
        1,
        "已逾期1天",
    )
    assert not alert.escalate


def test_it_escalates_items_overdue_past_escalate_after_days() -> None:
    (at_limit,) = assess([task(deadline=T - timedelta(days=14))], T, SETTINGS)["整改台账!5"]
    (past,) = assess([task(deadline=T - timedelta(days=15))], T, SETTINGS)["整改台账!5"]
    assert not at_limit.escalate
    assert past.escalate and past.message == "已逾期15天，列入督办"


def test_an_immediate_item_not_done_is_overdue_from_the_plan_start() -> None:
    assert codes(task(deadline="immediate")) == [(AlertCode.OVERDUE, (T - START).days)]
    assert codes(task(deadline="immediate"), today=START) == [(AlertCode.DUE_SOON, 0)]


def test_it_skips_done_tasks() -> None:
    done = task(deadline=T - timedelta(days=30), status="done", progress=0.2)
    assert assess([done], T, SETTINGS) == {}


def test_ongoing_and_unknown_deadlines_get_no_date_warnings() -> None:
    assert codes(task(deadline="ongoing", status="ongoing", progress=0.1)) == []
    assert codes(task(deadline="待定", progress=0.0)) == []


def test_behind_schedule_compares_progress_with_the_share_of_time_gone() -> None:
    # 100 days from start to deadline, 44 gone: 序时进度 44%.
    start, deadline = T - timedelta(days=44), T + timedelta(days=56)
    (alert,) = assess([task(deadline=deadline, start=start, progress=0.3)], T, SETTINGS)["整改台账!5"]
    assert (alert.code, alert.level, alert.expected, alert.actual) == (
        AlertCode.BEHIND,
        Level.YELLOW,
        0.44,
        0.3,
    )
    assert alert.message == "进度30%，低于序时进度44%"


def test_progress_exactly_on_the_tolerance_line_is_not_behind() -> None:
    start, deadline = T - timedelta(days=44), T + timedelta(days=56)
    assert codes(task(deadline=deadline, start=start, progress=0.34)) == []
    assert codes(task(deadline=deadline, start=start, progress=0.3399)) == [(AlertCode.BEHIND, None)]


def test_behind_schedule_uses_the_plan_start_when_the_task_has_none() -> None:
    deadline = START + timedelta(days=200)
    today = START + timedelta(days=100)  # half the time gone
    assert codes(task(deadline=deadline, progress=0.41), today=today) == []
    assert codes(task(deadline=deadline, progress=0.39), today=today) == [(AlertCode.BEHIND, None)]


def test_a_start_equal_to_the_deadline_does_not_divide_by_zero() -> None:
    assert codes(task(deadline=T, start=T, progress=0.0)) == [(AlertCode.DUE_SOON, 0)]
    assert codes(task(deadline="immediate", progress=0.0), today=START) == [(AlertCode.DUE_SOON, 0)]


def test_behind_schedule_needs_a_known_progress() -> None:
    assert codes(task(deadline=T + timedelta(days=30), progress=None)) == []


def test_warnings_come_worst_first() -> None:
    start, deadline = T - timedelta(days=95), T + timedelta(days=5)
    alerts = assess([task(deadline=deadline, start=start, progress=0.1)], T, SETTINGS)["整改台账!5"]
    assert [a.level for a in alerts] == [Level.YELLOW, Level.BLUE]


def _history(tasks, base_day, base_tasks=None, done_since=None):  # type: ignore[no-untyped-def]
    base_tasks = base_tasks if base_tasks is not None else tasks
    base = snapshot_of(base_tasks, identify(base_tasks, None), base_day)
    return History(identities=identify(tasks, base), stale_base=base, done_since=done_since or {})


def test_a_task_unchanged_since_last_weeks_snapshot_is_stale() -> None:
    t = task(deadline=T + timedelta(days=60), progress=0.9)
    history = _history([t], T - timedelta(days=7))
    (alert,) = assess([t], T, SETTINGS, history)["整改台账!5"]
    assert (alert.code, alert.level, alert.days) == (AlertCode.STALE, Level.YELLOW, 7)
    assert alert.message.startswith("本周无进展")


def test_ongoing_items_can_be_stale() -> None:
    t = task(deadline="ongoing", status="ongoing")
    assert codes(t, history=_history([t], T - timedelta(days=7))) == [(AlertCode.STALE, 7)]


def test_a_changed_status_progress_or_note_is_not_stale() -> None:
    before = task(deadline=T + timedelta(days=60), progress=0.9)
    for after in (
        task(deadline=T + timedelta(days=60), progress=0.95),
        task(deadline=T + timedelta(days=60), progress=0.9, note="本周召开推进会"),
        task(deadline=T + timedelta(days=60), progress=0.9, status_text="加快推进"),
    ):
        assert codes(after, history=_history([after], T - timedelta(days=7), [before])) == []


def test_there_is_no_stale_warning_without_an_old_enough_snapshot() -> None:
    t = task(deadline=T + timedelta(days=60), progress=0.9)
    assert codes(t, history=History()) == []
    assert codes(t, history=History(identities=identify([t], None))) == []


def test_a_task_missing_from_the_old_snapshot_is_not_stale() -> None:
    old = task("整改台账!5", no="1", title="旧问题")
    new = task("整改台账!6", no="2", title="新问题", deadline=T + timedelta(days=60))
    assert codes(new, history=_history([old, new], T - timedelta(days=7), [old])) == []


def test_review_due_fires_in_the_week_an_item_reaches_its_review_age() -> None:
    settings = RuleSettings(plan_start=START, alerts=AlertSettings(review_after_days=30))
    done = task(status="done", deadline=T - timedelta(days=40))
    ids = identify([done], None)
    for days, expected in (
        (29, []),
        (30, [(AlertCode.REVIEW_DUE, 30)]),
        (36, [(AlertCode.REVIEW_DUE, 36)]),
        (37, []),
    ):
        history = History(identities=ids, done_since={ids[done.key]: T - timedelta(days=days)})
        assert codes(done, settings=settings, history=history) == expected


def test_review_due_is_off_by_default() -> None:
    done = task(status="done")
    ids = identify([done], None)
    history = History(identities=ids, done_since={ids[done.key]: T - timedelta(days=400)})
    assert codes(done, history=history) == []


def test_a_run_at_2330_utc_is_already_the_next_day_in_beijing() -> None:
    late = datetime(2025, 6, 19, 23, 30, tzinfo=UTC)
    t = task(deadline=date(2025, 6, 19))
    beijing_today = clock.today(ZoneInfo("Asia/Shanghai"), now=late)
    assert beijing_today == date(2025, 6, 20)
    assert codes(t, today=beijing_today) == [(AlertCode.OVERDUE, 1)]
    # Read with the UTC date, the same task would wrongly still be due today.
    assert codes(t, today=late.date()) == [(AlertCode.DUE_SOON, 0)]


def test_assess_leaves_out_tasks_without_warnings() -> None:
    quiet = task("整改台账!5", deadline=T + timedelta(days=100), progress=0.9)
    late = task("整改台账!6", no="2", deadline=T - timedelta(days=3))
    assert list(assess([quiet, late], T, SETTINGS)) == ["整改台账!6"]


def test_snapshot_identity_is_kept_by_the_history() -> None:
    t = task()
    snap = Snapshot(day=T, tasks={})
    assert History(identities=identify([t], snap)).identities == {"整改台账!5": "整改台账#1"}
