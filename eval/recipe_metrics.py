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
Brief fidelity (does it smell of what was asked?), judged by a descriptor source independent of the tags the
composer composes from (``judge``: a public odor reference; the knowledge base's own tags when none is given):
- headline_perceptible — share of briefs whose every headline descriptor (weight ≥ 0.8) is perceptible in
                    every variant
- avoided_present — share of briefs where a firmly avoided descriptor (weight ≥ 0.8) is a line's main character
                    above a trace in some variant
- judged_fit      — brief fit by the judge's descriptors (mean, and its distribution: min / p10 / median / p90)
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from itertools import combinations
from pathlib import Path
from statistics import mean

import yaml
from pydantic import BaseModel, ConfigDict, Field

from eval.odor_reference import Judge
from perfumery import Brief, Catalog, Recipe, compose, critique
from perfumery.fit import avoided_lines, brief_fit, headlines, perceptible
from perfumery.models import Concentration
from perfumery.similarity import dose_distance

DEFAULT_BRIEFS = Path(__file__).resolve().parent / "data" / "briefs.yaml"
JUDGE_NAME = "IFRA Fragrance Ingredient Glossary 2019 (+ Good Scents), eval/data/odor_reference"


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
    headlines: list[str] = Field(default_factory=list)
    missed_headlines: list[str] = Field(default_factory=list, description="not perceptible in some variant")
    avoided_present: dict[str, list[str]] = Field(default_factory=dict, description="descriptor → lines")
    judged_fit: float = 0.0


class Fidelity(BaseModel):
    """What the judge's descriptors say about one formula."""

    missed: list[str]
    avoided: dict[str, list[str]]
    fit: float


def fidelity(brief: Brief, recipe: Recipe, catalog: Catalog, judge: Judge | None = None) -> Fidelity:
    """Headlines perceptible, firm avoids absent and the fit, in the judge's words (our tags without one)."""
    doses = {i.material_id: i.percent for i in recipe.ingredients if i.material_id in catalog}
    brief = judge.brief(brief) if judge else brief
    seen = perceptible(brief, doses, catalog, judge)
    return Fidelity(missed=[d for d, ok in seen.items() if not ok], avoided=avoided_lines(brief, doses, catalog, judge),
                    fit=brief_fit(brief, doses, catalog, judge))


class FitSpread(BaseModel):
    min: float
    p10: float
    median: float
    p90: float


def spread(values: list[float]) -> FitSpread:
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)

    return FitSpread(min=round(ordered[0], 4), p10=at(0.1), median=at(0.5), p90=at(0.9))


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
    judge: str
    headline_perceptible: float
    avoided_present: float
    judged_fit: float
    judged_fit_spread: FitSpread
    briefs: list[BriefResult]

    def summary(self) -> dict[str, object]:
        return self.model_dump(exclude={"briefs"})


def load_cases(path: Path = DEFAULT_BRIEFS) -> list[BriefCase]:
    return [BriefCase.model_validate(raw) for raw in yaml.safe_load(path.read_text(encoding="utf-8"))]


def diversity(recipes: list[Recipe]) -> float:
    """Mean pairwise dose distance of a set of formulas (0 = all identical, 1 = nothing shared)."""
    doses = [{i.material_id: i.percent for i in r.ingredients} for r in recipes]
    pairs = list(combinations(doses, 2))
    return mean(dose_distance(a, b) for a, b in pairs) if pairs else 0.0


def load_formulas(path: Path) -> dict[str, list[Recipe]]:
    """Formulas per brief id from an earlier run's ``recipes.json``: another version's composer, judged by
    today's critic and judge (a before/after on one yardstick)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {row["id"]: [Recipe.model_validate(r) for r in row["recipes"]] for row in data["briefs"]}


def evaluate(cases: list[BriefCase], catalog: Catalog, variants: int = 3, seed: int = 0,
             judge: Judge | None = None, formulas: Mapping[str, list[Recipe]] | None = None) -> RecipeEvalReport:
    """Compose ``variants`` formulas per case (or take the given ``formulas``) and measure them; ``judge`` is
    the independent descriptor source the fidelity figures are judged by (our own tags when None)."""
    results: list[BriefResult] = []
    judged: list[float] = []
    all_recipes: list[tuple[Recipe, dict]] = []
    first_variants: list[Recipe] = []
    started = time.perf_counter()
    for case in cases:
        brief = case.to_brief()
        recipes = list(formulas[case.id]) if formulas is not None else compose(brief, catalog, n=variants, seed=seed)
        critiques = [critique(r, catalog, brief) for r in recipes]
        all_recipes += [(r, c.score.components | {"total": c.score.total, "compliant": c.compliant,
                                                   "needs_check": c.compliance_status == "needs_check",
                                                   "balanced": c.balanced}) for r, c in zip(recipes, critiques, strict=True)]
        first_variants.append(recipes[0])
        verdicts = [fidelity(brief, r, catalog, judge) for r in recipes]
        judged += [v.fit for v in verdicts]
        avoided: dict[str, list[str]] = {}
        for verdict in verdicts:
            for descriptor, lines in verdict.avoided.items():
                avoided[descriptor] = sorted({*avoided.get(descriptor, []), *lines})
        results.append(BriefResult(
            headlines=headlines(brief), missed_headlines=sorted({d for v in verdicts for d in v.missed}),
            avoided_present=avoided, judged_fit=round(mean(v.fit for v in verdicts), 4),
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
        n_briefs=len(cases), variants=round(len(scores) / max(len(cases), 1)), n_recipes=len(scores),
        structure_score=avg("structure"), feasibility=avg("compliant"), balanced=avg("balanced"),
        brief_fit=avg("brief_fit"), novelty=avg("novelty"),
        diversity=round(mean(r.diversity for r in results), 4),
        diversity_across_briefs=round(diversity(first_variants), 4), avg_quality=avg("total"),
        needs_check=avg("needs_check"), over_max_lines=sum(s.over_max for s in shapes),
        over_typical_lines=sum(s.over_typical for s in shapes),
        top5_share=round(mean(s.top5_share for s in shapes), 4), below_1=round(mean(s.below_1 for s in shapes), 4),
        below_0_1=round(mean(s.below_0_1 for s in shapes), 4),
        mean_materials=round(mean(len(r.ingredients) for r, _ in all_recipes), 2),
        ms_per_recipe=round(elapsed_ms / max(len(scores), 1), 2),
        judge=JUDGE_NAME if judge else "knowledge base tags",
        headline_perceptible=round(mean(not r.missed_headlines for r in results), 4),
        avoided_present=round(mean(bool(r.avoided_present) for r in results), 4),
        judged_fit=round(mean(judged), 4), judged_fit_spread=spread(judged), briefs=results)


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
        (f"headline perceptible (share of briefs; judge: {report.judge})", report.headline_perceptible),
        ("avoided present (share of briefs)", report.avoided_present),
        ("judged brief fit (mean)", report.judged_fit),
        ("judged brief fit min / p10 / median / p90", " / ".join(
            str(v) for v in report.judged_fit_spread.model_dump().values())),
    ]
    lines = [f"# Recipe metrics — {report.n_briefs} briefs × {report.variants} variants = {report.n_recipes} formulas",
             "", "| metric | value |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows), "",
             "## Lowest brief fit", "", "| brief | fit | quality | diversity |", "|---|---|---|---|"]
    for result in sorted(report.briefs, key=lambda r: r.brief_fit)[:10]:
        lines.append(f"| {result.id} — {result.text} | {result.brief_fit} | {result.quality} | {result.diversity} |")
    misses = [r for r in report.briefs if r.missed_headlines or r.avoided_present]
    if misses:
        lines += ["", "## Headlines not perceptible / avoided odors present", "", "| brief | missed | avoided present |",
                  "|---|---|---|"]
        lines += [f"| {r.id} | {', '.join(r.missed_headlines) or '—'} | "
                  f"{'; '.join(f'{d}: ' + ', '.join(m) for d, m in r.avoided_present.items()) or '—'} |" for r in misses]
    failing = [r.id for r in report.briefs if not (r.compliant and r.balanced)]
    lines += ["", f"Non-compliant or unbalanced briefs: {', '.join(failing) if failing else 'none'}", ""]
    return "\n".join(lines)
