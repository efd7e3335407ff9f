"""`hyanggi bench scale`: the scale-out stack on one machine, on loopback, for a fixed time.

PostgreSQL, Redis and a Chroma server start as throw-away servers; one `hyanggi worker` builds the search
index on the Chroma server as a job; two `hyanggi chat` web workers share all three. Concurrent chat
sessions (one API key each) send mixed turns — a brief, then edits and questions — each turn to the other
worker than the one before, so every session continues on a worker that did not start it. A greedy client
polls both workers to show one shared rate limit. The report gives turn latency, errors, 429s, whether
every acknowledged turn is in PostgreSQL, and whether each cross-worker edit continued the same formula.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from pathlib import Path
from statistics import quantiles

import httpx
from pydantic import BaseModel, Field

from hyanggi.settings import Settings
from ops.servers import chroma_server, free_port, hyanggi_process, postgres_server, redis_server, wait_healthy

FOLLOW_UPS = ["더 우디하게 해 줘", "헤디온은 어떤 향이야?", "좀 더 가볍고 상큼하게", "잔향을 조금 더 길게 해 줘"]
INDEX_TIMEOUT_S = 600.0
REQUEST_TIMEOUT_S = 180.0
GREEDY_INTERVAL_S = 0.2


class ScaleConfig(BaseModel):
    workers: int = Field(default=2, ge=2, le=8)
    sessions: int = Field(default=10, ge=1, le=100)
    duration_s: float = Field(default=60.0, gt=0, le=3600)
    rate_per_minute: int = Field(default=60, ge=1, description="per API key, shared by every worker")


class Sample(BaseModel):
    session: int
    worker: int
    kind: str  # brief | follow_up | poll
    status: int
    seconds: float
    turn_id: int | None = None
    intent: str = ""
    recipe_id: str | None = None
    version: int | None = None


class ScaleReport(BaseModel):
    config: ScaleConfig
    turns: int = Field(description="chat turns answered 200")
    turn_p50_s: float
    turn_p95_s: float
    turns_per_minute: float
    busy_503: int
    errors: int = Field(description="chat turns answered with anything but 200, 429 or 503 (or not at all)")
    chat_429: int
    greedy_allowed: int
    greedy_429: int
    greedy_budget: int = Field(description="most the greedy key may get in the run: rate × started minutes")
    acknowledged_in_postgres: str = Field(description="acknowledged turn ids found in PostgreSQL / acknowledged")
    cross_worker_edits: str = Field(description="edits on the other worker that continued the same formula / all")
    index_job_s: float
    workers_ready_s: float

    def markdown(self) -> str:
        c = self.config
        return "\n".join([
            f"| {c.workers} web workers · {c.sessions} sessions · {c.duration_s:.0f} s | |", "|---|---:|",
            f"| turns answered (200) | {self.turns} ({self.turns_per_minute:.1f}/min) |",
            f"| turn latency p50 / p95 | {self.turn_p50_s:.2f} s / {self.turn_p95_s:.2f} s |",
            f"| busy (503) / errors / 429 on chat | {self.busy_503} / {self.errors} / {self.chat_429} |",
            f"| greedy key: allowed / 429 (budget {self.greedy_budget}) | {self.greedy_allowed} / {self.greedy_429} |",
            f"| acknowledged turns in PostgreSQL | {self.acknowledged_in_postgres} |",
            f"| cross-worker edits continuing the formula | {self.cross_worker_edits} |",
            f"| index build as a job (Chroma server) | {self.index_job_s:.1f} s |",
            f"| web workers ready | {self.workers_ready_s:.1f} s |"])


def _keys(n: int) -> list[str]:
    return [f"scale-bench-{i}" for i in range(n)]


async def _session(n: int, urls: list[str], key: str, until: float, samples: list[Sample]) -> None:
    from eval.bench import CHAT_MESSAGES

    session_id: str | None = None
    turn = 0
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, headers={"X-API-Key": key}) as client:
        while time.monotonic() < until:
            worker = (n + turn) % len(urls)
            message = CHAT_MESSAGES[n % len(CHAT_MESSAGES)] if turn == 0 else FOLLOW_UPS[(turn - 1) % len(FOLLOW_UPS)]
            body = {"message": message, **({"session_id": session_id} if session_id else {})}
            started = time.monotonic()
            try:
                response = await client.post(f"{urls[worker]}/api/v1/chat", json=body)
                status, data = response.status_code, response.json()
            except (httpx.HTTPError, ValueError):
                status, data = 0, {}
            sample = Sample(session=n, worker=worker, kind="brief" if turn == 0 else "follow_up", status=status,
                            seconds=time.monotonic() - started)
            if status == 200:
                session_id = data["session"]
                recipe = data.get("recipe") or {}
                sample = sample.model_copy(update={"turn_id": data.get("turn_id"), "intent": data["intent"],
                                                   "recipe_id": recipe.get("id"), "version": recipe.get("version")})
                turn += 1
            elif status in (429, 503):  # rate-limited or the worker's queue is full: back off as told
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            samples.append(sample)


async def _greedy(urls: list[str], key: str, until: float, samples: list[Sample]) -> None:
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S, headers={"X-API-Key": key}) as client:
        n = 0
        while time.monotonic() < until:
            worker = n % len(urls)
            started = time.monotonic()
            response = await client.get(f"{urls[worker]}/api/v1/sessions", params={"limit": 1})
            samples.append(Sample(session=-1, worker=worker, kind="poll", status=response.status_code,
                                  seconds=time.monotonic() - started))
            n += 1
            await asyncio.sleep(GREEDY_INTERVAL_S)


async def _drive(urls: list[str], config: ScaleConfig) -> list[Sample]:
    samples: list[Sample] = []
    keys = _keys(config.sessions + 1)
    until = time.monotonic() + config.duration_s
    await asyncio.gather(*(_session(n, urls, keys[n], until, samples) for n in range(config.sessions)),
                         _greedy(urls, keys[-1], until, samples))
    return samples


def _stored_turn_ids(url: str, ids: list[int]) -> set[int]:
    from sqlalchemy import select

    from store import models as m
    from store.engine import make_sync_engine

    engine = make_sync_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(select(m.Turn.id).where(m.Turn.id.in_(ids))))
    finally:
        engine.dispose()


def _cross_worker_edits(samples: list[Sample]) -> tuple[int, int]:
    """(continued, checked): edits answered by another worker than the session's previous turn. Continued =
    the same formula at the same or the next version (an edit that changes nothing keeps the version); a
    worker that lost the thread would answer with a new formula."""
    continued = checked = 0
    turns = sorted((s for s in samples if s.status == 200 and s.kind != "poll"), key=lambda s: (s.session, s.turn_id))
    for before, after in zip(turns, turns[1:], strict=False):
        if before.session != after.session or before.worker == after.worker or after.intent != "edit":
            continue
        if before.recipe_id is None:
            continue
        checked += 1
        continued += after.recipe_id == before.recipe_id and after.version in (before.version, before.version + 1)
    return continued, checked


def _percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return quantiles(values, n=100, method="inclusive")[q - 1]


def run_scale_bench(settings: Settings, config: ScaleConfig, work: Path) -> ScaleReport:
    """Start the stack, drive it, check PostgreSQL, stop everything (the servers' folders are removed)."""
    from jobs.ledger import Ledger
    from jobs.records import JobState, ReindexParams
    from jobs.runner import submit
    from store import Store

    work.mkdir(parents=True, exist_ok=True)
    with postgres_server() as postgres, redis_server() as redis_url, chroma_server() as chroma_url:
        database = postgres.new_database()
        env = {"HYANGGI_DATA_DIR": str(settings.data_dir), "HYANGGI_DATABASE_URL": database,
               "HYANGGI_REDIS_URL": redis_url, "HYANGGI_BROKER_URL": redis_url, "HYANGGI_CHROMA_URL": chroma_url,
               "HYANGGI_RATE_LIMIT_PER_MINUTE": str(config.rate_per_minute),
               "HYANGGI_API_KEYS": json.dumps([hashlib.sha256(k.encode()).hexdigest()
                                               for k in _keys(config.sessions + 1)])}
        stack = settings.model_copy(update={"database_url": database, "broker_url": redis_url,
                                            "chroma_url": chroma_url, "redis_url": redis_url})
        asyncio.run(_migrate(Store, database))
        with hyanggi_process(["worker"], env, work / "worker.log"):
            started = time.monotonic()
            job = submit(stack, ReindexParams(force=True))
            ledger = Ledger(database)
            while (state := ledger.get(job.id).state) in (JobState.queued, JobState.running):
                if time.monotonic() - started > INDEX_TIMEOUT_S:
                    raise TimeoutError("the index job did not finish")
                time.sleep(1)
            if state != JobState.succeeded:
                raise RuntimeError(f"index job {state}: {ledger.get(job.id).error}")
            index_s = time.monotonic() - started
            ports = [free_port() for _ in range(config.workers)]
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            with contextlib.ExitStack() as workers:
                for i, port in enumerate(ports):
                    workers.enter_context(hyanggi_process(["chat", "--port", str(port)], env, work / f"web{i}.log"))
                started = time.monotonic()
                asyncio.run(wait_healthy(urls))
                ready_s = time.monotonic() - started
                samples = asyncio.run(_drive(urls, config))
        acknowledged = [s.turn_id for s in samples if s.status == 200 and s.turn_id is not None]
        stored = _stored_turn_ids(database, acknowledged)
    (work / "samples.jsonl").write_text("".join(s.model_dump_json() + "\n" for s in samples), encoding="utf-8")
    return _report(config, samples, acknowledged, stored, index_s, ready_s)


async def _migrate(store_cls: type, url: str) -> None:
    await (await store_cls.open(url)).close()


def _report(config: ScaleConfig, samples: list[Sample], acknowledged: list[int], stored: set[int],
            index_s: float, ready_s: float) -> ScaleReport:
    chat = [s for s in samples if s.kind != "poll"]
    ok = [s.seconds for s in chat if s.status == 200]
    polls = [s for s in samples if s.kind == "poll"]
    continued, checked = _cross_worker_edits(samples)
    minutes = -(-config.duration_s // 60)
    return ScaleReport(
        config=config, turns=len(ok), turn_p50_s=round(_percentile(ok, 50), 2),
        turn_p95_s=round(_percentile(ok, 95), 2), turns_per_minute=round(len(ok) / config.duration_s * 60, 1),
        busy_503=sum(s.status == 503 for s in chat), errors=sum(s.status not in (200, 429, 503) for s in chat),
        chat_429=sum(s.status == 429 for s in chat), greedy_allowed=sum(s.status == 200 for s in polls),
        greedy_429=sum(s.status == 429 for s in polls), greedy_budget=int(config.rate_per_minute * minutes),
        acknowledged_in_postgres=f"{len(stored & set(acknowledged))}/{len(acknowledged)}",
        cross_worker_edits=f"{continued}/{checked}", index_job_s=round(index_s, 1), workers_ready_s=round(ready_s, 1))
