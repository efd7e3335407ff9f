import shutil

import pytest
import yaml

from eval.odor_reference import (
    DEFAULT_DIR,
    Match,
    OdorReferenceError,
    ReferenceRecord,
    SourceId,
    WordMap,
    agreement,
    by_family,
    coverage,
    find_problems,
    load_reference,
    rank_vector,
    reference_vector,
    word_weights,
)
from knowledge.kb import load_knowledge_base

KB = load_knowledge_base()
FAMILIES = {key: d.family.value for key, d in KB.descriptors.items()}


@pytest.fixture
def data_copy(tmp_path):
    """A writable copy of the reference folder, so a test can break one thing."""
    folder = tmp_path / "odor_reference"
    shutil.copytree(DEFAULT_DIR, folder)
    return folder


def edit_reference(folder, change):
    path = folder / "reference.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_reference_agrees_with_the_knowledge_base():
    # ids exist, every material is a record or a stated gap, mapped targets are vocabulary words, CAS agrees
    assert find_problems(load_reference(), KB.materials, set(KB.descriptors)) == []


def test_coverage_is_at_least_the_reported_figure():
    cov = coverage(load_reference(), KB.materials)
    assert cov.materials == len(KB.materials)
    assert cov.covered >= 335 and cov.share >= 0.97
    assert cov.natural_covered >= 137 and cov.synthetic_covered >= 198
    assert cov.natural_covered + cov.synthetic_covered == cov.covered
    assert cov.by_source[SourceId.ifra_glossary_2019] > cov.by_source[SourceId.good_scents]


def test_cas_matches_carry_our_cas_and_name_matches_say_why():
    reference = load_reference()
    for mid, record in reference.records.items():
        if record.match == Match.cas:
            assert record.source_cas == KB.materials[mid].cas, mid
        else:
            assert record.note and record.source_cas != KB.materials[mid].cas, mid


def test_find_problems_reports_a_cas_mismatch_and_an_unknown_target(data_copy):
    edit_reference(data_copy, lambda d: d["records"][0].update(source_cas="50-00-0"))
    (data_copy / "word_map.yaml").write_text(
        (data_copy / "word_map.yaml").read_text(encoding="utf-8").replace("muguet: [lily_of_the_valley]",
                                                                          "muguet: [muguet]"),
        encoding="utf-8")
    problems = find_problems(load_reference(data_copy), KB.materials, set(KB.descriptors))
    assert any("50-00-0" in p for p in problems)
    assert any("'muguet' → 'muguet'" in p for p in problems)


def test_a_word_neither_mapped_nor_explained_is_refused(data_copy):
    edit_reference(data_copy, lambda d: d["records"][0]["records"][0].append("Glittery"))
    with pytest.raises(OdorReferenceError, match="향 기준 데이터 오류") as error:
        load_reference(data_copy)
    assert any("'glittery' is neither mapped" in p for p in error.value.problems)


def test_a_material_listed_twice_and_a_missing_file_are_refused(data_copy):
    edit_reference(data_copy, lambda d: d["gaps"].append({"material": d["records"][0]["material"], "reason": "x"}))
    with pytest.raises(OdorReferenceError, match="listed 2 times"):
        load_reference(data_copy)
    (data_copy / "word_map.yaml").unlink()
    with pytest.raises(OdorReferenceError, match="파일이 없습니다"):
        load_reference(data_copy)


def test_a_name_match_needs_a_note():
    with pytest.raises(ValueError, match="must say why"):
        ReferenceRecord(material="x", source=SourceId.good_scents, match=Match.name, source_name="X",
                        source_cas="1-1-1", records=[["rose"]])


def test_rank_weights_average_over_records():
    assert word_weights([["Floral", "Rose", "Honey"]]) == pytest.approx({"floral": 1, "rose": 2 / 3, "honey": 1 / 3})
    # two records: a word both name outranks a word only one names
    assert word_weights([["musk", "sweet"], ["sweet", "musk", "dry"]]) == pytest.approx(
        {"musk": (1 + 2 / 3) / 2, "sweet": (1 / 2 + 1) / 2, "dry": (1 / 3) / 2})


def test_vector_skips_unmapped_words_takes_the_strongest_synonym_and_scales_to_one():
    word_map = WordMap(mapped={"coffee": ["coffee"], "musk": ["musky"], "musk like": ["musky"]},
                       unmapped={"food like": "family label"})
    assert reference_vector([["Food Like", "Coffee", "Musk"]], word_map) == {"coffee": 1.0, "musky": 0.5}
    assert reference_vector([["Musk", "Musk like", "Coffee"]], word_map) == {"musky": 1.0, "coffee": pytest.approx(1 / 3, abs=1e-4)}
    assert reference_vector([["Food Like"]], word_map) == {}


def test_familiar_materials_smell_as_expected():
    reference = load_reference()
    assert "rose" in reference.vector("phenylethyl_alcohol")
    assert reference.vector("coffee_co2")["coffee"] == 1.0
    assert reference.vector("vanillin")["vanilla"] == 1.0
    assert reference.vector("calone")["marine"] == 1.0
    assert reference.vector("costus_root_oil") == {} and "costus_root_oil" in reference.gaps


def test_citation_names_the_source_page_or_data_set():
    reference = load_reference()
    geosmin = reference.citation("geosmin")
    assert geosmin.url.startswith("https://www.thegoodscentscompany.com/data/rw") and geosmin.date == "2022-01-17"
    hedione = reference.citation("hedione")
    assert "ifra_2019" in hedione.url and "IFRA" in hedione.source and hedione.date == "2019-10"


def test_agreement_compares_like_with_like():
    assert rank_vector(["rose", "floral"]) == {"rose": 1.0, "floral": 0.5}
    assert by_family({"rose": 1.0, "jasmine": 0.5, "musky": 0.2}, FAMILIES) == {"floral": 1.0, "musk": 0.2}
    result = agreement(load_reference(), KB.materials, FAMILIES)
    assert result.materials == coverage(load_reference(), KB.materials).covered
    assert 0 < result.mean_cosine < result.mean_family_cosine <= 1
    assert result.cosine["phenylethyl_alcohol"] > 0.8
