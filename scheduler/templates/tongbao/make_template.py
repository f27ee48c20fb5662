"""Build the shipped 通报 template, 通报模板.docx, beside this script:

    python scheduler/templates/tongbao/make_template.py [--out PATH]

The office copies the template next to config.toml, edits its narrative in Word or WPS and
points `[tongbao] template` at it. The narrative paragraphs here are placeholders in
【请填写：…】, so that nothing invented goes out; `{{ ledger }}` marks where taizhang puts the
part it writes from the ledger (二、…). Fields are in docxtpl's (Jinja's) {{ }} syntax.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.opc.constants import RELATIONSHIP_TYPE as RT

from scheduler.views.gongwen import Kind, add, set_body_defaults, set_page, set_page_numbers

HERE = Path(__file__).resolve().parent
OUT = HERE / "通报模板.docx"

# (kind, text), in order. Keep `{{ ledger }}` alone in its paragraph.
PARAGRAPHS: list[tuple[Kind, str]] = [
    (Kind.TITLE, "{{ issuer }}"),
    (Kind.TITLE, "{{ title }}"),
    (Kind.BODY, ""),
    (
        Kind.BODY,
        "【请填写：开头段落，写明整改工作的背景和依据（何时、由谁反馈了什么意见，"
        "{{ plan_start }}起开展整改），最后一句如“现将整改进展情况通报如下。”】",
    ),
    (Kind.HEADING1, "一、组织整改落实情况"),
    (
        Kind.BODY,
        "【请填写：组织整改落实情况，如召开专题会议、成立整改专班、制定整改方案、建立任务台账、督导检查等。】",
    ),
    (Kind.HEADING1, "二、整改进展情况"),
    (Kind.BODY, "{{ ledger }}"),
    (Kind.HEADING1, "三、下一步整改工作安排"),
    (Kind.BODY, "【请填写：下一步整改工作安排，如巩固已完成事项、推进未完成事项、建立长效机制等。】"),
    (Kind.BODY, "【请填写：结束语和联系方式（联系电话、邮政信箱、电子邮件）。】"),
    (Kind.BODY, ""),
    (Kind.BODY, ""),
    (Kind.SIGNATURE, "{{ issuer }}"),
    (Kind.DATE, "{{ today }}"),
]


def build(out: Path) -> Path:
    document = Document()
    set_body_defaults(document)
    section = document.sections[0]
    set_page(section)
    set_page_numbers(document, section)
    first = document.paragraphs[0] if document.paragraphs else None
    if first is not None and not first.text:
        first._p.getparent().remove(first._p)  # the blank paragraph a new document starts with
    for kind, text in PARAGRAPHS:
        add(document, kind, text)
    props = document.core_properties
    props.title = "整改进展情况通报（模板）"
    props.author = "taizhang"
    props.comments = "由 taizhang 生成的通报模板；双花括号中的字段由 taizhang 填写，详见 README"
    _drop_thumbnail(document)
    out.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(out))
    return out


def _drop_thumbnail(document: DocumentObject) -> None:
    """python-docx's blank document carries a picture of an English page as its thumbnail."""
    rels = document.part.package.rels
    for rid in [rid for rid, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        del rels[rid]


def main() -> None:
    parser = argparse.ArgumentParser(description="重新生成自带的通报模板")
    parser.add_argument("--out", type=Path, default=OUT)
    print(build(parser.parse_args().out))  # noqa: T201


if __name__ == "__main__":
    main()
