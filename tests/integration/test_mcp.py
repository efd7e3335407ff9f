"""`hyanggi mcp` driven by real MCP client sessions, on the data `hyanggi setup` built (the e5 embedder and the
Chroma index): over stdio (the client starts the command) and over streamable HTTP (`--http`, with a key and
without). Each lists the tools, designs a formula from a Korean brief and checks it; the check agrees with
the critic run here on the same knowledge base."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from knowledge.kb import load_knowledge_base
from perfumery import Recipe, critique
from tools import TOOLS

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-c", "from ui.cli import app; app()", "mcp"]
BRIEF = "비 오는 날 카페 같은 포근한 향, 너무 달지 않게"
KEY = "integration-mcp-key"
READY_S = 180  # the embedder and the index load before the port opens (seconds on 2 cores)


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test's own database; models and index from the set-up data folder (tests/conftest.py)."""
    return {**os.environ, "PYTHONPATH": str(REPO), "HYANGGI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'mcp.db'}",
            **extra}


async def design_and_check(session: ClientSession) -> None:
    listed = await session.list_tools()
    assert [t.name for t in listed.tools] == [spec.name for spec in TOOLS]
    designed = await session.call_tool("design_formula", {"brief": BRIEF})
    assert not designed.isError, designed.content
    recipe = Recipe.model_validate(designed.structuredContent["recipe"])
    assert abs(recipe.total_percent - 100) < 0.01 and 8 <= len(recipe.ingredients) <= 25
    assert "sweet" in designed.structuredContent["brief"]["avoid_descriptors"]
    checked = await session.call_tool("check_formula", {"recipe": designed.structuredContent["recipe"]})
    assert not checked.isError, checked.content
    verdict = checked.structuredContent
    critic = critique(recipe, load_knowledge_base().catalog)
    assert verdict["score"] == critic.score.model_dump(mode="json")
    assert verdict["ifra"]["status"] == critic.compliance_status.value
    assert sorted(json.dumps(v, sort_keys=True) for group in verdict["violations"].values() for v in group) == \
        sorted(json.dumps(v.model_dump(mode="json"), sort_keys=True) for v in critic.violations)


async def test_over_stdio(tmp_path: Path) -> None:
    server = StdioServerParameters(command=COMMAND[0], args=COMMAND[1:], env=environment(tmp_path), cwd=str(REPO))
    with (tmp_path / "stderr.log").open("w") as errors:
        async with stdio_client(server, errlog=errors) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await design_and_check(session)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def http_server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    env = environment(tmp_path, HYANGGI_API_KEYS=json.dumps([f"tester:{digest}"]))
    log = (tmp_path / "http.log").open("w")
    process = subprocess.Popen([*COMMAND, "--http", "--port", str(port)], cwd=REPO, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + READY_S
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "http.log").read_text()
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@contextlib.asynccontextmanager
async def http_session(url: str, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    async with httpx.AsyncClient(headers=headers, timeout=120) as client, \
            streamable_http_client(url, http_client=client) as (read, write, _), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def test_over_streamable_http_with_a_key_and_without(tmp_path: Path) -> None:
    with http_server(tmp_path) as url:
        with pytest.raises(ExceptionGroup) as refused:
            async with http_session(url, {}):
                pass
        assert refused.group_contains(httpx.HTTPStatusError, match="401")
        async with httpx.AsyncClient() as client:
            answer = await client.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                       headers={"X-API-Key": "wrong"})
        assert answer.status_code == 401 and "API 키" in answer.json()["error"]["message_ko"]
        async with http_session(url, {"X-API-Key": KEY}) as session:
            await design_and_check(session)
