"""A perfumer's Korean follow-up → typed edit operations on the current recipe.

"베르가못 8%로", "바닐라 빼줘", "헤디온 추가", "A 대신 B", "더 우디하게", "베이스를 더 스모키하게", "덜 달게",
"더 가볍게", "시트러스는 빼줘", "장미 빼고 재스민으로", "EDT로", "바디로션용으로", "100g 배합표", "완제품 100g
배합표", "원가는?" — several at once, clause by clause ("로즈우드는 빼고 베이스를 더 스모키하게"), and how the rest
takes up the weight ("나머지는 비율 유지", "캐리어로 채워", "나머지는 헤디온으로 채워").

An edit touches what it names. A material that is not in the formula is never replaced by a similar one:
no operation comes from it, and the request lists it (``EditRequest.absent``) with the nearest materials that
are present, to be offered as a question. A part no operation comes from is reported back, never guessed.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from agent.reading.interpret import (
    CONCENTRATION_WORD,
    MaterialNames,
    Mention,
    concentration_in,
    negation_avoids,
)
from knowledge.kb import KnowledgeBase
from knowledge.korean import compact
from knowledge.lexicon import get_lexicon_matcher
from perfumery.batch import BatchBasis
from perfumery.edits import (
    Absorb,
    AddMaterial,
    ChangeConcentration,
    ChangeProduct,
    EditOp,
    RemoveCharacter,
    RemoveMaterial,
    SetPercent,
    Shift,
    Substitute,
    SubstituteCharacter,
)
from perfumery.ifra import PRODUCTS, product_named
from perfumery.models import NotePosition
from perfumery.recipe import Recipe
from perfumery.vocabulary import (
    BATCH_RANGE_KO,
    GRAMS,
    POSITION_WORDS,
    BatchUnit,
    Unit,
    batch_in_range,
    unit_named,
    unit_pattern,
)

# A number starts only where its digits start (the lookbehind): a long run of digits is tried once, not
# once per digit, so these stay linear in the message (tests/unit/test_parsing_limits.py).
_NUMBER = r"(?<![\d.])(\d+(?:\.\d+)?)"
_PERCENT = re.compile(_NUMBER + r"\s*(?:%|퍼센트|프로)")
# Atomic: a number is never given back digit by digit to find a unit after it (linear on "1111…").
_GRAMS = re.compile(rf"(?>{_NUMBER})\s*({unit_pattern(Unit(u.value) for u in BatchUnit)})", re.IGNORECASE)
_REMOVE = ("빼", "제거", "없애", "삭제")
_ADD = ("추가", "넣어", "넣고", "더해")
_SUBSTITUTE = re.compile(r"대신|바꿔|교체|로\s*변경")
_SWAP_TO = re.compile(r"넣어|추가|넣고")  # "A 빼고 B 넣어줘": B takes A's place (see ``_swap_asked``)
# "장미 빼고 재스민으로": the second character, named with (으)로, takes the first one's place (see ``_after_out``).
_INTO = re.compile(r"(으로|로)(\s*(바꿔|변경|교체|대체|해)|\s*$)")
_LESS = re.compile(r"덜|줄여|줄이|낮춰|약하게|빼고\s*싶")
_LIGHTER = re.compile(r"가볍게|가벼운|산뜻하게|연하게|은은하게")
_HEAVIER = re.compile(r"무겁게|묵직하게|진하게|오래\s*가게|지속력|깊게|풍성하게")
_COST = re.compile(r"원가|비용|가격|얼마")
_MORE = re.compile(r"늘려|늘리|올려|높여|강하게")
# How the rest takes up the weight: "나머지는 비율 유지", "캐리어로 채워", "나머지는 헤디온으로 채워".
_KEEP_RATIOS = re.compile(r"(나머지|다른\s*재료)\S*\s*(는|은)?\s*비율\s*(을|은)?\s*(유지|그대로)|비율\s*(유지|그대로)")
_BY_CARRIERS = re.compile(r"캐리어\S*\s*(로|으로)?\s*(채워|채우|메꿔|메워|받)")
_FILL = re.compile(r"(\S+)\s*(으로|로)\s*(채워|채우|메꿔|메워)")
# A product named as a change ("바디로션용으로", "캔들로 바꿔줘", "샴푸에 쓸 수 있게") rather than as what a new
# formula is for ("향초에 넣을 포근한 향", "섬유유연제에 넣을 상큼한 향"): the latter is a new brief.
_PRODUCT_CHANGE = re.compile(r"용\s*으로|용으로|용\s*$|용\s*(버전|제품)|(으로|로)\s*(바꿔|변경|해|만들어|전환)|"
                             r"에\s*쓸\s*수\s*있게|에\s*맞게|에\s*맞춰|(으로|로)\s*$")
_PRODUCT_BRIEF = re.compile(r"에\s*넣을|에\s*쓸\s*(향|포뮬|처방|레시피)|용\s*향|용\s*(포뮬|처방|레시피)")
_FINISHED = re.compile(r"완제품|제품\s*(기준|으로|전체)|베이스\s*포함|(로션|왁스|베이스)\s*까지")
# Words that ask for a change even when no operation can be read from them ("음 그거 좀 바꿔줘").
_ASKS = re.compile(r"바꿔|바꾸|수정|고쳐|조정|변경|\d\s*(%|퍼센트|프로)|빼|제거|없애|추가|넣어|대신|교체|덜|더\s*\S+|"
                   r"줄여|늘려|낮춰|높여|올려|내려|가볍게|무겁게|진하게|연하게|배합|배치|원가|비용")
EXAMPLES_KO = ("예: \"베르가못 8%로\", \"바닐라 빼줘\", \"헤디온 추가\", \"더 우디하게\", \"덜 달게\", \"EDT로\", "
               "\"100g 배합표\"")
NEAREST = 3  # present materials offered in place of an absent one
NEAREST_LIKENESS = 0.3  # below this a present material is not "near"

# Runs of spaces are entered at their first space only (``(?<!\s)``), so a long run is not rescanned.
_CLAUSE = re.compile(r"(?<=고)\s+|(?:(?<!\s)\s+)?[,，;]\s*|(?<=[다요])\.\s*|(?<!\s)\s+그리고\s+|(?<!\s)\s+또\s+")


class Absent(BaseModel):
    """A material the message names that is not in the formula: nothing was done with it."""

    material_id: str
    name_ko: str
    action_ko: str = Field(description="what was asked of it, as a verb stem: 빼기, 바꾸기, 줄이기 …")
    nearest: list[str] = Field(default_factory=list, description="present materials most like it, nearest first")
    nearest_ko: list[str] = Field(default_factory=list, description="their names, to offer")


class EditRequest(BaseModel):
    ops: list[EditOp] = Field(default_factory=list)
    batch_grams: float | None = None
    batch_basis: BatchBasis = BatchBasis.concentrate
    cost: bool = False
    error_ko: str | None = None
    skipped: list[str] = Field(default_factory=list, description="parts of the message no operation came from")
    absent: list[Absent] = Field(default_factory=list, description="materials named that the formula does not hold")
    absorb: Absorb = Absorb.ratios
    absorb_into: str | None = Field(default=None, description="the line that takes up the weight, when named")
    asked: bool = Field(default=False, description="the message uses the parser's edit words, understood or not")

    @property
    def found(self) -> bool:
        """The message asks to change the open formula: operations, a sheet, a cost, a material it does not
        hold, or an edit not understood."""
        return bool(self.ops or self.batch_grams or self.cost or self.absent or (self.error_ko and self.asked))


def _present(mention: Mention, recipe: Recipe) -> str | None:
    """The formula's line a mention means: the material itself, or nothing — never a similar one."""
    return mention.material_id if any(i.material_id == mention.material_id for i in recipe.ingredients) else None


def _absent(mention: Mention, recipe: Recipe, kb: KnowledgeBase, action_ko: str) -> Absent:
    """The named material, and the present lines most like it (offered, not acted on)."""
    catalog = kb.catalog
    present = [i.material_id for i in recipe.ingredients if i.material_id in catalog]
    likeness = {m: catalog.likeness(mention.material_id, m) for m in present}
    nearest = sorted((m for m in present if likeness[m] >= NEAREST_LIKENESS), key=lambda m: (-likeness[m], m))
    return Absent(material_id=mention.material_id, name_ko=kb.materials[mention.material_id].name_ko,
                  action_ko=action_ko, nearest=nearest[:NEAREST],
                  nearest_ko=[kb.materials[m].name_ko for m in nearest[:NEAREST]])


def parse_edit(text: str, recipe: Recipe, kb: KnowledgeBase, names: MaterialNames,
               mentions: list[Mention] | None = None) -> EditRequest:
    """Every request in the message, clause by clause; what no operation came from is listed, not guessed.

    ``mentions`` are the materials already found in ``text`` (the turn's reading), so names are not
    searched twice.
    """
    request = _parse(text, recipe, kb, names, names.find(text) if mentions is None else mentions)
    return request.model_copy(update={"asked": bool(_ASKS.search(text) or request.ops or request.absent)})


def _absorption(text: str, kb: KnowledgeBase, names: MaterialNames) -> tuple[str, Absorb, str | None]:
    """How the rest takes up the weight, and the message without that part."""
    if match := _BY_CARRIERS.search(text):
        return _cut(text, match), Absorb.carriers, None
    if (match := _FILL.search(text)) and (named := names.find(match.group(1))):
        return _cut(text, match), Absorb.ratios, named[0].material_id
    if match := _KEEP_RATIOS.search(text):
        return _cut(text, match), Absorb.ratios, None
    return text, Absorb.ratios, None


def _cut(text: str, match: re.Match) -> str:
    """``text`` without the clause ``match`` lies in (and its "나머지는" lead-in)."""
    head = re.sub(r"[,，;]?\s*(나머지|다른\s*재료)\S*\s*$", "", text[:match.start()])
    return (head + " " + text[match.end():]).strip(" ,，;")


def _parse(text: str, recipe: Recipe, kb: KnowledgeBase, names: MaterialNames, mentions: list[Mention]) -> EditRequest:
    packed = compact(text)
    grams = _GRAMS.search(text)
    if grams and ("배합" in packed or "배치" in packed or "만들" in packed or "스케일" in packed):
        amount = float(grams.group(1)) * GRAMS[unit_named(grams.group(2)) or Unit.g]
        if not batch_in_range(amount):
            return EditRequest(error_ko=BATCH_RANGE_KO)
        finished = bool(_FINISHED.search(text) or product_named(packed.lower()))
        return EditRequest(batch_grams=amount, batch_basis=BatchBasis.product if finished else BatchBasis.concentrate)
    if _COST.search(text) and not _PERCENT.search(text):
        return EditRequest(cost=True)
    if _PRODUCT_BRIEF.search(text) and product_named(packed.lower()) and not mentions:
        return EditRequest()  # "향초에 넣을 포근한 향": a new formula for that product, not an edit of this one

    remaining, absorb, into = _absorption(text, kb, names)
    if remaining != text:
        text, mentions = remaining, names.find(remaining)
    settings = {"absorb": absorb, "absorb_into": into}
    if not text.strip():
        return EditRequest(error_ko="무엇을 바꿀지와 함께 말씀해 주세요. 예: \"베르가못 8%로, 나머지는 비율 유지\"",
                           **settings)

    if len(mentions) >= 2 and (_SUBSTITUTE.search(text) or _swap_asked(text)):
        old, new = mentions[0], mentions[1]  # "A 대신 B", "A 빼고 B로 바꿔": A goes, B comes
        if _present(old, recipe) is None:
            return EditRequest(absent=[_absent(old, recipe, kb, "바꾸기")], **settings)
        return EditRequest(ops=[Substitute(material_id=old.material_id, replacement=new.material_id)], **settings)
    if not mentions and (swap := _character_swap(text, kb)):
        return EditRequest(ops=[swap], **settings)

    clauses = [c for c in _CLAUSE.split(text) if c.strip()]
    ops: list[EditOp] = []
    skipped: list[str] = []
    absent: list[Absent] = []
    for clause in clauses:
        clause_ops, missing, error = _clause_ops(clause, recipe, kb, names)
        absent.extend(missing)
        if error and len(clauses) == 1:
            return EditRequest(error_ko=error, **settings)
        if clause_ops:
            ops.extend(op for op in clause_ops if op not in ops)
        elif not missing:
            skipped.append(clause.strip() + (f" ({error})" if error else ""))
    if not ops and not absent:
        return EditRequest(error_ko=f"어떤 부분을 바꿀지 이해하지 못했어요. {EXAMPLES_KO}", **settings)
    return EditRequest(ops=ops, skipped=skipped, absent=absent, **settings)


def _character_swap(text: str, kb: KnowledgeBase) -> SubstituteCharacter | None:
    """"장미 빼고 재스민으로", "장미 대신 재스민": one character for another, when no material is named."""
    if not (_after_out(text, _INTO) or _SUBSTITUTE.search(text)):
        return None
    found = [m for m in get_lexicon_matcher(kb).find(text) if m.entry.descriptors]
    if len(found) < 2:
        return None
    old, new = (max(m.entry.descriptors.items(), key=lambda kv: kv[1])[0]
                for m in sorted(found, key=lambda m: m.start)[:2])
    return SubstituteCharacter(target=old, replacement=new) if old != new else None


def _clause_ops(clause: str, recipe: Recipe, kb: KnowledgeBase,
                names: MaterialNames) -> tuple[list[EditOp], list[Absent], str | None]:
    """The operations one clause asks for, the named materials it does not hold, or the Korean reason it asks
    for nothing."""
    ops: list[EditOp] = []
    absent: list[Absent] = []
    percents = list(_PERCENT.finditer(clause))
    mentions = names.find(clause)
    for mention in mentions:
        after = compact(clause[mention.end:])[:12]
        percent = _percent_after(after[:8], percents)
        present = _present(mention, recipe)
        if any(cue in after for cue in _REMOVE):
            if present is None:
                absent.append(_absent(mention, recipe, kb, "빼기"))
            else:
                ops.append(RemoveMaterial(material_id=present))
        elif percent is not None:
            if not 0 < percent < 100:
                return [], [], "비율은 0%보다 크고 100%보다 작게 적어 주세요."
            ops.append(SetPercent(material_id=present, percent=percent) if present else
                       AddMaterial(material_id=mention.material_id, percent=percent))
        elif any(cue in after for cue in _ADD):
            ops.append(AddMaterial(material_id=mention.material_id))
        elif (less := bool(_LESS.search(after))) or _MORE.search(after):
            if present is None:
                absent.append(_absent(mention, recipe, kb, "줄이기" if less else "늘리기"))
                continue
            # "페닐에틸 알코올 좀 줄여줘": a perfumer's step, about a third, obeyed like a written figure.
            current = recipe.percent_of(present)
            ops.append(SetPercent(material_id=present, percent=round(current * (0.7 if less else 1.3), 2)))
        elif _SUBSTITUTE.search(clause):
            if present is None:
                absent.append(_absent(mention, recipe, kb, "바꾸기"))
            else:
                ops.append(Substitute(material_id=present))
    concentration = concentration_in(clause)
    if concentration is not None and concentration != recipe.concentration:
        ops.append(ChangeConcentration(concentration=concentration))
    packed = compact(clause).lower()
    product = product_named(packed)
    if product is not None and product != recipe.product and _PRODUCT_CHANGE.search(clause):
        ops.append(ChangeProduct(product=product))
    if not mentions and percents:
        return [], [], f"몇 %로 바꿀 재료를 찾지 못했어요. 재료 이름을 함께 적어 주세요. {EXAMPLES_KO}"
    if not mentions and product is None:  # a product word ("바디로션") is not a scent wish
        wish = CONCENTRATION_WORD.sub(" ", clause)  # "오드뚜왈렛" is not oud
        ops.extend(s for s in _shifts(wish, kb)
                   # "엑스트레로 진하게": the concentration is the weight asked for
                   if concentration is None or not isinstance(s, Shift) or s.target not in ("light", "heavy"))
    if product is not None and product == recipe.product and not ops and not absent:
        return [], [], f"이미 {PRODUCTS[product].label_ko}용 포뮬러예요."
    return ops, absent, None


def _swap_asked(text: str) -> bool:
    """"A 빼고 B 넣어줘": "빼고" and later on the same line "넣어/추가/넣고"."""
    return _after_out(text, _SWAP_TO)


def _after_out(text: str, pattern: re.Pattern[str]) -> bool:
    """``pattern`` somewhere after the first "빼고" of a line, found in one pass from there (a pattern
    "빼고.*(…)" would rescan the line from every "빼고": quadratic on a hostile line)."""
    return any((start := line.find("빼고")) >= 0 and pattern.search(line, start + 2) is not None
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


def _shifts(text: str, kb: KnowledgeBase) -> list[Shift | RemoveCharacter]:
    """Character wishes: more or less of a descriptor, or — with a removal word ("시트러스는 빼줘") — the
    character out, every line whose main character it is."""
    direction = -1 if _LESS.search(text) else 1
    removal = any(cue in compact(text) for cue in _REMOVE) and not _LESS.search(text)
    if _LIGHTER.search(text):
        return [Shift(target="light", direction=1)]
    if _HEAVIER.search(text):
        return [Shift(target="heavy", direction=1)]
    position = _position_in(text)  # "베이스를 더 스모키하게": only the base moves
    wishes: dict[str, Shift | RemoveCharacter] = {}

    def less(descriptor: str) -> Shift | RemoveCharacter:
        if removal:
            return RemoveCharacter(target=descriptor, position=position)
        return Shift(target=descriptor, direction=-1, position=position)

    for descriptor, _ in sorted(negation_avoids(text, kb).items(), key=lambda kv: -kv[1])[:1]:
        wishes[descriptor] = less(descriptor)
    for match in get_lexicon_matcher(kb).find(text):
        if not match.entry.descriptors:
            continue
        descriptor = max(match.entry.descriptors.items(), key=lambda kv: kv[1])[0]
        # A removal verb takes out the characters its clause names ("파촐리 없애줘"), negated or not.
        sign = -1 if removal else (-direction if match.negated else direction)
        wishes.setdefault(descriptor, less(descriptor) if sign == -1 else
                          Shift(target=descriptor, direction=1, position=position))
    return list(wishes.values())
