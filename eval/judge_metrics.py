"""ragas' Faithfulness and ResponseRelevancy with the local cross-encoder judge (``eval.judge``).

Both are ragas' own metric classes with only the LLM steps replaced, so the score is computed the ragas way:

- **faithfulness** = supported statements ÷ statements (``Faithfulness._compute_score``). The statements are
  the reply's prose sentences as the claim checker cuts them (``ClaimChecker.sentences``: tables, headings
  and score lines carry no prose claim) instead of an LLM's rewrite, and each verdict is the cross-encoder's
  on the evidence chosen from the turn's contexts (the recipe first) — per atomic statement where a sentence
  lists or places several materials (``eval.statements``), the sentence holding when all of them do. A reply with no
  sentence is NaN, as in ragas.
- **answer_relevancy** = mean cosine (our e5 embeddings) of the user's message and the "questions the reply
  answers" × (not noncommittal) (``ResponseRelevancy._calculate_score``). No model writes those questions
  here: they are the reply's first ``strictness`` sentences — its title-free opening, which states what the
  reply gives ("요청하신 포근한, 달콤한 분위기에 맞춰…", "변경 사항 — …", "헤디온 (Hedione, CAS …)") — and a
  reply is noncommittal when it says it does not know. So this figure measures how close the reply's opening
  is to what was asked, in e5's space, not how well an LLM can recover the question; compare runs with it,
  not other systems.

ragas fills any metric's empty ``llm`` with an OpenAI client, so both carry the judge there; only the two
overridden steps ever use it.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eval.faithfulness import RECIPE_PREFIX

if TYPE_CHECKING:
    from eval.judge import CrossEncoderJudge

# "잘 모르겠어요", "찾지 못했어요", "알 수 없어요": the reply declines to answer
NONCOMMITTAL = re.compile(r"잘 모르겠|모르겠어요|찾지 못했|알 수 없|확인할 수 없")


@functools.cache
def _metric_classes() -> tuple[type, type]:
    """Defined lazily (ragas is imported only when an evaluation runs), and once, so they can be recognised."""
    import numpy as np
    from ragas.metrics import Faithfulness, ResponseRelevancy
    from ragas.metrics._answer_relevance import ResponseRelevanceOutput
    from ragas.metrics._faithfulness import (
        NLIStatementOutput,
        StatementFaithfulnessAnswer,
        StatementGeneratorOutput,
    )

    @dataclass
    class JudgedFaithfulness(Faithfulness):
        """ragas' Faithfulness: checker sentences as statements, cross-encoder verdicts."""

        split: Callable[[str], list[str]] = field(default=lambda text: [])
        seconds: list[float] = field(default_factory=list)  # judge time per scored turn
        unsupported: list[dict[str, Any]] = field(default_factory=list)  # the statements judged unsupported

        async def _create_statements(self, row: dict, callbacks: Any) -> StatementGeneratorOutput:
            return StatementGeneratorOutput(statements=self.split(row["response"]))

        async def _create_verdicts(self, row: dict, statements: list[str], callbacks: Any) -> NLIStatementOutput:
            ids = list(row.get("retrieved_context_ids") or [])
            texts = list(row["retrieved_contexts"])
            primary = [t for i, t in zip(ids, texts, strict=False) if i.startswith(RECIPE_PREFIX)]
            others = [t for t in texts if t not in primary]
            started = time.perf_counter()
            judge: CrossEncoderJudge = self.llm  # type: ignore[assignment]
            verdicts = await asyncio.to_thread(judge.judge, statements, others, primary)
            self.seconds.append(time.perf_counter() - started)
            self.unsupported += [{"turn": row.get("user_input", ""), "statement": v.statement,
                               "probability": v.probability, "weakest": v.weakest, "evidence": v.evidence}
                              for v in verdicts if not v.supported]
            return NLIStatementOutput(statements=[
                StatementFaithfulnessAnswer(statement=v.statement, verdict=int(v.supported),
                                            reason=f"p(supported)={v.probability:.2f}; evidence: {v.evidence}")
                for v in verdicts])

    @dataclass
    class LeadRelevancy(ResponseRelevancy):
        """ragas' ResponseRelevancy with the reply's opening sentences as the generated questions."""

        split: Callable[[str], list[str]] = field(default=lambda text: [])

        async def _ascore(self, row: dict, callbacks: Any) -> float:
            leads = self.split(row["response"])[: self.strictness]
            if not leads:
                return np.nan
            noncommittal = int(bool(NONCOMMITTAL.search(row["response"])))
            answers = [ResponseRelevanceOutput(question=lead, noncommittal=noncommittal) for lead in leads]
            return await asyncio.to_thread(self._calculate_score, answers, row)

    return JudgedFaithfulness, LeadRelevancy


def judged_metrics(judge: CrossEncoderJudge, split: Callable[[str], list[str]], strictness: int) -> list[Any]:
    """Faithfulness and ResponseRelevancy on the cross-encoder judge; ``split`` cuts a reply into sentences."""
    faithfulness, relevancy = _metric_classes()
    return [faithfulness(llm=judge, split=split), relevancy(llm=judge, split=split, strictness=strictness)]


def timed_faithfulness(metrics: list[Any]) -> Any | None:
    """The cross-encoder's faithfulness metric among ``metrics`` (it keeps the judge's time per turn and the
    statements it judged unsupported), or None for a chat model judge."""
    faithfulness, _ = _metric_classes()
    return next((m for m in metrics if isinstance(m, faithfulness)), None)
