"""Check a formula: the critic's whole verdict, grouped the way a perfumer reads a check — IFRA (by the
product's category, each Standard summed over every line, "확인 필요" never compliant), EU allergens, dose
realism, fit to a brief, and the craft of the formula itself."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from perfumery import Brief, Catalog, Recipe, critique
from perfumery.documents import AllergenDeclaration, IfraSummary, allergen_declaration, ifra_summary
from perfumery.recipe import NearestReference, ScoreCard, Severity, Violation, ViolationCode
from tools.fields import FormulaInput


class CheckGroup(StrEnum):
    """Where each of the critic's rules is reported in a check."""

    ifra = "ifra"  # IFRA Standards and what cosmetics law bans
    allergens = "allergens"  # EU allergen labelling
    dose = "dose"  # doses above a material's sourced maximum
    brief = "brief"  # what the brief asked for and ruled out
    craft = "craft"  # the formula as a formula: sum, count, pyramid, clashes, near copies


GROUP_OF: dict[ViolationCode, CheckGroup] = {
    ViolationCode.ifra_cap: CheckGroup.ifra,
    ViolationCode.ifra_prohibited: CheckGroup.ifra,
    ViolationCode.ifra_unknown: CheckGroup.ifra,
    ViolationCode.law_prohibited: CheckGroup.ifra,
    ViolationCode.allergen_label: CheckGroup.allergens,
    ViolationCode.dose_over_max: CheckGroup.dose,
    ViolationCode.avoided_material: CheckGroup.brief,
    ViolationCode.avoided_descriptor: CheckGroup.brief,
    ViolationCode.headline_missing: CheckGroup.brief,
    ViolationCode.must_include_missing: CheckGroup.brief,
    ViolationCode.empty_formula: CheckGroup.craft,
    ViolationCode.unknown_material: CheckGroup.craft,
    ViolationCode.duplicate_material: CheckGroup.craft,
    ViolationCode.sum_not_100: CheckGroup.craft,
    ViolationCode.material_count: CheckGroup.craft,
    ViolationCode.pyramid_band: CheckGroup.craft,
    ViolationCode.family_clash: CheckGroup.craft,
    ViolationCode.near_reference: CheckGroup.craft,
}


class CheckRequest(FormulaInput):
    brief: str | None = Field(default=None, description="요청 문장; 주면 요청 부합도와 피할 것·꼭 넣을 것도 점검합니다")


class FormulaCheck(BaseModel):
    recipe_id: str
    version: int
    score: ScoreCard = Field(description="비평가의 점수 (구성요소별, 0–1)")
    acceptable: bool = Field(description="오류(error) 등급 위반이 하나도 없음: 이대로 내놓을 수 있는 처방")
    ifra: IfraSummary = Field(description="제품 카테고리·부향률 기준 IFRA 요약 (Standard 마다 합산); status 는 "
                                          "compliant | non_compliant | needs_check — 수치가 없거나 모르는 재료가 있으면 "
                                          "needs_check, 결코 compliant 가 아님")
    allergens: AllergenDeclaration = Field(description="EU 알레르기 유발 성분 표시 (2023/1545)")
    brief_fit: float | None = Field(description="요청 부합도 (brief 를 준 경우)")
    violations: dict[CheckGroup, list[Violation]] = Field(description="위반 사항, 묶음별 (ifra·allergens·dose·brief·craft)")
    nearest_reference: NearestReference | None = None


def check(recipe: Recipe, catalog: Catalog, brief: Brief | None = None) -> FormulaCheck:
    """The critic's verdict on ``recipe`` (against ``brief`` when given), with the IFRA summary and the
    allergen declaration the documents print — all read from the same critique."""
    verdict = critique(recipe, catalog, brief)
    grouped: dict[CheckGroup, list[Violation]] = {group: [] for group in CheckGroup}
    for violation in verdict.violations:
        grouped[GROUP_OF[violation.code]].append(violation)
    return FormulaCheck(
        recipe_id=recipe.id, version=recipe.version, score=verdict.score,
        acceptable=not any(v.severity == Severity.error for v in verdict.violations),
        ifra=ifra_summary(recipe, catalog),
        allergens=allergen_declaration(recipe, catalog),
        brief_fit=verdict.score.components.get("brief_fit"), violations=grouped,
        nearest_reference=verdict.nearest_reference)
