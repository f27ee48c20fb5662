"""GB/T 9704-2012 党政机关公文格式, as python-docx formatting: the page, the fonts of each
kind of paragraph, and the page numbers.

The shipped 通报 template (templates/tongbao/make_template.py) and every paragraph the 通报
draft generates use these, so the narrative the office types and the part taizhang writes
look the same. Every run names its East Asian font (w:eastAsia) as well as the Latin one:
with only the Latin name set, Word and WPS fall back to 宋体 for Chinese text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from docx.document import Document
from docx.enum.section import WD_ORIENTATION
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Length, Mm, Pt, Twips
from docx.text.paragraph import Paragraph
from docx.text.run import Run

# The fonts the standard names. Where they are not installed, Word and WPS substitute; the
# file still names the right ones, so the office's machines print them.
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"

TITLE_SIZE = 22.0  # 2号
BODY_SIZE = 16.0  # 3号
PAGE_NUMBER_SIZE = 14.0  # 4号

# A4; the type area is 156 mm × 225 mm: 22 lines of 28 characters.
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
TOP_MM, BOTTOM_MM, LEFT_MM, RIGHT_MM = 37, 35, 28, 26
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
# The page number's 一字线 sits 7 mm below the type area; its line is about 5 mm high.
FOOTER_MM = 23

# 225 mm / 22 lines = 28.95 pt a line (579 twips): a line grid, and every paragraph's line
# spacing fixed at it, so that every page holds 22 lines.
LINE_PITCH_TWIPS = 579
LINE_SPACING = Twips(LINE_PITCH_TWIPS)
# 28 characters of 16 pt need 448 pt; the line is 156 mm = 442.2 pt. Word's usual way is a
# character grid (charSpace −849: a 15.79 pt pitch), but LibreOffice gives a 16 pt character
# two cells of such a grid and spreads the text over half the line. Condensing each character
# by 0.25 pt (15.75 pt × 28 = 441 pt) gives 28 a line in Word, WPS and LibreOffice alike.
CONDENSE_TWENTIETHS = -5  # w:spacing is in twentieths of a point
TITLE_LINE_SPACING = Pt(35)  # two title lines of 22 pt need more than the body's 28.95 pt

DASH = "—"  # 一字线 either side of the page number: "— 1 —"


class Kind(enum.Enum):
    """The kinds of paragraph a 通报 has."""

    TITLE = "title"  # 发文机关 and 标题: 2号方正小标宋简体, centred
    BODY = "body"  # 3号仿宋_GB2312, first line indented two characters
    HEADING1 = "heading1"  # 一、 黑体
    HEADING2 = "heading2"  # （一） 楷体_GB2312
    HEADING3 = "heading3"  # 1. 仿宋_GB2312
    SIGNATURE = "signature"  # 发文机关署名, right
    DATE = "date"  # 成文日期, right, four characters from the edge


@dataclass(frozen=True)
class Look:
    font: str
    size: float
    align: WD_ALIGN_PARAGRAPH
    first_line_chars: int = 0  # indent of the first line, in characters
    right_chars: int = 0  # indent from the right, in characters
    spacing: Length = LINE_SPACING


LOOKS: dict[Kind, Look] = {
    Kind.TITLE: Look(TITLE_FONT, TITLE_SIZE, WD_ALIGN_PARAGRAPH.CENTER, spacing=TITLE_LINE_SPACING),
    Kind.BODY: Look(BODY_FONT, BODY_SIZE, WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars=2),
    Kind.HEADING1: Look(HEADING1_FONT, BODY_SIZE, WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars=2),
    Kind.HEADING2: Look(HEADING2_FONT, BODY_SIZE, WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars=2),
    Kind.HEADING3: Look(BODY_FONT, BODY_SIZE, WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_chars=2),
    Kind.SIGNATURE: Look(BODY_FONT, BODY_SIZE, WD_ALIGN_PARAGRAPH.RIGHT, right_chars=2),
    Kind.DATE: Look(BODY_FONT, BODY_SIZE, WD_ALIGN_PARAGRAPH.RIGHT, right_chars=4),
}


def set_font(run: Run, font: str, size: float) -> None:
    """Name the font for Latin, East Asian and complex script text alike, and its size."""
    run.font.name = font
    run.font.size = Pt(size)
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), font)
    rpr = run._element.get_or_add_rPr()
    _child(rpr, "w:szCs", _AFTER_SZ_CS).set(qn("w:val"), str(int(size * 2)))
    if size == BODY_SIZE:
        _condense(rpr)


# The schema fixes the order of a run's properties; Word refuses a file that breaks it.
_AFTER_SZ_CS = (
    "w:highlight",
    "w:u",
    "w:effect",
    "w:bdr",
    "w:shd",
    "w:fitText",
    "w:vertAlign",
    "w:rtl",
    "w:cs",
    "w:em",
    "w:lang",
    "w:eastAsianLayout",
    "w:specVanish",
    "w:oMath",
)
_AFTER_SPACING = ("w:w", "w:kern", "w:position", "w:sz", "w:szCs", *_AFTER_SZ_CS)


def _child(rpr: Any, tag: str, successors: tuple[str, ...]) -> Any:
    found = rpr.find(qn(tag))
    if found is None:
        found = OxmlElement(tag)
        rpr.insert_element_before(found, *successors)
    return found


def _condense(rpr: Any) -> None:
    _child(rpr, "w:spacing", _AFTER_SPACING).set(qn("w:val"), str(CONDENSE_TWENTIETHS))


def shape(paragraph: Paragraph, kind: Kind) -> Paragraph:
    """Give a paragraph, and each of its runs, the look of its kind."""
    look = LOOKS[kind]
    pf = paragraph.paragraph_format
    pf.alignment = look.align
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.line_spacing = look.spacing  # a length: exactly this, not "at least"
    pf.first_line_indent = Pt(look.first_line_chars * look.size)
    pf.right_indent = Pt(look.right_chars * look.size)
    ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
    # Character units too, so the indent stays two characters when the office resizes the text.
    ind.set(qn("w:firstLineChars"), str(look.first_line_chars * 100))
    if look.right_chars:
        ind.set(qn("w:rightChars"), str(look.right_chars * 100))
    for run in paragraph.runs:
        set_font(run, look.font, look.size)
    return paragraph


def add(document: Document, kind: Kind, text: str) -> Paragraph:
    paragraph = document.add_paragraph()
    paragraph.add_run(text)
    return shape(paragraph, kind)


def set_page(section: Section) -> None:
    """A4 portrait, the standard margins and the 22-line document grid."""
    section.orientation = WD_ORIENTATION.PORTRAIT
    section.page_width = Mm(PAGE_WIDTH_MM)
    section.page_height = Mm(PAGE_HEIGHT_MM)
    section.top_margin = Mm(TOP_MM)
    section.bottom_margin = Mm(BOTTOM_MM)
    section.left_margin = Mm(LEFT_MM)
    section.right_margin = Mm(RIGHT_MM)
    section.footer_distance = Mm(FOOTER_MM)
    section.header_distance = Mm(15)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))


def set_body_defaults(document: Document) -> None:
    """The Normal style is the body text, so what the office types in the template looks
    right without choosing a style; the document's default language is Chinese."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for fonts in defaults.iter(qn("w:rFonts")):
            for attr in list(fonts.attrib):
                del fonts.attrib[attr]  # theme fonts would win over the names below
            for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                fonts.set(qn(slot), BODY_FONT)
        for lang in defaults.iter(qn("w:lang")):
            lang.set(qn("w:val"), "en-US")
            lang.set(qn("w:eastAsia"), "zh-CN")
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(BODY_SIZE)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), BODY_FONT)
    _condense(normal.element.get_or_add_rPr())
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.line_spacing = LINE_SPACING
    pf.first_line_indent = Pt(2 * BODY_SIZE)
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    pf.widow_control = False  # a 公文 fills every page's 22 lines
    normal.element.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "200")


def set_page_numbers(document: Document, section: Section) -> None:
    """ "— 1 —" in 4号宋体 at the foot of every page: odd pages on the right, even pages on
    the left, each one character in from the edge."""
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(paragraph: Paragraph, align: WD_ALIGN_PARAGRAPH) -> None:
    for run in list(paragraph.runs):
        run._element.getparent().remove(run._element)
    pf = paragraph.paragraph_format
    pf.alignment = align
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    one_char = Pt(PAGE_NUMBER_SIZE)
    pf.right_indent = one_char if align is WD_ALIGN_PARAGRAPH.RIGHT else Pt(0)
    pf.left_indent = one_char if align is WD_ALIGN_PARAGRAPH.LEFT else Pt(0)
    pf.first_line_indent = Pt(0)
    paragraph.add_run(f"{DASH} ")
    _field(paragraph, "PAGE")
    paragraph.add_run(f" {DASH}")
    for run in paragraph.runs:
        set_font(run, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A field (PAGE …): begin, the instruction, separate, a shown value, end."""
    for part in ("begin", "instr", "separate", "value", "end"):
        run = paragraph.add_run()
        if part == "instr":
            text = OxmlElement("w:instrText")
            text.set(qn("xml:space"), "preserve")
            text.text = f" {instruction} "
            run._element.append(text)
        elif part == "value":
            run.text = "1"
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), part)
            run._element.append(char)
