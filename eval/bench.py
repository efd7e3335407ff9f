"""Benchmarks behind the README's figures: retrieval latency, generator throughput, full chat turns, memory.

Every figure is measured here, one request at a time on the configured machine, never in unit tests.
Chat turns are new briefs sent through ``ChatService.stream`` exactly as the chat UI sends them; the time
to the first streamed token is what a user waits before text appears. Peak memory is the highest
resident set size of this process, sampled by psutil while the benchmark runs.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field

from eval.latency import Spread

if TYPE_CHECKING:
    from agent.generators.base import GenerationRecord, Generator
    from perfumery import Brief, Catalog

TARGET_NEW_BRIEF_P50_S = 6.0
TARGET_FIRST_TOKEN_S = 1.5
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
    total_s: Spread | None
    first_token_s: Spread | None = Field(description="first streamed text (the formula's title line)")
    first_sentence_s: Spread | None = Field(default=None, description="first checked narration sentence")
    without_stream: int = Field(description="turns that streamed no token (template or error replies)")
    errors: int


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
            lines += [f"- chat, new briefs ({c.turns} turns, {c.errors} errors): total p50 {c.total_s.p50:.2f} s, "
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
    """One proposal and one narration per brief, with the candidate pool and narration facts the model was
    trained on (perfumery.pool.candidate_pool, perfumery.naming.narration_facts)."""
    from perfumery.naming import narration_facts
    from perfumery.pool import candidate_pool

    records: list[GenerationRecord] = []
    for n, brief in enumerate(briefs):
        ids = candidate_pool(brief, catalog, random.Random(f"{seed}:{n}"))
        drafts = generator.propose(brief, [catalog.material(m) for m in ids], 1)
        records.append(drafts[0].record)
        narration = generator.narrate(drafts[0].recipe, brief, narration_facts(drafts[0].recipe, catalog))
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


async def chat_bench(service: Streamer, messages: Sequence[str], session_prefix: str = "bench") -> ChatBench:
    """Each message is a fresh new-brief session; times are wall-clock as the caller sees them."""
    totals, firsts, sentences = [], [], []
    without_stream = errors = 0
    for i, message in enumerate(messages):
        started = time.perf_counter()
        first: float | None = None
        result = None
        streamed = 0
        async for event in service.stream(message, session_id=f"{session_prefix}-{i}", source="bench"):
            if event["type"] == "token":
                streamed += 1
                first = first if first is not None else time.perf_counter() - started
                if streamed == 2:  # the title line, then the narration's first sentence
                    sentences.append(time.perf_counter() - started)
            elif event["type"] == "result":
                result = event["result"]
        totals.append(time.perf_counter() - started)
        if first is None:
            without_stream += 1
        else:
            firsts.append(first)
        errors += int(result is None or result.error is not None)
    return ChatBench(turns=len(messages), total_s=Spread.of(totals), first_token_s=Spread.of(firsts),
                     first_sentence_s=Spread.of(sentences), without_stream=without_stream, errors=errors)
