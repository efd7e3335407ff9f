"""The job table and the dataset/adapter registry, through a synchronous engine on the store's database.

Synchronous because jobs run in threads and in Celery worker processes, outside any event loop; the API
calls it through ``asyncio.to_thread``.

A running job carries a heartbeat (its worker beats every ``HEARTBEAT_S``, and each progress report counts).
A worker that dies mid-job stops beating; once the beat is ``LOST_AFTER_S`` old, the next read of the job
table records the job ``failed`` ("worker lost"), so no job stays ``running`` forever.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from jobs.records import FINISHED, JobKind, JobState, JobView, ModelView
from store import NotFoundError
from store import models as m
from store.engine import make_sync_engine
from store.principals import SYSTEM, Principal

LOG_LINES = 50  # the log keeps only its newest lines
HEARTBEAT_S = 15.0
LOST_AFTER_S = 120.0  # eight missed beats: a busy database or a long pause is not a death
LOST_KO = "작업을 실행하던 워커가 응답하지 않아요 (worker lost). 작업을 다시 시작하세요."


class GateError(ValueError):
    """An adapter may not serve: no evaluation yet, a score below the floor, or below the adapter that served
    when it was evaluated (message in Korean)."""


class Ledger:
    def __init__(self, url: str, lost_after_s: float = LOST_AFTER_S) -> None:
        self._sessions = sessionmaker(make_sync_engine(url), expire_on_commit=False)
        self._lost_after = timedelta(seconds=lost_after_s)

    # --- jobs ----------------------------------------------------------------------------
    def create(self, kind: JobKind, params: dict[str, Any], owner: Principal = SYSTEM) -> JobView:
        """A queued job of ``owner`` (the system's when started by a command rather than a request)."""
        job = m.Job(id=uuid.uuid4().hex, kind=kind.value, state=JobState.queued.value, params=params, progress=0.0,
                    metrics={}, log="", result={}, error="", cancel_requested=False, owner=owner.id)
        with self._sessions.begin() as db:
            db.add(job)
        return _job_view(job)

    def get(self, job_id: str, principal: Principal = SYSTEM) -> JobView:
        """The job as ``principal`` may see it (``NotFoundError`` for another's); workers read as the system."""
        self.reap_lost()
        with self._sessions() as db:
            return _job_view(self._job(db, job_id, principal))

    def start(self, job_id: str) -> bool:
        """Mark a queued job running; False when it was cancelled (or taken by another worker) meanwhile."""
        now = m.utcnow()
        with self._sessions.begin() as db:
            taken = db.execute(update(m.Job).where(m.Job.id == job_id, m.Job.state == JobState.queued.value)
                               .values(state=JobState.running.value, started_at=now, heartbeat_at=now))
            return taken.rowcount == 1

    def beat(self, job_id: str) -> None:
        """The running job's worker is alive."""
        with self._sessions.begin() as db:
            db.execute(update(m.Job).where(m.Job.id == job_id, m.Job.state == JobState.running.value)
                       .values(heartbeat_at=m.utcnow()))

    def reap_lost(self) -> int:
        """Record every running job whose heartbeat is too old as failed (its worker died); how many."""
        now = m.utcnow()
        with self._sessions.begin() as db:
            lost = db.execute(
                update(m.Job)
                .where(m.Job.state == JobState.running.value,
                       func.coalesce(m.Job.heartbeat_at, m.Job.started_at) < now - self._lost_after)
                .values(state=JobState.failed.value, error=LOST_KO, finished_at=now))
            return lost.rowcount

    def report(self, job_id: str, progress: float | None = None, line: str | None = None,
               metrics: dict[str, Any] | None = None) -> bool:
        """Record how far a running job got (a heartbeat too); returns whether the job should stop: someone
        asked to cancel it, or it was declared lost meanwhile."""
        with self._sessions.begin() as db:
            job = self._job(db, job_id)
            job.heartbeat_at = m.utcnow()
            if progress is not None:
                job.progress = max(0.0, min(1.0, progress))
            if line:
                job.log = "\n".join([*job.log.splitlines(), line][-LOG_LINES:])
            if metrics:
                job.metrics = {**job.metrics, **metrics}
            return job.cancel_requested or job.state != JobState.running.value

    def finish(self, job_id: str, state: JobState, result: dict[str, Any] | None = None,
               error: str = "") -> JobState:
        """End a running job; a job already declared lost keeps that verdict. Returns the recorded state."""
        with self._sessions.begin() as db:
            job = self._job(db, job_id)
            if job.state != JobState.running.value:
                return JobState(job.state)
            job.state, job.result, job.error, job.finished_at = state.value, result or {}, error, m.utcnow()
            if state == JobState.succeeded:
                job.progress = 1.0
            return state

    def cancel(self, job_id: str, principal: Principal = SYSTEM) -> JobView:
        """A queued job is cancelled at once; a running one stops at its next progress report."""
        self.reap_lost()
        with self._sessions.begin() as db:
            job = self._job(db, job_id, principal)
            if job.state == JobState.queued.value:
                job.state, job.finished_at = JobState.cancelled.value, m.utcnow()
            elif job.state == JobState.running.value:
                job.cancel_requested = True
            return _job_view(job)

    def counts(self) -> dict[str, int]:
        """Jobs per state (the queue depth is ``queued``)."""
        self.reap_lost()
        with self._sessions() as db:
            rows = db.execute(select(m.Job.state, func.count()).group_by(m.Job.state))
            found = dict(rows.tuples().all())
        return {state.value: found.get(state.value, 0) for state in JobState}

    @staticmethod
    def _job(db: Session, job_id: str, principal: Principal = SYSTEM) -> m.Job:
        job = db.get(m.Job, job_id)
        if job is None or not principal.sees(job.owner):
            raise NotFoundError("job", job_id)
        return job

    # --- datasets ------------------------------------------------------------------------
    def add_dataset(self, name: str, path: str, sha256: str, n_train: int, n_dev: int,
                    sources: dict[str, Any]) -> int:
        """Register a built dataset; the same content built again keeps its first entry."""
        with self._sessions.begin() as db:
            found = db.scalar(select(m.TrainingDataset).where(m.TrainingDataset.sha256 == sha256))
            if found is not None:
                return found.id
            dataset = m.TrainingDataset(name=name, path=path, sha256=sha256, n_train=n_train, n_dev=n_dev,
                                        sources=sources)
            db.add(dataset)
            db.flush()
            return dataset.id

    def dataset_path(self, dataset_id: int | None) -> tuple[int, str]:
        """(id, folder) of the given dataset, or of the newest when None."""
        with self._sessions() as db:
            query = select(m.TrainingDataset)
            query = query.where(m.TrainingDataset.id == dataset_id) if dataset_id else \
                query.order_by(m.TrainingDataset.id.desc())
            found = db.scalars(query.limit(1)).first()
            if found is None:
                raise NotFoundError("dataset", f"{dataset_id or 'latest'}")
            return found.id, found.path

    # --- adapters ------------------------------------------------------------------------
    def add_model(self, **fields: Any) -> int:
        with self._sessions.begin() as db:
            model = m.ModelCheckpoint(**fields, evaluation={}, active=False)
            db.add(model)
            db.flush()
            return model.id

    def model(self, model_id: int) -> ModelView:
        with self._sessions() as db:
            return _model_view(self._model(db, model_id))

    def models(self) -> list[ModelView]:
        with self._sessions() as db:
            return [_model_view(r) for r in db.scalars(select(m.ModelCheckpoint).order_by(m.ModelCheckpoint.id))]

    def set_evaluation(self, model_id: int, evaluation: dict[str, Any]) -> None:
        with self._sessions.begin() as db:
            self._model(db, model_id).evaluation = evaluation

    def activate(self, model_id: int, min_score: float) -> ModelView:
        """Make the adapter the serving one if its evaluation passes the gate (``GateError`` otherwise).

        The gate is relative first: the evaluate job scored the adapter that served then (``baseline``) on the
        same briefs in the same run, and a retrained adapter may not serve when it scores below it. The
        absolute ``min_score`` is a floor under that, for an evaluation without a baseline."""
        with self._sessions.begin() as db:
            model = self._model(db, model_id)
            score = model.evaluation.get("score")
            if score is None:
                raise GateError(f"어댑터 {model_id}는 아직 평가되지 않았어요. 먼저 evaluate 작업을 실행하세요.")
            if score < min_score:
                raise GateError(f"어댑터 {model_id}의 평가 점수 {score:.2f}가 기준 {min_score:.2f}보다 낮아요.")
            baseline = model.evaluation.get("baseline") or {}
            if baseline.get("score") is not None and score < baseline["score"]:
                raise GateError(f"어댑터 {model_id}의 평가 점수 {score:.3f}가 같은 요청 {model.evaluation.get('n_briefs')}"
                                f"개로 잰 제공 중이던 어댑터의 {baseline['score']:.3f}보다 낮아요 ({baseline['adapter']}).")
            db.execute(update(m.ModelCheckpoint).values(active=False))
            model.active = True
            return _model_view(model)

    def active_model(self) -> ModelView | None:
        with self._sessions() as db:
            found = db.scalar(select(m.ModelCheckpoint).where(m.ModelCheckpoint.active))
            return _model_view(found) if found else None

    def serving_adapter(self, shipped: Path) -> Path:
        """The GGUF adapter that serves: the active one, else ``shipped`` (``settings.adapter_gguf_path``)."""
        active = self.active_model()
        return Path(active.adapter_path) if active else shipped

    @staticmethod
    def _model(db: Session, model_id: int) -> m.ModelCheckpoint:
        model = db.get(m.ModelCheckpoint, model_id)
        if model is None:
            raise NotFoundError("model", model_id)
        return model


@lru_cache(maxsize=8)
def ledger_for(url: str) -> Ledger:
    """One ledger (one connection pool) per database per process."""
    return Ledger(url)


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back the UTC times we wrote without their zone; the API states them with it (RFC 3339)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _job_view(job: m.Job) -> JobView:
    return JobView(id=job.id, kind=JobKind(job.kind), owner=job.owner, state=JobState(job.state), params=job.params,
                   progress=job.progress, metrics=job.metrics, log_tail=job.log.splitlines(), result=job.result,
                   error=job.error, cancel_requested=job.cancel_requested and JobState(job.state) not in FINISHED,
                   created_at=_utc(job.created_at), started_at=_utc(job.started_at),
                   finished_at=_utc(job.finished_at), heartbeat_at=_utc(job.heartbeat_at))


def _model_view(model: m.ModelCheckpoint) -> ModelView:
    return ModelView(id=model.id, name=model.name, base=model.base, adapter_path=model.adapter_path,
                     data_sha256=model.data_sha256, steps=model.steps, metrics=model.metrics,
                     evaluation=model.evaluation, active=model.active, dataset_id=model.dataset_id,
                     job_id=model.job_id, created_at=_utc(model.created_at))
