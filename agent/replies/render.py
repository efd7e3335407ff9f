"""Korean replies in markdown, built only from the recipe, the critic's verdict and retrieved KB documents.

Every sentence about a material or a perfume is that record's own ``description_ko``: the reply states
nothing the knowledge base does not, and the ids used are returned for logging.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agent.reading.edit_parser import Absent
from agent.reading.message import Chat
from hyanggi.settings import AnswerLevel
from knowledge.kb import KnowledgeBase
from perfumery.batch import BatchBasis, BatchSheet, CostEstimate
from perfumery.critic import BREACH_CODES, COMPLIANCE_KO, UNKNOWN_CODES, ComplianceStatus, compliance_status
from perfumery.critic import pct as written
from perfumery.diff import RecipeDiff
from perfumery.documents import allergen_declaration
from perfumery.edits import EditResult
from perfumery.ifra import (
    CHECK_VERDICT_KO,
    LIMIT_KO,
    PRODUCTS,
    CheckStatus,
    IfraStatus,
    Product,
    amendment_ko,
    ifra_status_ko,
    product_label_ko,
)
from perfumery.naming import particle
from perfumery.recipe import Recipe, Severity, ViolationCode
from perfumery.vocabulary import POSITION_KO

COMPONENT_KO = {
    "structure": "구조", "balance": "균형", "compliance": "IFRA", "dose_realism": "용량 현실성",
    "brief_fit": "요청 부합도",
    "harmony": "조화", "novelty": "독창성", "complexity": "복합성", "cost": "원가 효율",
}


def pct(value: float) -> str:
    """A percentage with as many decimals as a trace material needs (0.04 %, never 0.0 %)."""
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3g}"


def formula_table(recipe: Recipe, with_cas: bool = True) -> str:
    """The formula as a table that stays readable on a phone (390 px): the names share one column and wrap,
    the percentage comes before the CAS number, which is the last column to need the screen's width."""
    head = "| 재료 | 노트 | % | CAS |\n|---|---|---:|---|" if with_cas else "| 한글명 | 노트 | % |\n|---|---|---:|"
    rows = []
    for ing in sorted(recipe.ingredients, key=lambda i: (list(POSITION_KO).index(i.note.value), -i.percent)):
        if with_cas:
            english = f" · {ing.name_en}" if ing.name_en and ing.name_en != ing.name_ko else ""
            rows.append(f"| {ing.name_ko}{english} | {POSITION_KO[ing.note.value]} | {ing.percent:.2f} | "
                        f"{ing.cas or '—'} |")
        else:
            rows.append(f"| {ing.name_ko} | {POSITION_KO[ing.note.value]} | {pct(ing.percent)} |")
    return "\n".join([head, *rows])


def pyramid_line(recipe: Recipe) -> str:
    p = recipe.pyramid
    return f"탑 {p['top']:.1f}% · 미들 {p['heart']:.1f}% · 베이스 {p['base']:.1f}%"


def score_block(recipe: Recipe, amendment: str) -> str:
    """The score with its reasons; how well the formula answers the request comes first, since it gates the
    total (perfumery.critic: the total is the geometric mean of the craft and the brief fit)."""
    if recipe.score is None:
        return ""
    components = recipe.score.components
    fit = f"**요청 부합도 {components['brief_fit']:.2f}** · " if "brief_fit" in components else ""
    parts = ", ".join(f"{COMPONENT_KO.get(k, k)} {v:.2f}" for k, v in components.items() if k != "brief_fit")
    return f"{fit}**품질 점수 {recipe.score.total:.2f}** ({parts})\n\n{ifra_line(recipe, amendment)}"


def ifra_line(recipe: Recipe, amendment: str) -> str:
    """The compliance claim in one line, naming the amendment of the tables checked against
    (``Catalog.ifra_amendment``): never "준수" while a figure is missing."""
    status = compliance_status(recipe.violations)
    product = PRODUCTS[recipe.product]
    basis = f"{product.label_ko}, 카테고리 {product.category.value}, 부향률 {recipe.dilution_percent:g}%"
    if status == ComplianceStatus.compliant:
        return f"**IFRA: {COMPLIANCE_KO[status]}** ({basis}, {amendment_ko(amendment)} 기준)"
    codes = BREACH_CODES if status == ComplianceStatus.non_compliant else UNKNOWN_CODES
    names = dict.fromkeys(recipe_names(recipe, [v.material_id for v in recipe.violations
                                                 if v.code in codes and v.material_id]))
    return f"**IFRA: {COMPLIANCE_KO[status]}** — {', '.join(names)} ({basis})"


# Shown at every level: doses, the law, and a headline of the request the formula cannot carry.
MUST_SEE = frozenset({ViolationCode.dose_over_max, ViolationCode.ifra_cap, ViolationCode.ifra_prohibited,
                      ViolationCode.ifra_unknown, ViolationCode.law_prohibited, ViolationCode.headline_missing})


def violations_block(recipe: Recipe, only: frozenset[str] | None = None) -> str:
    shown = [v for v in recipe.violations if v.severity != Severity.info and (only is None or v.code in only)]
    notes = [v for v in recipe.violations if v.severity == Severity.info]
    lines = [f"- ⚠️ {v.message_ko}" + (f" → {v.fix_ko}" if v.fix_ko else "") for v in shown]
    if notes and only is None:
        lines.append(f"- ℹ️ 알레르기 유발 성분 표시 대상 {len(notes)}건 (EU 기준: 리브온 0.001%, 린스오프 0.01% 초과)")
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
        lines.append(f"- **{material.name_ko}** ({POSITION_KO[ing.note.value]}, {pct(ing.percent)}%): "
                     f"{material.description_ko}")
    return "\n".join(lines), used


def reference_line(recipe: Recipe, kb: KnowledgeBase) -> tuple[str, list[str]]:
    ref = recipe.nearest_reference
    if ref is None or ref.id not in kb.perfumes:
        return "", []
    perfume = kb.perfumes[ref.id]
    return (f"가장 가까운 기존 향수: **{perfume.brand} {perfume.name}** ({perfume.year}, 유사도 {ref.similarity:.2f}) — "
            f"{perfume.description_ko}", [perfume.id])


def title_line(recipe: Recipe) -> str:
    """The reply's first line: streamed before the narration, so the person sees the formula's name at once.
    A fine fragrance is named by its concentration ("EDP 18%"), any other product by itself and its load."""
    kind = product_label_ko(recipe.product, recipe.concentration, recipe.dilution_percent)
    if recipe.product == Product.fine_fragrance:
        kind += f" {recipe.dilution_percent:g}%"
    return f"### {recipe.name or '새 향수'} (v{recipe.version}, {kind})"


def recipe_reply(recipe: Recipe, kb: KnowledgeBase, level: AnswerLevel, intro: str = "",
                 extras: dict | None = None) -> tuple[str, list[str]]:
    """The reply for a formula at an answer level, and the KB ids it is grounded on."""
    extras = extras or {}
    grounded: list[str] = []
    sections = [title_line(recipe)]
    if intro:
        sections.append(intro.strip())
    if recipe.concept_ko and recipe.concept_ko not in intro:  # the template narration already quotes it
        sections.append(recipe.concept_ko)
    if level == AnswerLevel.basic:
        notes, ids = material_notes(recipe, kb, limit=3)
        grounded += ids
        sections += [formula_table(recipe, with_cas=False), f"피라미드: {pyramid_line(recipe)}", notes,
                     score_block(recipe, kb.catalog.ifra_amendment), violations_block(recipe, only=MUST_SEE)]
    else:
        notes, ids = material_notes(recipe, kb, limit=len(recipe.ingredients))
        reference, ref_ids = reference_line(recipe, kb)
        grounded += ids + ref_ids
        sections += [formula_table(recipe), f"**피라미드**: {pyramid_line(recipe)}", "**재료별 역할**", notes,
                     score_block(recipe, kb.catalog.ifra_amendment), violations_block(recipe), reference]
    if level == AnswerLevel.premium:
        sections += [extras.get(key, "") for key in ("batch_md", "cost_md", "compliance_md", "alternatives_md")]
    return "\n\n".join(s for s in sections if s), grounded


def skipped_block(parts: list[str]) -> str:
    """Say plainly which part of a multi-part request was not done."""
    listed = ", ".join(f"“{part}”" for part in parts)
    return f"⚠️ 다음 요청은 적용하지 못했어요: {listed}. 재료 이름이나 향 성격을 넣어 다시 말씀해 주세요."


def document_answer(ids: Iterable[str], kb: KnowledgeBase) -> str:
    """Answer a question from knowledge-base records only, each quoted by name."""
    lines = []
    for record_id in ids:
        if record_id in kb.perfumes:
            perfume = kb.perfumes[record_id]
            notes = " / ".join(", ".join(n.text for n in tier) for tier in (perfume.top, perfume.heart, perfume.base))
            lines.append(f"**{perfume.brand} {perfume.name}** ({perfume.year})\n{perfume.description_ko}\n노트: {notes}")
        elif record_id in kb.materials:
            m = kb.materials[record_id]
            lines.append(f"**{m.name_ko}** ({m.name_en}{', CAS ' + m.cas if m.cas else ''})\n{m.description_ko}\n"
                         f"노트: {POSITION_KO[m.note.value]} · 계열: {m.family.value} · 사용 범위 {m.use_range[0]:g}–"
                         f"{m.use_range[1]:g}% · IFRA: {material_ifra_ko(kb, m.id)}")
        else:
            accord = kb.accords[record_id]
            parts = ", ".join(f"{kb.materials[c.material].name_ko} {c.parts:g}" for c in accord.components)
            lines.append(f"**{accord.name_ko}** ({accord.name_en})\n{accord.description_ko}\n구성: {parts}")
    return "\n\n".join(lines)


_CHAT_KO: dict[Chat, str] = {
    Chat.thanks: "천만에요! 더 다듬고 싶은 곳이 생기면 언제든 말씀해 주세요.",
    Chat.greeting: "안녕하세요! 향수 설계를 돕는 '향기'예요. 원하는 분위기나 계절, 장소를 말씀해 주시면 레시피를 만들어 드릴게요.",
    Chat.farewell: "좋은 하루 보내세요! 만든 레시피는 모두 저장돼 있으니 언제든 이어서 다듬을 수 있어요.",
    Chat.help: ("저는 향수 레시피를 설계하는 '향기'예요. 분위기를 말씀하시면 재료·비율·IFRA 확인까지 담은 레시피를 만들고, "
                "\"베르가못 8%로\", \"더 우디하게\", \"100g 배합표로\"처럼 말씀하시면 고쳐 드려요. 재료나 향수에 대한 질문도 받아요."),
    Chat.saved: "모든 버전은 자동으로 저장돼요. \"v1이랑 v2 비교해줘\"처럼 언제든 이전 버전과 비교할 수 있어요.",
    Chat.pleased: "마음에 드셨다니 기뻐요! 더 바꾸고 싶은 곳이 있으면 말씀해 주세요.",
    Chat.filler: "네! 원하는 향이나 바꾸고 싶은 곳을 말씀해 주시면 이어서 도와드릴게요.",
}


def smalltalk_reply(kind: Chat | None) -> str:
    """A sentence or two for small talk; never a formula."""
    return _CHAT_KO[kind or Chat.filler]


def batch_sheet(sheet: BatchSheet, recipe: Recipe) -> str:
    """What to weigh, in one unit, adding up to the batch asked: the concentrate by default, the finished
    product with its base (named generically) on request."""
    g = sheet.grams_ko
    rows = "\n".join(f"| {line.name_ko} | {line.cas or '—'} | {pct(line.percent)} | {g(line.grams)} |"
                     for line in sheet.lines)
    bases = "\n".join(f"| {base.name_ko} | — | — | {g(base.grams)} |" for base in sheet.bases)
    product = PRODUCTS[recipe.product]
    if sheet.basis == BatchBasis.concentrate:
        head = f"#### 향료 농축액 {g(sheet.total_grams)} 배합표 ({sheet.label_ko}용)"
        total = (f"합계 {g(sheet.total_grams)} (레시피 {recipe.id} v{recipe.version}). 완제품에는 이 농축액을 "
                 f"{pct(sheet.load_percent)}% 넣어요 ({product.load_basis_ko}). 완제품 기준으로 보려면 "
                 f"\"완제품 {sheet.total_grams:g}g 배합표\"라고 말씀해 주세요.")
    else:
        head = f"#### 완제품 {g(sheet.total_grams)} 배합표 ({sheet.label_ko})"
        parts = " + ".join([f"향료 농축액 {g(sheet.concentrate_grams)}", *(f"{b.name_ko} {g(b.grams)}"
                                                                        for b in sheet.bases)])
        total = f"{parts} = 총 {g(sheet.total_grams)} (레시피 {recipe.id} v{recipe.version})"
    cost = _batch_cost(sheet)
    if sheet.below_unit:
        total += (f"\n\n⚠️ {len(sheet.below_unit)}개 재료가 {g(10.0 ** -sheet.decimals)}보다 적어 저울로 달 수 없어 "
                  f"반올림했어요 ({', '.join(sheet.below_unit[:3])}{' 등' if len(sheet.below_unit) > 3 else ''}). "
                  "향료 농축액을 넉넉히 먼저 만든 뒤 필요한 만큼 덜어 쓰세요.")
    return (f"{head}\n\n| 재료 | CAS | 농축액 % | 무게 |\n|---|---|---:|---:|\n{rows}"
            + (f"\n{bases}" if bases else "") + f"\n\n{total}" + (f"\n\n{cost}" if cost else ""))


def _batch_cost(sheet: BatchSheet) -> str:
    """The batch's cost in won for the lines a cited price covers, labelled as such."""
    cost = sheet.cost
    if cost.won_per_kg_priced is None:
        return ""
    won = cost.won_per_kg_priced * sheet.concentrate_grams / 1000.0
    return (f"원가(가격 출처가 있는 재료, 농축액의 {cost.priced_share:.0%}): 이 배치 약 ₩{won:,.0f}. 나머지 재료는 "
            f"원가 등급으로만 추정합니다 ({cost.label_ko}).")


def cost_block(cost: CostEstimate, recipe: Recipe) -> str:
    """Won per kilo of concentrate where a public price is cited (its source, edition and exchange rate
    named), the cost tier for the rest — each figure labelled as which."""
    drivers = ", ".join(recipe_names(recipe, cost.main_drivers))
    tier = (f"원가 등급 기준 {cost.label_ko} — 평균 등급 {cost.mean_tier:.1f}/5, 기본 재료 대비 {cost.relative_index:.1f}배"
            + (f" (주요 요인: {drivers})" if drivers else ""))
    if not cost.priced:
        return f"#### 예상 원가\n- 가격 출처가 있는 재료가 없어 원가 등급으로만 추정합니다: {tier}"
    names = dict(zip([p.material_id for p in cost.priced], recipe_names(recipe, [p.material_id for p in cost.priced]),
                     strict=True))
    lines = [f"  - {names[p.material_id]}: ₩{p.won_per_kg:,.0f}/kg — {p.source_ko}" for p in cost.priced]
    return ("#### 예상 원가\n"
            f"- 가격 출처가 있는 재료 (농축액의 {cost.priced_share:.0%}): 농축액 1 kg당 이 재료들만 "
            f"₩{cost.won_per_kg_priced:,.0f}\n" + "\n".join(lines) + "\n"
            f"- 나머지 재료 ({1 - cost.priced_share:.0%}): 공개 가격 출처가 없어 {tier}")


def recipe_names(recipe: Recipe, material_ids: Iterable[str]) -> list[str]:
    names = {i.material_id: i.name_ko for i in recipe.ingredients}
    return [names.get(m, m) for m in material_ids]


def material_ifra_ko(kb: KnowledgeBase, material_id: str) -> str:
    """A material's IFRA standing in fine fragrance, in words a customer can read."""
    catalog = kb.catalog
    status = catalog.ifra_status(material_id)
    names = ", ".join(s.name for s in catalog.standards_of(material_id))
    label = ifra_status_ko(status, catalog.ifra_amendment)
    if status == IfraStatus.none:
        return label
    if status == IfraStatus.restricted:
        return f"{label} — 완제품 최대 {written(catalog.cap(material_id, 100.0))}% (카테고리 4, {names})"
    return f"{label} ({names or 'CAS 번호 없음'})"


# A mark before each verdict's words (``CHECK_VERDICT_KO``), so a failing row stands out in the table.
_VERDICT_MARK = {CheckStatus.ok: "✅", CheckStatus.over: "❌", CheckStatus.prohibited: "❌", CheckStatus.unknown: "⚠️",
                 CheckStatus.specification: "ℹ️"}


def compliance_report(recipe: Recipe, kb: KnowledgeBase) -> str:
    """Every IFRA Standard the formula touches, summed over its lines as a certificate does, with its source."""
    catalog = kb.catalog
    doses = {i.material_id: i.percent for i in recipe.ingredients}
    rows = []
    for check in catalog.check_ifra(doses, recipe.category, recipe.dilution_percent):
        standard = catalog.standards[check.standard]
        limit = written(check.limit.percent) + "%" if check.limit.percent is not None else LIMIT_KO[check.limit.kind]
        contributors = ", ".join(recipe_names(recipe, check.contributors))
        rows.append(f"| {standard.name} | {contributors} | {written(check.level_percent)}% | {limit} | "
                    f"{_VERDICT_MARK[check.status]} {CHECK_VERDICT_KO[check.status]} | {standard.id}, {amendment_ko(standard.amendment)} |")
    unmatched = [i.name_ko for i in recipe.ingredients
                 if i.material_id in kb.materials and catalog.ifra_unidentified(i.material_id)]
    declaration = allergen_declaration(recipe, catalog)
    table = ("| IFRA 표준 | 해당 재료 | 완제품 중 합계 | 한도 | 판정 | 출처 |\n|---|---|---:|---:|---|---|\n"
             + "\n".join(rows)) if rows else "이 처방이 닿는 IFRA 표준이 없습니다 (CAS·부속서 기준)."
    unmatched_line = (f"\n\n⚠️ CAS가 없어 확인하지 못한 재료: {', '.join(unmatched)}" if unmatched else "")
    allergen_line = (f"\n\n**알레르기 표시 ({declaration.basis_ko})**\n" + "\n".join(f"- {line}" for line in
                                                                           declaration.lines_ko)
                     if declaration.lines_ko else "")
    product = PRODUCTS[recipe.product]
    return (f"#### IFRA·알레르기 보고서 ({product.label_ko}, 카테고리 {product.category.value}, "
            f"부향률 {recipe.dilution_percent:g}%)\n\n{ifra_line(recipe, catalog.ifra_amendment)}\n\n{table}{unmatched_line}{allergen_line}\n\n"
            "천연 원료의 성분 기여는 IFRA 부속서의 최대 함량과 공개된 공급사 성분 자료로 합산했습니다. "
            "최종 판단은 공급사의 IFRA 적합성 증명서와 성분 성적서를 따르세요.")


def alternatives(recipes: list[Recipe]) -> str:
    if not recipes:
        return ""
    blocks = []
    for n, alt in enumerate(recipes, start=1):
        leads = ", ".join(f"{i.name_ko} {pct(i.percent)}%" for i in sorted(alt.ingredients, key=lambda i: -i.percent)[:5])
        score = f" · 점수 {alt.score.total:.2f}" if alt.score else ""
        blocks.append(f"- **대안 {n}: {alt.name or '변형'}**{score} — {pyramid_line(alt)}; 주요 재료: {leads}")
    return "#### 다른 변형\n" + "\n".join(blocks)


def change_block(result: EditResult) -> str:
    """Every line whose dose changed, grouped by its reason, and how the rest took up the weight: nothing in
    the new version moves without being named here (``EditResult.lines_ko``, also what REST and MCP say)."""
    recipe = result.recipe
    return "\n".join([f"**변경 사항** (v{recipe.parent_version} → v{recipe.version})",
                      *(f"- {line}" for line in result.lines_ko())])


_VERB = {"빼기": "빼", "바꾸기": "바꿔", "줄이기": "줄여", "늘리기": "늘려"}


def absent_block(absent: list[Absent]) -> tuple[str, list[dict[str, str]]]:
    """Said first: a named material the formula does not hold was not touched (nothing similar was changed in
    its place); the nearest present materials are offered as a question, and returned as follow-up buttons."""
    sentences, offers = [], []
    for item in absent:
        verb = _VERB.get(item.action_ko, "바꿔")
        sentence = f"⚠️ 지금 포뮬러에는 {particle(item.name_ko, '이', '가')} 없어서 아무것도 바꾸지 않았어요."
        if item.nearest_ko:
            listed = ", ".join(item.nearest_ko)
            sentence += f" 비슷한 재료로는 {particle(listed, '이', '가')} 들어 있어요 — 이 중 하나를 {verb} 드릴까요?"
            offers += [{"label": f"{name} {verb}기", "message": f"{name} {verb}줘"} for name in item.nearest_ko]
        sentences.append(sentence)
    return "\n".join(sentences), offers


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
