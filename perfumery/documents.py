"""What a perfumer takes away: CSV and JSON exports, a printable batch sheet, an IFRA conformity summary and an
EU allergen declaration.

Exports round-trip through ``knowledge.formula_import`` (CSV states neat percentages in ``percent_neat``).
The batch sheet weighs what is poured: a line kept as a 10 % solution is weighed as ten times its neat
weight, and the solvent it brings comes off the ethanol. Our IFRA and allergen figures are a check, not a
certificate: the documents say so, and say where a figure is missing.
"""

from __future__ import annotations

import csv
import html
import io
import json

from pydantic import BaseModel, Field

from perfumery.allergens import REGULATION_KO, TRANSITION_KO, allergen_lines, threshold_percent
from perfumery.batch import GRAM_DECIMALS, BatchSheet, scale_batch
from perfumery.catalog import Catalog
from perfumery.critic import COMPLIANCE_KO, ComplianceStatus, critique, pct
from perfumery.csv_cells import safe_cell
from perfumery.formula import FormulaError
from perfumery.ifra import IFRA_STATUS_KO, PRODUCTS, IfraStatus
from perfumery.recipe import Recipe

AUTHORITY_KO = ("이 문서는 향기(Hyanggi)가 보유한 자료로 계산한 점검용 요약입니다. 판매·표시의 근거는 원료 공급사의 "
                "IFRA 적합성 증명서와 성분(알레르겐) 성적서이며, 두 자료가 다르면 공급사 자료가 우선합니다.")
CSV_COLUMNS = ("material_id", "name_ko", "name_en", "cas", "note", "percent_neat", "dilution_percent", "solvent")


def export_csv(recipe: Recipe) -> str:
    """One row per line, neat percentages, with the dilution it is weighed at.

    Every cell goes through ``safe_cell``: an imported name such as "=HYPERLINK(…)" stays text in a
    spreadsheet, and our importer reads it back as written."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for i in recipe.ingredients:
        writer.writerow([safe_cell(cell) for cell in (
            i.material_id, i.name_ko, i.name_en, i.cas, i.note.value, f"{i.percent:g}",
            f"{i.dilution.strength:g}" if i.dilution else "",
            i.dilution.solvent.value if i.dilution and i.dilution.solvent else "")])
    return out.getvalue()


def export_json(recipe: Recipe) -> str:
    return json.dumps(recipe.to_contract(), ensure_ascii=False, indent=2)


# --- batch sheet -----------------------------------------------------------------------------
class PourLine(BaseModel):
    material_id: str
    name_ko: str
    neat_grams: float
    pour_grams: float = Field(description="what goes on the scale: the solution when the line is diluted")
    dilution_ko: str = ""


class PourSheet(BaseModel):
    batch: BatchSheet
    pours: list[PourLine]
    solvent_in_dilutions_grams: float
    ethanol_to_add_grams: float


def pour_sheet(recipe: Recipe, grams: float, catalog: Catalog) -> PourSheet:
    """The batch in what is weighed: solutions for diluted lines, then ethanol less the solvent they brought."""
    batch = scale_batch(recipe, grams, catalog)
    pours = []
    for line, ingredient in zip(batch.lines, recipe.ingredients, strict=True):
        dilution = ingredient.dilution
        poured = line.grams * 100.0 / dilution.strength if dilution else line.grams
        solvent = (dilution.solvent.value if dilution.solvent else "용매 미기재") if dilution else ""
        pours.append(PourLine(material_id=line.material_id, name_ko=line.name_ko, neat_grams=line.grams,
                              pour_grams=round(poured, GRAM_DECIMALS),
                              dilution_ko=f"{dilution.strength:g}% {solvent} 희석액" if dilution else ""))
    carried = round(sum(p.pour_grams - p.neat_grams for p in pours), GRAM_DECIMALS)
    ethanol = round(batch.ethanol_grams - carried, GRAM_DECIMALS)
    if ethanol < 0:
        raise FormulaError(f"희석액에 든 용매({carried:g} g)가 에탄올 자리({batch.ethanol_grams:g} g)보다 많아요. "
                           "부향률을 낮추거나 더 진한 희석액을 쓰세요.")
    return PourSheet(batch=batch, pours=pours, solvent_in_dilutions_grams=carried, ethanol_to_add_grams=ethanol)


def _grams(value: float) -> str:
    return f"{value * 1000:.0f} mg" if 0 < value < 0.1 else f"{value:.3f} g".replace(".000 g", " g")


def batch_sheet_html(recipe: Recipe, grams: float, catalog: Catalog) -> str:
    """A printable page: formula, weights for ``grams`` of product, solvents, a checklist, IFRA and allergens."""
    sheet = pour_sheet(recipe, grams, catalog)
    e = html.escape
    rows = "".join(
        f"<tr><td>☐</td><td>{e(p.name_ko)}</td><td>{e(i.cas)}</td><td class=n>{pct(i.percent)}%</td>"
        f"<td>{e(p.dilution_ko) or '원액'}</td><td class=n><b>{_grams(p.pour_grams)}</b></td></tr>"
        for p, i in zip(sheet.pours, recipe.ingredients, strict=True))
    finish = [("에탄올", sheet.ethanol_to_add_grams), ("정제수", sheet.batch.water_grams)]
    rows += "".join(f"<tr><td>☐</td><td>{name}</td><td></td><td></td><td></td><td class=n><b>{_grams(g)}</b></td></tr>"
                    for name, g in finish if g > 0)
    ifra = ifra_summary(recipe, catalog)
    allergens = allergen_declaration(recipe, catalog)
    product = PRODUCTS[recipe.product].label_ko
    title = e(recipe.name or recipe.id)
    return f"""<!doctype html><html lang="ko"><meta charset="utf-8"><title>{title} 배합표</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #999;padding:4px 8px}}.n{{text-align:right}}@media print{{button{{display:none}}}}</style>
<h1>{title} — 배합표 (v{recipe.version})</h1>
<p>완제품 {_grams(grams)} · {e(product)} · {recipe.concentration.value} · 부향률(향료 원액 기준) {pct(recipe.dilution_percent)}%
· 향료 원액 {_grams(sheet.batch.concentrate_grams)} + 희석 용매 {_grams(sheet.solvent_in_dilutions_grams)}</p>
<table><tr><th>✓</th><th>재료</th><th>CAS</th><th>원액 비율</th><th>계량 형태</th><th>계량</th></tr>{rows}</table>
<h2>작업 순서</h2><ol><li>저울 영점을 맞추고 용기 무게를 뺍니다.</li><li>위 표의 순서대로 '계량' 값을 달고 ☐에 표시합니다
 (희석액 줄은 희석액 전체 무게입니다).</li><li>향료를 모두 넣은 뒤 에탄올{'과 정제수' if sheet.batch.water_grams else ''}를 넣고
 섞습니다.</li><li>총 무게가 {_grams(grams)}인지 확인합니다.</li></ol>
<h2>IFRA 적합성 요약 — {e(ifra.status_ko)}</h2><p>{e(ifra.basis_ko)}</p><ul>{''.join(f'<li>{e(x)}</li>' for x in ifra.lines_ko)}</ul>
<h2>알레르기 유발 성분 표시 (EU)</h2><p>{e(allergens.basis_ko)}</p>
<ul>{''.join(f'<li>{e(x)}</li>' for x in allergens.lines_ko) or '<li>표시 기준을 넘는 성분이 없습니다.</li>'}</ul>
<p><small>{e(AUTHORITY_KO)}</small></p></html>"""


# --- IFRA and allergens -----------------------------------------------------------------------
class IfraSummary(BaseModel):
    status: ComplianceStatus
    status_ko: str
    basis_ko: str
    lines_ko: list[str] = Field(description="one line per Standard touched, then every 확인 필요")
    authority_ko: str = AUTHORITY_KO


def ifra_summary(recipe: Recipe, catalog: Catalog) -> IfraSummary:
    """Every Standard the formula touches at its product and load, with amendment and source of our figure."""
    info = PRODUCTS[recipe.product]
    category, load = recipe.category, recipe.dilution_percent
    doses = {i.material_id: i.percent for i in recipe.ingredients if i.material_id in catalog}
    lines = []
    for check in catalog.check_ifra(doses, category, load):
        standard = catalog.standards[check.standard]
        names = ", ".join(catalog.material(m).name_ko for m in check.contributors)
        limit = f"한도 {pct(check.limit.percent)}%" if check.limit.percent is not None else f"한도: {check.limit.kind.value}"
        verdict = {"ok": "적합", "over": "초과", "prohibited": "금지", "unknown": "확인 필요",
                   "specification": "규격 기준(함량 한도 아님)"}[check.status]
        lines.append(f"{standard.label}: 완제품 중 {pct(check.level_percent)}% / {limit} → {verdict} "
                     f"({names}; 출처: {standard.source})")
    for material_id in doses:
        if catalog.ifra_status(material_id, category) == IfraStatus.unknown and not catalog.contributions.get(material_id):
            lines.append(f"{catalog.material(material_id).name_ko}: {IFRA_STATUS_KO[IfraStatus.unknown]} "
                         "(CAS 번호가 없어 기준 적용 여부를 확인하지 못함)")
    unknown = [i.name_ko or i.material_id for i in recipe.ingredients if i.material_id not in catalog]
    if unknown:
        lines.append(f"목록에 없는 재료 {', '.join(unknown)}: 확인 필요 (계산에서 제외됨)")
    status = critique(recipe, catalog).compliance_status
    if unknown and status == ComplianceStatus.compliant:
        status = ComplianceStatus.needs_check
    return IfraSummary(status=status, status_ko=COMPLIANCE_KO[status],
                       basis_ko=f"{info.label_ko} (IFRA 카테고리 {category.value}), 완제품 중 향료 {pct(load)}% 기준",
                       lines_ko=lines)


class AllergenEntry(BaseModel):
    allergen: str
    level_percent: float = Field(description="% of the finished product, from the lines whose content is known")
    declare: bool
    sources: list[str]
    unquantified: list[str] = Field(default_factory=list, description="materials whose content is 확인 필요")


class AllergenDeclaration(BaseModel):
    rinse_off: bool
    threshold_percent: float
    entries: list[AllergenEntry]
    basis_ko: str
    lines_ko: list[str] = Field(description="the allergens to declare, as the label would list them, then 확인 필요")
    authority_ko: str = AUTHORITY_KO


def allergen_declaration(recipe: Recipe, catalog: Catalog) -> AllergenDeclaration:
    """EU Annex III as amended by Regulation (EU) 2023/1545: allergens above 0.001 % (leave-on) or 0.01 %
    (rinse-off) of the product, from the same constituent levels the IFRA summary uses."""
    rinse_off = PRODUCTS[recipe.product].rinse_off
    threshold = threshold_percent(rinse_off)
    doses = {i.material_id: i.percent for i in recipe.ingredients if i.material_id in catalog}
    entries = []
    for line in allergen_lines(catalog.materials, doses, recipe.dilution_percent):
        entries.append(AllergenEntry(
            allergen=line.allergen, level_percent=round(line.level_percent, 5), declare=line.declare(threshold),
            sources=[catalog.material(m).name_ko for m, _ in line.sources],
            unquantified=[catalog.material(m).name_ko for m in line.unquantified]))
    kind = "린스오프" if rinse_off else "리브온"
    unknown = [i.name_ko or i.material_id for i in recipe.ingredients if i.material_id not in catalog]
    basis = (f"{REGULATION_KO}. {PRODUCTS[recipe.product].label_ko} ({kind}, 표시 기준 {threshold}%), 완제품 중 향료 "
             f"{pct(recipe.dilution_percent)}%. 함량 = 배합 비율 × 원료 중 성분 함량(IFRA 부속서·공급사 성적서) × "
             f"부향률. 적용 시기: {TRANSITION_KO}.")
    if unknown:
        basis += f" 목록에 없는 재료({', '.join(unknown)})의 성분은 포함되지 않았습니다 (확인 필요)."
    lines = []
    for e in entries:
        check = f"; {', '.join(e.unquantified)} 함량 확인 필요" if e.unquantified else ""
        if e.declare:
            lines.append(f"{e.allergen}: 완제품 중 {pct(e.level_percent)}% ({', '.join(e.sources[:3])} 유래{check})")
    lines += [f"{e.allergen}: 확인 필요 — {', '.join(e.unquantified)}의 함량 자료가 없습니다"
              for e in entries if e.unquantified and not e.declare]
    return AllergenDeclaration(rinse_off=rinse_off, threshold_percent=threshold, entries=entries, basis_ko=basis,
                               lines_ko=lines)
