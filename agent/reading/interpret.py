"""Korean message → Brief, and mentions of materials by name.

Three sources, in order of trust: the Korean lexicon (moods, seasons, places → weighted descriptors),
explicit material names ("베르가못 넣어줘", "바닐라 말고"), and — when the words are not in the lexicon —
the descriptors of the materials that dense retrieval finds closest to the message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.kb import KnowledgeBase
from knowledge.korean import compact
from knowledge.lexicon import Compacted, LexiconMatch, clause_window, is_negated
from perfumery.brief import Brief
from perfumery.ifra import Product, product_named
from perfumery.models import Concentration
from perfumery.vocabulary import NAME_QUALIFIER as _QUALIFIER
from perfumery.vocabulary import NAME_TYPE_WORD as _TYPE_WORDS

_CONCENTRATION_WORDS: dict[Concentration, tuple[str, ...]] = {
    Concentration.EDC: ("edc", "오드코롱", "코롱", "eaudecologne"),
    Concentration.EDT: ("edt", "오드뚜왈렛", "오드투왈렛", "뚜왈렛", "투왈렛", "eaudetoilette"),
    Concentration.EDP: ("edp", "오드퍼퓸", "오드빠르펭", "eaudeparfum"),
    Concentration.Extrait: ("extrait", "엑스트레", "엑스트레드퍼퓸"),
    Concentration.Parfum: ("퍼퓸", "parfum", "빠르펭"),
}
# The same words as written, spaces allowed anywhere ("오드 뚜왈렛"), to take them out of a scent wish.
CONCENTRATION_WORD = re.compile("|".join(
    r"\s*".join(map(re.escape, word)) for words in _CONCENTRATION_WORDS.values()
    for word in sorted(words, key=len, reverse=True)), re.IGNORECASE)
_INCLUDE_CUES = ("넣어", "넣고", "들어간", "들어가", "포함", "추가", "살려", "중심", "베이스로", "위주")


@dataclass(frozen=True)
class Mention:
    material_id: str
    start: int
    end: int
    negated: bool
    include: bool


# Two-letter short forms that begin common longer words: "베이" (bay) in "베이스".
_AMBIGUOUS_SHORT = frozenset({"베이", "오크", "머스", "시스"})


class MaterialNames:
    """Spacing-insensitive longest-match finder for material names (Korean, English, trade names)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        forms: dict[str, str] = {}
        # Shorter ids first, so a bare name means the plain grade ("베르가못" → bergamot_oil, not _fcf).
        for material in sorted(kb.materials.values(), key=lambda m: (len(m.id), m.id)):
            names = [material.name_ko, material.name_en, *material.synonyms.ko, *material.synonyms.en,
                     *material.synonyms.trade]
            names += [bare for name in names if (bare := _QUALIFIER.sub("", name)) != name]
            for name in names:
                key = compact(name)
                if len(key) >= 2:
                    forms.setdefault(key, material.id)
            for name in names:  # shortened forms must stay specific: "베이" (bay) would match "베이스"
                key = compact(_TYPE_WORDS.sub("", name))
                if len(key) >= 3 or (len(key) == 2 and key not in _AMBIGUOUS_SHORT):
                    forms.setdefault(key, material.id)
        # Last: the head noun of a qualified natural ("아틀라스 시더우드 오일" → "시더우드"), so a bare
        # "시더우드" means a cedarwood rather than the "우드" (oud) inside it.
        for material in sorted(kb.materials.values(), key=lambda m: (len(m.id), m.id)):
            for name in (material.name_ko, material.name_en):
                stripped = _TYPE_WORDS.sub("", _QUALIFIER.sub("", name))
                words = stripped.split()
                if stripped != name and len(words) >= 2 and len(words[-1]) >= 3:
                    forms.setdefault(compact(words[-1]), material.id)
        self._forms = forms
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def find(self, text: str) -> list[Mention]:
        """Materials named in ``text`` with spans in ``text``; negation and inclusion read within the clause."""
        if self._pattern is None:
            return []
        packed = Compacted.of(text)
        spans = [(*packed.span(hit.start(), hit.end()), self._forms[hit.group()])
                 for hit in self._pattern.finditer(packed.chars)]
        mentions = []
        for i, (start, end, material_id) in enumerate(spans):
            after = text[end:spans[i + 1][0] if i + 1 < len(spans) else len(text)]
            mentions.append(Mention(
                material_id=material_id, start=start, end=end, negated=is_negated(text[:start], after),
                include=any(cue in clause_window(after) for cue in _INCLUDE_CUES),
            ))
        return mentions


def concentration_in(text: str) -> Concentration | None:
    packed = compact(text)
    for concentration, words in _CONCENTRATION_WORDS.items():
        if any(word in packed for word in words):
            return concentration
    return None


def negation_avoids(text: str, kb: KnowledgeBase) -> dict[str, float]:
    """Descriptors ruled out by the lexicon's negation phrases ("너무 달지 않게", "덜 달게") in ``text``.

    The lexicon matcher treats these phrases as negation cues, so they are looked up here directly.
    """
    packed = compact(text)
    avoid: dict[str, float] = {}
    for entry in kb.lexicon.values():
        if entry.category == "negation" and any(compact(f) in packed for f in (entry.term, *entry.variants)):
            _merge(avoid, entry.avoid)
    return avoid


# Words that set the scene rather than name the smell: beside a subject ("비 오는 날 카페") they shade it
# rather than share the headline with it, so a rainy-day café is a café first.
_CONTEXT_CATEGORIES = frozenset({"season", "weather", "time", "occasion", "persona"})
CONTEXT_WEIGHT = 0.75
_THEME_ADJECTIVES = frozenset({"mood", "texture"})


def _themes(matches: Iterable[LexiconMatch]) -> list[str]:
    """The person's own words to name the formula by: a mood word, then the subject (a scene word only when
    there is no subject), each the lexicon's Korean term, so an English brief is named in Korean too."""
    wanted = [m for m in matches if not m.negated and m.entry.category not in ("negation", "intensity")]
    moods = [m.entry.term for m in wanted if m.entry.category in _THEME_ADJECTIVES]
    nouns = sorted((m for m in wanted if m.entry.category not in _THEME_ADJECTIVES),
                   key=lambda m: (m.entry.category in _CONTEXT_CATEGORIES, m.start))
    return list(dict.fromkeys([*moods[:1], *(m.entry.term for m in nouns[:1])]))


def _merge(target: dict[str, float], weights: dict[str, float], scale: float = 1.0) -> None:
    for key, weight in weights.items():
        target[key] = max(target.get(key, 0.0), round(weight * scale, 3))


def build_brief(text: str, kb: KnowledgeBase, matches: Iterable[LexiconMatch], mentions: Iterable[Mention],
                concentration: str | None = None,
                fallback_descriptors: Iterable[tuple[str, float]] = (), product: str | None = None) -> Brief:
    """The Brief a perfumer would write down from this message, given what the turn's reading found in it.

    ``fallback_descriptors`` (descriptor, weight) come from the materials retrieval found closest to the
    message; they are used only when the lexicon recognised no target descriptor.
    """
    descriptors: dict[str, float] = {}
    avoid: dict[str, float] = {}
    brief_fields: dict[str, object] = {}
    intensities: list[float] = []
    matches = list(matches)
    subject = any(m.entry.category not in _CONTEXT_CATEGORIES and m.entry.descriptors and not m.negated
                  for m in matches)
    for match in matches:
        entry = match.entry
        if match.negated:
            _merge(avoid, entry.descriptors)
            continue
        _merge(descriptors, entry.descriptors,
               CONTEXT_WEIGHT if subject and entry.category in _CONTEXT_CATEGORIES else 1.0)
        _merge(avoid, entry.avoid)
        if entry.intensity is not None:
            intensities.append(entry.intensity)
        for name in ("season", "occasion", "style"):
            value = getattr(entry, name)
            if value is not None:
                brief_fields.setdefault(name, value)
    _merge(avoid, negation_avoids(text, kb))

    must_include: list[str] = []
    avoid_materials: list[str] = []
    for mention in mentions:
        material = kb.materials[mention.material_id]
        if mention.negated:
            avoid_materials.append(mention.material_id)
        else:
            if mention.include:
                must_include.append(mention.material_id)
            _merge(descriptors, {d: 1.0 - 0.15 * i for i, d in enumerate(material.descriptors[:3])})
    if not descriptors:
        for key, weight in fallback_descriptors:
            _merge(descriptors, {key: weight})
    for key in set(avoid) & set(descriptors):  # a wish and an exclusion of one descriptor: the stronger wins
        if avoid[key] >= descriptors[key]:
            del descriptors[key]
        else:
            del avoid[key]

    chosen = concentration_in(text) or (Concentration(concentration) if concentration else Concentration.EDP)
    named = product_named(compact(text).lower())
    return Brief(
        product=named or (Product(product) if product else Product.fine_fragrance),
        descriptors=descriptors, avoid_descriptors=avoid, avoid_materials=sorted(set(avoid_materials)),
        must_include=[m for m in dict.fromkeys(must_include) if m not in avoid_materials],
        intensity=round(sum(intensities) / len(intensities), 2) if intensities else 0.5,
        concentration=chosen, text=text, themes=_themes(matches), **brief_fields,
    )
