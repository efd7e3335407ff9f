"""Knowledge-base records as search documents ("context enhancement").

A record's own description rarely says everything a customer types: the document adds its note
position, family, descriptors in English and in the Korean words of ``descriptors.yaml``, and its
Korean synonyms, so "상큼한 탑 노트" can find bergamot even when its description says "밝은".
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from knowledge.kb import KnowledgeBase
from perfumery.ifra import IfraStatus, ifra_status_ko
from perfumery.models import (
    FAMILY_KO,
    STYLE_KO,
    Accord,
    Family,
    Material,
    NotePosition,
    PerfumeNote,
    ReferencePerfume,
)
from perfumery.vocabulary import POSITION_KO


class CollectionName(StrEnum):
    materials = "materials"
    accords = "accords"
    perfumes = "perfumes"


# Index text: the Korean label plus the everyday word people search with ("레더 가죽").
_FAMILY_WORDS = {Family.leather: "가죽", Family.earthy: "흙", Family.mossy: "이끼"}
_POSITION_WORDS = {NotePosition.heart: "하트 노트"}


def _family_ko(family: Family) -> str:
    return " ".join(filter(None, (FAMILY_KO[family], _FAMILY_WORDS.get(family))))


def _position_ko(position: NotePosition) -> str:
    return " ".join(filter(None, (f"{POSITION_KO[position]} 노트", _POSITION_WORDS.get(position))))

Metadata = dict[str, str | int | float | bool]


class RecordRef(BaseModel):
    """Which record, by name: the fields a document and a search hit share."""

    model_config = ConfigDict(frozen=True)

    id: str
    collection: CollectionName
    name_ko: str
    name_en: str
    cas: str = ""


class Document(RecordRef):
    """What gets embedded and ranked for one record."""

    text: str = Field(description="Context-enhanced text: embedded, ranked by BM25 and shown to the agent.")
    names: list[str] = Field(description="Names and synonyms, each matched on its own by the typo-tolerant index.")
    metadata: Metadata = Field(default_factory=dict, description="Filterable fields (note, family, restricted…).")


def _unique(words: list[str]) -> list[str]:
    return list(dict.fromkeys(w for w in words if w))


def _descriptor_phrase(kb: KnowledgeBase, keys: list[str], extra_ko: list[str] = ()) -> str:
    english = ", ".join(k.replace("_", " ") for k in keys)
    korean = ", ".join(_unique([*kb.descriptor_words_ko(keys), *extra_ko]))
    return f"향 특징: {korean} ({english})."


def material_document(material: Material, kb: KnowledgeBase) -> Document:
    synonyms = _unique([*material.synonyms.ko, *material.synonyms.en, *material.synonyms.trade])
    parts = [
        f"{material.name_ko} ({material.name_en}).",
        f"{_position_ko(material.note)}, {_family_ko(material.family)} 계열 ({material.family.value}, {material.note.value} note),"
        f" {'천연' if material.origin.value == 'natural' else '합성'} 원료.",
        _descriptor_phrase(kb, material.descriptors, material.descriptors_ko),
    ]
    if synonyms:
        parts.append(f"다른 이름: {', '.join(synonyms)}.")
    if material.chemical_identity:
        parts.append(f"성분: {material.chemical_identity}.")
    parts.append(material.description_ko)
    status = kb.catalog.ifra_status(material.id)
    standards = ", ".join(standard.name for standard in kb.catalog.standards_of(material.id))
    parts.append(f"IFRA: {ifra_status_ko(status, kb.catalog.ifra_amendment)}" + (f" ({standards})." if standards else "."))
    return Document(
        id=material.id,
        collection=CollectionName.materials,
        name_ko=material.name_ko,
        name_en=material.name_en,
        cas=material.cas,
        text=" ".join(parts),
        names=_unique([material.name_ko, material.name_en, *synonyms]),
        metadata={
            "note": material.note.value,
            "family": material.family.value,
            "restricted": status in (IfraStatus.restricted, IfraStatus.prohibited),
            "prohibited": status == IfraStatus.prohibited,
            "origin": material.origin.value,
            "cost_tier": material.cost_tier,
        },
    )


def accord_document(accord: Accord, kb: KnowledgeBase) -> Document:
    components = ", ".join(
        f"{kb.materials[c.material].name_ko if c.material in kb.materials else c.material} {c.parts:g}"
        for c in sorted(accord.components, key=lambda c: -c.parts)
    )
    text = " ".join([
        f"{accord.name_ko} ({accord.name_en}) 어코드.",
        f"{_family_ko(accord.family)} 계열 ({accord.family.value}).",
        _descriptor_phrase(kb, accord.descriptors),
        f"구성: {components}.",
        accord.description_ko,
    ])
    return Document(
        id=accord.id,
        collection=CollectionName.accords,
        name_ko=accord.name_ko,
        name_en=accord.name_en,
        text=text,
        names=_unique([accord.name_ko, accord.name_en]),
        metadata={"family": accord.family.value},
    )


def _notes(notes: list[PerfumeNote], kb: KnowledgeBase) -> str:
    words = []
    for note in notes:
        material = kb.materials.get(note.material or "")
        words.append(f"{note.text}({material.name_ko})" if material and material.name_ko != note.text else note.text)
    return ", ".join(words)


def perfume_document(perfume: ReferencePerfume, kb: KnowledgeBase) -> Document:
    pyramid = [
        f"{label}: {_notes(notes, kb)}."
        for label, notes in (("탑 노트", perfume.top), ("미들 노트", perfume.heart), ("베이스 노트", perfume.base))
        if notes
    ]
    family = f"{_family_ko(perfume.family)} 계열 ({perfume.family.value}{', ' + perfume.subfamily if perfume.subfamily else ''})"
    perfumers = f", 조향사 {', '.join(perfume.perfumers)}" if perfume.perfumers else ""
    text = " ".join([
        f"{perfume.brand} {perfume.name} ({perfume.year}{perfumers}).",
        f"{family}, {STYLE_KO[perfume.gender]} 향수.",
        _descriptor_phrase(kb, perfume.descriptors),
        *pyramid,
        perfume.description_ko,
    ])
    return Document(
        id=perfume.id,
        collection=CollectionName.perfumes,
        name_ko=perfume.name,
        name_en=f"{perfume.brand} {perfume.name}",
        text=text,
        names=_unique([perfume.name, f"{perfume.brand} {perfume.name}"]),
        metadata={"family": perfume.family.value, "gender": perfume.gender, "year": perfume.year},
    )


def build_documents(kb: KnowledgeBase) -> dict[CollectionName, list[Document]]:
    """Every record of the knowledge base as a document, by collection, in a stable order."""
    return {
        CollectionName.materials: [material_document(m, kb) for m in kb.materials.values()],
        CollectionName.accords: [accord_document(a, kb) for a in kb.accords.values()],
        CollectionName.perfumes: [perfume_document(p, kb) for p in kb.perfumes.values()],
    }
