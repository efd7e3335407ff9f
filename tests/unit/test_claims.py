"""The claim checker on the fixture knowledge base: each kind of claim, right and wrong."""

from __future__ import annotations

import pytest

from agent.replies.claims import ClaimChecker, ClaimKind, Grounds
from agent.replies.narration_check import NarrationFilter, supported_narration
from knowledge.kb import load_knowledge_base
from perfumery.brief import Brief
from perfumery.critic import compliance_status
from perfumery.naming import concept_ko
from perfumery.recipe import Ingredient, NearestReference, Recipe
from perfumery.vocabulary import POSITION_KO
from store.records import Withheld
from tests.unit.kb_fixtures import write_kb


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> ClaimChecker:
    return ClaimChecker(load_knowledge_base(write_kb(tmp_path_factory.mktemp("kb"))))


@pytest.fixture(scope="module")
def recipe(checker: ClaimChecker) -> Recipe:
    doses = {"bergamot_oil": 20.0, "hedione": 30.0, "rose_absolute": 5.0, "sandalwood_oil": 35.0, "vanillin": 10.0}
    lines = [Ingredient(material_id=m, name_ko=checker.kb.materials[m].name_ko, note=checker.kb.materials[m].note,
                        percent=p) for m, p in doses.items()]
    return Recipe(ingredients=lines, nearest_reference=NearestReference(id="jicky", name="Guerlain Jicky",
                                                                       similarity=0.5))


def verdicts(checker: ClaimChecker, text: str, recipe: Recipe | None, kind: ClaimKind,
             records: list[str] | None = None) -> list[tuple[str, str, bool]]:
    grounds = Grounds(recipe=recipe, record_ids=records or [])
    return [(c.subject, c.value, c.supported) for c in checker.check(text, grounds) if c.kind == kind]


def test_note_positions_are_read_per_clause(checker: ClaimChecker, recipe: Recipe) -> None:
    text = "탑에서는 베르가못 오일이, 미들에서는 헤디온 · 샌달우드 오일이 향을 이끕니다."
    assert verdicts(checker, text, recipe, ClaimKind.position) == [
        ("bergamot_oil", "top", True), ("hedione", "heart", True), ("sandalwood_oil", "heart", False)]


def test_the_concept_line_places_each_tier(checker: ClaimChecker, recipe: Recipe) -> None:
    doses = {i.material_id: i.percent for i in recipe.ingredients}
    line = concept_ko(doses, checker.kb.catalog, recipe.concentration)
    positions = verdicts(checker, line, recipe, ClaimKind.position)
    assert {m for m, _, _ in positions} >= {"bergamot_oil", "hedione", "sandalwood_oil"}
    assert all(ok for _, _, ok in positions)


def test_a_material_outside_recipe_and_records_is_unsupported(checker: ClaimChecker, recipe: Recipe) -> None:
    assert verdicts(checker, "라벤더 오일이 은은하게 감쌉니다.", recipe, ClaimKind.material) == [
        ("lavender_oil", "있음", False)]
    assert verdicts(checker, "라벤더 오일이 은은하게 감쌉니다.", recipe, ClaimKind.material, ["lavender_oil"]) == [
        ("lavender_oil", "있음", True)]


def test_a_removed_material_is_claimed_absent(checker: ClaimChecker, recipe: Recipe) -> None:
    assert verdicts(checker, "헤디온은 빼고 만들었어요.", recipe, ClaimKind.material) == [("hedione", "없음", False)]
    assert verdicts(checker, "라벤더 오일은 빼고 만들었어요.", recipe, ClaimKind.material) == [("lavender_oil", "없음", True)]


def test_percentages_match_the_line_the_pyramid_or_the_dilution(checker: ClaimChecker, recipe: Recipe) -> None:
    text = "헤디온 30%와 베르가못 오일 25%를 씁니다. 부향률 18%."
    assert [ok for _, _, ok in verdicts(checker, text, recipe, ClaimKind.percent)] == [True, False, True]
    assert [ok for _, _, ok in verdicts(checker, "탑 20.0% · 미들 35.0%", recipe, ClaimKind.percent)] == [True, True]
    assert verdicts(checker, "변경: 헤디온 12% → 30%", recipe, ClaimKind.percent) == [("hedione", "% 30%", True)]


def test_descriptors_follow_the_material_they_describe(checker: ClaimChecker, recipe: Recipe) -> None:
    assert verdicts(checker, "상큼한 베르가못 오일이 열어요.", recipe, ClaimKind.descriptor) == [
        ("bergamot_oil", "상큼한", True)]
    assert verdicts(checker, "달콤한 헤디온이 감싸요.", recipe, ClaimKind.descriptor) == [("hedione", "달콤한", False)]
    assert verdicts(checker, "전체적으로 달콤한 향입니다.", recipe, ClaimKind.descriptor) == [("formula", "달콤한", True)]


def test_concentration_compliance_and_reference(checker: ClaimChecker, recipe: Recipe) -> None:
    assert verdicts(checker, "가벼운 EDT 처방입니다.", recipe, ClaimKind.concentration) == [("formula", "EDT", False)]
    status = compliance_status(recipe.violations).value
    said = {"compliant": "준수", "non_compliant": "위반", "needs_check": "확인 필요"}[status]
    assert verdicts(checker, f"IFRA: {said}", recipe, ClaimKind.compliance) == [("formula", said, True)]
    assert verdicts(checker, "Guerlain Jicky를 닮았어요.", recipe, ClaimKind.reference)[0][2] is True
    assert verdicts(checker, "Guerlain Mitsouko를 닮았어요.", recipe, ClaimKind.reference)[0][2] is False


def test_a_sentence_quoted_from_a_record_is_not_taken_apart(checker: ClaimChecker, recipe: Recipe) -> None:
    quote = checker.kb.materials["lavender_oil"].description_ko
    grounds = Grounds(recipe=recipe, record_ids=["lavender_oil"], record_texts=[quote])
    assert checker.check(quote, grounds) == []


def test_narration_keeps_supported_sentences_and_drops_the_rest(checker: ClaimChecker, recipe: Recipe) -> None:
    brief = Brief(descriptors={"citrus": 1.0})
    text = "탑에서는 베르가못 오일이 밝게 열립니다. 베이스는 헤디온이 받쳐줍니다. 샌달우드 오일이 오래"
    kept, problems = supported_narration(text, recipe, brief, checker, Grounds(), lambda: "템플릿")
    assert kept == "탑에서는 베르가못 오일이 밝게 열립니다."
    assert len(problems) == 2


def test_narration_praising_an_avoided_descriptor_becomes_the_template(checker: ClaimChecker, recipe: Recipe) -> None:
    brief = Brief(descriptors={"floral": 1.0}, avoid_descriptors={"sweet": 1.0})
    kept, problems = supported_narration("전체적으로 달콤한 향입니다.", recipe, brief, checker, Grounds(),
                                         lambda: "템플릿")
    assert kept == "템플릿" and "피하려는 향" in problems[-1]


def test_what_was_asked_is_claimed_only_when_it_can_be_smelled(checker: ClaimChecker, recipe: Recipe) -> None:
    # bergamot 20 %, hedione 30 %, sandalwood 35 %: citrus and woody are there, coffee and marine are not
    said = verdicts(checker, "요청하신 시트러스, 커피, 나무 향 분위기에 맞춰 구성했습니다.", recipe, ClaimKind.brief)
    assert ("formula", "시트러스", True) in said and ("formula", "나무 향", True) in said
    assert ("formula", "커피", False) in said
    # the same words outside a claim about the request are ordinary descriptor claims
    assert verdicts(checker, "커피 향이 납니다.", recipe, ClaimKind.brief) == []
    kept, problems = supported_narration("요청하신 바다 느낌을 살렸습니다. 베르가못 오일이 밝게 열립니다.", recipe,
                                         Brief(), checker, Grounds(), lambda: "템플릿")
    assert kept == "베르가못 오일이 밝게 열립니다." and problems


def test_a_sentence_pasted_from_a_record_is_not_narration(checker: ClaimChecker, recipe: Recipe) -> None:
    facts = ["헬리오트로프 꽃을 떠올리게 하는 알데하이드. 아몬드와 바닐라가 섞인 포근한 분가루 향이다."]
    kept, problems = supported_narration("베르가못 오일이 밝게 열립니다. 헬리오트로프 꽃을 떠올리게 하는 알데하이드.",
                                         recipe, Brief(), checker, Grounds(record_texts=facts), lambda: "템플릿")
    assert kept == "베르가못 오일이 밝게 열립니다." and "그대로 옮긴" in problems[0]


def test_a_mood_word_used_as_a_noun_is_not_shown(checker: ClaimChecker, recipe: Recipe) -> None:
    """"상큼한을 좋아하는 분께" (the recipe is citrus, so no claim is wrong): the model put the person's mood word
    where its templates put a noun."""
    kept, problems = supported_narration("상큼한을 좋아하는 분께 권하고 싶은 EDP 처방입니다. 베르가못 오일이 밝게 열립니다.",
                                         recipe, Brief(), checker, Grounds(), lambda: "템플릿")
    assert kept == "베르가못 오일이 밝게 열립니다." and problems == [
        f"{Withheld.misworded} (상큼한을): 상큼한을 좋아하는 분께 권하고 싶은 EDP 처방입니다."]


def test_a_withheld_opening_gives_way_to_the_templates_and_only_the_opening(checker: ClaimChecker,
                                                                          recipe: Recipe) -> None:
    """The story's mood sentence withheld: the template's stands in, so the narration still says what the
    formula is; a later withheld sentence is only dropped."""
    stand_in = "요청하신 시트러스 느낌에 맞춘 처방입니다."
    check = NarrationFilter(recipe, Brief(), checker, Grounds(), lambda: "템플릿", lambda: stand_in)
    shown = check.feed("상큼한을 좋아하는 분께 권하고 싶은 EDP 처방입니다. 베르가못 오일이 밝게 열립니다. ")
    shown += check.feed("상큼한을 떠올리게 하는 향입니다. ")
    text, problems, templated = check.finish()
    assert shown == [stand_in, "베르가못 오일이 밝게 열립니다."] and text == " ".join(shown) and not templated
    assert [p.split(" (")[0] for p in problems] == [Withheld.misworded, Withheld.misworded]


def test_a_concept_verb_ends_its_clause_even_when_kiwi_reads_it_as_a_noun() -> None:
    """After "아세테이트로" Kiwi tags "열고" a proper noun; the heart line after it was bound to "열고" (top)."""
    kb = load_knowledge_base()
    places = {"petitgrain_bigarade_oil": "top", "cis_3_hexenyl_acetate": "top", "hexyl_cinnamal": "heart",
              "cyclamen_aldehyde": "heart", "galaxolide": "base"}
    recipe = Recipe(ingredients=[Ingredient(material_id=m, name_ko=kb.materials[m].name_ko, note=note, percent=10.0)
                                 for m, note in places.items()])
    names = {m: kb.materials[m].name_ko for m in places}
    line = (f"{names['petitgrain_bigarade_oil']} · {names['cis_3_hexenyl_acetate']}로 열고 "
            f"{names['hexyl_cinnamal']} · {names['cyclamen_aldehyde']}가 중심을 잡으며 "
            f"{names['galaxolide']}가 오래 남는 EDP 포뮬러.")
    positions = verdicts(ClaimChecker(kb), line, recipe, ClaimKind.position)
    assert sorted(positions) == sorted((m, note, True) for m, note in places.items())


def test_a_name_kiwi_reads_as_a_verb_keeps_its_note_and_dose() -> None:
    """"신나밀 알코올": Kiwi cuts a clause inside the name, and "(미들, 6.7%)" was read as the heart's total."""
    kb = load_knowledge_base()
    recipe = Recipe(ingredients=[Ingredient(material_id="cinnamyl_alcohol", name_ko="신나밀 알코올", note="heart",
                                            percent=6.66),
                                 Ingredient(material_id="rosewood_oil", name_ko="로즈우드 오일", note="heart",
                                            percent=24.47)])
    text = "신나밀 알코올 (미들, 6.7%): 계피와 히아신스 사이의 부드러운 발삼 향 알코올."
    claims = ClaimChecker(kb).check(text, Grounds(recipe=recipe))
    assert all(c.supported for c in claims), [c for c in claims if not c.supported]
    assert ("cinnamyl_alcohol", "heart") in {(c.subject, c.value) for c in claims if c.kind == ClaimKind.position}


def test_every_materials_note_line_reads_as_its_own_position_and_dose() -> None:
    """The reply's per-material line for each of the knowledge base's materials — "이름 (미들, 5.0%): 설명." —
    is read as that material's position and dose, and nothing in it is flagged (Kiwi misreads names)."""
    kb = load_knowledge_base()
    checker = ClaimChecker(kb)
    misread = []
    for material in kb.materials.values():
        recipe = Recipe(ingredients=[Ingredient(material_id=material.id, name_ko=material.name_ko, note=material.note,
                                                percent=5.0)])
        line = f"{material.name_ko} ({POSITION_KO[material.note]}, 5.0%): {material.description_ko.split('.')[0]}."
        claims = checker.check(line, Grounds(recipe=recipe, record_ids=[material.id],
                                             record_texts=[material.description_ko]))
        placed = (material.id, material.note.value) in {(c.subject, c.value) for c in claims
                                                        if c.kind == ClaimKind.position}
        flagged = [c.reason for c in claims if not c.supported and c.kind in (ClaimKind.position, ClaimKind.percent)]
        if flagged or not placed:
            misread.append((material.id, flagged))
    assert not misread
