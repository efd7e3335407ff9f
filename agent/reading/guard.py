"""Input hygiene before anything reaches the graph: normalise, strip invisible code points, cap length,
and recognise prompt-injection attempts so they are answered as such and never obeyed.

The REST schema states the same rules (``visible_pattern()``, ``max_chars``), so a request the contract
calls valid is never refused here. ``hyanggi eval injection`` measures the injection check.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from itertools import groupby

import regex
from pydantic import BaseModel

# Every code point that renders as nothing or steers rendering, by Unicode class rather than by hand:
# controls (C0 and C1), format characters (bidi controls, soft hyphen, the tag block), surrogates, and
# Unicode's Default_Ignorable_Code_Point property (fillers such as U+3164, variation selectors, U+034F).
# Tab and line breaks stay: they are whitespace.
_INVISIBLE = regex.compile(r"[[\p{Cc}\p{Cf}\p{Cs}\p{Default_Ignorable_Code_Point}]--[\t\n\r]]", regex.V1)
# What is not content: the invisible code points above and every kind of space or line break (what
# `clean` strips or collapses; `visible_pattern` states it for the REST schema).
_BLANK = regex.compile(r"[\p{Cc}\p{Cf}\p{Cs}\p{Default_Ignorable_Code_Point}\p{Z}\s]")
_SPACES = regex.compile(r"[\t\p{Zs}]+")
_LINES = regex.compile(r"\s*[\r\n\p{Zl}\p{Zp}]\s*")
_NOT_LETTERS = re.compile(r"[\W_]+")

EMPTY_KO = "메시지가 비어 있어요. 원하시는 향을 한두 문장으로 적어 주세요."

# --- injection phrases -------------------------------------------------------------------------
# Korean rules run on the message with everything but letters and digits removed ("이 전 지.시" →
# "이전지시"); English rules run on a word form (NFKC folds fullwidth letters, digits read as the letters
# they imitate) and on the same form without spaces (catches "i.g.n.o.r.e" and "sys-tem pro-mpt").
_KO_DIRECTIVE = r"(?:지시|지침|명령|프롬프트|규칙|룰|설정|역할|제한|제약|가이드라인|필터)"
_KO_OVERRIDE = r"(?:무시|잊|삭제|취소|버리|버려|무효|초기화|해제|어기|어겨|따르지|신경쓰지|풀어|끄고|꺼)"
_KO_REVEAL = r"(?:보여|알려|출력|공개|말해|읊|복사|반복|유출|요약|내용|뭐야|뭐라고|첫문장)"
_KO_EARLIER = r"(?:이전|앞|위|기존|지금까지|모든|원래|초기|처음|받은|주어진|설정된|입력된|안전)"
_KO_YOU = r"(?:너|네|니|당신)"
_KOREAN = re.compile(
    rf"{_KO_EARLIER}\w{{0,10}}?{_KO_DIRECTIVE}\w{{0,8}}?(?:{_KO_OVERRIDE}|{_KO_REVEAL})"
    rf"|{_KO_DIRECTIVE}(?:은|는|을|를|들|다|전부|모두|따위|같은건|이나)*{_KO_OVERRIDE}"
    rf"|{_KO_OVERRIDE}\w{{0,4}}(?:이전|앞|위)\w{{0,6}}{_KO_DIRECTIVE}"
    rf"|(?:위|앞|이전)\w{{0,3}}(?:내용|말|대화)\w{{0,4}}무시"
    rf"|{_KO_YOU}\w{{0,8}}?{_KO_DIRECTIVE}\w{{0,10}}?{_KO_REVEAL}"
    r"|(?:시스템|숨겨진|숨은|내부|초기|비밀)(?:프롬프트|지시|지침|메시지|설정|명령)"
    r"|프롬프트\w{0,6}?(?:원문|전문|템플릿|전체|복사|출력|보여)"
    r"|(?:지시사항|지침서|명령문|명령어)\w{0,6}?(?:보여|출력|공개|알려|복사|번역)"
    r"|개발자모드|탈옥|제한없는|제약없는|관리자권한|dan모드|dan이야"
    r"|(?:(?:이제부터|지금부터)\w{0,3}(?:넌|너는|니가|네가)|(?:넌|너는|니가|네가)(?:이제부터|지금부터))"
    r"\w{0,12}?(?:역할|아니|ai|캐릭터|모드)"
)
_EN_QUALIFIER = (r"(?:(?:all|every|any|the|your|my|of|these|those|previous|prior|above|earlier|preceding|former|"
                 r"initial|original|system|safety|hidden)\s*)")
_EN_OBJECT = (r"(?:instruction|prompt|rule|guideline|directive|polic|restriction|context|command|programming|"
              r"everything\s*you\s*(?:were|have\s*been)\s*told)")
_EN_INTERNAL = r"(?:(?:your|system|hidden|initial|original|secret|internal|starting)\s*)"
_ENGLISH = re.compile(
    rf"(?:ignore|disregard|forget|override|bypass)\s*{_EN_QUALIFIER}*{_EN_OBJECT}"
    r"|(?:ignore|disregard|forget)\s*(?:all\s*|everything\s*)?(?:the\s*)?(?:above|previous|prior|earlier)"
    r"(?!\s*(?:version|recipe|formula|one|scent|message))"
    r"|(?:reveal|show|print|output|repeat|display|tell|give|leak|dump|summari[sz]e|recite|copy)\s*(?:me\s*)?"
    rf"(?:(?:all|the|of|exact|wording|full|entire|text|contents?)\s*)*{_EN_INTERNAL}+"
    r"(?:prompt|instruction|message|directive|guideline|rule|configuration|config|programming|template)"
    r"|(?:system|hidden|initial|secret|internal)\s*(?:prompt|instruction|message)|prompt\s*template"
    r"|instructions?\s*you\s*(?:were|received|got|follow)|(?:were|was)\s*you\s*told|you\s*were\s*told\s*before"
    r"|(?:repeat|print|output|show)\s*(?:me\s*)?(?:the\s*)?(?:text|words|everything|content)\s*(?:above|before)"
    r"|developer\s*mode|jailbreak|do\s*anything\s*now|no\s*longer\s*bound"
    r"|you\s*have\s*no\s*(?:rules|restrictions|limits|filters)"
    r"|(?:act|pretend|roleplay|role\s*play)\s*(?:as|to\s*be)\s*(?:an?\s*)?"
    r"(?:unrestricted|unfiltered|uncensored|jailbroken|evil|ai\s*without)"
    r"|stop\s*being\s*(?:an?\s*|the\s*)?(?:perfume\s*|fragrance\s*)?(?:assistant|helper|bot)"
)
_EN_WORDS = re.compile(
    r"\byou\s+are\s+now\s+(?:dan|free|unrestricted|jailbroken|evil|no\s+longer|an?\s+(?:unrestricted|unfiltered|"
    r"different|new)\s+ai)\b|\bfrom\s+now\s+on\s+you\s+(?:will|only|must|are|should)\b"
)
_LEET = str.maketrans("013457@$", "oieastas")


class GuardResult(BaseModel):
    text: str
    error_ko: str | None = None
    injection: bool = False


def clean(message: str, max_chars: int) -> GuardResult:
    """Return the normalised message, or a Korean error when it cannot be used.

    The length limit counts the message as sent (as the REST schema's ``maxLength`` does); a message needs
    one character that is neither invisible nor blank (the schema's ``visible_pattern``).
    """
    if len(message) > max_chars:
        return GuardResult(
            text=message[:max_chars],
            error_ko=f"메시지가 너무 길어요 ({len(message)}자). {max_chars}자 이내로 줄여서 다시 보내 주세요.",
        )
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", message))
    text = _LINES.sub("\n", _SPACES.sub(" ", text)).strip()
    if not text:
        return GuardResult(text="", error_ko=EMPTY_KO)
    return GuardResult(text=text, injection=is_injection(text))


def is_injection(text: str) -> bool:
    """Does ``text`` (already cleaned) try to change the assistant's role or extract its instructions?"""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if _KOREAN.search(_NOT_LETTERS.sub("", folded)):
        return True
    words = " ".join(_NOT_LETTERS.sub(" ", folded.translate(_LEET)).split())
    return bool(_ENGLISH.search(words) or _ENGLISH.search(words.replace(" ", "")) or _EN_WORDS.search(words))


@cache
def visible_pattern() -> str:
    """The JSON-schema ``pattern`` of a usable message: one character the guard keeps as content.

    Written as explicit code points, the one regex form that Python (schemathesis, hypothesis), ECMA and
    Rust (jsonschema-rs) validators read alike; ``\\w`` or ``\\s`` mean ASCII to some and Unicode to
    others. Astral code points stand as themselves (no escape is common to all three); surrogates are left
    out, as no validator accepts them in a pattern and a JSON body cannot carry them.
    """
    blank = sorted({ord(ch) for ch in _BLANK.findall("".join(map(chr, range(0x110000))))} - set(range(0xD800, 0xE000)))
    runs = [[code for _, code in run] for _, run in groupby(enumerate(blank), lambda pair: pair[1] - pair[0])]

    def char(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    return "[^" + "".join(char(r[0]) if len(r) == 1 else f"{char(r[0])}-{char(r[-1])}" for r in runs) + "]"
