"""Remake sheets/看板示例.png, the README's picture of the status page (整改看板).

The board of the sample ledger on 2025-06-20, after two earlier weekly snapshots (made from
copies of the ledger with less progress, so that the trend and 本周变化 have something to
show), served on a free port of 127.0.0.1 and photographed by the system Chromium at
1280 px. Needs Chromium (apt-get install chromium) and the test extras (Playwright).

    python sheets/make_screenshot.py [--out PATH] [--width 1280] [--page /trend]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = HERE / "整改任务台账.xlsx"
OUT = HERE / "看板示例.png"
TODAY = date(2025, 6, 20)
EARLIER = {date(2025, 6, 6): 0.7, date(2025, 6, 13): 0.85}  # snapshot day → share of today's progress


def earlier_ledger(path: Path, share: float) -> Path:
    """The sample as it may have stood earlier: less progress, fewer tasks done."""
    wb = load_workbook(SAMPLE)
    ws = wb["整改台账"]
    heads = {ws.cell(4, c).value: c for c in range(1, ws.max_column + 1)}
    status, progress, note = heads["整改状态"], heads["完成进度"], heads["整改进展"]
    for r in range(5, ws.max_row + 1):
        value = ws.cell(r, progress).value
        if isinstance(value, int | float) and not isinstance(value, bool):
            ws.cell(r, progress).value = round(value * share, 2)
            if value >= 1 and r % 3 == 0:
                ws.cell(r, status).value = "正在推进"
                ws.cell(r, note).value = "正在推进，资料整理中"
    wb.save(path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--page", default="/", help="which page: /, /trend, /problems, /section/…")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("需要 Chromium：apt-get install chromium")
    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import sync_playwright

    from scheduler import config
    from scheduler.commands import SnapshotCommand
    from scheduler.web.server import Page

    folder = Path(tempfile.mkdtemp(prefix="taizhang-shot-"))
    try:
        shutil.copy(SAMPLE, folder / "整改任务台账.xlsx")
        text = (ROOT / "config.toml").read_text(encoding="utf-8")
        text = text.replace('path = "sheets/整改任务台账.xlsx"', 'path = "整改任务台账.xlsx"')
        text = text.replace("port = 8765", "port = 0")  # replaced below by a free port
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        (folder / "config.toml").write_text(text.replace("port = 0", f"port = {port}"), encoding="utf-8")
        settings = config.load(folder / "config.toml")
        for day, share in EARLIER.items():
            ledger = earlier_ledger(folder / f"earlier_{day}.xlsx", share)
            SnapshotCommand(settings, day, ledger_path=ledger).run()
        page = Page.open(settings, folder / "config.toml", TODAY, read_first=True)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=chromium,
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update", "--disable-sync", "--no-first-run"],
                )  # fmt: skip
                tab = browser.new_page(viewport={"width": args.width, "height": 900})
                tab.goto(settings.web.url.rstrip("/") + args.page)
                tab.screenshot(path=str(args.out), full_page=True)
                browser.close()
        finally:
            page.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"已保存：{args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
