"""Every kind of message, rendered by a real browser at phone and desktop widths: nothing may
need horizontal scrolling, and the PNGs are kept in the test's tmp folder to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from builders import ledger, row, write

from scheduler import cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed"),
]
WIDTHS = (320, 375, 800)
LONG = "因历史遗留问题较多、涉及部门广，" * 6  # a long title that must wrap, not widen the page


def browser(tmp_path: Path, width: int, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", f"--user-data-dir={tmp_path / f'profile-{width}'}",
         f"--window-size={width},1600", *args],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def measure(tmp_path: Path, html: str, name: str, width: int) -> tuple[int, int]:
    """(scrollWidth, innerWidth) of the rendered message; a screenshot goes beside it."""
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    probe = tmp_path / f"{name}-probe.html"
    script = (
        "<script>document.title = document.documentElement.scrollWidth + 'x' + window.innerWidth;</script>"
    )
    probe.write_text(html.replace("</body>", script + "</body>"), encoding="utf-8")
    dom = browser(tmp_path, width, "--dump-dom", probe.as_uri()).stdout
    found = re.search(r"<title>(\d+)x(\d+)</title>", dom)
    assert found, dom[:500]
    browser(tmp_path, width, f"--screenshot={tmp_path / f'{name}-{width}.png'}", page.as_uri())
    return int(found.group(1)), int(found.group(2))


def messages(tmp_path: Path) -> dict[str, EmailMessage]:
    """One of each kind, from a real run: section, 督办, unrouted, summary, send-test."""
    write(
        tmp_path / "台账.xlsx",
        {
            "整改台账": ledger(
                [
                    row(1, LONG, "大气环境股", "2025年5月1日", progress=0.3),  # red, 督办
                    row(2, "黑臭水体整治滞后", "水环境股", "2025年12月31日", progress=0.1),  # yellow
                    row(3, "应急清单复核", "水环境股", "2025年6月25日", progress=0.9),  # blue
                    row(4, "无人负责的问题", "一个没有邮箱而名称又特别长的协调工作专班", "2025年6月1日"),
                ]
            )
        },
    )
    config = tmp_path / "config.toml"
    config.write_text(
        '[ledger]\npath = "台账.xlsx"\n[plan]\nstart = 2025-01-17\n'
        '[mail]\noffice = ["office@example.gov.cn"]\n'
        '[sections]\n"大气环境股" = "dq@example.gov.cn"\n"水环境股" = "shj@example.gov.cn"\n',
        encoding="utf-8",
    )
    assert cli.main(["run", "--once", "--config", str(config), "--today", "2025-06-20"]) == 0
    assert cli.main(["send-test", "--config", str(config), "--to", "me@example.gov.cn"]) == 0
    found: dict[str, EmailMessage] = {}
    for path in sorted((tmp_path / "logs" / "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        subject = str(message["Subject"])
        kind = (
            "test" if subject.startswith("【测试")
            else "summary" if subject.startswith("【整改周报")
            else "unrouted" if "无收件人" in subject
            else "escalated" if "督办" in subject
            else "section"
        )  # fmt: skip
        found.setdefault(kind, message)
    assert set(found) == {"section", "escalated", "unrouted", "summary", "test"}
    return found


def test_every_message_reads_without_horizontal_scrolling(tmp_path: Path) -> None:
    for kind, message in messages(tmp_path).items():
        body = message.get_body(("html",))
        assert body is not None
        html = body.get_content()
        for width in WIDTHS:
            scroll, inner = measure(tmp_path, html, kind, width)
            assert scroll <= inner, f"{kind} at {width} px scrolls sideways ({scroll} > {inner})"
        assert (tmp_path / f"{kind}-375.png").stat().st_size > 10_000  # a page with content


def test_outlook_gets_a_fixed_width_column_and_others_a_fluid_one(tmp_path: Path) -> None:
    html = messages(tmp_path)["section"].get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert '<!--[if mso]><table role="presentation" width="640"' in html
    assert "max-width:640px" in html and "<style" not in html  # inline styles only
    assert "@font-face" not in html and "http" not in html.replace("http-equiv", "")  # nothing fetched


def test_the_text_part_carries_the_same_facts_in_the_same_order(tmp_path: Path) -> None:
    for kind, message in messages(tmp_path).items():
        html_part, text_part = message.get_body(("html",)), message.get_body(("plain",))
        assert html_part is not None and text_part is not None
        text = text_part.get_content()
        visible = re.sub(r"<[^>]+>", "\n", html_part.get_content())
        visible = re.sub(r"&nbsp;|&#\d+;|&\w+;", " ", visible)
        lines = [line.strip() for line in visible.splitlines() if len(line.strip()) > 6]
        position = 0
        for line in lines:  # every longer line of the page stands in the text part, in order
            if line.startswith(("<!", "整改任务预警提醒", "整改任务周报")) or "■" in line:
                continue
            found = text.find(line.split("：")[-1][:12], position)
            assert found >= 0, f"{kind}: “{line}” is not in the text part after position {position}"
            position = found
