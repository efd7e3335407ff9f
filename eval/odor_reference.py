"""An odor reference independent of the knowledge base's own tags, for judging composed formulas.

Every material in ``knowledge/data/materials`` carries descriptors we wrote ourselves; judging the
composer by the tags it composes from would be circular. This module reads what a public source says a
material smells of (``eval/data/odor_reference/reference.yaml``: the IFRA Fragrance Ingredient Glossary,
The Good Scents Company for its gaps — see SOURCE.md there) and turns it into a vector over our shared
vocabulary through a reviewed word map (``word_map.yaml``), so a metric can ask "does this formula smell
of the brief?" in words the brief is written in.

Weights (one rule for both sources): in a source record of n words listed strongest first, the word at
position i (0-based) weighs (n − i) / n — 1, ⅔, ⅓ for the glossary's three. A material's word weight is
the mean over its records (a record not naming the word counts 0), so a word every record repeats outranks
one a single record mentions. A vocabulary word takes the largest weight of the source words mapped to it
(two words naming one odor do not make it twice as present), and the vector is scaled so its strongest
descriptor weighs 1; a record whose first word is unmapped (a family label such as "Gourmand") is thereby
led by its first word that maps.

Loading is file I/O only (no network); everything else is a pure function of the loaded data.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from knowledge.kb import KnowledgeBaseError
from perfumery.brief import Brief
from perfumery.models import Material, Origin
from perfumery.similarity import cosine, scaled_to_max

DEFAULT_DIR = Path(__file__).resolve().parent / "data" / "odor_reference"


class SourceId(StrEnum):
    """The public sources the reference draws on (provenance of each in SOURCE.md)."""

    ifra_glossary_2019 = "ifra_glossary_2019"
    good_scents = "good_scents"


class Match(StrEnum):
    """How a source record was tied to our material."""

    cas = "cas"  # the source record carries our CAS number
    name = "name"  # our CAS is empty, or the source lists the material under another CAS (see note)


class Source(BaseModel):
    """A source as cited: its name, where the data set lives, and the date of its content."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    date: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")


class Citation(BaseModel):
    """Where one material's reference descriptors come from: the record's page, or the data set's."""

    source: str
    url: str
    date: str


class ReferenceRecord(BaseModel):
    """What one source says one of our materials smells of, in the source's own words and order."""

    model_config = ConfigDict(extra="forbid")

    material: str = Field(min_length=1)
    source: SourceId
    match: Match
    source_name: str = Field(min_length=1, description="The material's name in the source.")
    source_cas: str = Field(min_length=1, description="The CAS number the source gives for it.")
    url: str = Field(default="", pattern=r"^(https?://\S+)?$", description="The record's own page, if any.")
    records: list[list[str]] = Field(
        min_length=1, description="One word list per source record (author, supplier), strongest first.")
    note: str = Field(default="", description="Why a name match or a chosen record is the right one.")

    @model_validator(mode="after")
    def _explained(self) -> ReferenceRecord:
        if any(not words or not all(w.strip() for w in words) for words in self.records):
            raise ValueError(f"{self.material}: every source record needs its words")
        if self.match == Match.name and not self.note:
            raise ValueError(f"{self.material}: a name match must say why in its note")
        return self


class Gap(BaseModel):
    """A material no source covers, with the reason, so a reader sees gaps rather than silence."""

    model_config = ConfigDict(extra="forbid")

    material: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class ReferenceFile(BaseModel):
    """``reference.yaml`` as written."""

    model_config = ConfigDict(extra="forbid")

    sources: dict[SourceId, Source]
    records: list[ReferenceRecord]
    gaps: list[Gap] = Field(default_factory=list)


class WordMap(BaseModel):
    """``word_map.yaml``: each source word (lower case) → our vocabulary words, or why it has none."""

    model_config = ConfigDict(extra="forbid")

    mapped: dict[str, list[str]]
    unmapped: dict[str, str]

    @model_validator(mode="after")
    def _disjoint_lower_case(self) -> WordMap:
        both = sorted(set(self.mapped) & set(self.unmapped))
        if both:
            raise ValueError(f"words both mapped and unmapped: {both}")
        if any(word != word.lower() for word in (*self.mapped, *self.unmapped)):
            raise ValueError("word-map keys are lower case")
        if any(not targets for targets in self.mapped.values()):
            raise ValueError("a mapped word needs at least one vocabulary word")
        return self


class OdorReferenceError(KnowledgeBaseError):
    """The reference data is missing or inconsistent; ``problems`` lists each defect."""

    title = "향 기준 데이터 오류 {n}건 (odor reference data errors)"


_File = TypeVar("_File", ReferenceFile, WordMap)


class Coverage(BaseModel):
    """How many materials the reference can judge: those with at least one mapped descriptor."""

    materials: int
    covered: int
    natural: int
    natural_covered: int
    synthetic: int
    synthetic_covered: int
    by_source: dict[str, int] = Field(description="Covered materials per source.")
    by_match: dict[str, int] = Field(description="Covered materials per match kind.")

    @property
    def share(self) -> float:
        return self.covered / self.materials if self.materials else 0.0


class Agreement(BaseModel):
    """How far our own tags agree with the reference (cosine of the two rank-weighted vectors).

    The family figure folds both vectors onto descriptors.yaml's families first: the glossary often says
    "Floral, Sweet, Warm" where we say "tuberose, white_floral", which differ as words but not as family.
    """

    materials: int
    mean_cosine: float
    mean_family_cosine: float
    top_in_tags: float = Field(description="Share whose strongest reference descriptor is among our tags.")
    cosine: dict[str, float] = Field(description="Per material id.")


class OdorReference:
    """The loaded reference: per material id, the source record and its vector in our vocabulary."""

    def __init__(self, data: ReferenceFile, word_map: WordMap) -> None:
        self.sources = data.sources
        self.records = {r.material: r for r in data.records}
        self.gaps = {g.material: g.reason for g in data.gaps}
        self.word_map = word_map
        self.vectors = {mid: reference_vector(r.records, word_map) for mid, r in self.records.items()}

    def vector(self, material_id: str) -> dict[str, float]:
        """The material's reference descriptors (strongest = 1); empty when no source covers it."""
        return dict(self.vectors.get(material_id, {}))

    def citation(self, material_id: str) -> Citation:
        record = self.records[material_id]
        source = self.sources[record.source]
        return Citation(source=source.name, url=record.url or source.url, date=source.date)


def word_weights(records: Sequence[Sequence[str]]) -> dict[str, float]:
    """Source word (lower case) → mean over records of its rank weight (n − i) / n."""
    totals: Counter[str] = Counter()
    for words in records:
        seen: dict[str, float] = {}
        for i, word in enumerate(words):
            key = word.strip().lower()
            seen[key] = max(seen.get(key, 0.0), (len(words) - i) / len(words))
        totals.update(seen)
    return {word: total / len(records) for word, total in totals.items()}


def reference_vector(records: Sequence[Sequence[str]], word_map: WordMap) -> dict[str, float]:
    """Our vocabulary word → weight, scaled so the strongest is 1 (see the module docstring)."""
    vector: dict[str, float] = {}
    for word, weight in word_weights(records).items():
        for target in word_map.mapped.get(word, []):
            vector[target] = max(vector.get(target, 0.0), weight)
    return {key: round(weight, 4) for key, weight in scaled_to_max(vector).items()}


def rank_vector(descriptors: Sequence[str]) -> dict[str, float]:
    """Our own strongest-first tags weighted by the same rank rule, for comparing like with like."""
    vector: dict[str, float] = {}
    for i, descriptor in enumerate(descriptors):
        vector.setdefault(descriptor, round((len(descriptors) - i) / len(descriptors), 4))
    return vector


def _read(path: Path, model: type[_File], problems: list[str]) -> _File | None:
    try:
        return model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        problems.append(f"파일이 없습니다 (file missing): {path}")
    except (yaml.YAMLError, ValidationError) as error:
        problems.append(f"{path.name}: {error}")
    return None


def _internal_problems(data: ReferenceFile, word_map: WordMap) -> list[str]:
    problems = []
    ids = Counter([r.material for r in data.records] + [g.material for g in data.gaps])
    problems += [f"{mid}: listed {n} times (records and gaps together)" for mid, n in ids.items() if n > 1]
    problems += [f"{r.material}: source {r.source} is not described under sources"
                 for r in data.records if r.source not in data.sources]
    used = {w.strip().lower() for r in data.records for words in r.records for w in words}
    listed = set(word_map.mapped) | set(word_map.unmapped)
    problems += [f"word_map.yaml: '{w}' is neither mapped nor listed as unmapped" for w in sorted(used - listed)]
    problems += [f"word_map.yaml: '{w}' is not used by any record" for w in sorted(listed - used)]
    return problems


@lru_cache(maxsize=4)
def load_reference(folder: Path = DEFAULT_DIR) -> OdorReference:
    """The validated reference; raises ``OdorReferenceError`` listing every defect found."""
    problems: list[str] = []
    data = _read(folder / "reference.yaml", ReferenceFile, problems)
    word_map = _read(folder / "word_map.yaml", WordMap, problems)
    if data is not None and word_map is not None:
        problems += _internal_problems(data, word_map)
    if problems:
        raise OdorReferenceError(problems)
    return OdorReference(data, word_map)


def find_problems(reference: OdorReference, materials: Mapping[str, Material], vocabulary: set[str]) -> list[str]:
    """What only the knowledge base can check: ids exist, targets are vocabulary words, CAS agrees."""
    problems = [f"word_map.yaml: '{word}' → '{target}' is not in descriptors.yaml"
                for word, targets in reference.word_map.mapped.items() for target in targets
                if target not in vocabulary]
    problems += [f"{mid}: no such material in the knowledge base"
                 for mid in (*reference.records, *reference.gaps) if mid not in materials]
    problems += [f"{mid}: neither in records nor in gaps" for mid in materials
                 if mid not in reference.records and mid not in reference.gaps]
    for mid, record in reference.records.items():
        ours = materials[mid].cas if mid in materials else None
        if ours is None:
            continue
        if record.match == Match.cas and record.source_cas != ours:
            problems.append(f"{mid}: CAS match, but the source's {record.source_cas} is not our '{ours}'")
        if record.match == Match.name and record.source_cas == ours:
            problems.append(f"{mid}: name match, but the source's CAS is our own; call it a CAS match")
    return problems


def coverage(reference: OdorReference, materials: Mapping[str, Material]) -> Coverage:
    covered = [m for mid, m in materials.items() if reference.vector(mid)]
    natural = [m for m in materials.values() if m.origin == Origin.natural]
    return Coverage(
        materials=len(materials),
        covered=len(covered),
        natural=len(natural),
        natural_covered=sum(m.origin == Origin.natural for m in covered),
        synthetic=len(materials) - len(natural),
        synthetic_covered=sum(m.origin == Origin.synthetic for m in covered),
        by_source=dict(Counter(reference.records[m.id].source.value for m in covered)),
        by_match=dict(Counter(reference.records[m.id].match.value for m in covered)),
    )


def by_family(vector: Mapping[str, float], families: Mapping[str, str]) -> dict[str, float]:
    """A descriptor vector folded onto odor families, each family taking its strongest descriptor."""
    folded: dict[str, float] = {}
    for key, weight in vector.items():
        folded[families[key]] = max(folded.get(families[key], 0.0), weight)
    return folded


def agreement(reference: OdorReference, materials: Mapping[str, Material], families: Mapping[str, str]) -> Agreement:
    """Our tags against the reference, over the materials both describe; ``families``: descriptor → family."""
    scores: dict[str, float] = {}
    family_scores: list[float] = []
    tops = 0
    for mid, material in materials.items():
        vector = reference.vector(mid)
        if not vector:
            continue
        ours = rank_vector(material.descriptors)
        scores[mid] = round(cosine(ours, vector), 4)
        family_scores.append(cosine(by_family(ours, families), by_family(vector, families)))
        tops += max(vector, key=lambda key: vector[key]) in material.descriptors
    n = len(scores)
    return Agreement(materials=n, mean_cosine=round(sum(scores.values()) / n, 4) if n else 0.0,
                     mean_family_cosine=round(sum(family_scores) / n, 4) if n else 0.0,
                     top_in_tags=round(tops / n, 4) if n else 0.0, cosine=scores)


FAMILY_KEY = "@"  # a judged descriptor outside the reference's vocabulary is judged as its family: "@woody"
# Words of intensity, not of odor: no source describes a material as "heavy" or "light", and folding them onto
# a family (heavy → amber) would read every amber material as heavy. The judge does not judge them.
UNJUDGED = frozenset({"heavy", "light"})
# A word the source names for fewer materials than this is too sparse to judge by: the glossary calls mandarin
# oil "Citrus, Sweet, …" and names "mandarin" for only two materials, so "mandarin" is judged as citrus.
NAMED_AT_LEAST = 5


class Judge:
    """The reference as a judge of formulas: an ``OdorReading`` for ``perfumery.fit``'s measures.

    - A material smells of every word its source names (the glossary names three): for presence, each counts
      in full — a glossary that lists peach third for γ-decalactone still says it smells of peach.
    - Its main character is its primary word (the first the source lists, as the glossary orders them): a
      facet listed second ("Citrus, Sweet" for tangerine) is not what the material is.
    - A brief's descriptor the source names for at least ``NAMED_AT_LEAST`` materials is judged as itself; one
      it names more rarely or not at all ("mandarin", "clean", "oud") at its odor family ("@citrus",
      "@aldehydic", "@woody"); intensity words (``UNJUDGED``) not at all.
    - A material no source covers contributes nothing: the judge does not take our word for it.
    """

    def __init__(self, reference: OdorReference, families: Mapping[str, str]) -> None:
        self.reference = reference
        self.families = dict(families)
        named = Counter(d for vector in reference.vectors.values() for d in vector)
        self.vocabulary = frozenset(d for d, n in named.items() if n >= NAMED_AT_LEAST)
        self._vectors: dict[str, dict[str, float]] = {}
        self._primary: dict[str, frozenset[str]] = {}

    def vector(self, material_id: str) -> dict[str, float]:
        if material_id not in self._vectors:
            named = self.reference.vector(material_id)
            families = {FAMILY_KEY + self.families[d] for d in named if d in self.families}
            self._vectors[material_id] = {**dict.fromkeys(named, 1.0), **dict.fromkeys(families, 1.0)}
        return self._vectors[material_id]

    def character(self, material_id: str, descriptor: str) -> float:
        if material_id not in self._primary:
            named = self.reference.vector(material_id)
            primary = {d for d, w in named.items() if w >= 1.0}
            self._primary[material_id] = frozenset(primary | {FAMILY_KEY + self.families[d] for d in primary
                                                              if d in self.families})
        return 1.0 if descriptor in self._primary[material_id] else 0.0

    def key(self, descriptor: str) -> str:
        """How the judge reads a brief's descriptor: itself, or its family when the source rarely names it."""
        if descriptor in self.vocabulary or descriptor not in self.families:
            return descriptor
        return FAMILY_KEY + self.families[descriptor]

    def brief(self, brief: Brief) -> Brief:
        """The brief in the judge's words (family keys for what the reference cannot name, the stronger of two
        weights when two descriptors fold onto one family; intensity words left out)."""
        def judged(weights: Mapping[str, float]) -> dict[str, float]:
            out: dict[str, float] = {}
            for descriptor, weight in weights.items():
                if descriptor in UNJUDGED:
                    continue
                key = self.key(descriptor)
                out[key] = max(out.get(key, 0.0), weight)
            return out

        return brief.model_copy(update={"descriptors": judged(brief.descriptors),
                                        "avoid_descriptors": judged(brief.avoid_descriptors)})


def load_judge(families: Mapping[str, str], folder: Path = DEFAULT_DIR) -> Judge:
    return Judge(load_reference(folder), families)


def main() -> None:
    """``python -m eval.odor_reference``: coverage and agreement with our tags, on the real knowledge base."""
    from knowledge.kb import load_knowledge_base

    try:
        kb = load_knowledge_base()
        reference = load_reference()
    except KnowledgeBaseError as error:  # OdorReferenceError is one
        sys.exit(str(error))
    problems = find_problems(reference, kb.materials, set(kb.descriptors))
    if problems:
        sys.exit(str(OdorReferenceError(problems)))
    cov = coverage(reference, kb.materials)
    agree = agreement(reference, kb.materials, {key: d.family.value for key, d in kb.descriptors.items()})
    print(f"coverage: {cov.covered}/{cov.materials} ({cov.share:.1%}); naturals {cov.natural_covered}/{cov.natural},"
          f" synthetics {cov.synthetic_covered}/{cov.synthetic}; by source {cov.by_source}; by match {cov.by_match}")
    print(f"agreement with our tags over {agree.materials} materials: mean cosine {agree.mean_cosine:.3f}"
          f" (by family {agree.mean_family_cosine:.3f}), reference's strongest descriptor among our tags"
          f" {agree.top_in_tags:.1%}")


if __name__ == "__main__":
    main()
