import random

from perfumery.brief import Brief
from perfumery.composer import compose
from perfumery.models import Concentration
from perfumery.naming import brief_themes, concept_ko, formula_name, instrumental, particle
from tests.unit.perfumery_fixtures import CATALOG


def test_particles_follow_the_final_consonant():
    assert particle("헤디온", "이", "가") == "헤디온이"
    assert particle("바닐라", "이", "가") == "바닐라가"
    assert instrumental("베르가못 오일") == "베르가못 오일로"  # ㄹ takes 로
    assert instrumental("헤디온") == "헤디온으로"
    assert instrumental("시트러스") == "시트러스로"


def test_concept_names_leads_of_each_position():
    doses = {"bergamot_oil": 15, "hedione": 25, "iso_e_super": 30, "lemon_oil": 5, "galaxolide": 25}
    text = concept_ko(doses, CATALOG, Concentration.EDT)
    assert text == ("베르가못 오일 · 레몬 오일로 열고 헤디온이 중심을 잡으며 이소 이 슈퍼 · 갈락솔라이드가 "
                    "오래 남는 EDT 포뮬러.")


def test_a_formula_is_named_from_the_brief_not_after_a_material():
    assert formula_name(["포근한", "카페"], random.Random(0)).startswith("포근한 카페 ")
    assert formula_name(["카페", "포근한"], random.Random(0)).startswith("카페 ")  # a scene word then a mood word
    assert formula_name([], random.Random(0)).startswith("향기 ")
    brief = Brief(descriptors={"rose": 1.0, "floral": 0.7}, themes=["장미"])
    assert brief_themes(brief, CATALOG) == ["장미"]
    # Without the person's words, the brief's leading descriptors in Korean (the family word in this catalog).
    assert brief_themes(brief.model_copy(update={"themes": []}), CATALOG) == ["플로럴"]
    for recipe in compose(brief, CATALOG, n=3):
        assert recipe.name.startswith("장미 ")
        assert not any(CATALOG.material(i.material_id).name_ko in recipe.name for i in recipe.ingredients)
