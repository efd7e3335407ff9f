"""What crosses the job system's boundary: kinds, states, each kind's parameters, and the read-out views."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError


class JobKind(StrEnum):
    reindex = "reindex"
    dataset = "dataset"
    train = "train"
    evaluate = "evaluate"


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


FINISHED = frozenset({JobState.succeeded, JobState.failed, JobState.cancelled})


class TrainStart(StrEnum):
    """Where a fine-tune starts: from the adapter serving now (retraining: the weights users liked go on
    learning) or from the bare base model (a new adapter, as `make finetune` trains the shipped one)."""

    serving = "serving"
    base = "base"


def exact_booleans(model: type[BaseModel], data: Any) -> Any:
    """JSON's ``true``/``false`` only where a model wants a boolean, and only there: JSON Schema calls the rest
    invalid, while pydantic would read ``true`` as 1 and ``0`` as false. For a ``model_validator(mode="before")``
    of a request model."""
    if isinstance(data, dict):
        for name, value in data.items():
            field = model.model_fields.get(name)
            if field is not None and isinstance(value, bool) != (field.annotation is bool):
                raise PydanticCustomError("bool_type" if field.annotation is bool else "int_type",
                                          "{name}: true/false only for a yes/no field", {"name": name})
    return data


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_numbers(cls, data: Any) -> Any:
        return exact_booleans(cls, data)


class ReindexParams(_Params):
    kind: Literal[JobKind.reindex] = JobKind.reindex
    force: bool = Field(default=True, description="다시 만들기 (false: 데이터와 임베더가 같으면 건너뜀)")


class DatasetParams(_Params):
    kind: Literal[JobKind.dataset] = JobKind.dataset
    briefs: int = Field(default=600, ge=1, le=20_000, description="어휘집에서 만들 합성 요청 수")
    threshold: float = Field(default=0.8, ge=0, le=1, description="처방 타깃으로 쓸 최소 비평 점수")
    dev_share: float = Field(default=0.1, gt=0, lt=1)
    seed: int = Field(default=42, ge=0, le=2**31 - 1)
    sessions: bool = Field(default=True, description="좋아요 받은 대화 기록도 사용")
    rft_briefs: int = Field(default=0, ge=0, le=5_000, description="모델 자신의 더 나은 제안을 찾을 요청 수 (RFT)")
    rft_samples: int = Field(default=4, ge=1, le=16, description="요청마다 모델이 낼 제안 수 (RFT)")


class TrainParams(_Params):
    """A fine-tune: the dataset (default the newest) and the settings `hyanggi finetune train` takes."""

    kind: Literal[JobKind.train] = JobKind.train
    dataset_id: int | None = Field(default=None, ge=1, le=2**53 - 1, description="없으면 가장 최근 데이터셋")
    steps: int | None = Field(default=None, ge=1, le=100_000)
    batch_size: int | None = Field(default=None, ge=1, le=256)
    max_len: int | None = Field(default=None, ge=32, le=8192)
    lr: float | None = Field(default=None, gt=0, le=1)
    rank: int | None = Field(default=None, ge=1, le=256)
    eval_every: int | None = Field(default=None, ge=1, le=100_000)
    dev_batches: int | None = Field(default=None, ge=1, le=1000)
    seed: int = Field(default=42, ge=0, le=2**31 - 1)
    start: TrainStart = Field(default=TrainStart.serving,
                              description="serving: 제공 중인 어댑터에서 이어 학습 / base: 기반 모델에서 새로")


class EvaluateParams(_Params):
    """The generator evaluation (`hyanggi eval generator`) of one registered adapter and, on the same briefs in
    the same run, of the adapter serving now: the gate compares the two (``Ledger.activate``)."""

    kind: Literal[JobKind.evaluate] = JobKind.evaluate
    model_id: int = Field(ge=1, le=2**53 - 1)
    limit: int = Field(default=10, ge=1, le=1000, description="앞에서부터 이 수의 dev 요청")
    n: int = Field(default=1, ge=1, le=5, description="요청마다 제안 수")


JobParams = Annotated[ReindexParams | DatasetParams | TrainParams | EvaluateParams, Field(discriminator="kind")]


class JobView(BaseModel):
    id: str
    kind: JobKind
    owner: str = Field(description="작업을 시작한 주체 (API 키의 이름 또는 해시, 명령으로 시작하면 system)")
    state: JobState
    params: dict[str, Any]
    progress: float = Field(description="0 … 1")
    metrics: dict[str, Any]
    log_tail: list[str]
    result: dict[str, Any]
    error: str
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None = Field(description="실행 중인 작업의 마지막 신호; 오래되면 워커를 잃은 것으로 봐요")


class ModelView(BaseModel):
    """A registered adapter and its figures."""

    id: int
    name: str
    base: str
    adapter_path: str
    data_sha256: str
    steps: int
    metrics: dict[str, Any]
    evaluation: dict[str, Any]
    active: bool
    dataset_id: int | None
    job_id: str | None
    created_at: datetime
