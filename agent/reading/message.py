"""One reading of a message: what it asks for and everything the rest of the turn needs from its words.

The lexicon matches, the materials named and — when a formula is open — the parsed edit are computed once
here; the route is decided from them, and interpretation and the edit node consume them instead of
reading the message again. An edit is "the edit parser found operations", not a second vocabulary.
Rules, not the model: a 270M model cannot be trusted to route, and a rule can be read and tested
(`hyanggi eval routing` measures them on eval/data/routing.yaml).
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, Field

from agent.reading.edit_parser import EditRequest, parse_edit
from agent.reading.interpret import MaterialNames, Mention
from knowledge.kb import KnowledgeBase
from knowledge.korean import compact
from knowledge.lexicon import LexiconMatch, LexiconMatcher
from perfumery.edits import Shift
from perfumery.formula import looks_like_formula
from perfumery.recipe import Recipe


class Route(StrEnum):
    """What a message asks for; each value is a node of the graph's first branch."""

    new_brief = "new_brief"
    edit = "edit"
    question = "question"
    compare = "compare"
    smalltalk = "smalltalk"
    off_topic = "off_topic"
    injection = "injection"
    import_formula = "import"
    where_used = "where_used"
    replacements = "replacements"


ROUTE_KO: dict[Route, str] = {
    Route.new_brief: "새 향 설계", Route.edit: "레시피 수정", Route.question: "질문", Route.compare: "버전 비교",
    Route.smalltalk: "인사·대화", Route.off_topic: "다른 주제", Route.injection: "지침 변경 시도",
    Route.import_formula: "내 포뮬러 가져오기", Route.where_used: "재료를 쓰는 버전",
    Route.replacements: "대체 재료",
}

_COMPARE = re.compile(r"비교|차이|달라졌|바뀐\s*점|바뀌었|v\d+\s*(와|과|랑|vs)|전\s*버전|이전\s*버전|전후")
_DESIGN = re.compile(r"만들어|추천|조향해|조향\s*부탁|설계|디자인|레시피\s*:|새\s*레시피|원해|원합|필요해|같은\s*향|향수\s*하나|"
                     r"향을?\s*(줘|주세요)|부탁|새로|다른\s*(걸|것|콘셉트|향수)|처음부터|이번엔")
_QUESTION = re.compile(r"뭐야|뭔가요|뭐예요|뭐에요|무엇|무슨|어떤\s*(향|냄새|느낌|일)|어떻게|왜|어디|얼마나|뭐가|"
                       r"알려\s*줘|알려\s*주세요|설명|궁금|이란|란\??$|\?$|\bwhat\b|\bhow\b|\bwhy\b", re.IGNORECASE)
_WHERE_USED = re.compile(r"(쓰는|쓴|썼던|들어간|들어있는|사용한|포함된)\s*(버전|레시피|포뮬|처방)")
_REPLACEMENT = re.compile(r"대체재|대체\s*(할|품|재료|후보)|대안|대신\s*(쓸|할|넣을)|바꿀\s*만한|비슷한\s*재료")
_IMPERATIVE = re.compile(r"하게|해\s*줘|해\s*주세요|해줄래|로\s*$|줄여|늘려|올려|낮춰|높여")


class Chat(StrEnum):
    """Kinds of small talk, each answered in a sentence or two (agent.replies.render.smalltalk_reply)."""

    thanks = "thanks"
    greeting = "greeting"
    farewell = "farewell"
    help = "help"
    saved = "saved"
    pleased = "pleased"
    filler = "filler"


_CHAT: dict[Chat, re.Pattern[str]] = {
    Chat.thanks: re.compile(r"고마|감사|thank|도움\s*(많이|이)\s*됐|수고", re.IGNORECASE),
    Chat.farewell: re.compile(r"잘\s*가|안녕히|좋은\s*(하루|밤)|다음에\s*(봐|또)|bye", re.IGNORECASE),
    Chat.greeting: re.compile(r"안녕|반가|하이|^hi\b|hello", re.IGNORECASE),
    Chat.help: re.compile(r"누구|뭘\s*할\s*수|무엇을\s*할\s*수|사용법|도와줄\s*수|뭐\s*해\s*줄\s*수"),
    Chat.saved: re.compile(r"저장"),
    Chat.pleased: re.compile(r"좋아요|좋네|마음에\s*들|완벽|최고|대박|멋지|훌륭"),
    Chat.filler: re.compile(r"ㅋㅋ|ㅎㅎ|^음+[.…]*$|^응$|^네\b|알겠|^ok|^오+$", re.IGNORECASE),
}
_SCENT_WORDS = ("향", "냄새", "노트", "조향", "어코드", "퍼퓸", "코롱", "머스크", "원료", "성분", "알레르기", "레시피", "perfume",
                "scent", "fragrance", "note", "cologne", "ifra", "edp", "edt")
# Lexicon categories that speak of a scent by themselves; the others (when, where, for whom: "점심",
# "여행", "선물") set a scene and need a scent word beside them.
_SCENT_CATEGORIES = frozenset({"material", "texture", "style", "mood", "colour", "nature", "intensity"})
# A scene with one of these is a mood to design ("겨울 밤 벽난로 앞에 있는 느낌", "…같은 분위기로"): without the
# word 향, the feeling cue says the person wants the scene as a scent, not an answer about it.
_FEELING = re.compile(r"느낌|분위기|무드|감성|기분|같은|처럼|\bvibes?\b|\bfeel(ing)?\b|\bmood\b|\blike\b", re.IGNORECASE)


class Reading(BaseModel):
    """What one message says, read once (per turn; kept in the graph state as JSON)."""

    route: Route
    matches: list[LexiconMatch] = Field(default_factory=list, description="lexicon terms found, with negation")
    mentions: list[Mention] = Field(default_factory=list, description="materials named, with negation/inclusion")
    edit: EditRequest | None = Field(default=None, description="parsed operations on the open formula, if any")
    chat: Chat | None = Field(default=None, description="the kind of small talk, for Route.smalltalk")


def read(text: str, *, kb: KnowledgeBase, matcher: LexiconMatcher, names: MaterialNames,
         recipe: Recipe | None, injection: bool = False) -> Reading:
    """Read ``text`` once: matches, mentions, the parsed edit when a formula is open, and the route."""
    matches = matcher.find(text)
    mentions = names.find(text)
    edit = parse_edit(text, recipe, kb, names, mentions) if recipe is not None else None
    chat = _chat(text)
    route = _route(text, matches=matches, mentions=mentions, edit=edit, chat=chat, has_recipe=recipe is not None,
                   injection=injection)
    return Reading(route=route, matches=matches, mentions=mentions, edit=edit if route == Route.edit else None,
                   chat=chat if route == Route.smalltalk else None)


def _chat(text: str) -> Chat | None:
    return next((kind for kind, pattern in _CHAT.items() if pattern.search(text)), None)


def _route(text: str, *, matches: list[LexiconMatch], mentions: list[Mention], edit: EditRequest | None,
           chat: Chat | None, has_recipe: bool, injection: bool) -> Route:
    if injection:
        return Route.injection
    packed = compact(text).lower()
    about_scent = (bool(mentions) or any(m.entry.category in _SCENT_CATEGORIES for m in matches)
                   or any(w in packed for w in _SCENT_WORDS)
                   or (any(m.entry.descriptors for m in matches) and bool(_FEELING.search(text))))
    design = bool(_DESIGN.search(text))
    question = bool(_QUESTION.search(text))
    if looks_like_formula(text):  # pasted lines of material + amount: the perfumer's own formula
        return Route.import_formula
    named = {m.material_id for m in mentions}
    if len(named) == 1 and _WHERE_USED.search(text):
        return Route.where_used
    if len(named) == 1 and _REPLACEMENT.search(text) and has_recipe:
        return Route.replacements
    if has_recipe and _COMPARE.search(text) and not design:
        return Route.compare
    if edit is not None and edit.found:
        # Only a change of character ("더 청량하게") can also be a new wish ("청량한 향수 추천해줘") or a
        # question ("스모키한 재료는 뭐가 있어?"); operations on named materials, sheets and costs are edits.
        only_shifts = all(isinstance(op, Shift) for op in edit.ops) and not (edit.batch_grams or edit.cost
                                                                              or edit.absent)
        wish_or_question = design or (question and not _IMPERATIVE.search(text))
        if not (only_shifts and wish_or_question):
            return Route.edit
    if question and about_scent and not design:
        return Route.question
    if chat is not None and not (matches or mentions) and not design:
        return Route.smalltalk
    if about_scent:
        return Route.new_brief
    return Route.off_topic
