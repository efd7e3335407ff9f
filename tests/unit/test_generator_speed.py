"""The generator speed bench's arithmetic: rates from timed calls, ratios, the bandwidth probe."""

from agent.generators.base import GenerationRecord, Outcome
from eval.generator_speed import GeneratorSpeed, Speed, _speed, read_bandwidth
from eval.latency import Spread


def _record(prompt: int, completion: int, first: float, seconds: float) -> GenerationRecord:
    return GenerationRecord(backend="x", task="narrate", outcome=Outcome.ok, prompt_tokens=prompt,
                            completion_tokens=completion, first_token_s=first, seconds=seconds)


def test_rates_leave_out_the_first_token_and_untimed_calls() -> None:
    speed = _speed([_record(100, 41, 0.5, 1.5), _record(50, 1, 0.2, 0.3)])
    assert speed.decode_tokens_per_s.n == 1 and speed.decode_tokens_per_s.p50 == 40.0
    assert speed.prompt_tokens_per_s.p50 == 200


def test_ratios_compare_decode_with_raw_and_raw_with_the_bound() -> None:
    ours, raw = _speed([_record(10, 21, 0.1, 1.1)]), _speed([_record(10, 41, 0.1, 1.1)])
    report = GeneratorSpeed(prompts=1, threads=2, bandwidth_gb_s=10.0, bytes_per_token_mb=100.0,
                            bound_tokens_per_s=80.0, raw_proposal=raw, raw_narration=raw, ours_proposal=ours,
                            ours_narration=Speed(prompt_tokens_per_s=None, decode_tokens_per_s=None,
                                                 completion_tokens=None),
                            engine_decode_tokens_per_s=Spread.of([60.0, 64.0]))
    assert report.ratios() == {"proposal/raw": 0.5, "narration/raw": None, "raw/bound": 0.5, "engine/bound": 0.775}


def test_the_bandwidth_probe_reads_memory() -> None:
    assert read_bandwidth(threads=2, nbytes=16 * 2**20, repeats=2) > 1e8
