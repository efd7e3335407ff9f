"""What the generator leans on when the model's output cannot be used as it is: the perfumery core.

The composer replaces an unusable proposal, the critic and ``repair`` fix a usable one that breaks a
rule (IFRA, pyramid, avoided materials), ``finish`` gives a core the shape and traces it lacks, and a template narration
replaces Korean the model failed to write. Keeping this in one object lets every backend share it and tests swap the catalog.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.composer import compose
from perfumery.critic import critique, critiqued
from perfumery.finish import finished
from perfumery.fit import delivered
from perfumery.naming import brief_themes, concept_ko, formula_name, lead_sentence
from perfumery.recipe import Recipe
from perfumery.repair import repair
from prompts import PromptBuilder


class FallbackComposer:
    def __init__(self, catalog: Catalog, builder: PromptBuilder, seed: int = 42) -> None:
        self.catalog = catalog
        self.builder = builder
        self.seed = seed

    def compose(self, brief: Brief, variant: int, candidates: Sequence[str] | None = None) -> Recipe:
        """Variant ``variant`` of the composer's formulas (variants differ in substance, not noise)."""
        pool = list(candidates) if candidates else None
        recipes = compose(brief, self.catalog, candidates=pool, n=variant + 1, seed=self.seed)
        return recipes[-1]

    def check_and_repair(self, recipe: Recipe, brief: Brief) -> tuple[Recipe, list[str]]:
        """The recipe scored by the critic; repaired first if it breaks a rule. Returns the fixes made."""
        named = self._named(recipe, brief)
        verdict = critique(named, self.catalog, brief)
        if not verdict.errors:
            return critiqued(named, self.catalog, brief), []
        fixes = [f"수정: {v.message_ko}" for v in verdict.errors]
        return critiqued(repair(named, self.catalog, brief), self.catalog, brief), fixes

    def finish(self, recipe: Recipe, brief: Brief, candidates: Sequence[str]) -> Recipe:
        """The formula finished where the critic scores it higher (``perfumery.finish``): the composer finishes
        its own formulas so, and a repaired proposal needs it more (an 8-line core, spread thin by repair)."""
        return finished(recipe, self.catalog, brief, candidates)

    def _named(self, recipe: Recipe, brief: Brief) -> Recipe:
        doses = {i.material_id: i.percent for i in recipe.ingredients if i.material_id in self.catalog}
        if recipe.name or not doses:
            return recipe
        rng = random.Random(self.seed + len(doses))
        concept = concept_ko(doses, self.catalog, recipe.concentration, recipe.product, recipe.dilution_percent)
        return recipe.model_copy(update={"name": formula_name(brief_themes(brief, self.catalog), rng),
                                         "concept_ko": concept})

    def delivered(self, recipe: Recipe, brief: Brief) -> Brief:
        """The brief as this formula answers it: a narration speaks only of what can be smelled."""
        doses = {i.material_id: i.percent for i in recipe.ingredients if i.material_id in self.catalog}
        return delivered(brief, doses, self.catalog)

    def narration(self, recipe: Recipe, brief: Brief) -> str:
        doses = {i.material_id: i.percent for i in recipe.ingredients if i.material_id in self.catalog}
        concept = recipe.concept_ko or (concept_ko(doses, self.catalog, recipe.concentration, recipe.product,
                                                   recipe.dilution_percent) if doses else "")
        return self.builder.fallback_narration(self.delivered(recipe, brief), concept)

    def mood_sentence(self, recipe: Recipe, brief: Brief) -> str:
        """The template's opening ("요청하신 커피, 따뜻한 느낌에 맞춘 처방입니다."), naming only what the formula
        delivers; empty when it delivers none of the brief's descriptors."""
        return self.builder.fallback_narration(self.delivered(recipe, brief), "").strip()

    def lead_sentence(self, recipe: Recipe) -> str:
        """The narration's sentence about the lead material and its position, from the formula itself."""
        return lead_sentence(recipe, self.catalog)
