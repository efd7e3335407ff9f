"""Documents a perfumer takes away (batch sheet, IFRA summary, allergen declaration) and replacements."""

from __future__ import annotations

import pytest

from knowledge.formula_import import import_formula
from perfumery import edit_many
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


def test_the_batch_sheet_weighs_the_solution_and_takes_its_solvent_off_the_ethanol() -> None:
    recipe = imported(load_percent=20.0)
    sheet = pour_sheet(recipe, 100.0, CATALOG)
    pour = next(p for p in sheet.pours if p.material_id == "isoeugenol")
    assert pour.pour_grams == pytest.approx(pour.neat_grams * 10, abs=0.002)  # a 10 % solution
    assert sheet.solvent_in_dilutions_grams == pytest.approx(pour.pour_grams - pour.neat_grams, abs=0.002)
    assert sheet.ethanol_to_add_grams == pytest.approx(sheet.batch.ethanol_grams - sheet.solvent_in_dilutions_grams)
    assert sum(p.pour_grams for p in sheet.pours) + sheet.ethanol_to_add_grams + sheet.batch.water_grams == \
        pytest.approx(100.0, abs=0.01)
    page = batch_sheet_html(recipe, 100.0, CATALOG)
    assert "10% DPG 희석액" in page and "공급사" in page and "☐" in page


def test_too_much_solvent_for_the_batch_is_a_korean_error() -> None:
    recipe = imported("헤디온 1% DPG 50g\n바닐린 1% DPG 50g", load_percent=40.0)
    with pytest.raises(FormulaError, match="용매"):
        pour_sheet(recipe, 100.0, CATALOG)


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
