import pytest

from perfumery.catalog import UnknownMaterialError
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
