"""The real knowledge base: constituents of naturals add up, and IFRA and the allergen declaration agree."""

from __future__ import annotations

import pytest

from knowledge.kb import SUM_TOLERANCE, load_knowledge_base
from perfumery.allergens import AnnexChange, allergen_lines
from perfumery.documents import allergen_declaration, ifra_summary
from perfumery.ifra import IfraCategory
from perfumery.models import Concentration, Origin
from perfumery.recipe import Recipe

# Shared substances: Annex III label → the IFRA Standard on the same substance.
SHARED = {"Citral": "IFRA_STD_021", "Geraniol": "IFRA_STD_037", "Eugenol": "IFRA_STD_035",
          "Isoeugenol": "IFRA_STD_048", "Coumarin": "IFRA_STD_023", "Farnesol": "IFRA_STD_036",
          "Cinnamal": "IFRA_STD_018", "Benzyl Benzoate": "IFRA_STD_009", "Citronellol": "IFRA_STD_022"}
DOSES = {"lemongrass_oil": 2, "bergamot_oil": 8, "rose_absolute": 1, "clove_bud_oil": 0.5, "ylang_ylang_oil": 2,
         "citral": 0.5, "coumarin": 1, "cinnamon_bark_oil": 0.2, "sweet_orange_oil": 5, "hedione": 79.8}


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


def formula(kb, doses: dict[str, float], load: float = 20.0, product: str = "fine_fragrance") -> Recipe:
    return Recipe(concentration=Concentration.EDP, dilution_percent=load, product=product,
                  ingredients=[kb.catalog.ingredient(m, p) for m, p in doses.items()])


def test_every_natural_declares_at_most_the_whole_of_itself(kb) -> None:
    checked = 0
    for material in kb.materials.values():
        if material.origin != Origin.natural:
            continue
        for variant in kb.compositions.get(material.id, []):
            assert sum(percent for percent, _ in variant.values()) <= 100 + SUM_TOLERANCE, material.id
            checked += 1
    assert checked > 150
    assert all(0 < s.fraction <= 1 for m in kb.materials.values() for s in m.allergen_content if s.fraction)


def test_bergamot_oil_is_not_counted_as_citral(kb) -> None:
    # The old upper bound put 2.7 % bergamot oil down as 2.7 % citral; the Annex gives 0.48 % of the oil.
    [citral] = [line for line in allergen_lines(kb.materials, {"bergamot_oil": 2.7}, 100.0) if line.allergen == "Citral"]
    assert citral.level_percent == pytest.approx(2.7 * 0.0048)


def test_the_ifra_section_and_the_declaration_agree_on_every_shared_substance(kb) -> None:
    recipe = formula(kb, DOSES)
    ifra = {c.standard: c.level_percent for c in kb.catalog.check_ifra(DOSES, IfraCategory.c4, 20.0)}
    declared = {e.allergen: e.level_percent for e in allergen_declaration(recipe, kb.catalog).entries}
    compared = [label for label, standard in SHARED.items() if label in declared and standard in ifra]
    assert len(compared) >= 7
    for label in compared:
        assert declared[label] == pytest.approx(ifra[SHARED[label]], rel=1e-4, abs=1e-5), label
    summary = ifra_summary(recipe, kb.catalog)
    assert any(line.startswith("Citral") and "IFRA Standards, 51st Amendment" in line for line in summary.lines_ko)


def test_a_constituent_without_a_figure_is_to_be_checked_naming_the_natural(kb) -> None:
    declaration = allergen_declaration(formula(kb, DOSES, load=1.0, product="body_lotion"), kb.catalog)
    limonene = next(e for e in declaration.entries if e.allergen == "Limonene")
    assert kb.materials["sweet_orange_oil"].name_ko in limonene.unquantified
    assert "smortenax" not in declaration.basis_ko and "Regulation (EU) 2023/1545" in declaration.basis_ko


def test_the_annex_iii_list_is_the_2023_1545_one(kb) -> None:
    entries = kb.allergen_entries
    assert len(entries) == 81 and len({e.label for e in entries.values()}) == 81
    assert sum(e.change == AnnexChange.added for e in entries.values()) == 45  # entries 327–371
    assert sum(e.change == AnnexChange.substituted for e in entries.values()) == 17
    assert not {79, 83} & set(entries)  # HICC and Lilial moved to Annex II
    assert {"Lavandula Oil/Extract", "Cananga Odorata Oil/Extract"} <= {e.label for e in entries.values()}
    shares = {s.allergen: s.fraction for s in kb.materials["lavender_oil"].allergen_content}
    assert shares["Lavandula Oil/Extract"] == 1.0  # the oil is itself an entry
