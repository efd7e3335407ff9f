"""The `/api/v1` endpoints. Every turn goes through ``ChatService`` (committed to the store first)."""

from __future__ import annotations

import asyncio
import importlib.metadata
import time
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from agent.guard import clean
from knowledge.documents import CollectionName
from perfumery import EditError, diff
from perfumery.recipe import Recipe
from store import NotFoundError
from ui.api.errors import ApiError
from ui.api.limits import client_id, matching_digest, too_many_requests
from ui.api.schemas import (
    BatchGenerateRequest,
    BatchGenerateResponse,
    BatchItem,
    ChatRequest,
    DbId,
    DiffResponse,
    EditRequest,
    ErrorResponse,
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


api_key_header = APIKeyHeader(name="X-API-Key", scheme_name="ApiKey", auto_error=False,
                              description="HYANGGI_API_KEYS 에 sha256 으로 등록된 키")
bearer = HTTPBearer(scheme_name="Bearer", auto_error=False, description="Authorization: Bearer <API 키>")


def guard(request: Request, key: Annotated[str | None, Security(api_key_header)] = None,
          token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None) -> None:
    """Rate-limit by API key (or client address), then require a valid key when keys are configured."""
    settings = request.app.state.settings
    presented = key or (token.credentials if token else "")
    digest = matching_digest(presented, settings.api_keys) if presented else None
    wait = request.app.state.limiter.check(client_id(digest, request.client.host if request.client else None))
    if wait:
        raise too_many_requests(wait)
    if settings.api_keys and digest is None:
        raise ApiError(401, "unauthorized", "API 키가 없거나 올바르지 않아요. X-API-Key 헤더로 보내 주세요.",
                       {"WWW-Authenticate": "Bearer"})


def json_body(request: Request) -> None:
    """415 for a body sent as anything but JSON (FastAPI would read it as bytes and answer 422)."""
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json"))):
        raise ApiError(415, "unsupported_media_type", "JSON 형식으로 보내 주세요 (Content-Type: application/json).")


def guarded_text(request: Request, text: str, field: str) -> None:
    """The guard's own rules (length as sent, one visible character) — the ones the schema states."""
    checked = clean(text, request.app.state.settings.max_message_chars)
    if checked.error_ko:
        raise ApiError(422, "invalid_request", f"{field}: {checked.error_ko}")


Service = Annotated["ChatService", Depends(service)]
Id = Annotated[str, Path(min_length=1, max_length=64)]
Version = Annotated[DbId | None, Query()]
public = APIRouter()
router = APIRouter(dependencies=[Depends(guard)])

# What each failure means; every route lists the ones it can return, all in the ErrorResponse shape.
_ERRORS = {
    400: "본문을 읽을 수 없음 (bad_request)",
    401: "API 키가 없거나 올바르지 않음 (unauthorized) — 키가 설정된 서버에서만",
    404: "레시피·세션·턴이 없음 (not_found)",
    409: "편집을 이 레시피에 적용할 수 없음 (invalid_edit): 없는 재료, 남는 재료가 없는 삭제 등",
    413: "본문이 너무 큼 (too_large, HYANGGI_MAX_REQUEST_BYTES)",
    415: "본문이 JSON 이 아님 (unsupported_media_type)",
    422: "요청 값이 스키마나 입력 규칙에 맞지 않음 (invalid_request)",
    429: "요청이 너무 많음 (rate_limited); Retry-After 초 후에 다시",
    500: "예상하지 못한 오류 (internal_error, failure) — 내부 정보는 담지 않음",
    503: "모델·색인을 불러오는 중이거나 불러오지 못함, 또는 대기열이 가득 참 (not_ready, unavailable, busy)",
    504: "설계가 시간 안에 끝나지 않음 (timeout)",
}
_RETRY_AFTER = {"Retry-After": {"description": "다시 시도하기까지 기다릴 초", "schema": {"type": "integer"}}}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses for ``codes`` plus those of every guarded route (key, rate limit, service)."""
    chosen = sorted({401, 429, 500, 503, *codes})
    return {code: {"model": ErrorResponse, "description": _ERRORS[code],
                   **({"headers": _RETRY_AFTER} if code == 429 else {})} for code in chosen}


BODY = (400, 413, 415, 422)
JSON_BODY = [Depends(json_body)]


def _links(targets: dict[str, dict[str, str]]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI links from a 200 response (operation id → its parameters): what a client, and schemathesis's
    stateful phase, can call next with the ids just returned."""
    return {200: {"links": {op: {"operationId": op, "parameters": params} for op, params in targets.items()}}}


_TURN_LINKS = {"get_session": {"session_id": "$response.body#/session"},
               **{op: {"recipe_id": "$response.body#/recipe/id"} for op in
                  ("get_recipe", "recipe_versions", "recipe_diff", "edit_recipe")}}


@public.get("/health", response_model=HealthResponse, tags=["system"], operation_id="health",
            responses={500: {"model": ErrorResponse, "description": _ERRORS[500]}})
async def health(request: Request) -> HealthResponse:
    """서버 상태 (no key needed)."""
    status = "ok" if request.app.state.provider() is not None else \
        "unavailable" if request.app.state.problem() else "starting"
    return HealthResponse(status=status, version=importlib.metadata.version("hyanggi"),
                          message_ko=request.app.state.problem())


@router.get("/search", response_model=SearchResponse, tags=["knowledge"], operation_id="search",
            responses=errors(422))
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


@router.post("/chat", response_model=TurnResponse, tags=["chat"], operation_id="chat", dependencies=JSON_BODY,
             responses={**errors(*BODY, 504), **_links(_TURN_LINKS)})
async def chat(request: Request, svc: Service, body: ChatRequest) -> TurnResponse:
    """대화 한 턴 (session_id 로 이어서)."""
    guarded_text(request, body.message, "message")
    result = _checked(await svc.ask(body.message, session_id=body.session_id, level=_value(body.level),
                                    concentration=_value(body.concentration), source="api",
                                    product=_value(body.product)))
    return TurnResponse(**result.contract(), turn_id=result.turn_id)


@router.post("/generate", response_model=GenerateResponse, tags=["generate"], operation_id="generate",
             dependencies=JSON_BODY,
             responses={**errors(*BODY, 504), **_links(_TURN_LINKS)})
async def generate(request: Request, svc: Service, body: GenerateRequest) -> GenerateResponse:
    """요청 문장 → 향료 배합 (새 세션에서 한 턴). 향 설계로 이해하지 못한 요청은 recipe 가 null 이에요."""
    guarded_text(request, body.brief, "brief")
    return await _generate(svc, body.brief, _value(body.level), _value(body.concentration), _value(body.product))


@router.post("/generate/batch", response_model=BatchGenerateResponse, tags=["generate"],
             operation_id="generate_batch", dependencies=JSON_BODY, responses=errors(*BODY))
async def generate_batch(request: Request, svc: Service, body: BatchGenerateRequest) -> BatchGenerateResponse:
    """여러 요청을 차례로 설계합니다; 실패한 항목은 error 로 표시하고 나머지는 계속합니다."""
    for n, brief in enumerate(body.briefs):
        guarded_text(request, brief, f"briefs.{n}")
    items = []
    for brief in body.briefs:
        try:
            items.append(BatchItem(brief=brief, result=await _generate(
                svc, brief, _value(body.level), _value(body.concentration), _value(body.product))))
        except ApiError as exc:
            items.append(BatchItem(brief=brief, error={"code": exc.code, "message_ko": exc.message_ko}))
    return BatchGenerateResponse(results=items)


@router.get("/recipes", tags=["recipes"], operation_id="list_recipes", responses=errors(422))
async def list_recipes(svc: Service, session_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    """레시피 목록 (최근 순)."""
    return await svc.store.list_recipes(session_id=session_id, limit=limit)


@router.get("/recipes/{recipe_id}", tags=["recipes"], operation_id="get_recipe", responses=errors(404, 422))
async def get_recipe(svc: Service, recipe_id: Id, version: Version = None) -> dict[str, Any]:
    """레시피 한 버전 (기본: 최신)."""
    return (await _recipe(svc, recipe_id, version)).to_contract()


@router.get("/recipes/{recipe_id}/versions", tags=["recipes"], operation_id="recipe_versions",
            responses=errors(404, 422))
async def recipe_versions(svc: Service, recipe_id: Id) -> list[dict[str, Any]]:
    """레시피의 모든 버전 (오래된 순)."""
    return [r.to_contract() for r in await _versions(svc, recipe_id)]


@router.get("/recipes/{recipe_id}/diff", response_model=DiffResponse, tags=["recipes"], operation_id="recipe_diff",
            responses=errors(404, 422))
async def recipe_diff(svc: Service, recipe_id: Id,
                      from_version: Annotated[DbId | None, Query(alias="from")] = None,
                      to_version: Annotated[DbId | None, Query(alias="to")] = None) -> DiffResponse:
    """두 버전 비교 (기본: 최신과 그 직전)."""
    by_number = {r.version: r for r in await _versions(svc, recipe_id)}
    newer = to_version or max(by_number)
    older = from_version or max((v for v in by_number if v < newer), default=newer)
    missing = [v for v in (older, newer) if v not in by_number]
    if missing:
        raise ApiError(404, "not_found", f"레시피 {recipe_id}에 v{missing[0]} 버전이 없어요.")
    change = diff(by_number[older], by_number[newer])
    return DiffResponse(recipe_id=recipe_id, summary_ko=change.summary_ko(), diff=change.model_dump(mode="json"))


@router.post("/recipes/{recipe_id}/edit", tags=["recipes"], operation_id="edit_recipe", dependencies=JSON_BODY,
             responses={**errors(*BODY, 404, 409), **_links({"get_recipe": {"recipe_id": "$response.body#/id",
                                                                       "version": "$response.body#/version"}})})
async def edit_recipe(svc: Service, recipe_id: Id, body: EditRequest) -> dict[str, Any]:
    """타입이 있는 편집 연산을 적용해 새 버전을 저장합니다 (한 요청 = 한 버전)."""
    try:
        recipe = await svc.edit_recipe(recipe_id, list(body.ops), body.version)
    except NotFoundError:
        raise ApiError(404, "not_found", f"레시피 {recipe_id}를 찾을 수 없어요.") from None
    except EditError as exc:  # well-formed, but not applicable to this recipe (or this catalog)
        raise ApiError(409, "invalid_edit", exc.message_ko) from None
    return recipe.to_contract()


@router.get("/sessions", tags=["sessions"], operation_id="list_sessions", responses=errors(422))
async def list_sessions(svc: Service, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    """대화 세션 목록 (최근 순)."""
    return await svc.store.list_sessions(limit=limit)


@router.get("/sessions/{session_id}", tags=["sessions"], operation_id="get_session", responses=errors(404, 422))
async def get_session(svc: Service, session_id: Id) -> dict[str, Any]:
    """대화 기록 전체 (turns, 검색 근거, 피드백)."""
    try:
        return (await svc.store.transcript(session_id)).model_dump(mode="json")
    except NotFoundError:
        raise ApiError(404, "not_found", f"세션 {session_id}을(를) 찾을 수 없어요.") from None


@router.post("/feedback", response_model=FeedbackResponse, tags=["sessions"], operation_id="feedback",
             dependencies=JSON_BODY, responses=errors(*BODY, 404))
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


async def _generate(svc: ChatService, brief: str, level: str | None, concentration: str | None,
                    product: str | None = None) -> GenerateResponse:
    """A brief the assistant did not read as a design request is still answered (recipe null, reply says why):
    the request itself was valid, so it is not a client error."""
    result = _checked(await svc.ask(brief, session_id=None, level=level, concentration=concentration, source="api",
                                    product=product))
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
