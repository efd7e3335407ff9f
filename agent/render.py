"""Korean replies in markdown, built only from the recipe, the critic's verdict and retrieved KB documents.

Every sentence about a material or a perfume is that record's own ``description_ko``: the reply states
nothing the knowledge base does not, and the ids used are returned for logging.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from knowledge.kb import KnowledgeBase
from knowledge.search import SearchResult
from perfumery.batch import BatchSheet, CostEstimate
from perfumery.diff import RecipeDiff
from perfumery.recipe import Recipe

NOTE_KO = {"top": "탑", "heart": "미들", "base": "베이스"}
COMPONENT_KO = {
    "structure": "구조", "balance": "균형", "compliance": "IFRA 준수", "brief_fit": "요청 적합도",
    "harmony": "조화", "novelty": "독창성", "complexity": "복합성", "cost": "원가 효율",
}
LEVELS = ("기본", "상세", "프리미엄")


def pct(value: float) -> str:
    """A percentage with as many decimals as a trace material needs (0.04 %, never 0.0 %)."""
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3g}"


def formula_table(recipe: Recipe, with_cas: bool = True) -> str:
    head = "| 재료 | 한글명 | CAS | 노트 | % |\n|---|---|---|---|---:|" if with_cas else \
        "| 한글명 | 노트 | % |\n|---|---|---:|"
    rows = []
    for ing in sorted(recipe.ingredients, key=lambda i: (list(NOTE_KO).index(i.note.value), -i.percent)):
        if with_cas:
            rows.append(f"| {ing.name_en} | {ing.name_ko} | {ing.cas or '—'} | {NOTE_KO[ing.note.value]} | "
                        f"{ing.percent:.2f} |")
        else:
            rows.append(f"| {ing.name_ko} | {NOTE_KO[ing.note.value]} | {pct(ing.percent)} |")
    return "\n".join([head, *rows])


def pyramid_line(recipe: Recipe) -> str:
    p = recipe.pyramid
    return f"탑 {p['top']:.1f}% · 미들 {p['heart']:.1f}% · 베이스 {p['base']:.1f}%"


def score_block(recipe: Recipe) -> str:
    if recipe.score is None:
        return ""
    parts = ", ".join(f"{COMPONENT_KO.get(k, k)} {v:.2f}" for k, v in recipe.score.components.items())
    return f"**품질 점수 {recipe.score.total:.2f}** ({parts})"


def violations_block(recipe: Recipe) -> str:
    shown = [v for v in recipe.violations if v.severity != "info"]
    notes = [v for v in recipe.violations if v.severity == "info"]
    lines = [f"- ⚠️ {v.message_ko}" + (f" → {v.fix_ko}" if v.fix_ko else "") for v in shown]
    if notes:
        lines.append(f"- ℹ️ 알레르기 유발 성분 표시 대상 {len(notes)}건 (EU 기준 leave-on 0.001% 초과)")
    return "\n".join(lines)


def material_notes(recipe: Recipe, kb: KnowledgeBase, limit: int) -> tuple[str, list[str]]:
    """One grounded line per leading material (its KB description), and the ids used."""
    used: list[str] = []
    lines = []
    for ing in sorted(recipe.ingredients, key=lambda i: -i.percent)[:limit]:
        material = kb.materials.get(ing.material_id)
        if material is None:
            continue
        used.append(material.id)
        lines.append(f"- **{material.name_ko}** ({NOTE_KO[ing.note.value]}, {pct(ing.percent)}%): "
                     f"{material.description_ko}")
    return "\n".join(lines), used


def reference_line(recipe: Recipe, kb: KnowledgeBase) -> tuple[str, list[str]]:
    ref = recipe.nearest_reference
    if ref is None or ref.id not in kb.perfumes:
        return "", []
    perfume = kb.perfumes[ref.id]
    return (f"가장 가까운 기존 향수: **{perfume.brand} {perfume.name}** ({perfume.year}, 유사도 {ref.similarity:.2f}) — "
            f"{perfume.description_ko}", [perfume.id])


def recipe_reply(recipe: Recipe, kb: KnowledgeBase, level: str, intro: str = "",
                 extras: dict | None = None) -> tuple[str, list[str]]:
    """The reply for a formula at an answer level, and the KB ids it is grounded on."""
    extras = extras or {}
    title = f"### {recipe.name or '새 향수'} (v{recipe.version}, {recipe.concentration.value} {recipe.dilution_percent:g}%)"
    grounded: list[str] = []
    sections = [title]
    if intro:
        sections.append(intro.strip())
    if recipe.concept_ko and recipe.concept_ko not in intro:  # the template narration already quotes it
        sections.append(recipe.concept_ko)
    if level == "기본":
        notes, ids = material_notes(recipe, kb, limit=3)
        grounded += ids
        sections += [formula_table(recipe, with_cas=False), f"피라미드: {pyramid_line(recipe)}", notes,
                     score_block(recipe)]
    else:
        notes, ids = material_notes(recipe, kb, limit=len(recipe.ingredients))
        reference, ref_ids = reference_line(recipe, kb)
        grounded += ids + ref_ids
        sections += [formula_table(recipe), f"**피라미드**: {pyramid_line(recipe)}", "**재료별 역할**", notes,
                     score_block(recipe), violations_block(recipe), reference]
    if level == "프리미엄":
        sections += [extras.get(key, "") for key in ("batch_md", "cost_md", "compliance_md", "alternatives_md")]
    return "\n\n".join(s for s in sections if s), grounded


def document_answer(results: Iterable[SearchResult], kb: KnowledgeBase, limit: int = 3) -> str:
    """Answer a question from retrieved records only, each quoted by name from the knowledge base."""
    lines = []
    for hit in list(results)[:limit]:
        record = kb.materials.get(hit.id) or kb.perfumes.get(hit.id) or kb.accords.get(hit.id)
        if record is None:
            continue
        if hit.id in kb.perfumes:
            perfume = kb.perfumes[hit.id]
            notes = " / ".join(", ".join(n.text for n in tier) for tier in (perfume.top, perfume.heart, perfume.base))
            lines.append(f"**{perfume.brand} {perfume.name}** ({perfume.year})\n{perfume.description_ko}\n노트: {notes}")
        elif hit.id in kb.materials:
            m = kb.materials[hit.id]
            ifra = f" · IFRA: {m.ifra.kind}" + (f" {m.ifra.category4_max_percent}%" if m.ifra.category4_max_percent
                                                else "") if m.ifra else ""
            lines.append(f"**{m.name_ko}** ({m.name_en}{', CAS ' + m.cas if m.cas else ''})\n{m.description_ko}\n"
                         f"노트: {NOTE_KO[m.note.value]} · 계열: {m.family.value} · 사용 범위 {m.use_range[0]:g}–"
                         f"{m.use_range[1]:g}%{ifra}")
        else:
            accord = kb.accords[hit.id]
            parts = ", ".join(f"{kb.materials[c.material].name_ko} {c.parts:g}" for c in accord.components)
            lines.append(f"**{accord.name_ko}** ({accord.name_en})\n{accord.description_ko}\n구성: {parts}")
    if not lines:
        return "지식 베이스에서 관련 자료를 찾지 못했어요. 재료나 향수 이름을 조금 다르게 적어 주시겠어요?"
    return "\n\n".join(lines)


def batch_sheet(sheet: BatchSheet, recipe: Recipe) -> str:
    rows = "\n".join(f"| {line.name_ko} | {line.cas or '—'} | {line.percent:.2f} | {line.grams:.2f} |"
                     for line in sheet.lines)
    solvent = f"에탄올 {sheet.ethanol_grams:.1f} g" + (f", 정제수 {sheet.water_grams:.1f} g" if sheet.water_grams else "")
    return (f"#### {sheet.total_grams:g} g 배합표 ({sheet.concentration.value}, 향료 {sheet.dilution_percent:g}%)\n\n"
            f"| 재료 | CAS | 농축액 % | g |\n|---|---|---:|---:|\n{rows}\n\n"
            f"향료 농축액 {sheet.concentrate_grams:.1f} g + {solvent} = 총 {sheet.total_grams:g} g "
            f"(레시피 {recipe.id} v{recipe.version})")


def cost_block(cost: CostEstimate, recipe: Recipe) -> str:
    drivers = ", ".join(recipe_names(recipe, cost.main_drivers))
    return (f"#### 예상 원가\n{cost.label_ko} — 평균 원가 등급 {cost.mean_tier:.1f}/5, "
            f"기본 재료 대비 {cost.relative_index:.1f}배" + (f" (주요 요인: {drivers})" if drivers else ""))


def recipe_names(recipe: Recipe, material_ids: Iterable[str]) -> list[str]:
    names = {i.material_id: i.name_ko for i in recipe.ingredients}
    return [names.get(m, m) for m in material_ids]


def compliance_report(recipe: Recipe, kb: KnowledgeBase) -> str:
    """Every restricted material in the formula against its IFRA cap, with the source of the standard."""
    rows = []
    for ing in recipe.ingredients:
        material = kb.materials.get(ing.material_id)
        if material is None or material.ifra is None:
            continue
        cap = kb.catalog.cap(material.id, recipe.dilution_percent)
        in_product = ing.percent * recipe.dilution_percent / 100
        status = "✅" if ing.percent <= cap + 1e-9 else "❌"
        rows.append(f"| {material.name_ko} | {ing.percent:.2f} | {in_product:.3f} | {cap:.2f} | {status} | "
                    f"{material.ifra.source} |")
    allergens = sorted({a for ing in recipe.ingredients for a in kb.materials[ing.material_id].allergens
                        if ing.material_id in kb.materials})
    table = ("| 재료 | 농축액 % | 완제품 % | 한도(농축액 %) | 판정 | 출처 |\n|---|---:|---:|---:|---|---|\n" + "\n".join(rows)) \
        if rows else "IFRA 제한 대상 재료가 없습니다."
    allergen_line = f"\n\nEU 알레르기 표시 성분: {', '.join(allergens)}" if allergens else ""
    return f"#### IFRA·알레르기 준수 보고서 (카테고리 4, 향료 {recipe.dilution_percent:g}%)\n\n{table}{allergen_line}"


def alternatives(recipes: list[Recipe]) -> str:
    if not recipes:
        return ""
    blocks = []
    for n, alt in enumerate(recipes, start=1):
        leads = ", ".join(f"{i.name_ko} {pct(i.percent)}%" for i in sorted(alt.ingredients, key=lambda i: -i.percent)[:5])
        score = f" · 점수 {alt.score.total:.2f}" if alt.score else ""
        blocks.append(f"- **대안 {n}: {alt.name or '변형'}**{score} — {pyramid_line(alt)}; 주요 재료: {leads}")
    return "#### 다른 변형\n" + "\n".join(blocks)


def diff_block(change: RecipeDiff) -> str:
    return f"**변경 사항** — {change.summary_ko()}"


def version_numbers(text: str) -> list[int]:
    """Version numbers named in a message: "v1이랑 v3", "1번과 3번 버전"."""
    return [int(n) for n in re.findall(r"(?:v|버전\s*|ver\.?\s*)(\d+)|(\d+)\s*번", text, re.IGNORECASE)
            for n in n if n]


def compare_reply(a: Recipe, b: Recipe, change: RecipeDiff) -> str:
    rows = []
    for ing_id in dict.fromkeys([*(i.material_id for i in a.ingredients), *(i.material_id for i in b.ingredients)]):
        before, after = a.percent_of(ing_id), b.percent_of(ing_id)
        name = next((i.name_ko for i in (*a.ingredients, *b.ingredients) if i.material_id == ing_id), ing_id)
        mark = "" if abs(after - before) < 0.005 else (" ▲" if after > before else " ▼")
        rows.append(f"| {name} | {before:.2f} | {after:.2f}{mark} |")
    scores = ""
    if a.score and b.score:
        scores = f"\n\n품질 점수: v{a.version} {a.score.total:.2f} → v{b.version} {b.score.total:.2f}"
    return (f"### v{a.version} ↔ v{b.version} 비교\n\n{change.summary_ko()}\n\n"
            f"| 재료 | v{a.version} % | v{b.version} % |\n|---|---:|---:|\n" + "\n".join(rows) +
            f"\n\n피라미드: {pyramid_line(a)} → {pyramid_line(b)}{scores}")
