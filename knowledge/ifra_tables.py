"""Read the IFRA Standards tables in ``knowledge/data/ifra/`` and match them to our materials.

The tables are a transcription of IFRA's own overview spreadsheet and Annex (see ``ifra/SOURCE.md``):
``standards.csv`` (one Standard per row, its limit in each of the 18 categories), ``standard_cas.csv``
(the CAS numbers each Standard covers) and ``naturals.csv`` (regulated constituents of the naturals we
hold, with their maximum level). The tables' amendment is read from them (``tables_amendment``), never typed.
A material meets a Standard through its CAS, through an explicit
``ifra_standards`` entry (family Standards that list no CAS), or through its constituents.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from perfumery.ifra import (
    Contribution,
    IfraCategory,
    IfraStandard,
    Limit,
    LimitKind,
    StandardType,
    amendment_ko,
    newest_amendment,
)
from perfumery.models import Material, Origin

_CELLS = {"sin-restriccion": LimitKind.unrestricted, "prohibido": LimitKind.prohibited,
          "ver-nota": LimitKind.see_note, "": LimitKind.missing}
_COLUMNS = {category: f"cat_{category.value.lower()}" for category in IfraCategory}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _limit(cell: str, where: str, problems: list[str]) -> Limit:
    cell = cell.strip()
    if cell in _CELLS:
        return Limit(kind=_CELLS[cell])
    try:
        return Limit(kind=LimitKind.value, percent=float(cell))
    except ValueError:
        problems.append(f"{where}: unreadable limit {cell!r}")
        return Limit(kind=LimitKind.missing)


def _types(raw: str) -> frozenset[StandardType]:
    return frozenset(StandardType(part.lower()) for part in raw.split("_") if part.lower() in StandardType.__members__)


def tables_amendment(folder: Path) -> str:
    """The amendment the tables in ``folder`` transcribe: the newest any of their Standards carries."""
    return newest_amendment(row["amendment"] for row in _rows(folder / "standards.csv"))


def _ordinal(number: str) -> str:
    """"51" → "51st", "52" → "52nd", "11" → "11th": the amendment as IFRA's English titles write it."""
    n = int(number)
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def source_of(amendment: str) -> str:
    """Where every Standard's figures come from, in words (``ifra/SOURCE.md`` says where exactly)."""
    return f"IFRA Standards, {_ordinal(amendment)} Amendment (International Fragrance Association)"


def annex_source_ko(amendment: str) -> str:
    """The source named on a constituent level taken from the IFRA Annex of these tables."""
    return f"IFRA Annex ({amendment_ko(amendment)})"


def load_standards(folder: Path, problems: list[str]) -> dict[str, IfraStandard]:
    standards: dict[str, IfraStandard] = {}
    source = source_of(tables_amendment(folder))
    for row in _rows(folder / "standards.csv"):
        where = f"ifra/standards.csv {row['standard']}"
        note = row["note_limit"].strip()
        try:
            standards[row["standard"]] = IfraStandard(
                id=row["standard"], name=row["name"], types=_types(row["type"]),
                limits={c: _limit(row[column], where, problems) for c, column in _COLUMNS.items()},
                expressed_as=row["expressed_as"], note_limit=float(note) if note else None,
                amendment=row["amendment"], source=source)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    return standards


def _cas_index(folder: Path) -> dict[str, list[str]]:
    index: dict[str, list[str]] = defaultdict(list)
    for row in _rows(folder / "standard_cas.csv"):
        if row["standard"] not in index[row["cas"]]:
            index[row["cas"]].append(row["standard"])
    return index


Variant = dict[str, tuple[float, str]]  # constituent CAS → (% of the natural, where the figure comes from)


def standard_cas(folder: Path) -> dict[str, set[str]]:
    """Standard → every CAS it covers: its own list plus the Annex constituents filed under it."""
    sets: dict[str, set[str]] = defaultdict(set)
    for row in _rows(folder / "standard_cas.csv"):
        sets[row["standard"]].add(row["cas"])
    for row in _rows(folder / "naturals.csv"):
        if row["constituent_standard"]:
            sets[row["constituent_standard"]].add(row["constituent_cas"])
    return dict(sets)


def shared_groups(standards: Mapping[str, set[str]], entries: Mapping[str, set[str]]
                  ) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The CAS counted toward each Standard and each EU allergen entry, grouped alike where they share one.

    A Standard and an Annex III entry with a CAS in common are the same substance, so both count the union
    of their lists (cis-isoeugenol toward the Isoeugenol Standard, trans,trans-farnesol toward Farnesol): the
    IFRA check and the allergen declaration then take the same number from a natural's constituents.
    """
    by_standard = {standard: set(cas) for standard, cas in standards.items()}
    by_entry = {label: set(cas) for label, cas in entries.items()}
    for standard, cas in standards.items():
        for label, listed in entries.items():
            if cas & listed:
                by_standard[standard] |= listed
                by_entry[label] |= cas
    return by_standard, by_entry


def annex_variants(folder: Path, problems: list[str]) -> dict[str, list[tuple[str, Variant]]]:
    """CAS of a natural → its Annex variants by name (expressed, distilled …), each constituent CAS → max level."""
    per_variant: dict[tuple[str, str], Variant] = defaultdict(dict)
    cas_of_variant: dict[tuple[str, str], set[str]] = defaultdict(set)
    source = annex_source_ko(tables_amendment(folder))
    for row in _rows(folder / "naturals.csv"):
        try:
            level = float(row["max_percent"])
        except ValueError:
            problems.append(f"ifra/naturals.csv {row['name']}: unreadable level {row['max_percent']!r}")
            continue
        variant = (row["cas"], row["name"])
        known = per_variant[variant].get(row["constituent_cas"], (0.0, ""))[0]
        per_variant[variant][row["constituent_cas"]] = (max(known, level), source)
        cas_of_variant[variant].update(c for c in (row["cas"], *row["other_cas"].split()) if c)
    result: dict[str, list[tuple[str, Variant]]] = defaultdict(list)
    for variant, levels in per_variant.items():
        for cas in cas_of_variant[variant]:
            result[cas].append((variant[1], levels))
    return dict(result)


def composition(material: Material, annex: Mapping[str, list[tuple[str, Variant]]], cited: Variant) -> list[Variant]:
    """What a material is made of, per variant we cannot tell apart: one source of truth for IFRA and allergens.

    A synthetic is its own CAS at 100 %. A natural is the IFRA Annex variant named as the material is (cinnamon
    leaf oil, not the bark oil that shares its CAS) or, when none is, every Annex variant for its CAS; plus, as a
    variant of its own, the cited certificate levels: a certificate describes one lot (often another chemotype
    than an Annex row), so merging it into an Annex variant would add up the same citral twice.
    """
    if material.origin == Origin.synthetic:
        return [{material.cas: (100.0, "")}] if material.cas else []
    found = annex.get(material.cas, []) if material.cas else []
    named = [v for name, v in found if name.casefold() == material.name_en.casefold()]
    variants = named or [v for _, v in found]
    return variants + [dict(cited)] if cited else variants


def group_level(variants: list[Variant], cas_set: set[str]) -> tuple[float, str] | None:
    """Fraction of the material counted toward a group of CAS (a Standard, an allergen), with its source.

    Within a variant the group's constituents add up (isomers count together); across variants we keep the
    highest, so a check errs on the safe side. None when no variant holds any of them.
    """
    best: tuple[float, str] | None = None
    for variant in variants:
        found = [(percent, source) for cas, (percent, source) in variant.items() if cas in cas_set]
        if not found:
            continue
        total = sum(percent for percent, _ in found)
        if best is None or total > best[0]:
            best = (total, "; ".join(dict.fromkeys(source for _, source in found if source)))
    return None if best is None else (min(1.0, best[0] / 100.0), best[1])


def match_materials(materials: Iterable[Material], folder: Path, standards: Mapping[str, IfraStandard],
                    compositions: Mapping[str, list[Variant]], groups: Mapping[str, set[str]],
                    problems: list[str]) -> dict[str, tuple[Contribution, ...]]:
    """Each material's contributions to the Standards: itself by CAS or by name, a natural by its composition
    (``groups``: the CAS counted toward each Standard, from ``shared_groups``)."""
    by_cas = _cas_index(folder)
    covered = {standard: cas for standard, cas in groups.items() if standard in standards}
    result: dict[str, tuple[Contribution, ...]] = {}
    for material in materials:
        found: dict[str, Contribution] = {}
        for standard in by_cas.get(material.cas, []) if material.cas else ():
            found[standard] = Contribution(standard=standard, fraction=1.0)
        for standard in material.ifra_standards:  # named by hand: it applies, the amount is not sourced
            if standard not in standards:
                problems.append(f"material {material.id}: unknown IFRA Standard {standard!r}")
            elif standard not in found:
                found[standard] = Contribution(standard=standard, fraction=None)
        if material.origin == Origin.natural:
            variants = compositions.get(material.id, [])
            for standard, cas_set in covered.items():
                level = group_level(variants, cas_set) if standard not in found else None
                if level is not None and level[0] > 0:
                    found[standard] = Contribution(standard=standard, fraction=level[0], from_natural=True)
        if found:
            result[material.id] = tuple(found.values())
    return result
