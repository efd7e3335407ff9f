"""Summaries of timings for every benchmark and report — ``Latency`` for milliseconds (turns by route,
searches), ``Spread`` for any other measured quantity (seconds per turn, tokens per second) — with
percentiles from the standard library."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from pydantic import BaseModel


def percentile(values: Sequence[float], q: int) -> float:
    """Linear-interpolated percentile (``q`` in 1..99) of a non-empty sequence."""
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Latency(BaseModel):
    """Timings in milliseconds."""

    n: int
    p50_ms: float
    p95_ms: float
    mean_ms: float | None = None

    @classmethod
    def of(cls, ms: Sequence[float], digits: int = 1) -> Latency:
        return cls(n=len(ms), p50_ms=round(percentile(ms, 50), digits), p95_ms=round(percentile(ms, 95), digits),
                   mean_ms=round(statistics.fmean(ms), digits))


class Spread(BaseModel):
    """n, p50, p95 and mean of a set of timings (or rates)."""

    n: int
    p50: float
    p95: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float], digits: int = 2) -> Spread | None:
        if not values:
            return None
        return cls(n=len(values), p50=round(percentile(values, 50), digits), p95=round(percentile(values, 95), digits),
                   mean=round(statistics.fmean(values), digits))
