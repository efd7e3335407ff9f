"""One `hyanggi chat` for every browser test of the session: loading the models takes most of a minute, a
turn a few seconds.

Needs `hyanggi setup` and Debian's chromium; skipped without chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_chat_browser import CHROMIUM, ROOT, STARTUP_S, _free_port, _health, stop_group


@pytest.fixture(scope="session")
def chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("chat") / "server.log"
    hyanggi = shutil.which("hyanggi", path=str(Path(sys.executable).parent)) or "hyanggi"
    with log_path.open("wb") as log:
        process = subprocess.Popen([hyanggi, "chat", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=os.environ.copy())
    try:
        deadline = time.monotonic() + STARTUP_S
        status = "down"
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status = _health(base)["status"]
            except OSError:
                status = "down"
            if status != "starting" and status != "down":
                break
            time.sleep(1)
        if status != "ok":
            pytest.fail(f"server not ready ({status}):\n{log_path.read_text(errors='replace')[-3000:]}")
        yield base
    finally:
        stop_group(process)
