"""Benchmarks behind the README's figures: retrieval latency, generator throughput, full chat turns, memory.

Every figure is measured here, on the configured machine, never in unit tests: one request at a time, except
chat turns with ``concurrency`` > 1 (several sessions at once, to see turns queue for the model).
Chat turns are new briefs sent through ``ChatService.stream`` exactly as the chat UI sends them; the time
to the first streamed token is what a user waits before text appears. Peak memory is the highest
resident set size of this process (the kernel's ``ru_maxrss``).
"""

from __future__ import annotations

import asyncio
import random
import resource
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field

from agent.state import model_origin
from eval.latency import Spread

if TYPE_CHECKING:
    from agent.generators.base import GenerationRecord, Generator
    from perfumery import Brief, Catalog

TARGET_NEW_BRIEF_P50_S = 6.0
TARGET_FIRST_TOKEN_S = 1.5
MAX_BUSY_RETRIES = 30  # a chat turn refused this often counts as an error
CHAT_MESSAGES = [
    "비 오는 날 창가 카페에서 마시는 따뜻한 커피 같은 향수 만들어 줘",
    "여름 바닷가에서 뿌릴 상큼하고 시원한 시트러스 향을 원해",
    "첫눈 오는 날 어울리는 포근한 머스크 향수 추천해 줘",
    "봄 벚꽃길을 걷는 느낌의 가벼운 플로럴 향수 만들어 줘",
    "오래된 서재의 가죽 소파와 나무 냄새가 나는 향을 원해",
]


class PeakRss:
    """Highest resident set size (MB) this process has reached by the end of the block (the kernel's
    ``ru_maxrss``, so nothing samples while the benchmark runs)."""

    peak_mb: float = 0.0

    def __enter__(self) -> PeakRss:
        return self

    def __exit__(self, *_: object) -> None:
        self.peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


class GenerationBench(BaseModel):
    backend: str
    calls: int
    decode_tokens_per_s: Spread | None = Field(description="completion tokens after the first / decode time")
    prompt_tokens_per_s: Spread | None = Field(description="prompt tokens / time to the first token")
    seconds_per_call: Spread | None
    outcomes: dict[str, int]


class ChatBench(BaseModel):
    turns: int
    concurrency: int = Field(default=1, description="sessions sending turns at once")
    total_s: Spread | None
    first_token_s: Spread | None = Field(description="first streamed text (the formula's title line)")
    first_sentence_s: Spread | None = Field(default=None, description="first checked narration sentence")
    without_stream: int = Field(description="turns that streamed no token (template or error replies)")
    errors: int
    busy: int = Field(default=0, description="'잠시 후 다시' refusals (queue full), each resent after a pause")
    wall_s: float | None = Field(default=None, description="from the first send to the last reply")
    turns_per_minute: float | None = Field(default=None, description="turns answered without error per minute")
    model_chosen: int = Field(default=0, description="turns whose chosen formula is the model's proposal (llm:…, "
                                                        "or repair:llm:… once the revise node repaired it)")


class BenchReport(BaseModel):
    retrieval: dict[str, Any] | None = None
    generation: GenerationBench | None = None
    chat: ChatBench | None = None
    peak_rss_mb: float | None = None

    def markdown(self) -> str:
        lines = ["## Benchmarks", ""]
        if self.retrieval:
            r = self.retrieval
            lines.append(f"- retrieval ({r['n']} queries, embedding included): p50 {r['p50_ms']:.1f} ms, "
                         f"p95 {r['p95_ms']:.1f} ms")
        if self.generation and self.generation.decode_tokens_per_s:
            g = self.generation
            prompt = g.prompt_tokens_per_s.p50 if g.prompt_tokens_per_s else float("nan")
            lines.append(f"- generation ({g.backend}, {g.calls} calls): decode p50 {g.decode_tokens_per_s.p50:.1f} "
                         f"tok/s, prompt p50 {prompt:.0f} tok/s, outcomes {g.outcomes}")
        if self.chat and self.chat.total_s:
            c = self.chat
            sessions = f", {c.concurrency} sessions at once" if c.concurrency > 1 else ""
            lines += [f"- chat, new briefs{sessions} ({c.turns} turns, {c.errors} errors): total p50 {c.total_s.p50:.2f} s, "
                      f"p95 {c.total_s.p95:.2f} s (target p50 ≤ {TARGET_NEW_BRIEF_P50_S:.0f} s: "
                      f"{'met' if c.total_s.p50 <= TARGET_NEW_BRIEF_P50_S else 'missed'})"]
            if c.first_token_s:
                lines.append(f"- first streamed token: p50 {c.first_token_s.p50:.2f} s, p95 {c.first_token_s.p95:.2f} s "
                             f"(target ≤ {TARGET_FIRST_TOKEN_S} s: "
                             f"{'met' if c.first_token_s.p50 <= TARGET_FIRST_TOKEN_S else 'missed'}); "
                             f"{c.without_stream} turns streamed nothing")
            if c.first_sentence_s:
                lines.append(f"- first narration sentence (checked): p50 {c.first_sentence_s.p50:.2f} s, "
                             f"p95 {c.first_sentence_s.p95:.2f} s")
            if c.turns_per_minute is not None:
                lines.append(f"- throughput: {c.turns_per_minute:.1f} turns/min over {c.wall_s:.1f} s; "
                             f"{c.busy} '잠시 후 다시' refusals")
            if c.model_chosen:
                lines.append(f"- the model's proposal chosen by the critic in {c.model_chosen} of {c.turns} turns")
        if self.peak_rss_mb is not None:
            lines.append(f"- peak memory (RSS): {self.peak_rss_mb:.0f} MB")
        return "\n".join(lines) + "\n"


def timed_calls(records: Sequence[GenerationRecord]) -> list[GenerationRecord]:
    """Calls whose decode can be timed: a first token, then more tokens after it."""
    return [r for r in records if r.first_token_s and r.seconds > r.first_token_s and r.completion_tokens > 1]


def token_rates(records: Sequence[GenerationRecord]) -> tuple[Spread | None, Spread | None]:
    """(decode tokens/s after the first token, prompt tokens/s up to it) over the timed calls."""
    timed = timed_calls(records)
    return (Spread.of([(r.completion_tokens - 1) / (r.seconds - r.first_token_s) for r in timed], 1),
            Spread.of([r.prompt_tokens / r.first_token_s for r in timed if r.prompt_tokens], 0))


def generation_bench(generator: Generator, briefs: Sequence[Brief], catalog: Catalog, seed: int = 0) -> GenerationBench:
    """One proposal and one narration per brief, over the candidate pool the model was trained on
    (perfumery.pool.candidate_pool)."""
    from perfumery.pool import candidate_pool

    records: list[GenerationRecord] = []
    for n, brief in enumerate(briefs):
        ids = candidate_pool(brief, catalog, random.Random(f"{seed}:{n}"))
        drafts = generator.propose(brief, [catalog.material(m) for m in ids], 1)
        records.append(drafts[0].record)
        narration = generator.narrate(drafts[0].recipe, brief)
        narration.read()
        if narration.record is not None:
            records.append(narration.record)
    decode, prompt = token_rates(records)
    outcomes: dict[str, int] = {}
    for record in records:
        key = f"{record.task}:{record.outcome.value}"
        outcomes[key] = outcomes.get(key, 0) + 1
    return GenerationBench(
        backend=generator.backend, calls=len(records),
        decode_tokens_per_s=decode, prompt_tokens_per_s=prompt,
        seconds_per_call=Spread.of([r.seconds for r in records]), outcomes=outcomes,
    )


class Streamer(Protocol):
    def stream(self, message: str, session_id: str | None = None, level: str | None = None,
               concentration: str | None = None, source: str = "chat") -> AsyncIterator[dict[str, Any]]: ...


@dataclass
class _Turn:
    total_s: float
    first_token_s: float | None
    first_sentence_s: float | None
    error: bool
    busy: int
    chosen: str | None


async def _turn(service: Streamer, message: str, session: str, retry_s: float) -> _Turn:
    """One new brief, resent after ``retry_s`` while the service answers "busy" (as a user told "잠시 후
    다시" would); times run from the first send, so a refusal's wait counts."""
    started = time.perf_counter()
    for busy in range(MAX_BUSY_RETRIES + 1):
        first = sentence = result = None
        streamed = 0
        async for event in service.stream(message, session_id=session, source="bench"):
            if event["type"] == "token":
                streamed += 1
                first = first if first is not None else time.perf_counter() - started
                if streamed == 2:  # the title line, then the narration's first sentence
                    sentence = time.perf_counter() - started
            elif event["type"] == "result":
                result = event["result"]
        if result is None or result.error != "busy" or busy == MAX_BUSY_RETRIES:
            break
        await asyncio.sleep(retry_s)
    return _Turn(total_s=time.perf_counter() - started, first_token_s=first, first_sentence_s=sentence,
                 error=result is None or result.error is not None, busy=busy,
                 chosen=result.chosen if result is not None else None)


async def chat_bench(service: Streamer, messages: Sequence[str], session_prefix: str = "bench",
                     concurrency: int = 1, retry_s: float = 1.0) -> ChatBench:
    """Each message is a fresh new-brief session; ``concurrency`` sessions are in progress at once, each taking
    the next message when its turn ends (1: one after another). Times are wall-clock as the caller sees them."""
    pending = iter(enumerate(messages))  # shared: every session takes the next message
    turns: list[_Turn] = []

    async def session() -> None:
        for i, message in pending:
            turns.append(await _turn(service, message, f"{session_prefix}-{i}", retry_s))

    started = time.perf_counter()
    await asyncio.gather(*(session() for _ in range(concurrency)))
    wall_s = time.perf_counter() - started
    answered = [t for t in turns if not t.error]
    return ChatBench(
        turns=len(turns), concurrency=concurrency, total_s=Spread.of([t.total_s for t in turns]),
        first_token_s=Spread.of([t.first_token_s for t in turns if t.first_token_s is not None]),
        first_sentence_s=Spread.of([t.first_sentence_s for t in turns if t.first_sentence_s is not None]),
        without_stream=sum(t.first_token_s is None for t in turns), errors=len(turns) - len(answered),
        busy=sum(t.busy for t in turns), wall_s=round(wall_s, 2),
        turns_per_minute=round(len(answered) * 60 / wall_s, 2) if wall_s > 0 else None,
        model_chosen=sum(model_origin(t.chosen or "") for t in turns),
    )
