"""Which kind of turn is this? Deterministic rules over Korean cues: a 270M model cannot be trusted to
route, and a rule can be read and tested."""

from __future__ import annotations

import re

from agent.state import Route
from knowledge.korean import compact
from perfumery.ifra import product_named

_COMPARE = re.compile(r"비교|차이|달라졌|바뀐\s*점|v\d+\s*(와|과|랑|vs)|버전.*(비교|차이)|전\s*버전|이전\s*버전")
_EDIT = re.compile(
    r"\d+(?:\.\d+)?\s*(%|퍼센트|프로)|\d+\s*(g|그램|ml|mL|킬로|kg)\b|배합표|배치|"
    r"빼|제거|없애|추가|넣어|더\s*\S+|덜\s*\S+|바꿔|대신|교체|줄여|늘려|낮춰|높여|올려|내려|"
    r"(edc|edt|edp|퍼퓸|엑스트레|코롱|뚜왈렛|투왈렛)\s*(로|으로)|농도|"
    r"가볍게|무겁게|진하게|연하게|오래\s*가게|달콤하게|시원하게|따뜻하게|저장|원가|비용",
    re.IGNORECASE,
)
_DESIGN = re.compile(r"만들어|추천|조향|설계|디자인|레시피|포뮬|처방|원해|느낌|같은\s*향|향수\s*하나|향을?\s*(줘|주세요)")
_QUESTION = re.compile(r"뭐야|뭔가요|뭐예요|무엇|무슨|어떤\s*(향|냄새|느낌)|알려\s*줘|알려\s*주세요|설명|궁금|이란|란\??$|\?$")
_SCENT_WORDS = ("향", "냄새", "노트", "향수", "조향", "어코드", "퍼퓸", "perfume", "scent", "fragrance", "note")


def route(text: str, *, has_recipe: bool, injection: bool, lexicon_hits: int, name_hits: int) -> Route:
    """Route one message given what the lexicon and material-name finder saw in it."""
    if injection:
        return "injection"
    packed = compact(text)
    about_scent = lexicon_hits > 0 or name_hits > 0 or any(w in packed for w in _SCENT_WORDS)
    if has_recipe and _COMPARE.search(text):
        return "compare"
    if has_recipe and (_EDIT.search(text) or product_named(packed.lower())) and not _DESIGN.search(text):
        return "edit"
    if _QUESTION.search(text) and not _DESIGN.search(text) and (name_hits or about_scent):
        return "question"
    if about_scent or _DESIGN.search(text):
        return "new_brief"
    return "off_topic"
