"""End to end in a real browser: `hyanggi chat` on a free port (tests/e2e/conftest.py), a perfumer's own
formula pasted or attached. The brief, edit and product switch a customer makes, at desktop and phone width,
are in test_chat_ui.py.

Needs `hyanggi setup` and Debian's chromium (`apt-get install -y chromium fonts-noto-cjk`); skipped without them.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
BRIEF = "비 오는 날 카페 같은 포근한 향, 너무 달지 않게"
STARTUP_S = 240
TURN_MS = 180_000


def stop_group(process: subprocess.Popen) -> None:
    """End a server started in its own process group: politely, then for good."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/api/v1/health", timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def server(chat_server: str) -> str:
    """The chat server every browser test shares (tests/e2e/conftest.py): the models load once."""
    return chat_server


def _send(page, text: str) -> None:
    box = page.locator("#chat-input")
    box.fill(text)
    # The page renders before its websocket session is up; until then sending does nothing.
    for _ in range(60):
        page.locator("#chat-submit").click()
        page.wait_for_timeout(1000)
        if text.splitlines()[0] not in (box.inner_text() or ""):
            return


@contextlib.contextmanager
def _chat_page(server: str) -> Iterator[Any]:
    """A Korean-locale page on the chat, its welcome shown."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600}, locale="ko-KR")
            page.goto(server)
            page.get_by_text("비 오는 날 카페").first.wait_for(state="visible", timeout=60_000)
            yield page
        finally:
            browser.close()


PASTED = "베르가못 오일 20g\n헤디온 30g\n이소 이 슈퍼 30g\n암브록산 2g\n갈락솔라이드 18g\n비밀 베이스 X 3g"


def test_a_pasted_formula_is_read_back_and_critiqued(server: str) -> None:
    """A perfumer's own formula pasted as lines: read back (the unknown line flagged, not dropped), then
    the critique every formula gets."""
    with _chat_page(server) as page:
        _send(page, PASTED)
        page.get_by_text("레시피를 가져왔어요").first.wait_for(state="attached", timeout=TURN_MS)
        table = page.locator("table").filter(has_text="CAS").first
        table.wait_for(state="attached", timeout=30_000)
        assert "헤디온" in table.inner_text()
        body = page.locator("body").inner_text()
        assert "품질 점수" in body and "비밀 베이스 X" in body


def test_an_attached_formula_file_is_imported(server: str, tmp_path: Path) -> None:
    """A CSV attached in the chat is read back and kept as the chat's formula, with its export files."""
    formula = tmp_path / "my-formula.csv"
    formula.write_text("material,amount,unit\n베르가못 오일,20,g\n헤디온,30,g\n이소 이 슈퍼,30,g\n갈락솔라이드,20,g\n",
                       encoding="utf-8")
    with _chat_page(server) as page:
        _send(page, "안녕하세요")  # an upload needs the chat's session: greet first
        page.get_by_text("향수 설계를 돕는").first.wait_for(state="attached", timeout=TURN_MS)
        page.locator("#upload-button-input").set_input_files(str(formula))
        page.get_by_text("my-formula.csv").first.wait_for(state="attached", timeout=30_000)
        page.locator("#chat-input").fill("이 레시피 가져와줘")
        page.locator("#chat-submit").click()
        page.get_by_text("레시피를 가져왔어요").first.wait_for(state="attached", timeout=TURN_MS)
        assert "헤디온 30%" in page.locator("body").inner_text()


def test_a_formula_switched_to_body_lotion_says_so_in_the_chat_and_on_the_printed_sheet(server: str) -> None:
    """"바디로션용으로 바꿔줘" on a designed formula: the reply's title, change list and concept name the lotion
    and its load, never a concentration; the printed batch sheet attached to it weighs the concentrate for a
    lotion, with no ethanol, no EDP and no raw IFRA word."""
    with _chat_page(server) as page:
        _send(page, "따뜻한 앰버 우디 향 추천해줘")
        page.locator("table").filter(has_text="노트").first.wait_for(state="attached", timeout=TURN_MS)
        page.locator("a", has_text="배합표-100g.html").first.wait_for(state="attached", timeout=30_000)
        _send(page, "바디로션용으로 바꿔줘")
        page.get_by_text("바디로션용 포뮬러(향료 0.5%)").first.wait_for(state="attached", timeout=TURN_MS)
        body = page.locator("body").inner_text()
        assert "(v2, 바디로션 · 향료 0.5%)" in body and "제품: EDP → 바디로션 · 향료 0.5% (IFRA 카테고리 5A" in body
        summary = body[body.index("(v2, 바디로션"):]
        assert "EDP 포뮬러" not in summary and "EDP 18%" not in summary
        sheet = page.locator("a", has_text="-v2-배합표-100g.html").first
        sheet.wait_for(state="attached", timeout=30_000)
        html = page.request.get(urllib.parse.urljoin(server, sheet.get_attribute("href") or "")).text()
        head = html.split("<h2>IFRA")[0]
        assert "향료 농축액 100.000 g — 바디로션 · 향료 0.5%용" in head
        assert "에탄올" not in head and "EDP" not in head and " mg" not in head
        assert "missing" not in html and "5A" in html
