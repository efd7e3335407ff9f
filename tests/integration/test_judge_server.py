"""HYANGGI_JUDGE_URL: a real local llama-cpp-python server (the project's base GGUF) judges ragas' LLM metrics.

The 270M base model rarely writes a parsable verdict, so the figure is not the point: the test checks the
wiring — the judge is the server at the URL, ragas' calls reach it, and every turn ends scored or counted NaN.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eval.judge import make_judge
from eval.ragas_runner import run_ragas
from eval.transcripts import TurnSample
from hyanggi.settings import get_settings
from knowledge.embedding.embedder import Embedder
from ops.servers import llama_server

pytestmark = pytest.mark.integration

JUDGE_WAIT_S = 10  # per judged metric


@pytest.fixture(scope="module")
def judge_url() -> Iterator[str]:
    settings = get_settings()
    if not settings.base_gguf_path.is_file():
        pytest.skip("base GGUF missing: run `hyanggi setup`")
    with llama_server(settings.base_gguf_path, alias="judge", n_threads=settings.n_threads) as url:
        yield url


def test_the_url_judge_scores_or_counts_every_judged_turn(judge_url: str) -> None:
    settings = get_settings().model_copy(update={"judge_url": judge_url, "judge_model": "judge"})
    judge = make_judge(settings, max_tokens=128)
    assert type(judge).__name__ == "ChatOpenAI" and str(judge.openai_api_base) == judge_url
    sample = TurnSample(session="s", source="chat", turn_index=0, route="question", user_input="헤디온이 뭐야?",
                        response="헤디온은 자스민 향의 합성 원료입니다.", retrieved_ids=["hedione"],
                        retrieved_texts=["헤디온: 투명하고 공기 같은 자스민 향의 합성 원료. 미들 노트."])
    # Waiting out ragas' default 240 s per metric proved nothing more (README: every call timed out on this CPU)
    # and took 8 minutes of the integration tier; either outcome still lands as scored or NaN.
    run = run_ragas([sample], Embedder.from_settings(settings), judge, judge_limit=1, timeout_s=JUDGE_WAIT_S)
    assert run.judged == 1
    for name in ("faithfulness", "answer_relevancy"):
        summary = run.metrics[name]
        assert summary.n == 1 and summary.nan + (summary.mean is not None) == 1
