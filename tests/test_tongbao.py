"""The 整改进展情况通报 draft: a real .docx, read back with python-docx, and converted to PDF
by LibreOffice where it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from builders import ledger, row, write
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from scheduler import pipeline
from scheduler.cli import main
from scheduler.config import load
from scheduler.core.history import History
from scheduler.views.tongbao import SHIPPED_TEMPLATE, chinese_ordinal

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seeds" / "000_1eb820fdb94078f3.txt"
TODAY = "2025-06-20"

# The seed's section 二: the item numbers under each of its 11 categories.
SEED_GROUPS = [[1], [2, 3], [4, 5, 6, 7, 8, 9, 10], [11], [12], [13], [14], [15], [16], [17, 18], [19]]


def sample() -> Any:
    sys.path.insert(0, str(ROOT / "sheets"))
    try:
        import make_sample
    finally:
        sys.path.remove(str(ROOT / "sheets"))
    return make_sample


def tongbao(config: Path, *extra: str) -> int:
    return main(["tongbao", "--config", str(config), "--today", TODAY, *extra])


def draft_path(config: Path) -> Path:
    return config.parent / "sheets" / "reports" / f"整改进展情况通报_{TODAY}.docx"


@pytest.fixture
def sample_draft(sample_config: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert tongbao(sample_config) == 0
    path = draft_path(sample_config)
    assert f"已生成通报草稿：{path}" in capsys.readouterr().out
    return path


def texts(path: Path) -> list[str]:
    return [p.text for p in Document(str(path)).paragraphs]


def section_two(lines: list[str]) -> list[str]:
    start = next(i for i, t in enumerate(lines) if t.startswith("二、"))
    end = next(i for i, t in enumerate(lines) if t.startswith("三、"))
    return lines[start + 1 : end]


@pytest.fixture
def office(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        '[office]\nname = "沅江分局"\n[ledger]\npath = "台账.xlsx"\n[plan]\nstart = 2025-01-17\n'
        '[store]\npath = "state.sqlite3"\n[mail]\noffice = ["office@example.gov.cn"]\n',
        encoding="utf-8",
    )
    return config


def with_tongbao(config: Path, lines: str) -> Path:
    config.write_text(config.read_text(encoding="utf-8") + "[tongbao]\n" + lines, encoding="utf-8")
    return config


def save(config: Path, rows: list[list[Any]]) -> None:
    write(config.parent / "台账.xlsx", {"整改台账": ledger(rows)})


# --- content ---------------------------------------------------------------------------------


def test_it_numbers_categories_in_chinese_up_to_thirty() -> None:
    expected = re.findall(
        r"\S+",
        "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七 十八 十九 二十 "
        "二十一 二十二 二十三 二十四 二十五 二十六 二十七 二十八 二十九 三十",
    )
    assert [chinese_ordinal(n) for n in range(1, 31)] == [f"（{n}）" for n in expected]
    assert [chinese_ordinal(n) for n in (99, 100, 101, 110, 115, 999)] == [
        "（九十九）",
        "（一百）",
        "（一百零一）",
        "（一百一十）",
        "（一百一十五）",
        "（九百九十九）",
    ]


def test_section_two_lists_the_seeds_nineteen_items_in_order_under_its_eleven_categories(
    sample_draft: Path,
) -> None:
    made = sample()
    body = section_two(texts(sample_draft))
    assert body[0].startswith("截至2025年6月20日，")
    expected = []
    for index, items in enumerate(SEED_GROUPS, start=1):
        category = made.CATEGORIES[made.ITEMS[items[0] - 1][0]]
        expected.append(f"{chinese_ordinal(index)}反馈问题：{category}")
        for n in items:
            _, title, *_, note = made.ITEMS[n - 1]
            expected += [f"{n}.{title}。", f"整改情况：{note}。"]
    assert body[1:] == expected


@pytest.mark.skipif(not SEED.is_file(), reason="the seed 通报 is in shared/, beside the repository")
def test_its_groups_match_the_hand_written_seed(sample_draft: Path) -> None:
    seed = SEED.read_text(encoding="utf-8").splitlines()
    groups: list[tuple[str, list[int]]] = []
    for line in map(str.strip, seed):
        if "反馈问题：" in line and line.startswith(("（", "(")):
            groups.append((line.split("反馈问题：", 1)[1].rstrip("。"), []))
        elif groups and (m := re.match(r"^(\d+)\.", line)):
            groups[-1][1].append(int(m.group(1)))
    ours = [t for t in section_two(texts(sample_draft)) if "反馈问题：" in t]
    assert [items for _, items in groups] == SEED_GROUPS
    assert len(ours) == len(groups) == 11
    for mine, (theirs, _) in zip(ours, groups, strict=True):
        assert mine.split("反馈问题：", 1)[1].endswith(theirs)  # the sample names its 11th more fully
    # The seed numbers two of them （5） and （10）; the draft never does.
    assert "（5）" in SEED.read_text(encoding="utf-8")
    assert [t.split("反馈问题")[0] for t in ours][4::5] == ["（五）", "（十）"]


def test_the_figures_are_the_ones_the_mail_and_report_show(sample_config: Path, sample_draft: Path) -> None:
    body = section_two(texts(sample_draft))
    assert body[0] == (
        "截至2025年6月20日，台账所列整改问题共19项，已完成8项（其中已销号1项），"
        "正在推进9项，长期坚持2项；逾期未完成2项，完成率42%。"
    )
    settings = load(sample_config)
    ledger_read = pipeline.read(settings)
    from datetime import date

    assessment = pipeline.assess(settings, ledger_read, date(2025, 6, 20), History())
    view = pipeline.view(settings, assessment, History())
    assert "台账共 19 项整改任务，已完成 8 项（完成率 42%）" in view.headline_text


def test_issuer_title_and_the_template_narrative_frame_section_two(sample_draft: Path) -> None:
    lines = [t for t in texts(sample_draft) if t]
    assert lines[:2] == ["中共益阳市生态环境局沅江分局党组", "关于专项巡察整改进展情况的通报"]
    assert lines[2].startswith("【请填写：")
    assert "2025年1月17日起开展整改" in lines[2]  # {{ plan_start }}
    headings = [t for t in lines if re.match(r"^[一二三]、", t)]
    assert headings == ["一、组织整改落实情况", "二、整改进展情况", "三、下一步整改工作安排"]
    assert lines[-2:] == ["中共益阳市生态环境局沅江分局党组", "2025年6月20日"]
    assert not any("{{" in t or "TAIZHANG-" in t for t in lines)


def test_template_syntax_in_a_ledger_cell_is_printed_literally(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = [
        row(1, "{{ office }}问题", category="{% if true %}类别{% endif %}", note="{# 注释 #}进展{_{"),
        row(2, "{%p for x in y %}", category="{{ 7*7 }}", note="}}{{ ledger }}"),
    ]
    save(office, hostile)
    assert tongbao(office) == 0
    body = section_two(texts(draft_path(office)))
    assert body[1:] == [
        "（一）反馈问题：{% if true %}类别{% endif %}",
        "1.{{ office }}问题。",
        "整改情况：{# 注释 #}进展{_{。",
        "（二）反馈问题：{{ 7*7 }}",
        "2.{%p for x in y %}。",
        "整改情况：}}{{ ledger }}。",
    ]


def test_a_task_without_progress_reads_to_be_filled_and_is_listed(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(office, [row(1, "甲", note="已完成一半"), row(2, "乙", note="")])
    assert tongbao(office) == 0
    out = capsys.readouterr().out
    assert "数据问题（1处，请在台账中修正）" in out
    assert "整改台账 第6行 整改进展：没有整改进展，通报中写作“【待补充】”" in out
    assert section_two(texts(draft_path(office)))[-1] == "整改情况：【待补充】"


def test_without_a_number_for_every_task_items_are_numbered_in_ledger_order(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(office, [row(7, "甲", category=""), row(None, "乙", category=""), row(3, "丙", category="一、大气")])
    assert tongbao(office) == 0
    body = section_two(texts(draft_path(office)))
    assert [t for t in body if not t.startswith("整改情况")][1:] == [
        "（一）其他问题",
        "1.甲。",
        "2.乙。",
        "（二）反馈问题：大气",  # the ledger's own ordinal is dropped, not doubled
        "3.丙。",
    ]


def test_show_status_ends_each_progress_note_with_its_state(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_tongbao(office, "show_status = true\n")
    save(
        office,
        [
            row(1, "甲", status="已完成", progress=1),
            row(2, "乙", status="已销号", progress=1),
            row(3, "丙", deadline="2025年6月30日", progress=0.9),
            row(4, "丁", deadline="2025年5月31日", progress=0.4),
            row(5, "戊", deadline="长期坚持", status="持续推进", progress=None),
        ],
    )
    assert tongbao(office) == 0
    notes = [t for t in section_two(texts(draft_path(office))) if t.startswith("整改情况")]
    assert notes == [
        "整改情况：进展。（已完成）",
        "整改情况：进展。（已销号）",
        "整改情况：进展。（正在推进，完成时限2025年6月30日）",
        "整改情况：进展。（已逾期20天）",
        "整改情况：进展。（长期坚持）",
    ]


def test_two_hundred_tasks_in_thirty_categories_keep_their_numbering(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [row(n, f"问题{n}", category=f"类别{(n - 1) // 7 + 1}") for n in range(1, 201)]
    assert len({r[1] for r in rows}) == 29
    rows += [row(201, "问题201", category="类别30")]
    save(office, rows)
    assert tongbao(office) == 0
    body = section_two(texts(draft_path(office)))
    headings = [t for t in body if "反馈问题" in t]
    assert headings == [f"{chinese_ordinal(n)}反馈问题：类别{n}" for n in range(1, 31)]
    items = [t for t in body if re.match(r"^\d+\.", t)]
    assert items == [f"{n}.问题{n}。" for n in range(1, 202)]


# --- format ----------------------------------------------------------------------------------


def fonts(paragraph: Paragraph) -> set[tuple[str | None, str | None, float | None]]:
    """(Latin font, East Asian font, size) of each run that shows text."""
    found = set()
    for run in paragraph.runs:
        if not run.text:
            continue
        rfonts = run._element.rPr.rFonts
        size = run.font.size.pt if run.font.size else None
        found.add((rfonts.get(qn("w:ascii")), rfonts.get(qn("w:eastAsia")), size))
    return found


def test_the_draft_is_in_official_document_format(sample_draft: Path) -> None:
    document = Document(str(sample_draft))
    section = document.sections[0]
    size = (section.page_width, section.page_height)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert [round(x.mm, 1) for x in (*size, *margins)] == [210, 297, 37, 35, 28, 26]  # A4; in twips
    grid = section._sectPr.find(qn("w:docGrid"))
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch"))) == ("lines", "579")  # 22 lines

    paragraphs = [p for p in document.paragraphs if p.text]
    by_text: dict[str, Paragraph] = {}
    for p in paragraphs:
        by_text.setdefault(p.text, p)  # the issuer's first line, not the signature
    for title in ("中共益阳市生态环境局沅江分局党组", "关于专项巡察整改进展情况的通报"):
        assert fonts(by_text[title]) == {("方正小标宋简体", "方正小标宋简体", 22.0)}
        assert by_text[title].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    looks = {
        "一、组织整改落实情况": "黑体",
        "（一）反馈问题：落实习近平总书记对湖南重要指示批示“守护一江碧水”有差距": "楷体_GB2312",
        "1.南洞庭湖国控断面还不能稳定达到三类水质。": "仿宋_GB2312",
        "整改情况：2024年9月通过省级验收销号，持续监管防反弹。": "仿宋_GB2312",
    }
    for text, font in looks.items():
        p = by_text[text]
        assert fonts(p) == {(font, font, 16.0)}
        pf = p.paragraph_format
        assert (pf.line_spacing, pf.first_line_indent) == (Pt(28.95), Pt(32))
        assert p._p.pPr.ind.get(qn("w:firstLineChars")) == "200"  # two characters
    # Every run that shows text names its East Asian font, or Word and WPS fall back to 宋体.
    assert all(east for p in paragraphs for _, east, _ in fonts(p))
    # 28 characters a line: each 16 pt character condensed by 0.25 pt.
    body_run = by_text["一、组织整改落实情况"].runs[0]._element.rPr
    assert body_run.find(qn("w:spacing")).get(qn("w:val")) == "-5"


def test_page_numbers_are_centred_dashes_right_on_odd_pages_left_on_even(sample_draft: Path) -> None:
    document = Document(str(sample_draft))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        (p,) = footer.paragraphs
        xml = p._p.xml
        assert "<w:instrText" in xml and " PAGE " in p._p.xpath("string(.//w:instrText)")
        assert p.text == "— 1 —"  # the PAGE field's shown value between 一字线
        assert p._p.pPr.jc.get(qn("w:val")) == align
        assert fonts(p) == {("宋体", "宋体", 14.0)}


def test_the_shipped_template_is_what_its_script_builds(tmp_path: Path) -> None:
    sys.path.insert(0, str(SHIPPED_TEMPLATE.parent))
    try:
        import make_template
    finally:
        sys.path.remove(str(SHIPPED_TEMPLATE.parent))
    rebuilt = make_template.build(tmp_path / "模板.docx")
    with zipfile.ZipFile(rebuilt) as a, zipfile.ZipFile(SHIPPED_TEMPLATE) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        assert all(a.read(name) == b.read(name) for name in a.namelist())


def test_the_shipped_template_marks_what_the_office_must_write() -> None:
    lines = [p.text for p in Document(str(SHIPPED_TEMPLATE)).paragraphs]
    placeholders = [t for t in lines if t.startswith("【请填写：")]
    assert len(placeholders) == 4
    assert "{{ ledger }}" in lines


# --- bad input -------------------------------------------------------------------------------


def bad(config: Path, capsys: pytest.CaptureFixture[str]) -> str:
    save(config, [row(1, "甲")])
    assert tongbao(config) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("错误：")
    return err


def test_a_missing_template_is_named_with_its_config_key(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_tongbao(office, 'template = "模板/通报.docx"\n')
    err = bad(office, capsys)
    assert str(office.parent / "模板" / "通报.docx") in err
    assert "tongbao.template" in err and "文件不存在" in err


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"not a zip at all", "不是有效的 .docx 文件"),
        ("{{ office ", "写法有误"),
        ("{% if %}", "写法有误"),
        ("{{ offce }}", "字段 offce 不存在"),
        ("没有台账部分", "{{ ledger }} 找不到"),
        ("{{ ledger }}和别的文字", "{{ ledger }} 没有单独成段"),
    ],
)
def test_a_broken_template_is_named_and_exits_2(
    office: Path, capsys: pytest.CaptureFixture[str], content: bytes | str, says: str
) -> None:
    template = office.parent / "通报.docx"
    if isinstance(content, bytes):
        template.write_bytes(content)
    else:
        document = Document(str(SHIPPED_TEMPLATE))
        for p in document.paragraphs:
            if p.text == "{{ ledger }}":
                p.runs[0].text = content
        document.save(str(template))
    with_tongbao(office, 'template = "通报.docx"\n')
    err = bad(office, capsys)
    assert f"通报模板 {template}" in err and says in err


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('show_status = "yes"', "tongbao.show_status"),
        ('template = "通报.doc"', "tongbao.template"),
        ("enabled = 1", "tongbao.enabled"),
        ('title = ""', "tongbao.title"),
        ('titel = "通报"', "tongbao.titel"),
    ],
)
def test_a_bad_tongbao_setting_names_its_key(
    office: Path, capsys: pytest.CaptureFixture[str], line: str, key: str
) -> None:
    with_tongbao(office, line + "\n")
    err = bad(office, capsys)
    assert key in err


# --- the weekly run ----------------------------------------------------------------------------


def summary_attachments(config: Path) -> tuple[list[str], str]:
    (eml,) = (config.parent / "logs" / "outbox").glob("*整改周报*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    names = [a.get_filename() for a in message.iter_attachments()]  # type: ignore[attr-defined]
    body = message.get_body(("plain",))  # type: ignore[attr-defined]
    return names, body.get_content()


def test_the_weekly_run_attaches_the_draft_when_enabled(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_tongbao(office, "enabled = true\n")
    save(office, [row(1, "甲"), row(2, "乙", status="已完成", progress=1)])
    assert main(["run", "--once", "--config", str(office), "--today", TODAY]) == 0
    names, _ = summary_attachments(office)
    assert names == [f"整改进展周报_{TODAY}.xlsx", f"整改进展情况通报_{TODAY}.docx"]
    assert "2.乙。" in texts(draft_path(office))


def test_a_broken_template_costs_the_weekly_run_only_the_draft(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (office.parent / "通报.docx").write_bytes(b"broken")
    with_tongbao(office, 'enabled = true\ntemplate = "通报.docx"\n')
    save(office, [row(1, "甲")])
    assert main(["run", "--once", "--config", str(office), "--today", TODAY]) == 0
    names, text = summary_attachments(office)
    assert names == [f"整改进展周报_{TODAY}.xlsx"]
    assert "本周的通报草稿未能生成" in text and "通报.docx" in text


# --- in LibreOffice ------------------------------------------------------------------------------

SOFFICE = shutil.which("soffice")
PDFTOTEXT = shutil.which("pdftotext")


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None or PDFTOTEXT is None, reason="LibreOffice or poppler is not installed")
def test_libreoffice_opens_the_draft_and_prints_it_in_order(sample_draft: Path, tmp_path: Path) -> None:
    assert SOFFICE is not None and PDFTOTEXT is not None
    out = tmp_path / "pdf"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(out), str(sample_draft)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = out / sample_draft.with_suffix(".pdf").name
    text = subprocess.run(
        [PDFTOTEXT, str(pdf), "-"], check=True, capture_output=True, text=True, encoding="utf-8"
    ).stdout
    flat = re.sub(r"\s+", "", text)
    order = [
        "中共益阳市生态环境局沅江分局党组",
        "关于专项巡察整改进展情况的通报",
        "一、组织整改落实情况",
        "二、整改进展情况",
        "（一）反馈问题：",
        "1.南洞庭湖国控断面",
        "（十一）反馈问题：",
        "19.上级警示片披露",
        "三、下一步整改工作安排",
    ]
    positions = [flat.find(s) for s in order]
    assert -1 not in positions and positions == sorted(positions)
    pages = text.count("\f")
    assert pages >= 3
    assert "—1—" in flat and "—2—" in flat
