"""Fusion, typo tolerance, query expansion, filters and weights, with a fake embedder and a fake Chroma.

The fakes keep the logic around the components testable in milliseconds; the real embedder and
Chroma are exercised in ``tests/integration/test_index_search.py``.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from hyanggi.settings import Settings
from knowledge.documents import CollectionName, build_documents
from knowledge.kb import KnowledgeBase, load_knowledge_base
from knowledge.korean import char_ngrams
from knowledge.search import HybridSearcher, SearchFilters, SearchMode, expand_query
from perfumery.models import NotePosition
from tests.unit.kb_fixtures import write_kb


class FakeEmbedder:
    """Hashed jamo trigrams: similar strings get similar vectors, nothing is learned."""

    dimension = 64

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for gram in char_ngrams(text):
                out[row, zlib.crc32(gram.encode()) % self.dimension] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)

    embed_queries = embed_passages = _embed


class FakeCollection:
    def __init__(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict]) -> None:
        self.ids, self.vectors, self.metadatas = ids, vectors, metadatas

    def query(self, query_embeddings: list[list[float]], n_results: int, where: dict | None, include: list[str]) -> dict:
        clauses = [] if where is None else where.get("$and", [where])
        keep = [i for i, m in enumerate(self.metadatas) if all(m.get(k) == v for c in clauses for k, v in c.items())]
        similarity = self.vectors[keep] @ np.asarray(query_embeddings[0])
        order = np.argsort(-similarity)[:n_results]
        return {"ids": [[self.ids[keep[i]] for i in order]], "distances": [[float(1 - similarity[i]) for i in order]]}

    def get(self, ids: list[str], include: list[str]) -> dict:
        return {"embeddings": [self.vectors[self.ids.index(i)] for i in ids]}


class FakeClient:
    def __init__(self, kb: KnowledgeBase, embedder: FakeEmbedder) -> None:
        self.collections = {
            name.value: FakeCollection([d.id for d in docs], embedder.embed_passages([d.text for d in docs]),
                                       [d.metadata for d in docs])
            for name, docs in build_documents(kb).items()
        }

    def get_collection(self, name: str, embedding_function: None) -> FakeCollection:
        assert embedding_function is None
        return self.collections[name]


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    return load_knowledge_base(write_kb(tmp_path_factory.mktemp("kb")))


@pytest.fixture(scope="module")
def searcher(kb: KnowledgeBase) -> HybridSearcher:
    embedder = FakeEmbedder()
    return HybridSearcher(Settings(rrf_k=60), kb, embedder, FakeClient(kb, embedder))  # type: ignore[arg-type]


def _ids(results: list) -> list[str]:
    return [r.id for r in results]


@pytest.mark.parametrize("query", ["베르가못", "베르가뭇 향", "bergamot oil"])
def test_material_names_survive_typos(searcher: HybridSearcher, query: str) -> None:
    assert _ids(searcher.search(query, k=3, mode=SearchMode.bm25))[0] == "bergamot_oil"


def test_spacing_variant_finds_the_material(searcher: HybridSearcher) -> None:
    assert _ids(searcher.search("샌달 우드", collections=[CollectionName.materials], k=1)) == ["sandalwood_oil"]


def test_lexicon_expands_moods_into_descriptors(kb: KnowledgeBase) -> None:
    expanded = expand_query("상큼한 느낌", kb)
    assert {"citrus", "시트러스", "fresh"} <= set(expanded.words)


def test_negated_terms_leave_the_query(kb: KnowledgeBase, searcher: HybridSearcher) -> None:
    expanded = expand_query("바닐라 말고 장미", kb)
    assert "바닐라" not in expanded.text and "vanilla" not in expanded.words
    materials = _ids(searcher.search("바닐라 말고 장미", collections=[CollectionName.materials], k=3,
                                     mode=SearchMode.bm25))
    assert materials[0] == "rose_absolute" and "vanillin" not in materials


def test_filters_apply_to_every_channel(searcher: HybridSearcher) -> None:
    base = searcher.search("향", k=10, filters=SearchFilters(note=NotePosition.base))
    assert base and {r.id for r in base} <= {"sandalwood_oil", "vanillin", "oakmoss_absolute"}
    restricted = searcher.search("이끼 흙 냄새", k=10, filters=SearchFilters(restricted=True))
    assert _ids(restricted)[0] == "oakmoss_absolute" and set(_ids(restricted)) <= {"oakmoss_absolute", "bergamot_oil"}


def test_collection_weights_scale_scores(searcher: HybridSearcher) -> None:
    results = searcher.search("라벤더 바닐라", k=20, weights={CollectionName.perfumes: 0.0})
    perfume_scores = [r.score for r in results if r.collection is CollectionName.perfumes]
    assert perfume_scores and max(perfume_scores) == 0.0
    assert results[0].collection is not CollectionName.perfumes


def test_scores_are_normalized_to_the_best_possible(searcher: HybridSearcher) -> None:
    results = searcher.search("헤디온", collections=[CollectionName.materials], k=3)
    assert results[0].id == "hedione"
    assert all(0 < r.score <= 1 for r in results)
    assert results == sorted(results, key=lambda r: -r.score)


def test_similarity_threshold_drops_weak_dense_hits(kb: KnowledgeBase) -> None:
    embedder = FakeEmbedder()
    strict = HybridSearcher(Settings(min_similarity=0.99), kb, embedder, FakeClient(kb, embedder))  # type: ignore[arg-type]
    assert strict.search("전혀 관계없는 문장", k=5, mode=SearchMode.dense) == []


def test_similar_items_exclude_the_item(searcher: HybridSearcher) -> None:
    similar = searcher.get_similar_items("lemon_oil", k=3)
    assert "lemon_oil" not in _ids(similar) and len(similar) == 3
    assert all(r.collection is CollectionName.materials for r in similar)
    with pytest.raises(KeyError):
        searcher.get_similar_items("nope")
