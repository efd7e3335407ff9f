"""What a perfumer takes away: CSV and JSON exports, a printable batch sheet, an IFRA conformity summary and an
EU allergen declaration.

Exports round-trip through ``knowledge.formula_import`` (CSV states neat percentages in ``percent_neat``).
The batch sheet weighs what is poured — the concentrate by default, the finished product on request: a line
kept as a 10 % solution is weighed as ten times its neat weight, and the solvent it brings comes off the
product's base. Our IFRA and allergen figures are a check, not a certificate: the documents say so, and
say where a figure is missing.
"""

from __future__ import annotations

import csv
import html
import io
import json

from pydantic import BaseModel, Field

from perfumery.allergens import REGULATION_KO, TRANSITION_KO, allergen_lines, threshold_percent
from perfumery.batch import BASIS_KO, BaseLine, BatchBasis, BatchSheet, round_grams, scale_batch
from perfumery.catalog import Catalog
from perfumery.critic import COMPLIANCE_KO, ComplianceStatus, critique, pct
from perfumery.csv_cells import safe_cell
from perfumery.formula import FormulaError
from perfumery.ifra import CHECK_VERDICT_KO, IFRA_STATUS_KO, LIMIT_KO, PRODUCTS, IfraStatus, Product
from perfumery.naming import particle
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
    """What goes on the scale, in the sheet's one unit; pours and bases add up to ``batch.total_grams``."""

    batch: BatchSheet
    pours: list[PourLine]
    bases: list[BaseLine] = Field(description="the product's base less the solvent the dilutions brought")
    solvent_in_dilutions_grams: float

    @property
    def neat_grams(self) -> float:
        return round(sum(p.neat_grams for p in self.pours), self.batch.decimals)


def pour_sheet(recipe: Recipe, grams: float, catalog: Catalog,
               basis: BatchBasis = BatchBasis.concentrate) -> PourSheet:
    """The batch in what is weighed: a diluted line as its solution.

    For a concentrate the solutions take the place of their neat weight, so what is poured still adds up to
    ``grams`` (the compounded oil then holds the dilutions' solvent, stated on the sheet); for a finished
    product the solvent they bring comes off the product's base.
    """
    batch = scale_batch(recipe, grams, catalog, basis)
    decimals = batch.decimals
    factors = [100.0 / i.dilution.strength if i.dilution else 1.0 for i in recipe.ingredients]
    if basis == BatchBasis.concentrate:
        poured = round_grams({str(n): line.grams * f for n, (line, f) in enumerate(zip(batch.lines, factors,
                                                                                          strict=True))},
                             grams, decimals)
        pour = [poured[str(n)] for n in range(len(batch.lines))]
    else:
        pour = [round(line.grams * f, decimals) for line, f in zip(batch.lines, factors, strict=True)]
    pours = []
    for line, ingredient, weighed, factor in zip(batch.lines, recipe.ingredients, pour, factors, strict=True):
        dilution = ingredient.dilution
        solvent = (dilution.solvent.value if dilution.solvent else "용매 미기재") if dilution else ""
        pours.append(PourLine(material_id=line.material_id, name_ko=line.name_ko,
                              neat_grams=round(weighed / factor, decimals), pour_grams=weighed,
                              dilution_ko=f"{dilution.strength:g}% {solvent} 희석액" if dilution else ""))
    carried = round(sum(p.pour_grams for p in pours) - sum(p.neat_grams for p in pours), decimals)
    bases = list(batch.bases)
    if bases and carried:
        first = bases[0]
        if first.grams < carried:
            raise FormulaError(f"희석액에 든 용매({carried:g} g)가 {first.name_ko} 자리({first.grams:g} g)보다 많아요. "
                               "부향률을 낮추거나 더 진한 희석액을 쓰세요.")
        bases[0] = first.model_copy(update={"grams": round(first.grams - carried, decimals)})
    return PourSheet(batch=batch, pours=pours, bases=bases, solvent_in_dilutions_grams=carried)


def _and(names: list[str]) -> str:
    """"에탄올과 정제수", "로션 베이스": names joined with the particle their final consonant calls for."""
    return "".join(particle(n, "과 ", "와 ") for n in names[:-1]) + names[-1]


def batch_sheet_html(recipe: Recipe, grams: float, catalog: Catalog,
                     basis: BatchBasis = BatchBasis.concentrate) -> str:
    """A printable page: formula, weights for ``grams`` of concentrate (default) or finished product, the
    product's base, a checklist, IFRA and allergens — one unit throughout, adding up to ``grams``."""
    sheet = pour_sheet(recipe, grams, catalog, basis)
    batch = sheet.batch
    e = html.escape
    g = batch.grams_ko
    rows = "".join(
        f"<tr><td>☐</td><td>{e(p.name_ko)}</td><td>{e(i.cas)}</td><td class=n>{pct(i.percent)}%</td>"
        f"<td>{e(p.dilution_ko) or '원액'}</td><td class=n><b>{g(p.pour_grams)}</b></td></tr>"
        for p, i in zip(sheet.pours, recipe.ingredients, strict=True))
    rows += "".join(f"<tr><td>☐</td><td>{e(b.name_ko)}</td><td></td><td></td><td></td>"
                    f"<td class=n><b>{g(b.grams)}</b></td></tr>" for b in sheet.bases if b.grams > 0)
    product = PRODUCTS[recipe.product]
    label = batch.label_ko if recipe.product != Product.fine_fragrance else \
        f"{product.label_ko} · {batch.label_ko} · 부향률 {pct(recipe.dilution_percent)}%"
    solvent = (f" (희석액의 용매 {g(sheet.solvent_in_dilutions_grams)} 포함, 순수 향료 {g(sheet.neat_grams)})"
               if sheet.solvent_in_dilutions_grams else "")
    if basis == BatchBasis.concentrate:
        what = (f"향료 농축액 {g(grams)}{solvent} — {e(label)}용, 완제품에 {pct(recipe.dilution_percent)}% 넣는 향료 "
                f"({e(product.load_basis_ko)})")
        finish = "<li>향료를 모두 넣고 고르게 섞어 농축액을 만듭니다.</li>"
    else:
        bases = [b.name_ko for b in sheet.bases if b.grams > 0]
        what = (f"완제품 {g(grams)} — {e(label)} · 향료 농축액 {g(batch.concentrate_grams)}"
                f"{solvent} + {e(' + '.join(f'{b.name_ko} {g(b.grams)}' for b in sheet.bases))}")
        finish = f"<li>향료를 모두 넣은 뒤 {e(particle(_and(bases), '을', '를'))} 넣고 섞습니다.</li>" if bases else ""
    ifra = ifra_summary(recipe, catalog)
    allergens = allergen_declaration(recipe, catalog)
    title = e(recipe.name or recipe.id)
    small = (f"<p>⚠️ {len(batch.below_unit)}개 재료가 {g(10.0 ** -batch.decimals)}보다 적어 반올림했습니다 "
             f"({e(', '.join(batch.below_unit[:3]))}{' 등' if len(batch.below_unit) > 3 else ''}). 향료 농축액을 넉넉히 "
             "먼저 만든 뒤 필요한 만큼 덜어 쓰세요.</p>" if batch.below_unit else "")
    return f"""<!doctype html><html lang="ko"><meta charset="utf-8"><title>{title} 배합표</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #999;padding:4px 8px}}.n{{text-align:right}}@media print{{button{{display:none}}}}</style>
<h1>{title} — {BASIS_KO[basis]} 배합표 (v{recipe.version})</h1>
<p>{what}</p>{small}
<table><tr><th>✓</th><th>재료</th><th>CAS</th><th>원액 비율</th><th>계량 형태</th><th>계량</th></tr>{rows}</table>
<h2>작업 순서</h2><ol><li>저울 영점을 맞추고 용기 무게를 뺍니다.</li><li>위 표의 순서대로 '계량' 값을 달고 ☐에 표시합니다
 (희석액 줄은 희석액 전체 무게입니다).</li>{finish}<li>총 무게가 {g(grams)}인지 확인합니다.</li></ol>
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
        limit = (f"한도 {pct(check.limit.percent)}%" if check.limit.percent is not None
                 else f"한도: {LIMIT_KO[check.limit.kind]}")
        lines.append(f"{standard.label}: 완제품 중 {pct(check.level_percent)}% / {limit} → {CHECK_VERDICT_KO[check.status]} "
                     f"({names}; 출처: {standard.source})")
    for material_id in doses:
        if catalog.ifra_unidentified(material_id):
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
