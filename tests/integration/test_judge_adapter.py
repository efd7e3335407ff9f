"""The shipped judge (e5 base from `hyanggi setup` + finetune/adapters/hyanggi-judge) judges real statements:
one the recipe supports, and the same statement with two materials put in each other's note positions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.reading.interpret import MaterialNames
from eval.judge import CrossEncoderJudge
from hyanggi.settings import Settings, get_settings
from knowledge.kb import load_knowledge_base

pytestmark = pytest.mark.integration

RECIPE = ("처방 v1 (EDP, 부향률 18%, 향수(파인 프래그런스))\n베르가못 오일 (탑, 12%)\n레몬 오일 (탑, 6%)\n"
          "헤디온 (미들, 30%)\n로즈 앱솔루트 (미들, 2%)\n바닐린 (베이스, 4%)\n샌달우드 오일 (베이스, 8%)")
RECORDS = ["바닐린: 바닐라의 주성분으로 달콤한 바닐라 향을 낸다.", "헤디온: 투명하고 공기 같은 자스민 향의 합성 원료."]


@pytest.fixture(scope="module")
def judge() -> CrossEncoderJudge:
    settings: Settings = get_settings()
    if not (settings.embedder_dir / "config.json").is_file():
        pytest.skip("e5 base missing: run `hyanggi setup`")
    if not (settings.judge_model_dir / "judge.json").is_file():
        pytest.skip(f"no trained judge in {settings.judge_model_dir}: run `make judge`")
    return CrossEncoderJudge.load(settings.embedder_dir, settings.judge_model_dir,
                                  MaterialNames(load_knowledge_base()), settings.n_threads)


def test_the_shipped_judge_tells_a_true_placement_from_a_swapped_one(judge: CrossEncoderJudge) -> None:
    true = "탑에서는 베르가못 오일이, 미들에서는 헤디온이, 베이스에서는 바닐린이 향을 이끕니다."
    swapped = "탑에서는 바닐린이, 미들에서는 헤디온이, 베이스에서는 베르가못 오일이 향을 이끕니다."
    supported, unsupported = judge.judge([true, swapped], RECORDS, primary=[RECIPE])
    assert supported.supported, supported
    assert not unsupported.supported, unsupported
    assert supported.probability > unsupported.probability
    assert unsupported.weakest in ("탑에서는 바닐린이 향을 이끕니다.", "베이스에서는 베르가못 오일이 향을 이끕니다.")


def test_a_trained_judge_ships_only_what_training_changed_and_loads_back(tmp_path: Path) -> None:
    """Two steps on eight pairs: the saved file holds the kept layers and the head (no embedding table), and
    the judge loaded from it predicts what the trained network predicted."""
    import torch
    from safetensors.torch import load_file

    from finetune.judge_train import WEIGHTS_FILE, JudgeTrainConfig, base_model, load_judge, train_judge

    settings = get_settings()
    if not (settings.embedder_dir / "config.json").is_file():
        pytest.skip("e5 base missing: run `hyanggi setup`")
    statements = [("베르가못 오일은 탑 노트입니다.", "베르가못 오일 (탑, 12%)", 1),
                  ("베르가못 오일은 베이스 노트입니다.", "베르가못 오일 (탑, 12%)", 0),
                  ("바닐린은 베이스 노트입니다.", "바닐린 (베이스, 4%)", 1),
                  ("바닐린은 탑 노트입니다.", "바닐린 (베이스, 4%)", 0)] * 2
    pairs = tmp_path / "train.jsonl"
    pairs.write_text("".join(json.dumps({"statement": s, "evidence": e, "label": y}, ensure_ascii=False) + "\n"
                             for s, e, y in statements), encoding="utf-8")
    config = JudgeTrainConfig(layers=2, epochs=1.0, batch_size=4, max_length=64)
    result = train_judge(pairs, settings.embedder_dir, tmp_path / "judge", config, progress=False)
    assert result.steps == 2
    saved = load_file(str(tmp_path / "judge" / WEIGHTS_FILE))
    assert not any("embeddings" in name for name in saved)
    assert any(name.startswith("classifier") for name in saved)
    assert {name.split(".")[3] for name in saved if ".encoder.layer." in name} == {"0", "1"}
    assert all(tensor.dtype == torch.float16 for tensor in saved.values())

    loaded = load_judge(settings.embedder_dir, tmp_path / "judge").transformers_model.state_dict()
    base = base_model(settings.embedder_dir, 64, 2).transformers_model.state_dict()
    for name in ("classifier.weight", "bert.encoder.layer.1.output.dense.weight"):
        assert torch.equal(loaded[name], saved[name].float())  # the trained tensors, not the base's or a new head
    assert not torch.equal(loaded["bert.encoder.layer.1.output.dense.weight"],
                           base["bert.encoder.layer.1.output.dense.weight"])
    assert torch.equal(loaded["bert.embeddings.word_embeddings.weight"], base["bert.embeddings.word_embeddings.weight"])
