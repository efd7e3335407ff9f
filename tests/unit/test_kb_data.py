"""The shipped knowledge base itself: consistent, large enough, and usable by the matcher and composer.

The loader already refuses schema errors, duplicate ids, unresolved references, bad CAS check digits,
unknown descriptors and note/volatility disagreements; these tests run it on the real data and add
the checks that are about coverage rather than correctness.
"""

from __future__ import annotations

from collections import Counter

import pytest

from knowledge.kb import KnowledgeBase, load_knowledge_base
from knowledge.korean import compact
from perfumery.models import Family, NotePosition, cas_is_valid


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()  # raises KnowledgeBaseError listing every defect


@pytest.mark.parametrize(("kind", "minimum"), [("materials", 300), ("accords", 40), ("perfumes", 150), ("lexicon", 300)])
def test_counts(kb: KnowledgeBase, kind: str, minimum: int) -> None:
    assert len(getattr(kb, kind)) >= minimum


def test_cas_numbers_pass_the_check_digit(kb: KnowledgeBase) -> None:
    assert [m.id for m in kb.materials.values() if m.cas and not cas_is_valid(m.cas)] == []


def test_every_note_position_and_main_family_is_stocked(kb: KnowledgeBase) -> None:
    notes = Counter(m.note for m in kb.materials.values())
    assert all(notes[n] >= 30 for n in NotePosition), notes
    families = {m.family for m in kb.materials.values()}
    assert {Family.citrus, Family.floral, Family.woody, Family.musk, Family.amber, Family.green} <= families


def test_perfume_notes_mostly_map_to_materials(kb: KnowledgeBase) -> None:
    notes = [n for p in kb.perfumes.values() for n in (*p.top, *p.heart, *p.base)]
    mapped = sum(1 for n in notes if n.material)
    assert mapped / len(notes) >= 0.5, f"{mapped}/{len(notes)} notes mapped"


def test_lexicon_forms_are_unambiguous(kb: KnowledgeBase) -> None:
    owners: dict[str, set[str]] = {}
    for entry in kb.lexicon.values():
        for form in (entry.term, *entry.variants):
            owners.setdefault(compact(form), set()).add(entry.term)
    assert {form: terms for form, terms in owners.items() if len(terms) > 1} == {}


def test_ids_are_unique_across_collections(kb: KnowledgeBase) -> None:
    ids = [*kb.materials, *kb.accords, *kb.perfumes]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
