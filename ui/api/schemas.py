"""Request and response bodies of the REST API (the OpenAPI schema is generated from these)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hyanggi.settings import AnswerLevel
from jobs.records import exact_booleans
from knowledge.search import SearchResult
from perfumery.edits import EditOp
from perfumery.formula import SkippedLine
from perfumery.ifra import Product
from perfumery.models import Concentration
from perfumery.replacements import Replacement
from tools.fields import MAX_DB_INT as MAX_DB_INT  # re-exported: the admin routes' bound
from tools.fields import PRODUCT_HELP, DbId, RecordId
from tools.workbench import MAX_EDIT_OPS, ImportFormulaRequest, ImportLine

MAX_BATCH = 10
# Marks a text field that `agent.reading.guard` checks; the OpenAPI document gets the guard's length limit and
# pattern there (`ui.api.contract`), so the schema states the rule the server applies.
GUARDED = "x-hyanggi-guarded"
GuardedText = Annotated[str, Field(min_length=1, json_schema_extra={GUARDED: True})]


class _Request(BaseModel):
    # Python's regex engine: the one schemathesis and the JSON-schema tools read patterns with.
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_numbers(cls, data: Any) -> Any:
        return exact_booleans(cls, data)


class ChatRequest(_Request):
    message: GuardedText = Field(description="사용자 메시지 (Korean message)")
    session_id: RecordId | None = Field(default=None, description="이어서 대화할 세션; 없으면 새 세션 (다른 키의 세션은 404)")
    level: AnswerLevel | None = None
    concentration: Concentration | None = None
    product: Product | None = Field(default=None, description=PRODUCT_HELP)


class GenerateRequest(_Request):
    brief: GuardedText = Field(description="향 설계 요청 문장")
    level: AnswerLevel | None = None
    concentration: Concentration | None = None
    product: Product | None = Field(default=None, description=PRODUCT_HELP)


class BatchGenerateRequest(_Request):
    briefs: list[GuardedText] = Field(min_length=1, max_length=MAX_BATCH)
    level: AnswerLevel | None = None
    concentration: Concentration | None = None
    product: Product | None = Field(default=None, description=PRODUCT_HELP)


class EditRequest(_Request):
    ops: list[EditOp] = Field(min_length=1, max_length=MAX_EDIT_OPS, description="순서대로 적용할 편집 연산")
    version: DbId | None = Field(default=None, description="편집할 버전; 없으면 최신")


class FeedbackRequest(_Request):
    turn_id: DbId
    rating: Literal[-1, 1]
    comment: str = Field(default="", max_length=2000)


class ErrorDetail(BaseModel):
    code: str = Field(description="기계가 읽는 오류 코드 (e.g. not_found, rate_limited)")
    message_ko: str = Field(description="사용자에게 보여 줄 한국어 설명")


class ErrorResponse(BaseModel):
    """Every error the API returns, whatever the status."""

    error: ErrorDetail


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
    recipe: dict[str, Any] | None = Field(
        description="설계된 레시피; 요청을 향 설계로 이해하지 못하면 null이고 reply 가 이유를 말해요")
    reply: str


class BatchItem(BaseModel):
    brief: str
    result: GenerateResponse | None = None
    error: ErrorDetail | None = None


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


# --- the perfumer's workbench ------------------------------------------------------------------


class ImportRequest(_Request, ImportFormulaRequest):
    session_id: RecordId | None = Field(default=None, description="이어서 대화할 세션; 없으면 새 세션 (다른 키의 세션은 404)")


class ImportResponse(BaseModel):
    session: str
    turn_id: int
    recipe: dict[str, Any]
    lines: list[ImportLine]
    skipped: list[SkippedLine]
    notes_ko: list[str]
    reply: str


class WhereUsedItem(BaseModel):
    recipe_id: str
    name: str
    session_id: str | None
    version: int
    percent: float


class WhereUsedResponse(BaseModel):
    material_id: str
    name_ko: str
    uses: list[WhereUsedItem]
    summary_ko: str


class ReplacementsResponse(BaseModel):
    recipe_id: str
    version: int
    material_id: str
    candidates: list[Replacement]
    summary_ko: str


class ReplaceRequest(_Request):
    material_id: str = Field(min_length=1, max_length=80)
    replacement: str = Field(min_length=1, max_length=80)
    version: DbId | None = Field(default=None, description="바꿀 버전; 없으면 최신")


# --- operations (admin key) -----------------------------------------------------------------------
class IndexStatus(BaseModel):
    location: str = Field(description="Chroma 서버 주소 또는 내장 폴더")
    counts: dict[str, int] = Field(description="컬렉션별 문서 수 (색인이 없으면 비어 있음)")
    current: bool = Field(description="지식 베이스·임베더와 맞는 색인인지")


class StatusResponse(BaseModel):
    version: str
    versions: dict[str, str] = Field(description="주요 라이브러리 버전")
    model: dict[str, Any] = Field(description="생성기 백엔드, 기본 GGUF, 제공 중인 어댑터")
    index: IndexStatus
    jobs: dict[str, int] = Field(description="상태별 작업 수 (queued = 대기열 길이)")
    job_runner: Literal["celery", "thread"]
    database: dict[str, Any] = Field(description="데이터베이스 종류와 턴 수")
    rate_limits: Literal["redis", "process"]
