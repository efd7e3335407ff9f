"""Load the curated knowledge base from ``knowledge/data/`` and refuse it when it is inconsistent.

Layout: ``materials/*.yaml``, ``accords.yaml``, ``perfumes/*.yaml``, ``lexicon/*.yaml`` (YAML lists of
records) and ``descriptors.yaml`` (the shared vocabulary); ``use_levels/*.yaml`` (cited use levels, one
record per material), ``constituents/*.yaml`` (cited constituents of naturals), ``prices/prices.yaml`` (cited
prices), ``eu_allergens/annex_iii.yaml`` and the IFRA tables in ``ifra/``. Every record is validated by its
pydantic model. A material's use range, its allergen content and its price are derived here from those
records — there is no second copy in ``materials/`` that could drift. ``find_problems`` then checks what no
single record can: unique ids, resolving references, vocabulary, note/volatility agreement. Loading fails
with every problem listed, so a data author fixes them in one pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from knowledge.ifra_tables import (
    Variant,
    annex_variants,
    composition,
    group_level,
    load_standards,
    match_materials,
    shared_groups,
    standard_cas,
)
from knowledge.prices import load_prices
from perfumery.allergens import AnnexEntry
from perfumery.ifra import Contribution, IfraStandard, StandardType
from perfumery.models import (
    IMPACT_MAX,
    Accord,
    AllergenShare,
    Family,
    LexiconEntry,
    Material,
    NaturalComposition,
    NotePosition,
    Origin,
    ReferencePerfume,
    UseLevels,
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
    implies: list[str] = Field(default_factory=list,
                               description="descriptors a material with this one also smells of (vanilla → sweet)")
    impression: bool = Field(default=False, description="a quality (warm, soft, fresh) perceived through its family")


class KnowledgeBaseError(Exception):
    """The data under ``knowledge/data/`` is missing or inconsistent; ``problems`` lists each defect."""

    title = "지식 베이스 데이터 오류 {n}건 (knowledge base data errors)"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:30])
        more = f"\n  … 외 {len(problems) - 30}건" if len(problems) > 30 else ""
        super().__init__(f"{self.title.format(n=len(problems))}:\n{shown}{more}")


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
    use_levels: dict[str, UseLevels] = field(default_factory=dict, compare=False)
    compositions: dict[str, list[Variant]] = field(default_factory=dict, compare=False)
    constituents: dict[str, NaturalComposition] = field(default_factory=dict, compare=False)
    allergen_entries: dict[int, AnnexEntry] = field(default_factory=dict, compare=False)

    @cached_property
    def catalog(self) -> Catalog:
        """The domain core's view of this data (imported lazily: the core must not import us)."""
        from perfumery.catalog import Catalog

        return Catalog(
            materials=self.materials,
            accords=self.accords,
            references=self.perfumes,
            descriptor_families={key: d.family.value for key, d in self.descriptors.items()},
            descriptor_implies={key: tuple(d.implies) for key, d in self.descriptors.items() if d.implies},
            descriptor_words={key: d.ko[0] for key, d in self.descriptors.items()},
            impressions=frozenset(key for key, d in self.descriptors.items() if d.impression),
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


def _records(paths: list[Path], model: type[_Record], key: str, problems: list[str],
             prepare: Callable[[dict[str, Any], str], dict[str, Any] | None] | None = None) -> dict[Any, _Record]:
    """Validate each record of YAML lists; duplicates of ``key`` are problems, not silent overwrites.

    ``prepare`` may complete a raw record before validation (or return None to skip it, having said why).
    """
    found: dict[Any, _Record] = {}
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
            if prepare is not None and isinstance(raw, dict):
                raw = prepare(raw, label)
                if raw is None:
                    continue
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
    for descriptor in vocabulary.values():
        unknown(f"descriptor {descriptor.key}", descriptor.implies)
    for entry in kb.lexicon.values():
        owner = f"lexicon {entry.term!r}"
        unknown(owner, [*entry.descriptors, *entry.avoid])
    return problems


DERIVED_FIELDS = ("use_range", "use_typical", "use_source", "use_basis", "allergens", "allergen_content", "price")
SUM_TOLERANCE = 0.05  # rounding in transcribed certificates


def _materials(data_dir: Path, use_levels: dict[str, UseLevels], problems: list[str]) -> dict[str, Material]:
    """Materials with their use levels derived from ``use_levels/`` (the only place they are written)."""

    def prepare(raw: dict[str, Any], label: str) -> dict[str, Any] | None:
        written = [f for f in DERIVED_FIELDS if f in raw]
        if written:
            problems.append(f"{label}: {', '.join(written)} belong in use_levels/, constituents/ or prices/, not materials/")
            return None
        record = use_levels.get(raw.get("id", ""))
        if record is None:
            problems.append(f"{label}: no record in use_levels/")
            return None
        return {**raw, **record.derive().model_dump()}

    materials = _records(sorted((data_dir / "materials").glob("*.yaml")), Material, "id", problems, prepare)
    for material_id in sorted(set(use_levels) - set(materials)):
        problems.append(f"use_levels {material_id}: not a material")
    return materials


def _compositions(materials: dict[str, Material], records: dict[str, NaturalComposition],
                  annex: dict[str, list[tuple[str, Variant]]], problems: list[str]) -> dict[str, list[Variant]]:
    """Each material's composition per variant (IFRA Annex + cited certificates); more than 100 % is a problem."""
    result: dict[str, list[Variant]] = {}
    for material_id in records:
        material = materials.get(material_id)
        if material is None or material.origin != Origin.natural:
            problems.append(f"constituents {material_id}: not a natural material")
    for material in materials.values():
        cited: Variant = {}
        for certificate in records[material.id].certificates if material.id in records else ():
            for level in certificate.levels:
                if level.percent > cited.get(level.cas, (0.0, ""))[0]:
                    cited[level.cas] = (level.percent, f"{certificate.source} 성적서 «{certificate.product}»")
        variants = composition(material, annex, cited)
        for variant in variants:
            total = sum(percent for percent, _ in variant.values())
            if total > 100 + SUM_TOLERANCE:
                problems.append(f"material {material.id}: declared constituents add up to {total:.2f} % (> 100 %)")
        if variants:
            result[material.id] = variants
    return result


def _allergen_content(material: Material, variants: list[Variant], groups: dict[str, set[str]],
                      entries: dict[int, AnnexEntry], record: NaturalComposition | None,
                      problems: list[str]) -> Material:
    """The material with its share of each Annex III allergen, from the same composition the IFRA check uses.

    A natural that is itself an Annex III entry (lavender oil, ylang-ylang) is that allergen whole; an allergen
    a natural is known to carry with no figure anywhere stays listed with no fraction (확인 필요).
    """
    shares: dict[str, AllergenShare] = {}
    other_parts = {part.entry for part in record.not_entries} if record else set()
    for number in other_parts - set(entries):
        problems.append(f"constituents {material.id}: not_entries names unknown Annex III entry {number}")
    for number, entry in entries.items():
        if (material.origin == Origin.natural and material.cas and material.cas in entry.cas
                and number not in other_parts):
            shares[entry.label] = AllergenShare(allergen=entry.label, fraction=1.0,
                                                source="원료 자체가 부속서 III 등재 물질")
            continue
        level = group_level(variants, groups[entry.label])
        if level is not None and level[0] > 0:
            shares[entry.label] = AllergenShare(allergen=entry.label, fraction=level[0], source=level[1] or "원료 자체")
    for item in record.unquantified if record else ():
        if item.allergen not in groups:
            problems.append(f"constituents {material.id}: {item.allergen!r} is not an Annex III label")
        elif item.allergen not in shares:
            shares[item.allergen] = AllergenShare(allergen=item.allergen, fraction=None, source=item.note)
    ordered = sorted(shares.values(), key=lambda share: share.allergen)
    return material.model_copy(update={"allergen_content": ordered, "allergens": [s.allergen for s in ordered]})


def _check_bans(kb: KnowledgeBase, problems: list[str]) -> None:
    """A use-level record that says 'prohibited' must rest on an IFRA prohibition or a cited law."""
    for material_id, record in kb.use_levels.items():
        if not record.prohibited or material_id not in kb.materials:
            continue
        banned_by_ifra = any(StandardType.prohibition in kb.standards[c.standard].types
                             for c in kb.contributions.get(material_id, ()) if c.standard in kb.standards)
        if not banned_by_ifra and not kb.materials[material_id].prohibited_by:
            problems.append(f"use_levels {material_id}: marked prohibited, but no IFRA prohibition or law applies")


@lru_cache(maxsize=4)
def _load(data_dir: Path) -> KnowledgeBase:
    if not data_dir.is_dir():
        raise KnowledgeBaseError([f"데이터 폴더가 없습니다 (data folder missing): {data_dir}"])
    problems: list[str] = []
    use_levels = _records(sorted((data_dir / "use_levels").glob("*.yaml")), UseLevels, "material", problems)
    materials = _materials(data_dir, use_levels, problems)
    ifra_dir = data_dir / "ifra"
    standards = load_standards(ifra_dir, problems) if ifra_dir.is_dir() else {}
    if not standards:
        problems.append(f"IFRA 표준 표가 없습니다 (IFRA tables missing): {ifra_dir}")
    records = _records(sorted((data_dir / "constituents").glob("*.yaml")), NaturalComposition, "material", problems)
    entries = _records([data_dir / "eu_allergens" / "annex_iii.yaml"], AnnexEntry, "entry", problems)
    compositions: dict[str, list[Variant]] = {}
    contributions: dict[str, tuple[Contribution, ...]] = {}
    if standards:
        compositions = _compositions(materials, records, annex_variants(ifra_dir, problems), problems)
        by_standard, groups = shared_groups(standard_cas(ifra_dir), {e.label: set(e.cas) for e in entries.values()})
        contributions = match_materials(materials.values(), ifra_dir, standards, compositions, by_standard, problems)
        materials = {mid: _allergen_content(m, compositions.get(mid, []), groups, entries, records.get(mid),
                                            problems) for mid, m in materials.items()}
    prices = load_prices(data_dir, materials, problems)
    materials = {mid: m.model_copy(update={"price": prices[mid]}) if mid in prices else m
                 for mid, m in materials.items()}
    kb = KnowledgeBase(
        data_dir=data_dir,
        materials=materials,
        accords=_records([data_dir / "accords.yaml"], Accord, "id", problems),
        perfumes=_records(sorted((data_dir / "perfumes").glob("*.yaml")), ReferencePerfume, "id", problems),
        lexicon=_records(sorted((data_dir / "lexicon").glob("*.yaml")), LexiconEntry, "term", problems),
        descriptors=_descriptors(data_dir / "descriptors.yaml", problems),
        content_hash=hash_data_dir(data_dir),
        standards=standards,
        contributions=contributions,
        use_levels=use_levels,
        compositions=compositions,
        constituents=records,
        allergen_entries=entries,
    )
    problems.extend(find_problems(kb))
    _check_bans(kb, problems)
    if problems:
        raise KnowledgeBaseError(problems)
    return kb


def load_knowledge_base(data_dir: Path | None = None) -> KnowledgeBase:
    """The validated knowledge base (cached per folder); raises ``KnowledgeBaseError`` listing every defect."""
    return _load((data_dir or DEFAULT_DATA_DIR).resolve())
