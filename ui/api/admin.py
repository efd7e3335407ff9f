"""`/api/v1/training/*` and `/api/v1/admin/*`: jobs, the adapter registry, hot-swapping the serving adapter,
reindexing and the server's status. Every route wants an API key (where keys are configured) *and* the admin
key (``X-Admin-Key``, its sha256 digest in ``HYANGGI_ADMIN_KEY``); without a configured admin key they are off
(403). A job belongs to the key that started it; the admin key sees every job."""

from __future__ import annotations

import asyncio
import importlib.metadata
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import Field
from sqlalchemy import func, select

from jobs.adapters import serve_adapter
from jobs.ledger import GateError, Ledger, ledger_for
from jobs.records import (
    FINISHED,
    DatasetParams,
    EvaluateParams,
    JobView,
    ModelView,
    ReindexParams,
    TrainParams,
)
from jobs.runner import submit
from store import models as m
from ui.api.contract import ADMIN_SCHEME
from ui.api.errors import ApiError
from ui.api.routes import ADMIN_HEADER, BODY, JSON_BODY, Who, admin_refusal, errors, guard
from ui.api.schemas import MAX_DB_INT, IndexStatus, StatusResponse

admin_key_header = APIKeyHeader(name=ADMIN_HEADER, scheme_name=ADMIN_SCHEME, auto_error=False,
                                description="HYANGGI_ADMIN_KEY 에 sha256 으로 등록된 관리자 키")
TrainingJob = Annotated[DatasetParams | TrainParams | EvaluateParams, Field(discriminator="kind")]
# Exactly 32 characters, so Python's "$" cannot let a final "\n" through (the length already refuses it).
JobId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
ModelId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
LIBRARIES = ("langgraph", "chromadb", "sqlalchemy", "fastapi", "llama-cpp-python", "celery", "limits")


def admin(request: Request, key: Annotated[str | None, Security(admin_key_header)] = None) -> None:
    if problem := admin_refusal(request.app.state.settings.admin_key, key):
        raise problem


def ledger(request: Request) -> Ledger:
    return ledger_for(request.app.state.settings.db_url)


Jobs = Annotated[Ledger, Depends(ledger)]
operations = APIRouter(dependencies=[Depends(guard), Depends(admin)])


async def _job(jobs: Ledger, job_id: str, who: Who) -> JobView:
    return await asyncio.to_thread(jobs.get, job_id, who)


@operations.post("/training/jobs", response_model=JobView, status_code=202, tags=["training"],
                 operation_id="start_training_job", dependencies=JSON_BODY, responses=errors(*BODY, 403))
async def start_training_job(request: Request, who: Who, body: Annotated[TrainingJob, Body()]) -> JobView:
    """학습 작업 시작: dataset (데이터셋 만들기), train (LoRA 학습 + GGUF 내보내기 + 등록), evaluate (어댑터 평가).

    dataset 작업의 sessions=true 는 모든 키의 좋아요 받은 대화를 학습 자료로 씁니다 (README, 테넌트)."""
    return await asyncio.to_thread(submit, request.app.state.settings, body, who)


@operations.get("/training/jobs/{job_id}", response_model=JobView, tags=["training"], operation_id="get_job",
                responses=errors(403, 404, 422))
async def get_job(jobs: Jobs, who: Who, job_id: JobId) -> JobView:
    """작업 상태, 진행률, 지금까지의 지표, 로그 끝부분."""
    return await _job(jobs, job_id, who)


@operations.post("/training/jobs/{job_id}/cancel", response_model=JobView, tags=["training"],
                 operation_id="cancel_job", responses=errors(403, 404, 409, 422))
async def cancel_job(jobs: Jobs, who: Who, job_id: JobId) -> JobView:
    """대기 중인 작업은 바로, 실행 중인 작업은 다음 진행 보고 때 멈춥니다."""
    job = await _job(jobs, job_id, who)
    if job.state in FINISHED:
        raise ApiError(409, "job_finished", f"작업 {job_id}은(는) 이미 끝났어요 ({job.state.value}).")
    return await asyncio.to_thread(jobs.cancel, job_id, who)


@operations.get("/training/models", response_model=list[ModelView], tags=["training"], operation_id="list_models",
                responses=errors(403))
async def list_models(jobs: Jobs) -> list[ModelView]:
    """등록된 어댑터와 평가 지표."""
    return await asyncio.to_thread(jobs.models)


@operations.post("/admin/models/{model_id}/activate", response_model=ModelView, tags=["admin"],
                 operation_id="activate_model", responses=errors(403, 404, 409, 422))
async def activate_model(request: Request, jobs: Jobs, model_id: ModelId) -> ModelView:
    """평가 점수가 하한(HYANGGI_ACTIVATION_MIN_SCORE) 이상이고, 같은 평가에서 잰 제공 중이던 어댑터보다
    낮지 않은 어댑터를 제공 중인 어댑터로 바꿉니다.

    이 워커는 바로, 다른 워커는 다음 확인 때 (jobs.adapters.ADAPTER_CHECK_S) 바꿉니다."""
    settings = request.app.state.settings
    try:
        model = await asyncio.to_thread(jobs.activate, model_id, settings.activation_min_score)
    except GateError as exc:
        raise ApiError(409, "below_gate", str(exc)) from None
    await serve_adapter(request.app.state.provider(), FilePath(model.adapter_path))
    return model


@operations.post("/admin/reindex", response_model=JobView, status_code=202, tags=["admin"], operation_id="reindex",
                 responses=errors(403, 422))
async def reindex(request: Request, who: Who, force: Annotated[bool, Query()] = True) -> JobView:
    """검색 색인을 다시 만드는 작업을 시작합니다 (Chroma 서버 또는 내장 폴더)."""
    return await asyncio.to_thread(submit, request.app.state.settings, ReindexParams(force=force), who)


@operations.get("/admin/status", response_model=StatusResponse, tags=["admin"], operation_id="status",
                responses=errors(403))
async def status(request: Request, jobs: Jobs) -> StatusResponse:
    """버전, 모델, 색인 크기, 작업 대기열, 데이터베이스."""
    settings = request.app.state.settings
    counts, active, turns, index = await asyncio.gather(
        asyncio.to_thread(jobs.counts), asyncio.to_thread(jobs.active_model), _turns(request),
        asyncio.to_thread(_index_status, settings))
    return StatusResponse(
        version=importlib.metadata.version("hyanggi"),
        versions={name: importlib.metadata.version(name) for name in LIBRARIES},
        model={"backend": settings.generator_backend.value, "base": settings.base_gguf_path.name,
               "adapter": active.adapter_path if active else str(settings.adapter_gguf_path),
               "adapter_id": active.id if active else None},
        index=index, jobs=counts, job_runner="celery" if settings.broker_url else "thread",
        database={"backend": "postgresql" if settings.uses_postgres else "sqlite", "turns": turns},
        rate_limits="redis" if settings.redis_url else "process")


async def _turns(request: Request) -> int | None:
    """Turns in the store (None while the service is loading)."""
    svc = request.app.state.provider()
    if svc is None:
        return None
    async with svc.store.engine.connect() as connection:
        return (await connection.execute(select(func.count()).select_from(m.Turn))).scalar_one()


def _index_status(settings: Any) -> IndexStatus:
    from knowledge.index import IndexNotReadyError, read_manifest, require_current_index
    from knowledge.kb import load_knowledge_base

    manifest = read_manifest(settings)
    try:
        require_current_index(settings, load_knowledge_base())
        current = True
    except IndexNotReadyError:
        current = False
    return IndexStatus(location=settings.index_location, counts=manifest.counts if manifest else {}, current=current)

