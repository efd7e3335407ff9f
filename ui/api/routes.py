"""The `/api/v1` endpoints. Every turn goes through ``ChatService`` (committed to the store first).

Every route that touches a client's records takes the ``Principal`` the ``guard`` dependency found (its API
key, or the admin key as well), and hands it to the store or the service: another key's sessions, recipes,
turns and documents answer 404, exactly like ids that do not exist.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import time
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, Response, Security, UploadFile
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from agent.reading.guard import clean
from agent.replies.workbench import import_reply_ko, replacements_ko, where_used_ko
from knowledge.documents import CollectionName
from perfumery import EditError, diff, documents
from perfumery.batch import BatchBasis
from perfumery.formula import MAX_FORMULA_CHARS, FormulaError, FormulaFormat, formula_file
from perfumery.replacements import replacement_ops, replacements
from perfumery.vocabulary import BATCH_AMOUNT_MAX, BATCH_AMOUNT_MIN, BATCH_RANGE_KO, BatchUnit
from store import LOCAL, Principal
from tools import Toolbox
from tools.check import CheckRequest
from tools.documents import DocumentKind, ExportRequest
from tools.search import SearchRequest
from tools.workbench import ImportedFormula
from ui.api.errors import ApiError
from ui.api.identity import admin_key_matches, matching_key
from ui.api.limits import client_id, too_many_requests
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
    ImportRequest,
    ImportResponse,
    RecordId,
    ReplacementsResponse,
    ReplaceRequest,
    SearchResponse,
    TurnResponse,
    WhereUsedResponse,
)

if TYPE_CHECKING:
    from agent.service import ChatService, TurnResult

# Service-level outcomes of a turn → HTTP status (the reply text is already Korean).
_TURN_ERRORS = {"invalid_input": 422, "not_found": 404, "busy": 503, "timeout": 504, "failure": 500}
ADMIN_HEADER = "X-Admin-Key"


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


async def guard(request: Request, key: Annotated[str | None, Security(api_key_header)] = None,
                token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None) -> Principal:
    """Rate-limit by API key (or client address), require a valid key when keys are configured, and say who
    is asking: the key's principal (``LOCAL`` on a server without keys), an admin when the request also
    carries the admin key (``X-Admin-Key``: it then sees every principal's records)."""
    settings = request.app.state.settings
    presented = key or (token.credentials if token else "")
    found = matching_key(presented, settings.api_keys) if presented else None
    wait = await request.app.state.limiter.check(
        client_id(found.digest if found else None, request.client.host if request.client else None))
    if wait:
        raise too_many_requests(wait)
    if settings.api_keys and found is None:
        raise ApiError(401, "unauthorized", "API 키가 없거나 올바르지 않아요. X-API-Key 헤더로 보내 주세요.",
                       {"WWW-Authenticate": "Bearer"})
    if token is None and "authorization" in request.headers:  # a credential we cannot read is not ignored
        raise ApiError(401, "unauthorized", "Authorization 헤더는 'Bearer <API 키>' 형식이어야 해요.",
                       {"WWW-Authenticate": "Bearer"})
    principal = found.principal if found else LOCAL
    admin_key = request.headers.get(ADMIN_HEADER)
    if admin_key is not None:
        if problem := admin_refusal(settings.admin_key, admin_key):
            raise problem
        principal = principal.model_copy(update={"admin": True})
    return principal


def admin_refusal(configured: str, key: str | None) -> ApiError | None:
    """Why ``key`` is not the admin key (403), or None when it is."""
    if not configured:
        return ApiError(403, "forbidden", "관리 기능이 꺼져 있어요. 서버에 HYANGGI_ADMIN_KEY 를 설정하세요.")
    if not key or not admin_key_matches(key, configured):
        return ApiError(403, "forbidden", "관리자 키가 없거나 올바르지 않아요. X-Admin-Key 헤더로 보내 주세요.")
    return None


def json_body(request: Request) -> None:
    """415 for a body sent as anything but JSON (FastAPI would read it as bytes and answer 422)."""
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json"))):
        raise ApiError(415, "unsupported_media_type", "JSON 형식으로 보내 주세요 (Content-Type: application/json).")


async def guarded_text(request: Request, text: str, field: str) -> None:
    """The guard's own rules (length as sent, one visible character) — the ones the schema states. Run off
    the event loop like every parser of user text."""
    checked = await asyncio.to_thread(clean, text, request.app.state.settings.max_message_chars)
    if checked.error_ko:
        raise ApiError(422, "invalid_request", f"{field}: {checked.error_ko}")


Service = Annotated["ChatService", Depends(service)]


def toolbox(svc: Service) -> Toolbox:
    """The service's typed tools (search, check, export): what these handlers call besides the turn."""
    return svc.tools


Tools = Annotated[Toolbox, Depends(toolbox)]
Who = Annotated[Principal, Depends(guard)]  # the same call as the router's (FastAPI runs it once a request)
Id = Annotated[RecordId, Path()]
Version = Annotated[DbId | None, Query()]
public = APIRouter()
router = APIRouter(dependencies=[Depends(guard)])

# What each failure means; every route lists the ones it can return, all in the ErrorResponse shape.
_ERRORS = {
    400: "본문을 읽을 수 없음 (bad_request)",
    401: "API 키가 없거나 올바르지 않음 (unauthorized) — 키가 설정된 서버에서만",
    403: "관리자 키가 없거나 올바르지 않음, 또는 관리 기능이 꺼져 있음 (forbidden, HYANGGI_ADMIN_KEY)",
    404: "레시피·세션·턴·작업·어댑터가 없거나 다른 키의 것임 (not_found)",
    409: ("편집을 이 레시피에 적용할 수 없음 (invalid_edit): 없는 재료, 남는 재료가 없는 삭제 등; 레시피로 읽을 수 없는 내용 "
          "(invalid_formula); 이 배치로 만들 수 없는 배합표 (invalid_batch); 이미 끝난 작업 (job_finished); "
          "평가 기준을 넘지 못한 어댑터 (below_gate)"),
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
async def search(svc: Service, tools: Tools, q: Annotated[str, Query(min_length=1, max_length=500)],
                 collection: Annotated[CollectionName | None, Query()] = None,
                 k: Annotated[int, Query(ge=1, le=50)] = 5) -> SearchResponse:
    """재료·어코드·향수 하이브리드 검색."""
    start = time.perf_counter()
    found = await tools.search(SearchRequest(query=q, collection=collection, k=k))
    await svc.store.log_search(q, collection.value if collection else "all", k, [r.id for r in found.results],
                               round((time.perf_counter() - start) * 1000, 1), source="api")
    return SearchResponse(query=q, results=found.results)


@router.post("/chat", response_model=TurnResponse, tags=["chat"], operation_id="chat", dependencies=JSON_BODY,
             responses={**errors(*BODY, 404, 504), **_links(_TURN_LINKS)})
async def chat(request: Request, svc: Service, who: Who, body: ChatRequest) -> TurnResponse:
    """대화 한 턴 (session_id 로 이어서; 다른 키의 세션은 404)."""
    await guarded_text(request, body.message, "message")
    result = _checked(await svc.ask(body.message, session_id=body.session_id, level=_value(body.level),
                                    concentration=_value(body.concentration), source="api",
                                    product=_value(body.product), principal=who))
    return TurnResponse(**result.contract(), turn_id=result.turn_id)


@router.post("/generate", response_model=GenerateResponse, tags=["generate"], operation_id="generate",
             dependencies=JSON_BODY,
             responses={**errors(*BODY, 504), **_links(_TURN_LINKS)})
async def generate(request: Request, svc: Service, who: Who, body: GenerateRequest) -> GenerateResponse:
    """요청 문장 → 향료 배합 (새 세션에서 한 턴). 향 설계로 이해하지 못한 요청은 recipe 가 null 이에요."""
    await guarded_text(request, body.brief, "brief")
    return await _generate(svc, who, body.brief, _value(body.level), _value(body.concentration),
                           _value(body.product))


@router.post("/generate/batch", response_model=BatchGenerateResponse, tags=["generate"],
             operation_id="generate_batch", dependencies=JSON_BODY, responses=errors(*BODY))
async def generate_batch(request: Request, svc: Service, who: Who,
                         body: BatchGenerateRequest) -> BatchGenerateResponse:
    """여러 요청을 차례로 설계합니다; 실패한 항목은 error 로 표시하고 나머지는 계속합니다."""
    for n, brief in enumerate(body.briefs):
        await guarded_text(request, brief, f"briefs.{n}")
    items = []
    for brief in body.briefs:
        try:
            items.append(BatchItem(brief=brief, result=await _generate(
                svc, who, brief, _value(body.level), _value(body.concentration), _value(body.product))))
        except ApiError as exc:
            items.append(BatchItem(brief=brief, error={"code": exc.code, "message_ko": exc.message_ko}))
    return BatchGenerateResponse(results=items)


# --- the perfumer's workbench: import (before /recipes/{recipe_id}, so a wrong method there is answered
# with the methods of /recipes/import) -----------------------------------------------------------
_IMPORT_LINKS = {"get_session": {"session_id": "$response.body#/session"},
                 **{op: {"recipe_id": "$response.body#/recipe/id"} for op in
                    ("get_recipe", "edit_recipe", "export_csv", "export_json", "batch_sheet", "ifra_summary",
                     "allergen_declaration")}}
_FORMULA_ERROR = "레시피를 읽을 수 없음 (invalid_formula): 재료·양이 없거나 단위를 합칠 수 없음"


@router.post("/recipes/import", response_model=ImportResponse, tags=["workbench"], operation_id="import_recipe",
             dependencies=JSON_BODY, responses={**errors(*BODY, 404, 409), **_links(_IMPORT_LINKS)})
async def import_recipe(svc: Service, who: Who, body: ImportRequest) -> ImportResponse:
    """조향사의 레시피(텍스트·CSV·JSON)를 가져와 세션의 v1로 저장합니다. 확신이 낮은 줄과 모르는 재료는 표시합니다."""
    return await _import(svc, who, body.content, body.format, body.session_id, name=body.name,
                         concentration=body.concentration, product=body.product, load_percent=body.dilution_percent)


@router.post("/recipes/import/file", response_model=ImportResponse, tags=["workbench"],
             operation_id="import_recipe_file",
             responses={**errors(400, 404, 409, 413, 422), **_links(_IMPORT_LINKS)})
async def import_recipe_file(svc: Service, who: Who,
                             file: Annotated[UploadFile, File(description="CSV, JSON 또는 텍스트 파일")],
                             session_id: Annotated[RecordId | None, Form()] = None) -> ImportResponse:
    """파일로 레시피 가져오기 (CSV·JSON·텍스트, UTF-8)."""
    raw = await file.read(MAX_FORMULA_CHARS * 4 + 1)
    try:
        content, fmt = await asyncio.to_thread(formula_file, raw, file.filename or "")
    except FormulaError as exc:
        raise ApiError(409, "invalid_formula", exc.message_ko) from None
    return await _import(svc, who, content, fmt, session_id,
                         name=file.filename.rsplit(".", 1)[0] if file.filename else "")


@router.get("/recipes", tags=["recipes"], operation_id="list_recipes", responses=errors(422))
async def list_recipes(svc: Service, who: Who, session_id: Annotated[RecordId | None, Query()] = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    """이 키의 레시피 목록 (최근 순; 관리자 키는 모두)."""
    return await svc.store.list_recipes(who, session_id=session_id, limit=limit)


@router.get("/recipes/{recipe_id}", tags=["recipes"], operation_id="get_recipe", responses=errors(404, 422))
async def get_recipe(svc: Service, who: Who, recipe_id: Id, version: Version = None) -> dict[str, Any]:
    """레시피 한 버전 (기본: 최신)."""
    return (await svc.store.get_recipe(who, recipe_id, version)).to_contract()


@router.get("/recipes/{recipe_id}/versions", tags=["recipes"], operation_id="recipe_versions",
            responses=errors(404, 422))
async def recipe_versions(svc: Service, who: Who, recipe_id: Id) -> list[dict[str, Any]]:
    """레시피의 모든 버전 (오래된 순)."""
    return [r.to_contract() for r in await svc.store.list_versions(who, recipe_id)]


@router.get("/recipes/{recipe_id}/diff", response_model=DiffResponse, tags=["recipes"], operation_id="recipe_diff",
            responses=errors(404, 422))
async def recipe_diff(svc: Service, who: Who, recipe_id: Id,
                      from_version: Annotated[DbId | None, Query(alias="from")] = None,
                      to_version: Annotated[DbId | None, Query(alias="to")] = None) -> DiffResponse:
    """두 버전 비교 (기본: 최신과 그 직전)."""
    by_number = {r.version: r for r in await svc.store.list_versions(who, recipe_id)}
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
async def edit_recipe(svc: Service, who: Who, recipe_id: Id, body: EditRequest) -> dict[str, Any]:
    """타입이 있는 편집 연산을 적용해 새 버전을 저장합니다 (한 요청 = 한 버전)."""
    try:
        recipe = await svc.edit_recipe(recipe_id, list(body.ops), body.version, principal=who)
    except EditError as exc:  # well-formed, but not applicable to this recipe (or this catalog)
        raise ApiError(409, "invalid_edit", exc.message_ko) from None
    return recipe.to_contract()


# --- the perfumer's workbench: documents, where-used, replacements ---------------------------
@router.get("/recipes/{recipe_id}/export/csv", tags=["workbench"], operation_id="export_csv",
            responses={**errors(404, 422), 200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def export_csv(tools: Tools, who: Who, recipe_id: Id, version: Version = None) -> Response:
    """CSV (원액 기준 %, 희석 정보 포함; 다시 가져오면 같은 레시피). =·+·-·@ 로 시작하는 칸은 따옴표로 막아요."""
    doc = await tools.export(ExportRequest(recipe_id=recipe_id, version=version, kind=DocumentKind.csv), who)
    return Response(doc.text, media_type=doc.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{doc.filename}"'})


@router.get("/recipes/{recipe_id}/export/json", tags=["workbench"], operation_id="export_json",
            responses=errors(404, 422))
async def export_json(svc: Service, who: Who, recipe_id: Id, version: Version = None) -> dict[str, Any]:
    """레시피 JSON (다시 가져오면 같은 레시피)."""
    return (await svc.store.get_recipe(who, recipe_id, version)).to_contract()


@router.get("/recipes/{recipe_id}/export/batch-sheet", tags=["workbench"], operation_id="batch_sheet",
            responses={**errors(404, 409, 422), 200: {"content": {"text/html": {"schema": {"type": "string"}}}}})
async def batch_sheet(tools: Tools, who: Who, recipe_id: Id, version: Version = None,
                      batch: Annotated[float, Query(ge=BATCH_AMOUNT_MIN, le=BATCH_AMOUNT_MAX,
                                                    description=f"배합표의 양 (basis 기준; {BATCH_RANGE_KO})")] = 100.0,
                      unit: Annotated[BatchUnit, Query(description="g 또는 kg")] = BatchUnit.g,
                      basis: Annotated[BatchBasis, Query(description="concentrate: 향료 농축액 (기본) | product: "
                                                                     "완제품")] = BatchBasis.concentrate) -> Response:
    """인쇄용 배합표 (HTML): 기본은 조향사가 만드는 향료 농축액, 요청하면 제품 베이스까지 넣은 완제품. 희석액은 부은
    무게로, 체크리스트·IFRA·알레르겐 요약 포함."""
    doc = await tools.export(ExportRequest(recipe_id=recipe_id, version=version, kind=DocumentKind.batch_sheet,
                                           batch=batch, unit=unit, basis=basis), who)
    return Response(doc.text, media_type=doc.media_type)


@router.get("/recipes/{recipe_id}/documents/ifra", response_model=documents.IfraSummary, tags=["workbench"],
            operation_id="ifra_summary", responses=errors(404, 422))
async def ifra_summary(tools: Tools, who: Who, recipe_id: Id, version: Version = None) -> documents.IfraSummary:
    """IFRA 적합성 요약 (레시피의 제품 카테고리·부향률 기준, 출처·개정 차수, 확인 필요 항목)."""
    return (await tools.check(CheckRequest(recipe_id=recipe_id, version=version), who)).ifra


@router.get("/recipes/{recipe_id}/documents/allergens", response_model=documents.AllergenDeclaration,
            tags=["workbench"], operation_id="allergen_declaration", responses=errors(404, 422))
async def allergen_declaration(tools: Tools, who: Who, recipe_id: Id,
                               version: Version = None) -> documents.AllergenDeclaration:
    """EU 알레르기 유발 성분 표시 (완제품 기준, 리브온 0.001% / 린스오프 0.01%)."""
    return (await tools.check(CheckRequest(recipe_id=recipe_id, version=version), who)).allergens


@router.get("/materials/{material_id}/where-used", response_model=WhereUsedResponse, tags=["workbench"],
            operation_id="where_used", responses=errors(404, 422))
async def where_used(svc: Service, tools: Tools, who: Who,
                     material_id: Annotated[str, Path(min_length=1, max_length=80)],
                     session_id: Annotated[RecordId | None, Query()] = None) -> WhereUsedResponse:
    """이 재료를 쓰는 이 키의 저장된 레시피 버전과 그 비율 (최근 순)."""
    catalog = tools.catalog
    if material_id not in catalog:
        raise ApiError(404, "not_found", f"재료 {material_id}을(를) 찾을 수 없어요.")
    name = catalog.material(material_id).name_ko
    uses = await svc.store.where_used(who, material_id, session_id)
    return WhereUsedResponse(material_id=material_id, name_ko=name, uses=uses, summary_ko=where_used_ko(uses, name))


@router.get("/recipes/{recipe_id}/replacements", response_model=ReplacementsResponse, tags=["workbench"],
            operation_id="replacements", responses=errors(404, 409, 422))
async def recipe_replacements(svc: Service, tools: Tools, who: Who, recipe_id: Id,
                              material_id: Annotated[str, Query(min_length=1, max_length=80)],
                              version: Version = None,
                              k: Annotated[int, Query(ge=1, le=10)] = 5) -> ReplacementsResponse:
    """레시피 속 재료의 대체 후보와 이유 (공통 특징, 노트 자리, 세기, 가격, IFRA)."""
    recipe = await svc.store.get_recipe(who, recipe_id, version)
    catalog = tools.catalog
    try:
        found = replacements(recipe, material_id, catalog, k)
    except EditError as exc:
        raise ApiError(409, "invalid_edit", exc.message_ko) from None
    return ReplacementsResponse(recipe_id=recipe_id, version=recipe.version, material_id=material_id, candidates=found,
                                summary_ko=replacements_ko(found, catalog.material(material_id).name_ko))


@router.post("/recipes/{recipe_id}/replace", tags=["workbench"], operation_id="replace_material",
             dependencies=JSON_BODY,
             responses={**errors(*BODY, 404, 409), **_links({"get_recipe": {"recipe_id": "$response.body#/id",
                                                                       "version": "$response.body#/version"}})})
async def replace_material(svc: Service, tools: Tools, who: Who, recipe_id: Id,
                           body: ReplaceRequest) -> dict[str, Any]:
    """대체재를 적용해 새 버전을 저장합니다: 세기에 맞춘 비율로 넣고 나머지는 주력 재료로 다시 맞춥니다."""
    recipe = await svc.store.get_recipe(who, recipe_id, body.version)
    try:
        ops = replacement_ops(recipe, body.material_id, body.replacement, tools.catalog)
        return (await svc.edit_recipe(recipe_id, ops, body.version, principal=who)).to_contract()
    except EditError as exc:
        raise ApiError(409, "invalid_edit", exc.message_ko) from None


@router.get("/sessions", tags=["sessions"], operation_id="list_sessions", responses=errors(422))
async def list_sessions(svc: Service, who: Who,
                        limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    """이 키의 대화 세션 목록 (최근 순; 관리자 키는 모두)."""
    return await svc.store.list_sessions(who, limit=limit)


@router.get("/sessions/{session_id}", tags=["sessions"], operation_id="get_session", responses=errors(404, 422))
async def get_session(svc: Service, who: Who, session_id: Id) -> dict[str, Any]:
    """대화 기록 전체 (turns, 검색 근거, 피드백)."""
    return (await svc.store.transcript(who, session_id)).model_dump(mode="json")


@router.post("/feedback", response_model=FeedbackResponse, tags=["sessions"], operation_id="feedback",
             dependencies=JSON_BODY, responses=errors(*BODY, 404))
async def feedback(svc: Service, who: Who, body: FeedbackRequest) -> FeedbackResponse:
    """답변 평가 (+1 / -1)와 의견 (이 키의 세션의 턴만)."""
    return FeedbackResponse(id=await svc.store.set_feedback(who, body.turn_id, body.rating, body.comment))


# --- helpers -------------------------------------------------------------------------------
def _value(enum: object | None) -> str | None:
    return getattr(enum, "value", None)


def _checked(result: TurnResult) -> TurnResult:
    if result.error:
        status = _TURN_ERRORS.get(result.error, 500)
        headers = {"Retry-After": "10"} if status == 503 else None
        raise ApiError(status, result.error, result.reply, headers)
    return result


async def _generate(svc: ChatService, who: Principal, brief: str, level: str | None, concentration: str | None,
                    product: str | None = None) -> GenerateResponse:
    """A brief the assistant did not read as a design request is still answered (recipe null, reply says why):
    the request itself was valid, so it is not a client error."""
    result = _checked(await svc.ask(brief, session_id=None, level=level, concentration=concentration, source="api",
                                    product=product, principal=who))
    return GenerateResponse(session=result.session, turn_id=result.turn_id, recipe=result.recipe, reply=result.reply)


async def _import(svc: ChatService, who: Principal, content: str, fmt: FormulaFormat | None,
                  session_id: str | None, **settings: Any) -> ImportResponse:
    try:
        result, session, turn_id = await svc.import_recipe(content, fmt, session_id, source="api", principal=who,
                                                           **settings)
    except FormulaError as exc:
        raise ApiError(409, "invalid_formula", exc.message_ko) from None
    imported = ImportedFormula.of(result)
    return ImportResponse(session=session, turn_id=turn_id, recipe=result.recipe.to_contract(), lines=imported.lines,
                          skipped=result.skipped, notes_ko=result.notes_ko,
                          reply=import_reply_ko(result, svc.tools.catalog))
