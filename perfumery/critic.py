"""The critic: scores any formula (the LLM's, the composer's or a person's) and explains what to fix.

Each component is 0..1 and named, so the design loop and the user both see *why* a score is low.
Violations carry a Korean explanation and a concrete fix with numbers a perfumer can act on — and, where
the fix is a change of dose, the same advice as ``Fix`` actions the design loop applies.

The total is the geometric mean of the craft (the weighted mean of every other component) and the brief
fit: a well-made formula that misses what was asked cannot score high (craft 0.95 with fit 0.45 → 0.65).
"""

from __future__ import annotations

import math
from collections import defaultdict
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from perfumery.allergens import allergen_lines, threshold_percent
from perfumery.batch import estimate_cost
from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.fit import (
    TRACE_PRESENCE,
    avoided_lines,
    avoided_presence,
    brief_fit,
    character,
    dose_to_perceive,
    headline_sources,
    is_avoided,
    perceptible,
)
from perfumery.ifra import PRODUCTS, CheckStatus, IfraStatus
from perfumery.models import FAMILY_KO, NotePosition
from perfumery.naming import instrumental
from perfumery.pyramid import PyramidBands
from perfumery.recipe import Fix, NearestReference, Recipe, ScoreCard, Severity, Violation, ViolationCode
from perfumery.similarity import cosine
from perfumery.vocabulary import POSITION_KO

MIN_MATERIALS, MAX_MATERIALS = 8, 25
SUM_TOLERANCE = 0.01
NEAR_COPY_SIMILARITY = 0.9
AVOID_FLAG = 0.4  # presence × how strongly the brief avoids it: "a little citrus" may stay, "no sweetness" may not
ERROR_SCORE_CEILING = 0.6  # a formula that breaks a hard rule never passes the design loop's threshold
# Families that fight when both are prominent (share of odor impact).
CLASHES = (("marine", "animalic"), ("marine", "gourmand"), ("marine", "leather"))
CLASH_SHARE = 0.05  # share of odor presence (dose relative to usual dose)


class ComplianceStatus(StrEnum):
    compliant = "compliant"
    non_compliant = "non_compliant"
    needs_check = "needs_check"


COMPLIANCE_KO = {ComplianceStatus.compliant: "준수", ComplianceStatus.non_compliant: "위반",
                 ComplianceStatus.needs_check: "확인 필요"}
BREACH_CODES = frozenset({ViolationCode.ifra_cap, ViolationCode.ifra_prohibited, ViolationCode.law_prohibited})
UNKNOWN_CODES = frozenset({ViolationCode.ifra_unknown})


# The components on which a model's proposal may never lose to the composer's formula it competes with: the law
# and the physics of a formula, which a higher total must not buy (issue 31). The critic node, the RFT reward and
# ``hyanggi eval generator`` read this one tuple.
GUARDED = ("compliance", "dose_realism")


def holds_ground(card: ScoreCard, reference: ScoreCard) -> bool:
    """Whether ``card`` is at least ``reference`` on every ``GUARDED`` component (a missing one counts 0)."""
    return all(card.components.get(c, 0.0) >= reference.components.get(c, 0.0) for c in GUARDED)


def compliance_status(violations: list[Violation]) -> ComplianceStatus:
    """A breach outranks a missing figure; a missing figure is never reported as compliant."""
    codes = {v.code for v in violations}
    if codes & BREACH_CODES:
        return ComplianceStatus.non_compliant
    if codes & UNKNOWN_CODES:
        return ComplianceStatus.needs_check
    return ComplianceStatus.compliant


class CriticWeights(BaseModel):
    """Weight of each component in the total; components without data (no brief) drop out."""

    model_config = ConfigDict(extra="forbid")

    structure: float = Field(default=0.12, ge=0)
    balance: float = Field(default=0.12, ge=0)
    compliance: float = Field(default=0.18, ge=0)
    dose_realism: float = Field(default=0.12, ge=0)
    brief_fit: float = Field(default=0.18, ge=0)
    harmony: float = Field(default=0.10, ge=0)
    novelty: float = Field(default=0.07, ge=0)
    complexity: float = Field(default=0.06, ge=0)
    cost: float = Field(default=0.05, ge=0)


class Critique(BaseModel):
    score: ScoreCard
    violations: list[Violation] = Field(default_factory=list)
    nearest_reference: NearestReference | None = None

    @property
    def errors(self) -> list[Violation]:
        return [v for v in self.violations if v.severity == Severity.error]

    @property
    def fixes(self) -> list[Fix]:
        """Every fix the critic can state as a change of dose, in the order of its violations."""
        return [fix for v in self.violations for fix in v.fixes]

    @property
    def compliant(self) -> bool:
        """No IFRA breach, no prohibited material and no missing figure: only then may we say compliant."""
        return self.compliance_status == ComplianceStatus.compliant

    @property
    def compliance_status(self) -> ComplianceStatus:
        return compliance_status(self.violations)

    @property
    def balanced(self) -> bool:
        return not any(v.code == ViolationCode.pyramid_band for v in self.violations)


def pct(value: float) -> str:
    """A percent figure as a perfumer writes it: 0.55, 8, 12.5."""
    text = f"{value:.3f}" if 0 < abs(value) < 0.01 else f"{value:.2f}"
    return text.rstrip("0").rstrip(".")


def critique(recipe: Recipe, catalog: Catalog, brief: Brief | None = None,
             weights: CriticWeights | None = None, bands: PyramidBands | None = None) -> Critique:
    weights = weights or CriticWeights()
    bands = bands or PyramidBands()
    violations: list[Violation] = []
    known = {i.material_id: 0.0 for i in recipe.ingredients if i.material_id in catalog}
    for ing in recipe.ingredients:
        if ing.material_id in known:
            known[ing.material_id] += ing.percent
    doses = {m: p for m, p in known.items() if p > 0}

    components = {
        "structure": _structure(recipe, catalog, violations),
        "balance": _balance(recipe, catalog, bands, violations),
        "compliance": _compliance(recipe, catalog, doses, violations),
        "dose_realism": _dose_realism(recipe, catalog, doses, violations),
        "harmony": _harmony(catalog, doses, violations),
        "complexity": _complexity(catalog, doses),
    }
    nearest = _nearest_reference(catalog, doses)
    components["novelty"] = 1.0 - nearest.similarity if nearest else 1.0
    if nearest and nearest.similarity >= NEAR_COPY_SIMILARITY:
        violations.append(Violation(code=ViolationCode.near_reference, severity=Severity.info,
                                    message_ko=f"기존 향수 {nearest.name}와(과) 매우 비슷합니다 (유사도 {nearest.similarity:.2f}).",
                                    fix_ko="주요 재료 한두 가지를 바꾸거나 비율을 달리해 개성을 더하세요."))
    cost = estimate_cost(recipe, catalog)
    budget = brief.budget_tier if brief else 3
    components["cost"] = 1.0 if cost.mean_tier <= budget else max(0.0, 1.0 - (cost.mean_tier - budget) / 2)
    if brief is not None:
        components["brief_fit"] = brief_fit(brief, doses, catalog)
        _brief_rules(recipe, brief, catalog, doses, violations)

    total = _total(components, weights)
    if any(v.severity == Severity.error for v in violations):
        total = min(total, ERROR_SCORE_CEILING)
    return Critique(score=ScoreCard(total=round(total, 4), components={k: round(v, 4) for k, v in components.items()}),
                    violations=violations, nearest_reference=nearest)


def _total(components: dict[str, float], weights: CriticWeights) -> float:
    """Geometric mean of the craft (weighted mean of the other components) and the brief fit, when there is
    a brief: the fit gates the total instead of being one voice among nine."""
    weight_of = weights.model_dump()
    used = {c: weight_of[c] for c in components if c != "brief_fit" and weight_of.get(c, 0) > 0}
    craft = sum(used[c] * components[c] for c in used) / sum(used.values()) if used else 0.0
    if "brief_fit" not in components or not weight_of.get("brief_fit"):
        return craft
    return math.sqrt(craft * components["brief_fit"])


def critiqued(recipe: Recipe, catalog: Catalog, brief: Brief | None = None,
              weights: CriticWeights | None = None, bands: PyramidBands | None = None) -> Recipe:
    """The same recipe with score, violations and nearest reference filled in."""
    result = critique(recipe, catalog, brief, weights, bands)
    return recipe.model_copy(update={"score": result.score, "violations": result.violations,
                                     "nearest_reference": result.nearest_reference})


def better_of(current: Recipe, candidate: Recipe) -> Recipe:
    """``candidate`` where the critic scored it above ``current`` (both critiqued), else ``current``: a step the
    critic does not reward is not kept (the composer's use of the critic's fixes, finishing with traces)."""
    return candidate if candidate.score and current.score and candidate.score.total > current.score.total else current


def _name(catalog: Catalog, material_id: str) -> str:
    return catalog.material(material_id).name_ko if material_id in catalog else material_id


def _structure(recipe: Recipe, catalog: Catalog, violations: list[Violation]) -> float:
    if not recipe.ingredients:
        violations.append(Violation(code=ViolationCode.empty_formula, severity=Severity.error, message_ko="재료가 하나도 없습니다.",
                                    fix_ko="탑·하트·베이스에서 재료를 8가지 이상 고르세요."))
        return 0.0
    score = 1.0
    unknown = [i.material_id for i in recipe.ingredients if i.material_id not in catalog]
    for material_id in unknown:
        violations.append(Violation(code=ViolationCode.unknown_material, severity=Severity.error, material_id=material_id,
                                    message_ko=f"'{material_id}'은(는) 재료 목록에 없습니다.",
                                    fix_ko="목록에 있는 비슷한 재료로 바꾸거나 삭제하세요."))
    score -= 0.5 * len(unknown) / len(recipe.ingredients)
    seen: set[str] = set()
    for ing in recipe.ingredients:
        if ing.material_id in seen:
            violations.append(Violation(code=ViolationCode.duplicate_material, severity=Severity.warning, material_id=ing.material_id,
                                        message_ko=f"{_name(catalog, ing.material_id)}이(가) 두 번 이상 적혀 있습니다.",
                                        fix_ko="한 줄로 합치세요."))
            score -= 0.1
        seen.add(ing.material_id)
    total = recipe.total_percent
    if abs(total - 100.0) > SUM_TOLERANCE:
        violations.append(Violation(code=ViolationCode.sum_not_100, severity=Severity.error,
                                    message_ko=f"비율 합계가 {pct(total)}%입니다 (100%여야 함).",
                                    fix_ko=f"모든 재료를 비례 조정해 {pct(total)}% → 100%로 맞추세요."))
        score -= min(0.5, abs(total - 100.0) / 20)
    count = len(seen)
    if not MIN_MATERIALS <= count <= MAX_MATERIALS:
        bound = MIN_MATERIALS if count < MIN_MATERIALS else MAX_MATERIALS
        violations.append(Violation(code=ViolationCode.material_count, severity=Severity.warning,
                                    message_ko=f"재료가 {count}가지입니다 (권장 {MIN_MATERIALS}–{MAX_MATERIALS}가지).",
                                    fix_ko=f"재료 수를 {count} → {bound}가지로 조정하세요."))
        score -= 0.05 * abs(count - bound)
    return max(0.0, score)


def _balance(recipe: Recipe, catalog: Catalog, bands: PyramidBands, violations: list[Violation]) -> float:
    shares = {p: sum(i.percent for i in recipe.ingredients if i.note == p) for p in NotePosition}
    total = sum(shares.values()) or 1.0
    ceilings = {i.material_id: catalog.ceiling(i.material_id, recipe.dilution_percent, recipe.category)
                for i in recipe.ingredients if i.material_id in catalog}
    missed = 0.0
    for position, share in shares.items():
        share = share * 100.0 / total
        miss = bands.outside(position, share)
        if miss:
            low, high = bands.band(position)
            goal = low if share < low else high
            direction = "이상" if share < low else "이하"
            members = [i for i in recipe.ingredients if i.note == position and i.material_id in ceilings]
            held_back = share < low and bool(members) and all(
                i.percent >= ceilings[i.material_id] - 0.01 for i in members)
            reason = " 재료별 최대 사용량을 지키느라 피라미드가 양보했습니다." if held_back else ""
            violations.append(Violation(
                code=ViolationCode.pyramid_band, severity=Severity.warning,
                message_ko=(f"{POSITION_KO[position]} 노트가 {pct(share)}%로 권장 범위({pct(low)}–{pct(high)}%)를 "
                            f"벗어났습니다.{reason}"),
                fix_ko=(f"{POSITION_KO[position]} 노트 {pct(share)}% → {pct(goal)}% {direction}"
                        + (" (더 많이 쓸 수 있는 재료를 추가)" if held_back else ""))))
            missed += miss
    return max(0.0, 1.0 - missed / 30.0)


def _use_source(catalog: Catalog, material_id: str) -> str:
    """The usual range with where it comes from, so a perfumer can check the figure the critic holds them to."""
    material = catalog.material(material_id)
    low, high = material.use_range
    where = f"출처: {material.use_source}" if material.use_source else "출처 없는 편집 추정치"
    return f"통상 {pct(low)}–{pct(high)}%까지 씁니다 ({where})"


def _dose_realism(recipe: Recipe, catalog: Catalog, doses: dict[str, float], violations: list[Violation]) -> float:
    """Doses a perfumer accepts on sight: none above the material's maximum, weight held by a few carriers,
    many lines in tenths of a percent. A dose the person set themselves is flagged, not refused."""
    if not doses:
        return 0.0
    pinned = recipe.pinned
    over = 0.0
    for material_id, percent in doses.items():
        material = catalog.material(material_id)
        low, high = material.use_range
        if percent <= high + SUM_TOLERANCE:
            continue
        over += min(1.0, (percent - high) / high) if high > 0 else 1.0
        name = material.name_ko
        typical = _use_source(catalog, material_id)
        if material_id in pinned:
            violations.append(Violation(
                code=ViolationCode.dose_over_max, severity=Severity.warning, material_id=material_id,
                message_ko=f"요청하신 대로 {name}을(를) {pct(percent)}%로 두었습니다. 통상 사용 범위를 넘습니다: {typical}.",
                fix_ko=f"의도하신 것이 아니라면 {name} {pct(percent)}% → {pct(high)}% 이하"))
        else:
            violations.append(Violation(
                code=ViolationCode.dose_over_max, severity=Severity.error, material_id=material_id,
                message_ko=f"{name} {pct(percent)}%는 최대 사용량을 넘습니다: {typical}.",
                fix_ko=f"{name} {pct(percent)}% → {pct(high)}% 이하 (남는 비중은 같은 노트의 주력 재료로)"))
    ranked = sorted(doses.values(), reverse=True)
    top5 = sum(ranked[:5]) / (sum(ranked) or 1.0)
    small = sum(1 for p in ranked if p < 1.0) / len(ranked)
    # Soft shape signals (a few lines carry the weight, many sit in tenths of a percent); overdoses are hard.
    shape = 1.0 - max(0.0, 0.5 - top5) - max(0.0, top5 - 0.85) - max(0.0, 0.25 - small)
    return max(0.0, min(1.0, shape) - 0.35 * over)


def _compliance(recipe: Recipe, catalog: Catalog, doses: dict[str, float], violations: list[Violation]) -> float:
    """Every IFRA Standard the formula touches, summed over its lines in the finished product."""
    score = 1.0
    load = recipe.dilution_percent
    category = recipe.category
    basis = f"{PRODUCTS[recipe.product].label_ko} 카테고리 {category.value}, 부향률 {pct(load)}%"
    for check in catalog.check_ifra(doses, category, load):
        names = ", ".join(_name(catalog, m) for m in check.contributors)
        standard = catalog.standards[check.standard]
        if check.status == CheckStatus.prohibited:
            violations.extend(_prohibited(catalog, m, doses, standard.label) for m in check.contributors)
            score -= 0.5
        elif check.status == CheckStatus.over:
            limit = check.limit.percent or 0.0
            factor = limit / check.level_percent
            violations.append(Violation(
                code=ViolationCode.ifra_cap, severity=Severity.error, material_id=max(check.contributors, key=lambda m: doses[m]),
                message_ko=(f"{standard.label}: 완제품 중 {pct(check.level_percent)}%로 한도 {pct(limit)}%를 "
                            f"넘습니다 ({names} 합산, {basis})."),
                fix_ko=", ".join(f"{_name(catalog, m)} {pct(doses[m])}% → {pct(math.floor(doses[m] * factor * 100) / 100)}%"
                                 for m in check.contributors) + f" (IFRA 한도, {basis})"))
            score -= 0.3 * min(1.0, 0.5 + (check.level_percent - limit) / max(limit, 0.001))
        elif check.status == CheckStatus.unknown:
            violations.append(Violation(
                code=ViolationCode.ifra_unknown, severity=Severity.warning, material_id=check.contributors[0],
                message_ko=(f"IFRA 확인 필요: {names}은(는) {standard.label}의 적용 대상이지만 카테고리 "
                            f"{category.value} 수치가 자료에 없습니다."),
                fix_ko="공급사의 IFRA 적합성 증명서로 한도를 확인하세요."))
            score -= 0.15
    for material_id in doses:
        if catalog.ifra_unidentified(material_id):
            violations.append(Violation(
                code=ViolationCode.ifra_unknown, severity=Severity.warning, material_id=material_id,
                message_ko=(f"IFRA 확인 필요: {_name(catalog, material_id)}은(는) CAS 번호가 없어 IFRA 기준 적용 "
                            "여부를 확인하지 못했습니다."),
                fix_ko="공급사의 IFRA 적합성 증명서로 확인하세요."))
            score -= 0.15
    for material_id in doses:
        banned = catalog.material(material_id).prohibited_by
        if banned:
            violations.append(Violation(code=ViolationCode.law_prohibited, severity=Severity.error, material_id=material_id,
                                        message_ko=f"{_name(catalog, material_id)}은(는) 화장품 사용 금지 성분입니다 ({banned}).",
                                        fix_ko=f"{_name(catalog, material_id)} 삭제 또는 대체"))
            score -= 0.5
    _allergens(catalog, doses, load, violations, rinse_off=PRODUCTS[recipe.product].rinse_off)
    return max(0.0, score)


def _prohibited(catalog: Catalog, material_id: str, doses: dict[str, float], label: str) -> Violation:
    material = catalog.material(material_id)
    substitute = catalog.nearest_materials(catalog.vector(material_id), k=1, exclude=doses, note=material.note,
                                           allowed=lambda m: not catalog.is_prohibited(m))
    fix = (f"{material.name_ko} 삭제 → {instrumental(_name(catalog, substitute[0][0]))} 대체"
           if substitute else f"{material.name_ko} 삭제")
    return Violation(code=ViolationCode.ifra_prohibited, severity=Severity.error, material_id=material_id,
                     message_ko=f"{material.name_ko}은(는) 이 제품 카테고리에서 IFRA 금지 물질입니다 ({label}).",
                     fix_ko=fix)


def _allergens(catalog: Catalog, doses: dict[str, float], dilution: float, violations: list[Violation],
               rinse_off: bool = False) -> None:
    """Labelling (info): an allergen above 0.001 % of a leave-on product (0.01 % rinse-off), from each line's
    cited content; one a natural carries in an amount no source gives is 확인 필요, naming the natural."""
    threshold, kind = threshold_percent(rinse_off), "린스오프" if rinse_off else "리브온"
    for line in allergen_lines(catalog.materials, doses, dilution):
        unknown = ", ".join(_name(catalog, m) for m in line.unquantified)
        check = f"{unknown}의 {line.allergen} 함량은 확인 필요" if unknown else ""
        if line.declare(threshold):
            names = ", ".join(_name(catalog, m) for m, _ in line.sources[:3])
            violations.append(Violation(
                code=ViolationCode.allergen_label, severity=Severity.info, material_id=line.sources[0][0],
                message_ko=(f"알레르기 유발 성분 {line.allergen} 표시 대상입니다 ({names} 유래, 완제품 중 "
                            f"{pct(line.level_percent)}% > {threshold}%{'; ' + check if check else ''})."),
                fix_ko=f"전성분 라벨에 {line.allergen}을(를) 표기하세요 (EU {kind} 기준 {threshold}%)."))
        elif check:
            violations.append(Violation(
                code=ViolationCode.allergen_label, severity=Severity.info, material_id=line.unquantified[0],
                message_ko=(f"{check}합니다 — 공개 자료에 함량이 없어 EU {kind} 표시 기준 {threshold}% "
                            f"초과 여부를 알 수 없습니다."),
                fix_ko=f"공급사 알레르겐 성적서로 {unknown}의 {line.allergen} 함량을 확인하세요."))


def _impact_shares(catalog: Catalog, doses: dict[str, float]) -> dict[str, float]:
    impact: dict[str, float] = defaultdict(float)
    for material_id, percent in doses.items():
        impact[str(catalog.material(material_id).family)] += catalog.presence(material_id, percent)
    total = sum(impact.values())
    return {f: v / total for f, v in impact.items()} if total else {}


def _harmony(catalog: Catalog, doses: dict[str, float], violations: list[Violation]) -> float:
    """Known pairings (shared accords/perfumes), a focused family palette, no clashing families."""
    if not doses:
        return 0.0
    partners = catalog.partners
    if partners:
        impact = {m: catalog.presence(m, p) for m, p in doses.items()}
        paired = sum(v for m, v in impact.items() if partners.get(m, frozenset()) & doses.keys())
        bridge = paired / sum(impact.values())
    else:
        bridge = 0.5
    shares = _impact_shares(catalog, doses)
    effective = math.exp(-sum(s * math.log(s) for s in shares.values() if s > 0))
    focus = 1.0 if effective <= 6 else max(0.0, 1.0 - 0.12 * (effective - 6))
    score = 0.5 * bridge + 0.5 * focus
    for first, second in CLASHES:
        if shares.get(first, 0) >= CLASH_SHARE and shares.get(second, 0) >= CLASH_SHARE:
            violations.append(Violation(
                code=ViolationCode.family_clash, severity=Severity.warning,
                message_ko=f"{FAMILY_KO[first]} 계열과 {FAMILY_KO[second]} 계열이 함께 강하게 드러나 서로 부딪힙니다.",
                fix_ko=(f"{FAMILY_KO[second]} 계열 재료를 줄이거나 {FAMILY_KO[first]} 계열을 조연으로 낮추세요 "
                        f"(향 비중 {CLASH_SHARE:.0%} 미만).")))
            score -= 0.25
    return max(0.0, min(1.0, score))


def _complexity(catalog: Catalog, doses: dict[str, float]) -> float:
    count = len(doses)
    if count < 10:
        score = 1.0 - 0.1 * (10 - count)
    elif count > 20:
        score = 1.0 - 0.05 * (count - 20)
    else:
        score = 1.0
    if len(_impact_shares(catalog, doses)) < 3:
        score -= 0.2
    return max(0.0, score)


def _nearest_reference(catalog: Catalog, doses: dict[str, float]) -> NearestReference | None:
    if not doses or not catalog.references:
        return None
    profile = catalog.profile(catalog.blend(doses))
    best: tuple[float, str] | None = None
    for ref_id, ref in catalog.references.items():
        shared = set(ref.material_ids()) & doses.keys()
        union = set(ref.material_ids()) | doses.keys()
        similarity = 0.6 * cosine(profile, catalog.reference_profile(ref_id)) + 0.4 * len(shared) / len(union)
        if best is None or similarity > best[0]:
            best = (similarity, ref_id)
    similarity, ref_id = best
    ref = catalog.references[ref_id]
    return NearestReference(id=ref_id, name=f"{ref.brand} {ref.name}", similarity=round(similarity, 4))


def _family_ko(catalog: Catalog, descriptor: str) -> str:
    family = catalog.family_of(descriptor)
    return f"{FAMILY_KO.get(family, family)} 계열" if family else "향"


def _brief_rules(recipe: Recipe, brief: Brief, catalog: Catalog, doses: dict[str, float],
                 violations: list[Violation]) -> None:
    """What the person asked for: ruled-out materials and odors out, headlines perceptible, must-includes in."""
    pinned = recipe.pinned
    for material_id, percent in doses.items():
        if is_avoided(brief, material_id, catalog) and material_id not in pinned:
            reason = "요청에서 제외한 재료" if material_id in brief.avoid_materials else "피하고 싶은 향 성격이 강한 재료"
            violations.append(Violation(code=ViolationCode.avoided_material, severity=Severity.warning,
                                        material_id=material_id,
                                        message_ko=f"{_name(catalog, material_id)}은(는) {reason}입니다.",
                                        fix_ko=f"{_name(catalog, material_id)} {pct(percent)}% → 삭제",
                                        fixes=[Fix(material_id=material_id, percent=0.0)]))
    flagged = {v.material_id for v in violations if v.code == ViolationCode.avoided_material}
    for descriptor, lines in avoided_lines(brief, doses, catalog).items():
        lines = [m for m in lines if m not in flagged and m not in pinned]
        if lines:  # a firmly avoided odor is some line's main character: those lines go
            names = ", ".join(_name(catalog, m) for m in lines)
            violations.append(Violation(
                code=ViolationCode.avoided_descriptor, severity=Severity.warning, material_id=lines[0],
                message_ko=f"피하고 싶다고 한 '{_descriptor_ko(catalog, descriptor)}' 향이 주된 성격인 재료가 남아 있습니다 ({names}).",
                fix_ko=", ".join(f"{_name(catalog, m)} {pct(doses[m])}% → 삭제" for m in lines),
                fixes=[Fix(material_id=m, percent=0.0) for m in lines]))
    for descriptor, presence in avoided_presence(brief, doses, catalog).items():
        weight = brief.avoid_descriptors[descriptor]
        if presence * weight < AVOID_FLAG or descriptor in avoided_lines(brief, doses, catalog):
            continue
        carrier = max(doses, key=lambda m: (character(catalog, m, descriptor) * catalog.presence(m, doses[m]), m))
        if carrier in pinned or not character(catalog, carrier, descriptor):
            continue
        target = _halved(catalog, carrier, doses[carrier])
        violations.append(Violation(
            code=ViolationCode.avoided_descriptor, severity=Severity.warning, material_id=carrier,
            message_ko=(f"피하고 싶다고 한 '{_descriptor_ko(catalog, descriptor)}'({_family_ko(catalog, descriptor)}) "
                        f"인상이 꽤 남아 있습니다 (주로 {_name(catalog, carrier)})."),
            fix_ko=f"{_name(catalog, carrier)} {pct(doses[carrier])}% → {pct(target)}% 이하로 줄이세요.",
            fixes=[Fix(material_id=carrier, percent=target)]))
    for descriptor, seen in perceptible(brief, doses, catalog).items():
        if not seen:
            violations.append(_missing_headline(recipe, brief, catalog, doses, descriptor))
    for material_id in brief.must_include:
        if material_id not in doses and material_id in catalog:
            dose = round(catalog.material(material_id).typical_dose, 2)
            violations.append(Violation(code=ViolationCode.must_include_missing, severity=Severity.warning,
                                        material_id=material_id,
                                        message_ko=f"꼭 넣어 달라고 한 {_name(catalog, material_id)}이(가) 빠졌습니다.",
                                        fix_ko=f"{_name(catalog, material_id)}을(를) {pct(dose)}% 추가하세요.",
                                        fixes=[Fix(material_id=material_id, percent=dose)]))


def _halved(catalog: Catalog, material_id: str, percent: float) -> float:
    """Half the dose, written to two decimals, never below the trace level that still reads."""
    return max(math.floor(percent * 50) / 100, round(catalog.presence_dose(material_id, TRACE_PRESENCE), 2))


def _descriptor_ko(catalog: Catalog, descriptor: str) -> str:
    return catalog.descriptor_word(descriptor) or descriptor


def _missing_headline(recipe: Recipe, brief: Brief, catalog: Catalog, doses: dict[str, float],
                      descriptor: str) -> Violation:
    """A headline the formula cannot be smelled of: how to fix it, or plainly why we cannot."""
    word = _descriptor_ko(catalog, descriptor)
    category, load = recipe.category, recipe.dilution_percent

    def usable(m: str) -> bool:
        return catalog.composable(m, category) and not is_avoided(brief, m, catalog)

    for material_id in headline_sources(catalog, descriptor):
        ceiling = catalog.ceiling(material_id, load, category)
        if not usable(material_id) or ceiling <= doses.get(material_id, 0.0) or material_id in recipe.pinned:
            continue
        target = round(min(dose_to_perceive(catalog, doses, descriptor, material_id, 1.1), ceiling), 2)
        verb = "늘리세요" if material_id in doses else "추가하세요"
        before = f"{pct(doses[material_id])}% → " if material_id in doses else ""
        return Violation(code=ViolationCode.headline_missing, severity=Severity.warning, material_id=material_id,
                         message_ko=f"요청하신 '{word}' 향이 처방에서 충분히 느껴지지 않습니다.",
                         fix_ko=f"{_name(catalog, material_id)} {before}{pct(target)}%로 {verb} (최대 사용량 이내).",
                         fixes=[Fix(material_id=material_id, percent=target)])
    unchecked = [m for m in headline_sources(catalog, descriptor)
                 if catalog.ifra_status(m, category) == IfraStatus.unknown and not catalog.material(m).prohibited_by]
    if unchecked:
        names = ", ".join(_name(catalog, m) for m in unchecked[:2])
        return Violation(code=ViolationCode.headline_missing, severity=Severity.warning, material_id=unchecked[0],
                         message_ko=(f"요청하신 '{word}' 향을 낼 재료({names})는 IFRA 기준 수치를 확인하지 못해 "
                                     "(확인 필요) 기본 설계에서 쓰지 않았습니다."),
                         fix_ko=f"원하시면 \"{_name(catalog, unchecked[0])} 넣어줘\"라고 말씀해 주세요 (IFRA 확인 필요로 표시됩니다).")
    return Violation(code=ViolationCode.headline_missing, severity=Severity.warning,
                     message_ko=f"요청하신 '{word}' 향을 낼 재료가 지식 베이스에 없어 이 향은 살리지 못했습니다.",
                     fix_ko="비슷한 다른 향으로 바꾸거나, 직접 재료를 알려 주세요.")
