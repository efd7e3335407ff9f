"""The loader accepts consistent data and names every defect of inconsistent data."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from knowledge.kb import KnowledgeBaseError, load_knowledge_base
from tests.unit.kb_fixtures import ACCORDS, LEXICON, MATERIALS, PERFUMES, write_kb


def _problems(tmp_path: Path, **override: list[dict]) -> str:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base(write_kb(tmp_path, **override))
    return "\n".join(caught.value.problems)


def test_fixture_loads_with_every_record(tmp_path: Path) -> None:
    kb = load_knowledge_base(write_kb(tmp_path))
    assert (len(kb.materials), len(kb.accords), len(kb.perfumes), len(kb.lexicon)) == (8, 2, 2, 9)
    assert kb.descriptors["rose"].family.value == "floral"
    assert kb.descriptor_words_ko(["citrus", "fresh"])[:2] == ["시트러스", "상큼한"]


def test_load_is_cached_per_folder(tmp_path: Path) -> None:
    folder = write_kb(tmp_path)
    assert load_knowledge_base(folder) is load_knowledge_base(folder)


def test_content_hash_follows_the_data(tmp_path: Path) -> None:
    first = load_knowledge_base(write_kb(tmp_path / "a")).content_hash
    same = load_knowledge_base(write_kb(tmp_path / "b")).content_hash
    changed = load_knowledge_base(write_kb(tmp_path / "c", accords=ACCORDS[:1])).content_hash
    assert first == same != changed


def test_duplicate_material_id_is_reported(tmp_path: Path) -> None:
    assert "중복 id 'lemon_oil'" in _problems(tmp_path, materials=[*MATERIALS, MATERIALS[1]])


def test_accord_component_must_be_a_material(tmp_path: Path) -> None:
    accords = copy.deepcopy(ACCORDS)
    accords[0]["components"][0]["material"] = "unobtainium"
    assert "component 'unobtainium' is not a material" in _problems(tmp_path, accords=accords)


def test_perfume_note_material_must_exist(tmp_path: Path) -> None:
    perfumes = copy.deepcopy(PERFUMES)
    perfumes[1]["base"][0]["material"] = "vanilla_absolute"
    assert "note material 'vanilla_absolute' is not a material" in _problems(tmp_path, perfumes=perfumes)


def test_cas_check_digit_is_enforced(tmp_path: Path) -> None:
    materials = copy.deepcopy(MATERIALS)
    materials[0]["cas"] = "8007-75-9"
    assert "invalid CAS number '8007-75-9'" in _problems(tmp_path, materials=materials)


def test_volatility_must_fit_the_note(tmp_path: Path) -> None:
    materials = copy.deepcopy(MATERIALS)
    materials[5]["volatility"] = 0.9  # sandalwood as a base note that flashes off
    assert "material sandalwood_oil: note base needs volatility" in _problems(tmp_path, materials=materials)


def test_descriptors_must_come_from_the_vocabulary(tmp_path: Path) -> None:
    lexicon = [*LEXICON, dict(term="몽환적인", category="mood", descriptors={"dreamy": 1.0})]
    assert "lexicon '몽환적인': descriptor 'dreamy'" in _problems(tmp_path, lexicon=lexicon)


def test_schema_errors_name_the_record(tmp_path: Path) -> None:
    materials = copy.deepcopy(MATERIALS)
    materials[2]["note"] = "middle"
    assert "all.yaml[2] lavender_oil: note" in _problems(tmp_path, materials=materials)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="데이터 폴더가 없습니다"):
        load_knowledge_base(tmp_path / "nowhere")


def test_catalog_carries_the_records(tmp_path: Path) -> None:
    kb = load_knowledge_base(write_kb(tmp_path))
    catalog = kb.catalog
    assert "hedione" in catalog
    assert catalog.references["jicky"].name == "Jicky"
    assert catalog.descriptor_families["vetiver"] == "woody"
