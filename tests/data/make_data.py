"""Make the workbooks under tests/data that LibreOffice actually saved.

openpyxl writes a source ledger (with formulas, which openpyxl cannot compute), then
LibreOffice opens it, computes the formulas and saves it again as .xlsx and as legacy .xls:
the files a ledger passed through another office suite looks like.

    python tests/data/make_data.py        # needs soffice (apt-get install libreoffice-calc-nogui)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from builders import Sheet, ledger, row, write  # noqa: E402

NAME = "libreoffice_ledger"


def source(path: Path) -> Path:
    rows = [
        ["一、碧水保卫战"],
        row(
            1,
            "南洞庭湖断面水质不稳定",
            "水环境股",
            "2025年12月底前",
            "正在推进",
            "=3/4",
            category="",
            support="市水利局、市农业农村局",
        ),
        row(2, "排污口整治进展慢", None, date(2025, 6, 30), "已完成", 1, category=""),  # type: ignore[arg-type]
        ["二、蓝天保卫战"],
        row(
            3,
            "秸秆禁烧管控不力",
            "大气环境股",
            "长期坚持",
            "持续推进",
            None,
            category="",
            support="各镇（街道、中心）",
        ),
        row(
            4,
            "重污染天气管控不到位",
            "大气环境股、执法大队",
            "=DATE(2025,9,30)",
            "未完成",
            "40%",
            category="",
        ),
        row(5, "禁燃区划定未完成", "大气环境股", "立行立改", "", 1, category=""),
        row(6, "警示片问题未销号", "综合股", "待定", "未完成", 0, category=""),
        ["合计", None, "6项"],
        ["注：本表每周五更新。"],
    ]
    sheets = {
        "整改台账": ledger(
            rows,
            merges=["A5:K5", "F6:F7", "A8:K8", "A14:K14"],
            formats={"H7": "yyyy-mm-dd", "H10": "yyyy年m月d日", "J6": "0%", "J7": "0%"},
        ),
        "联系人": Sheet(rows=[["股室", "电子邮箱"], ["水环境股", "shj@example.gov.cn"]]),
    }
    return write(path, sheets)


def convert(src: Path, fmt: str, out_dir: Path) -> Path:
    subprocess.run(
        ["soffice", "--headless", "--calc", "--convert-to", fmt, "--outdir", str(out_dir), str(src)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out_dir / f"{src.stem}.{fmt.split(':')[0]}"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "src").mkdir()
        src = source(work / "src" / f"{NAME}.xlsx")
        for fmt in ("xlsx:Calc MS Excel 2007 XML", "xls:MS Excel 97"):
            made = convert(src, fmt, work)
            shutil.copy(made, HERE / made.name)
            print(HERE / made.name)


if __name__ == "__main__":
    main()
