"""Input hygiene before anything reaches the graph: normalise, strip invisible controls, cap length,
and recognise prompt-injection attempts so they are answered as such and never obeyed."""

from __future__ import annotations

import re
import unicodedata

from pydantic import BaseModel

# Zero-width and joiner characters, bidi embeddings/overrides/isolates, BOM, and the Unicode "tag" block
# (used to smuggle invisible instructions).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\U000e0000-\U000e007f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t]+")

# Phrases that try to change the assistant's role or extract its instructions (Korean and English).
_INJECTION = re.compile(
    r"(이전|위의?|앞의|모든)\s*(지시|지침|명령|프롬프트|규칙)\S*\s*(을|를)?\s*(무시|잊|삭제)"
    r"|시스템\s*프롬프트|너의?\s*(지시|프롬프트|설정)\S*\s*(을|를)?\s*(보여|알려|출력)"
    r"|(ignore|disregard|forget)\s+(all\s+|the\s+)?(previous|prior|above)\s+(instructions|prompts?|rules)"
    r"|system\s+prompt|you\s+are\s+now\s+|developer\s+mode|jailbreak",
    re.IGNORECASE,
)


class GuardResult(BaseModel):
    text: str
    error_ko: str | None = None
    injection: bool = False


def clean(message: str, max_chars: int) -> GuardResult:
    """Return the normalised message, or a Korean error when it cannot be used."""
    text = unicodedata.normalize("NFC", message)
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return GuardResult(text="", error_ko="메시지가 비어 있어요. 원하시는 향을 한두 문장으로 적어 주세요.")
    if len(text) > max_chars:
        return GuardResult(
            text=text[:max_chars],
            error_ko=f"메시지가 너무 길어요 ({len(text)}자). {max_chars}자 이내로 줄여서 다시 보내 주세요.",
        )
    return GuardResult(text=text, injection=bool(_INJECTION.search(text)))
