"""Recipe metrics: run the dev briefs through the composer and measure what a perfumer would check.

Figures per run (means over every composed formula unless noted):
- structure_score — the critic's structure component (valid ids, sums to 100, 8–25 materials, typical ranges)
- feasibility     — share of formulas IFRA-compliant: no breach, no prohibited material, no missing figure
- balanced        — share of formulas whose pyramid sits inside the bands
- brief_fit       — dose- and weight-aware coverage of the brief's descriptors, minus avoided ones
- novelty         — 1 − similarity to the nearest reference perfume
- diversity       — mean pairwise distance (1 − weighted Jaccard of doses) between the variants of one
                    brief, averaged over briefs; ``diversity_across_briefs`` does the same across briefs
- avg_quality     — the critic's total score
Dose realism (what a perfumer sees first), over every composed formula:
- over_max_lines / over_typical_lines — lines above the material's typical maximum / usual dose (counts)
- top5_share      — share of the concentrate held by the five largest lines
- below_1 / below_0_1 — share of lines under 1 % / under 0.1 % of the concentrate
- needs_check     — share of formulas whose IFRA verdict is "확인 필요" (a figure is missing)
"""

from __future__ import annotations

import time
from itertools import combinations
from pathlib import Path
from statistics import mean

import yaml
from pydantic import BaseModel, ConfigDict, Field

from perfumery import Brief, Catalog, Recipe, compose, critique
from perfumery.models import Concentration
from perfumery.similarity import dose_distance

DEFAULT_BRIEFS = Path(__file__).resolve().parent / "data" / "briefs.yaml"


class BriefCase(BaseModel):
    """One dev-set request: the Korean text and the perfumer's reading of it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    descriptors: dict[str, float]
    avoid: dict[str, float] = Field(default_factory=dict)
    concentration: Concentration = Concentration.EDP
    season: str | None = None
    occasion: str | None = None
    intensity: float = 0.5
    style: str = "unisex"
    budget_tier: int = 3

    def to_brief(self) -> Brief:
        return Brief(descriptors=self.descriptors, avoid_descriptors=self.avoid, concentration=self.concentration,
                     season=self.season, occasion=self.occasion, intensity=self.intensity, style=self.style,
                     budget_tier=self.budget_tier, text=self.text)


class DoseShape(BaseModel):
    """How a formula's doses are spread, as a perfumer reads a formula sheet."""

    over_max: int
    over_typical: int
    top5_share: float
    below_1: float
    below_0_1: float


def dose_shape(recipe: Recipe, catalog: Catalog) -> DoseShape:
    doses = {i.material_id: i.percent for i in recipe.ingredients if i.material_id in catalog}
    ranked = sorted(doses.values(), reverse=True)
    total = sum(ranked) or 1.0
    return DoseShape(
        over_max=sum(1 for m, p in doses.items() if p > catalog.material(m).use_max + 0.01),
        over_typical=sum(1 for m, p in doses.items() if p > catalog.material(m).typical_dose + 0.01),
        top5_share=sum(ranked[:5]) / total,
        below_1=sum(1 for p in ranked if p < 1.0) / max(len(ranked), 1),
        below_0_1=sum(1 for p in ranked if p < 0.1) / max(len(ranked), 1))


class BriefResult(BaseModel):
    id: str
    text: str
    recipes: list[dict]
    brief_fit: float
    quality: float
    diversity: float
    compliant: bool
    balanced: bool


class RecipeEvalReport(BaseModel):
    n_briefs: int
    variants: int
    n_recipes: int
    structure_score: float
    feasibility: float
    balanced: float
    brief_fit: float
    novelty: float
    diversity: float
    diversity_across_briefs: float
    avg_quality: float
    needs_check: float
    over_max_lines: int
    over_typical_lines: int
    top5_share: float
    below_1: float
    below_0_1: float
    mean_materials: float
    ms_per_recipe: float
    briefs: list[BriefResult]

    def summary(self) -> dict[str, float]:
        return self.model_dump(exclude={"briefs"})


def load_cases(path: Path = DEFAULT_BRIEFS) -> list[BriefCase]:
    return [BriefCase.model_validate(raw) for raw in yaml.safe_load(path.read_text(encoding="utf-8"))]


def diversity(recipes: list[Recipe]) -> float:
    """Mean pairwise dose distance of a set of formulas (0 = all identical, 1 = nothing shared)."""
    doses = [{i.material_id: i.percent for i in r.ingredients} for r in recipes]
    pairs = list(combinations(doses, 2))
    return mean(dose_distance(a, b) for a, b in pairs) if pairs else 0.0


def evaluate(cases: list[BriefCase], catalog: Catalog, variants: int = 3, seed: int = 0) -> RecipeEvalReport:
    results: list[BriefResult] = []
    all_recipes: list[tuple[Recipe, dict]] = []
    first_variants: list[Recipe] = []
    started = time.perf_counter()
    for case in cases:
        brief = case.to_brief()
        recipes = compose(brief, catalog, n=variants, seed=seed)
        critiques = [critique(r, catalog, brief) for r in recipes]
        all_recipes += [(r, c.score.components | {"total": c.score.total, "compliant": c.compliant,
                                                   "needs_check": c.compliance_status == "needs_check",
                                                   "balanced": c.balanced}) for r, c in zip(recipes, critiques, strict=True)]
        first_variants.append(recipes[0])
        results.append(BriefResult(
            id=case.id, text=case.text, recipes=[r.to_contract() for r in recipes],
            brief_fit=round(mean(c.score.components["brief_fit"] for c in critiques), 4),
            quality=round(mean(c.score.total for c in critiques), 4),
            diversity=round(diversity(recipes), 4),
            compliant=all(c.compliant for c in critiques), balanced=all(c.balanced for c in critiques)))
    elapsed_ms = (time.perf_counter() - started) * 1000
    scores = [s for _, s in all_recipes]
    shapes = [dose_shape(r, catalog) for r, _ in all_recipes]

    def avg(key: str) -> float:
        return round(mean(float(s[key]) for s in scores), 4)

    return RecipeEvalReport(
        n_briefs=len(cases), variants=variants, n_recipes=len(scores),
        structure_score=avg("structure"), feasibility=avg("compliant"), balanced=avg("balanced"),
        brief_fit=avg("brief_fit"), novelty=avg("novelty"),
        diversity=round(mean(r.diversity for r in results), 4),
        diversity_across_briefs=round(diversity(first_variants), 4), avg_quality=avg("total"),
        needs_check=avg("needs_check"), over_max_lines=sum(s.over_max for s in shapes),
        over_typical_lines=sum(s.over_typical for s in shapes),
        top5_share=round(mean(s.top5_share for s in shapes), 4), below_1=round(mean(s.below_1 for s in shapes), 4),
        below_0_1=round(mean(s.below_0_1 for s in shapes), 4),
        mean_materials=round(mean(len(r.ingredients) for r, _ in all_recipes), 2),
        ms_per_recipe=round(elapsed_ms / max(len(scores), 1), 2), briefs=results)


def to_markdown(report: RecipeEvalReport) -> str:
    rows = [
        ("structure_score", report.structure_score), ("feasibility (IFRA-compliant share)", report.feasibility),
        ("balanced (pyramid in bands)", report.balanced), ("brief_fit", report.brief_fit),
        ("IFRA needs check (share)", report.needs_check),
        ("lines above the material's maximum", report.over_max_lines),
        ("lines above the material's usual dose", report.over_typical_lines),
        ("share held by the five largest lines", report.top5_share),
        ("share of lines below 1 % / 0.1 %", f"{report.below_1} / {report.below_0_1}"),
        ("novelty", report.novelty), ("diversity (within brief)", report.diversity),
        ("diversity (across briefs)", report.diversity_across_briefs), ("avg_quality", report.avg_quality),
        ("mean materials per formula", report.mean_materials), ("ms per formula (compose+critique)",
                                                                  report.ms_per_recipe),
    ]
    lines = [f"# Recipe metrics — {report.n_briefs} briefs × {report.variants} variants = {report.n_recipes} formulas",
             "", "| metric | value |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows), "",
             "## Lowest brief fit", "", "| brief | fit | quality | diversity |", "|---|---|---|---|"]
    for result in sorted(report.briefs, key=lambda r: r.brief_fit)[:10]:
        lines.append(f"| {result.id} — {result.text} | {result.brief_fit} | {result.quality} | {result.diversity} |")
    failing = [r.id for r in report.briefs if not (r.compliant and r.balanced)]
    lines += ["", f"Non-compliant or unbalanced briefs: {', '.join(failing) if failing else 'none'}", ""]
    return "\n".join(lines)
