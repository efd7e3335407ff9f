"""Find the Korean lexicon's terms in a message, and whether the writer wants them or not.

Two passes, because Korean bends words and ignores spacing:
- surface forms (term and variants) matched on the text with spacing removed, longest first
  ("샌달 우드" = "샌달우드");
- kiwi content morphemes, so an inflection the lexicon did not list still matches its stem
  ("상큼한" in the lexicon, "상큼하고" in the message).
A match is negated when a negation cue ("말고", "빼고", "없이", "않게", "싫어" …) follows it within
its clause before the next match, or "안" stands right before it ("안 달게").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from knowledge.kb import KnowledgeBase
from knowledge.korean import compact, get_kiwi, is_content
from knowledge.token_cache import cached_terms
from perfumery.models import LexiconEntry

# Cues matched on spacing-free text after a term. Stems rather than whole words, so every
# ending counts: 않(게/은/고/았으면), 없(이/는/게), 싫(어/은/고), 빼(고/줘/ 주세요) …
NEGATION_CUES: tuple[str, ...] = (
    "말고", "말아", "빼", "없이", "없는", "없게", "없었", "않", "싫", "제외", "아닌", "아니", "별로", "금지",
    "피해", "피하", "노노", "비선호",
)
# Where a clause ends: a cue beyond this belongs to the next thought.
_CLAUSE_END = re.compile(r"[,.!?;\n]|그리고|그런데|하지만|지만|는데|은데")
_PREFIX_NEGATION = re.compile(r"(?:^|\s)(?:안|못|no|without|not(?:\s+too)?|never|less|zero)\s*$", re.IGNORECASE)
NEGATION_WINDOW = 8  # spacing-free characters after a match that may hold its cue
_MIN_SURFACE_CHARS = 2  # one-syllable forms ("차", "봄") match only as whole morphemes


class LexiconMatch(BaseModel):
    """One lexicon entry found in a text."""

    model_config = ConfigDict(frozen=True)

    entry: LexiconEntry
    surface: str
    start: int
    end: int
    negated: bool


@dataclass(frozen=True)
class Compacted:
    """Text without spaces/punctuation, with each kept character's index in the original."""

    chars: str
    origin: list[int]

    @classmethod
    def of(cls, text: str) -> Compacted:
        chars: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(text):
            for piece in unicodedata.normalize("NFKC", char).lower():
                if piece.isalnum():
                    chars.append(piece)
                    origin.append(index)
        return cls("".join(chars), origin)

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1


class LexiconMatcher:
    """Matches the lexicon in free Korean text; build once per knowledge base (kiwi work up front)."""

    def __init__(self, entries: Iterable[LexiconEntry], stems_cache: Path | None = None) -> None:
        entries = list(entries)
        forms_stems = _forms_stems(entries, stems_cache)
        cues = list(NEGATION_CUES)
        self._by_form: dict[str, LexiconEntry] = {}
        self._by_stems: dict[tuple[str, ...], LexiconEntry] = {}
        for entry in entries:
            forms = [entry.term, *entry.variants]
            if entry.category == "negation":
                cues.extend(compact(f) for f in forms)
                continue
            for phrase in entry.en:  # English as whole words only: "rose" must not match "rosemary"
                self._by_stems.setdefault(tuple(phrase.lower().split()), entry)
            for form in forms:
                key = compact(form)
                if len(key) >= _MIN_SURFACE_CHARS:
                    self._by_form.setdefault(key, entry)
                # Kiwi may read a lone word differently than in a sentence ("봄" alone is 보+ㅁ),
                # so the whole form also counts as a one-morpheme key.
                for stems in (forms_stems[form], (key,)):
                    # A lone one-syllable morpheme cut out of a longer form ("시더" → "더", "봄" read as
                    # "보", "달고나" → "달") would match everywhere ("더 우디하게", "볼만한", "덜 달게"): only
                    # the form itself or its dictionary form ("달다" → "달") may be one syllable.
                    if stems and all(stems) and (len(stems) > 1 or len(stems[0]) > 1
                                                 or key in (stems[0], stems[0] + "다")):
                        self._by_stems.setdefault(stems, entry)
        self._cues = tuple(sorted(set(filter(None, cues)), key=len, reverse=True))
        alternatives = sorted(self._by_form, key=len, reverse=True)
        self._surface = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None
        self._max_stems = max((len(k) for k in self._by_stems), default=0)

    def find(self, text: str) -> list[LexiconMatch]:
        """Entries in ``text``, in order of appearance, each with its span and negation."""
        spans: list[tuple[int, int, LexiconEntry]] = []
        packed = Compacted.of(text)
        if self._surface is not None:
            for hit in self._surface.finditer(packed.chars):
                start, end = packed.span(hit.start(), hit.end())
                spans.append((start, end, self._by_form[hit.group()]))
        spans.extend(self._stem_spans(text, spans))
        spans.sort(key=lambda s: s[0])
        matches = []
        for i, (start, end, entry) in enumerate(spans):
            next_start = spans[i + 1][0] if i + 1 < len(spans) else len(text)
            negated = is_negated(text[:start], text[end:next_start], self._cues)
            matches.append(LexiconMatch(entry=entry, surface=text[start:end], start=start, end=end, negated=negated))
        return matches

    def _stem_spans(self, text: str, taken: list[tuple[int, int, LexiconEntry]]) -> list[tuple[int, int, LexiconEntry]]:
        """Morpheme-sequence matches outside the surface matches, longest sequence first."""
        if not self._by_stems:
            return []
        tokens = [t for t in get_kiwi().tokenize(text) if is_content(t.tag)]
        found: list[tuple[int, int, LexiconEntry]] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self._max_stems, len(tokens) - i), 0, -1):
                window = tokens[i : i + size]
                entry = self._by_stems.get(tuple(_stem(t.form, t.tag) for t in window))
                start, end = window[0].start, window[-1].start + window[-1].len
                if entry is not None and not any(s < end and start < e for s, e, _ in (*taken, *found)):
                    found.append((start, end, entry))
                    i += size - 1
                    break
            i += 1
        return found



def clause_window(after: str) -> str:
    """What follows a term up to the end of its clause, spacing removed, clipped to the cue window."""
    return compact(_CLAUSE_END.split(after, maxsplit=1)[0])[:NEGATION_WINDOW]


def is_negated(before: str, after: str, cues: Iterable[str] = NEGATION_CUES) -> bool:
    """Whether a term between ``before`` and ``after`` is ruled out: "안 달게", or a cue later in its clause
    ("바닐라는 빼줘", "달지 않게") — never a cue of the next clause ("베르가못 넣고, 바닐라는 빼줘")."""
    if _PREFIX_NEGATION.search(before):
        return True
    window = clause_window(after)
    return any(cue in window for cue in cues)


def _stem(form: str, tag: str) -> str:
    """Comparable morpheme: English lowercased, Korean as kiwi gives it."""
    return form.lower() if tag == "SL" else form


def _content_stems(form: str) -> list[str]:
    return [_stem(t.form, t.tag) for t in get_kiwi().tokenize(form) if is_content(t.tag)]


def _forms_stems(entries: list[LexiconEntry], cache: Path | None) -> dict[str, tuple[str, ...]]:
    """Every form's content stems, read from ``cache`` where stored (knowledge/token_cache.py)."""
    forms = list(dict.fromkeys(f for e in entries if e.category != "negation" for f in (e.term, *e.variants)))
    return {form: tuple(stems) for form, stems in zip(forms, cached_terms(forms, cache, _content_stems), strict=True)}


_MATCHERS: dict[str, LexiconMatcher] = {}


def get_lexicon_matcher(kb: KnowledgeBase, stems_cache: Path | None = None) -> LexiconMatcher:
    """The matcher for this knowledge base, built once per process and data version (``stems_cache``: where
    kiwi's analyses of the lexicon are kept between processes)."""
    if kb.content_hash not in _MATCHERS:
        _MATCHERS[kb.content_hash] = LexiconMatcher(kb.lexicon.values(), stems_cache)
    return _MATCHERS[kb.content_hash]
