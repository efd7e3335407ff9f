"""Chainlit's feedback and thread history, served from our store."""

from __future__ import annotations

import pytest
from chainlit.types import Feedback, Pagination, ThreadFilter

from store import Store
from tests.unit.api_fakes import FakeService
from ui.chat_data import StoreDataLayer, reply_step_id


@pytest.fixture
async def service(tmp_path):
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
    yield FakeService(store)
    await store.close()


async def test_feedback_on_live_and_resumed_replies_reaches_the_turn(service) -> None:
    layer = StoreDataLayer(lambda: service, "hyanggi")
    first = await service.ask("포근한 향", session_id="thread-1", source="chat")
    second = await service.ask("헤디온이 뭐야?", session_id="thread-1", source="chat")
    layer.link("live-message-uuid", first.turn_id)
    await layer.upsert_feedback(Feedback(forId="live-message-uuid", value=1, comment="좋아요"))
    await layer.upsert_feedback(Feedback(forId=reply_step_id(second.turn_id), value=0, comment="별로"))
    assert await layer.upsert_feedback(Feedback(forId="unknown", value=1)) == ""
    transcript = await service.store.transcript("thread-1")
    assert [t.feedback for t in transcript.turns] == [[1], [-1]]


async def test_threads_list_and_resume_from_transcripts(service) -> None:
    layer = StoreDataLayer(lambda: service, "hyanggi")
    turn = await service.ask("포근한 향", session_id="thread-2", source="chat")
    await service.ask("다른 향", session_id="from-api", source="api")
    page = await layer.list_threads(Pagination(first=10), ThreadFilter())
    assert [t["id"] for t in page.data] == ["thread-2"] and page.data[0]["name"] == "포근한 향"
    thread = await layer.get_thread("thread-2")
    assert [s["type"] for s in thread["steps"]] == ["user_message", "assistant_message"]
    reply = thread["steps"][1]
    assert reply["id"] == reply_step_id(turn.turn_id) and reply["metadata"]["recipe_id"] == turn.recipe["id"]
    assert await layer.get_thread("missing") is None
    assert await layer.get_thread_author("thread-2") == "hyanggi"
