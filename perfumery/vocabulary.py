"""The words people use for units, note positions and material names, and the batch limit, defined once.

Before this module each door kept its own copy and the copies drifted: the chat weighed batches of 1 g to
100 kg while REST took up to a million kilos, and the chat's material finder and the formula importer dropped
different type words from a name ("오렌지 버터" lost "버터" in one and kept it in the other). Every reader now
takes its words from here. Pure data and the small lookups over it; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import StrEnum

from perfumery.models import NotePosition


# --- units ------------------------------------------------------------------------------------------
class Unit(StrEnum):
    """A unit a formula line is written in."""

    percent = "%"
    g = "g"
    mg = "mg"
    kg = "kg"
    ml = "mL"
    drops = "drops"
    parts = "parts"


GRAMS: Mapping[Unit, float] = {Unit.g: 1.0, Unit.mg: 0.001, Unit.kg: 1000.0}  # exact: no density needed
UNIT_KO: Mapping[Unit, str] = {Unit.percent: "%", Unit.g: "g", Unit.mg: "mg", Unit.kg: "kg", Unit.ml: "mL",
                               Unit.drops: "방울", Unit.parts: "부"}
# How a unit is written after an amount, lower case ("30g", "2 킬로", "5 drops").
UNIT_WORDS: Mapping[Unit, tuple[str, ...]] = {
    Unit.percent: ("%", "％", "퍼센트", "percent", "pct"),
    Unit.mg: ("mg", "밀리그램"),
    Unit.kg: ("kg", "킬로그램", "킬로"),
    Unit.g: ("g", "gr", "gram", "grams", "그램", "그람"),
    Unit.ml: ("ml", "mℓ", "밀리리터", "미리"),
    Unit.drops: ("drops", "drop", "gtts", "gtt", "방울"),
    Unit.parts: ("parts", "part", "pts", "부"),
}


def unit_pattern(units: Iterable[Unit] = tuple(Unit)) -> str:
    """A regex alternation of the words for ``units``, longest first so "kg" is read before "g"."""
    words = (re.escape(w) for unit in units for w in UNIT_WORDS[unit])
    return "|".join(sorted(words, key=len, reverse=True))


def unit_named(word: str | None) -> Unit | None:
    """The unit a written word names ("킬로그램" → kg), or None."""
    if not word:
        return None
    key = word.lower()
    return next((unit for unit, words in UNIT_WORDS.items() if key in words), None)


# --- batch sizes --------------------------------------------------------------------------------------
class BatchUnit(StrEnum):
    """Batch sizes by weight only: a volume would need the product's density, which we do not hold."""

    g = "g"
    kg = "kg"


# One batch limit for the chat, REST and MCP alike: a bench batch, from a gram to a drum of 100 kg.
MIN_BATCH_GRAMS = 1.0
MAX_BATCH_GRAMS = 100_000.0
BATCH_RANGE_KO = "배합표는 1 g에서 100 kg 사이로 요청해 주세요."
# What a request schema can state for an amount whose unit is a separate field (1 g in kg, 100 kg in g); the
# exact range is checked in grams (``batch_in_range``).
BATCH_AMOUNT_MIN = MIN_BATCH_GRAMS / 1000.0
BATCH_AMOUNT_MAX = MAX_BATCH_GRAMS


def batch_grams(amount: float, unit: BatchUnit) -> float:
    """A batch size in grams."""
    return amount * GRAMS[Unit(unit.value)]


def batch_in_range(grams: float) -> bool:
    return MIN_BATCH_GRAMS <= grams <= MAX_BATCH_GRAMS


# --- note positions -----------------------------------------------------------------------------------
POSITION_KO: Mapping[NotePosition, str] = {NotePosition.top: "탑", NotePosition.heart: "미들",
                                           NotePosition.base: "베이스"}
# How people name a position in a message ("베이스를 더 스모키하게", "탑에서는 …").
POSITION_WORDS: Mapping[NotePosition, tuple[str, ...]] = {
    NotePosition.top: ("탑", "톱", "첫향", "top"),
    NotePosition.heart: ("하트", "미들", "중간향", "heart", "middle"),
    NotePosition.base: ("베이스", "잔향", "base"),
}


# --- material-name noise ------------------------------------------------------------------------------
# Words people add to or drop from a material or accord name: "베르가못 오일" is also "베르가못", "시프레
# 어코드" is "시프레", "orris butter" is "orris". Both the chat's material finder and the formula importer
# strip them; a space inside a word may be missing ("에센셜오일").
NAME_TYPE_WORDS: tuple[str, ...] = (
    "에센셜 오일", "에센셜", "오일", "앱솔루트", "압솔루트", "레지노이드", "추출물", "팅크처", "콘크리트", "버터",
    "어코드", "베이스", "essential oil", "oil", "absolute", "resinoid", "extract", "tincture", "concrete",
    "butter", "co2", "accord", "base")


def _type_words(words: tuple[str, ...]) -> str:
    return "|".join(sorted((re.escape(w).replace(r"\ ", r"\s*") for w in words), key=len, reverse=True))


NAME_TYPE_WORD = re.compile(r"\s*(?:" + _type_words(NAME_TYPE_WORDS) + r")\s*$", re.IGNORECASE)
# The same words right after a name a finder matched without them ("호주 샌달우드" + " 오일이"); "베이스" and
# "base" are left out: after a name they are a pyramid position more often than part of it.
NAME_TYPE_WORD_AFTER = re.compile(
    r"^\s*(?:" + _type_words(tuple(w for w in NAME_TYPE_WORDS if w not in ("베이스", "base"))) + r")", re.IGNORECASE)
# A bracketed grade or origin: "Lemon oil (cold-pressed)", "로즈 앱솔루트 (로즈 드 메)".
NAME_QUALIFIER = re.compile(r"\s*\([^)]*\)")
