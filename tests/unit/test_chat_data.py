"""Chainlit's feedback and thread history, served from our store: each login sees and rates only its own."""

from __future__ import annotations

import httpx
import pytest
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import User
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from store import LOCAL, Principal, Store
from tests.unit.api_fakes import FakeService
from ui.chat_data import CHAT_PRINCIPAL, ChatPrincipalMiddleware, StoreDataLayer, reply_step_id

MINJI, SEOYEON = Principal(id="user:minji"), Principal(id="key:studio-b")


@pytest.fixture
async def service(tmp_path):
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}")
    yield FakeService(store)
    await store.close()


def as_login(principal: Principal | None):  # noqa: ANN201 - the contextvar token
    return CHAT_PRINCIPAL.set(principal)


async def test_feedback_on_live_and_resumed_replies_reaches_the_turn(service) -> None:
    layer = StoreDataLayer(lambda: service)
    first = await service.ask("포근한 향", session_id="thread-1", source="chat", principal=MINJI)
    second = await service.ask("헤디온이 뭐야?", session_id="thread-1", source="chat", principal=MINJI)
    layer.link("live-message-uuid", first.turn_id)
    token = as_login(MINJI)
    try:
        await layer.upsert_feedback(Feedback(forId="live-message-uuid", value=1, comment="좋아요"))
        await layer.upsert_feedback(Feedback(forId=reply_step_id(second.turn_id), value=0, comment="별로"))
        assert await layer.upsert_feedback(Feedback(forId="unknown", value=1)) == ""
    finally:
        CHAT_PRINCIPAL.reset(token)
    transcript = await service.store.transcript(MINJI, "thread-1")
    assert [t.feedback for t in transcript.turns] == [[1], [-1]]


async def test_another_login_can_neither_rate_nor_withdraw_a_rating(service) -> None:
    layer = StoreDataLayer(lambda: service)
    turn = await service.ask("포근한 향", session_id="thread-1", source="chat", principal=MINJI)
    token = as_login(MINJI)
    try:
        feedback_id = await layer.upsert_feedback(Feedback(forId=reply_step_id(turn.turn_id), value=1))
    finally:
        CHAT_PRINCIPAL.reset(token)
    for someone in (SEOYEON, None):  # another login, or a request without a valid token
        token = as_login(someone)
        try:
            assert await layer.upsert_feedback(Feedback(forId=reply_step_id(turn.turn_id), value=0)) == ""
            assert await layer.delete_feedback(feedback_id) is False
        finally:
            CHAT_PRINCIPAL.reset(token)
    assert (await service.store.transcript(MINJI, "thread-1")).turns[0].feedback == [1]


async def test_each_login_lists_and_resumes_only_its_own_threads(service) -> None:
    layer = StoreDataLayer(lambda: service)
    turn = await service.ask("포근한 향", session_id="thread-2", source="chat", principal=MINJI)
    await service.ask("상큼한 향", session_id="thread-3", source="chat", principal=SEOYEON)
    await service.ask("다른 향", session_id="from-api", source="api", principal=MINJI)
    page = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=MINJI.id))
    assert [t["id"] for t in page.data] == ["thread-2"] and page.data[0]["name"] == "포근한 향"
    assert page.data[0]["userIdentifier"] == MINJI.id
    assert [t["id"] for t in (await layer.list_threads(Pagination(first=10), ThreadFilter(userId=SEOYEON.id))).data] \
        == ["thread-3"]
    assert (await layer.list_threads(Pagination(first=10), ThreadFilter())).data == []
    thread = await layer.get_thread("thread-2")
    assert [s["type"] for s in thread["steps"]] == ["user_message", "assistant_message"]
    reply = thread["steps"][1]
    assert reply["id"] == reply_step_id(turn.turn_id) and reply["metadata"]["recipe_id"] == turn.recipe["id"]
    # Chainlit compares these with the user asking: another login is refused the thread, the page, the socket.
    assert thread["userIdentifier"] == MINJI.id
    assert await layer.get_thread_author("thread-2") == MINJI.id
    assert await layer.get_thread_author("thread-3") == SEOYEON.id
    assert await layer.get_thread("missing") is None and await layer.get_thread_author("missing") == ""


async def test_the_middleware_names_the_login_of_each_request() -> None:
    seen: list[Principal | None] = []

    async def page(_: Request) -> PlainTextResponse:
        seen.append(CHAT_PRINCIPAL.get())
        return PlainTextResponse("ok")

    async def token(request: Request) -> str | None:
        return request.headers.get("x-token")

    def decode(value: str) -> User:
        if value != "signed-minji":
            raise ValueError("bad signature")
        return User(identifier=MINJI.id)

    for anonymous, headers, expected in ((None, {"x-token": "signed-minji"}, MINJI), (None, {"x-token": "forged"}, None),
                                         (None, {}, None), (LOCAL, {}, LOCAL)):
        app = ChatPrincipalMiddleware(Starlette(routes=[Route("/feedback", page)]), anonymous, token, decode)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            assert (await client.get("/feedback", headers=headers)).text == "ok"
        assert seen.pop() == expected
    assert CHAT_PRINCIPAL.get() is None
