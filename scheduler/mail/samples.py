"""Sample warnings of each colour, for `taizhang send-test` and for looking at the layout."""

from __future__ import annotations

from datetime import date, timedelta

from scheduler.core.model import Alert, AlertCode, Deadline, DeadlineKind, Level, Status, Task
from scheduler.mail.compose import Entry, SectionMail


def sample_mails(today: date) -> dict[Level, SectionMail]:
    red = _task("1", "（示例）重污染天气管控不到位", today - timedelta(days=20), 0.6, "蓝天办实行日调度")
    yellow = _task(
        "2", "（示例）农村黑臭水体整治工作推进慢", today + timedelta(days=40), 0.3, "管控方案编制完成"
    )
    blue = _task("3", "（示例）应急减排清单复核", today + timedelta(days=5), 0.9, "3家企业已纳入清单")
    alerts = {
        Level.RED: (red, Alert(AlertCode.OVERDUE, Level.RED, "已逾期20天，列入督办", days=20, escalate=True)),
        Level.YELLOW: (
            yellow,
            Alert(AlertCode.BEHIND, Level.YELLOW, "进度30%，低于序时进度62%", expected=0.62, actual=0.3),
        ),
        Level.BLUE: (blue, Alert(AlertCode.DUE_SOON, Level.BLUE, "距完成时限还有5天", days=5)),
    }
    return {
        level: SectionMail(
            "大气环境股（测试）", ("test@example.gov.cn",), (), (Entry(task, f"test#{task.no}", (alert,)),)
        )
        for level, (task, alert) in alerts.items()
    }


def _task(no: str, title: str, due: date, progress: float, note: str) -> Task:
    return Task(
        key=f"示例!{int(no) + 4}",
        file="示例",
        sheet="示例",
        row=int(no) + 4,
        no=no,
        category="示例",
        title=title,
        measures="",
        leader="",
        lead=("大气环境股（测试）",),
        support=(),
        owner="",
        start=None,
        deadline=Deadline(DeadlineKind.DATE, due, due.isoformat()),
        status=Status.OPEN,
        status_text="正在推进",
        progress=progress,
        note=note,
        remarks="",
    )
