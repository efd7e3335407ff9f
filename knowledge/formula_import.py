"""Name every line of a perfumer's formula: CAS, exact names, then the typo-tolerant name index of search.

The order is the order of trust. A stated id or CAS number is taken as written; an exact name, synonym or
trade name (spacing and case ignored) is certain; a typo or a partial name found by the jamo-trigram name
index (the ``names`` channel of hybrid search) is used but shown back for confirmation; anything weaker
stays in the formula as an unknown line, with the closest material as a suggestion.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from pydantic import BaseModel, Field
from rapidfuzz import fuzz, process

from knowledge.korean import compact, jamo
from knowledge.search import NameIndex
from perfumery.catalog import Catalog
from perfumery.formula import FormulaFormat, FormulaLine, SkippedLine, parse, solvent_named
from perfumery.ifra import Product
from perfumery.models import Concentration
from perfumery.neat import LineKind, ResolvedLine, build_recipe
from perfumery.recipe import Recipe
from perfumery.vocabulary import NAME_QUALIFIER as _QUALIFIER
from perfumery.vocabulary import NAME_TYPE_WORD as _TYPE_WORDS

ACCEPT = 0.82  # spelling likeness from which a typo'd name is read as that material (and shown back)
CERTAIN = 0.9  # … from which it is not even shown back
MARGIN = 0.08  # a runner-up this close makes the reading ambiguous: shown back


def spellings(name: str) -> list[str]:
    """The compacted forms a name is written in: whole, without a bracketed grade, without its type word."""
    forms = [compact(name), compact(_QUALIFIER.sub("", name))]
    forms += [_TYPE_WORDS.sub("", form) for form in forms]
    return [form for form in dict.fromkeys(forms) if len(form) >= 2]


class ImportResult(BaseModel):
    """An imported formula with every reading shown: what each line became and how sure that is."""

    recipe: Recipe
    lines: list[ResolvedLine]
    skipped: list[SkippedLine] = Field(default_factory=list)
    notes_ko: list[str] = Field(default_factory=list)

    @property
    def to_confirm(self) -> list[ResolvedLine]:
        return [r for r in self.lines if r.confirm or r.kind == LineKind.unknown]


class FormulaResolver:
    """Reads material text against one catalog; ``suggest`` (dense search, optional) names a likely material
    for a line nothing else could read."""

    def __init__(self, catalog: Catalog, suggest: Callable[[str], str | None] | None = None) -> None:
        self.catalog = catalog
        self.suggest = suggest
        self._cas = {}
        self._exact: dict[str, tuple[LineKind, str]] = {}
        # Shorter ids first, so a bare name means the plain grade ("베르가못" → bergamot_oil, not _fcf).
        for material in sorted(catalog.materials.values(), key=lambda m: (len(m.id), m.id)):
            if material.cas:
                self._cas.setdefault(material.cas, material.id)
            for key in (k for name in material.names for k in spellings(name)):
                self._exact.setdefault(key, (LineKind.material, material.id))
        for accord in catalog.accords.values():
            for key in (k for name in (accord.name_ko, accord.name_en) for k in spellings(name)):
                self._exact.setdefault(key, (LineKind.accord, accord.id))
        self._records = [(LineKind.material, m.id, m.names) for m in catalog.materials.values()]
        self._records += [(LineKind.accord, a.id, [a.name_ko, a.name_en]) for a in catalog.accords.values()]
        self._index = NameIndex([names for _, _, names in self._records])
        self._spelled: dict[str, int] = {}  # jamo spelling of every name, with and without its type word
        for position, (_, _, names) in enumerate(self._records):
            for key in (k for name in names for k in spellings(name)):
                self._spelled.setdefault(jamo(key), position)
        self._spellings = list(self._spelled)

    def _closest(self, key: str) -> list[tuple[float, int]]:
        """(likeness, record) best first: spelling likeness (jamo) of the records the name index or a close
        spelling proposes, so "해디온" finds 헤디온 and "Ambrocenide" does not pass for Ambrox."""
        spelled = {jamo(k) for k in (key, _TYPE_WORDS.sub("", key)) if k}
        proposals = {position for position, _ in self._index.rank(key)[:5]}
        for form in spelled:
            close = process.extract(form, self._spellings, scorer=fuzz.ratio, limit=5, score_cutoff=60)
            proposals.update(self._spelled[spelling] for spelling, _, _ in close)
        scored = []
        for position in proposals:
            names = {jamo(k) for n in self._records[position][2] for k in spellings(n)}
            scored.append((max((fuzz.ratio(a, b) / 100 for a in spelled for b in names), default=0.0), position))
        return sorted(scored, reverse=True)

    def resolve(self, line: FormulaLine) -> ResolvedLine:
        if line.material_id in self.catalog.materials:
            return ResolvedLine(line=line, kind=LineKind.material, target=line.material_id, confidence=1.0)
        if line.material_id in self.catalog.accords:
            return ResolvedLine(line=line, kind=LineKind.accord, target=line.material_id, confidence=1.0)
        if line.cas in self._cas:
            return ResolvedLine(line=line, kind=LineKind.material, target=self._cas[line.cas], confidence=1.0)
        solvent = solvent_named(line.text)
        if solvent is not None:
            return ResolvedLine(line=line, kind=LineKind.solvent, target=solvent.value, confidence=1.0)
        key = compact(line.text)
        for candidate, confidence in ((key, 1.0), (_TYPE_WORDS.sub("", key), 0.95)):
            if candidate in self._exact:
                kind, target = self._exact[candidate]
                return ResolvedLine(line=line, kind=kind, target=target, confidence=confidence)
        ranked = self._closest(key)
        if ranked and ranked[0][0] >= ACCEPT:
            likeness, position = ranked[0]
            kind, target, _ = self._records[position]
            runner_up = next((score for score, p in ranked[1:] if self._records[p][1] != target), 0.0)
            confidence = round(min(likeness, 0.99), 3)
            return ResolvedLine(line=line, kind=kind, target=target, confidence=confidence,
                                confirm=confidence < CERTAIN or likeness - runner_up < MARGIN)
        hint = self._records[ranked[0][1]][1] if ranked else (self.suggest(line.text) if self.suggest else None)
        return ResolvedLine(line=line, kind=LineKind.unknown, confidence=0.0, suggestion=hint)


@lru_cache(maxsize=4)
def resolver_for(catalog: Catalog) -> FormulaResolver:
    """One resolver per catalog (its name index takes a moment to build)."""
    return FormulaResolver(catalog)


def import_formula(content: str, catalog: Catalog, fmt: FormulaFormat | None = None, *,
                   resolver: FormulaResolver | None = None, name: str = "",
                   concentration: Concentration | None = None, product: Product | None = None,
                   load_percent: float | None = None) -> ImportResult:
    """Pasted text, CSV or our JSON → version 1 of a neat formula, with each line's reading.

    Raises ``FormulaError`` (a Korean message) when nothing can be read or the units cannot be combined.
    Settings given here win over a JSON recipe's own.
    """
    parsed = parse(content, fmt)
    resolver = resolver or resolver_for(catalog)
    lines = [resolver.resolve(line) for line in parsed.lines]
    own = parsed.recipe
    recipe, notes = build_recipe(
        lines, catalog, name=name or (own.name if own else ""),
        concentration=concentration or (own.concentration if own else Concentration.EDP),
        product=product or (own.product if own else Product.fine_fragrance),
        load_percent=load_percent or (own.dilution_percent if own else None))
    if own is not None:
        recipe = recipe.model_copy(update={"concept_ko": own.concept_ko})
    return ImportResult(recipe=recipe, lines=lines, skipped=parsed.skipped, notes_ko=notes)
