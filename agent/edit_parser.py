"""A perfumer's Korean follow-up → typed edit operations on the current recipe.

"베르가못 8%로", "바닐라 빼줘", "헤디온 추가", "A 대신 B", "더 우디하게", "베이스를 더 스모키하게", "덜 달게",
"더 가볍게", "EDT로", "바디로션용으로", "100g 배합표", "원가는?" — several at once, clause by clause
("로즈우드는 빼고 베이스를 더 스모키하게"); a part no operation comes from is reported back, never guessed.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from agent.interpret import CONCENTRATION_WORD, MaterialNames, Mention, concentration_in, negation_avoids
from knowledge.kb import KnowledgeBase
from knowledge.korean import compact
from knowledge.lexicon import get_lexicon_matcher
from perfumery.edits import (
    AddMaterial,
    ChangeConcentration,
    ChangeProduct,
    EditOp,
    RemoveMaterial,
    SetPercent,
    Shift,
    Substitute,
)
from perfumery.ifra import product_named
from perfumery.models import POSITION_WORDS, NotePosition
from perfumery.recipe import Recipe

# A number starts only where its digits start (the lookbehind): a long run of digits is tried once, not
# once per digit, so these stay linear in the message (tests/unit/test_parsing_limits.py).
_NUMBER = r"(?<![\d.])(\d+(?:\.\d+)?)"
_PERCENT = re.compile(_NUMBER + r"\s*(?:%|퍼센트|프로)")
_GRAMS = re.compile(_NUMBER + r"\s*(kg|킬로|g|그램)", re.IGNORECASE)
_REMOVE = ("빼", "제거", "없애", "삭제")
_ADD = ("추가", "넣어", "넣고", "더해")
_SUBSTITUTE = re.compile(r"대신|바꿔|교체|로\s*변경")
_SWAP_TO = re.compile(r"넣어|추가|넣고")  # "A 빼고 B 넣어줘": B takes A's place (see ``_swap_asked``)
_LESS = re.compile(r"덜|줄여|줄이|낮춰|약하게|빼고\s*싶")
_LIGHTER = re.compile(r"가볍게|가벼운|산뜻하게|연하게|은은하게")
_HEAVIER = re.compile(r"무겁게|묵직하게|진하게|오래\s*가게|지속력|깊게|풍성하게")
_COST = re.compile(r"원가|비용|가격|얼마")
_MORE = re.compile(r"늘려|늘리|올려|높여|강하게")
# Words that ask for a change even when no operation can be read from them ("음 그거 좀 바꿔줘").
_ASKS = re.compile(r"바꿔|바꾸|수정|고쳐|조정|변경|\d\s*(%|퍼센트|프로)|빼|제거|없애|추가|넣어|대신|교체|덜|더\s*\S+|"
                   r"줄여|늘려|낮춰|높여|올려|내려|가볍게|무겁게|진하게|연하게|배합|배치|원가|비용")
EXAMPLES_KO = ("예: \"베르가못 8%로\", \"바닐라 빼줘\", \"헤디온 추가\", \"더 우디하게\", \"덜 달게\", \"EDT로\", "
               "\"100g 배합표\"")


# Runs of spaces are entered at their first space only (``(?<!\s)``), so a long run is not rescanned.
_CLAUSE = re.compile(r"(?<=고)\s+|(?:(?<!\s)\s+)?[,，;]\s*|(?<=[다요])\.\s*|(?<!\s)\s+그리고\s+|(?<!\s)\s+또\s+")


class EditRequest(BaseModel):
    ops: list[EditOp] = Field(default_factory=list)
    batch_grams: float | None = None
    cost: bool = False
    error_ko: str | None = None
    skipped: list[str] = Field(default_factory=list, description="parts of the message no operation came from")
    asked: bool = Field(default=False, description="the message uses the parser's edit words, understood or not")

    @property
    def found(self) -> bool:
        """The message asks to change the open formula: operations, a sheet, a cost, or an edit not understood."""
        return bool(self.ops or self.batch_grams or self.cost or (self.error_ko and self.asked))


def _in_recipe(mention: Mention, recipe: Recipe, kb: KnowledgeBase) -> list[str]:
    """The recipe's ingredients a mention means: the material itself, or those sharing its main descriptor
    ("바닐라" when the formula holds vanillin rather than vanilla absolute)."""
    present = {i.material_id for i in recipe.ingredients}
    if mention.material_id in present:
        return [mention.material_id]
    lead = kb.materials[mention.material_id].descriptors[0]
    return [m for m in present if m in kb.materials and kb.materials[m].descriptors[0] == lead]


def parse_edit(text: str, recipe: Recipe, kb: KnowledgeBase, names: MaterialNames,
               mentions: list[Mention] | None = None) -> EditRequest:
    """Every request in the message, clause by clause; what no operation came from is listed, not guessed.

    ``mentions`` are the materials already found in ``text`` (the turn's reading), so names are not
    searched twice.
    """
    request = _parse(text, recipe, kb, names, names.find(text) if mentions is None else mentions)
    return request.model_copy(update={"asked": bool(_ASKS.search(text) or request.ops)})


def _parse(text: str, recipe: Recipe, kb: KnowledgeBase, names: MaterialNames, mentions: list[Mention]) -> EditRequest:
    packed = compact(text)
    grams = _GRAMS.search(text)
    if grams and ("배합" in packed or "배치" in packed or "만들" in packed or "스케일" in packed):
        amount = float(grams.group(1)) * (1000 if grams.group(2).lower() in ("kg", "킬로") else 1)
        if not 1 <= amount <= 100_000:
            return EditRequest(error_ko="배합표는 1 g에서 100 kg 사이로 요청해 주세요.")
        return EditRequest(batch_grams=amount)
    if _COST.search(text) and not _PERCENT.search(text):
        return EditRequest(cost=True)

    if len(mentions) >= 2 and (_SUBSTITUTE.search(text) or _swap_asked(text)):
        old, new = mentions[0], mentions[1]  # "A 대신 B", "A 빼고 B로 바꿔": A goes, B comes
        targets = _in_recipe(old, recipe, kb)
        if not targets:
            return EditRequest(error_ko=f"현재 레시피에 {kb.materials[old.material_id].name_ko}이(가) 없어요.")
        # "장미 빼고 재스민으로": every line of that character goes, the newcomer takes the first one's place.
        return EditRequest(ops=[Substitute(material_id=targets[0], replacement=new.material_id),
                                *(RemoveMaterial(material_id=m) for m in targets[1:] if m != new.material_id)])

    clauses = [c for c in _CLAUSE.split(text) if c.strip()]
    ops: list[EditOp] = []
    skipped: list[str] = []
    for clause in clauses:
        clause_ops, error = _clause_ops(clause, recipe, kb, names)
        if error and len(clauses) == 1:
            return EditRequest(error_ko=error)
        if clause_ops:
            ops.extend(op for op in clause_ops if op not in ops)
        else:
            skipped.append(clause.strip() + (f" ({error})" if error else ""))
    if not ops:
        return EditRequest(error_ko=f"어떤 부분을 바꿀지 이해하지 못했어요. {EXAMPLES_KO}")
    return EditRequest(ops=ops, skipped=skipped)


def _clause_ops(clause: str, recipe: Recipe, kb: KnowledgeBase, names: MaterialNames) -> tuple[list[EditOp], str | None]:
    """The operations one clause asks for, or the Korean reason it asks for none."""
    ops: list[EditOp] = []
    percents = list(_PERCENT.finditer(clause))
    mentions = names.find(clause)
    for mention in mentions:
        after = compact(clause[mention.end:])[:12]
        name = kb.materials[mention.material_id].name_ko
        percent = _percent_after(after[:8], percents)
        if any(cue in after for cue in _REMOVE):
            targets = _in_recipe(mention, recipe, kb)
            if not targets:
                return [], f"현재 레시피에 {name}이(가) 없어서 뺄 수 없어요."
            ops.extend(RemoveMaterial(material_id=m) for m in targets)
        elif percent is not None:
            if not 0 < percent < 100:
                return [], "비율은 0%보다 크고 100%보다 작게 적어 주세요."
            targets = _in_recipe(mention, recipe, kb)
            if targets:
                ops.append(SetPercent(material_id=targets[0], percent=percent))
            else:
                ops.append(AddMaterial(material_id=mention.material_id, percent=percent))
        elif any(cue in after for cue in _ADD):
            ops.append(AddMaterial(material_id=mention.material_id))
        elif (less := bool(_LESS.search(after))) or _MORE.search(after):
            targets = _in_recipe(mention, recipe, kb)
            if not targets:
                return [], f"현재 레시피에 {name}이(가) 없어요."
            # "페닐에틸 알코올 좀 줄여줘": a perfumer's step, about a third, obeyed like a written figure.
            current = recipe.percent_of(targets[0])
            ops.append(SetPercent(material_id=targets[0], percent=round(current * (0.7 if less else 1.3), 2)))
        elif _SUBSTITUTE.search(clause):
            targets = _in_recipe(mention, recipe, kb)
            if targets:
                ops.append(Substitute(material_id=targets[0]))
    concentration = concentration_in(clause)
    if concentration is not None and concentration != recipe.concentration:
        ops.append(ChangeConcentration(concentration=concentration))
    product = product_named(compact(clause).lower())
    if product is not None and product != recipe.product:
        ops.append(ChangeProduct(product=product))
    if not mentions and percents:
        return [], f"몇 %로 바꿀 재료를 찾지 못했어요. 재료 이름을 함께 적어 주세요. {EXAMPLES_KO}"
    if not mentions and product is None:  # a product word ("바디로션") is not a scent wish
        wish = CONCENTRATION_WORD.sub(" ", clause)  # "오드뚜왈렛" is not oud
        ops.extend(s for s in _shifts(wish, kb)
                   # "엑스트레로 진하게": the concentration is the weight asked for
                   if concentration is None or s.target not in ("light", "heavy"))
    return ops, None


def _swap_asked(text: str) -> bool:
    """"빼고" and later on the same line "넣어/추가/넣고": found from the first "빼고" of each line, in one pass
    (a pattern "빼고.*(넣어|…)" would rescan the line from every "빼고")."""
    return any((start := line.find("빼고")) >= 0 and _SWAP_TO.search(line, start + 2) is not None
               for line in text.split("\n"))


def _position_in(text: str) -> NotePosition | None:
    packed = compact(text).lower()
    return next((p for p, words in POSITION_WORDS.items() if any(w in packed for w in words)), None)


def _percent_after(tail: str, percents: list[re.Match]) -> float | None:
    """The percentage written in ``tail``, the compacted text right after a mention ("베르가못을 8%로"), if any."""
    for match in percents:
        if compact(match.group(1)) in tail:
            return float(match.group(1))
    return None


def _shifts(text: str, kb: KnowledgeBase) -> list[Shift]:
    direction = -1 if _LESS.search(text) else 1
    # "장미 빼고": a character asked out goes as far as an edit can take it, not a notch down.
    removal = {"strength": 1.0} if any(cue in compact(text) for cue in _REMOVE) else {}
    if _LIGHTER.search(text):
        return [Shift(target="light", direction=1)]
    if _HEAVIER.search(text):
        return [Shift(target="heavy", direction=1)]
    position = _position_in(text)  # "베이스를 더 스모키하게": only the base moves
    shifts: dict[str, Shift] = {}
    for descriptor, _ in sorted(negation_avoids(text, kb).items(), key=lambda kv: -kv[1])[:1]:
        shifts[descriptor] = Shift(target=descriptor, direction=-1, position=position, **removal)
    for match in get_lexicon_matcher(kb).find(text):
        if not match.entry.descriptors:
            continue
        descriptor = max(match.entry.descriptors.items(), key=lambda kv: kv[1])[0]
        sign = -direction if match.negated else direction
        shifts.setdefault(descriptor, Shift(target=descriptor, direction=sign, position=position,
                                            **(removal if sign == -1 else {})))
    return list(shifts.values())
