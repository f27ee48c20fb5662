"""Names from the ledger never break paths: outbox files and attachments, written for real."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from builders import task
from openpyxl import Workbook, load_workbook

from scheduler.config import MailSettings, load
from scheduler.core.model import Ledger
from scheduler.cycle import Cycle
from scheduler.mail.names import safe_file_name, safe_sheet_title
from scheduler.mail.transports import Envelope, OutboxTransport

TODAY = date(2025, 6, 20)
ODD_NAMES = [
    "大" * 120,  # 360 bytes of UTF-8: more than a file name may hold
    "../../逃逸股",
    "CON",
    "nul.txt",
    "a/b\\c",
    "大气\x07环境\x0b股\u202e",  # a bell, a vertical tab from Word, a right-to-left override
    "🌊水环境股🌊",
    "股室. . ",
]


def write_config(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        """
[ledger]
path = "台账.xlsx"
[plan]
start = 2025-01-17
[store]
path = "state.sqlite3"
[mail]
transport = "outbox"
outbox_dir = "deep/er/outbox"
office = ["office@example.gov.cn"]
[report]
dir = "deep/er/reports"
""",
        encoding="utf-8",
    )
    return config


def parse(data: bytes) -> EmailMessage:
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


@pytest.mark.parametrize("section", ODD_NAMES)
def test_a_section_with_an_odd_name_gets_its_mail_into_the_outbox_folder_and_nowhere_else(
    tmp_path: Path, section: str
) -> None:
    settings = load(write_config(tmp_path))
    overdue = task("整改台账!5", lead=(section,), deadline=date(2025, 6, 1), progress=0.5)
    Cycle(settings, TODAY, clock=lambda: datetime(2025, 6, 20, 1, tzinfo=UTC)).run(
        ledger=Ledger((overdue,), ())
    )
    conn = sqlite3.connect(tmp_path / "state.sqlite3")
    assert [s for (s,) in conn.execute("SELECT status FROM outbox")] == ["sent", "sent"]
    outbox = settings.mail.outbox_dir
    written = sorted(tmp_path.rglob("*.eml"))
    assert [p.parent for p in written] == [outbox, outbox]
    assert all(len(p.name.encode()) <= 200 for p in written)
    assert sorted(tmp_path.rglob("*.part")) == []
    warning = next(
        parse(p.read_bytes()) for p in written if "整改预警" in str(parse(p.read_bytes())["Subject"])
    )
    (attachment,) = warning.iter_attachments()
    name = attachment.get_filename()
    assert name is not None and name == safe_file_name(name) and name.endswith("整改任务_20250620.xlsx")
    content = attachment.get_content()
    assert isinstance(content, bytes)
    title = load_workbook(io.BytesIO(content)).sheetnames[0]
    assert title == safe_sheet_title(title, "") != ""


def test_two_long_labels_that_differ_only_at_the_end_stay_two_files(tmp_path: Path) -> None:
    transport = OutboxTransport(
        MailSettings(transport="outbox", outbox_dir=tmp_path / "out", sender="o@x.cn", office=())
    )
    for n, label in enumerate(("2025-06-20_" + "大" * 120 + "甲", "2025-06-20_" + "大" * 120 + "乙")):
        transport.send(Envelope("o@x.cn", ["a@x.cn"], f"{n}".encode(), f"<{n}@x.cn>", label))
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 2 and names[0] != names[1]
    assert all(name.startswith("2025-06-20_大大") and name.endswith(".eml") for name in names)
    assert sorted((tmp_path / "out" / name).read_bytes() for name in names) == [b"0", b"1"]


def test_a_long_name_is_cut_on_a_character_boundary_and_keeps_its_suffix() -> None:
    for stem in ("大" * 120, "😀" * 70, "a" * 300):
        name = safe_file_name(stem, "_1a2b3c4d.eml")
        assert len(name.encode()) <= 200 and name.endswith("_1a2b3c4d.eml")
        assert name.removesuffix("_1a2b3c4d.eml") == stem[: len(name.removesuffix("_1a2b3c4d.eml"))]
    assert safe_file_name("大" * 10, max_bytes=20) == "大" * 6  # 18 bytes: a seventh would be 21


@pytest.mark.parametrize(
    ("stem", "suffix", "expected"),
    [
        ("CON", "", "_CON"),
        ("con.txt", "", "_con.txt"),
        ("Lpt9", ".xlsx", "_Lpt9.xlsx"),
        ("COM1", "", "_COM1"),
        ("AUX ", "", "_AUX"),
        ("CONSOLE", "", "CONSOLE"),  # only the exact names are reserved
        ("CON股", "", "CON股"),
        ("..", ".eml", "_.eml"),
        ("../../etc/passwd", "", "etc_passwd"),
        ("a/b\\c", "", "a_b_c"),
        ('a:b*c?d"e<f>g|h', "", "a_b_c_d_e_f_g_h"),
        ("股室. . ", "", "股室"),
        ("\x00\x1f\x7f", "", "_"),
        ("", ".xlsx", "_.xlsx"),
    ],
)
def test_file_names_are_never_paths_nor_reserved_on_windows(stem: str, suffix: str, expected: str) -> None:
    assert safe_file_name(stem, suffix) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("大气环境股", "大气环境股"),
        ("[a]:b*c?d/e\\f", "abcdef"),
        ("大" * 40, "大" * 31),
        ("😀" * 20, "😀" * 15),  # an emoji is two UTF-16 units: Excel counts 31 units
        ("a\x07b\x0bc", "abc"),
        ("'引号'", "引号"),
        ("History", "整改任务"),
        ("[]", "整改任务"),
    ],
)
def test_sheet_titles_are_ones_excel_and_openpyxl_accept(name: str, expected: str) -> None:
    title = safe_sheet_title(name, "整改任务")
    assert title == expected
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    out = io.BytesIO()
    wb.save(out)
    assert load_workbook(out).sheetnames == [title]
