"""The evidence a short-input judge reads for one statement: the passages of a turn's contexts that bear on it.

ragas judges each statement against all of a turn's contexts joined. A turn's contexts (the recipe, the
search results, every quoted record) run to thousands of tokens, and the cross-encoder judge reads 512 at
most, so each statement gets the passages that share the most with it: the contexts are cut into lines and
sentences (a sentence after the first of its line keeps the record's name, so "바닐라 향의 주성분" still says
whose it is), scored by BM25 over jamo trigrams (``knowledge.korean.char_ngrams``: spacing and particles do
not hide a name), and taken best first while they fit the token budget, then put back in context order.
A passage that shares nothing with the statement is never taken: an empty evidence is itself a verdict.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import bm25s
import numpy as np

from knowledge.korean import char_ngrams

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_TITLE_END = re.compile(r"\s*[(.:]")
TITLE_CHARS = 40  # a record's name, not its first sentence
PRIMARY_SHARE = 0.75  # of the budget, for the recipe's lines
PRIMARY_COVER = 0.4  # a recipe line is read when the statement holds this share of its trigrams
RELEVANCE_CUT = 0.35  # other passages scoring below this share of the best one are left out


def _title(text: str) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return _TITLE_END.split(first, maxsplit=1)[0][:TITLE_CHARS].strip()


def passages(contexts: Sequence[str]) -> list[str]:
    """Each context's lines, and each line's sentences; later sentences of a line carry the context's title."""
    found: list[str] = []
    for text in contexts:
        title = _title(text)
        for line in text.splitlines():
            parts = [p.strip() for p in _SENTENCE_END.split(line) if p.strip()]
            found += [part if k == 0 or not title else f"{title}: {part}" for k, part in enumerate(parts)]
    return found


class Evidence:
    """One turn's passages, indexed once; ``for_statement`` picks a statement's evidence within a budget.

    ``primary`` contexts (the turn's recipe) are read first: a statement about the formula is checked on the
    formula's own lines, which record descriptions naming the same materials would otherwise crowd out.
    ``count_tokens`` is the judge's own tokenizer (texts → lengths), so the budget is exact.
    """

    def __init__(self, contexts: Sequence[str], count_tokens: Callable[[list[str]], list[int]],
                 primary: Sequence[str] = ()) -> None:
        first = list(dict.fromkeys(passages(primary)))
        rest = [p for p in dict.fromkeys(passages(contexts)) if p not in set(first)]
        self.passages = first + rest
        self.primary = len(first)
        self._primary_grams = [set(char_ngrams(p)) for p in first]
        self._lengths = count_tokens(self.passages) if self.passages else []
        self._index: bm25s.BM25 | None = None
        if self.passages:
            self._index = bm25s.BM25()
            self._index.index([char_ngrams(p) or [""] for p in self.passages], show_progress=False)

    def scores(self, statement: str) -> np.ndarray:
        if self._index is None:
            return np.zeros(0)
        vocabulary = self._index.vocab_dict
        terms = [vocabulary[t] for t in char_ngrams(statement) if t in vocabulary]
        if not terms:
            return np.zeros(len(self.passages))
        return self._index.get_scores_from_ids(terms)

    def coverage(self, statement: str) -> np.ndarray:
        """Per primary passage, the share of its trigrams the statement contains: a recipe line
        "케팔리스 (베이스, 8.91%)" is wholly named by a statement about 케팔리스 in the base, however short."""
        said = set(char_ngrams(statement))
        return np.array([len(grams & said) / len(grams) if grams else 0.0 for grams in self._primary_grams])

    def for_statement(self, statement: str, budget: int) -> str:
        """The passages that fit ``budget`` tokens, in context order: first the primary ones the statement
        covers (``PRIMARY_COVER`` of their trigrams, up to ``PRIMARY_SHARE`` of the budget), then the best by
        BM25 (none under ``RELEVANCE_CUT`` of the best score)."""
        chosen: list[int] = []
        room = budget
        if self.primary:
            cover = self.coverage(statement)
            share = int(budget * PRIMARY_SHARE)
            room = self._take(cover, [k for k in range(self.primary) if cover[k] >= PRIMARY_COVER], chosen,
                              share) + budget - share
        scores = self.scores(statement)
        cut = max(RELEVANCE_CUT * scores.max(), 1e-9) if scores.size else 0.0
        self._take(scores, [k for k in range(len(self.passages)) if k not in set(chosen) and scores[k] >= cut],
                   chosen, room)
        return "\n".join(self.passages[k] for k in sorted(chosen))

    def _take(self, scores: np.ndarray, among: list[int], chosen: list[int], room: int) -> int:
        """Best first among ``among`` while they fit ``room``; returns the room left."""
        for k in sorted(among, key=lambda k: -scores[k]):
            cost = self._lengths[k] + 1  # the line break
            if scores[k] > 0 and cost <= room:
                chosen.append(k)
                room -= cost
        return room
