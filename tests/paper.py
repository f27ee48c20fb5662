"""Workbooks as they come out of a printer: converted to PDF by LibreOffice and measured.

The effective font size of printed text is read from the PDF: a Chinese character advances
exactly one em, so a run of them `n` characters long and `w` points wide was printed at
`w / n` points, whatever the font's size in the workbook and however far fit-to-width
shrank the page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice")
PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")

needs_libreoffice = pytest.mark.skipif(
    SOFFICE is None or PDFTOTEXT is None or PDFTOPPM is None,
    reason="LibreOffice or poppler-utils is not installed",
)

# The smallest readable print: 9 pt, less what the PDF's coordinates round away (a 9 pt chart
# label measures 8.98).
SMALLEST = 8.95
CHINESE_RUN = re.compile(r"^[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e]{2,}$")
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')


def to_pdf(workbook: Path, out: Path) -> Path:
    """The workbook as LibreOffice prints it, with a private profile so that runs don't clash."""
    assert SOFFICE is not None
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(out / 'lo').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = out / workbook.with_suffix(".pdf").name
    assert pdf.read_bytes().startswith(b"%PDF")
    return pdf


def font_sizes(pdf: Path) -> list[list[float]]:
    """Per page, the printed size in points of every run of Chinese text on it."""
    assert PDFTOTEXT is not None
    html = subprocess.run(
        [PDFTOTEXT, "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [
        [(float(right) - float(left)) / len(word) for left, right, word in WORD.findall(page)
         if CHINESE_RUN.match(word)]
        for page in html.split("<page ")[1:]
    ]  # fmt: skip


def pages(pdf: Path, out: Path) -> list[Path]:
    """PNG images of the pages, at 60 dpi, to look at."""
    assert PDFTOPPM is not None
    subprocess.run([PDFTOPPM, "-r", "60", "-png", str(pdf), str(out / pdf.stem)], check=True)
    return sorted(out.glob(f"{pdf.stem}*.png"))


def page_texts(pdf: Path) -> list[str]:
    assert PDFTOTEXT is not None
    text = subprocess.run([PDFTOTEXT, str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1]
