"""Workbooks that LibreOffice actually saved (made by tests/data/make_data.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from scheduler.core.model import DeadlineKind, Status
from scheduler.ledger import read_ledger

START = date(2025, 1, 17)


@pytest.mark.parametrize("name", ["libreoffice_ledger.xlsx", "libreoffice_ledger.xls"])
def test_it_reads_a_ledger_saved_by_libreoffice(data_dir: Path, name: str) -> None:
    result = read_ledger([data_dir / name], START)
    tasks = {t.no: t for t in result.tasks}
    assert list(tasks) == ["1", "2", "3", "4", "5", "6"]
    # Banners became categories; the total and the note were skipped.
    assert [t.category for t in result.tasks] == ["一、碧水保卫战"] * 2 + ["二、蓝天保卫战"] * 4
    # Formulas give the value LibreOffice computed: =3/4 and =DATE(2025,9,30).
    assert tasks["1"].progress == 0.75
    assert tasks["4"].deadline.date == date(2025, 9, 30)
    # The lead section merged down over rows 6 and 7.
    assert tasks["2"].lead == ("水环境股",)
    assert tasks["4"].lead == ("大气环境股", "执法大队")
    assert tasks["1"].support == ("市水利局", "市农业农村局")
    assert tasks["3"].support == ("各镇（街道、中心）",)
    assert tasks["2"].deadline.date == date(2025, 6, 30)
    assert tasks["1"].deadline.date == date(2025, 12, 31)
    assert tasks["3"].deadline.kind is DeadlineKind.ONGOING
    assert tasks["5"].deadline.kind is DeadlineKind.IMMEDIATE
    assert [tasks[n].status for n in "123456"] == [
        Status.OPEN,
        Status.DONE,
        Status.ONGOING,
        Status.OPEN,
        Status.DONE,
        Status.OPEN,
    ]
    assert tasks["4"].progress == 0.4
    assert [(p.row, p.cell, p.value) for p in result.problems] == [(12, "H12", "待定")]
