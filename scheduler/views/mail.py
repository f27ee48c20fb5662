"""How messages look: subject, HTML (inline styles, tables: what QQ Mail, 163 Mail and
Outlook all render) and a plain-text alternative. Pure. All ledger text is HTML-escaped, and
cut to MAX_TEXT characters by `clip`: a cell of ten million characters pasted by mistake once
made a 147 MB email."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from scheduler.core.labels import LEVEL_NAMES, chinese_date, deadline_label, month_day, percent
from scheduler.core.model import Alert, AlertCode, Level, Problem, SentItem
from scheduler.core.tracking import SectionFigures
from scheduler.core.view import ChangeItem, Failure, Unrouted, WeeklyView
from scheduler.mail.compose import CODE_WORDS, Audience, Entry, SectionMail

FONT = "'Microsoft YaHei','PingFang SC','Hiragino Sans GB',SimSun,Arial,sans-serif"
COLOURS = {Level.RED: "#d9363e", Level.YELLOW: "#d48806", Level.BLUE: "#1677ff"}
TINTS = {Level.RED: "#fff1f0", Level.YELLOW: "#fffbe6", Level.BLUE: "#e6f4ff"}
DONE_COLOUR = "#52c41a"
OPEN_COLOUR = "#d9d9d9"
MAX_TEXT = 2000  # characters of one ledger value in a mail: far more than any real cell
GROUP_TITLES = {
    Level.RED: "已逾期",
    Level.YELLOW: "进度滞后或本周无进展",
    Level.BLUE: "临近完成时限或需“回头看”",
}


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


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Ledger text as a mail shows it: at most `limit` characters, a longer one cut with "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _h(text: str) -> str:
    """Ledger text for the HTML part: cut, then escaped."""
    return escape(clip(text))


# --- section warnings -------------------------------------------------------------------------


def section_subject(mail: SectionMail, day: date) -> str:
    counts = "、".join(f"{CODE_WORDS[code]}{n}项" for code, n in mail.counts().items())
    tag = "【整改预警·督办】" if any(e.escalated for e in mail.entries) else "【整改预警】"
    if not mail.routed:
        tag = tag.replace("】", "·无收件人】", 1)
    return f"{tag}{clip(mail.section)}：{counts}（{chinese_date(day)}）"


def action(alert: Alert, reply: date) -> str:
    """What the section is asked to do about a warning."""
    by = month_day(reply)
    if alert.code is AlertCode.OVERDUE:
        text = f"请于{by}前报送整改进展和逾期原因"
        return text + "（已列入督办）" if alert.escalate else text
    if alert.code is AlertCode.BEHIND:
        return f"请加快推进，于{by}前报送整改进展"
    if alert.code is AlertCode.STALE:
        return f"请于{by}前在台账中更新整改进展"
    if alert.code is AlertCode.REVIEW_DUE:
        return f"请开展“回头看”，于{by}前报送情况"
    return "请确保按期完成，完成后及时在台账中更新整改状态"


def section_html(mail: SectionMail, day: date, reply: date, office_name: str) -> str:
    section = _h(mail.section)
    intro = (
        f"根据《整改任务台账》（截至{chinese_date(day)}），{section}牵头的以下整改任务需要关注，"
        f"请按要求于<b>{month_day(reply)}</b>前办理。"
    )
    if not mail.routed:
        intro = (
            f'<b style="color:{COLOURS[Level.RED]};">{section}未设置邮箱</b>（在 config.toml 的 [sections] '
            "或台账的“联系人”工作表中填写），以下预警请办公室转交。<br>" + intro
        )
    parts = [_header("整改任务预警提醒", f"{section} · {chinese_date(day)}"), _paragraph(intro), _chips(mail)]
    for level, entries in _by_level(mail.entries):
        parts.append(_group_heading(level, len(entries)))
        parts.extend(_task_card(e, reply) for e in entries)
    parts.append(_paragraph("附件为贵股室牵头的全部整改任务（台账摘录），供核对和更新进展。", small=True))
    parts.append(_footer(office_name))
    return _page(clip(mail.section), parts)


def section_text(mail: SectionMail, day: date, reply: date, office_name: str) -> str:
    section = clip(mail.section)
    lines = [f"{section}：", ""]
    if not mail.routed:
        lines += [f"{section}未设置邮箱，以下预警请办公室转交。", ""]
    lines.append(
        f"根据《整改任务台账》（截至{chinese_date(day)}），{section}牵头的以下整改任务需要关注，"
        f"请按要求于{month_day(reply)}前办理。"
    )
    for level, entries in _by_level(mail.entries):
        lines += ["", f"【{LEVEL_NAMES[level]}：{GROUP_TITLES[level]}】（{len(entries)}项）"]
        for e in entries:
            lines += _task_lines(e, reply)
    lines += [
        "",
        "附件为贵股室牵头的全部整改任务（台账摘录）。",
        "",
        f"{office_name}（本邮件由台账预警系统自动发送）",
    ]
    return "\n".join(lines) + "\n"


def _by_level(entries: Sequence[Entry]) -> Iterable[tuple[Level, list[Entry]]]:
    for level in (Level.RED, Level.YELLOW, Level.BLUE):
        found = [e for e in entries if e.level is level]
        if found:
            yield level, sorted(found, key=_urgency)


def _urgency(entry: Entry) -> tuple[int, str]:
    """Within a colour: longest overdue first, then the nearest deadline."""
    days = max((a.days or 0) for a in entry.alerts)
    return (-days if entry.level is Level.RED else days, entry.task.no)


def _progress_line(entry: Entry) -> str:
    behind = next((a for a in entry.alerts if a.code is AlertCode.BEHIND), None)
    line = percent(entry.task.progress) if entry.task.progress is not None else "未填写"
    if behind and behind.expected is not None:
        line += f"（序时进度{percent(behind.expected)}）"
    return line


def _deadline_line(entry: Entry) -> str:
    dated = [a.message for a in entry.alerts if a.code in (AlertCode.OVERDUE, AlertCode.DUE_SOON)]
    return clip(deadline_label(entry.task)) + (f"（{clip(dated[0])}）" if dated else "")


def _task_lines(entry: Entry, reply: date) -> list[str]:
    task = entry.task
    worst = min(entry.alerts, key=lambda a: a.level.rank)
    return [
        f"{clip(task.no) or '—'}. {clip(task.title)}",
        f"   预警：{'；'.join(clip(a.message) for a in entry.alerts)}",
        f"   完成时限：{_deadline_line(entry)}",
        f"   完成进度：{_progress_line(entry)}",
        f"   最新进展：{clip(task.note) or '（台账中未填写）'}",
        f"   请办理：{action(worst, reply)}",
    ]


def _task_card(entry: Entry, reply: date) -> str:
    task = entry.task
    worst = min(entry.alerts, key=lambda a: a.level.rank)
    colour = COLOURS[entry.level]
    badges = " ".join(_badge(a) for a in entry.alerts)
    rows = [
        ("完成时限", escape(_deadline_line(entry))),
        ("完成进度", escape(_progress_line(entry))),
        (
            "最新进展",
            _h(task.note) if task.note else '<span style="color:#8c8c8c;">（台账中未填写）</span>',
        ),
        ("请办理", f'<b style="color:{colour};">{escape(action(worst, reply))}</b>'),
    ]
    cells = "".join(
        f'<tr><td width="72" valign="top" style="padding:3px 8px 3px 0;color:#8c8c8c;white-space:nowrap;">{k}</td>'
        f'<td valign="top" style="padding:3px 0;">{v}</td></tr>'
        for k, v in rows
    )
    title = f"{_h(task.no)}. {_h(task.title)}" if task.no else _h(task.title)
    return (
        f'<tr><td style="padding:0 24px 12px 24px;">'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'style="border:1px solid #e8e8e8;border-left:4px solid {colour};">'
        f'<tr><td style="padding:10px 12px 4px 12px;font-weight:bold;">{title}</td></tr>'
        f'<tr><td style="padding:0 12px 4px 12px;">{badges}</td></tr>'
        f'<tr><td style="padding:0 12px 10px 12px;"><table role="presentation" width="100%" cellpadding="0" '
        f'cellspacing="0" border="0" style="font-size:13px;">{cells}</table></td></tr>'
        f"</table></td></tr>"
    )


def _badge(alert: Alert) -> str:
    colour = COLOURS[alert.level]
    return (
        f'<span style="display:inline-block;padding:1px 6px;margin:0 4px 2px 0;border:1px solid {colour};'
        f'color:{colour};background:{TINTS[alert.level]};font-size:12px;">{_h(alert.message)}</span>'
    )


def _chips(mail: SectionMail) -> str:
    chips = []
    for code, n in mail.counts().items():
        level = next(a.level for e in mail.entries for a in e.alerts if a.code is code)
        chips.append(
            f'<td style="padding:6px 12px;background:{TINTS[level]};color:{COLOURS[level]};'
            f'font-weight:bold;border:1px solid {COLOURS[level]};">{CODE_WORDS[code]} {n} 项</td>'
            '<td width="8"></td>'
        )
    return (
        '<tr><td style="padding:0 24px 16px 24px;"><table role="presentation" cellpadding="0" cellspacing="0" '
        f'border="0"><tr>{"".join(chips)}</tr></table></td></tr>'
    )


def _group_heading(level: Level, count: int) -> str:
    return (
        f'<tr><td style="padding:8px 24px 8px 24px;"><div style="padding:6px 10px;background:{COLOURS[level]};'
        f'color:#ffffff;font-weight:bold;">{LEVEL_NAMES[level]}：{GROUP_TITLES[level]}（{count}项）</div></td></tr>'
    )


# --- the office summary -----------------------------------------------------------------------


def summary_subject(view: WeeklyView) -> str:
    t = view.total
    return (
        f"【整改周报】{chinese_date(view.today)}：共{t.total}项，已完成{t.done}项，"
        f"红色{t.red}项、黄色{t.yellow}项、蓝色{t.blue}项"
    )


def _headline_html(view: WeeklyView) -> str:
    parts = []
    for text, tone in view.headline:
        if tone == "strong":
            parts.append(f"<b>{escape(text)}</b>")
        elif tone:
            parts.append(f'<b style="color:{COLOURS[Level(tone)]};">{escape(text)}</b>')
        else:
            parts.append(escape(text))
    return "".join(parts)


def summary_html(view: WeeklyView) -> str:
    parts = [
        _header("整改任务周报", f"{_h(view.office_name)} · {chinese_date(view.today)}"),
        _paragraph(_headline_html(view)),
        _section_title("各牵头单位情况"),
        _bar_chart(view.sections),
        _figures_table(view.sections, view.total),
        _section_title("本周变化"),
        _changes_block(view),
    ]
    for note in view.notes:
        parts.append(_paragraph(f'<b style="color:{COLOURS[Level.RED]};">请注意：</b>{_h(note)}'))
    if view.unrouted:
        parts += [_section_title("未能送达股室的预警"), _unrouted_block(view.unrouted)]
    if view.failures:
        parts += [_section_title("投递失败的邮件"), _failures_block(view.failures)]
    parts += [_section_title(f"台账数据问题（{len(view.problems)}处）"), _problems_block(view.problems)]
    parts.append(_footer(view.office_name))
    return _page("整改任务周报", parts)


def summary_text(view: WeeklyView) -> str:
    lines = [
        f"整改任务周报（{chinese_date(view.today)}）",
        "",
        view.headline_text,
        "",
        "各牵头单位情况（任务/已完成/红/黄/蓝/完成率）：",
    ]
    for f in view.sections:
        lines.append(
            f"  {clip(f.section)}：{f.total}/{f.done}/{f.red}/{f.yellow}/{f.blue}/{percent(f.completion_rate)}"
        )
    lines += ["", "本周变化："]
    lines += [f"  {line}" for line in _change_lines(view)]
    lines += [f"请注意：{clip(note)}" for note in view.notes]
    if view.unrouted:
        lines += ["", "未能送达股室的预警："]
        for group in view.unrouted:
            section = clip(group.section)
            lines += [f"  {section}：{clip(t.no)}. {clip(t.title)}" for t in group.tasks]
    if view.failures:
        lines += ["", "投递失败的邮件："]
        lines += [
            f"  {clip(f.subject)}：{clip('、'.join(f.addresses))}（{clip(f.error)}）" for f in view.failures
        ]
    lines += ["", f"台账数据问题（{len(view.problems)}处）："]
    lines += [
        f"  {clip(p.sheet)} {clip(p.cell)}（{clip(p.column)}）“{clip(p.value)}”：{clip(p.message)}"
        for p in view.problems
    ] or ["  无"]
    lines += ["", f"{clip(view.office_name)}（本邮件由台账预警系统自动发送）"]
    return "\n".join(lines) + "\n"


def _bar_chart(sections: Sequence[SectionFigures]) -> str:
    """Stacked bars built from table cells: images and CSS charts do not survive every mail
    client, table cells with bgcolor do (Outlook included)."""
    width = 300
    biggest = max((f.total for f in sections), default=0) or 1
    rows = []
    for f in sections:
        segments = [
            (f.red, COLOURS[Level.RED]),
            (f.yellow, COLOURS[Level.YELLOW]),
            (f.blue, COLOURS[Level.BLUE]),
            (f.open - f.red - f.yellow - f.blue, OPEN_COLOUR),
            (f.done, DONE_COLOUR),
        ]
        cells = "".join(
            f'<td width="{round(n * width / biggest)}" height="14" bgcolor="{colour}" '
            f'style="background:{colour};font-size:0;line-height:0;">&nbsp;</td>'
            for n, colour in segments
            if n > 0
        )
        rest = width - sum(round(n * width / biggest) for n, _ in segments if n > 0)
        if rest > 0:
            cells += f'<td width="{rest}" style="font-size:0;line-height:0;">&nbsp;</td>'
        rows.append(
            f'<tr><td style="padding:3px 8px 3px 0;white-space:nowrap;font-size:13px;">{_h(f.section)}</td>'
            f'<td style="padding:3px 0;"><table role="presentation" cellpadding="0" cellspacing="0" border="0" '
            f'width="{width}"><tr>{cells}</tr></table></td>'
            f'<td style="padding:3px 0 3px 8px;font-size:13px;white-space:nowrap;">{f.done}/{f.total}</td></tr>'
        )
    legend = " ".join(
        f'<span style="color:{colour};">■</span> {name}'
        for name, colour in (
            ("红色", COLOURS[Level.RED]),
            ("黄色", COLOURS[Level.YELLOW]),
            ("蓝色", COLOURS[Level.BLUE]),
            ("其他未完成", OPEN_COLOUR),
            ("已完成", DONE_COLOUR),
        )
    )
    return (
        '<tr><td style="padding:0 24px 8px 24px;"><table role="presentation" cellpadding="0" cellspacing="0" '
        f'border="0">{"".join(rows)}</table><div style="font-size:12px;color:#595959;padding-top:6px;">'
        f"{legend}（已完成/任务数）</div></td></tr>"
    )


def _figures_table(sections: Sequence[SectionFigures], total: SectionFigures) -> str:
    head = ("牵头单位", "任务", "已完成", "未完成", "红色", "黄色", "蓝色", "无进展", "完成率")
    th = "".join(
        f'<th style="padding:4px 6px;border:1px solid #d9d9d9;background:#fafafa;white-space:nowrap;">{h}</th>'
        for h in head
    )
    body = "".join(_figures_row(f, bold=False) for f in sections) + _figures_row(total, bold=True)
    return (
        '<tr><td style="padding:8px 24px 8px 24px;"><table cellpadding="0" cellspacing="0" border="0" '
        f'style="border-collapse:collapse;font-size:13px;width:100%;"><tr>{th}</tr>{body}</table></td></tr>'
    )


def _figures_row(f: SectionFigures, *, bold: bool) -> str:
    values = (f.total, f.done, f.open, f.red, f.yellow, f.blue, f.stale)
    colours = (None, None, None, COLOURS[Level.RED], COLOURS[Level.YELLOW], COLOURS[Level.BLUE], None)
    weight = "font-weight:bold;" if bold else ""
    cells = [f'<td style="padding:4px 6px;border:1px solid #d9d9d9;{weight}">{_h(f.section)}</td>']
    for value, colour in zip(values, colours, strict=True):
        style = f"color:{colour};" if colour and value else ""
        cells.append(
            f'<td align="right" style="padding:4px 6px;border:1px solid #d9d9d9;{weight}{style}">{value}</td>'
        )
    cells.append(
        f'<td align="right" style="padding:4px 6px;border:1px solid #d9d9d9;{weight}">'
        f"{percent(f.completion_rate)}</td>"
    )
    return f"<tr>{''.join(cells)}</tr>"


def _change_lines(view: WeeklyView) -> list[str]:
    """The week's change groups, one line each, in the order every output uses."""
    lines = [
        f"{group.label}（{len(group.items)}项）：" + "；".join(_change_name(item) for item in group.items)
        for group in view.changes
    ]
    return lines or [view.changes_intro]


def _change_name(item: ChangeItem) -> str:
    name = clip(item.name)
    return f"{name} {item.detail}" if item.detail else name


def _changes_block(view: WeeklyView) -> str:
    items = "".join(f'<li style="margin:0 0 4px 0;">{escape(line)}</li>' for line in _change_lines(view))
    return f'<tr><td style="padding:0 24px 8px 24px;"><ul style="margin:0;padding-left:20px;">{items}</ul></td></tr>'


def _unrouted_block(unrouted: Sequence[Unrouted]) -> str:
    items = "".join(
        f"<li>{_h(group.section)}（未设置邮箱）：{len(group.tasks)}项预警，已另发邮件给办公室，请转交</li>"
        for group in unrouted
    )
    return f'<tr><td style="padding:0 24px 8px 24px;"><ul style="margin:0;padding-left:20px;">{items}</ul></td></tr>'


def _failures_block(failures: Sequence[Failure]) -> str:
    items = "".join(
        f"<li>{_h(f.subject)}：{_h('、'.join(f.addresses))}（{_h(f.error)}）</li>" for f in failures
    )
    return (
        f'<tr><td style="padding:0 24px 8px 24px;"><ul style="margin:0;padding-left:20px;">{items}</ul>'
        '<div style="font-size:12px;color:#595959;">请核对这些邮箱地址（config.toml 的 [sections] 或台账“联系人”工作表）。</div>'
        "</td></tr>"
    )


def _problems_block(problems: Sequence[Problem]) -> str:
    if not problems:
        return _paragraph("未发现数据问题。")
    head = "".join(
        f'<th style="padding:4px 6px;border:1px solid #d9d9d9;background:#fafafa;">{h}</th>'
        for h in ("工作表", "单元格", "列", "内容", "问题")
    )
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td style="padding:4px 6px;border:1px solid #d9d9d9;white-space:nowrap;">{_h(v)}</td>'
            for v in (p.sheet, p.cell, p.column, p.value or "（空）")
        )
        + f'<td style="padding:4px 6px;border:1px solid #d9d9d9;">{_h(p.message)}</td></tr>'
        for p in problems
    )
    return (
        '<tr><td style="padding:0 24px 8px 24px;"><table cellpadding="0" cellspacing="0" border="0" '
        f'style="border-collapse:collapse;font-size:12px;width:100%;"><tr>{head}</tr>{rows}</table></td></tr>'
    )


# --- notices added when the MIME message is built -----------------------------------------------


NOTICES = "<!--taizhang:notices-->"  # where _page leaves room; escaped ledger text cannot contain it


def left_out_sentence(name: str, max_kb: int, kept_at: str | None) -> str:
    """Why an attachment is missing, and where to find it if it is kept on disk."""
    sentence = f"附件《{name}》超过邮件大小限制（{max_kb} KB），未随邮件发送"
    return sentence + (f"；请在 {kept_at} 查看。" if kept_at else "。")


def with_notices(html: str, text: str, sentences: Sequence[str]) -> tuple[str, str]:
    """The HTML and text parts with `sentences` at the top, where they are read first."""
    if not sentences:
        return html, text
    block = "".join(
        '<tr><td style="padding:12px 24px 0 24px;"><div style="padding:8px 12px;background:#fffbe6;'
        f'border:1px solid {COLOURS[Level.YELLOW]};color:#874d00;">{escape(s)}</div></td></tr>'
        for s in sentences
    )
    html = (
        html.replace(NOTICES, block, 1)
        if NOTICES in html
        else f'<table role="presentation" width="100%">{block}</table>{html}'
    )
    return html, "".join(f"【提示】{s}\n" for s in sentences) + "\n" + text


# --- shared pieces ----------------------------------------------------------------------------


def _page(title: str, rows: Sequence[str]) -> str:
    rows = [*rows[:1], NOTICES, *rows[1:]]  # notices go right under the header
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        '<body style="margin:0;padding:0;background:#f0f2f5;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="background:#f0f2f5;"><tr><td align="center" style="padding:16px 8px;">'
        '<table role="presentation" width="680" cellpadding="0" cellspacing="0" border="0" '
        f'style="width:680px;max-width:100%;background:#ffffff;border:1px solid #e8e8e8;font-family:{FONT};'
        f'font-size:14px;line-height:1.6;color:#262626;text-align:left;">{"".join(rows)}</table>'
        "</td></tr></table></body></html>"
    )


def _header(title: str, subtitle: str) -> str:
    return (
        '<tr><td style="padding:20px 24px 12px 24px;border-bottom:3px solid #1f4e79;">'
        f'<div style="font-size:20px;font-weight:bold;color:#1f4e79;">{title}</div>'
        f'<div style="font-size:13px;color:#595959;">{subtitle}</div></td></tr>'
    )


def _section_title(title: str) -> str:
    return f'<tr><td style="padding:16px 24px 6px 24px;font-size:16px;font-weight:bold;color:#1f4e79;">{title}</td></tr>'


def _paragraph(html: str, *, small: bool = False) -> str:
    size = "font-size:12px;color:#595959;" if small else ""
    return f'<tr><td style="padding:14px 24px 10px 24px;{size}">{html}</td></tr>'


def _footer(office_name: str) -> str:
    return (
        '<tr><td style="padding:16px 24px 20px 24px;border-top:1px solid #e8e8e8;font-size:12px;color:#8c8c8c;">'
        f"{escape(office_name)} · 本邮件由台账预警系统根据《整改任务台账》自动生成。"
        "如台账信息有误，请直接在台账中更正；如有疑问请联系办公室。</td></tr>"
    )
