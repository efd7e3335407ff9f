"""The checkable claims of a Korean reply, each checked against the turn's recipe and the records it quoted.

A reply may say only what its formula and the knowledge base support. The claims read here are the ones a
perfumer could check by looking: a material named, the note position it is put in, a percentage, a
family or descriptor given to a material or to the formula, the concentration, an IFRA or allergen
statement, and the reference perfume. Sentences quoted word for word from a record are grounded as a whole
and not taken apart. Everything is found with the knowledge base's own finders (material names, lexicon,
kiwi morphemes for clause boundaries); nothing here needs a language model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from agent.reading.interpret import MaterialNames, concentration_in
from knowledge.kb import KnowledgeBase
from knowledge.korean import compact, get_kiwi
from knowledge.lexicon import Compacted, LexiconMatcher
from perfumery.critic import COMPLIANCE_KO, compliance_status
from perfumery.fit import PERCEPTIBLE, can_smell, family_mass, odor_mass
from perfumery.ifra import IFRA_STATUS_KO
from perfumery.models import FAMILY_KO, LexiconEntry, Material, NotePosition
from perfumery.recipe import Recipe, Severity
from perfumery.vocabulary import POSITION_WORDS

# Lexicon categories that describe an odour itself (moods, places and seasons are not checkable).
_SCENT_CATEGORIES = frozenset({"texture", "material", "food", "nature"})
_STRONG = 0.5  # a lexicon word claims the descriptors it maps to with at least this weight
# The phrases perfumery.naming.concept_ko uses for the three tiers ("…로 열고", "…가 중심을 잡으며", "…가 오래 남는").
_CONCEPT_CUES: dict[NotePosition, tuple[str, ...]] = {  # also the model's "…로 밝게 열리고"
    NotePosition.top: ("로 열", "으로 열", "밝게 열"), NotePosition.heart: ("중심을 잡",), NotePosition.base: ("오래 남",),
}
_CONCEPT_VERBS = frozenset(_CONCEPT_CUES[NotePosition.top] + _CONCEPT_CUES[NotePosition.heart])
_CONNECTIVES = ("고", "며")
_WORD_GAP = re.compile(r"[\s,]")
_PERCENT = re.compile(r"(?<![\d.–~-])(\d+(?:\.\d+)?)\s*%(\s*→)?")  # not the end of a range "25–45%"
_DILUTION_WORDS = ("부향률", "향료", "농도", "희석")
_REMOVED_HEAD = re.compile(r"^\s*제거\s*:")
_PARTICLE_GAP = r"\s*(?:의|은|는|이|가|도)?\s*"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MARKUP = re.compile(r"\*\*|__|^\s*[-*]\s+|^\s*>\s*")
_SKIPPED_LINE = re.compile(r"^\s*(\||#|\*\*품질 점수)")
_STANDARD_LIST = re.compile(r"\(카테고리[^)]*\)")
_ALLERGEN_COUNT = re.compile(r"알레르기 유발 성분 표시 대상\s*(\d+)\s*건")
# A sentence that says the formula answers the request: each odour word in it must be perceptible.
_REQUESTED = re.compile(r"요청(하신|한|대로)|원하신|말씀하신|바라신|주문하신")


class ClaimKind(StrEnum):
    material = "material"
    position = "position"
    percent = "percent"
    descriptor = "descriptor"
    concentration = "concentration"
    compliance = "compliance"
    reference = "reference"
    brief = "brief"  # "요청하신 커피 분위기에 맞춰": what the person asked for, said to be in the formula


class Claim(BaseModel):
    """One checkable statement of a reply and the verdict against its grounds."""

    model_config = ConfigDict(frozen=True)

    kind: ClaimKind
    sentence: str = Field(description="the sentence the claim was read from")
    subject: str = Field(description="material or perfume id, or 'formula'")
    value: str = Field(description="what is claimed of the subject: a position, a number, a descriptor …")
    supported: bool
    reason: str


class Grounds(BaseModel):
    """What a reply may rest on: the turn's recipe (if any) and the records it retrieved or quoted."""

    recipe: Recipe | None = None
    record_ids: list[str] = Field(default_factory=list)
    record_texts: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    ref: str  # material id, perfume id, position value, or descriptor facets joined by ','
    negated: bool = False


class ClaimChecker:
    """Extracts and checks claims; build once per knowledge base (kiwi and regex work up front)."""

    def __init__(self, kb: KnowledgeBase, names: MaterialNames | None = None, stems_cache: Path | None = None) -> None:
        self.kb = kb
        self.names = names or MaterialNames(kb)
        self._scent = LexiconMatcher(self._scent_entries(kb), stems_cache)
        # brand and name together: a name alone is often a common word ("Vetiver", "Coco")
        self._perfumes = _alternation({compact(f"{p.brand} {p.name}"): pid for pid, p in kb.perfumes.items()})
        self.odour_keys = {compact(k) for k in kb.descriptors} | {f.value for f in FAMILY_KO}
        cues = [(word, pos) for pos, words in POSITION_WORDS.items() for word in words]
        cues += [(phrase, pos) for pos, phrases in _CONCEPT_CUES.items() for phrase in phrases]
        self._positions = {word.lower(): pos for word, pos in cues}
        self._position_pattern = re.compile("|".join(re.escape(w) for w, _ in sorted(cues, key=lambda c: -len(c[0]))),
                                            re.IGNORECASE)

    @staticmethod
    def _scent_entries(kb: KnowledgeBase) -> list[LexiconEntry]:
        """Odour words: the lexicon's scent categories, every descriptor's Korean words, every family word.

        Korean only: English words in a reply are names (a perfume's published notes, a material's English
        name), which the record and material checks read."""
        entries = [e.model_copy(update={"en": []}) for e in kb.lexicon.values() if e.category in _SCENT_CATEGORIES]
        for key, descriptor in kb.descriptors.items():
            entries += [LexiconEntry(term=word, category="material", descriptors={key: 1.0}) for word in descriptor.ko]
        for family, words in FAMILY_KO.items():
            entries += [LexiconEntry(term=word, category="material", descriptors={f"family:{family.value}": 1.0})
                        for word in words.split()]
        return entries

    # --- public --------------------------------------------------------------------------------
    def check(self, text: str, grounds: Grounds) -> list[Claim]:
        """Every checkable claim of ``text``, in order, each with its verdict."""
        quoted = [compact(t) for t in grounds.record_texts if t]
        claims: list[Claim] = []
        for sentence in self.sentences(text):
            claims += self.check_sentence(sentence, grounds, quoted)
        return claims

    def sentences(self, text: str) -> list[str]:
        """Prose sentences of a reply: markdown tables, headings and score lines carry no prose claim."""
        found = []
        for line in text.splitlines():
            if not line.strip() or _SKIPPED_LINE.match(line):
                continue
            plain = _MARKUP.sub("", line).replace("**", "").strip()
            found += [s.strip() for s in _SENTENCE_END.split(plain) if s.strip()]
        return found

    def check_sentence(self, sentence: str, grounds: Grounds, quoted: list[str] | None = None) -> list[Claim]:
        """The claims of one sentence; a sentence (or a part after a colon) quoted from a record has none."""
        quoted = quoted if quoted is not None else [compact(t) for t in grounds.record_texts if t]
        parts = [p for p in re.split(r"(?<=\)):\s+|\s+[—–]\s+", sentence) if p.strip()]
        claims: list[Claim] = []
        for part in parts:
            key = compact(part)
            if len(key) >= 8 and any(key in text for text in quoted):
                continue
            claims += _Reader(self, part, grounds, sentence, quoted).claims()
        return claims

    # --- facts -----------------------------------------------------------------------------
    def allowed_materials(self, grounds: Grounds) -> set[str]:
        """Materials the reply may name: the recipe's, the records', and those inside quoted perfumes/accords."""
        ids = {i.material_id for i in grounds.recipe.ingredients} if grounds.recipe else set()
        for record in grounds.record_ids:
            if record in self.kb.materials:
                ids.add(record)
            elif record in self.kb.perfumes:
                ids.update(self.kb.perfumes[record].material_ids())
            elif record in self.kb.accords:
                ids.update(c.material for c in self.kb.accords[record].components)
        return ids

    def facets(self, material: Material) -> set[str]:
        """What may truthfully be said of a material's smell: its descriptors and their families."""
        found = set(material.descriptors) | {f"family:{material.family.value}"}
        found |= {f"family:{self.kb.descriptors[d].family.value}" for d in material.descriptors if d in self.kb.descriptors}
        found |= {d for d in material.descriptors if d in self.kb.descriptors}
        return found | {d.removeprefix("family:") for d in found if d.startswith("family:")}


def _alternation(forms: dict[str, str]) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    ordered = sorted(forms, key=len, reverse=True)
    return (re.compile("|".join(map(re.escape, ordered))) if ordered else None), forms


class _Reader:
    """One sentence part read against the grounds (a helper of ``ClaimChecker.check_sentence``)."""

    def __init__(self, checker: ClaimChecker, text: str, grounds: Grounds, sentence: str, quoted: list[str]) -> None:
        self.quoted = quoted
        self.c = checker
        self.kb = checker.kb
        self.text = text
        self.grounds = grounds
        self.sentence = sentence
        self.recipe = grounds.recipe
        self.allowed = checker.allowed_materials(grounds)
        self.names = self._material_spans()
        self.clauses = _clauses(text, self._position_spans(), self.names)

    def claim(self, kind: ClaimKind, subject: str, value: str, supported: bool, reason: str) -> Claim:
        return Claim(kind=kind, sentence=self.sentence, subject=subject, value=value, supported=supported,
                     reason=reason)

    def claims(self) -> list[Claim]:
        self.requested = bool(_REQUESTED.search(self.text)) and self.recipe is not None
        materials, descriptors = self._split_names(self.names)
        positions = self._position_spans(materials)
        claims: list[Claim] = []
        for span in materials:
            claims.append(self._material_claim(span))
        for span in materials:
            position = self._nearest(span, positions)
            if position is not None and not span.negated:
                claims.append(self._position_claim(span.ref, NotePosition(position.ref)))
        for span in descriptors:
            described = self._described(span, materials)
            claims.append(self._brief_claim(span) if self.requested and not described
                          else self._descriptor_claim(span, described))
        claims += self._percent_claims(materials, positions)
        claims += self._concentration_claims()
        claims += self._compliance_claims(materials)
        claims += self._reference_claims()
        return claims

    # --- spans ---------------------------------------------------------------------------------
    def _material_spans(self) -> list[_Span]:
        """Material names, except inside an IFRA Standard list ("(카테고리 4, Citral, Geraniol)"), inside an
        English word ("furocoumarins" is not coumarin) or as an English odour word ("woody")."""
        removed = bool(_REMOVED_HEAD.match(self.text))
        hidden = _STANDARD_LIST.sub(lambda m: " " * len(m.group()), self.text)
        spans = []
        for m in self.c.names.find(hidden):
            surface = hidden[m.start:m.end]
            if _ascii_glued(hidden, m.start, m.end) or compact(surface) in self.c.odour_keys:
                continue
            spans.append(_Span(m.start, m.end, m.material_id, m.negated or removed))
        return spans

    def _split_names(self, materials: list[_Span]) -> tuple[list[_Span], list[_Span]]:
        """Material names and odour words, each span read once.

        A bare name that is also an odour word and names nothing in the grounds is the word ("바닐라" over a
        formula with vanillin); an odour word inside a material name belongs to the name.
        """
        words = self._descriptor_spans(materials)
        kept = [m for m in materials if self._dose(m.ref) is not None or self._sibling(self.kb.materials[m.ref])
                or (self._full_name(m) and not self.requested)
                or not any(w.start <= m.start and m.end <= w.end for w in words)]
        return kept, [w for w in words if not any(m.start <= w.start and w.end <= m.end for m in kept)]

    def _full_name(self, span: _Span) -> bool:
        material = self.kb.materials[span.ref]
        return compact(self.text[span.start:span.end]) in (compact(material.name_ko), compact(material.name_en))

    def _descriptor_spans(self, materials: list[_Span]) -> list[_Span]:
        """Odour words, except inside a material name the grounds allow ("바닐린" is not the word "바닐라")."""
        spans = []
        for match in self.c._scent.find(self.text):
            if match.negated:
                continue
            inside = [m for m in materials if m.start <= match.start and match.end <= m.end]
            # "요청하신 커피": the request is answered by the formula, not by a record that mentions coffee
            if any(self._dose(m.ref) is not None if self.requested else m.ref in self.allowed for m in inside):
                continue
            weights = match.entry.descriptors
            strong = sorted((k for k, w in weights.items() if w >= _STRONG), key=lambda k: (-weights[k], k))
            spans.append(_Span(match.start, match.end, ",".join(strong)))
        return spans

    def _position_spans(self, materials: list[_Span] | None = None) -> list[_Span]:
        taken = materials or []
        spans = []
        for hit in self.c._position_pattern.finditer(self.text):
            if any(m.start <= hit.start() < m.end for m in taken):
                continue
            spans.append(_Span(hit.start(), hit.end(), self.c._positions[hit.group().lower()].value))
        return spans

    def _described(self, word: _Span, materials: list[_Span]) -> list[str]:
        """The material an odour word is said of: right before it ("상큼한 베르가못") or right after it with at
        most a particle between ("베르가못의 상큼함", "베르가못이 상큼하게"); otherwise the formula's."""
        found = []
        for m in materials:
            gap = self.text[word.end:m.start] if word.end <= m.start else self.text[m.end:word.start]
            if not m.negated and re.fullmatch(r"\s*" if word.end <= m.start else _PARTICLE_GAP, gap):
                found.append(m.ref)
        return found

    def _same_clause(self, a: _Span, b: _Span) -> bool:
        return _clause_of(self.clauses, a.start) == _clause_of(self.clauses, b.start)

    def _nearest(self, span: _Span, candidates: Iterable[_Span]) -> _Span | None:
        near = [c for c in candidates if self._same_clause(span, c)]
        return min(near, key=lambda c: min(abs(c.start - span.end), abs(span.start - c.end)), default=None)

    # --- verdicts --------------------------------------------------------------------------
    def _dose(self, material_id: str) -> float | None:
        if self.recipe is None or material_id not in {i.material_id for i in self.recipe.ingredients}:
            return None
        return self.recipe.percent_of(material_id)

    def _material_claim(self, span: _Span) -> Claim:
        material = self.kb.materials[span.ref]
        present = self._dose(span.ref) is not None or self._sibling(material) is not None
        if span.negated:
            ok = self._dose(span.ref) is None
            return self.claim(ClaimKind.material, span.ref, "없음", ok,
                              "처방에 없음" if ok else f"{material.name_ko}이(가) 아직 처방에 있음")
        said = compact(self.text[span.start:span.end])
        if present or span.ref in self.allowed or any(said in text for text in self.quoted):
            return self.claim(ClaimKind.material, span.ref, "있음", True,
                              "처방에 있음" if present else "인용한 자료에 있음")
        return self.claim(ClaimKind.material, span.ref, "있음", False, f"{material.name_ko}은(는) 처방에도 자료에도 없음")

    def _sibling(self, material: Material) -> str | None:
        """A recipe line of the same material under another grade ("베르가못" for the FCF oil)."""
        if self.recipe is None:
            return None
        return next((i.material_id for i in self.recipe.ingredients if i.material_id in self.kb.materials
                     and compact(self.kb.materials[i.material_id].name_ko).startswith(compact(material.name_ko))), None)

    def _position_claim(self, material_id: str, position: NotePosition) -> Claim:
        name = self.kb.materials[material_id].name_ko
        line = None
        if self.recipe is not None:
            wanted = {material_id, self._sibling(self.kb.materials[material_id])}
            line = next((i for i in self.recipe.ingredients if i.material_id in wanted), None)
        if line is not None:
            ok = line.note == position
            reason = "처방의 노트와 같음" if ok else f"{name}은(는) 처방에서 {line.note.value}"
        elif material_id in self.allowed:
            note = self.kb.materials[material_id].note
            ok = note == position
            reason = "자료의 노트와 같음" if ok else f"{name}은(는) 자료상 {note.value} 노트"
        else:
            ok, reason = False, f"{name}은(는) 처방에도 자료에도 없음"
        return self.claim(ClaimKind.position, material_id, position.value, ok, reason)

    def _descriptor_claim(self, span: _Span, subjects: list[str]) -> Claim:
        keys = [k for k in span.ref.split(",") if k]
        known = [s for s in subjects if s in self.allowed or self._dose(s) is not None]
        if known:
            facets = set().union(*(self.c.facets(self.kb.materials[s]) for s in known))
            subject = ",".join(known)
        else:
            facets = set().union(*(self.c.facets(self.kb.materials[i.material_id]) for i in self._lines())) \
                if self._lines() else set()
            facets |= self._record_facets() if not self._lines() else set()
            subject = "formula"
            # the formula as a whole: a quality is there when its family is ("따뜻한" — warm, amber family)
            keys += [f"family:{self.kb.descriptors[k].family.value}" for k in keys if k in self.kb.descriptors]
        ok = any(k in facets for k in keys)
        word = self.text[span.start:span.end]
        reason = ("재료의 향 특성과 맞음" if ok else f"'{word}'은(는) 해당 재료의 향 특성이 아님") if known else \
            ("처방의 향 특성과 맞음" if ok else f"'{word}'에 해당하는 재료가 처방에 없음")
        return self.claim(ClaimKind.descriptor, subject, word, ok, reason)

    def _brief_claim(self, span: _Span) -> Claim:
        """"요청하신 X": X is perceptible in the formula (perfumery.fit), not merely somewhere in its tags."""
        assert self.recipe is not None
        word = self.text[span.start:span.end]
        catalog = self.kb.catalog
        mass = odor_mass({i.material_id: i.percent for i in self._lines()}, catalog)
        key = next((k for k in span.ref.split(",") if k), "")  # the word's own odour, its strongest descriptor
        if key.startswith("family:"):
            ok = family_mass(mass, catalog).get(key.removeprefix("family:"), 0.0) >= PERCEPTIBLE
        else:
            ok = can_smell(key, mass, catalog)
        return self.claim(ClaimKind.brief, "formula", word, ok,
                          "처방에서 뚜렷이 느껴짐" if ok else f"'{word}'은(는) 처방에서 충분히 느껴지지 않음")

    def _lines(self) -> list:
        if self.recipe is None:
            return []
        return [i for i in self.recipe.ingredients if i.material_id in self.kb.materials]

    def _record_facets(self) -> set[str]:
        found: set[str] = set()
        for record in self.grounds.record_ids:
            if record in self.kb.materials:
                found |= self.c.facets(self.kb.materials[record])
            elif record in self.kb.perfumes:
                perfume = self.kb.perfumes[record]
                found |= set(perfume.descriptors) | {f"family:{perfume.family.value}", perfume.family.value}
        return found

    def _percent_claims(self, materials: list[_Span], positions: list[_Span]) -> list[Claim]:
        claims = []
        for hit in _PERCENT.finditer(self.text):
            if hit.group(2):  # "10% → 12%": the figure before the arrow is the old version's
                continue
            value = float(hit.group(1))
            span = _Span(hit.start(), hit.end(), "")
            preceding = [m for m in materials if m.end <= span.start and self._same_clause(m, span) and not m.negated]
            before = self.text[max(0, span.start - 12):span.start]
            if preceding:
                claims.append(self._material_percent(preceding[-1].ref, value))
            elif self.recipe is not None and any(w in before for w in _DILUTION_WORDS) or re.search(
                    r"(EDC|EDT|EDP|Parfum|Extrait)\s*$", before):
                claims.append(self._figure("formula", "부향률", value, self.recipe.dilution_percent
                                           if self.recipe else None))
            elif (position := self._nearest(span, positions)) is not None and self.recipe is not None:
                claims.append(self._figure("formula", position.ref, value, self.recipe.pyramid[position.ref]))
        return claims

    def _material_percent(self, material_id: str, value: float) -> Claim:
        dose = self._dose(material_id)
        if dose is not None:
            return self._figure(material_id, "%", value, dose)
        written = f"{value:g}"
        ok = any(written in text for text in self.grounds.record_texts) and material_id in self.allowed
        return self.claim(ClaimKind.percent, material_id, f"{written}%", ok,
                          "자료에 같은 수치" if ok else "처방에 없는 재료의 수치")

    def _figure(self, subject: str, what: str, value: float, actual: float | None) -> Claim:
        if actual is None:
            return self.claim(ClaimKind.percent, subject, f"{what} {value:g}%", False, "확인할 처방이 없음")
        ok = abs(actual - value) <= max(0.051, 0.005 * actual)
        return self.claim(ClaimKind.percent, subject, f"{what} {value:g}%", ok,
                          "처방 수치와 같음" if ok else f"처방에서는 {actual:g}%")

    def _concentration_claims(self) -> list[Claim]:
        # word by word: on the whole text with spacing removed, "expressed citral" would read as "EDC"
        # and outside perfume names ("Chloé Eau de Parfum" is not this formula's concentration)
        text = self.text
        for start, end in self._perfume_spans():
            text = text[:start] + " " * (end - start) + text[end:]
        said = next((c for word in text.split() if (c := concentration_in(word)) is not None), None)
        if said is None:
            return []
        if self.recipe is None:
            ok = any(said.value.lower() in t.lower() for t in self.grounds.record_texts)
            return [self.claim(ClaimKind.concentration, "formula", said.value, ok,
                               "자료에 있음" if ok else "확인할 처방이 없음")]
        ok = said == self.recipe.concentration
        return [self.claim(ClaimKind.concentration, "formula", said.value, ok,
                           "처방의 농도와 같음" if ok else f"처방은 {self.recipe.concentration.value}")]

    def _compliance_claims(self, materials: list[_Span]) -> list[Claim]:
        if "IFRA" not in self.text.upper() and "알레르기" not in self.text:
            return []
        claims = []
        if self.recipe is not None and not materials:
            status = compliance_status(self.recipe.violations)
            for claimed, label in COMPLIANCE_KO.items():
                if label in self.text and not (label == "준수" and "미준수" in self.text):
                    ok = claimed == status
                    claims.append(self.claim(ClaimKind.compliance, "formula", label, ok,
                                             "처방의 IFRA 판정과 같음" if ok else f"처방의 판정은 {COMPLIANCE_KO[status]}"))
        if self.recipe is not None and (count := _ALLERGEN_COUNT.search(self.text)):
            actual = sum(v.severity == Severity.info for v in self.recipe.violations)
            ok = int(count.group(1)) == actual
            claims.append(self.claim(ClaimKind.compliance, "formula", f"알레르기 표시 {count.group(1)}건", ok,
                                     "처방과 같음" if ok else f"처방에서는 {actual}건"))
        for span in materials:
            statuses = [s for s, label in IFRA_STATUS_KO.items() if label in self.text[span.end:]]
            if statuses and not span.negated:
                actual = self.kb.catalog.ifra_status(span.ref)
                ok = actual in statuses
                claims.append(self.claim(ClaimKind.compliance, span.ref, IFRA_STATUS_KO[statuses[0]], ok,
                                         "자료의 IFRA 상태와 같음" if ok else f"자료상 {IFRA_STATUS_KO[actual]}"))
        return claims

    def _perfume_spans(self) -> dict[tuple[int, int], str]:
        pattern, forms = self.c._perfumes
        if pattern is None:
            return {}
        packed = Compacted.of(self.text)
        return {packed.span(h.start(), h.end()): forms[h.group()] for h in pattern.finditer(packed.chars)}

    def _reference_claims(self) -> list[Claim]:
        claims = []
        nearest = self.recipe.nearest_reference.id if self.recipe and self.recipe.nearest_reference else None
        for perfume_id in dict.fromkeys(self._perfume_spans().values()):
            ok = perfume_id == nearest or perfume_id in self.grounds.record_ids
            perfume = self.kb.perfumes[perfume_id]
            claims.append(self.claim(ClaimKind.reference, perfume_id, f"{perfume.brand} {perfume.name}", ok,
                                     "처방의 가장 가까운 향수" if perfume_id == nearest else
                                     ("인용한 자료에 있음" if ok else "처방과도 자료와도 무관한 향수")))
        return claims


def _clauses(text: str, positions: list[_Span], names: list[_Span]) -> list[int]:
    """Start offsets of the clauses of ``text``.

    A clause ends after a verb's connective ending ("열고", "잡으며"; not "받쳐 주" or the adjective "밝고"),
    and at a comma when the part before it named a note position ("탑에서는 A가, 미들에서는 B가") — a comma
    in a plain list ("A, B, C가 탑을 이룬다") or inside parentheses ("(탑, 20.0%)") keeps one clause.
    A concept-line verb ending in a connective ("…로 열고", "…가 중심을 잡으며") ends its clause whatever Kiwi
    tags it: after a name glued to its particle ("시스-3-헥세닐 아세테이트로 열고") Kiwi reads "열고" as a proper
    noun, and the next clause's first name was bound to "열고". No clause starts inside one of ``names``: Kiwi
    reads "신나" of "신나밀 알코올" as a verb with its ending.
    """
    starts = [0]
    tokens = get_kiwi().tokenize(text)
    for i, token in enumerate(tokens):
        previous = tokens[i - 1].tag if i else ""
        following = tokens[i + 1].tag if i + 1 < len(tokens) else ""
        if token.tag == "EC" and previous.split("-")[0] in ("VV", "VX", "XSV") and not following.startswith("VX"):
            starts.append(token.start + token.len)
    for p in positions:
        gap = _WORD_GAP.search(text, p.end)
        word_end = gap.start() if gap else len(text)
        if text[p.start:p.end] in _CONCEPT_VERBS and text[:word_end].endswith(_CONNECTIVES):
            starts.append(word_end)
    for comma in (m.start() for m in re.finditer(r"[,;]", text)):
        if text.rfind("(", 0, comma) > text.rfind(")", 0, comma):  # "(탑, 20.0%)" is one aside
            continue
        begin = max(s for s in starts if s <= comma)
        if any(begin <= p.start < comma for p in positions):
            starts.append(comma + 1)
    return sorted({start for start in starts if not any(m.start < start < m.end for m in names)})


def _ascii_glued(text: str, start: int, end: int) -> bool:
    """Whether a match starts or ends inside a longer English word."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return (before.isascii() and before.isalpha() and text[start].isascii()) or \
        (after.isascii() and after.isalpha() and text[end - 1].isascii())


def _clause_of(starts: list[int], offset: int) -> int:
    return max(s for s in starts if s <= offset)
