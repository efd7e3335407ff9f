"""The chat's Socket.IO door obeys the REST API's rules: `hyanggi chat` with an API key configured, driven
by a raw Socket.IO client as an attacker or a script would.

Needs no `hyanggi setup`: the server answers (and refuses) before its models load.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import socketio
from socketio.exceptions import ConnectionError as SocketConnectionError

from tests.e2e.test_chat_browser import ROOT, _free_port, stop_group

pytestmark = pytest.mark.integration

KEY = "socket-test-key"
STARTUP_S = 120


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    work = tmp_path_factory.mktemp("socket")
    env = {**os.environ, "HYANGGI_DATA_DIR": str(work / "data"), "HYANGGI_RATE_LIMIT_PER_MINUTE": "3",
           "HYANGGI_API_KEYS": f'["{hashlib.sha256(KEY.encode()).hexdigest()}"]', "HYANGGI_AUTH_PASSWORD": ""}
    hyanggi = shutil.which("hyanggi", path=str(Path(sys.executable).parent)) or "hyanggi"
    log_path = work / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([hyanggi, "chat", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline and process.poll() is None:
            try:
                httpx.get(f"{base}/api/v1/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail(f"server did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
        yield base
    finally:
        stop_group(process)


def _connect(base: str, origin: str | None, headers: dict[str, str] | None = None
             ) -> tuple[socketio.Client, list[str]]:
    """A Chainlit session over a raw websocket (Origin exactly as given, or none); the returned list fills
    with what the server says."""
    options = {"origin": origin} if origin else {"suppress_origin": True}
    client, said = socketio.Client(reconnection=False, websocket_extra_options=options), []
    client.on("new_message", lambda step: said.append(step.get("output", "")))
    client.connect(base, socketio_path="/ws/socket.io", transports=["websocket"], headers=headers or {},
                   wait_timeout=10, auth={"sessionId": str(uuid.uuid4()), "clientType": "webapp", "userEnv": "{}",
                                          "threadId": None, "chatProfile": None})
    return client, said


def _send(client: socketio.Client, text: str) -> None:
    step = {"id": str(uuid.uuid4()), "createdAt": datetime.now(UTC).isoformat(), "output": text,
            "name": "User", "type": "user_message"}
    client.emit("client_message", {"message": step, "fileReferences": None})


def test_socket_refuses_other_origins_and_anonymous_clients(server: str) -> None:
    cookie = _login(server, KEY)
    with pytest.raises(SocketConnectionError):  # even logged in: a page on another site cannot use the cookie
        _connect(server, "http://evil.example", {"Cookie": cookie})
    for origin, headers in ((server, {}), (None, {}), (server, {"X-API-Key": "wrong"})):
        with pytest.raises(SocketConnectionError):
            _connect(server, origin, headers)
    for origin in (server, None):  # a browser on the served origin, or a script (no Origin), with its key
        client, _ = _connect(server, origin, {"Cookie": cookie})
        client.disconnect()


def _login(server: str, password: str) -> str:
    """Log in through Chainlit's password form (an API key is accepted) and return the session cookie."""
    login = httpx.post(f"{server}/login", data={"username": "script", "password": password})
    assert login.status_code == 200, login.text
    return "; ".join(f"{name}={value}" for name, value in login.cookies.items())


def test_a_key_logs_in_and_turns_share_the_rest_rate_limit(server: str) -> None:
    assert httpx.post(f"{server}/login", data={"username": "script", "password": "wrong"}).status_code == 401
    client, said = _connect(server, server, {"Cookie": _login(server, KEY)})
    try:
        # 3 requests a minute for this key, whichever door they use: two turns, one REST call, then refused.
        _send(client, "포근한 향")
        _send(client, "상큼한 향")
        time.sleep(1.5)
        # Past the limiter (503: this server has no models to serve).
        assert httpx.get(f"{server}/api/v1/recipes", headers={"X-API-Key": KEY}).status_code == 503
        _send(client, "따뜻한 향")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("요청이 너무 많아요" in text for text in said):
            time.sleep(0.2)
        assert any("요청이 너무 많아요" in text for text in said), said
        assert httpx.get(f"{server}/api/v1/recipes", headers={"X-API-Key": KEY}).status_code == 429
    finally:
        client.disconnect()


def test_every_page_is_served_with_security_headers(server: str) -> None:
    for path in ("/", "/login", "/api/v1/health", "/api/v1/docs"):
        response = httpx.get(f"{server}{path}")
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
    page = httpx.get(server)
    assert "script-src 'self' 'sha256-" in page.headers["content-security-policy"]


def test_logins_are_throttled_with_retry_after(server: str) -> None:
    """Issue 29's probe: 25 wrong passwords in a moment were all answered 401. Last in this module: it spends
    this address's login budget (10 a minute, the earlier tests' logins included)."""
    answers = [httpx.post(f"{server}/login", data={"username": f"probe{n}", "password": "wrong"}) for n in range(25)]
    statuses = [a.status_code for a in answers]
    assert set(statuses) == {401, 429} and statuses == sorted(statuses) and statuses.count(401) <= 10, statuses
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60 and "로그인 시도" in answers[-1].json()["detail"]
