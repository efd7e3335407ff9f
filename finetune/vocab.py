"""A smaller vocabulary for the generator: the tokens our prompts and answers use, and the GGUF rewritten to it.

Gemma 3's 262,144-token embedding is 72 % of the bytes each decoded token reads (it is also the output
matrix, and the sampler and grammar walk every row of its logits), yet a Korean fragrance assistant uses a
few percent of it. The plan keeps every token that the training data, the knowledge base and the evaluation
texts tokenize into, every Hangul token, the most common ASCII merges, every byte token (byte fallback: any
input still tokenizes), the user-defined and the special tokens — and then every token that is a substring of
a kept one. SentencePiece builds a token by merging adjacent pieces, each a substring of it, so with that
closure a text of the corpus tokenizes into exactly the tokens it did before, and the model sees what it
was trained on. The LoRA adapter touches attention and MLP weights only, so it applies unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

# The first ASCII tokens by id (SentencePiece scores fall with id: the most common merges come first), kept
# beyond the corpus so English names and numbers we have not seen still tokenize into familiar pieces.
ASCII_MARGIN = 8000
SPECIAL_TEXTS = ("<start_of_turn>", "<end_of_turn>", "<mask>")
# Single characters kept whatever the corpus says: Latin-1, general punctuation, arrows, math, CJK punctuation.
_SINGLE_RANGES = ((0x20, 0x24F), (0x2000, 0x22FF), (0x3000, 0x303F), (0xFF01, 0xFF5E))
_HANGUL = re.compile("[\u1100-\u11ff\u3131-\u318e\uac00-\ud7a3]")
_VOCAB_ROWS = ("token_embd.weight", "output.weight")  # one row per token (Gemma ties them: no output.weight)
PLAN_KEY = "hyanggi.vocab_plan"  # the plan's digest, written into the pruned GGUF
DATA_ROOTS = ("knowledge/data", "eval/data", "prompts")  # under the checkout
_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".md", ".txt")


class TokenType:
    """llama.cpp's token types as GGUF stores them."""

    normal, unknown, control, user_defined, unused, byte = 1, 2, 3, 4, 5, 6


class VocabPlan(BaseModel):
    """Which token ids of the base model the pruned model keeps, in their original order."""

    base_sha256: str = Field(description="the base GGUF the ids refer to")
    base_vocab: int
    kept: list[int]
    reasons: dict[str, int] = Field(description="tokens added by each rule, in the order the rules run")
    corpus_chars: int

    @property
    def digest(self) -> str:
        """Short hash of the plan, stored in the pruned file: a new plan never reuses an old file."""
        payload = json.dumps([self.base_sha256, self.kept]).encode()
        return hashlib.sha256(payload).hexdigest()[:10]


@dataclass(frozen=True)
class Vocabulary:
    tokens: list[str]
    types: list[int]
    special_ids: tuple[int, ...]


def read_vocabulary(path: Path) -> Vocabulary:
    from gguf import GGUFReader

    reader = GGUFReader(path)
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    types = reader.fields["tokenizer.ggml.token_type"].contents()
    special = tuple(int(field.contents()) for name, field in reader.fields.items()
                    if name.startswith("tokenizer.ggml.") and name.endswith("_token_id"))
    return Vocabulary(tokens=tokens, types=types, special_ids=special)


def dataset_texts(dataset_dir: Path) -> Iterator[str]:
    """The generator's training prompts and targets."""
    for name in ("train.jsonl", "dev.jsonl"):
        for line in (dataset_dir / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                example = json.loads(line)
                yield example["prompt"]
                yield example["target"]


def data_texts(roots: Iterable[Path]) -> Iterator[str]:
    """Every text data file under ``roots``: names, descriptors, documents, evaluation messages."""
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in _SUFFIXES and path.is_file():
                yield path.read_text(encoding="utf-8")


def plan_vocabulary(vocab: Vocabulary, used: set[int], *, base_sha256: str, corpus_chars: int,
                    ascii_margin: int = ASCII_MARGIN) -> VocabPlan:
    """Keep ``used`` and what every input needs, closed under substrings (see the module docstring)."""
    tokens, types = vocab.tokens, vocab.types
    kept: set[int] = set()
    reasons: dict[str, int] = {}

    def add(reason: str, ids: Iterable[int]) -> None:
        before = len(kept)
        kept.update(ids)
        reasons[reason] = len(kept) - before

    every = range(len(tokens))
    add("special", [*vocab.special_ids, *(i for i in every if tokens[i] in SPECIAL_TEXTS)])
    add("byte and user-defined", (i for i in every if types[i] in (TokenType.byte, TokenType.user_defined)))
    add("corpus", used)
    add("hangul", (i for i in every if types[i] == TokenType.normal and _HANGUL.search(tokens[i])))
    add("single characters", (i for i in every if types[i] == TokenType.normal and len(tokens[i]) == 1
                              and any(lo <= ord(tokens[i]) <= hi for lo, hi in _SINGLE_RANGES)))
    add("ascii margin", [i for i in every if types[i] == TokenType.normal and tokens[i].isascii()][:ascii_margin])
    by_text = {tokens[i]: i for i in every if types[i] == TokenType.normal}
    add("substrings", [by_text[piece] for i in list(kept) if types[i] == TokenType.normal
                       for piece in _substrings(tokens[i]) if piece in by_text])
    return VocabPlan(base_sha256=base_sha256, base_vocab=len(tokens), kept=sorted(kept), reasons=reasons,
                     corpus_chars=corpus_chars)


def _substrings(text: str) -> Iterator[str]:
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            yield text[start:end]


def used_ids(tokenize: Callable[[str], Sequence[int]], texts: Iterable[str]) -> tuple[set[int], int]:
    """Token ids the texts tokenize into, and how many characters were read."""
    used: set[int] = set()
    chars = 0
    for text in texts:
        chars += len(text)
        used.update(tokenize(text))
    return used, chars


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_pruned(base: Path, plan: VocabPlan, out: Path) -> Path:
    """The base GGUF with only the plan's tokens: tokenizer arrays and embedding rows, everything else as is.

    Written to a temporary name and renamed, so a crash never leaves a half file that looks finished.
    """
    import numpy as np
    from gguf import GGUFReader, GGUFValueType, GGUFWriter, Keys

    reader = GGUFReader(base)
    keep = np.asarray(plan.kept, dtype=np.int64)
    new_id = {old: new for new, old in enumerate(plan.kept)}
    replaced = {"tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"}
    arch = reader.fields[Keys.General.ARCHITECTURE].contents()
    partial = out.with_name(out.name + ".partial")
    writer = GGUFWriter(partial, arch=arch)
    for field in reader.fields.values():
        if field.name == Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue  # written by GGUFWriter itself
        value = field.contents()
        if field.name in replaced:
            value = [value[i] for i in plan.kept]
        elif field.name.startswith("tokenizer.ggml.") and field.name.endswith("_token_id"):
            value = new_id[value]  # special tokens are always kept
        kind = field.types[0]
        writer.add_key_value(field.name, value, kind, sub_type=field.types[-1] if kind == GGUFValueType.ARRAY else None)
    writer.add_string(PLAN_KEY, plan.digest)
    tensors = [tensor.data[keep] if tensor.name in _VOCAB_ROWS else tensor.data for tensor in reader.tensors]
    for tensor, data in zip(reader.tensors, tensors, strict=True):
        writer.add_tensor_info(tensor.name, data.shape, data.dtype, data.nbytes, tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for data in tensors:
        writer.write_tensor_data(np.ascontiguousarray(data), tensor_endianess=reader.endianess)
    writer.close()
    os.replace(partial, out)
    return out


def load_plan(path: Path) -> VocabPlan:
    return VocabPlan.model_validate_json(path.read_text(encoding="utf-8"))


def pruned_path(base: Path) -> Path:
    """A fixed name beside the base, so a model server's command line can name it."""
    return base.with_name(f"{base.stem}.pruned{base.suffix}")


def _built_from(path: Path) -> str:
    from gguf import GGUFReader

    field = GGUFReader(path).fields.get(PLAN_KEY)
    return str(field.contents()) if field is not None else ""


def ensure_pruned(base: Path, plan_path: Path) -> Path:
    """The pruned GGUF next to ``base``, rebuilt when the plan changes; refuses a plan for another base model."""
    plan = load_plan(plan_path)
    out = pruned_path(base)
    if out.is_file() and _built_from(out) == plan.digest:
        return out
    actual = file_sha256(base)
    if actual != plan.base_sha256:
        raise ValueError(f"어휘 계획({plan_path})은 다른 기본 모델용입니다: {plan.base_sha256[:12]} ≠ {actual[:12]}")
    return write_pruned(base, plan, out)
