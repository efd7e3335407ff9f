"""Request and response bodies of the REST API (the OpenAPI schema is generated from these)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hyanggi.settings import AnswerLevel
from knowledge.search import SearchResult
from perfumery.edits import EditOp
from perfumery.models import Concentration

MAX_BATCH = 10


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChatRequest(_Request):
    message: str = Field(min_length=1, max_length=20_000, description="사용자 메시지 (Korean message)")
    session_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
                                   description="이어서 대화할 세션; 없으면 새 세션")
    level: AnswerLevel | None = None
    concentration: Concentration | None = None


class GenerateRequest(_Request):
    brief: str = Field(min_length=1, max_length=20_000, description="향 설계 요청 문장")
    level: AnswerLevel | None = None
    concentration: Concentration | None = None


class BatchGenerateRequest(_Request):
    briefs: list[str] = Field(min_length=1, max_length=MAX_BATCH)
    level: AnswerLevel | None = None
    concentration: Concentration | None = None


class EditRequest(_Request):
    ops: list[EditOp] = Field(min_length=1, max_length=20, description="순서대로 적용할 편집 연산")
    version: int | None = Field(default=None, ge=1, description="편집할 버전; 없으면 최신")


class FeedbackRequest(_Request):
    turn_id: int = Field(ge=1)
    rating: Literal[-1, 1]
    comment: str = Field(default="", max_length=2000)


class TurnResponse(BaseModel):
    """One turn, in the ``hyanggi ask --json`` shape plus the turn id (for feedback)."""

    session: str
    turn_id: int | None
    reply: str
    intent: str
    brief: dict[str, Any] | None = None
    recipe: dict[str, Any] | None = None
    retrieved: list[str] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)


class GenerateResponse(BaseModel):
    session: str
    turn_id: int | None
    recipe: dict[str, Any]
    reply: str


class BatchItem(BaseModel):
    brief: str
    result: GenerateResponse | None = None
    error: dict[str, str] | None = None


class BatchGenerateResponse(BaseModel):
    results: list[BatchItem]


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]


class DiffResponse(BaseModel):
    recipe_id: str
    summary_ko: str
    diff: dict[str, Any]


class FeedbackResponse(BaseModel):
    id: int


class HealthResponse(BaseModel):
    status: Literal["ok", "starting", "unavailable"]
    version: str
    message_ko: str | None = None
