"""Read the IFRA 51st Amendment tables in ``knowledge/data/ifra/`` and match them to our materials.

The tables are a transcription of IFRA's own overview spreadsheet and Annex (see ``ifra/SOURCE.md``):
``standards.csv`` (one Standard per row, its limit in each of the 18 categories), ``standard_cas.csv``
(the CAS numbers each Standard covers) and ``naturals.csv`` (regulated constituents of the naturals we
hold, with their maximum level). A material meets a Standard through its CAS, through an explicit
``ifra_standards`` entry (family Standards that list no CAS), or through its constituents.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from perfumery.ifra import Contribution, IfraCategory, IfraStandard, Limit, LimitKind, StandardType
from perfumery.models import Material

SOURCE = ("IFRA Standards, 51st Amendment — overview and Annex on contributions from other sources, "
          "as transcribed in smortenax/perfumeria-app datos/ifra/51")
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


def load_standards(folder: Path, problems: list[str]) -> dict[str, IfraStandard]:
    standards: dict[str, IfraStandard] = {}
    for row in _rows(folder / "standards.csv"):
        where = f"ifra/standards.csv {row['standard']}"
        note = row["note_limit"].strip()
        try:
            standards[row["standard"]] = IfraStandard(
                id=row["standard"], name=row["name"], types=_types(row["type"]),
                limits={c: _limit(row[column], where, problems) for c, column in _COLUMNS.items()},
                expressed_as=row["expressed_as"], note_limit=float(note) if note else None,
                amendment=row["amendment"], source=SOURCE)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    return standards


def _cas_index(folder: Path) -> dict[str, list[str]]:
    index: dict[str, list[str]] = defaultdict(list)
    for row in _rows(folder / "standard_cas.csv"):
        if row["standard"] not in index[row["cas"]]:
            index[row["cas"]].append(row["standard"])
    return index


def _natural_levels(folder: Path, problems: list[str]) -> dict[str, dict[str, float]]:
    """CAS of a natural → Standard → fraction of the natural counted toward it.

    The Annex lists a natural per variant (expressed, distilled …), several under one CAS. Within a
    variant the constituents of one Standard add up (isomers count together); across the variants we
    cannot tell apart we keep the highest level, so the check errs on the safe side.
    """
    per_variant: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    cas_of_variant: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in _rows(folder / "naturals.csv"):
        if not row["constituent_standard"]:
            continue
        try:
            level = float(row["max_percent"])
        except ValueError:
            problems.append(f"ifra/naturals.csv {row['name']}: unreadable level {row['max_percent']!r}")
            continue
        variant = (row["cas"], row["name"])
        per_variant[variant][row["constituent_standard"]] += level / 100.0
        cas_of_variant[variant].update(c for c in (row["cas"], *row["other_cas"].split()) if c)
    levels: dict[str, dict[str, float]] = defaultdict(dict)
    for variant, by_standard in per_variant.items():
        for cas in cas_of_variant[variant]:
            for standard, fraction in by_standard.items():
                levels[cas][standard] = min(1.0, max(levels[cas].get(standard, 0.0), fraction))
    return levels


def match_materials(materials: Iterable[Material], folder: Path, standards: Mapping[str, IfraStandard],
                    problems: list[str]) -> dict[str, tuple[Contribution, ...]]:
    """Each material's contributions to the Standards: itself by CAS or by name, its constituents by Annex."""
    by_cas = _cas_index(folder)
    naturals = _natural_levels(folder, problems)
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
        for standard, fraction in naturals.get(material.cas, {}).items() if material.cas else ():
            if standard in standards and standard not in found and fraction > 0:
                found[standard] = Contribution(standard=standard, fraction=fraction, from_natural=True)
        if found:
            result[material.id] = tuple(found.values())
    return result
