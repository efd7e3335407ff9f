"""Chainlit's data layer backed by our store: thumbs/comments become store feedback on our turn ids,
and the thread list and resume read our transcripts. Nothing else is persisted twice.

Chainlit shows feedback buttons and thread history only when a data layer exists; our ``store/`` stays
the single record, so element and step writes are deliberately not kept here.

Each login is its own user (its identifier is its principal's id, ``ui.api.identity``): the thread list
shows that principal's chats only, and a thread reports its real owner, so Chainlit's own checks refuse
anyone else (resume, the thread page, the socket's thread). Chainlit hands the feedback calls no user;
``ChatPrincipalMiddleware`` reads the login token of the HTTP request they arrive in, and a rating is
stored only on a turn of that principal's session.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chainlit.data.base import BaseDataLayer
from chainlit.types import Feedback, PageInfo, PaginatedResponse, Pagination, ThreadDict, ThreadFilter
from chainlit.user import PersistedUser, User
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from store import SYSTEM, NotFoundError, Principal

if TYPE_CHECKING:
    from chainlit.element import ElementDict
    from chainlit.step import StepDict

    from agent.service import ChatService

logger = logging.getLogger(__name__)

_REPLY_ID = re.compile(r"turn-(\d{1,15})-reply")
# The principal of the HTTP request being served (set by ChatPrincipalMiddleware), for the data layer
# calls Chainlit makes without a user.
CHAT_PRINCIPAL: ContextVar[Principal | None] = ContextVar("chat_principal", default=None)


class ChatPrincipalMiddleware:
    """Puts the principal of each chat HTTP request in ``CHAT_PRINCIPAL``: the login token's user (Chainlit's
    own cookie or bearer, checked by Chainlit's own decoder), ``anonymous`` on a server without logins."""

    def __init__(self, app: ASGIApp, anonymous: Principal | None, token: Callable[[Request], Any],
                 decode: Callable[[str], User]) -> None:
        self.app, self.anonymous, self.token, self.decode = app, anonymous, token, decode

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        principal = self.anonymous
        if principal is None and (token := await self.token(Request(scope))):
            try:
                principal = Principal(id=self.decode(token).identifier)
            except Exception:  # noqa: BLE001 - an expired or forged token is no one
                principal = None
        reset = CHAT_PRINCIPAL.set(principal)
        try:
            await self.app(scope, receive, send)
        finally:
            CHAT_PRINCIPAL.reset(reset)


def reply_step_id(turn_id: int) -> str:
    """The id a stored turn's reply gets when a thread is resumed (so its feedback maps back)."""
    return f"turn-{turn_id}-reply"


class StoreDataLayer(BaseDataLayer):
    def __init__(self, provider: Callable[[], ChatService | None]) -> None:
        self.provider = provider
        self._turns: dict[str, int] = {}

    def link(self, message_id: str, turn_id: int) -> None:
        """Remember which turn a live reply message belongs to."""
        self._turns[message_id] = turn_id

    def turn_for(self, message_id: str) -> int | None:
        if message_id in self._turns:
            return self._turns[message_id]
        match = _REPLY_ID.fullmatch(message_id)
        return int(match.group(1)) if match else None

    # --- feedback ------------------------------------------------------------------------
    async def upsert_feedback(self, feedback: Feedback) -> str:
        service, principal = self.provider(), CHAT_PRINCIPAL.get()
        turn_id = self.turn_for(feedback.forId)
        if service is None or turn_id is None or principal is None:
            logger.warning("feedback for unknown message %s dropped", feedback.forId)
            return feedback.id or ""
        rating = 1 if feedback.value == 1 else -1
        try:
            return str(await service.store.set_feedback(principal, turn_id, rating, feedback.comment or ""))
        except NotFoundError:  # another principal's turn: as if it did not exist
            logger.warning("feedback on turn %s refused: not this login's", turn_id)
            return ""

    async def delete_feedback(self, feedback_id: str) -> bool:
        service, principal = self.provider(), CHAT_PRINCIPAL.get()
        if service is None or principal is None or not feedback_id.isdigit():
            return False
        return await service.store.delete_feedback(principal, int(feedback_id))

    # --- users: each login its own, identified by its principal's id -----------------------
    async def get_user(self, identifier: str) -> PersistedUser | None:
        return PersistedUser(id=identifier, identifier=identifier, createdAt=_now())

    async def create_user(self, user: User) -> PersistedUser | None:
        return PersistedUser(id=user.identifier, identifier=user.identifier, createdAt=_now(),
                             metadata=user.metadata)

    # --- threads = our chat sessions -----------------------------------------------------
    async def get_thread_author(self, thread_id: str) -> str:
        """The session's owner ("" when there is no such thread): Chainlit compares it with the user."""
        service = self.provider()
        return (await service.store.session_owner(SYSTEM, thread_id) or "") if service else ""

    async def list_threads(self, pagination: Pagination, filters: ThreadFilter) -> PaginatedResponse[ThreadDict]:
        """The chats of the user Chainlit names in ``filters.userId`` (its principal); none without one."""
        service = self.provider()
        if service is None or not filters.userId:
            return PaginatedResponse(data=[], pageInfo=PageInfo(hasNextPage=False, startCursor=None, endCursor=None))
        owner = Principal(id=filters.userId)
        sessions = [s for s in await service.store.list_sessions(owner, limit=200, source="chat")
                    if not filters.search or filters.search in s["title"]]
        if pagination.cursor:
            ids = [s["id"] for s in sessions]
            sessions = sessions[ids.index(pagination.cursor) + 1:] if pagination.cursor in ids else []
        page = sessions[: pagination.first]
        threads = [ThreadDict(id=s["id"], createdAt=s["updated_at"], name=s["title"], userId=s["owner"],
                              userIdentifier=s["owner"], tags=None, metadata={}, steps=[], elements=[])
                   for s in page]
        return PaginatedResponse(data=threads, pageInfo=PageInfo(
            hasNextPage=len(sessions) > len(page), startCursor=page[0]["id"] if page else None,
            endCursor=page[-1]["id"] if page else None))

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        """The thread with its real owner as author: Chainlit refuses it to any other user (the page, resume,
        a socket naming it)."""
        service = self.provider()
        if service is None:
            return None
        try:
            transcript = await service.store.transcript(SYSTEM, thread_id)
        except NotFoundError:
            return None
        steps: list[StepDict] = []
        for turn in transcript.turns:
            at = turn.created_at.isoformat()
            steps.append(_message(f"turn-{turn.id}-user", thread_id, "user_message", "사용자", turn.user_text, at))
            steps.append(_message(reply_step_id(turn.id), thread_id, "assistant_message", "향기", turn.reply, at,
                                  {"turn_id": turn.id, "recipe_id": turn.recipe_id,
                                   "recipe_version": turn.recipe_version}))
        return ThreadDict(id=thread_id, createdAt=transcript.created_at.isoformat(), name=transcript.title,
                          userId=transcript.owner, userIdentifier=transcript.owner, tags=None,
                          metadata={}, steps=steps, elements=[])

    async def update_thread(self, thread_id: str, name: str | None = None, user_id: str | None = None,
                            metadata: dict | None = None, tags: list[str] | None = None) -> None:
        return None

    async def delete_thread(self, thread_id: str) -> None:
        logger.info("thread %s hidden in the UI; the store keeps its transcript", thread_id)

    # --- what the store already records (or does not need) --------------------------------
    async def create_step(self, step_dict: StepDict) -> None:
        return None

    async def update_step(self, step_dict: StepDict) -> None:
        return None

    async def delete_step(self, step_id: str) -> None:
        return None

    async def create_element(self, element: Any) -> None:
        return None

    async def get_element(self, thread_id: str, element_id: str) -> ElementDict | None:
        return None

    async def delete_element(self, element_id: str, thread_id: str | None = None) -> None:
        return None

    async def get_favorite_steps(self, user_id: str) -> list[StepDict]:
        return []

    async def build_debug_url(self) -> str:
        return ""

    async def close(self) -> None:
        return None


def _message(step_id: str, thread_id: str, kind: str, name: str, text: str, at: str,
             metadata: dict[str, Any] | None = None) -> StepDict:
    body = {"id": step_id, "threadId": thread_id, "parentId": None, "name": name, "type": kind,
            "output": text, "input": "", "createdAt": at, "start": at, "end": at, "metadata": metadata or {},
            "streaming": False, "isError": False}
    return body  # type: ignore[return-value]


def _now() -> str:
    return datetime.now(UTC).isoformat()
