"""The search index on a real Chroma server (`chroma run`), on the small fixture knowledge base: the build
writes there (our vectors, no embedding function, the manifest with it), and a second worker with its own
data folder searches the same index without building anything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import knowledge.kb
from hyanggi.settings import Settings, get_settings
from knowledge.documents import CollectionName
from knowledge.embedding.embedder import Embedder
from knowledge.index import MANIFEST_COLLECTION, build_index, open_client, read_manifest
from knowledge.search import HybridSearcher
from tests.unit.kb_fixtures import write_kb

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, chroma_url: str) -> Iterator[tuple[Settings, Embedder]]:
    root = tmp_path_factory.mktemp("chroma-server")
    patch = pytest.MonkeyPatch()
    patch.setattr(knowledge.kb, "DEFAULT_DATA_DIR", write_kb(root))
    settings = Settings(data_dir=root / "worker1", embedder_model=get_settings().embedder_name_or_path,
                        chroma_url=chroma_url)
    embedder = Embedder.from_settings(settings)
    assert build_index(settings, progress=False, embedder=embedder).built
    yield settings, embedder
    patch.undo()


def test_the_build_lives_on_the_server(env: tuple[Settings, Embedder]) -> None:
    settings, embedder = env
    assert not settings.chroma_dir.exists()  # nothing embedded was written
    client = open_client(settings)
    names = {c.name for c in client.list_collections()}
    assert {c.value for c in CollectionName} | {MANIFEST_COLLECTION} <= names
    collection = client.get_collection("materials", embedding_function=None)
    stored = collection.get(ids=["hedione"], include=["embeddings", "documents"])
    expected = embedder.embed_passages([stored["documents"][0]])[0]
    assert float(stored["embeddings"][0] @ expected) == pytest.approx(1.0, abs=1e-4)
    assert read_manifest(settings).counts == {"materials": 8, "accords": 2, "perfumes": 2}
    assert not build_index(settings, progress=False, embedder=embedder).built  # the server's manifest is current


def test_another_worker_searches_the_same_index(env: tuple[Settings, Embedder], tmp_path: Path) -> None:
    settings, embedder = env
    other = settings.model_copy(update={"data_dir": tmp_path / "worker2"})
    searcher = HybridSearcher.open(other, embedder=embedder)
    assert searcher.search("베르가뭇", collections=[CollectionName.materials], k=3)[0].id == "bergamot_oil"
    assert searcher.search("달콤한 바닐라", collections=[CollectionName.materials], k=3)[0].id == "vanillin"
