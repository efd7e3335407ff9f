"""The shipped judge (e5 base from `hyanggi setup` + finetune/adapters/hyanggi-judge) judges real statements:
one the recipe supports, and the same statement with two materials put in each other's note positions."""

from __future__ import annotations

import pytest

from eval.judge import CrossEncoderJudge
from hyanggi.settings import Settings, get_settings

pytestmark = pytest.mark.integration

RECIPE = ("처방 v1 (EDP, 부향률 18%, 향수(파인 프래그런스))\n베르가못 오일 (탑, 12%)\n레몬 오일 (탑, 6%)\n"
          "헤디온 (미들, 30%)\n로즈 앱솔루트 (미들, 2%)\n바닐린 (베이스, 4%)\n샌달우드 오일 (베이스, 8%)")
RECORDS = ["바닐린: 바닐라의 주성분으로 달콤한 바닐라 향을 낸다.", "헤디온: 투명하고 공기 같은 자스민 향의 합성 원료."]


@pytest.fixture(scope="module")
def judge() -> CrossEncoderJudge:
    settings: Settings = get_settings()
    if not (settings.embedder_dir / "config.json").is_file():
        pytest.skip("e5 base missing: run `hyanggi setup`")
    return CrossEncoderJudge.load(settings.embedder_dir, settings.judge_adapter_dir, settings.n_threads)


# The adapter shipped today is under-trained (150 CPU steps, loss 0.69 → 0.66: it learned the label prior only,
# threshold 0.0; model card). strict: the day a retrained adapter passes, this marker must go.
@pytest.mark.xfail(strict=True, reason="shipped judge adapter under-trained: judges every statement supported")
def test_the_shipped_judge_tells_a_true_placement_from_a_swapped_one(judge: CrossEncoderJudge) -> None:
    true = "탑에서는 베르가못 오일이, 미들에서는 헤디온이, 베이스에서는 바닐린이 향을 이끕니다."
    swapped = "탑에서는 바닐린이, 미들에서는 헤디온이, 베이스에서는 베르가못 오일이 향을 이끕니다."
    supported, unsupported = judge.judge([true, swapped], RECORDS, primary=[RECIPE])
    assert supported.supported, supported
    assert not unsupported.supported, unsupported
    assert supported.probability > unsupported.probability
