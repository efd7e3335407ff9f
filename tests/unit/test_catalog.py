import pytest

from perfumery.catalog import Catalog, UnknownMaterialError
from perfumery.ifra import IfraStatus
from tests.unit.perfumery_fixtures import CATALOG


def test_cap_is_limit_over_dilution():
    assert CATALOG.cap("oakmoss_absolute", 18.0) == pytest.approx(0.1 / 18 * 100)
    assert CATALOG.cap("hedione", 18.0) == 100.0
    assert CATALOG.cap("lilial", 18.0) == 0.0


def test_ingredient_carries_catalog_names_and_cas():
    ing = CATALOG.ingredient("hedione", 12.5)
    assert (ing.name_ko, ing.name_en, ing.cas, ing.note.value) == ("헤디온", "Hedione", "24851-98-7", "heart")


def test_unknown_material_has_a_korean_message():
    with pytest.raises(UnknownMaterialError) as info:
        CATALOG.material("unobtainium")
    assert "재료 목록에 없는" in str(info.value)


def test_nearest_materials_prefers_the_same_descriptors():
    nearest = CATALOG.nearest_materials(CATALOG.vector("lilial"), k=2, exclude=["lilial"])
    assert [m for m, _ in nearest] == ["hedione", "linalool"]


def test_partners_come_from_accords_and_perfumes():
    assert "oakmoss_absolute" in CATALOG.partners["bergamot_oil"]  # chypre accord
    assert "galaxolide" in CATALOG.partners["cedarwood_oil"]  # Cool Water base


def test_catalog_is_immutable():
    with pytest.raises(TypeError):
        CATALOG.materials["x"] = CATALOG.materials["hedione"]  # type: ignore[index]


def test_no_cas_and_no_standard_is_unidentified_and_needs_checking():
    """The one "no CAS → 확인 필요" rule: a material no Standard matched is 'not under a Standard' only when its
    CAS number (or a note on how its standing was established) says so."""
    bare = CATALOG.materials["hedione"].model_copy(update={"id": "bare", "cas": ""})
    noted = bare.model_copy(update={"id": "noted", "ifra_note": "IFRA Transparency List에 없음"})
    catalog = Catalog({**CATALOG.materials, "bare": bare, "noted": noted}, CATALOG.accords, CATALOG.references,
                      CATALOG.descriptor_families, CATALOG.standards, CATALOG.contributions)
    assert catalog.ifra_unidentified("bare") and catalog.ifra_status("bare") == IfraStatus.unknown
    assert not catalog.ifra_unidentified("noted") and catalog.ifra_status("noted") == IfraStatus.none
    assert not catalog.ifra_unidentified("hedione")
    assert not catalog.ifra_unidentified("oakmoss_absolute")  # a Standard matched it: its figures decide
