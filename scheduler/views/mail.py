"""How messages look: the subject, the HTML part and a plain-text part with the same facts in
the same order. Pure.

The HTML comes from Jinja templates in `scheduler/templates/mail/` (autoescaped; styles
written inline, since QQ Mail, 163 Mail and Outlook drop <style>): one fluid column that
reads from 320 px to 800 px, with a fixed-width ghost table for Outlook's Word engine. Each
message is first turned into plain facts here (cards, lines, counts), and both parts render
those, so they cannot drift apart.

All ledger text is cut to MAX_TEXT characters by `clip`: a cell of ten million characters
pasted by mistake once made a 147 MB email.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import markupsafe
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from scheduler.core.labels import chinese_date, deadline_label, month_day, percent
from scheduler.core.model import Alert, AlertCode, Level, SentItem, Task
from scheduler.core.tracking import SectionFigures
from scheduler.core.view import COUNTING_RULE, FIGURE_HEAD, WeeklyView, task_urgency
from scheduler.mail.compose import Audience, Entry, SectionMail

FONT = "'Microsoft YaHei','PingFang SC','Hiragino Sans GB','Noto Sans CJK SC',SimSun,sans-serif"
COLOURS = {"red": "#d9363e", "yellow": "#d48806", "blue": "#1677ff"}
TINTS = {"red": "#fff1f0", "yellow": "#fffbe6", "blue": "#e6f4ff"}
DONE_COLOUR = "#52c41a"
OPEN_COLOUR = "#bfbfbf"
MAX_TEXT = 2000  # characters of one ledger value in a mail: far more than any real cell
LIGHT_NAMES = {"red": "红色", "yellow": "黄色", "blue": "蓝色"}
GROUP_TITLES = {
    Level.RED: "红色：已逾期",
    Level.YELLOW: "黄色：进度滞后或本周无进展",
    Level.BLUE: "蓝色：临近完成时限或需“回头看”",
}
REASONS = {
    AlertCode.OVERDUE: "已逾期",
    AlertCode.BEHIND: "进度滞后",
    AlertCode.STALE: "本周无进展",
    AlertCode.DUE_SOON: "临近完成时限",
    AlertCode.REVIEW_DUE: "需开展“回头看”",
}
ASKS = {
    AlertCode.OVERDUE: "说明逾期原因和预计完成时间",
    AlertCode.BEHIND: "加快推进，说明滞后原因",
    AlertCode.STALE: "在台账中更新整改进展",
    AlertCode.DUE_SOON: "确保按期完成，完成后及时更新整改状态",
    AlertCode.REVIEW_DUE: "开展“回头看”并报送情况",
}
FOOTER = "本邮件由台账预警系统根据《整改任务台账》自动生成。如台账信息有误，请直接在台账中更正；如有疑问请联系办公室。"
UNROUTED_HINT = (
    "请在 config.toml 的 [sections] 或台账的“联系人”工作表中填写这些股室的邮箱，之后预警会直接发给他们。"
)
FAILURES_HINT = "请核对这些邮箱地址（config.toml 的 [sections] 或台账“联系人”工作表）。"


class DraftKind(enum.StrEnum):
    SECTION = "section"  # a section's warnings
    UNROUTED = "unrouted"  # a section's warnings, to the office: the section has no address
    SUMMARY = "summary"  # the office's weekly summary
    TEST = "test"  # `taizhang send-test`


@dataclass(frozen=True)
class Draft:
    """A message laid out and addressed, not yet MIME."""

    kind: DraftKind
    audience: Audience
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    html: str
    text: str
    attachments: tuple[tuple[str, bytes], ...] = ()
    items: tuple[SentItem, ...] = ()
    reply_to: tuple[str, ...] = ()  # replies go to the office, whoever sends
    attachment_note: str = ""  # the sentence about the attachments, dropped if they are left out


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Ledger text as a mail shows it: at most `limit` characters, a longer one cut with "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("scheduler", "templates/mail"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.globals.update(
        font=FONT,
        colours=COLOURS,
        tints=TINTS,
        light_names=LIGHT_NAMES,
        footer_text=FOOTER,
        notices_marker=markupsafe.Markup(NOTICES),
    )
    return env


def _render(name: str, **facts: Any) -> str:
    return str(_env().get_template(name).render(**facts))


# --- section warnings -------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """One task as a section reads it: each fact once."""

    light: str
    light_name: str
    title: str
    reason: str
    escalated: bool
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Group:
    level: str
    heading: str
    cards: tuple[Card, ...]


@dataclass(frozen=True)
class Letter:
    """Everything a section's message says, for both parts."""

    section: str
    day: str
    office: str
    routed: bool
    intro: str
    reply_by: str
    instructions: str
    lights: tuple[tuple[str, int], ...]  # ("red", 2) …, each task counted once, by its light
    flags: tuple[str, ...]  # "其中督办 1 项", "本周无进展 1 项": counted apart from the lights
    groups: tuple[Group, ...]
    attachment_sentence: str
    unrouted_hint: str = ""
    summary_line: str = field(default="")


def light_counts(entries: Sequence[Entry]) -> list[tuple[Level, int]]:
    return [(level, n) for level in Level if (n := sum(1 for e in entries if e.light is level))]


def flag_counts(entries: Sequence[Entry]) -> list[str]:
    flags = []
    escalated = sum(1 for e in entries if e.escalated)
    stale = sum(1 for e in entries if any(a.code is AlertCode.STALE for a in e.every))
    if escalated:
        flags.append(f"其中督办{escalated}项")
    if stale:
        flags.append(f"本周无进展{stale}项")
    return flags


def section_subject(mail: SectionMail, day: date) -> str:
    counts = "、".join(f"{LIGHT_NAMES[level.value]}{n}项" for level, n in light_counts(mail.entries))
    tag = "【整改预警·督办】" if any(e.escalated for e in mail.entries) else "【整改预警】"
    if not mail.routed:
        tag = tag.replace("】", "·无收件人】", 1)
    return f"{tag}{clip(mail.section)}：{counts}（{chinese_date(day)}）"


def letter(
    mail: SectionMail, day: date, reply: date, office_name: str, instructions: str, attachment: str
) -> Letter:
    section = clip(mail.section)
    lights = light_counts(mail.entries)
    flags = flag_counts(mail.entries)
    counts = "、".join(f"{LIGHT_NAMES[level.value]}{n}项" for level, n in lights)
    return Letter(
        section=section,
        day=chinese_date(day),
        office=clip(office_name),
        routed=mail.routed,
        intro=f"根据《整改任务台账》（截至{chinese_date(day)}），{section}牵头的以下整改任务需要关注。",
        reply_by=month_day(reply),
        instructions=instructions,
        lights=tuple((level.value, n) for level, n in lights),
        flags=tuple(flags),
        groups=tuple(_groups(mail.entries)),
        attachment_sentence=f"附件《{attachment}》是{section}牵头的全部整改任务（台账摘录），供核对和更新进展。"
        if attachment
        else "",
        unrouted_hint=(
            f"{section}没有设置邮箱，以下预警发给办公室，请转交。{UNROUTED_HINT}" if not mail.routed else ""
        ),
        summary_line="预警：" + counts + ("；" + "，".join(flags) if flags else "") + "。",
    )


def section_html(facts: Letter) -> str:
    return _render("section.html", m=facts)


def section_text(facts: Letter) -> str:
    return _squeeze(_render("section.txt", m=facts))


def _groups(entries: Sequence[Entry]) -> Iterable[Group]:
    for level in Level:
        found = sorted((e for e in entries if e.light is level), key=_urgency)
        if found:
            heading = f"{GROUP_TITLES[level]}（{len(found)}项）"
            yield Group(level.value, heading, tuple(card(e) for e in found))


def _urgency(entry: Entry) -> tuple[date, tuple[int, int, str]]:
    return task_urgency(entry.task)  # the order of the weekly view, within a colour


def card(entry: Entry) -> Card:
    task, every = entry.task, entry.every
    worst = min(every, key=lambda a: a.level.rank)
    title = f"{clip(task.no)}. {clip(task.title)}" if task.no else clip(task.title) or "（台账中未填写问题）"
    rows = (
        ("完成时限", deadline_text(task, every)),
        ("完成进度", progress_text(task, every)),
        ("最新进展", clip(task.note) or "（台账中未填写）"),
        ("要求", ASKS[worst.code]),
    )
    level = entry.light.value
    return Card(level, LIGHT_NAMES[level], title, reason_text(every), entry.escalated, rows)


def reason_text(alerts: Sequence[Alert]) -> str:
    """Why a task has its light, and its other warnings as details: "进度滞后；同时临近完成时限"."""
    worst = min(alerts, key=lambda a: a.level.rank)
    also = [REASONS[a.code] for a in alerts if a is not worst and a.code is not worst.code]
    return _reason(worst) + (f"；同时{'、'.join(dict.fromkeys(also))}" if also else "")


def _reason(alert: Alert) -> str:
    if alert.code is AlertCode.STALE and alert.days:
        return f"本周无进展（{alert.days}天来状态、进度和进展均未更新）"
    return REASONS[alert.code]


def deadline_text(task: Task, alerts: Sequence[Alert]) -> str:
    """The deadline, with the days overdue or left: said here, and nowhere else on a card."""
    label = clip(deadline_label(task))
    for alert in alerts:
        if alert.code is AlertCode.OVERDUE:
            return f"{label}，已逾期{alert.days}天"
        if alert.code is AlertCode.DUE_SOON:
            return f"{label}，今天到期" if alert.days == 0 else f"{label}，还有{alert.days}天"
    return label


def progress_text(task: Task, alerts: Sequence[Alert]) -> str:
    line = percent(task.progress) if task.progress is not None else "未填写"
    behind = next((a for a in alerts if a.code is AlertCode.BEHIND), None)
    if behind is not None and behind.expected is not None:
        line += f"，序时进度{percent(behind.expected)}"
    return line


# --- the office summary -----------------------------------------------------------------------


def summary_subject(view: WeeklyView) -> str:
    t = view.total
    return (
        f"【整改周报】{chinese_date(view.today)}：共{t.total}项，已完成{t.done}项，"
        f"红色{t.red}项、黄色{t.yellow}项、蓝色{t.blue}项"
    )


def _summary_facts(view: WeeklyView, attachments: Sequence[str]) -> dict[str, Any]:
    return {
        "v": view,
        "day": chinese_date(view.today),
        "urgent": [_urgent_line(w) for w in view.warned if w.light is Level.RED or w.escalated],
        "bars": [_bar(f, max((s.total for s in view.sections), default=0)) for f in view.sections],
        "legend": (
            ("红色", COLOURS["red"]),
            ("黄色", COLOURS["yellow"]),
            ("蓝色", COLOURS["blue"]),
            ("其他未完成", OPEN_COLOUR),
            ("已完成", DONE_COLOUR),
        ),
        "figure_head": FIGURE_HEAD,
        "counting_rule": COUNTING_RULE,
        "figure_rows": [_figure_row(f, view, total=False) for f in view.sections]
        + [_figure_row(view.total, view, total=True)],
        "change_lines": change_lines(view),
        "notes": [clip(n) for n in view.notes],
        "unrouted": [
            f"{clip(u.section)}（未设置邮箱）：{len(u.tasks)}项预警，已另发邮件给办公室，请转交"
            for u in view.unrouted
        ],
        "unrouted_hint": UNROUTED_HINT,
        "failures": [
            f"{clip(f.subject)}：{clip('、'.join(f.addresses))}（{clip(f.error)}）" for f in view.failures
        ],
        "failures_hint": FAILURES_HINT,
        "problems_title": f"台账数据问题（{len(view.problems)}处）",
        "problems": [
            f"{clip(p.sheet)}（{clip(p.cell)}，{clip(p.column)}）“{clip(p.value) or '空'}”：{clip(p.message)}"
            for p in view.problems
        ],
        "attachment_sentence": attachments_sentence(attachments),
    }


def summary_html(view: WeeklyView, attachments: Sequence[str] = ()) -> str:
    return _render("summary.html", **_summary_facts(view, attachments))


def summary_text(view: WeeklyView, attachments: Sequence[str] = ()) -> str:
    return _squeeze(_render("summary.txt", **_summary_facts(view, attachments)))


def attachments_sentence(names: Sequence[str]) -> str:
    if not names:
        return ""
    listed = "、".join(f"《{name}》" for name in names)
    return f"附件：{listed}（各牵头单位情况、预警清单、本周变化、趋势和数据问题，可直接打印）。"


def _urgent_line(item: Any) -> str:
    task = item.task
    lead = clip("、".join(task.lead)) or "未填牵头单位"
    days = f"，已逾期{item.days}天" if item.light is Level.RED and item.days is not None else ""
    flag = "，督办" if item.escalated else ""
    number = f"{clip(task.no)}. " if task.no else ""
    return f"{number}{clip(task.title)}（{lead}{days}{flag}）"


@dataclass(frozen=True)
class _Bar:
    section: str
    done: int
    total: int
    segments: tuple[tuple[int, str], ...]  # (percent of the widest bar, colour)


def _bar(f: SectionFigures, biggest: int) -> _Bar:
    """A stacked bar from table cells in percent widths: images and CSS charts do not survive
    every mail client; table cells with bgcolor do (Outlook included)."""
    parts = (
        (f.red, COLOURS["red"]),
        (f.yellow, COLOURS["yellow"]),
        (f.blue, COLOURS["blue"]),
        (f.open - f.red - f.yellow - f.blue, OPEN_COLOUR),
        (f.done, DONE_COLOUR),
    )
    scale = 100 / (biggest or 1)
    segments = [(max(1, round(n * scale)), colour) for n, colour in parts if n > 0]
    rest = 100 - sum(width for width, _ in segments)
    if rest > 0:
        segments.append((rest, "#ffffff"))
    return _Bar(clip(f.section), f.done, f.total, tuple(segments))


@dataclass(frozen=True)
class _Cell:
    text: str
    colour: str = ""


@dataclass(frozen=True)
class _Row:
    cells: tuple[_Cell, ...]
    total: bool


def _figure_row(f: SectionFigures, view: WeeklyView, *, total: bool) -> _Row:
    colours = {3: COLOURS["red"], 4: COLOURS["yellow"], 5: COLOURS["blue"], 7: COLOURS["red"]}
    cells = view.figure_cells(f)
    return _Row(
        tuple(
            _Cell(clip(text), colours.get(index, "") if text not in ("0", "—") else "")
            for index, text in enumerate(cells)
        ),
        total,
    )


def change_lines(view: WeeklyView) -> list[str]:
    """The week's change groups, one line each, in the order every output uses. Without a
    baseline the headline already said why there are none: "—"."""
    lines = []
    for group in view.changes:
        names = "；".join(f"{clip(i.name)} {i.detail}".rstrip() for i in group.items)
        lines.append(f"{group.label}（{len(group.items)}项）：{names}")
    return lines or ["—" if view.baseline is None else view.changes_intro]


# --- notices added when the MIME message is built -----------------------------------------------


NOTICES = "<!--taizhang:notices-->"  # where the header leaves room; escaped ledger text cannot contain it
_ATTACHMENTS = re.compile(r"<!--taizhang:attachments-->.*?<!--/taizhang:attachments-->", re.S)


def left_out_sentence(name: str, max_kb: int, kept_at: str | None) -> str:
    """Why an attachment is missing, and where to find it if it is kept on disk."""
    sentence = f"附件《{name}》超过邮件大小限制（{max_kb} KB），未随邮件发送"
    return sentence + (f"；请在 {kept_at} 查看。" if kept_at else "。")


def with_notices(draft: Draft, sentences: Sequence[str]) -> tuple[str, str]:
    """The HTML and text parts with `sentences` at the top, where they are read first. The
    sentence about the attachments goes: it would promise what is not there."""
    html, text = draft.html, draft.text
    if not sentences:
        return html, text
    html = _ATTACHMENTS.sub("", html)
    if draft.attachment_note:
        text = text.replace(draft.attachment_note + "\n", "")
    block = "".join(
        '<tr><td style="padding:12px 16px 0 16px;"><div style="padding:8px 12px;background:#fffbe6;'
        f'border:1px solid {COLOURS["yellow"]};color:#874d00;">{_escape(s)}</div></td></tr>'
        for s in sentences
    )
    html = (
        html.replace(NOTICES, block, 1)
        if NOTICES in html
        else f'<table role="presentation" width="100%">{block}</table>{html}'
    )
    return html, "".join(f"【提示】{s}\n" for s in sentences) + "\n" + text


def _escape(text: str) -> str:
    return str(markupsafe.escape(text))


def _squeeze(text: str) -> str:
    """The text part without the runs of blank lines that template tags leave."""
    return re.sub(r"\n{3,}", "\n\n", text).lstrip("\n")
