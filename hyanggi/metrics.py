"""What an operator watches, in Prometheus format (`GET /metrics`, prometheus-client): turn latency per route
and per node, time to first streamed text, generation speed, search latency, errors by kind, turns waiting,
active sessions and job states. Recorded where each happens; each web worker exposes its own process."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

ACTIVE_WINDOW_S = 15 * 60
_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 40.0)

TURN_SECONDS = Histogram("hyanggi_turn_seconds", "Whole chat turn, by route.", ["route"], buckets=_SECONDS)
NODE_SECONDS = Histogram("hyanggi_node_seconds", "Graph node wall time, by node.", ["node"], buckets=_SECONDS)
FIRST_TEXT_SECONDS = Histogram("hyanggi_first_text_seconds", "Turn start to the first streamed text.",
                               buckets=_SECONDS)
TOKENS_PER_SECOND = Histogram("hyanggi_generation_tokens_per_second", "Model decode speed, by task.", ["task"],
                              buckets=(2, 5, 10, 20, 30, 40, 50, 60, 80, 120))
SEARCH_SECONDS = Histogram("hyanggi_search_seconds", "One hybrid search, query embedding included.",
                           buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1.0))
ERRORS = Counter("hyanggi_errors_total", "Turns that ended in an error, by kind.", ["kind"])
WAITING = Gauge("hyanggi_turns_waiting", "Turns in progress or queued in this worker.")
ACTIVE_SESSIONS = Gauge("hyanggi_active_sessions", f"Sessions with a turn in the last {ACTIVE_WINDOW_S // 60} min.")
JOBS = Gauge("hyanggi_jobs", "Jobs by state (read from the job ledger at scrape time).", ["state"])

_last_turn: dict[str, float] = {}


def observe_turn(session: str, route: str, timings_ms: Mapping[str, float], error: str | None,
                 generations: Iterable[Mapping[str, Any]]) -> None:
    """One finished turn: its latency by route and node, model speeds, error kind, the session's activity."""
    if "total" in timings_ms:
        TURN_SECONDS.labels(route).observe(timings_ms["total"] / 1000)
    for node, ms in timings_ms.items():
        if node != "total":
            NODE_SECONDS.labels(node).observe(ms / 1000)
    for record in generations:
        if record.get("tokens_per_s"):
            TOKENS_PER_SECOND.labels(record["task"]).observe(record["tokens_per_s"])
    if error:
        ERRORS.labels(error).inc()
    now = time.monotonic()
    _last_turn[session] = now
    for stale in [s for s, at in _last_turn.items() if now - at > ACTIVE_WINDOW_S]:
        del _last_turn[stale]
    ACTIVE_SESSIONS.set(len(_last_turn))


def exposition(job_counts: Callable[[], Mapping[str, int]] | None = None) -> tuple[bytes, str]:
    """The scrape body and its content type; job states are read fresh when a ledger is given."""
    if job_counts is not None:
        for state, n in job_counts().items():
            JOBS.labels(state).set(n)
    return generate_latest(), CONTENT_TYPE_LATEST
