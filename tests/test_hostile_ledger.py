"""Ledgers that are damaged, absurd or full of pasted junk: each must give a clear Chinese
message or a data problem, never a traceback, an abort or a writer that chokes downstream."""

from __future__ import annotations

import email
import json
import re
import resource
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from builders import ledger, row, write
from hostile import (
    SHEET,
    append_rows,
    declare_size,
    excel_escape,
    parts_of,
    rewrite_sheet,
    set_cell,
    text_cell,
    write_parts,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler import config, pipeline
from scheduler.cli import main
from scheduler.core.history import History
from scheduler.core.model import Status
from scheduler.errors import ConfigError, LedgerError
from scheduler.ledger import archive, read_ledger, sheetxml
from scheduler.ledger.cells import clean
from scheduler.ledger.sheetxml import is_percent_format

START = date(2025, 1, 17)
MEMORY_LIMIT = 4 << 30  # the whole grid of a stray far cell would be 512 GB


def read(path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return read_ledger([path], START, **kw)  # type: ignore[arg-type]


def read_in_subprocess(path: Path) -> dict[str, object]:
    """read_ledger in a child process with its memory capped, so a reader that allocates the
    whole grid fails the test instead of taking the machine down."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    code = (
        "import json, sys, dataclasses, datetime, pathlib\n"
        "from scheduler.ledger import read_ledger\n"
        "r = read_ledger([pathlib.Path(sys.argv[1])], datetime.date(2025, 1, 17))\n"
        "print(json.dumps({'titles': [t.title for t in r.tasks],"
        " 'problems': [dataclasses.asdict(p) for p in r.problems]}, ensure_ascii=False))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, preexec_fn=cap, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    result: dict[str, object] = json.loads(done.stdout)
    return result


def a_ledger(tmp_path: Path, name: str = "台账.xlsx", rows: int = 2) -> Path:
    return write(tmp_path / name, {"台账": ledger([row(n, f"问题{n}") for n in range(1, rows + 1)])})


# --- 1. a stray value far away costs no memory --------------------------------------------------


@pytest.mark.slow
def test_it_reports_a_stray_far_cell_instead_of_allocating_the_whole_grid(tmp_path: Path) -> None:
    path = append_rows(a_ledger(tmp_path), f'<row r="1048576">{text_cell("XFD1048576", "x")}</row>')
    result = read_in_subprocess(path)
    assert result["titles"] == ["问题1", "问题2"]
    (problem,) = result["problems"]  # type: ignore[misc]
    assert (problem["cell"], problem["row"], problem["column"]) == ("XFD1048576", 1048576, "XFD列")
    assert "已忽略" in problem["message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("rows_xml", "cell"),
    [
        ('<row r="1"><c r="XFD1"><v>1</v></c></row>', "XFD1"),  # far right of the title row
        ('<row r="1048576"><c r="A1048576"><v>1</v></c></row>', "A1048576"),  # far below
        ('<row r="1048576"><c><v>1</v></c></row>', "A1048576"),  # a cell without its reference
        ('<row r="9"><c s="0" r="xfd1048576"><v>1</v></c></row>', "XFD1048576"),  # odd spelling
        ("<row><c/><c/></row>" * 3 + '<row r="1048576"><c/><c><v>1</v></c></row>', "B1048576"),
    ],
)
def test_it_ignores_far_cells_in_any_direction_and_without_references(
    tmp_path: Path, rows_xml: str, cell: str
) -> None:
    # 200 rows: a far column is only costly once the rows are many (200 × 16,384 cells).
    result = read_in_subprocess(append_rows(a_ledger(tmp_path, rows=200), rows_xml))
    assert result["titles"] == [f"问题{n}" for n in range(1, 201)]
    assert [p["cell"] for p in result["problems"]] == [cell]  # type: ignore[attr-defined]


def test_a_sheet_written_with_a_namespace_prefix_is_guarded_too(tmp_path: Path) -> None:
    # Some .NET writers prefix every element: <x:row>, <x:c>.
    def prefixed(xml: str) -> str:
        xml = xml.replace('xmlns="', 'xmlns:x="')
        return re.sub(r"<(/?)([A-Za-z]+)([\s>/])", r"<\1x:\2\3", xml)

    path = append_rows(a_ledger(tmp_path), '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    rewrite_sheet(path, prefixed)
    assert "<x:c " in parts_of(path)[SHEET].decode()
    result = read(path)
    assert [t.title for t in result.tasks] == ["问题1", "问题2"]
    assert [p.cell for p in result.problems] == ["XFD1048576"]


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _mixed(xml: str, x: str = "x") -> str:
    """The root unprefixed, the far cell written <x:c>, x bound to the same namespace."""
    xml = xml.replace(f'xmlns="{MAIN}"', f'xmlns="{MAIN}" xmlns:{x}="{MAIN}"', 1)
    far = f'<{x}:row r="1048576"><{x}:c r="XFD1048576"><{x}:v>1</{x}:v></{x}:c></{x}:row>'
    return xml.replace("</sheetData>", far + "</sheetData>")


def _mixed_chinese(xml: str) -> str:
    return _mixed(xml, "表")


def _late_root(xml: str) -> str:
    """Every element prefixed x:, the root only after 70 KB of comment."""
    xml = re.sub(r"<(/?)([A-Za-z]+)([\s>/])", r"<\1x:\2\3", xml.replace('xmlns="', 'xmlns:x="'))
    body = xml.split("?>", 1)[-1]
    far = '<x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>'
    return "<!--" + "a" * 70_000 + "-->" + body.replace("</x:sheetData>", far + "</x:sheetData>")


@pytest.mark.slow
@pytest.mark.parametrize("change", [_mixed, _mixed_chinese, _late_root])
def test_a_far_cell_is_found_whatever_prefix_its_tags_carry(
    tmp_path: Path, change: Callable[[str], str]
) -> None:
    # calamine knows a cell by its local name: <x:c> is a cell whatever the root element says.
    result = read_in_subprocess(rewrite_sheet(a_ledger(tmp_path), change))
    assert result["titles"] == ["问题1", "问题2"]
    assert [p["cell"] for p in result["problems"]] == ["XFD1048576"]  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_reference_with_thousands_of_digits_is_a_far_cell_not_a_crash(tmp_path: Path) -> None:
    path = append_rows(a_ledger(tmp_path), f'<row r="7"><c r="A{"1" * 5000}"><v>1</v></c></row>')
    result = read_in_subprocess(path)
    assert result["titles"] == ["问题1", "问题2"]
    (problem,) = result["problems"]  # type: ignore[misc]
    assert "很远" in problem["message"]


@pytest.mark.slow
def test_far_cells_out_of_order_are_all_cut_out(tmp_path: Path) -> None:
    # Rows need not come in order: the cells are cut where they stand in the file, not in the
    # order of their places, or what lies between them would be kept twice (far cell and all).
    rows_xml = (
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
        + '<row r="900000"><c r="B900000"><v>2</v></c></row>'
    )
    result = read_in_subprocess(append_rows(a_ledger(tmp_path), rows_xml))
    assert result["titles"] == ["问题1", "问题2"]
    assert [p["cell"] for p in result["problems"]] == ["B900000", "XFD1048576"]  # type: ignore[attr-defined]


def test_many_far_cells_are_listed_up_to_twenty_then_counted(tmp_path: Path) -> None:
    far = "".join(f'<row r="{900000 + n}"><c r="B{900000 + n}"><v>{n}</v></c></row>' for n in range(25))
    result = read(append_rows(a_ledger(tmp_path), far))
    assert [t.title for t in result.tasks] == ["问题1", "问题2"]
    cells = [p.cell for p in result.problems]
    assert cells[:20] == [f"B{900000 + n}" for n in range(20)]
    assert len(cells) == 21 and "另有 5 个" in result.problems[-1].message


def test_content_a_few_thousand_rows_down_is_still_read(tmp_path: Path) -> None:
    # Far only means costly: a note 3,000 rows down is an ordinary (if odd) part of the sheet.
    path = append_rows(a_ledger(tmp_path), f'<row r="3000">{text_cell("C3000", "迟到的问题")}</row>')
    result = read(path)
    assert [t.title for t in result.tasks] == ["问题1", "问题2", "迟到的问题"]
    assert all("很远" not in p.message for p in result.problems)


def test_a_wide_ledger_beyond_column_z_is_read_whole(tmp_path: Path) -> None:
    wide = [[*r, *[f"附加{i}" for i in range(20)]] for r in (row(1, "甲"), row(2, "乙"))]
    path = write(tmp_path / "t.xlsx", {"台账": ledger(wide)})
    result = read(path)
    assert [t.title for t in result.tasks] == ["甲", "乙"] and result.problems == ()


def test_values_scattered_over_the_whole_sheet_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    # No wide gap to cut at, yet a grid of billions of cells: refuse rather than try.
    def letters(n: int) -> str:
        out = ""
        while n:
            n, rest = divmod(n - 1, 26)
            out = chr(65 + rest) + out
        return out

    scattered = "".join(
        f'<row r="{900 * i}"><c r="{letters(90 * i)}{900 * i}"><v>1</v></c></row>' for i in range(1, 180)
    )
    with pytest.raises(LedgerError) as caught:
        read(append_rows(a_ledger(tmp_path), scattered))
    assert "台账.xlsx" in caught.value.message and "“台账”" in caught.value.message
    assert "分散" in caught.value.message and not caught.value.retryable


# --- 2. zip bombs and absurd files are refused before they are read ---------------------------


def test_a_part_that_unpacks_beyond_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = a_ledger(tmp_path)
    parts = parts_of(path)
    parts["xl/sharedStrings.xml"] = b"<sst>" + b"<si><t>aaaa</t></si>" * 200_000 + b"</sst>"  # 4 MB
    write_parts(path, parts)
    assert path.stat().st_size < 200_000
    with pytest.raises(LedgerError) as caught:
        read(path, max_unpacked_mb=2)
    assert str(path) in caught.value.message and "2 MB" in caught.value.message
    assert "max_unpacked_mb" in caught.value.message and not caught.value.retryable


def test_the_default_limit_refuses_a_file_declaring_a_gigabyte(tmp_path: Path) -> None:
    path = declare_size(a_ledger(tmp_path), "xl/styles.xml", 1 << 30)
    with pytest.raises(LedgerError) as caught:
        read(path)
    assert "512 MB" in caught.value.message and not caught.value.retryable


def test_a_part_that_unpacks_to_more_than_it_declares_is_refused(tmp_path: Path) -> None:
    # A lying header: small on paper, big in fact. Reading stops once it passes the claim.
    path = a_ledger(tmp_path)
    parts = parts_of(path)
    parts["docProps/custom.xml"] = b"<x>" + b"a" * 3_000_000 + b"</x>"
    declare_size(write_parts(path, parts), "docProps/custom.xml", 1000)
    with pytest.raises(LedgerError) as caught:
        read(path)
    assert str(path) in caught.value.message and "比它声明的大" in caught.value.message


def a_long_sheet(tmp_path: Path) -> Path:
    """A sheet part of about 300 KB: many pieces when a piece is made small."""
    return a_ledger(tmp_path, rows=600)


@pytest.mark.parametrize("lie", [-1000, +1000])
def test_a_sheet_read_in_pieces_that_is_not_the_size_it_declares_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lie: int
) -> None:
    monkeypatch.setattr(archive, "PIECE", 4096)
    path = a_long_sheet(tmp_path)
    with zipfile.ZipFile(path) as z:
        size = z.getinfo(SHEET).file_size
    declare_size(path, SHEET, size + lie)
    with pytest.raises(LedgerError) as caught:
        read(path)
    assert str(path) in caught.value.message
    assert ("比它声明的大" if lie < 0 else "已损坏") in caught.value.message


@pytest.mark.parametrize("piece", [64, 4096, 8 << 20])
def test_what_is_found_in_a_sheet_does_not_depend_on_the_pieces_it_is_read_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    # Far cells, percent formats and formula errors, anywhere in a sheet cut into pieces
    # at any byte: the same problems and the same progress as read in one piece.
    path = write(
        tmp_path / "t.xlsx",
        {"台账": ledger([row(n, f"问题{n}", progress=1.5) for n in range(1, 301)], formats={"J300": "0%"})},
    )
    set_cell(path, "H150", '<c r="H150" t="e"><f>A1/0</f><v>#DIV/0!</v></c>')
    append_rows(path, f'<row r="1048576">{text_cell("XFD1048576", "x")}</row>')
    monkeypatch.setattr(archive, "PIECE", piece)
    result = read(path)
    shown_150 = next(t for t in result.tasks if t.row == 300)
    assert len(result.tasks) == 300 and shown_150.progress is None
    assert [p.cell for p in result.problems] == ["XFD1048576", "H150", "J300"]


XML_BITS = [b'<c r="A1">', b"<v>1</v>", b"</c>", b"text", b"<", b">"]


@given(st.lists(st.sampled_from(XML_BITS), max_size=40), st.data())
def test_pieces_rejoin_into_spans_that_never_split_a_tag(parts: list[bytes], data: st.DataObject) -> None:
    xml = b"".join(parts)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(xml)), max_size=8)))
    pieces = [xml[a:b] for a, b in zip([0, *cuts], [*cuts, len(xml)], strict=True)]
    spans = [buffer[start:end] for buffer, start, end in sheetxml._spans(pieces)]
    assert b"".join(spans) == xml
    assert all(span.startswith(b"<") for span in spans[1:])  # so each tag lies whole in one span


def test_an_xls_larger_than_the_limit_is_refused_by_its_size(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "台账.xls"
    path.write_bytes((data_dir / "libreoffice_ledger.xls").read_bytes() + b"\0" * (2 << 20))
    with pytest.raises(LedgerError) as caught:
        read(path, max_unpacked_mb=1)
    assert str(path) in caught.value.message and "1 MB" in caught.value.message
    assert read_ledger([data_dir / "libreoffice_ledger.xls"], START, max_unpacked_mb=1).tasks


def test_an_ordinary_failure_to_read_may_be_retried() -> None:
    assert LedgerError(Path("台账.xlsx"), "文件被占用").retryable


@pytest.mark.parametrize("value", [0, -5, "512", 1.5, True])
def test_max_unpacked_mb_must_be_a_positive_whole_number(tmp_path: Path, value: object) -> None:
    shown = json.dumps(value) if not isinstance(value, bool) else "true"
    path = tmp_path / "config.toml"
    path.write_text(
        f'[ledger]\npath = "t.xlsx"\nmax_unpacked_mb = {shown}\n[plan]\nstart = 2025-01-17\n'
        '[mail]\noffice = ["office@example.gov.cn"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert "ledger.max_unpacked_mb" in caught.value.message and "整数" in caught.value.message


def test_max_unpacked_mb_defaults_to_512_and_reaches_the_reader(sample_config: Path, tmp_path: Path) -> None:
    assert config.load(sample_config).ledger.max_unpacked_mb == 512
    text = sample_config.read_text(encoding="utf-8").replace("max_unpacked_mb = 512", "max_unpacked_mb = 1")
    sample_config.write_text(text, encoding="utf-8")
    big = tmp_path / "big.xlsx"
    parts = parts_of(a_ledger(tmp_path))
    parts["docProps/custom.xml"] = b"<x>" + b"a" * (2 << 20) + b"</x>"
    write_parts(big, parts)
    assert main(["check", "--config", str(sample_config), "--ledger", str(big)]) == 2


# --- 3. ledger text is made safe where it enters ---------------------------------------------


CONTROLS = ["\x0b", "\x00", "\x01", "\x07", "\x0c", "\x1b", "\x1f"]


def mail_config(folder: Path, sections: str = '"大气环境股" = "dq@example.gov.cn"\n') -> Path:
    path = folder / "config.toml"
    path.write_text(
        '[ledger]\npath = "台账.xlsx"\n[plan]\nstart = 2025-01-17\n'
        f'[mail]\noffice = ["office@example.gov.cn"]\n[sections]\n{sections}',
        encoding="utf-8",
    )
    return path


def outbox(folder: Path) -> list[email.message.Message]:
    return [
        email.message_from_bytes(p.read_bytes()) for p in sorted((folder / "logs" / "outbox").glob("*.eml"))
    ]


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_control_character_in_the_lead_section_does_not_stop_the_mail(
    tmp_path: Path, char: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "台账.xlsx", {"台账": ledger([row(1, "问题一", lead="LEAD", deadline="2025年6月1日")])}
    )
    rewrite_sheet(path, lambda xml: xml.replace("LEAD", excel_escape(f"大气环境股{char}水环境股")))
    assert main(["run", "--once", "--config", str(mail_config(tmp_path)), "--today", "2025-06-20"]) == 0
    capsys.readouterr()
    (task,) = read(path).tasks
    assert task.lead == ("大气环境股", "水环境股") if char in "\x0b\x0c" else ("大气环境股水环境股",)
    (problem,) = read(path).problems
    assert (problem.sheet, problem.row, problem.column, problem.cell) == ("台账", 5, "牵头单位", "F5")
    assert "控制字符" in problem.message and char not in problem.value
    assert len(outbox(tmp_path)) == len(task.lead) + 1  # each section's warning, and the summary


def test_text_is_cleaned_everywhere_it_is_read_headers_and_sheet_names_too(tmp_path: Path) -> None:
    path = write(tmp_path / "t.xlsx", {"台账": ledger([row(1, "问题一", note="NOTE")])})
    rewrite_sheet(path, lambda xml: xml.replace("NOTE", excel_escape("甲\x1b[31m乙\u202e丙\ufeff")))
    (task,) = read(path).tasks
    assert task.note == "甲[31m乙丙"


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("大气环境股\x0b水环境股", "大气环境股\n水环境股"),
        ("一\r\n二\r三\u2028四", "一\n二\n三\n四"),
        ("\x00\x01\x07\x1b[0m\x1f\x7f\x85\x9f", "[0m"),
        ("a\ud800b", "a\ufffdb"),  # a lone surrogate cannot be encoded at all
        ("x\ufffe\uffff\U0010ffffy", "xy"),
        ("tab\tstays\n全角\u3000空格也留着", "tab\tstays\n全角\u3000空格也留着"),
        ("\u202egnp.exe", "gnp.exe"),
    ],
)
def test_clean_keeps_meaning_and_drops_what_no_writer_takes(raw: str, safe: str) -> None:
    assert clean(raw) == safe


_HOSTILE_TEXT = st.text(st.characters(codec=None, categories=None), max_size=12)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(_HOSTILE_TEXT, min_size=8, max_size=8))
def test_no_writer_fails_on_any_ledger_text(texts: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _run_with_texts(Path(folder), texts)


def _run_with_texts(folder: Path, texts: list[str]) -> None:
    """Every text cell of a three-row ledger holds arbitrary text; the whole weekly run, with
    attachments, report, store and terminal output, must finish and mail every section."""
    fields = ["category", "title", "measures", "leader", "lead", "support", "note"]
    rows = [
        row(1, **{f: f"T{i}" for i, f in enumerate(fields)}, deadline="2025年6月1日"),  # type: ignore[arg-type]
        row(2, "T1", "T4", "2025年6月1日", "T7", category="T0", note="T2"),
        row(3, "T7", "大气环境股", "T5", "T6", "T3"),  # hostile deadline, status, progress
    ]
    path = write(folder / "台账.xlsx", {"T7": ledger(rows)})

    def hostile(xml: str) -> str:
        for i in reversed(range(8)):
            xml = xml.replace(f">T{i}<", f">{excel_escape(texts[i])}<")
        return xml

    rewrite_sheet(path, hostile)
    cfg = mail_config(folder)
    code = main(["run", "--once", "--config", str(cfg), "--today", "2025-06-20"])
    assert code in (0, 3)
    code = main(["check", "--config", str(cfg), "--today", "2025-06-20"])
    assert code == 0
    settings_ = config.load(cfg)
    assessment = pipeline.assess(settings_, pipeline.read(settings_), date(2025, 6, 20), History())
    warned = {s for t in assessment.ledger.tasks if assessment.alerts.get(t.key) for s in t.lead or ("?",)}
    assert warned  # rows 1 and 2 are overdue whatever their text says
    assert len(outbox(folder)) == len(warned) + 1  # one mail per warned section, and the summary


def test_the_terminal_table_shows_markup_and_escapes_as_text(
    tmp_path: Path, sample_config: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "t.xlsx", {"台账": ledger([row(1, "TITLE", lead="[red]x[/red]", progress="[/]")])}
    )
    rewrite_sheet(path, lambda xml: xml.replace("TITLE", excel_escape("标题\x1b[31m红[bold]粗")))
    assert (
        main(["check", "--config", str(sample_config), "--ledger", str(path), "--today", "2025-06-20"]) == 0
    )
    out = capfd.readouterr().out
    assert "\x1b" not in out
    assert "[red]x[/red]" in out and "[bold]粗" in out and "[/]" in out


# --- 5. percent cells read as the office sees them; formula errors named ------------------------


def test_a_percent_formatted_cell_is_always_a_fraction(tmp_path: Path) -> None:
    rows = [
        row(1, progress=1.5, status=""),  # shows 150%
        row(2, progress=0.6, status=""),  # shows 60%
        row(3, progress=1, status=""),  # shows 100%
        row(4, progress=60, status=""),  # a plain number typed as a percent
        row(5, progress=1.5, status=""),  # a plain 1.5: today's rules, 1.5%
    ]
    formats = {f"J{r}": "0%" for r in (5, 6, 7)}
    result = read(write(tmp_path / "t.xlsx", {"台账": ledger(rows, formats=formats)}))
    assert [t.progress for t in result.tasks] == [None, 0.6, 1.0, 0.6, 0.015]
    (problem,) = result.problems
    assert (problem.cell, problem.value) == ("J5", "150%") and "不能超过100%" in problem.message
    assert result.tasks[2].status is Status.DONE


@pytest.mark.parametrize(
    ("code", "percent"),
    [
        ("0%", True),
        ("0.00%", True),
        ("0.0%;[Red]-0.0%", True),
        ('0"%"', False),
        ("0\\%", False),
        ("0.00", False),
    ],
)
def test_it_knows_a_percent_format_by_its_code(tmp_path: Path, code: str, percent: bool) -> None:
    assert is_percent_format(code) is percent
    rows = [row(1, progress=0.5, status=""), row(2, progress=1.5, status="")]
    result = read(write(tmp_path / "t.xlsx", {"台账": ledger(rows, formats={"J6": code})}))
    assert result.tasks[1].progress == (None if percent else 0.015)


@pytest.mark.parametrize("code", ["#REF!", "#N/A", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"])
def test_a_formula_error_is_reported_as_one_not_as_an_empty_cell(tmp_path: Path, code: str) -> None:
    path = write(tmp_path / "t.xlsx", {"台账": ledger([row(1, "问题一"), row(2, "问题二")])})
    error = f'<c r="{{ref}}" t="e"><f>A1/0</f><v>{code}</v></c>'
    for ref in ("F5", "H6", "J6"):  # 牵头单位, 完成时限, 完成进度
        set_cell(path, ref, error.format(ref=ref))
    result = read(path)
    assert [t.title for t in result.tasks] == ["问题一", "问题二"]
    found = [(p.cell, p.column, p.value, p.message) for p in result.problems]
    assert found == [
        ("F5", "牵头单位", code, f"单元格公式出错（{code}），请检查公式"),
        ("H6", "完成时限", code, f"单元格公式出错（{code}），请检查公式"),
        ("J6", "完成进度", code, f"单元格公式出错（{code}），请检查公式"),
    ]


def test_a_formula_error_on_a_sheet_that_needs_the_slow_walk_is_found_too(tmp_path: Path) -> None:
    path = write(tmp_path / "t.xlsx", {"台账": ledger([row(1, "问题一")])})
    set_cell(path, "H5", '<c t="e" r="H5"><v>#REF!</v></c>')  # attributes in another order
    assert [(p.cell, p.value) for p in read(path).problems] == [("H5", "#REF!")]


def test_a_workbook_with_no_styles_part_keeps_todays_rules(tmp_path: Path) -> None:
    path = write(tmp_path / "t.xlsx", {"台账": ledger([row(1, progress=60), row(2, progress=1)])})
    parts = parts_of(path)
    del parts["xl/styles.xml"]
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"/xl/styles.xml", b"/xl/none.xml")
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(b"styles.xml", b"none.xml")
    write_parts(path, parts)
    assert [t.progress for t in read(path).tasks] == [0.6, 1.0]


def test_the_sheet_part_is_found_as_calamine_finds_it(tmp_path: Path) -> None:
    # An absolute target and different case: both still lead to the sheet, and to its facts.
    path = write(tmp_path / "t.xlsx", {"台账": ledger([row(1, progress=1.5)], formats={"J5": "0%"})})
    parts = parts_of(path)
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(
        b'Target="/xl/worksheets/sheet1.xml"', b'Target="worksheets/Sheet1.xml"'
    )
    assert b"Sheet1.xml" in parts[rels]
    write_parts(path, parts)
    assert zipfile.ZipFile(path).read(SHEET)
    assert read(path).tasks[0].progress is None


def test_the_service_skips_a_refused_file_at_once_instead_of_retrying(tmp_path: Path) -> None:
    from scheduler import config as config_module
    from scheduler.service.runner import Service

    path = declare_size(a_ledger(tmp_path), "xl/styles.xml", 1 << 30)
    path.rename(tmp_path / "台账.xlsx")
    config = mail_config(tmp_path)
    config.write_text(
        config.read_text(encoding="utf-8") + "\n[schedule]\nread_retries = 5\nread_retry_seconds = 600\n",
        encoding="utf-8",
    )
    settings = config_module.load(config)
    service = Service(config, settings)
    service.stop.set()  # had it tried again, it would have given up quietly, returning nothing
    with pytest.raises(LedgerError) as caught:
        service._read_ledger(settings)
    assert not caught.value.retryable and "512 MB" in caught.value.message
