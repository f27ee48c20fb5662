"""One task, one light: the same week counts the same in every place a person reads it.

The sample ledger's item 12 (计划财务股) is behind schedule and due in five days: yellow,
with the blue warning as a detail. Nowhere may it count as blue, or twice."""

from __future__ import annotations

import json
import re
import shutil
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from openpyxl import load_workbook

from scheduler import cli

TODAY = "2025-06-20"


@pytest.fixture
def office(tmp_path: Path, root: Path) -> Path:
    shutil.copy(root / "config.toml", tmp_path / "config.toml")
    shutil.copytree(root / "sheets", tmp_path / "sheets", ignore=shutil.ignore_patterns("reports"))
    return tmp_path / "config.toml"


def mails(office: Path) -> dict[str, EmailMessage]:
    found = {}
    for path in (office.parent / "logs" / "outbox").glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found[str(message["Subject"])] = message
    return found


def body(message: EmailMessage, kind: str) -> str:
    part = message.get_body((kind,))
    assert part is not None
    return str(part.get_content())


def test_every_place_counts_a_task_once_by_its_light(
    office: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(office), "--today", TODAY]
    assert cli.main(["run", "--once", *args]) == 0
    sent = mails(office)

    # The section's subject and chips: one yellow task, no blue one.
    (subject,) = [s for s in sent if "计划财务股" in s]
    assert subject.endswith("：黄色1项（2025年6月20日）")
    html = body(sent[subject], "html")
    assert "黄色 1 项" in html and "蓝色 1 项" not in html
    assert "进度滞后；同时临近完成时限" in html  # the blue warning, as a detail of its card

    # The office summary: subject, headline (both parts) and the section's row.
    (summary,) = [s for s in sent if s.startswith("【整改周报】")]
    assert summary.endswith("红色2项、黄色4项、蓝色0项")
    for part in ("html", "plain"):
        text = re.sub(r"<[^>]+>", "", body(sent[summary], part))
        assert "红色 2 项、黄色 4 项、蓝色 0 项" in text
    assert "计划财务股：1/0/0/1/0/—/0/0%" in body(sent[summary], "plain")

    # `taizhang week`, as JSON and as a table.
    capsys.readouterr()
    assert cli.main(["week", "--format", "json", *args]) == 0
    week = json.loads(capsys.readouterr().out)
    assert (week["total"]["red"], week["total"]["yellow"], week["total"]["blue"]) == (2, 4, 0)
    (row,) = [s for s in week["sections"] if s["section"] == "计划财务股"]
    assert (row["yellow"], row["blue"]) == (1, 0)

    # The report's 汇总 sheet: the 合计 row and the section's row.
    report = office.parent / "sheets" / "reports" / "整改进展周报_2025-06-20.xlsx"
    sheet = load_workbook(report)["汇总"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0]}
    header = [c.value for c in sheet[3]]
    red, yellow, blue = (header.index(name) for name in ("红色", "黄色", "蓝色"))
    assert (rows["合计"][red], rows["合计"][yellow], rows["合计"][blue]) == (2, 4, 0)
    assert (rows["计划财务股"][yellow], rows["计划财务股"][blue]) == (1, 0)

    # `taizhang check`: its totals, and its JSON keeps every warning with the one light.
    assert cli.main(["check", *args]) == 0
    assert "红色2项、黄色4项、蓝色0项" in capsys.readouterr().out
    assert cli.main(["check", "--format", "json", *args]) == 0
    tasks = json.loads(capsys.readouterr().out)["tasks"]
    (twelve,) = [t for t in tasks if t["no"] == "12"]
    assert twelve["light"] == "yellow"
    assert [a["level"] for a in twelve["alerts"]] == ["yellow", "blue"]
