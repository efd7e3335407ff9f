"""Faithfulness without an LLM: the claim checker as a ragas metric, and its agreement with the yardstick.

``DomainFaithfulness`` scores a turn as the share of its checkable claims (``agent.replies.claims``) that the turn's
recipe and records support; a turn with no checkable claim is NaN (nothing to score), like ragas'
Faithfulness with no statements. The recipe reaches the metric as a context: ``recipe_context`` writes it
(``eval.contexts``) as a Korean formula a judge model can read too, under the id ``recipe:<id>@v<version>`` that the metric
resolves to the typed Recipe.

The yardstick (``eval/data/faithfulness.jsonl``) holds Korean statements from replayed replies, each
labelled supported/unsupported against that turn's recipe and records, split dev/test by conversation.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from agent.replies.claims import Claim, ClaimChecker, Grounds
from eval.contexts import RECIPE_PREFIX, document_texts
from perfumery.recipe import Recipe

if TYPE_CHECKING:
    from knowledge.kb import KnowledgeBase

YARDSTICK = Path(__file__).resolve().parent / "data" / "faithfulness.jsonl"


class ClaimTally(BaseModel):
    """Claims over a run, by kind, and the unsupported ones for the report."""

    checked: dict[str, int] = Field(default_factory=dict)
    unsupported: dict[str, int] = Field(default_factory=dict)
    examples: list[dict[str, str]] = Field(default_factory=list, description="unsupported claims with their turn")

    def add(self, turn: str, claims: list[Claim]) -> None:
        for claim in claims:
            self.checked[claim.kind.value] = self.checked.get(claim.kind.value, 0) + 1
            if not claim.supported:
                self.unsupported[claim.kind.value] = self.unsupported.get(claim.kind.value, 0) + 1
                self.examples.append({"turn": turn, "kind": claim.kind.value, "sentence": claim.sentence,
                                      "value": claim.value, "reason": claim.reason})


def _domain_metric_class() -> type:
    """Defined lazily: ragas is imported only when an evaluation runs."""
    from ragas.metrics.base import MetricType, SingleTurnMetric

    @dataclass
    class DomainFaithfulness(SingleTurnMetric):
        """Share of a reply's checkable claims that its recipe and retrieved/quoted records support."""

        name: str = "domain_faithfulness"
        _required_columns: dict[MetricType, set[str]] = field(default_factory=lambda: {
            MetricType.SINGLE_TURN: {"response", "retrieved_contexts", "retrieved_context_ids"}})
        checker: Any = None
        recipes: dict[str, Recipe] = field(default_factory=dict)
        tally: ClaimTally = field(default_factory=ClaimTally)

        def init(self, run_config: Any) -> None:
            """Nothing to load: the checker is built by the caller."""

        async def _single_turn_ascore(self, sample: Any, callbacks: Any) -> float:
            ids = list(sample.retrieved_context_ids or [])
            texts = list(sample.retrieved_contexts or [])
            recipe = next((self.recipes[i] for i in ids if i in self.recipes), None)
            grounds = Grounds(recipe=recipe, record_ids=[i for i in ids if not i.startswith(RECIPE_PREFIX)],
                              record_texts=texts)
            claims = self.checker.check(sample.response or "", grounds)
            self.tally.add(sample.user_input or "", claims)
            return faithfulness_score(claims)

    return DomainFaithfulness


def domain_faithfulness(checker: ClaimChecker, recipes: dict[str, Recipe]) -> Any:
    """A ragas metric instance over ``checker``; ``recipes`` maps ``recipe_key`` ids to recipes."""
    return _domain_metric_class()(checker=checker, recipes=recipes)


def faithfulness_score(claims: list[Claim]) -> float:
    """Supported share of the claims; NaN when there is nothing to check."""
    if not claims:
        return math.nan
    return sum(c.supported for c in claims) / len(claims)


# --- the yardstick -------------------------------------------------------------------------------
class Statement(BaseModel):
    """One labelled statement of the yardstick."""

    id: str
    split: Literal["dev", "test"]
    conversation: str
    route: str
    statement: str
    label: Literal["supported", "unsupported"]
    reason: str
    recipe: Recipe | None = None
    record_ids: list[str] = Field(default_factory=list)


def load_yardstick(path: Path = YARDSTICK) -> list[Statement]:
    return [Statement.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def record_texts(kb: KnowledgeBase, ids: list[str]) -> list[str]:
    """What a turn quoted from each record: its search document and its own description."""
    documents = document_texts(kb)
    texts = []
    for record_id in ids:
        record = kb.materials.get(record_id) or kb.perfumes.get(record_id) or kb.accords.get(record_id)
        texts += [t for t in (documents.get(record_id), record.description_ko if record else None) if t]
    return texts


class Agreement(BaseModel):
    split: str
    n: int
    unsupported: int
    accuracy: float
    unsupported_recall: float | None = Field(description="share of unsupported statements the metric flags")
    unsupported_precision: float | None
    by_route: dict[str, float]
    misses: list[dict[str, str]] = Field(default_factory=list)


Said = tuple[str, str]  # (verdict "supported" | "unsupported", why — shown for a miss)


def agreement(statements: list[Statement], checker: ClaimChecker, split: str = "test") -> Agreement:
    """How often the checker's verdict (any unsupported claim → unsupported) matches the label."""
    rows = split_rows(statements, split)
    said = []
    for row in rows:
        grounds = Grounds(recipe=row.recipe, record_ids=row.record_ids,
                          record_texts=record_texts(checker.kb, row.record_ids))
        claims = checker.check_sentence(row.statement, grounds)
        said.append(("unsupported" if any(not c.supported for c in claims) else "supported",
                     "; ".join(f"{c.kind.value}:{c.value}:{c.reason}" for c in claims)))
    return agreement_of(rows, said, split)


def split_rows(statements: list[Statement], split: str) -> list[Statement]:
    return [s for s in statements if split == "all" or s.split == split]


def agreement_of(rows: list[Statement], said: list[Said], split: str) -> Agreement:
    """Any metric's verdicts on ``rows`` (one per row, in order) against the labels."""
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    flagged_right = flagged = actual = 0
    misses = []
    for row, (verdict, why) in zip(rows, said, strict=True):
        totals[row.route] += 1
        hits[row.route] += verdict == row.label
        actual += row.label == "unsupported"
        flagged += verdict == "unsupported"
        flagged_right += verdict == row.label == "unsupported"
        if verdict != row.label:
            misses.append({"id": row.id, "statement": row.statement, "label": row.label, "metric": why})
    n = len(rows)
    return Agreement(split=split, n=n, unsupported=actual, accuracy=round(sum(hits.values()) / n, 4) if n else 0.0,
                     unsupported_recall=round(flagged_right / actual, 4) if actual else None,
                     unsupported_precision=round(flagged_right / flagged, 4) if flagged else None,
                     by_route={r: round(hits[r] / totals[r], 4) for r in sorted(totals)}, misses=misses)


def write_agreement(path: Path, results: list[Agreement]) -> None:
    path.write_text(json.dumps([r.model_dump() for r in results], ensure_ascii=False, indent=1), encoding="utf-8")
