"""Pydantic shapes that cross the store's boundary (what the agent hands in, what evaluation reads out)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from perfumery.recipe import Recipe


class RetrievalRecord(BaseModel):
    query: str
    collection: str
    ids: list[str]
    scores: list[float] = Field(default_factory=list)
    texts: list[str] = Field(default_factory=list)


class Outcome(StrEnum):
    ok = "ok"  # model output used as written (amounts normalised to 100 %)
    repaired = "repaired"  # usable after dropping/merging items, a repair by the core, or withdrawn sentences
    fallback = "fallback"  # unusable: the composer or a template narration replaced it


class Withheld(StrEnum):
    """Why a narration sentence was not shown: each problem a record keeps about one begins with this (the
    generator and the chat's narration filter both write them)."""

    unsupported = "근거 없는 문장 제외"
    praises_avoided = "피하려는 향을 내세운 문장 제외"
    pasted = "자료 문장을 그대로 옮긴 문장 제외"
    cut = "끝나지 않은 문장 제외"
    misworded = "어법에 맞지 않는 문장 제외"  # a modifier used as a noun ("따뜻한을"): knowledge.korean


class GenerationRecord(BaseModel):
    """One model call: what the generator reports and the store keeps (one type for both)."""

    backend: str
    task: Literal["propose", "narrate"]
    outcome: Outcome
    raw_output: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    first_token_s: float | None = None
    tokens_per_s: float = 0.0
    problems: list[str] = Field(default_factory=list, description="what was fixed, or why it fell back.")


class TurnRecord(BaseModel):
    """Everything one chat turn produced; committed atomically before the reply is sent."""

    session_id: str
    user_text: str
    reply: str
    route: str
    level: str = "상세"
    brief: dict[str, Any] | None = None
    recipe: Recipe | None = Field(default=None, description="a new recipe version made in this turn, if any")
    current_recipe_id: str | None = Field(default=None, description="the recipe the turn was about")
    current_recipe_version: int | None = None
    candidates: list[dict[str, Any]] = Field(default_factory=list)
    retrievals: list[RetrievalRecord] = Field(default_factory=list)
    generations: list[GenerationRecord] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    source: str = "chat"


class TurnView(BaseModel):
    id: int
    index: int
    user_text: str
    reply: str
    route: str
    level: str
    brief: dict[str, Any] | None
    recipe_id: str | None
    recipe_version: int | None
    retrievals: list[RetrievalRecord]
    generations: list[GenerationRecord]
    timings_ms: dict[str, Any]
    feedback: list[int]
    created_at: datetime


class SessionTranscript(BaseModel):
    id: str
    title: str
    source: str
    owner: str
    created_at: datetime
    turns: list[TurnView]
