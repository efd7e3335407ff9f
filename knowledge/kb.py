"""Load the curated knowledge base from ``knowledge/data/`` and refuse it when it is inconsistent.

Layout: ``materials/*.yaml``, ``accords.yaml``, ``perfumes/*.yaml``, ``lexicon/*.yaml`` (YAML lists of
records) and ``descriptors.yaml`` (the shared vocabulary). Every record is validated by its pydantic
model; ``find_problems`` then checks what no single record can: unique ids, resolving references,
vocabulary, note/volatility agreement. Loading fails with every problem listed, so a data author
fixes them in one pass.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowledge.ifra_tables import load_standards, match_materials
from perfumery.ifra import Contribution, IfraStandard
from perfumery.models import (
    IMPACT_MAX,
    Accord,
    Family,
    LexiconEntry,
    Material,
    NotePosition,
    ReferencePerfume,
)

if TYPE_CHECKING:
    from perfumery.catalog import Catalog

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data"

# Volatility a note position may have (1 = flashes off, 0 = lasts days); bands overlap on purpose,
# since a heavy top note and a light heart note are both real.
VOLATILITY_BANDS: dict[NotePosition, tuple[float, float]] = {
    NotePosition.top: (0.7, 1.0),
    NotePosition.heart: (0.35, 0.75),
    NotePosition.base: (0.0, 0.45),
}

_Record = TypeVar("_Record", bound=BaseModel)


class Descriptor(BaseModel):
    """One word of the shared odor vocabulary with the Korean words customers use for it."""

    model_config = ConfigDict(extra="forbid")

    key: str
    ko: list[str] = Field(min_length=1)
    family: Family


class KnowledgeBaseError(Exception):
    """The data under ``knowledge/data/`` is missing or inconsistent; ``problems`` lists each defect."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:30])
        more = f"\n  … 외 {len(problems) - 30}건" if len(problems) > 30 else ""
        super().__init__(f"지식 베이스 데이터 오류 {len(problems)}건 (knowledge base data errors):\n{shown}{more}")


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the assistant knows, keyed by id (lexicon by term, descriptors by key)."""

    data_dir: Path
    materials: dict[str, Material]
    accords: dict[str, Accord]
    perfumes: dict[str, ReferencePerfume]
    lexicon: dict[str, LexiconEntry]
    descriptors: dict[str, Descriptor]
    content_hash: str = field(compare=False)
    standards: dict[str, IfraStandard] = field(default_factory=dict, compare=False)
    contributions: dict[str, tuple[Contribution, ...]] = field(default_factory=dict, compare=False)

    @cached_property
    def catalog(self) -> Catalog:
        """The domain core's view of this data (imported lazily: the core must not import us)."""
        from perfumery.catalog import Catalog

        return Catalog(
            materials=self.materials,
            accords=self.accords,
            references=self.perfumes,
            descriptor_families={key: d.family.value for key, d in self.descriptors.items()},
            standards=self.standards,
            contributions=self.contributions,
        )

    def descriptor_words_ko(self, keys: list[str]) -> list[str]:
        """Korean words for descriptor keys, in order, without repeats."""
        words: dict[str, None] = {}
        for key in keys:
            if key in self.descriptors:
                words.update(dict.fromkeys(self.descriptors[key].ko))
        return list(words)


def hash_data_dir(data_dir: Path) -> str:
    """sha256 of every data file (path + bytes): the index is rebuilt exactly when this changes."""
    digest = hashlib.sha256()
    for path in sorted([*data_dir.rglob("*.yaml"), *data_dir.rglob("*.csv")]):
        digest.update(path.relative_to(data_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


# libyaml's safe loader when PyYAML was built with it: the same documents, parsed ~6x faster (1.3 → 0.2 s for
# the whole knowledge base), which every command that searches pays at start.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{path.name}: YAML을 읽을 수 없습니다 ({exc})")
        return None


def _records(paths: list[Path], model: type[_Record], key: str, problems: list[str]) -> dict[str, _Record]:
    """Validate each record of YAML lists; duplicates of ``key`` are problems, not silent overwrites."""
    found: dict[str, _Record] = {}
    where: dict[str, str] = {}
    for path in paths:
        data = _read_yaml(path, problems)
        if data is None:
            continue
        if not isinstance(data, list):
            problems.append(f"{path.name}: 레코드 목록(YAML list)이어야 합니다")
            continue
        for index, raw in enumerate(data):
            label = f"{path.name}[{index}]"
            if isinstance(raw, dict) and key in raw:
                label += f" {raw[key]}"
            try:
                record = model.model_validate(raw)
            except ValidationError as exc:
                details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                problems.append(f"{label}: {details}")
                continue
            record_key = getattr(record, key)
            if record_key in found:
                problems.append(f"{label}: 중복 {key} {record_key!r} (first in {where[record_key]})")
                continue
            found[record_key] = record
            where[record_key] = path.name
    return found


def _descriptors(path: Path, problems: list[str]) -> dict[str, Descriptor]:
    data = _read_yaml(path, problems)
    if not isinstance(data, dict):
        problems.append(f"{path.name}: descriptor → {{ko, family}} 매핑이어야 합니다")
        return {}
    vocabulary: dict[str, Descriptor] = {}
    for key, raw in data.items():
        try:
            vocabulary[key] = Descriptor.model_validate({"key": key, **(raw or {})})
        except ValidationError as exc:
            problems.append(f"{path.name} {key}: {exc.errors()[0]['msg']}")
    return vocabulary


def find_problems(kb: KnowledgeBase) -> list[str]:
    """Cross-record defects: what a per-record schema cannot see."""
    problems: list[str] = []
    vocabulary = kb.descriptors

    def unknown(owner: str, words: list[str]) -> None:
        for word in words:
            if word not in vocabulary:
                problems.append(f"{owner}: descriptor {word!r} is not in descriptors.yaml")

    for material in kb.materials.values():
        owner = f"material {material.id}"
        unknown(owner, material.descriptors)
        if material.impact is not None and material.use_max > IMPACT_MAX[material.impact]:
            problems.append(f"{owner}: a {material.impact.value} material cannot carry a maximum of "
                            f"{material.use_max} % (at most {IMPACT_MAX[material.impact]} %)")
        low, high = VOLATILITY_BANDS[material.note]
        if not low <= material.volatility <= high:
            problems.append(
                f"{owner}: note {material.note.value} needs volatility in [{low}, {high}], got {material.volatility}"
            )
    for accord in kb.accords.values():
        owner = f"accord {accord.id}"
        unknown(owner, accord.descriptors)
        if accord.id in kb.materials:
            problems.append(f"{owner}: id also used by a material")
        seen: set[str] = set()
        for component in accord.components:
            if component.material not in kb.materials:
                problems.append(f"{owner}: component {component.material!r} is not a material")
            if component.material in seen:
                problems.append(f"{owner}: component {component.material!r} listed twice")
            seen.add(component.material)
    for perfume in kb.perfumes.values():
        owner = f"perfume {perfume.id}"
        unknown(owner, perfume.descriptors)
        if perfume.id in kb.materials or perfume.id in kb.accords:
            problems.append(f"{owner}: id also used by a material or accord")
        if not (perfume.top or perfume.heart or perfume.base):
            problems.append(f"{owner}: no notes")
        for material_id in perfume.material_ids():
            if material_id not in kb.materials:
                problems.append(f"{owner}: note material {material_id!r} is not a material")
    for entry in kb.lexicon.values():
        owner = f"lexicon {entry.term!r}"
        unknown(owner, [*entry.descriptors, *entry.avoid])
    return problems


@lru_cache(maxsize=4)
def _load(data_dir: Path) -> KnowledgeBase:
    if not data_dir.is_dir():
        raise KnowledgeBaseError([f"데이터 폴더가 없습니다 (data folder missing): {data_dir}"])
    problems: list[str] = []
    materials = _records(sorted((data_dir / "materials").glob("*.yaml")), Material, "id", problems)
    ifra_dir = data_dir / "ifra"
    standards = load_standards(ifra_dir, problems) if ifra_dir.is_dir() else {}
    if not standards:
        problems.append(f"IFRA 표준 표가 없습니다 (IFRA tables missing): {ifra_dir}")
    kb = KnowledgeBase(
        data_dir=data_dir,
        materials=materials,
        accords=_records([data_dir / "accords.yaml"], Accord, "id", problems),
        perfumes=_records(sorted((data_dir / "perfumes").glob("*.yaml")), ReferencePerfume, "id", problems),
        lexicon=_records(sorted((data_dir / "lexicon").glob("*.yaml")), LexiconEntry, "term", problems),
        descriptors=_descriptors(data_dir / "descriptors.yaml", problems),
        content_hash=hash_data_dir(data_dir),
        standards=standards,
        contributions=match_materials(materials.values(), ifra_dir, standards, problems) if standards else {},
    )
    problems.extend(find_problems(kb))
    if problems:
        raise KnowledgeBaseError(problems)
    return kb


def load_knowledge_base(data_dir: Path | None = None) -> KnowledgeBase:
    """The validated knowledge base (cached per folder); raises ``KnowledgeBaseError`` listing every defect."""
    return _load((data_dir or DEFAULT_DATA_DIR).resolve())
