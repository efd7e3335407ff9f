"""Generator evaluation: the bare base model vs the fine-tuned adapter, with the composer as reference.

On each dev brief (``eval/data/briefs.yaml``) every system proposes formulas over the same candidate
pool — drawn the way the training data draws it (``perfumery.pool.candidate_pool``) — and narrates
one recipe. Per system:
- valid_rate          — share of proposals whose raw output is exactly the grammar's line with at least MIN_ITEMS pairs
- candidate_adherence — share of proposals that are valid and name only candidates' numbers
- brief_fit, score    — the critic on the model's own formula (amounts normalised, before any repair);
                        an unusable proposal counts 0
- headline_perceptible — share of proposals whose every headline descriptor is perceptible, judged by the
                        independent odor reference (``eval.odor_reference``), as ``hyanggi eval recipes`` does
- reads_names         — with ``reorder``: a second proposal per brief over the same candidates in another order;
                        how much the two pick the same materials, how much they write the same numbers, and what
                        two random picks of those sizes would share. A model that reads the names keeps its
                        materials; one that learned positions keeps its numbers (issue 31)
- tokens_per_s, proposal_s — decoding speed and wall time of a proposal
- narration_p50_s, first_token_p50_s — streamed narration latency; hangul_share, repetition_rate
  — the Korean fluency proxy; outcomes — ok / repaired / fallback counts over all calls
- delivered           — per brief, the formula the chat would get from this system (after repair), as the
                        critic scores it; ``versus`` compares two systems on these: in what share of briefs it
                        ``beats`` the composer — a higher total without falling below it on IFRA compliance or dose
                        realism (``perfumery.critic.GUARDED``), the rule by which the chat's critic node picks — and
                        in how many briefs it is below on those at all
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from statistics import mean, median

from pydantic import BaseModel, Field

from agent.generators import Generator, RecipeDraft
from agent.generators.parsing import proposal_pairs
from agent.generators.text_quality import hangul_share, repetition_rate
from eval.odor_reference import load_judge
from eval.recipe_metrics import BriefCase, fidelity, load_cases
from knowledge.kb import KnowledgeBase
from perfumery import critique
from perfumery.critic import holds_ground
from perfumery.pool import candidate_pool
from perfumery.recipe import ScoreCard
from prompts import MIN_ITEMS


class Versus(BaseModel):
    briefs: int
    beats: float = Field(description="share of briefs where the system's total is above the other's and it holds its "
                                     "ground on compliance and dose realism: where the critic node would pick it")
    higher_total: float = Field(description="share of briefs where its total is above the other's, guard aside")
    below_guarded: int = Field(description="briefs where it is below the other on compliance or dose realism")


def versus(system: SystemReport, other: SystemReport) -> Versus:
    """``system`` against ``other`` brief by brief, on the formulas each delivered."""
    shared = sorted(set(system.delivered) & set(other.delivered))
    pairs = [(system.delivered[b], other.delivered[b]) for b in shared]
    higher = sum(mine.total > theirs.total for mine, theirs in pairs)
    beats = sum(mine.total > theirs.total and holds_ground(mine, theirs) for mine, theirs in pairs)
    below = sum(not holds_ground(mine, theirs) for mine, theirs in pairs)
    n = len(shared) or 1  # no shared brief: every count is 0
    return Versus(briefs=len(shared), beats=round(beats / n, 4), higher_total=round(higher / n, 4),
                  below_guarded=below)


class NameReading(BaseModel):
    """Two proposals per brief over the same candidates in two orders, compared (mean Jaccard over briefs)."""

    materials: float = Field(description="materials both proposals picked; 1.0: the order changes nothing")
    numbers: float | None = Field(description="candidate numbers both wrote; None for a system that writes none")
    chance: float = Field(description="what two random picks of the same sizes from the same candidates share")


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def chance_jaccard(a: int, b: int, n: int) -> float:
    """Expected share of two random picks of ``a`` and ``b`` from ``n`` (the overlap's mean over the union's)."""
    shared = a * b / n if n else 0.0
    return shared / (a + b - shared) if a + b - shared > 0 else 1.0


class SystemReport(BaseModel):
    n_briefs: int
    n_proposals: int
    valid_rate: float
    candidate_adherence: float
    brief_fit: float
    score: float
    headline_perceptible: float = 0.0
    tokens_per_s: float
    proposal_s: float
    narration_p50_s: float
    first_token_p50_s: float
    hangul_share: float
    repetition_rate: float
    outcomes: dict[str, int] = Field(default_factory=dict)
    delivered: dict[str, ScoreCard] = Field(default_factory=dict, description="per brief id: the best formula "
                                            "delivered after repair, as the critic scored it")
    reads_names: NameReading | None = Field(default=None, description="with reorder: does it read names or numbers")
    samples: list[dict] = Field(default_factory=list, description="a few raw outputs, for reading.")


def _valid_pairs(raw: str) -> list[tuple[int, str]] | None:
    pairs = proposal_pairs(raw)
    return pairs if pairs is not None and len(pairs) >= MIN_ITEMS else None


def evaluate_system(generator: Generator, cases: Sequence[BriefCase], kb: KnowledgeBase, n: int = 1,
                    seed: int = 42, keep_samples: int = 3, reorder: bool = False,
                    on_case: Callable[[str], None] | None = None) -> SystemReport:
    catalog = kb.catalog
    judge = load_judge({key: d.family.value for key, d in kb.descriptors.items()})
    heard: list[bool] = []
    valid = adherent = 0
    fits: list[float] = []
    scores: list[float] = []
    speeds: list[float] = []
    seconds: list[float] = []
    narration_s: list[float] = []
    first_token: list[float] = []
    hangul: list[float] = []
    repetition: list[float] = []
    outcomes: Counter[str] = Counter()
    samples: list[dict] = []
    delivered: dict[str, ScoreCard] = {}
    orders: list[tuple[float, float | None, float]] = []
    for case in cases:
        brief = case.to_brief()
        pool = candidate_pool(brief, catalog, random.Random(f"{seed}:{case.id}"))
        candidates = [catalog.material(m) for m in pool]
        drafts = generator.propose(brief, candidates, n)
        best = max((d.recipe.score for d in drafts if d.recipe.score), key=lambda card: card.total, default=None)
        if best is not None:
            delivered[case.id] = best
        for draft in drafts:
            record = draft.record
            outcomes[f"propose_{record.outcome.value}"] += 1
            if generator.backend == "composer":
                valid += 1
                adherent += all(i.material_id in pool for i in draft.recipe.ingredients)
            elif (pairs := _valid_pairs(record.raw_output)) is not None:
                valid += 1
                adherent += all(1 <= k <= len(pool) for k, _ in pairs)
            if draft.proposed is not None:
                verdict = critique(draft.proposed, catalog, brief)
                fits.append(verdict.score.components.get("brief_fit", 0.0))
                scores.append(verdict.score.total)
                heard.append(not fidelity(brief, draft.proposed, catalog, judge).missed)
            else:
                fits.append(0.0)
                scores.append(0.0)
                heard.append(False)
            if record.completion_tokens:
                speeds.append(record.tokens_per_s)
            seconds.append(record.seconds)
        narration = generator.narrate(drafts[0].recipe, brief)
        start = time.perf_counter()
        first: float | None = None
        for _ in narration:
            if first is None:
                first = time.perf_counter() - start
        narration_s.append(time.perf_counter() - start)
        first_token.append(first if first is not None else narration_s[-1])
        text = narration.text
        hangul.append(hangul_share(text))
        repetition.append(repetition_rate(text))
        if narration.record is not None:
            outcomes[f"narrate_{narration.record.outcome.value}"] += 1
        if len(samples) < keep_samples:
            samples.append({"brief": case.id, "proposal": drafts[0].record.raw_output, "narration": text})
        if reorder:
            order = random.Random(f"{seed}:{case.id}:order").sample(pool, len(pool))
            again = generator.propose(brief, [catalog.material(m) for m in order], 1)[0]
            orders.append(_orders(drafts[0], again, pool))
        if on_case:
            on_case(case.id)
    total = max(1, len(cases) * n)
    return SystemReport(
        n_briefs=len(cases), n_proposals=len(cases) * n, valid_rate=round(valid / total, 4),
        candidate_adherence=round(adherent / total, 4), brief_fit=round(mean(fits), 4) if fits else 0.0,
        score=round(mean(scores), 4) if scores else 0.0,
        headline_perceptible=round(mean(heard), 4) if heard else 0.0,
        tokens_per_s=round(mean(speeds), 2) if speeds else 0.0,
        proposal_s=round(mean(seconds), 3) if seconds else 0.0,
        narration_p50_s=round(median(narration_s), 3) if narration_s else 0.0,
        first_token_p50_s=round(median(first_token), 3) if first_token else 0.0,
        hangul_share=round(mean(hangul), 4) if hangul else 0.0,
        repetition_rate=round(mean(repetition), 4) if repetition else 0.0,
        outcomes=dict(sorted(outcomes.items())), delivered=delivered, samples=samples,
        reads_names=NameReading(
            materials=round(mean(o[0] for o in orders), 4),
            numbers=round(mean(numbers), 4) if (numbers := [o[1] for o in orders if o[1] is not None]) else None,
            chance=round(mean(o[2] for o in orders), 4)) if orders else None,
    )


def _orders(first: RecipeDraft, second: RecipeDraft, pool: Sequence[str]) -> tuple[float, float | None, float]:
    """(materials shared, numbers shared or None, chance) for two proposals over one pool in two orders; the
    chance draws from the pool and whatever else they picked (the composer brings carriers from outside)."""
    picked = [{i.material_id for i in d.proposed.ingredients} if d.proposed else set() for d in (first, second)]
    written = [proposal_pairs(d.record.raw_output) for d in (first, second)]
    numbers = (jaccard(*({k for k, _ in pairs} for pairs in written))
               if all(pairs is not None for pairs in written) else None)
    drawn = len(set(pool) | picked[0] | picked[1])
    return jaccard(*picked), numbers, chance_jaccard(len(picked[0]), len(picked[1]), drawn)


def load_dev_cases(limit: int | None = None) -> list[BriefCase]:
    cases = load_cases()
    return cases[:limit] if limit else cases


EVAL_MARKER = "## Evaluation"


def card_section(reports: dict[str, SystemReport], adapter_sha256: str, command: str, threads: int) -> str:
    """The model card's evaluation section (tied to the adapter by its hash)."""
    keys = ["valid_rate", "candidate_adherence", "brief_fit", "score", "headline_perceptible", "tokens_per_s",
            "proposal_s",
            "narration_p50_s", "first_token_p50_s", "hangul_share", "repetition_rate"]
    header = "| metric | " + " | ".join(reports) + " |\n|---|" + "---|" * len(reports)
    rows = "\n".join(f"| {k} | " + " | ".join(str(getattr(r, k)) for r in reports.values()) + " |" for k in keys)
    outcomes = "\n".join(f"- {name}: {json.dumps(r.outcomes)}" for name, r in reports.items())
    briefs = max((r.n_briefs for r in reports.values()), default=0)
    return f"""{EVAL_MARKER}

Adapter sha256 `{adapter_sha256[:16]}…`; measured with `{command}` on {briefs} of this repository's dev
briefs (`eval/data/briefs.yaml`), llama.cpp with {threads} thread(s), on a shared 2-core CPU.

{header}
{rows}

Outcomes (ok / repaired / fallback):
{outcomes}
"""


def write_card_section(card: Path, section: str) -> None:
    text = card.read_text(encoding="utf-8") if card.is_file() else ""
    if EVAL_MARKER in text:
        text = text[: text.index(EVAL_MARKER)].rstrip() + "\n"
    card.write_text(text + "\n" + section, encoding="utf-8")
