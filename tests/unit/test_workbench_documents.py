"""Documents a perfumer takes away (batch sheet, IFRA summary, allergen declaration) and replacements."""

from __future__ import annotations

import pytest

from knowledge.formula_import import import_formula
from perfumery import edit_many
from perfumery.batch import BatchBasis
from perfumery.critic import ComplianceStatus
from perfumery.documents import allergen_declaration, batch_sheet_html, ifra_summary, pour_sheet
from perfumery.edits import EditError
from perfumery.formula import FormulaError
from perfumery.ifra import Product
from perfumery.replacements import replacement_ops, replacements
from tests.unit.perfumery_fixtures import CATALOG

FORMULA = "베르가못 오일 20g\n헤디온 39g\nIso E Super 35g\n바닐린 5g\n이소유제놀 10% DPG 10g\n"


def imported(text: str = FORMULA, **settings: object):
    return import_formula(text, CATALOG, **settings).recipe


def test_the_product_sheet_weighs_the_solution_and_takes_its_solvent_off_the_ethanol() -> None:
    recipe = imported(load_percent=20.0)
    sheet = pour_sheet(recipe, 100.0, CATALOG, BatchBasis.product)
    pour = next(p for p in sheet.pours if p.material_id == "isoeugenol")
    assert pour.pour_grams == pytest.approx(pour.neat_grams * 10, abs=0.002)  # a 10 % solution
    assert sheet.solvent_in_dilutions_grams == pytest.approx(pour.pour_grams - pour.neat_grams, abs=0.002)
    [ethanol] = [b for b in sheet.bases if b.name_ko == "에탄올"]
    assert ethanol.grams == pytest.approx(sheet.batch.bases[0].grams - sheet.solvent_in_dilutions_grams)
    assert sum(p.pour_grams for p in sheet.pours) + sum(b.grams for b in sheet.bases) == pytest.approx(100.0, abs=1e-9)
    page = batch_sheet_html(recipe, 100.0, CATALOG, BatchBasis.product)
    assert "10% DPG 희석액" in page and "공급사" in page and "☐" in page and "에탄올를" not in page


def test_the_concentrate_sheet_pours_exactly_the_grams_asked() -> None:
    recipe = imported(load_percent=20.0)
    sheet = pour_sheet(recipe, 100.0, CATALOG)
    assert sum(p.pour_grams for p in sheet.pours) == pytest.approx(100.0, abs=1e-9) and sheet.bases == []
    assert sheet.neat_grams == pytest.approx(100.0 - sheet.solvent_in_dilutions_grams, abs=0.002)
    page = batch_sheet_html(recipe, 100.0, CATALOG)
    assert "향료 농축액 100.000 g" in page and "에탄올" not in page.split("<h2>IFRA")[0]


def test_a_lotion_sheet_names_its_base_its_load_and_no_concentration() -> None:
    lotion = imported(product=Product.body_lotion, load_percent=0.5)
    page = batch_sheet_html(lotion, 100.0, CATALOG, BatchBasis.product)
    head = page.split("<h2>IFRA")[0]
    assert "바디로션 · 향료 0.5%" in head and "로션 베이스" in head and "로션 베이스를 넣고" in head
    assert "에탄올" not in head and "EDP" not in head and " mg" not in head
    assert "missing" not in page


def test_too_much_solvent_for_the_batch_is_a_korean_error() -> None:
    recipe = imported("헤디온 1% DPG 50g\n바닐린 1% DPG 50g", load_percent=40.0)
    with pytest.raises(FormulaError, match="용매"):
        pour_sheet(recipe, 100.0, CATALOG, BatchBasis.product)


def test_ifra_summary_names_the_standard_its_source_and_the_unknown_lines() -> None:
    summary = ifra_summary(imported(load_percent=30.0), CATALOG)
    assert summary.status == ComplianceStatus.non_compliant  # 1 % isoeugenol × 30 % load = 0.3 % > 0.2 %
    assert ifra_summary(imported(load_percent=20.0), CATALOG).status == ComplianceStatus.compliant  # 0.2 % = limit
    assert any("Isoeugenol" in line and "출처" in line for line in summary.lines_ko)
    unknown = ifra_summary(imported(FORMULA + "Ambrocenide 1g\n"), CATALOG)
    assert any("Ambrocenide" in line and "확인 필요" in line for line in unknown.lines_ko)
    assert "공급사" in summary.authority_ko


def test_allergen_declaration_follows_the_product() -> None:
    leave_on = allergen_declaration(imported(product=Product.body_lotion, load_percent=0.5), CATALOG)
    rinse_off = allergen_declaration(imported(product=Product.rinse_off, load_percent=0.5), CATALOG)
    assert (leave_on.threshold_percent, rinse_off.threshold_percent) == (0.001, 0.01)
    isoeugenol = next(e for e in leave_on.entries if e.allergen == "Isoeugenol")
    assert isoeugenol.level_percent == pytest.approx(1.0 * 0.5 / 100, rel=0.01)
    assert isoeugenol.declare  # 0.005 % > 0.001 % leave-on
    assert not next(e for e in rinse_off.entries if e.allergen == "Isoeugenol").declare  # < 0.01 % rinse-off


def test_replacements_give_reasons_and_applying_one_rebalances() -> None:
    recipe = imported()
    found = replacements(recipe, "iso_e_super", CATALOG)
    assert found and all(r.material_id not in {i.material_id for i in recipe.ingredients} for r in found)
    best = found[0]
    assert CATALOG.material(best.material_id).note == CATALOG.material("iso_e_super").note
    assert len(best.reasons_ko) == 5 and best.reasons_ko[-1].startswith("IFRA")
    after = edit_many(recipe, replacement_ops(recipe, "iso_e_super", best.material_id, CATALOG), CATALOG)
    assert after.percent_of("iso_e_super") == 0 and after.percent_of(best.material_id) == best.percent
    assert after.total_percent == pytest.approx(100.0)
    assert next(i for i in after.ingredients if i.material_id == "isoeugenol").dilution is not None  # kept
    with pytest.raises(EditError):
        replacements(recipe, "galaxolide", CATALOG)
