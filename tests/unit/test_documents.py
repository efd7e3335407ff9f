"""Documents carry the context a customer's words need to find a record."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.documents import CollectionName, build_documents
from knowledge.kb import KnowledgeBase, load_knowledge_base
from tests.unit.kb_fixtures import write_kb


@pytest.fixture()
def kb(tmp_path: Path) -> KnowledgeBase:
    return load_knowledge_base(write_kb(tmp_path))


def test_every_record_becomes_one_document(kb: KnowledgeBase) -> None:
    documents = build_documents(kb)
    assert [d.id for d in documents[CollectionName.materials]] == list(kb.materials)
    assert len(documents[CollectionName.accords]) == 2 and len(documents[CollectionName.perfumes]) == 2


def test_material_text_has_note_family_korean_descriptors_and_synonyms(kb: KnowledgeBase) -> None:
    bergamot = build_documents(kb)[CollectionName.materials][0]
    for expected in ("베르가못 오일", "탑 노트", "시트러스 계열", "신선한", "bergamot", "다른 이름: 베르가못",
                     "Citrus bergamia peel oil", "쌉싸름한"):
        assert expected in bergamot.text
    assert bergamot.names == ["베르가못 오일", "Bergamot oil", "베르가못", "Citrus bergamia peel oil"]
    # expressed bergamot oil (CAS 8007-75-8) is under IFRA Standard 087 for its furocoumarins
    assert bergamot.metadata == {"note": "top", "family": "citrus", "restricted": True, "prohibited": False,
                                 "origin": "natural", "cost_tier": 2}


def test_restricted_material_is_flagged(kb: KnowledgeBase) -> None:
    oakmoss = next(d for d in build_documents(kb)[CollectionName.materials] if d.id == "oakmoss_absolute")
    assert oakmoss.metadata["restricted"] is True
    assert "IFRA: 제한 (Oakmoss extracts)" in oakmoss.text


def test_accord_lists_components_by_name_largest_first(kb: KnowledgeBase) -> None:
    chypre = build_documents(kb)[CollectionName.accords][0]
    assert "구성: 베르가못 오일 50, 샌달우드 오일 40, 오크모스 앱솔루트 10." in chypre.text


def test_perfume_text_has_pyramid_and_unmapped_notes(kb: KnowledgeBase) -> None:
    jicky = build_documents(kb)[CollectionName.perfumes][1]
    assert "Guerlain Jicky (1889)" in jicky.text
    assert "베이스 노트: 바닐라(바닐린), 시벳." in jicky.text
    assert jicky.metadata["gender"] == "unisex"
