import random

from perfumery.models import Concentration
from perfumery.naming import concept_ko, formula_name, instrumental, particle
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
    assert formula_name(doses, CATALOG, random.Random(0)).startswith("헤디온 ")
