"""Training pieces on a tiny random Gemma 3: the target-only loss, batching, schedule, and a full short run."""

import csv
import json
from types import SimpleNamespace

import pytest
import torch
from safetensors.torch import load_file

from finetune import train as train_module
from finetune.train import (
    Encoded,
    TrainConfig,
    collate,
    encode,
    fitting,
    lr_schedule,
    source_repeats,
    target_loss,
)


class CharTokenizer:
    """One token per character (ids 4..), with Gemma's special ids."""

    bos_token_id, eos_token_id, pad_token_id = 2, 1, 0

    def __call__(self, text, add_special_tokens=False):
        return SimpleNamespace(input_ids=[4 + (ord(c) % 60) for c in text])


def tiny_model(softcap=None):
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                              final_logit_softcapping=softcap, sliding_window=16, layer_types=None)
    return Gemma3ForCausalLM(config).eval()


def test_encode_marks_where_the_target_starts():
    e = encode(CharTokenizer(), "ab", "cde")
    assert e.input_ids[0] == 2 and e.input_ids[-1] == 1
    assert len(e.input_ids) == 1 + 2 + 3 + 1
    assert e.target_start == 3


def test_collate_pads_and_masks_prompt_tokens():
    batch = collate([Encoded([2, 5, 6, 7, 1], 2), Encoded([2, 5, 1], 2)], pad_id=0)
    assert batch["input_ids"].tolist() == [[2, 5, 6, 7, 1], [2, 5, 1, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]
    assert batch["labels"].tolist() == [[-100, -100, 6, 7, 1], [-100, -100, 1, -100, -100]]


@pytest.mark.parametrize("softcap", [None, 5.0])
def test_target_loss_equals_the_full_logit_loss(softcap):
    model = tiny_model(softcap)
    batch = collate([Encoded([2, 5, 6, 7, 8, 1], 3), Encoded([2, 9, 10, 1], 2)], pad_id=0)
    with torch.no_grad():
        ours = target_loss(model, batch)
        reference = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                          labels=batch["labels"]).loss
    assert float(ours) == pytest.approx(float(reference), rel=1e-5)


def test_over_long_examples_are_dropped_but_not_most_of_a_task():
    rows = [{"task": "propose"}] * 10 + [{"task": "narrate"}] * 10
    lengths = [600] + [100] * 9 + [100] * 10
    encoded = [Encoded(input_ids=[0] * n, target_start=1) for n in lengths]
    assert len(fitting(rows, encoded, max_len=512)) == 19
    lengths = [600] * 2 + [100] * 8 + [100] * 10
    encoded = [Encoded(input_ids=[0] * n, target_start=1) for n in lengths]
    with pytest.raises(ValueError, match="2 of 10 'propose' examples exceed max_len=512"):
        fitting(rows, encoded, max_len=512)


def test_schedule_warms_up_then_decays_to_zero():
    config = TrainConfig(steps=100, warmup_steps=10, lr=1e-3)
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=config.lr)
    schedule = lr_schedule(optimizer, config)
    lrs = []  # the rate each update 0..100 is taken at
    for _ in range(config.steps + 1):
        lrs.append(schedule.get_last_lr()[0])
        optimizer.step()
        schedule.step()
    assert lrs[0] == pytest.approx(1e-4)
    assert lrs[9] == pytest.approx(1e-3)
    assert lrs[55] < lrs[20]
    assert lrs[100] == pytest.approx(0.0, abs=1e-12)


def test_device_profiles():
    assert TrainConfig.for_device("cuda").qlora and TrainConfig.for_device("cuda").first_layer == 0
    cpu = TrainConfig.for_device("cpu", steps=7, lr=None)
    assert not cpu.qlora and cpu.steps == 7 and cpu.lr == TrainConfig().lr


def _dataset(tmp_path, monkeypatch, dev_target="{\"a\":8}"):
    monkeypatch.setattr(train_module, "load_base", lambda *a, **k: (tiny_model().train(), CharTokenizer()))
    data = tmp_path / "data"
    data.mkdir()
    for split, target in (("train", "{\"a\":8}"), ("dev", dev_target)):
        rows = [{"task": "propose", "prompt": f"요청 {i}", "target": target} for i in range(12)]
        (data / f"{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return data


def test_a_short_run_learns_logs_and_keeps_the_best_adapter(tmp_path, monkeypatch):
    data = _dataset(tmp_path, monkeypatch)
    config = TrainConfig(steps=12, batch_size=4, max_len=64, lr=5e-2, warmup_steps=1, eval_every=4,
                         dev_batches=1, first_layer=0, rank=4, alpha=8.0, threads=1)
    result = train_module.train(data, tmp_path / "base.gguf", tmp_path / "run", config, progress=False)
    assert (result.best_dir / "adapter_config.json").is_file()
    assert result.metrics["dev_loss_best"] < result.metrics["dev_loss_start"]
    with (tmp_path / "run" / "metrics.csv").open() as handle:
        steps = [int(r["step"]) for r in csv.DictReader(handle)]
    assert steps[0] == 0 and steps[-1] == result.steps
    assert len(list((tmp_path / "run").glob("checkpoint-*"))) <= config.keep_checkpoints


def test_a_run_that_stops_improving_stops_early_with_the_best_adapter_kept_and_prints_nothing(
        tmp_path, monkeypatch, capsys):
    data = _dataset(tmp_path, monkeypatch, dev_target="{\"a\":9}")  # dev loss levels off while train loss falls
    config = TrainConfig(steps=60, batch_size=4, max_len=64, lr=5e-2, warmup_steps=1, eval_every=2, patience=2,
                         dev_batches=1, first_layer=0, rank=4, alpha=8.0, threads=1)
    rows = []
    result = train_module.train(data, tmp_path / "base.gguf", tmp_path / "run", config, progress=False,
                                on_log=rows.append)
    assert result.steps < config.steps
    with (tmp_path / "run" / "metrics.csv").open() as handle:
        logged = list(csv.DictReader(handle))
    assert [int(r["step"]) for r in logged] == [r["step"] for r in rows] == list(range(0, result.steps + 1, 2))
    evaluated = {int(r["step"]): float(r["dev_loss"]) for r in logged[1:]}
    assert result.best_step == min(evaluated, key=evaluated.get) < result.steps
    assert result.metrics["dev_loss_best"] == pytest.approx(evaluated[result.best_step], abs=1e-4)
    best = load_file(result.best_dir / "adapter_model.safetensors")
    kept = load_file(tmp_path / "run" / f"checkpoint-{result.best_step}" / "adapter_model.safetensors")
    assert best.keys() == kept.keys() and all(torch.equal(best[k], kept[k]) for k in best)
    assert capsys.readouterr().out == ""


def test_repeat_reads_source_counts_and_refuses_anything_else():
    assert source_repeats(["rft=4", "session=2"]) == {"rft": 4, "session": 2}
    assert source_repeats([]) == {}
    for bad in (["rft"], ["rft=0"], ["rft=two"], ["judge=2"]):
        assert source_repeats(bad) is None


def test_repeated_sources_are_seen_that_many_times_per_pass_in_training_only(tmp_path, monkeypatch):
    data = _dataset(tmp_path, monkeypatch)
    rows = [{"task": "propose", "source": "rft" if i < 4 else "lexicon", "prompt": f"요청 {i}", "target": "{\"a\":8}"}
            for i in range(12)]
    (data / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = TrainConfig(steps=1, batch_size=4, max_len=64, warmup_steps=0, eval_every=1, dev_batches=1,
                         first_layer=0, rank=4, alpha=8.0, threads=1, repeat={"rft": 3})
    result = train_module.train(data, tmp_path / "base.gguf", tmp_path / "run", config, progress=False)
    assert (result.train_examples, result.dev_examples) == (8 + 4 * 3, 12)
