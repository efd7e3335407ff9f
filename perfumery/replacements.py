"""Replacements for one line of a formula, with the reasons a perfumer would weigh, and applying one.

Candidates are the materials most like the original (descriptor profile, same note position first) that may
be composed in this product. Each says what it shares, where it sits, how strong it is, what it costs and
its IFRA standing, with the usual doses side by side so the perfumer can judge strength. Applying one is
the ordinary substitute edit: the newcomer takes the line up to its ceiling, carriers take the rest.
"""

from __future__ import annotations

from pydantic import BaseModel

from perfumery.batch import TIER_LABEL_KO
from perfumery.catalog import Catalog
from perfumery.critic import pct
from perfumery.edits import EditError, EditOp, Substitute
from perfumery.ifra import ifra_status_ko
from perfumery.recipe import Recipe
from perfumery.vocabulary import POSITION_KO


class Replacement(BaseModel):
    material_id: str
    name_ko: str
    similarity: float
    percent: float
    shared_descriptors: list[str]
    reasons_ko: list[str]


def _dose(recipe: Recipe, catalog: Catalog, original: str, candidate: str) -> float:
    """What the substitute edit gives the newcomer: the original's dose, as far as its ceiling allows."""
    ceiling = catalog.ceiling(candidate, recipe.dilution_percent, recipe.category)
    return round(min(recipe.percent_of(original), ceiling), 2)


def replacements(recipe: Recipe, material_id: str, catalog: Catalog, k: int = 5) -> list[Replacement]:
    """Up to ``k`` materials that could take ``material_id``'s place in this formula, best first."""
    if material_id not in catalog:
        raise EditError(f"'{material_id}'은(는) 재료 목록에 없어 대체재를 찾을 수 없어요.")
    if recipe.percent_of(material_id) <= 0:
        raise EditError(f"{catalog.material(material_id).name_ko}은(는) 이 레시피에 없어요.")
    original = catalog.material(material_id)
    category, load = recipe.category, recipe.dilution_percent
    nearest = catalog.nearest_materials(
        catalog.vector(material_id), k=k, exclude={i.material_id for i in recipe.ingredients}, note=original.note,
        allowed=lambda m: catalog.composable(m, category) and catalog.ceiling(m, load, category) > 0)
    found = []
    for candidate, score in nearest:
        material = catalog.material(candidate)
        shared = [d for d in material.descriptors if d in original.descriptors]
        dose = _dose(recipe, catalog, material_id, candidate)
        cost = material.cost_tier - original.cost_tier
        reasons = [
            f"공통 향 특징: {', '.join(shared)}" if shared else "공통 특징은 없지만 향 계열이 가깝습니다",
            f"{POSITION_KO[material.note]} 노트" + (" (같은 자리)" if material.note == original.note else
                                                   f" ({POSITION_KO[original.note]} 노트 자리를 옮김)"),
            f"세기: {material.impact_class.value} (원래 {original.impact_class.value}), 통상 "
            f"{pct(material.typical_dose)}% (원래 {pct(original.typical_dose)}%) → 넣을 비율 {pct(dose)}%",
            f"가격: {TIER_LABEL_KO[material.cost_tier]}" + ("" if not cost else " (더 비쌈)" if cost > 0 else " (더 저렴)"),
            f"IFRA: {ifra_status_ko(catalog.ifra_status(candidate, category), catalog.ifra_amendment)}",
        ]
        found.append(Replacement(material_id=candidate, name_ko=material.name_ko, similarity=round(score, 3),
                                 percent=dose, shared_descriptors=shared, reasons_ko=reasons))
    return found


def replacement_ops(recipe: Recipe, material_id: str, replacement: str, catalog: Catalog) -> list[EditOp]:
    """The edit that applies a replacement: the newcomer takes the line, carriers of its position rebalance."""
    if replacement not in catalog:
        raise EditError(f"'{replacement}'은(는) 재료 목록에 없어요.")
    if recipe.percent_of(material_id) <= 0:
        raise EditError(f"'{material_id}'은(는) 이 레시피에 없어요.")
    return [Substitute(material_id=material_id, replacement=replacement)]
