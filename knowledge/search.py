"""Hybrid search: dense (our embeddings in Chroma) + BM25 + a typo-tolerant name channel, fused by RRF.

Across the searched collections, up to three rankings are fused with reciprocal rank fusion
(``Σ weight / (rrf_k + rank)``):
- dense: cosine similarity of e5 embeddings, answered by Chroma (below ``min_similarity`` dropped);
- words: BM25 (``bm25s``) over kiwi morphemes / English words of the context-enhanced document, with the
  query expanded through the Korean lexicon (non-negated terms add their descriptors' words);
- names: how much of a record's name (or synonym) appears in the query, on jamo trigrams with spacing
  removed, so "베르가뭇" and "샌달 우드" still find bergamot and sandalwood. Only names covered well
  enough count, so mood queries are not ranked by accidental syllables.
Fused scores are divided by the best possible fused score, so 1.0 means first in every ranking.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field
from scipy import sparse

from hyanggi.settings import Settings
from knowledge.documents import CollectionName, Document, RecordRef, build_documents
from knowledge.index import get_collection, open_client, require_current_index
from knowledge.kb import KnowledgeBase, load_knowledge_base
from knowledge.korean import char_ngrams, get_kiwi, word_tokens
from knowledge.lexicon import LexiconMatch, get_lexicon_matcher
from knowledge.token_cache import cache_path, cached_terms
from perfumery.models import Family, NotePosition

if TYPE_CHECKING:
    import bm25s
    from chromadb.api import ClientAPI

    from knowledge.embedding.embedder import Embedder

NAME_COVERAGE_MIN = 0.6  # share of a name's trigrams the query must contain to count as naming it
CANDIDATES = 50  # depth of each ranking before fusion


class SearchMode(StrEnum):
    dense = "dense"
    bm25 = "bm25"
    hybrid = "hybrid"


class SearchResult(RecordRef):
    """One hit, as the CLI/REST contract prints it."""

    score: float = Field(description="Fused score / best possible fused score, in (0, 1].")
    text: str


class SearchFilters(BaseModel):
    """Metadata constraints; a filter on a field a collection lacks (note on perfumes) excludes it."""

    note: NotePosition | None = None
    family: Family | None = None
    restricted: bool | None = None

    def conditions(self) -> dict[str, str | bool]:
        values = {"note": self.note, "family": self.family, "restricted": self.restricted}
        return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in values.items() if v is not None}

    def accepts(self, document: Document) -> bool:
        return all(document.metadata.get(k) == v for k, v in self.conditions().items())

    def where(self) -> dict | None:
        """The same constraints as a Chroma ``where`` clause."""
        clauses = [{k: v} for k, v in self.conditions().items()]
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass(frozen=True)
class ExpandedQuery:
    """The query as each channel sees it."""

    text: str  # negated terms removed: what is embedded and name-matched
    words: list[str]  # BM25 terms: the text's morphemes plus lexicon descriptor words
    matches: list[LexiconMatch]


def expand_query(query: str, kb: KnowledgeBase) -> ExpandedQuery:
    """Drop negated lexicon terms ("바닐라 말고") and add the descriptors the others stand for."""
    matches = get_lexicon_matcher(kb).find(query)
    text = query
    for match in sorted((m for m in matches if m.negated), key=lambda m: -m.start):
        text = text[: match.start] + " " + text[match.end :]
    extra: list[str] = []
    for match in matches:
        if not match.negated:
            keys = list(match.entry.descriptors)
            extra.extend(k for key in keys for k in key.split("_"))
            extra.extend(w for word in kb.descriptor_words_ko(keys) for w in word_tokens(word))
    return ExpandedQuery(text=" ".join(text.split()), words=[*word_tokens(text), *extra], matches=matches)


class NameIndex:
    """Which records' names the query mentions, tolerant of typos and spacing (jamo trigrams).

    ``records`` holds each record's names; ``rank`` answers with positions in it.
    """

    def __init__(self, records: Sequence[Sequence[str]]) -> None:
        names: list[list[str]] = []
        owners: list[int] = []
        for position, record_names in enumerate(records):
            for name in record_names:
                grams = sorted(set(char_ngrams(name)))
                if grams:
                    names.append(grams)
                    owners.append(position)
        self._vocab = {g: i for i, g in enumerate(sorted({g for grams in names for g in grams}))}
        rows = [i for i, grams in enumerate(names) for _ in grams]
        cols = [self._vocab[g] for grams in names for g in grams]
        self._matrix = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(names), len(self._vocab))
        )
        self._sizes = np.array([len(g) for g in names], dtype=np.float32)
        self._owners = np.array(owners, dtype=np.int64)
        self._records = len(records)

    def rank(self, query: str) -> list[tuple[int, float]]:
        """(record position, coverage) for names the query covers, best first."""
        query_grams = set(char_ngrams(query))
        grams = {self._vocab[g] for g in query_grams if g in self._vocab}
        if not grams or not len(self._sizes):
            return []
        vector = np.zeros(len(self._vocab), dtype=np.float32)
        vector[list(grams)] = 1.0
        shared = self._matrix @ vector
        # Either the query holds most of the name, or the name holds most of a query that is just a
        # name ("오렌지플라워" for "오렌지 플라워 앱솔루트").
        coverage = np.maximum(shared / self._sizes, shared / len(query_grams))
        # Longer names break ties: "로즈마리" over "로즈" when the query says 로즈마리.
        score = np.where(coverage >= NAME_COVERAGE_MIN, coverage + self._sizes * 1e-4, 0.0)
        best = np.zeros(self._records, dtype=np.float32)
        np.maximum.at(best, self._owners, score)
        order = np.argsort(-best)
        return [(int(i), float(best[i])) for i in order if best[i] > 0]


class _LexicalIndex:
    """BM25 and name indexes over every document of every collection, so scores compare across them.

    With ``terms_cache`` the documents' BM25 terms are read from that file where stored (token_cache).
    """

    def __init__(self, documents: list[Document], terms_cache: Path | None = None) -> None:
        import bm25s

        terms = cached_terms([d.text for d in documents], terms_cache, word_tokens)
        self.bm25: bm25s.BM25 = bm25s.BM25()
        self.bm25.index([t or [""] for t in terms] or [[""]], show_progress=False)
        self.names = NameIndex([d.names for d in documents])

    def rank_words(self, words: list[str], accept: Callable[[int], bool]) -> list[int]:
        scores = self.bm25.get_scores_from_ids(self.bm25.get_tokens_ids(words))
        order = np.argsort(-scores)
        return [int(i) for i in order[: CANDIDATES * 4] if scores[i] > 0 and accept(int(i))][:CANDIDATES]

    def rank_names(self, text: str, accept: Callable[[int], bool]) -> list[int]:
        return [i for i, _ in self.names.rank(text) if accept(i)][:CANDIDATES]


class HybridSearcher:
    """Search over the three collections; open once per process with ``get_searcher``.

    Every channel ranks the searched collections together (dense by cosine, BM25 on one corpus, names by
    coverage), so a weak perfume does not outrank a strong material just by leading its own collection.
    """

    def __init__(self, settings: Settings, kb: KnowledgeBase, embedder: Embedder, client: ClientAPI,
                 terms_cache: Path | None = None) -> None:
        self.settings = settings
        self.kb = kb
        self.embedder = embedder
        self._documents = [d for docs in build_documents(kb).values() for d in docs]
        self._positions = {d.id: i for i, d in enumerate(self._documents)}  # ids are unique across collections
        self._sizes = {name: sum(d.collection is name for d in self._documents) for name in CollectionName}
        self._lexical = _LexicalIndex(self._documents, terms_cache)
        self._collections = {name: get_collection(client, name) for name in CollectionName}
        # A turn searches its message more than once (materials for the brief, then all records):
        # the query is embedded once.
        self._query_vector = functools.lru_cache(maxsize=64)(lambda text: self.embedder.embed_queries([text])[0])

    def forget_queries(self) -> None:
        """Drop cached query embeddings (a latency benchmark measures every query cold)."""
        self._query_vector.cache_clear()

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> HybridSearcher:
        """Check the index is current, then load what searching needs (raises ``IndexNotReadyError``).

        Kiwi loads on a thread meanwhile (its C++ releases the GIL): loading it and analysing a first text take
        ~1.8 s of a cold `hyanggi search`, as long as everything else here, and a query needs it anyway.
        Nothing below calls kiwi before the thread is joined, so only one Kiwi is ever built.
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiwi") as pool:
            kiwi = pool.submit(lambda: get_kiwi().tokenize("향"))
            kb = load_knowledge_base()
            require_current_index(settings, kb)
            if embedder is None:
                from knowledge.embedding.embedder import Embedder

                embedder = Embedder.from_settings(settings)
            client = open_client(settings)
            kiwi.result()
        get_lexicon_matcher(kb, stems_cache=cache_path(settings, "lexicon_stems"))
        return cls(settings, kb, embedder, client, terms_cache=cache_path(settings, "bm25_terms"))

    def search(
        self,
        query: str,
        collections: Iterable[CollectionName] | None = None,
        k: int | None = None,
        filters: SearchFilters | None = None,
        weights: dict[CollectionName, float] | None = None,
        mode: SearchMode = SearchMode.hybrid,
    ) -> list[SearchResult]:
        """The ``k`` best records for a Korean (or English) query across ``collections``.

        ``weights`` scales each collection's fused scores when several are searched together.
        """
        k = k or self.settings.retrieval_k
        filters = filters or SearchFilters()
        names = set(collections or CollectionName)
        expanded = expand_query(query, self.kb)

        def accept(position: int) -> bool:
            document = self._documents[position]
            return document.collection in names and filters.accepts(document)

        rankings: list[tuple[float, list[int]]] = []
        if mode is not SearchMode.bm25:
            vector = self._query_vector(expanded.text)
            dense = [hit for name in names for hit in self._dense(name, vector, filters, CANDIDATES)]
            rankings.append((self.settings.dense_weight, [i for i, _ in sorted(dense, key=lambda h: -h[1])]))
        if mode is not SearchMode.dense:
            rankings.append((self.settings.bm25_weight, self._lexical.rank_words(expanded.words, accept)))
            rankings.append((self.settings.bm25_weight, self._lexical.rank_names(expanded.text, accept)))
        return self._fuse(rankings, weights or {}, k)

    def collection_of(self, item_id: str) -> CollectionName:
        """The collection holding ``item_id`` (ids are unique across collections)."""
        return self._documents[self._positions[item_id]].collection

    def get_similar_items(
        self, item_id: str, k: int = 5, collections: Iterable[CollectionName] | None = None
    ) -> list[SearchResult]:
        """Records closest to ``item_id`` by embedding ("more like this"), the item itself excluded."""
        if item_id not in self._positions:
            raise KeyError(item_id)
        home = self._documents[self._positions[item_id]].collection
        stored = self._collections[home].get(ids=[item_id], include=["embeddings"])["embeddings"]
        vector = np.asarray(stored[0], dtype=np.float32)
        hits = [hit for name in (collections or [home]) for hit in self._dense(name, vector, SearchFilters(), k + 1)
                if self._documents[hit[0]].id != item_id]
        return [self._result(i, s) for i, s in sorted(hits, key=lambda h: -h[1])[:k]]

    def _dense(self, name: CollectionName, vector: np.ndarray, filters: SearchFilters, n: int) -> list[tuple[int, float]]:
        if not self._sizes[name]:
            return []
        hits = self._collections[name].query(
            query_embeddings=[vector.tolist()], n_results=min(n, self._sizes[name]),
            where=filters.where(), include=["distances"],
        )
        ranked = [(self._positions[i], 1.0 - d) for i, d in zip(hits["ids"][0], hits["distances"][0], strict=True)]
        return [(i, s) for i, s in ranked if s >= self.settings.min_similarity]

    def _fuse(self, rankings: list[tuple[float, list[int]]], weights: dict[CollectionName, float], k: int) -> list[SearchResult]:
        rrf_k = self.settings.rrf_k
        best = sum(w for w, _ in rankings) / (rrf_k + 1)
        if best <= 0:
            return []
        fused: dict[int, float] = {}
        for channel_weight, ranking in rankings:
            for rank, position in enumerate(ranking, start=1):
                fused[position] = fused.get(position, 0.0) + channel_weight / (rrf_k + rank)
        scored = [(i, weights.get(self._documents[i].collection, 1.0) * s / best) for i, s in fused.items()]
        return [self._result(i, s) for i, s in sorted(scored, key=lambda kv: -kv[1])[:k]]

    def _result(self, position: int, score: float) -> SearchResult:
        document = self._documents[position]
        return SearchResult(**document.model_dump(include=set(RecordRef.model_fields)), score=round(score, 4),
                            text=document.text)


_SEARCHERS: dict[str, HybridSearcher] = {}


def get_searcher(settings: Settings) -> HybridSearcher:
    """The process-wide searcher for these settings (loading the embedder and BM25 takes seconds)."""
    key = settings.model_dump_json()
    if key not in _SEARCHERS:
        _SEARCHERS[key] = HybridSearcher.open(settings)
    return _SEARCHERS[key]
