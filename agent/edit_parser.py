"""A perfumer's Korean follow-up → typed edit operations on the current recipe.

"베르가못 8%로", "바닐라 빼줘", "헤디온 추가", "A 대신 B", "더 우디하게", "덜 달게", "더 가볍게",
"EDT로", "100g 배합표", "원가는?" — anything else gets a Korean question back, never a guess.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from agent.interpret import MaterialNames, Mention, concentration_in, negation_avoids
from knowledge.kb import KnowledgeBase
from knowledge.korean import compact
from knowledge.lexicon import get_lexicon_matcher
from perfumery.edits import (
    AddMaterial,
    ChangeConcentration,
    EditOp,
    RemoveMaterial,
    SetPercent,
    Shift,
    Substitute,
)
from perfumery.recipe import Recipe

_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|퍼센트|프로)")
_GRAMS = re.compile(r"(\d+(?:\.\d+)?)\s*(kg|킬로|g|그램)", re.IGNORECASE)
_REMOVE = ("빼", "제거", "없애", "삭제")
_ADD = ("추가", "넣어", "넣고", "더해")
_SUBSTITUTE = re.compile(r"대신|바꿔|교체|로\s*변경")
_LESS = re.compile(r"덜|줄여|줄이|낮춰|약하게|빼고\s*싶")
_LIGHTER = re.compile(r"가볍게|가벼운|산뜻하게|연하게|은은하게")
_HEAVIER = re.compile(r"무겁게|묵직하게|진하게|오래\s*가게|지속력|깊게|풍성하게")
_COST = re.compile(r"원가|비용|가격|얼마")
EXAMPLES_KO = ("예: \"베르가못 8%로\", \"바닐라 빼줘\", \"헤디온 추가\", \"더 우디하게\", \"덜 달게\", \"EDT로\", "
               "\"100g 배합표\"")


class EditRequest(BaseModel):
    ops: list[EditOp] = Field(default_factory=list)
    batch_grams: float | None = None
    cost: bool = False
    error_ko: str | None = None


def _in_recipe(mention: Mention, recipe: Recipe, kb: KnowledgeBase) -> list[str]:
    """The recipe's ingredients a mention means: the material itself, or those sharing its main descriptor
    ("바닐라" when the formula holds vanillin rather than vanilla absolute)."""
    present = {i.material_id for i in recipe.ingredients}
    if mention.material_id in present:
        return [mention.material_id]
    lead = kb.materials[mention.material_id].descriptors[0]
    return [m for m in present if m in kb.materials and kb.materials[m].descriptors[0] == lead]


def parse_edit(text: str, recipe: Recipe, kb: KnowledgeBase, names: MaterialNames) -> EditRequest:
    packed = compact(text)
    grams = _GRAMS.search(text)
    if grams and ("배합" in packed or "배치" in packed or "만들" in packed or "스케일" in packed):
        amount = float(grams.group(1)) * (1000 if grams.group(2).lower() in ("kg", "킬로") else 1)
        if not 1 <= amount <= 100_000:
            return EditRequest(error_ko="배합표는 1 g에서 100 kg 사이로 요청해 주세요.")
        return EditRequest(batch_grams=amount)
    if _COST.search(text) and not _PERCENT.search(text):
        return EditRequest(cost=True)

    mentions = names.find(text)
    ops: list[EditOp] = []
    if len(mentions) >= 2 and _SUBSTITUTE.search(text):
        old, new = mentions[0], mentions[1]  # "A 대신 B", "A를 B로 바꿔": A goes, B comes
        targets = _in_recipe(old, recipe, kb)
        if not targets:
            return EditRequest(error_ko=f"현재 레시피에 {kb.materials[old.material_id].name_ko}이(가) 없어요.")
        ops.append(Substitute(material_id=targets[0], replacement=new.material_id))
        return EditRequest(ops=ops)

    percents = list(_PERCENT.finditer(text))
    for mention in mentions:
        after = compact(text[mention.end:])[:12]
        name = kb.materials[mention.material_id].name_ko
        percent = _percent_after(after[:8], percents)
        if any(cue in after for cue in _REMOVE):
            targets = _in_recipe(mention, recipe, kb)
            if not targets:
                return EditRequest(error_ko=f"현재 레시피에 {name}이(가) 없어서 뺄 수 없어요.")
            ops.extend(RemoveMaterial(material_id=m) for m in targets)
        elif percent is not None:
            if not 0 < percent < 100:
                return EditRequest(error_ko="비율은 0%보다 크고 100%보다 작게 적어 주세요.")
            targets = _in_recipe(mention, recipe, kb)
            if targets:
                ops.append(SetPercent(material_id=targets[0], percent=percent))
            else:
                ops.append(AddMaterial(material_id=mention.material_id, percent=percent))
        elif any(cue in after for cue in _ADD):
            ops.append(AddMaterial(material_id=mention.material_id))
        elif _SUBSTITUTE.search(text):
            targets = _in_recipe(mention, recipe, kb)
            if targets:
                ops.append(Substitute(material_id=targets[0]))

    concentration = concentration_in(text)
    if concentration is not None and concentration != recipe.concentration:
        ops.append(ChangeConcentration(concentration=concentration))

    if not mentions and percents:
        return EditRequest(error_ko=f"몇 %로 바꿀 재료를 찾지 못했어요. 재료 이름을 함께 적어 주세요. {EXAMPLES_KO}")
    if not mentions:
        ops.extend(_shifts(text, kb))
    if not ops:
        return EditRequest(error_ko=f"어떤 부분을 바꿀지 이해하지 못했어요. {EXAMPLES_KO}")
    return EditRequest(ops=ops)


def _percent_after(tail: str, percents: list[re.Match]) -> float | None:
    """The percentage written in ``tail``, the compacted text right after a mention ("베르가못을 8%로"), if any."""
    for match in percents:
        if compact(match.group(1)) in tail:
            return float(match.group(1))
    return None


def _shifts(text: str, kb: KnowledgeBase) -> list[Shift]:
    direction = -1 if _LESS.search(text) else 1
    if _LIGHTER.search(text):
        return [Shift(target="light", direction=1)]
    if _HEAVIER.search(text):
        return [Shift(target="heavy", direction=1)]
    shifts: dict[str, Shift] = {}
    for descriptor, _ in sorted(negation_avoids(text, kb).items(), key=lambda kv: -kv[1])[:1]:
        shifts[descriptor] = Shift(target=descriptor, direction=-1)
    for match in get_lexicon_matcher(kb).find(text):
        if not match.entry.descriptors:
            continue
        descriptor = max(match.entry.descriptors.items(), key=lambda kv: kv[1])[0]
        sign = -direction if match.negated else direction
        shifts.setdefault(descriptor, Shift(target=descriptor, direction=sign))
    return list(shifts.values())
