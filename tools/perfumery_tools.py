"""Formula tools: compose, critique, repair, edit, IFRA check, batch scaling and cost."""

from __future__ import annotations

from langchain_core.tools import BaseTool, StructuredTool

from perfumery import (
    BatchSheet,
    Brief,
    Catalog,
    CostEstimate,
    EditOp,
    Recipe,
    compose,
    critique,
    critiqued,
    edit,
    estimate_cost,
    repair,
    scale_batch,
)
from perfumery.batch import BatchBasis
from perfumery.recipe import Violation

COMPLIANCE_CODES = frozenset({"ifra_prohibited", "ifra_cap", "ifra_unknown", "law_prohibited", "allergen_label"})


def perfumery_tools(catalog: Catalog) -> list[BaseTool]:
    def compose_formulas(brief: Brief, candidates: list[str] | None = None, n: int = 3,
                         seed: int = 0) -> list[Recipe]:
        """브리프로 향수 처방 n개 조합 (deterministic composer; candidates = allowed material ids)."""
        return compose(brief, catalog, candidates, n=n, seed=seed)

    def critique_formula(recipe: Recipe, brief: Brief | None = None) -> Recipe:
        """처방 평가: 점수 구성요소, 위반 사항과 한국어 수정 제안, 가장 가까운 기존 향수."""
        return critiqued(recipe, catalog, brief)

    def repair_formula(recipe: Recipe, brief: Brief | None = None) -> Recipe:
        """처방 자동 수정: IFRA 한도, 피라미드 균형, 합계 100% (idempotent)."""
        return repair(recipe, catalog, brief)

    def edit_formula(recipe: Recipe, op: EditOp) -> Recipe:
        """처방 수정 연산 하나 적용 (set %, add, remove, substitute, shift, concentration) → 새 버전."""
        return edit(recipe, op, catalog)

    def ifra_check(recipe: Recipe) -> list[Violation]:
        """IFRA 한도(제품 카테고리별, 성분 합산)·금지·확인 필요 성분과 EU 알레르기 표시 대상만 점검."""
        return [v for v in critique(recipe, catalog).violations if v.code in COMPLIANCE_CODES]

    def scale_formula(recipe: Recipe, grams: float) -> BatchSheet:
        """완제품 g 기준 배합표 (향료와 제품 베이스: 향수는 에탄올·정제수)."""
        return scale_batch(recipe, grams, catalog, BatchBasis.product)

    def estimate_formula_cost(recipe: Recipe) -> CostEstimate:
        """처방의 상대 원가 추정."""
        return estimate_cost(recipe, catalog)

    return [StructuredTool.from_function(f) for f in (compose_formulas, critique_formula, repair_formula,
                                                       edit_formula, ifra_check, scale_formula,
                                                       estimate_formula_cost)]
