"""The status page in a real browser: the system Chromium, driven by Playwright, against
`taizhang serve` on 127.0.0.1. Screenshots at phone and desktop width are saved in each
test's tmp folder. Skipped only where Chromium is not installed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from builders import ledger, row, write
from web_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSWORD_ENV,
    get,
    serving,
    summary_figures,
    summary_mail,
    taizhang,
    write_config,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
]
TODAY = "2025-06-20"
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield found
        found.close()


class Visit:
    """One page in a fresh context, recording console errors, page errors and dialogs."""

    def __init__(self, browser: Any, width: int, **context: Any) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900}, **context)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, url: str) -> Any:
        response = self.page.goto(url)
        self.page.wait_for_load_state("load")
        return response

    def shot(self, path: Path) -> None:
        self.page.screenshot(path=str(path), full_page=True)

    def scroll_width(self) -> tuple[int, int]:
        found = self.page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        return int(found[0]), int(found[1])

    def figures(self) -> dict[str, dict[str, str]]:
        return dict(
            self.page.evaluate(
                """() => Object.fromEntries(
                    [...document.querySelectorAll('table.figures tr[data-section]')].map(tr => [
                        tr.dataset.section,
                        Object.fromEntries([...tr.querySelectorAll('[data-figure]')]
                            .map(td => [td.dataset.figure, td.textContent.trim()]))]))"""
            )
        )

    def close(self) -> None:
        self.context.close()


def refused_in_browser(visit: Visit, url: str) -> bool:
    """A refused password: a 401, or Chromium giving up on the credentials it was given."""
    from playwright.sync_api import Error

    try:
        return bool(visit.open(url).status == 401)
    except Error as e:
        return "ERR_INVALID_AUTH_CREDENTIALS" in str(e)


@pytest.fixture
def visits(browser: Any) -> Iterator[Any]:
    opened: list[Visit] = []

    def visit(width: int = 1280, **context: Any) -> Visit:
        opened.append(Visit(browser, width, **context))
        return opened[-1]

    yield visit
    for v in opened:
        v.close()


def test_the_board_shows_the_office_summarys_figures_for_the_same_ledger_and_day(
    tmp_path: Path, visits: Any
) -> None:
    config = write_config(tmp_path)
    done = taizhang("run", "--once", "--config", str(config), "--today", TODAY)
    assert done.returncode == 0, done.stderr
    headline, mailed = summary_figures(summary_mail(tmp_path / "logs" / "outbox"))
    with serving(config, TODAY) as base:
        for width in (320, 375, 1280):
            v = visits(width)
            assert v.open(base + "/").status == 200
            v.shot(tmp_path / f"board_{width}.png")
            assert v.problems == []
            assert v.page.inner_text("p.headline").strip() == headline
            shown = v.figures()
            assert set(shown) == {*mailed, "合计"}
            for section, (total, done_, red, yellow, blue, rate) in mailed.items():
                f = shown[section]
                assert (f["total"], f["done"], f["red"], f["yellow"], f["blue"], f["rate"]) == (
                    total, done_, red, yellow, blue, rate,
                )  # fmt: skip
            page_width, viewport = v.scroll_width()
            assert page_width <= viewport, f"horizontal scrolling at {width} px"


def test_a_section_page_lists_that_sections_tasks_light_by_light(tmp_path: Path, visits: Any) -> None:
    config = write_config(tmp_path)
    with serving(config, TODAY) as base:
        v = visits(375)
        v.open(base + "/")
        v.page.click("text=大气环境股")
        v.page.wait_for_load_state("load")
        assert v.page.url.endswith("/section/" + quote("大气环境股"))
        v.shot(tmp_path / "section_375.png")
        assert v.page.inner_text("h1").startswith("大气环境股")
        groups = v.page.eval_on_selector_all("section[data-group]", "s => s.map(x => x.dataset.group)")
        assert groups == ["yellow", "rest"]
        titles = v.page.eval_on_selector_all("section[data-group] h3", "hs => hs.map(h => h.textContent)")
        assert len(titles) == 5 and titles[0] == "6. 重污染天气管控不到位"
        assert "序时进度94%" in v.page.inner_text("section[data-group=yellow]")
        assert v.scroll_width()[0] <= 375 and v.problems == []
        wide = visits(1280)
        wide.open(v.page.url)
        wide.shot(tmp_path / "section_1280.png")


def test_ledger_markup_shows_as_text_and_runs_nothing(tmp_path: Path, visits: Any) -> None:
    book = write(
        tmp_path / "hostile.xlsx",
        {
            "整改台账": ledger(
                [
                    row(1, HOSTILE, lead=HOSTILE, deadline="2025年5月1日", progress=0.2, note=HOSTILE),
                    row(2, "正常任务", deadline="2025年12月31日"),
                    row(3, "时限写错的任务", deadline=HOSTILE),  # a data problem quoting the cell
                ]
            )
        },
    )
    config = write_config(tmp_path, book)
    with serving(config, TODAY) as base:
        pages = {"board": "/", "section": "/section/" + quote(HOSTILE, safe=""), "problems": "/problems"}
        for name, url in {**pages, "json": "/api/today.json"}.items():
            v = visits(375)
            assert v.open(base + url).status == 200
            assert v.dialogs == [] and v.problems == []
            assert v.page.locator("img").count() == 0
            assert HOSTILE in v.page.inner_text("body")
            if name in pages:
                v.shot(tmp_path / f"hostile_{name}_375.png")


def test_anything_but_reading_gets_405(tmp_path: Path, visits: Any) -> None:
    config = write_config(tmp_path)
    with serving(config, TODAY) as base:
        v = visits()
        for method in ("post", "put", "delete", "patch"):
            response = getattr(v.page.request, method)(base + "/")
            assert response.status == 405
            assert response.headers["allow"] == "GET, HEAD"
            assert "default-src 'self'" in response.headers["content-security-policy"]


def test_a_page_open_to_the_lan_needs_the_password(tmp_path: Path, visits: Any) -> None:
    config = write_config(tmp_path, web='host = "0.0.0.0"')
    refused = taizhang("serve", "--config", str(config), "--today", TODAY, env={PASSWORD_ENV: ""})
    assert refused.returncode == 2 and "web.host" in refused.stderr and PASSWORD_ENV in refused.stderr
    secret = "看板密码-2025"
    with serving(config, TODAY, env={PASSWORD_ENV: secret}) as base:
        anonymous = visits().page.request.get(base + "/")
        assert anonymous.status == 401 and "请输入看板密码" in anonymous.text()
        assert anonymous.headers["www-authenticate"].startswith("Basic")
        wrong = visits(http_credentials={"username": "领导", "password": "猜一个密码"})
        assert refused_in_browser(wrong, base + "/")
        assert get(base + "/", password="猜一个密码")[0] == 401
        right = visits(375, http_credentials={"username": "任何人", "password": secret})
        assert right.open(base + "/").status == 200
        assert right.page.inner_text("h1").startswith("整改任务总览") and right.problems == []
        right.shot(tmp_path / "with_password_375.png")


def test_healthz_turns_503_after_a_failed_weekly_run(tmp_path: Path, visits: Any) -> None:
    config = write_config(tmp_path)
    assert taizhang("run", "--once", "--config", str(config), "--today", TODAY).returncode == 0
    with serving(config, TODAY) as base:
        v = visits()
        healthy = v.open(base + "/healthz")
        assert healthy.status == 200 and healthy.json()["result"] == "ok"
        (tmp_path / "台账.xlsx").write_bytes(b"not a workbook")
        failed = taizhang("run", "--once", "--config", str(config), "--today", TODAY)
        assert failed.returncode == 2
        sick = v.open(base + "/healthz")
        assert sick.status == 503 and sick.json()["result"] == "failed"


def test_every_page_fits_a_phone_without_sideways_scrolling(tmp_path: Path, visits: Any) -> None:
    config = write_config(tmp_path)
    assert taizhang("run", "--once", "--config", str(config), "--today", TODAY).returncode == 0
    with serving(config, TODAY) as base:
        for name, url in {
            "trend": "/trend",
            "problems": "/problems",
            "section": "/section/" + quote("执法大队"),
        }.items():
            for width in (320, 375, 1280):
                v = visits(width)
                assert v.open(base + url).status == 200
                v.shot(tmp_path / f"{name}_{width}.png")
                assert v.scroll_width()[0] <= width, f"{url} scrolls sideways at {width} px"
                assert v.problems == []
