"""The `/api/v1` endpoints. Every turn goes through ``ChatService`` (committed to the store first)."""

from __future__ import annotations

import asyncio
import importlib.metadata
import time
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Query, Request

from knowledge.documents import CollectionName
from perfumery import EditError, diff
from perfumery.recipe import Recipe
from store import NotFoundError
from ui.api.errors import ApiError
from ui.api.limits import matching_digest, too_many_requests
from ui.api.schemas import (
    BatchGenerateRequest,
    BatchGenerateResponse,
    BatchItem,
    ChatRequest,
    DiffResponse,
    EditRequest,
    FeedbackRequest,
    FeedbackResponse,
    GenerateRequest,
    GenerateResponse,
    HealthResponse,
    SearchResponse,
    TurnResponse,
)

if TYPE_CHECKING:
    from agent.service import ChatService, TurnResult

# Service-level outcomes of a turn → HTTP status (the reply text is already Korean).
_TURN_ERRORS = {"invalid_input": 422, "busy": 503, "timeout": 504, "failure": 500}


def service(request: Request) -> ChatService:
    found = request.app.state.provider()
    if found is None and (problem := request.app.state.problem()):
        raise ApiError(503, "unavailable", problem)
    if found is None:
        raise ApiError(503, "not_ready", "모델과 검색 인덱스를 불러오는 중이에요. 잠시 후 다시 시도해 주세요.",
                       {"Retry-After": "5"})
    return found


def guard(request: Request) -> None:
    """Rate-limit by API key (or client address), then require a valid key when keys are configured."""
    settings = request.app.state.settings
    presented = request.headers.get("x-api-key") or _bearer(request.headers.get("authorization", ""))
    digest = matching_digest(presented, settings.api_keys) if presented else None
    client = f"key:{digest}" if digest else f"ip:{request.client.host if request.client else 'unknown'}"
    wait = request.app.state.limiter.check(client)
    if wait:
        raise too_many_requests(wait)
    if settings.api_keys and digest is None:
        raise ApiError(401, "unauthorized", "API 키가 없거나 올바르지 않아요. X-API-Key 헤더로 보내 주세요.",
                       {"WWW-Authenticate": "Bearer"})


def _bearer(header: str) -> str:
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


Service = Annotated["ChatService", Depends(service)]
public = APIRouter()
router = APIRouter(dependencies=[Depends(guard)])


@public.get("/health", response_model=HealthResponse, tags=["system"])
async def health(request: Request) -> HealthResponse:
    """서버 상태 (no key needed)."""
    status = "ok" if request.app.state.provider() is not None else \
        "unavailable" if request.app.state.problem() else "starting"
    return HealthResponse(status=status, version=importlib.metadata.version("hyanggi"),
                          message_ko=request.app.state.problem())


@router.get("/search", response_model=SearchResponse, tags=["knowledge"])
async def search(svc: Service, q: Annotated[str, Query(min_length=1, max_length=500)],
                 collection: Annotated[CollectionName | None, Query()] = None,
                 k: Annotated[int, Query(ge=1, le=50)] = 5) -> SearchResponse:
    """재료·어코드·향수 하이브리드 검색."""
    start = time.perf_counter()
    collections = [collection] if collection else None
    results = await asyncio.to_thread(svc.deps.searcher.search, q, collections, k)
    await svc.store.log_search(q, collection.value if collection else "all", k, [r.id for r in results],
                               round((time.perf_counter() - start) * 1000, 1), source="api")
    return SearchResponse(query=q, results=results)


@router.post("/chat", response_model=TurnResponse, tags=["chat"])
async def chat(svc: Service, body: ChatRequest) -> TurnResponse:
    """대화 한 턴 (session_id 로 이어서)."""
    result = _checked(await svc.ask(body.message, session_id=body.session_id, level=_value(body.level),
                                    concentration=_value(body.concentration), source="api"))
    return TurnResponse(**result.contract(), turn_id=result.turn_id)


@router.post("/generate", response_model=GenerateResponse, tags=["generate"])
async def generate(svc: Service, body: GenerateRequest) -> GenerateResponse:
    """요청 문장 → 향료 배합 (새 세션에서 한 턴)."""
    return await _generate(svc, body.brief, _value(body.level), _value(body.concentration))


@router.post("/generate/batch", response_model=BatchGenerateResponse, tags=["generate"])
async def generate_batch(svc: Service, body: BatchGenerateRequest) -> BatchGenerateResponse:
    """여러 요청을 차례로 설계합니다; 실패한 항목은 error 로 표시하고 나머지는 계속합니다."""
    items = []
    for brief in body.briefs:
        try:
            items.append(BatchItem(brief=brief, result=await _generate(
                svc, brief, _value(body.level), _value(body.concentration))))
        except ApiError as exc:
            items.append(BatchItem(brief=brief, error={"code": exc.code, "message_ko": exc.message_ko}))
    return BatchGenerateResponse(results=items)


@router.get("/recipes", tags=["recipes"])
async def list_recipes(svc: Service, session_id: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict]:
    """레시피 목록 (최근 순)."""
    return await svc.store.list_recipes(session_id=session_id, limit=limit)


@router.get("/recipes/{recipe_id}", tags=["recipes"])
async def get_recipe(svc: Service, recipe_id: str, version: Annotated[int | None, Query(ge=1)] = None) -> dict:
    """레시피 한 버전 (기본: 최신)."""
    return (await _recipe(svc, recipe_id, version)).to_contract()


@router.get("/recipes/{recipe_id}/versions", tags=["recipes"])
async def recipe_versions(svc: Service, recipe_id: str) -> list[dict]:
    return [r.to_contract() for r in await _versions(svc, recipe_id)]


@router.get("/recipes/{recipe_id}/diff", response_model=DiffResponse, tags=["recipes"])
async def recipe_diff(svc: Service, recipe_id: str,
                      from_version: Annotated[int | None, Query(alias="from", ge=1)] = None,
                      to_version: Annotated[int | None, Query(alias="to", ge=1)] = None) -> DiffResponse:
    """두 버전 비교 (기본: 최신과 그 직전)."""
    by_number = {r.version: r for r in await _versions(svc, recipe_id)}
    newer = to_version or max(by_number)
    older = from_version or max((v for v in by_number if v < newer), default=newer)
    missing = [v for v in (older, newer) if v not in by_number]
    if missing:
        raise ApiError(404, "not_found", f"레시피 {recipe_id}에 v{missing[0]} 버전이 없어요.")
    change = diff(by_number[older], by_number[newer])
    return DiffResponse(recipe_id=recipe_id, summary_ko=change.summary_ko(), diff=change.model_dump(mode="json"))


@router.post("/recipes/{recipe_id}/edit", tags=["recipes"])
async def edit_recipe(svc: Service, recipe_id: str, body: EditRequest) -> dict:
    """타입이 있는 편집 연산을 적용해 새 버전을 저장합니다 (한 요청 = 한 버전)."""
    try:
        recipe = await svc.edit_recipe(recipe_id, list(body.ops), body.version)
    except NotFoundError:
        raise ApiError(404, "not_found", f"레시피 {recipe_id}를 찾을 수 없어요.") from None
    except EditError as exc:
        raise ApiError(422, "invalid_edit", exc.message_ko) from None
    return recipe.to_contract()


@router.get("/sessions", tags=["sessions"])
async def list_sessions(svc: Service, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict]:
    return await svc.store.list_sessions(limit=limit)


@router.get("/sessions/{session_id}", tags=["sessions"])
async def get_session(svc: Service, session_id: str) -> dict:
    """대화 기록 전체 (turns, 검색 근거, 피드백)."""
    try:
        return (await svc.store.transcript(session_id)).model_dump(mode="json")
    except NotFoundError:
        raise ApiError(404, "not_found", f"세션 {session_id}을(를) 찾을 수 없어요.") from None


@router.post("/feedback", response_model=FeedbackResponse, tags=["sessions"])
async def feedback(svc: Service, body: FeedbackRequest) -> FeedbackResponse:
    """답변 평가 (+1 / -1)와 의견."""
    try:
        return FeedbackResponse(id=await svc.store.set_feedback(body.turn_id, body.rating, body.comment))
    except NotFoundError:
        raise ApiError(404, "not_found", f"대화 턴 {body.turn_id}을(를) 찾을 수 없어요.") from None


# --- helpers -------------------------------------------------------------------------------
def _value(enum: object | None) -> str | None:
    return getattr(enum, "value", None)


def _checked(result: TurnResult) -> TurnResult:
    if result.error:
        status = _TURN_ERRORS.get(result.error, 500)
        headers = {"Retry-After": "10"} if status == 503 else None
        raise ApiError(status, result.error, result.reply, headers)
    return result


async def _generate(svc: ChatService, brief: str, level: str | None, concentration: str | None) -> GenerateResponse:
    result = _checked(await svc.ask(brief, session_id=None, level=level, concentration=concentration, source="api"))
    if result.recipe is None:
        raise ApiError(422, "not_a_brief", "향 설계 요청으로 이해하지 못했어요. 원하는 분위기·계절·재료를 적어 주세요. "
                       f"(답변: {result.reply[:200]})")
    return GenerateResponse(session=result.session, turn_id=result.turn_id, recipe=result.recipe, reply=result.reply)


async def _recipe(svc: ChatService, recipe_id: str, version: int | None) -> Recipe:
    try:
        return await svc.store.get_recipe(recipe_id, version)
    except NotFoundError:
        suffix = f" v{version}" if version else ""
        raise ApiError(404, "not_found", f"레시피 {recipe_id}{suffix}을(를) 찾을 수 없어요.") from None


async def _versions(svc: ChatService, recipe_id: str) -> list[Recipe]:
    try:
        return await svc.store.list_versions(recipe_id)
    except NotFoundError:
        raise ApiError(404, "not_found", f"레시피 {recipe_id}을(를) 찾을 수 없어요.") from None
