"""Curated reference conversations, replayed through the agent so an evaluation can run on a fresh install.

Each conversation in ``eval/data/conversations.yaml`` is a list of user turns, each with the answer a
perfumer would accept and the knowledge-base ids that answer rests on. Replaying sends the turns through
``ChatService`` exactly like a chat would (``source="replay"``), so the store holds ordinary transcripts;
the session id ``replay-<conversation>-<run tag>`` lets evaluation find the references again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field

from eval.narration_metrics import NarrationTally

if TYPE_CHECKING:
    from agent.service import TurnResult
    from knowledge.kb import KnowledgeBase

CONVERSATIONS = Path(__file__).resolve().parent / "data" / "conversations.yaml"
SESSION_PREFIX = "replay-"
ConversationKind = Literal["new_brief", "edit", "question"]


class ReferenceTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1)
    reference: str = Field(min_length=1, description="An answer a perfumer would accept, in Korean.")
    reference_ids: list[str] = Field(default_factory=list, description="Knowledge-base ids the answer rests on.")


class Conversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$", description="No '-': it is the separator inside session ids.")
    kind: ConversationKind
    turns: list[ReferenceTurn] = Field(min_length=1)


def load_conversations(path: Path = CONVERSATIONS) -> list[Conversation]:
    """All conversations, validated; duplicate ids are an error, not a silent overwrite."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    conversations = [Conversation.model_validate(row) for row in rows]
    seen: set[str] = set()
    for conversation in conversations:
        if conversation.id in seen:
            raise ValueError(f"대화 id 중복 (duplicate conversation id): {conversation.id}")
        seen.add(conversation.id)
    return conversations


def unresolved_ids(conversations: Iterable[Conversation], kb: KnowledgeBase) -> list[str]:
    """Reference ids that name no material, accord or perfume — each as ``conversation: id``."""
    known = set(kb.materials) | set(kb.accords) | set(kb.perfumes)
    return [f"{c.id}: {ref}" for c in conversations for turn in c.turns for ref in turn.reference_ids
            if ref not in known]


def session_id(conversation_id: str, run_tag: str) -> str:
    return f"{SESSION_PREFIX}{conversation_id}-{run_tag}"


def parse_session_id(session: str) -> tuple[str, str] | None:
    """(conversation id, run tag) of a replay session id, or None for any other session."""
    if not session.startswith(SESSION_PREFIX) or "-" not in session[len(SESSION_PREFIX):]:
        return None
    conversation, tag = session[len(SESSION_PREFIX):].rsplit("-", 1)
    return conversation, tag


def new_run_tag() -> str:
    """Sortable and free of '-' (the separator), so the latest run is the greatest tag."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S")


class Asker(Protocol):
    async def ask(self, message: str, session_id: str | None = None, level: str | None = None,
                  concentration: str | None = None, source: str = "cli") -> TurnResult: ...


class ReplayedTurn(BaseModel):
    conversation: str
    index: int
    session: str
    intent: str
    error: str | None
    total_ms: float


class ReplayReport(BaseModel):
    run_tag: str
    conversations: int
    turns: list[ReplayedTurn]
    seconds: float
    narration: NarrationTally | None = Field(default=None, description="the model's narrations in this run")

    @property
    def errors(self) -> list[ReplayedTurn]:
        return [t for t in self.turns if t.error]


async def replay(service: Asker, conversations: list[Conversation], run_tag: str | None = None) -> ReplayReport:
    """Send every turn, in order, one session per conversation; each turn is committed by the service."""
    tag = run_tag or new_run_tag()
    started = time.perf_counter()
    turns = []
    for conversation in conversations:
        session = session_id(conversation.id, tag)
        for index, turn in enumerate(conversation.turns):
            result = await service.ask(turn.user, session_id=session, source="replay")
            turns.append(ReplayedTurn(conversation=conversation.id, index=index, session=session,
                                      intent=result.intent, error=result.error,
                                      total_ms=result.timings_ms.get("total", 0.0)))
    return ReplayReport(run_tag=tag, conversations=len(conversations), turns=turns,
                        seconds=round(time.perf_counter() - started, 2))
