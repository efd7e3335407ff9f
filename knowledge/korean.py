"""Korean (and English) text into search tokens.

Three views of the same text, because each catches what the others miss:
- ``word_tokens``: kiwi content morphemes for Korean, lowercased words for English — what BM25 ranks on;
- ``char_ngrams``: jamo-level n-grams of the text with spacing removed — survives typos ("베르가뭇")
  and spacing variants ("샌달 우드");
- ``compact``: lowercase, no spaces or punctuation — for spacing-insensitive exact matching.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

from perfumery.naming import final_consonant

if TYPE_CHECKING:
    from kiwipiepy import Kiwi, Token

# Morpheme tags that carry meaning for retrieval: nouns, verb/adjective stems, roots, adverbs,
# foreign words, numbers and hanja. Particles, endings and suffixes are noise for BM25.
CONTENT_TAGS = frozenset({"NNG", "NNP", "NR", "VV", "VA", "XR", "MAG", "SL", "SN", "SH"})

_ENGLISH_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_NOUN_MODIFIER_ENDINGS = frozenset({"ᆫ", "은", "는", "던"})
_NIEUN = 4  # index of ㄴ among the 28 finals (perfumery.naming.final_consonant)
_ADJECTIVE_TAGS = frozenset({"VA", "XSA"})  # 따뜻하(VA), 상큼 + 하(XSA); irregular stems carry a suffix (VA-I)
_EDGES = ",.!?\"'()"


def is_content(tag: str) -> bool:
    """Whether a kiwi tag is a content morpheme; irregular stems carry a suffix ('VA-I')."""
    return tag.split("-", 1)[0] in CONTENT_TAGS


@lru_cache(maxsize=1)
def get_kiwi() -> Kiwi:
    """One Kiwi per process: loading its model takes about a second."""
    from kiwipiepy import Kiwi

    return Kiwi()


def normalize(text: str) -> str:
    """NFKC + lowercase + single spaces, so full-width forms and case never split a match."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def compact(text: str) -> str:
    """Text with spacing and punctuation removed: '샌달 우드' and '샌달우드' become equal."""
    return _NOT_WORD.sub("", normalize(text))


def morphemes(text: str) -> list[Token]:
    """Kiwi tokens of ``text`` (all tags), on the normalized text."""
    return list(get_kiwi().tokenize(normalize(text)))


def modifiers_as_nouns(text: str) -> list[str]:
    """The words of ``text`` where a modifier is used as a noun ("따뜻한을", "설레는을", "가벼운의"): never Korean,
    and the slip a small model makes when it puts the person's mood word where its story templates put a noun
    ("{포근한 카페}를 떠올리게").

    Two readings, because each misses what the other sees: in the sentence, an adnominal ㄴ ending (kiwi's ETM)
    followed at once by a particle; and the word's stem read alone, an adjective with that ending — in a
    sentence kiwi may make a noun of it ("상큼 한(恨)을", "시 원한을"). Alone, only stems of two syllables or more
    closing in ㄴ are read, and only an adjective counts: kiwi reads "벤조인" as a copula (이 + ㄴ) and "상한"
    as a verb. The ᆯ ending is left out everywhere: kiwi reads "시트랄을" as a stem + ᆯ."""
    norm = normalize(text)
    slips = []
    for before, after in itertools.pairwise(morphemes(norm)):
        if before.tag == "ETM" and before.form in _NOUN_MODIFIER_ENDINGS and after.tag.startswith("J") \
                and after.start <= before.end:
            start = norm.rfind(" ", 0, after.start) + 1
            end = norm.find(" ", after.end)
            slips.append(norm[start:end if end >= 0 else len(norm)].strip(_EDGES))
    for word in (w.strip(_EDGES) for w in norm.split()):
        tokens = morphemes(word)
        if word in slips or len(tokens) < 2 or not tokens[-1].tag.startswith("J"):
            continue
        stem = word[: tokens[-1].start]
        if len(stem) < 2 or final_consonant(stem) != _NIEUN:
            continue
        alone = morphemes(stem)
        if len(alone) >= 2 and alone[-1].tag == "ETM" and alone[-1].form in _NOUN_MODIFIER_ENDINGS \
                and alone[-2].tag.split("-")[0] in _ADJECTIVE_TAGS:
            slips.append(word)
    return slips


def word_tokens(text: str) -> list[str]:
    """BM25 terms: Korean content morphemes plus lowercased English words.

    English goes through its own regex rather than kiwi's SL tag so hyphenated names
    ('iso-e-super') and digits stay whole.
    """
    norm = normalize(text)
    if not norm:
        return []
    tokens: list[str] = []
    if _HANGUL.search(norm):
        tokens.extend(t.form for t in get_kiwi().tokenize(norm) if is_content(t.tag) and t.tag != "SL")
    tokens.extend(_ENGLISH_WORD.findall(norm))
    return tokens


def jamo(text: str) -> str:
    """Hangul syllables decomposed into jamo: '뭇' and '못' then differ by one letter, not one syllable."""
    return unicodedata.normalize("NFD", text)


def char_ngrams(text: str, n: int = 3) -> list[str]:
    """Overlapping jamo/letter n-grams of the compacted text (the whole text if shorter than ``n``)."""
    letters = jamo(compact(text))
    if not letters:
        return []
    if len(letters) <= n:
        return [letters]
    return [letters[i : i + n] for i in range(len(letters) - n + 1)]
