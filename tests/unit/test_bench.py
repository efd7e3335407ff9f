"""Benchmark bookkeeping: first streamed token vs total, sessions at once and refusals, spreads, memory
sampling, markdown against targets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agent.service import TurnResult
from eval.bench import MAX_BUSY_RETRIES, BenchReport, ChatBench, PeakRss, chat_bench
from eval.latency import Spread


class _Streams:
    """Streams two tokens for messages containing '토큰', none otherwise; '오류' ends in an error result."""

    def __init__(self) -> None:
        self.sessions: list[str | None] = []

    async def stream(self, message: str, session_id: str | None = None, level: str | None = None,
                     concentration: str | None = None, source: str = "chat") -> AsyncIterator[dict[str, Any]]:
        self.sessions.append(session_id)
        yield {"type": "step", "node": "route", "update": {}}
        if "토큰" in message:
            yield {"type": "token", "text": "가"}
            yield {"type": "token", "text": "나"}
        error = "failure" if "오류" in message else None
        chosen = ("repair:llm:ok" if "보정" in message else "llm:ok") if "모델" in message else "composer"
        yield {"type": "result", "result": TurnResult(session=session_id or "", reply="r", intent="new_brief",
                                                      error=error, chosen=chosen)}


async def test_chat_bench_counts_first_tokens_streamless_turns_and_errors() -> None:
    service = _Streams()
    report = await chat_bench(service, ["토큰 하나", "템플릿 모델", "토큰 오류", "보정된 모델"], session_prefix="b")
    assert service.sessions == ["b-0", "b-1", "b-2", "b-3"]
    assert report.model_chosen == 2  # a model proposal the revise node repaired is still the model's
    assert report.turns == 4 and report.total_s.n == 4
    assert report.first_token_s.n == 2 and report.without_stream == 2 and report.errors == 1
    assert report.first_token_s.p50 <= report.total_s.p95


class _Queue:
    """Answers after a pause; refuses ("busy") while ``limit`` turns are in progress; records the most at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running = self.most = self.refused = 0
        self.sessions: list[str | None] = []

    async def stream(self, message: str, session_id: str | None = None, level: str | None = None,
                     concentration: str | None = None, source: str = "chat") -> AsyncIterator[dict[str, Any]]:
        if self.running >= self.limit:
            self.refused += 1
            yield {"type": "result", "result": TurnResult(session="", reply="잠시 후 다시", intent="busy", error="busy")}
            return
        self.running += 1
        self.most = max(self.most, self.running)
        self.sessions.append(session_id)
        try:
            await asyncio.sleep(0.05)
            yield {"type": "token", "text": "가"}
            yield {"type": "result", "result": TurnResult(session="", reply="r", intent="new_brief")}
        finally:
            self.running -= 1


async def test_chat_bench_runs_sessions_at_once_each_taking_the_next_message() -> None:
    service = _Queue(limit=10)
    report = await chat_bench(service, ["향"] * 7, session_prefix="c", concurrency=3)
    assert service.most == 3 and sorted(service.sessions) == sorted(f"c-{i}" for i in range(7))
    assert report.turns == 7 and report.concurrency == 3 and report.errors == report.busy == 0
    assert report.turns_per_minute == pytest.approx(7 * 60 / report.wall_s, rel=0.05)  # wall_s in 1/100 s
    assert "3 sessions at once" in BenchReport(chat=report).markdown()


async def test_chat_bench_resends_a_refused_turn_and_counts_the_refusal() -> None:
    service = _Queue(limit=2)
    report = await chat_bench(service, ["향"] * 4, session_prefix="c", concurrency=4, retry_s=0.005)
    assert service.most == 2 and len(service.sessions) == 4
    assert report.busy == service.refused > 0 and report.errors == 0 and report.total_s.n == 4


async def test_chat_bench_gives_up_on_a_turn_refused_every_time() -> None:
    report = await chat_bench(_Queue(limit=0), ["향"], concurrency=1, retry_s=0)
    assert report.errors == 1 and report.busy == MAX_BUSY_RETRIES and report.turns_per_minute == 0


def test_spread_of_nothing_is_none() -> None:
    assert Spread.of([]) is None
    assert Spread.of([1.0, 3.0]).p50 == 2.0


def test_peak_rss_sees_an_allocation() -> None:
    with PeakRss() as memory:
        block = bytearray(64 * 2**20)
        block[::4096] = b"x" * len(block[::4096])
    assert memory.peak_mb > 64


def test_markdown_reports_targets_met_or_missed() -> None:
    fast = BenchReport(chat=ChatBench(turns=2, total_s=Spread(n=2, p50=5.0, p95=6.5, mean=5.5),
                                      first_token_s=Spread(n=2, p50=2.0, p95=2.5, mean=2.2), without_stream=0,
                                      errors=0), peak_rss_mb=900.0)
    text = fast.markdown()
    assert "target p50 ≤ 6 s: met" in text and "target ≤ 1.5 s: missed" in text and "900 MB" in text
