"""The 整改进展情况通报 draft (.docx): the office's template for the narrative, and section
二 written from the ledger, in GB/T 9704-2012 format.

1. `draft` gathers what the document says, from the weekly view (the figures, counted as the
   mail and the report count them) and the ledger's tasks in ledger order. Pure.
2. `to_bytes` fills the template's fields with docxtpl, then puts the paragraphs of section
   二 where the template says {{ ledger }}. Pure: template bytes in, document bytes out.

Ledger text never passes through the template engine: the template is rendered first, with
a random marker as the value of {{ ledger }}, and the ledger's paragraphs are built with
python-docx afterwards, in place of the marker. So "{{", "{%" or "{#" in a cell print as
they are, and nothing the ledger holds can reach Jinja.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scheduler.config import Settings
from scheduler.core.labels import chinese_date, percent
from scheduler.core.model import Alert, AlertCode, DeadlineKind, Problem, Status, Task
from scheduler.core.view import WeeklyView
from scheduler.errors import TongbaoSaveError, TongbaoTemplateError, os_reason
from scheduler.files import write_whole
from scheduler.logs import log
from scheduler.views.gongwen import Kind, shape

if TYPE_CHECKING:
    from docx.document import Document

SHIPPED_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "tongbao" / "通报模板.docx"
LEDGER_FIELD = "ledger"  # where section 二 goes: a paragraph of its own in the template
PENDING = "【待补充】"
NO_NOTE = "没有整改进展，通报中写作“【待补充】”，请在台账中填写"
NOTE_COLUMN = "整改进展"

# What the template may use, besides {{ ledger }}: the README lists them for the office.
FIELDS = (
    "office",
    "issuer",
    "title",
    "today",
    "plan_start",
    "total",
    "done",
    "closed",
    "in_progress",
    "ongoing",
    "overdue",
    "rate",
)

_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五, 110 → 一百一十; past 999, Arabic."""
    if not 0 < n < 1000:
        return str(n)
    if n < 100:
        tens, ones = divmod(n, 10)
        head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
        return head + (_DIGITS[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    head = _DIGITS[hundreds] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + _DIGITS[rest]
    tail = chinese_numeral(rest)
    return head + ("一" + tail if rest < 20 else tail)  # 一百一十, not 一百十


def chinese_ordinal(n: int) -> str:
    """The ordinal of a second-level heading: （一）, （十一）, （三十）."""
    return f"（{chinese_numeral(n)}）"


@dataclass(frozen=True)
class Figures:
    """The counts of the figures paragraph, by the weekly view's rules."""

    total: int
    done: int
    closed: int  # done, and the status says 销号
    in_progress: int  # neither done nor 长期坚持
    ongoing: int  # 长期坚持 (Status.ONGOING)
    overdue: int  # open with an overdue warning
    rate: str  # "42%", as the view shows the completion rate

    def sentence(self, today: date) -> str:
        closed = f"（其中已销号{self.closed}项）" if self.closed else ""
        ongoing = f"，长期坚持{self.ongoing}项" if self.ongoing else ""
        return (
            f"截至{chinese_date(today)}，台账所列整改问题共{self.total}项，已完成{self.done}项{closed}，"
            f"正在推进{self.in_progress}项{ongoing}；逾期未完成{self.overdue}项，完成率{self.rate}。"
        )


@dataclass(frozen=True)
class Item:
    number: str
    title: str
    progress: str  # the latest progress note, or 【待补充】
    status: str = ""  # "（已完成）" … when [tongbao] show_status is on

    @property
    def heading(self) -> str:
        return f"{self.number}.{self.title}"

    @property
    def progress_line(self) -> str:
        return f"整改情况：{self.progress}{self.status}"


@dataclass(frozen=True)
class Group:
    heading: str  # "（一）反馈问题：…"
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Tongbao:
    """Everything the draft says, before it is a document."""

    today: date
    office: str
    issuer: str
    title: str
    plan_start: date
    figures: Figures
    groups: tuple[Group, ...]
    problems: tuple[Problem, ...]  # tasks without a progress note: listed, never skipped

    def fields(self) -> dict[str, str | int]:
        f = self.figures
        return {
            "office": self.office,
            "issuer": self.issuer,
            "title": self.title,
            "today": chinese_date(self.today),
            "plan_start": chinese_date(self.plan_start),
            "total": f.total,
            "done": f.done,
            "closed": f.closed,
            "in_progress": f.in_progress,
            "ongoing": f.ongoing,
            "overdue": f.overdue,
            "rate": f.rate,
        }

    def section_two(self) -> list[tuple[Kind, str]]:
        """The paragraphs written from the ledger, each with its kind."""
        paragraphs = [(Kind.BODY, self.figures.sentence(self.today))]
        for group in self.groups:
            paragraphs.append((Kind.HEADING2, group.heading))
            for item in group.items:
                paragraphs.append((Kind.HEADING3, item.heading))
                paragraphs.append((Kind.BODY, item.progress_line))
        return paragraphs


def draft(
    settings: Settings, view: WeeklyView, tasks: Sequence[Task], alerts: Mapping[str, Sequence[Alert]]
) -> Tongbao:
    """What the 通报 says today. Pure: the view, the tasks in ledger order and their warnings."""
    options = settings.tongbao
    numbers = _numbers(tasks)
    groups: list[tuple[str, list[Item]]] = []
    problems = []
    for task, number in zip(tasks, numbers, strict=True):
        category = _category(task.category)
        if not groups or groups[-1][0] != category:
            groups.append((category, []))
        status = _status(task, alerts.get(task.key, ())) if options.show_status else ""
        note = _sentence(task.note) if task.note else PENDING
        groups[-1][1].append(Item(number, _sentence(task.title), note, status))
        if not task.note:
            problems.append(
                Problem(task.file, task.sheet, task.row, NOTE_COLUMN, f"第{task.row}行", "", NO_NOTE)
            )
    return Tongbao(
        today=view.today,
        office=settings.office.name,
        issuer=options.issuer,
        title=options.title,
        plan_start=settings.plan.start,
        figures=figures(view, tasks),
        groups=tuple(
            Group(_heading(index, category), tuple(items))
            for index, (category, items) in enumerate(groups, start=1)
        ),
        problems=tuple(problems),
    )


def figures(view: WeeklyView, tasks: Sequence[Task]) -> Figures:
    """Total, done and the rate are the view's own, so the 通报 says what the mail says."""
    total = view.total
    ongoing = sum(1 for t in tasks if t.status is Status.ONGOING)
    return Figures(
        total=total.total,
        done=total.done,
        closed=sum(1 for t in tasks if t.status is Status.DONE and "销号" in t.status_text),
        in_progress=total.total - total.done - ongoing,
        ongoing=ongoing,
        overdue=sum(1 for w in view.warned if any(a.code is AlertCode.OVERDUE for a in w.alerts)),
        rate=percent(total.completion_rate),
    )


def build(
    settings: Settings, view: WeeklyView, tasks: Sequence[Task], alerts: Mapping[str, Sequence[Alert]]
) -> tuple[Tongbao, bytes]:
    """The draft's content and its document, from the configured (or shipped) template."""
    tongbao = draft(settings, view, tasks, alerts)
    template, name = template_bytes(settings)
    return tongbao, to_bytes(tongbao, template, name)


def _numbers(tasks: Sequence[Task]) -> list[str]:
    """The ledger's 序号 when every task has its own; otherwise 1, 2, 3 … in ledger order."""
    own = [t.no.strip() for t in tasks]
    if all(no.isdigit() for no in own) and len(set(own)) == len(own):
        return own
    return [str(n) for n in range(1, len(tasks) + 1)]


# A category written with its own ordinal or as a 反馈问题 line (a banner row of the ledger):
# the draft numbers the groups itself.
_ORDINAL = re.compile(
    r"^\s*(?:[（(][一二三四五六七八九十百零〇\d]+[)）]|[一二三四五六七八九十百零〇]+[、.．]|\d+[、.．](?!\d))\s*"
)
_ASKED = re.compile(r"^反馈问题\s*[:：]?\s*")


def _category(text: str) -> str:
    return _ASKED.sub("", _ORDINAL.sub("", text.strip())).strip()


def _heading(index: int, category: str) -> str:
    if not category:
        return f"{chinese_ordinal(index)}其他问题"
    return f"{chinese_ordinal(index)}反馈问题：{category}"


_ENDS_SENTENCE = tuple("。！？!?；;…")


def _sentence(text: str) -> str:
    """Ledger cells often end without a full stop; the 通报's sentences do."""
    text = text.strip()
    return text if not text or text.endswith(_ENDS_SENTENCE) else text + "。"


def _status(task: Task, alerts: Sequence[Alert]) -> str:
    if task.status is Status.DONE:
        return "（已销号）" if "销号" in task.status_text else "（已完成）"
    overdue = next((a for a in alerts if a.code is AlertCode.OVERDUE), None)
    if overdue is not None:
        return f"（已逾期{overdue.days}天）"
    if task.status is Status.ONGOING:
        return "（长期坚持）"
    deadline = task.deadline
    if deadline.kind is DeadlineKind.DATE and deadline.date:
        return f"（正在推进，完成时限{chinese_date(deadline.date)}）"
    if deadline.kind is DeadlineKind.IMMEDIATE:
        return "（正在推进，立行立改）"
    return "（正在推进）"


# --- the document ----------------------------------------------------------------------------


def to_bytes(tongbao: Tongbao, template: bytes, template_name: str) -> bytes:
    """The draft as .docx bytes. A template that cannot be used raises TongbaoTemplateError
    naming `template_name`."""
    marker = f"TAIZHANG-{uuid.uuid4().hex}"
    document = _render(template, template_name, {**tongbao.fields(), LEDGER_FIELD: marker})
    _put_section_two(document, marker, tongbao.section_two(), template_name)
    document.core_properties.title = tongbao.title  # not the template's own title
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _render(template: bytes, name: str, context: dict[str, Any]) -> Document:
    from docxtpl import DocxTemplate  # slow to import; only the 通报 needs it
    from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment

    tpl = DocxTemplate(io.BytesIO(template))
    try:
        tpl.init_docx()
    except Exception:  # python-docx raises many kinds for a file that is not a .docx
        raise TongbaoTemplateError(
            name, "不是有效的 .docx 文件，请在 Word 或 WPS 中打开后另存为“Word 文档（*.docx）”"
        ) from None
    # Sandboxed: the template is the office's own file, but it is still a file from outside.
    # Autoescaped: "&" or "<" in the office's name must not break the document's XML.
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True)
    try:
        unknown = sorted(tpl.get_undeclared_template_variables(env) - context.keys())
        if not unknown:
            tpl.render(context, env)
    except TemplateSyntaxError as e:
        raise TongbaoTemplateError(
            name, f"模板中 {{{{ }}}} 或 {{% %}} 的写法有误（{e.message}）{_near(e)}"
        ) from None
    except TemplateError as e:
        raise TongbaoTemplateError(name, f"模板无法填写（{e.message}）{_near(e)}") from None
    except Exception as e:  # docxtpl's own failures on an unusual document
        log.exception("通报模板 %s 无法处理", name)
        raise TongbaoTemplateError(
            name, f"模板无法处理（{type(e).__name__}），请在自带模板的基础上重新编辑"
        ) from None
    if unknown:
        listed = "、".join(f"{{{{ {field} }}}}" for field in (*FIELDS, LEDGER_FIELD))
        raise TongbaoTemplateError(
            name, f"模板中的字段 {'、'.join(unknown)} 不存在，请检查拼写；可用的字段有：{listed}"
        )
    document: Document = tpl.docx
    return document


def _near(error: Exception) -> str:
    """Where in the template the error is, as docxtpl tells it: the text around it."""
    lines = [line.strip() for line in getattr(error, "docx_context", ()) or () if line.strip()]
    near = "".join(lines)[:60]
    return f"，出错位置附近的文字：“{near}”" if near else ""


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _put_section_two(document: Document, marker: str, paragraphs: list[tuple[Kind, str]], name: str) -> None:
    slots = [p for p in document.paragraphs if marker in p.text]
    field = f"{{{{ {LEDGER_FIELD} }}}}"
    if len(slots) != 1 or slots[0].text.strip() != marker:
        problem = (
            "写了不止一处"
            if len(slots) > 1
            else "没有单独成段"
            if slots
            else "找不到（不能放在表格、页眉或页脚中）"
        )
        raise TongbaoTemplateError(
            name,
            f"台账生成的整改进展放在模板中 {field} 所在的位置，但 {field} {problem}。"
            f"请在“二、……”标题下另起一段，只写 {field}",
        )
    slot = slots[0]
    for kind, text in paragraphs:
        paragraph = slot.insert_paragraph_before()
        paragraph.add_run(_NOT_XML.sub("", text))  # text, never markup: \n becomes a line break
        shape(paragraph, kind)
    slot._p.getparent().remove(slot._p)


# --- files -----------------------------------------------------------------------------------


def template_bytes(settings: Settings) -> tuple[bytes, str]:
    """The office's template ([tongbao] template) or the shipped one, and its name for messages."""
    configured = settings.tongbao.template
    path = configured or SHIPPED_TEMPLATE
    key = "tongbao.template" if configured else ""
    try:
        return path.read_bytes(), str(path)
    except FileNotFoundError:
        raise TongbaoTemplateError(
            path,
            "文件不存在。请检查路径（相对于 config.toml 所在的文件夹），或删去这一项以使用自带的模板",
            key=key,
        ) from None
    except OSError as e:
        raise TongbaoTemplateError(path, f"无法打开（{os_reason(e)}）", key=key) from None


def tongbao_path(folder: Path, today: date) -> Path:
    return folder / f"整改进展情况通报_{today.isoformat()}.docx"


def write_tongbao(content: bytes, path: Path) -> Path:
    """Save the draft, whole or not at all. A file open in Word on Windows cannot be
    replaced: that is a clear TongbaoSaveError, not a traceback."""
    try:
        write_whole(path, content)
    except OSError as e:
        raise TongbaoSaveError(
            f"通报草稿无法保存到 {path}（{os_reason(e)}）：如果它正在 Word 或 WPS 中打开，请关闭后再试"
        ) from None
    return path
