"""Ten chats at once through the REST API, on the real ChatService (graph, store, checkpointer) with the
scripted generator: no turn is lost and every recipe's versions run 1, 2, 3, 4 without a gap."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from agent.service import ChatService
from tests.unit.agent_fakes import fake_deps
from ui.api import create_api

pytestmark = pytest.mark.slow

SESSIONS = 10
TURNS = ["비 오는 날 카페 같은 포근한 향 만들어줘", "더 우디하게", "덜 달게", "더 가볍게"]


@pytest.fixture
async def service(tmp_path):
    deps = fake_deps(llm_proposals=0)
    settings = deps.settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'h.db'}",
                                                "checkpoint_db": tmp_path / "checkpoints.db",
                                                "generator_queue_size": SESSIONS, "rate_limit_per_minute": 1000})
    opened = await ChatService.open(settings, deps=deps)
    yield opened
    await opened.close()


async def test_concurrent_sessions_lose_no_turn_and_keep_their_version_sequences(service: ChatService) -> None:
    api = create_api(service.settings, lambda: service)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t", timeout=120) as client:

        async def conversation(n: int) -> str:
            session = f"concurrent-{n}"
            for text in TURNS:
                response = await client.post("/chat", json={"message": text, "session_id": session})
                assert response.status_code == 200, response.text
            return session

        sessions = await asyncio.gather(*(conversation(n) for n in range(SESSIONS)))
        for session in sessions:
            transcript = (await client.get(f"/sessions/{session}")).json()
            assert [t["user_text"] for t in transcript["turns"]] == TURNS
            recipes = (await client.get("/recipes", params={"session_id": session})).json()
            assert len(recipes) == 1
            versions = (await client.get(f"/recipes/{recipes[0]['id']}/versions")).json()
            assert [v["version"] for v in versions] == [1, 2, 3, 4], session
