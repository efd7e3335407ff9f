"""The dense side of retrieval: our own embeddings of every document, stored in ChromaDB.

The index is derived data, rebuilt from ``knowledge/data/``. A manifest written *after* a complete
build records the data's content hash and the embedder's identity; a build whose manifest matches is
skipped, and a search against a missing or stale index is refused with what to run.
Chroma is embedded (``<data_dir>/chroma``, the manifest a file beside it) or, with ``HYANGGI_CHROMA_URL``,
a Chroma server every worker shares (the manifest then lives in the server, as a collection's metadata).
Chroma never embeds anything itself: collections are created without an embedding function and every
write and query passes vectors.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import BaseModel

from hyanggi.settings import Settings
from knowledge.documents import CollectionName, Document, build_documents
from knowledge.kb import KnowledgeBase, load_knowledge_base
from knowledge.korean import word_tokens
from knowledge.lexicon import get_lexicon_matcher
from knowledge.token_cache import cache_path, cached_terms

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from knowledge.embedding.embedder import Embedder

MANIFEST_NAME = "hyanggi_manifest.json"
MANIFEST_COLLECTION = "hyanggi_manifest"  # on a Chroma server: no records, the manifest JSON in its metadata
EMBED_BATCH = 128  # per progress step; the embedder sorts by length inside it to limit padding


class IndexNotReadyError(RuntimeError):
    """The index is missing or was built from other data or another embedder."""


class IndexManifest(BaseModel):
    content_hash: str
    embedder: str
    dimension: int
    counts: dict[str, int]
    build_seconds: float


class IndexReport(BaseModel):
    """What ``build_index`` did: ``built`` is False when an up-to-date index was kept."""

    built: bool
    manifest: IndexManifest


def embedder_identity(settings: Settings) -> str:
    """What the stored vectors depend on besides the data: model, its export (when we made it), and the
    prefixes put before texts — a re-exported model folder forces a rebuild.

    A model inside the data folder is named relative to it, so a data folder copied elsewhere
    (``HYANGGI_DATA_DIR=/new/place``) keeps a current index.
    """
    model = Path(settings.embedder_name_or_path)
    marker = model / "hyanggi_export.json"
    export = ""
    if marker.is_file():
        made = json.loads(marker.read_text())
        export = f"{made.get('source_sha256', '')}:{made.get('export_version', '')}"
    name = settings.embedder_name_or_path
    if model.is_absolute() and model.resolve().is_relative_to(settings.data_dir.resolve()):
        name = model.resolve().relative_to(settings.data_dir.resolve()).as_posix()
    return f"{name}|{export}|{settings.embedder_query_prefix}|{settings.embedder_passage_prefix}"


def open_client(settings: Settings) -> ClientAPI:
    """The configured Chroma server, else the embedded directory; telemetry off either way."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        url = urlsplit(settings.chroma_url)
        return chromadb.HttpClient(host=url.hostname or "localhost", port=url.port or 8000,
                                   ssl=url.scheme == "https", settings=chroma_settings)
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def _manifest_path(settings: Settings) -> Path:
    return settings.chroma_dir / MANIFEST_NAME


def _stored_manifest(settings: Settings) -> str | None:
    if not settings.chroma_url:
        path = _manifest_path(settings)
        return path.read_text(encoding="utf-8") if path.is_file() else None
    client = open_client(settings)
    if MANIFEST_COLLECTION not in {c.name for c in client.list_collections()}:
        return None
    return (client.get_collection(MANIFEST_COLLECTION, embedding_function=None).metadata or {}).get("manifest")


def _store_manifest(settings: Settings, manifest: IndexManifest | None) -> None:
    """Write the manifest, or with None remove it (before a build, so a half-built index never looks current)."""
    text = None if manifest is None else json.dumps(manifest.model_dump(), indent=2)
    if not settings.chroma_url:
        if text is None:
            _manifest_path(settings).unlink(missing_ok=True)
        else:
            _manifest_path(settings).write_text(text, encoding="utf-8")
        return
    client = open_client(settings)
    if MANIFEST_COLLECTION in {c.name for c in client.list_collections()}:
        client.delete_collection(MANIFEST_COLLECTION)
    if text is not None:
        client.create_collection(MANIFEST_COLLECTION, embedding_function=None, metadata={"manifest": text})


def read_manifest(settings: Settings) -> IndexManifest | None:
    text = _stored_manifest(settings)
    if text is None:
        return None
    try:
        return IndexManifest.model_validate_json(text)
    except ValueError:
        return None


def _is_current(manifest: IndexManifest | None, kb: KnowledgeBase, settings: Settings) -> bool:
    return (
        manifest is not None
        and manifest.content_hash == kb.content_hash
        and manifest.embedder == embedder_identity(settings)
    )


def get_collection(client: ClientAPI, name: CollectionName) -> Collection:
    """An existing collection, opened without an embedding function (we always pass vectors)."""
    return client.get_collection(name.value, embedding_function=None)


def _write_collection(
    client: ClientAPI, name: CollectionName, documents: list[Document], vectors: list[list[float]]
) -> None:
    if name.value in {c.name for c in client.list_collections()}:
        client.delete_collection(name.value)
    collection = client.create_collection(
        name.value, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    batch = client.get_max_batch_size()
    for start in range(0, len(documents), batch):
        chunk = documents[start : start + batch]
        collection.upsert(
            ids=[d.id for d in chunk],
            embeddings=vectors[start : start + batch],
            documents=[d.text for d in chunk],
            metadatas=[{**d.metadata, "name_ko": d.name_ko, "name_en": d.name_en, "cas": d.cas} for d in chunk],
        )


def _embed(embedder: Embedder, texts: list[str], label: str, progress: bool) -> list[list[float]]:
    from tqdm import tqdm

    vectors: list[list[float]] = []
    batches = range(0, len(texts), EMBED_BATCH)
    for start in tqdm(batches, desc=f"임베딩 {label}", unit="batch", disable=not progress):
        vectors.extend(embedder.embed_passages(texts[start : start + EMBED_BATCH]).tolist())
    return vectors


def build_index(
    settings: Settings, progress: bool = True, force: bool = False, embedder: Embedder | None = None
) -> IndexReport:
    """Embed every document and store it in Chroma; skipped when data and embedder are unchanged."""
    kb = load_knowledge_base()
    documents = build_documents(kb)
    # The lexical side too, so the first search after setup reads kiwi's analyses instead of redoing them.
    cached_terms([d.text for docs in documents.values() for d in docs], cache_path(settings, "bm25_terms"), word_tokens)
    get_lexicon_matcher(kb, stems_cache=cache_path(settings, "lexicon_stems"))
    manifest = read_manifest(settings)
    if not force and _is_current(manifest, kb, settings) and manifest is not None:
        return IndexReport(built=False, manifest=manifest)
    if embedder is None:
        from knowledge.embedding.embedder import Embedder

        embedder = Embedder.from_settings(settings)
    started = time.perf_counter()
    _store_manifest(settings, None)  # a build that dies half-way must not look complete
    client = open_client(settings)
    for name, docs in documents.items():
        vectors = _embed(embedder, [d.text for d in docs], name.value, progress)
        _write_collection(client, name, docs, vectors)
    manifest = IndexManifest(
        content_hash=kb.content_hash,
        embedder=embedder_identity(settings),
        dimension=embedder.dimension,
        counts={name.value: len(docs) for name, docs in documents.items()},
        build_seconds=round(time.perf_counter() - started, 2),
    )
    _store_manifest(settings, manifest)
    return IndexReport(built=True, manifest=manifest)


def require_current_index(settings: Settings, kb: KnowledgeBase) -> IndexManifest:
    """The manifest of an index that matches ``kb``; otherwise a Korean+English error saying what to run."""
    manifest = read_manifest(settings)
    if manifest is None:
        raise IndexNotReadyError(
            f"검색 색인이 없습니다. 먼저 `hyanggi setup`을 실행하세요. "
            f"(No search index in {settings.index_location}: run `hyanggi setup`.)"
        )
    if not _is_current(manifest, kb, settings):
        raise IndexNotReadyError(
            "지식 베이스나 임베더가 바뀌어 검색 색인이 오래되었습니다. `hyanggi kb index`를 실행하세요. "
            "(The search index is stale: run `hyanggi kb index`.)"
        )
    return manifest
