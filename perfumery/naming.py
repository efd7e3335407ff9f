"""Korean names and one-line concepts for composed formulas, with the right particles.

A formula is named from what was asked — the person's own words for the scene and mood ("포근한 카페"), else
the brief's leading descriptors in Korean — never after one of its materials: a name like "메틸 이오논 스케치"
tells the person nothing about the idea, and goes stale when that material is edited out.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.ifra import PRODUCTS, Product, fragrance_load
from perfumery.models import Concentration, NotePosition
from perfumery.recipe import Recipe
from perfumery.vocabulary import POSITION_KO

_SUFFIXES = ("에튀드", "스케치", "노트", "무드", "포트레이트", "레터", "시그니처", "메모리")
_ADJECTIVE_ENDINGS = ("한", "운", "은", "인", "는", "진", "던")  # 포근한, 부드러운, 깊은, 신비로운 …


def final_consonant(word: str) -> int | None:
    """Index of the final consonant (받침) of the last Hangul syllable; 0 = none; None = not Hangul."""
    for char in reversed(word.strip()):
        if "가" <= char <= "힣":
            return (ord(char) - 0xAC00) % 28
        if char.isalnum():
            return None
    return None


def particle(word: str, with_final: str, without_final: str) -> str:
    """``word`` + the particle form its last syllable calls for (이/가, 은/는, 을/를)."""
    final = final_consonant(word)
    return word + (with_final if final else without_final)


def instrumental(word: str) -> str:
    """``word`` + 으로/로: 로 after a vowel or ㄹ (final index 8)."""
    final = final_consonant(word)
    return word + ("으로" if final and final != 8 else "로")


def _leads(doses: Mapping[str, float], catalog: Catalog, position: NotePosition, k: int) -> list[str]:
    members = [(p, m) for m, p in doses.items() if catalog.material(m).note == position]
    return [catalog.material(m).name_ko for _, m in sorted(members, reverse=True)[:k]]


def formula_name(themes: Sequence[str], rng: random.Random) -> str:
    """"포근한 카페 에튀드": a mood word before a scene word when the themes hold both, else the first theme."""
    words = [t for t in themes if t]
    if len(words) >= 2 and words[0].endswith(_ADJECTIVE_ENDINGS) and not words[1].endswith(_ADJECTIVE_ENDINGS):
        head = f"{words[0]} {words[1]}"
    else:
        head = words[0] if words else "향기"
    return f"{head} {rng.choice(_SUFFIXES)}"


def brief_themes(brief: Brief, catalog: Catalog) -> list[str]:
    """What to name a formula for ``brief``: the person's words, else its leading descriptors in Korean."""
    if brief.themes:
        return list(brief.themes)
    return list(dict.fromkeys(w for d in brief.top_descriptors(2) if (w := catalog.descriptor_word(d))))


def formula_themes(doses: Mapping[str, float], catalog: Catalog) -> list[str]:
    """A formula's own leading descriptors in Korean, for a formula with no brief (an edited import)."""
    blend = catalog.blend(doses)
    leading = sorted(blend, key=lambda d: (-blend[d], d))[:2]
    return list(dict.fromkeys(w for d in leading if (w := catalog.descriptor_word(d))))


def concept_ko(doses: Mapping[str, float], catalog: Catalog, concentration: Concentration,
               product: Product = Product.fine_fragrance, load_percent: float | None = None) -> str:
    """One line of what the formula is: its leads per position, then what it is for — a concentration names a
    fine fragrance only; any other product is named with its load ("바디로션용 포뮬러(향료 0.5%)")."""
    top = " · ".join(_leads(doses, catalog, NotePosition.top, 2)) or "가벼운 탑 노트"
    heart = " · ".join(_leads(doses, catalog, NotePosition.heart, 2)) or "하트 노트"
    base = " · ".join(_leads(doses, catalog, NotePosition.base, 2)) or "베이스 노트"
    if product == Product.fine_fragrance:
        kind = f"{concentration.value} 포뮬러"
    else:
        load = fragrance_load(product, concentration) if load_percent is None else load_percent
        kind = f"{PRODUCTS[product].label_ko}용 포뮬러(향료 {load:g}%)"
    return (f"{instrumental(top)} 열고 {particle(heart, '이', '가')} 중심을 잡으며 "
            f"{particle(base, '이', '가')} 오래 남는 {kind}.")


def lead_ids(recipe: Recipe, k: int = 2) -> list[str]:
    """The materials that carry the formula: the biggest heart and top doses."""
    ranked = sorted(recipe.ingredients, key=lambda i: (i.note != NotePosition.heart, i.note != NotePosition.top,
                                                       -i.percent))
    return [i.material_id for i in ranked[:k]]


def narration_facts(recipe: Recipe, catalog: Catalog) -> list[str]:
    """The records a narration rests on — descriptions of the lead materials, whose sentence it ends with
    (``lead_sentence``). The chat's claim check and the training data's both ground a narration on these."""
    return [catalog.material(m).description_ko for m in lead_ids(recipe) if m in catalog]


def lead_sentence(recipe: Recipe, catalog: Catalog) -> str:
    """The narration's sentence about the formula's leading material, written from its record: its name, the
    position the formula gives it and its own first two descriptors — true by construction, so the model is
    never the one to place a material (a 270M model misplaced one in 31 of 34 narrations). Empty when the
    formula leads with nothing the catalog knows."""
    lead = next((m for m in lead_ids(recipe) if m in catalog), None)
    if lead is None:
        return ""
    material = catalog.material(lead)
    position = next(i.note for i in recipe.ingredients if i.material_id == lead)
    words = list(dict.fromkeys(w for d in material.descriptors if (w := catalog.descriptor_word(d))))[:2]
    if not words:
        return f"{particle(material.name_ko, '이', '가')} {POSITION_KO[position]}에서 중심을 잡습니다."
    return f"{particle(material.name_ko, '은', '는')} {POSITION_KO[position]}에서 {', '.join(words)} 향을 더합니다."
