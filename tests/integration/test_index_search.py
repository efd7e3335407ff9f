"""The real embedder and a real Chroma on the small fixture knowledge base: build, skip, search, CLI.

The fixture (8 materials, 2 accords, 2 perfumes) keeps the build to a few seconds; the full data set is
measured by `hyanggi eval retrieval` and `hyanggi bench retrieval`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import knowledge.kb
from hyanggi.settings import Settings, get_settings
from knowledge.documents import CollectionName
from knowledge.embedding.embedder import Embedder
from knowledge.index import IndexNotReadyError, build_index, open_client, require_current_index
from knowledge.kb import load_knowledge_base
from knowledge.search import HybridSearcher, SearchMode
from tests.unit.kb_fixtures import write_kb
from ui.cli import app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Embedder]]:
    root = tmp_path_factory.mktemp("index")
    patch = pytest.MonkeyPatch()
    patch.setattr(knowledge.kb, "DEFAULT_DATA_DIR", write_kb(root))
    model = get_settings().embedder_name_or_path
    patch.setenv("HYANGGI_DATA_DIR", str(root / "derived"))
    patch.setenv("HYANGGI_EMBEDDER_MODEL", model)
    get_settings.cache_clear()
    settings = get_settings()
    embedder = Embedder.from_settings(settings)
    build_index(settings, progress=False, embedder=embedder)
    yield settings, embedder
    patch.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def searcher(env: tuple[Settings, Embedder]) -> HybridSearcher:
    settings, embedder = env
    return HybridSearcher.open(settings, embedder=embedder)


def test_build_is_skipped_until_forced(env: tuple[Settings, Embedder]) -> None:
    settings, embedder = env
    again = build_index(settings, progress=False, embedder=embedder)
    assert not again.built and again.manifest.counts == {"materials": 8, "accords": 2, "perfumes": 2}
    assert again.manifest.dimension == embedder.dimension == 384


def test_collections_hold_our_vectors_and_no_embedding_function(env: tuple[Settings, Embedder]) -> None:
    settings, embedder = env
    collection = open_client(settings).get_collection("materials", embedding_function=None)
    assert collection.configuration.get("embedding_function") is None
    stored = collection.get(ids=["hedione"], include=["embeddings", "documents"])
    expected = embedder.embed_passages([stored["documents"][0]])[0]
    assert float(stored["embeddings"][0] @ expected) == pytest.approx(1.0, abs=1e-4)


def test_stale_index_is_refused(env: tuple[Settings, Embedder], tmp_path: Path) -> None:
    settings, _ = env
    other = load_knowledge_base(write_kb(tmp_path, accords=[]))
    with pytest.raises(IndexNotReadyError, match="hyanggi kb index"):
        require_current_index(settings, other)


@pytest.mark.parametrize(
    ("query", "expected"),
    [("베르가뭇", "bergamot_oil"), ("샌달 우드", "sandalwood_oil"), ("상큼하고 톡 쏘는 레몬", "lemon_oil"),
     ("달콤한 바닐라", "vanillin"), ("투명한 자스민", "hedione")],
)
def test_hybrid_finds_materials(searcher: HybridSearcher, query: str, expected: str) -> None:
    results = searcher.search(query, collections=[CollectionName.materials], k=3)
    assert results[0].id == expected


def test_each_mode_answers(searcher: HybridSearcher) -> None:
    for mode in SearchMode:
        results = searcher.search("이끼 낀 고전 시프레 향수", collections=[CollectionName.perfumes], k=2, mode=mode)
        assert results[0].id == "guerlain_mitsouko", mode


def test_more_like_this(searcher: HybridSearcher) -> None:
    assert "lemon_oil" not in [r.id for r in searcher.get_similar_items("lemon_oil", k=3)]


def test_cli_reads_queries_from_stdin(env: tuple[Settings, Embedder]) -> None:
    result = CliRunner().invoke(app, ["search", "-", "--collection", "materials", "--k", "2"], input="베르가못\n장미\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == ["베르가못", "장미"]
    assert lines[0]["results"][0]["id"] == "bergamot_oil"
    assert set(lines[0]["results"][0]) == {"id", "collection", "name_ko", "name_en", "cas", "score", "text"}
