"""`hyanggi finetune loop`: the retraining loop once, end to end, through the REST API of a real web worker.

A `hyanggi chat` worker starts on loopback with its own SQLite store (the configured data folder, models and
index otherwise). A customer key sends briefs to `/api/v1/chat` and likes each answered formula
(`/api/v1/feedback`); an admin key then runs the jobs an operator would: a dataset (the liked turns plus
lexicon briefs), a fine-tune on from the serving adapter, an evaluation of the new adapter beside the serving
one on the same dev briefs, and the activation, which the gate grants or refuses. The report holds every
stage's figures and seconds, and which adapter serves before and after.

The customer briefs are not dev briefs: the evaluation's held-out set stays held out.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, Field

from hyanggi.settings import Settings
from jobs.records import FINISHED, JobState
from ops.servers import free_port, hyanggi_process, wait_healthy

CUSTOMER_BRIEFS = [
    "비 오는 날 창가 카페에서 마시는 따뜻한 커피 같은 향수 만들어 줘",
    "여름 바닷가에서 뿌릴 상큼하고 시원한 시트러스 향을 원해",
    "첫눈 오는 날 어울리는 포근한 머스크 향수 추천해 줘",
    "봄 벚꽃길을 걷는 느낌의 가벼운 플로럴 향수 만들어 줘",
    "오래된 서재의 가죽 소파와 나무 냄새가 나는 향을 원해",
    "막 깎은 풀밭처럼 싱그러운 그린 향, 너무 달지 않게",
    "장미 정원을 산책하는 듯한 우아한 로즈 향수",
    "숲속 오두막의 장작 냄새 같은 스모키한 우디 향",
    "따뜻한 바닐라와 앰버가 감싸는 겨울 저녁 향",
    "출근할 때 뿌릴 깨끗한 비누 향 같은 가벼운 향수",
    "지중해 허브 정원 같은 라벤더와 로즈메리 향",
    "은은한 재스민과 화이트 머스크의 밤 향수",
]
JOB_TIMEOUT_S = 3 * 3600.0
POLL_S = 2.0
REQUEST_TIMEOUT_S = 300.0


class LoopConfig(BaseModel):
    likes: int = Field(default=12, ge=1, le=len(CUSTOMER_BRIEFS), description="customer briefs sent and liked")
    briefs: int = Field(default=150, ge=1, description="lexicon briefs in the dataset beside the liked turns")
    steps: int = Field(default=120, ge=1, description="fine-tune steps on from the serving adapter")
    limit: int = Field(default=20, ge=1, description="dev briefs the evaluation scores both adapters on")


class Stage(BaseModel):
    name: str
    state: str
    seconds: float
    result: dict[str, Any] = Field(default_factory=dict)
    error: str = ""


class LoopReport(BaseModel):
    config: LoopConfig
    turns: int = Field(description="customer turns answered with a formula")
    liked: int
    stages: list[Stage]
    activation: dict[str, Any] = Field(description="HTTP status and body of the activate call")
    serving_before: str
    serving_after: str

    def markdown(self) -> str:
        lines = [f"- customer turns answered with a formula: {self.turns}, liked: {self.liked}"]
        for stage in self.stages:
            lines.append(f"- {stage.name}: {stage.state} in {stage.seconds:.0f} s"
                         + (f" — {stage.error}" if stage.error else ""))
        status = self.activation["status"]
        lines += [f"- activate: HTTP {status}" if status is not None else "- activate: not reached (a job failed)",
                  f"- serving before: {self.serving_before}", f"- serving after: {self.serving_after}"]
        return "\n".join(lines)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def like_turns(client: httpx.AsyncClient, url: str, briefs: list[str]) -> tuple[int, int]:
    """Each brief in its own session; every turn that came back with a formula gets a thumbs-up."""
    answered = liked = 0
    for brief in briefs:
        response = await client.post(f"{url}/api/v1/chat", json={"message": brief})
        response.raise_for_status()
        turn = response.json()
        if turn.get("recipe") and turn.get("turn_id") is not None:
            answered += 1
            feedback = await client.post(f"{url}/api/v1/feedback", json={"turn_id": turn["turn_id"], "rating": 1})
            liked += feedback.status_code == 200
    return answered, liked


async def run_job(client: httpx.AsyncClient, url: str, name: str, body: dict[str, Any],
                  timeout_s: float = JOB_TIMEOUT_S) -> Stage:
    """Start a job and poll it until it finishes."""
    started = time.monotonic()
    response = await client.post(f"{url}/api/v1/training/jobs", json=body)
    response.raise_for_status()
    job = response.json()
    while job["state"] not in FINISHED:
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"{name} job {job['id']} did not finish in {timeout_s:.0f} s")
        await asyncio.sleep(POLL_S)
        job = (await client.get(f"{url}/api/v1/training/jobs/{job['id']}")).raise_for_status().json()
    return Stage(name=name, state=job["state"], seconds=round(time.monotonic() - started, 1),
                 result=job.get("result") or {}, error=job.get("error") or "")


async def serving_adapter(client: httpx.AsyncClient, url: str) -> str:
    status = (await client.get(f"{url}/api/v1/admin/status")).raise_for_status().json()
    return status["model"]["adapter"]


async def drive(url: str, customer: dict[str, str], admin: dict[str, str], config: LoopConfig,
                transport: httpx.AsyncBaseTransport | None = None) -> LoopReport:
    """Likes, then dataset → train → evaluate → activate; a failed job ends the loop there (its stage says why)."""
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, headers=customer, transport=transport) as client:
        turns, liked = await like_turns(client, url, CUSTOMER_BRIEFS[:config.likes])
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, headers=admin, transport=transport) as client:
        before = await serving_adapter(client, url)
        stages = [await run_job(client, url, "dataset", {"kind": "dataset", "briefs": config.briefs})]
        activation: dict[str, Any] = {"status": None, "body": "not reached"}
        if stages[-1].state == JobState.succeeded:
            stages.append(await run_job(client, url, "train", {
                "kind": "train", "dataset_id": stages[-1].result["dataset_id"], "steps": config.steps}))
        if stages[-1].name == "train" and stages[-1].state == JobState.succeeded:
            model_id = stages[-1].result["model_id"]
            stages.append(await run_job(client, url, "evaluate",
                                        {"kind": "evaluate", "model_id": model_id, "limit": config.limit}))
            if stages[-1].state == JobState.succeeded:
                response = await client.post(f"{url}/api/v1/admin/models/{model_id}/activate")
                activation = {"status": response.status_code, "body": response.json()}
        after = await serving_adapter(client, url)
    return LoopReport(config=config, turns=turns, liked=liked, stages=stages, activation=activation,
                      serving_before=before, serving_after=after)


def run_retrain_loop(settings: Settings, config: LoopConfig, work: Path) -> LoopReport:
    """Start a web worker on its own store in ``work``, drive the loop through it, stop it."""
    work.mkdir(parents=True, exist_ok=True)
    customer_key, admin_client_key, admin_key = (secrets.token_hex(16) for _ in range(3))
    port = free_port()
    env = {"HYANGGI_DATA_DIR": str(settings.data_dir),
           "HYANGGI_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'loop.db'}",
           "HYANGGI_API_KEYS": json.dumps([f"customer:{digest(customer_key)}", f"operator:{digest(admin_client_key)}"]),
           "HYANGGI_ADMIN_KEY": digest(admin_key), "HYANGGI_RATE_LIMIT_PER_MINUTE": "600"}
    url = f"http://127.0.0.1:{port}"
    with hyanggi_process(["chat", "--port", str(port)], env, work / "web.log"):
        asyncio.run(wait_healthy([url]))
        return asyncio.run(drive(url, {"X-API-Key": customer_key},
                                 {"X-API-Key": admin_client_key, "X-Admin-Key": admin_key}, config))
