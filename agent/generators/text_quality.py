"""Cheap signals of Korean text quality: how much of it is Hangul, and whether it loops.

Small models fail in two recognisable ways — drifting into another language and repeating a
phrase until the token limit — and both can be measured without a judge model.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? after a word (not "3.5") followed by a space or the end of the text.
SENTENCE_END = re.compile(r"(?<=[^\d\s])[.!?](?=\s|$)")


def whole_sentences(text: str) -> tuple[str, str]:
    """``text`` split into its complete sentences and the unfinished rest after the last sentence end."""
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    cut = ends[-1] if ends else 0
    return text[:cut], text[cut:]


def sentences(text: str) -> list[str]:
    """The complete sentences of ``text`` in order, each stripped; the unfinished rest is left out."""
    found, start = [], 0
    for end in SENTENCE_END.finditer(text):
        found.append(text[start:end.end()].strip())
        start = end.end()
    return [s for s in found if s]


def _is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3" or "\u3131" <= char <= "\u318e"


def hangul_share(text: str) -> float:
    """Share of Hangul among the letters of ``text`` (digits, punctuation and spaces ignored)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(_is_hangul(c) for c in letters) / len(letters)


def repetition_rate(text: str, n: int = 4) -> float:
    """Share of character n-grams (spaces removed) that already occurred earlier in the text."""
    compact = "".join(text.split())
    grams = [compact[i : i + n] for i in range(len(compact) - n + 1)]
    if not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


class SentenceCounter:
    """Stops a stream after ``limit`` Korean sentences (a final ending 다/요 followed by a full stop).

    Counting endings rather than every full stop keeps decimals such as "12.5%" from ending a sentence.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.text = ""

    def accept(self, piece: str) -> bool:
        self.text += piece
        return not self.full

    @property
    def full(self) -> bool:
        """The limit is reached: what follows the last sentence was cut by us, not by the token budget."""
        return self.limit is not None and self.text.count("다.") + self.text.count("요.") >= self.limit


class RepetitionGuard:
    """Stops a stream once the same long phrase comes back, the base model's loop."""

    def __init__(self, window: int = 16, min_chars: int = 40) -> None:
        self.window = window
        self.min_chars = min_chars
        self.text = ""
        self.tripped = False

    def accept(self, piece: str) -> bool:
        """Add a piece; False means the text has started to repeat itself."""
        self.text += piece
        compact = "".join(self.text.split())
        if len(compact) >= self.min_chars:
            tail = compact[-self.window :]
            if tail in compact[: -self.window]:
                self.tripped = True
        return not self.tripped
