"""How fast the generator decodes against what the machine allows (`hyanggi bench generator`).

On the same prompts: raw llama.cpp (the model object driven directly, no grammar, no pipeline), ours for
proposals (with the proposal grammar) and for narration, their ratio to raw, and the memory-bandwidth bound —
bytes every decoded token reads (all weights: the tied 262k-token embedding is read whole for the output
logits, plus the LoRA adapter) ÷ a measured memory-read bandwidth on the same number of threads.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from eval.bench import timed_calls, token_rates
from eval.latency import Spread
from perfumery.pool import candidate_pool

if TYPE_CHECKING:
    from agent.generators.base import GenerationRecord, Generator
    from perfumery import Brief, Catalog

BANDWIDTH_BYTES = 512 * 2**20  # larger than any cache on the machine


class Speed(BaseModel):
    prompt_tokens_per_s: Spread | None
    decode_tokens_per_s: Spread | None
    completion_tokens: Spread | None


class GeneratorSpeed(BaseModel):
    prompts: int
    threads: int
    bandwidth_gb_s: float = Field(description="measured memory-read bandwidth, GB/s")
    bytes_per_token_mb: float = Field(description="weights read per decoded token (model + adapter), MB")
    bound_tokens_per_s: float = Field(description="bandwidth ÷ bytes per token")
    raw_proposal: Speed
    raw_narration: Speed
    ours_proposal: Speed
    ours_narration: Speed
    engine_decode_tokens_per_s: Spread | None = Field(
        default=None, description="raw runs timed by llama.cpp itself (llama_perf_context: the decode graphs only, "
                                  "no sampling, detokenizing or Python): what the model costs without the pipeline")

    def ratios(self) -> dict[str, float | None]:
        """Decode p50 of each against raw llama.cpp on the same prompts, and raw against the bound."""
        def p50(speed: Speed) -> float | None:
            return speed.decode_tokens_per_s.p50 if speed.decode_tokens_per_s else None

        def ratio(a: float | None, b: float | None) -> float | None:
            return round(a / b, 3) if a and b else None

        engine = self.engine_decode_tokens_per_s.p50 if self.engine_decode_tokens_per_s else None
        return {"proposal/raw": ratio(p50(self.ours_proposal), p50(self.raw_proposal)),
                "narration/raw": ratio(p50(self.ours_narration), p50(self.raw_narration)),
                "raw/bound": ratio(p50(self.raw_narration), self.bound_tokens_per_s),
                "engine/bound": ratio(engine, self.bound_tokens_per_s)}


def read_bandwidth(threads: int, nbytes: int = BANDWIDTH_BYTES, repeats: int = 5) -> float:
    """Bytes per second ``threads`` threads read from memory (numpy sums release the GIL), best of runs."""
    parts = [np.ones(nbytes // 8 // threads, dtype=np.float64) for _ in range(threads)]
    best = float("inf")
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(repeats):
            start = time.perf_counter()
            list(pool.map(np.sum, parts))
            best = min(best, time.perf_counter() - start)
    return sum(p.nbytes for p in parts) / best


def weight_bytes(*paths: Path) -> int:
    """Bytes of every tensor in these GGUF files (the model and its adapter)."""
    from gguf import GGUFReader

    return sum(int(t.n_bytes) for path in paths for t in GGUFReader(path).tensors)


def _speed(records: Sequence[GenerationRecord]) -> Speed:
    decode, prompt = token_rates(records)
    return Speed(prompt_tokens_per_s=prompt, decode_tokens_per_s=decode,
                 completion_tokens=Spread.of([r.completion_tokens for r in timed_calls(records)], 0))


def _raw(generator: Generator, prompt: str, max_tokens: int) -> tuple[GenerationRecord, float | None]:
    """One completion straight from the llama.cpp object (no grammar, no parsing, no guard), and its decode
    rate as llama.cpp times it."""
    import llama_cpp

    from agent.generators.base import GenerationRecord, Outcome

    llm = generator.llm  # type: ignore[attr-defined]
    llama_cpp.llama_perf_context_reset(llm.ctx)
    start = time.perf_counter()
    first: float | None = None
    text = ""
    for chunk in llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, stream=True):
        first = first if first is not None else time.perf_counter() - start
        text += chunk["choices"][0]["text"]
    seconds = time.perf_counter() - start
    perf = llama_cpp.llama_perf_context(llm.ctx)
    engine = perf.n_eval * 1000 / perf.t_eval_ms if perf.n_eval > 1 and perf.t_eval_ms > 0 else None
    # Counted as ours are (Generator.count_tokens), so the rates compare like with like.
    record = GenerationRecord(backend="raw", task="narrate", outcome=Outcome.ok,
                              prompt_tokens=generator.count_tokens(prompt), completion_tokens=generator.count_tokens(text),
                              seconds=seconds, first_token_s=first)
    return record, engine


def generator_speed(generator: Generator, briefs: Sequence[Brief], catalog: Catalog, *, threads: int,
                    model_files: Sequence[Path], seed: int = 0) -> GeneratorSpeed:
    """Ours and raw llama.cpp on the same proposal and narration prompts (training's pool)."""
    builder = generator.builder
    ours_p, ours_n, raw_p, raw_n, engine = [], [], [], [], []
    for n, brief in enumerate(briefs):
        candidates = [catalog.material(m) for m in candidate_pool(brief, catalog, random.Random(f"{seed}:{n}"))]
        draft = generator.propose(brief, candidates, 1)[0]
        ours_p.append(draft.record)
        narration = generator.narrate(draft.recipe, brief)
        narration.read()
        if narration.record is not None:
            ours_n.append(narration.record)
        for records, prompt, template in (
                (raw_p, builder.proposal(brief, candidates), builder.templates.propose),
                (raw_n, builder.narration(generator.fallback.delivered(draft.recipe, brief)), builder.templates.narrate)):
            record, rate = _raw(generator, prompt, min(template.max_tokens, generator.max_new_tokens))
            records.append(record)
            engine.append(rate)
    bandwidth = read_bandwidth(threads)
    per_token = weight_bytes(*model_files)
    return GeneratorSpeed(
        prompts=len(briefs), threads=threads, bandwidth_gb_s=round(bandwidth / 1e9, 2),
        bytes_per_token_mb=round(per_token / 1e6, 1), bound_tokens_per_s=round(bandwidth / per_token, 1),
        raw_proposal=_speed(raw_p), raw_narration=_speed(raw_n), ours_proposal=_speed(ours_p),
        ours_narration=_speed(ours_n), engine_decode_tokens_per_s=Spread.of([r for r in engine if r is not None], 1),
    )
