"""Vocabulary pruning: which tokens a plan keeps, and a GGUF rewritten to them (a tiny synthetic model)."""

import numpy as np
import pytest
from gguf import GGUFReader, GGUFWriter

from finetune.vocab import (
    TokenType,
    Vocabulary,
    ensure_pruned,
    file_sha256,
    plan_vocabulary,
    pruned_path,
    write_pruned,
)

N, C, U, B = TokenType.normal, TokenType.control, TokenType.user_defined, TokenType.byte
TOKENS = ["<pad>", "<eos>", "<bos>", "<unused0>", "<0x41>", "\n\n", "▁", "a", "b", "c", "ab", "bc", "abc",
          "향", "향수", "xyz", "ж", "<end_of_turn>"]
TYPES = [C, C, C, C, B, U, N, N, N, N, N, N, N, N, N, N, N, C]


def vocabulary() -> Vocabulary:
    return Vocabulary(tokens=TOKENS, types=TYPES, special_ids=(0, 1, 2))


def kept_texts(plan) -> list[str]:
    return [TOKENS[i] for i in plan.kept]


def test_a_used_token_brings_every_piece_it_is_merged_from():
    plan = plan_vocabulary(vocabulary(), {TOKENS.index("abc")}, base_sha256="x", corpus_chars=3, ascii_margin=0)
    assert {"a", "b", "c", "ab", "bc", "abc"} <= set(kept_texts(plan))
    assert "xyz" not in kept_texts(plan)  # ASCII nobody uses and beyond the margin
    assert "ж" not in kept_texts(plan)  # another script, unused
    assert plan.reasons["substrings"] == 2  # ab and bc: single Latin letters are kept by their own rule


def test_specials_bytes_user_defined_and_all_hangul_are_kept_unused():
    texts = kept_texts(plan_vocabulary(vocabulary(), set(), base_sha256="x", corpus_chars=0, ascii_margin=0))
    assert {"<pad>", "<eos>", "<bos>", "<end_of_turn>", "<0x41>", "\n\n", "향", "향수"} <= set(texts)
    assert "<unused0>" not in texts


def test_ascii_margin_keeps_the_first_ascii_tokens_by_id():
    texts = kept_texts(plan_vocabulary(vocabulary(), set(), base_sha256="x", corpus_chars=0, ascii_margin=2))
    assert "a" in texts and "b" in texts and "xyz" not in texts  # "▁" is not ASCII; a, b come first


def tiny_gguf(path):
    writer = GGUFWriter(path, arch="gemma3")
    writer.add_uint32("gemma3.embedding_length", 4)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(TOKENS)
    writer.add_token_scores([-float(i) for i in range(len(TOKENS))])
    writer.add_token_types(TYPES)
    writer.add_bos_token_id(2)
    writer.add_eos_token_id(1)
    writer.add_uint32("tokenizer.ggml.eot_token_id", TOKENS.index("<end_of_turn>"))
    writer.add_tensor("token_embd.weight", np.arange(len(TOKENS) * 4, dtype=np.float32).reshape(len(TOKENS), 4))
    writer.add_tensor("output_norm.weight", np.ones(4, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_rewritten_gguf_has_the_kept_rows_tokens_and_remapped_special_ids(tmp_path):
    base = tiny_gguf(tmp_path / "tiny.gguf")
    plan = plan_vocabulary(vocabulary(), {TOKENS.index("ab")}, base_sha256=file_sha256(base), corpus_chars=2,
                           ascii_margin=0)
    reader = GGUFReader(write_pruned(base, plan, tmp_path / "pruned.gguf"))
    assert reader.fields["tokenizer.ggml.tokens"].contents() == kept_texts(plan)
    assert reader.fields["tokenizer.ggml.scores"].contents() == [-float(i) for i in plan.kept]
    assert reader.fields["tokenizer.ggml.token_type"].contents() == [TYPES[i] for i in plan.kept]
    assert reader.fields["gemma3.embedding_length"].contents() == 4
    eot = reader.fields["tokenizer.ggml.eot_token_id"].contents()
    assert reader.fields["tokenizer.ggml.tokens"].contents()[eot] == "<end_of_turn>"
    tensors = {t.name: t for t in reader.tensors}
    rows = np.asarray(tensors["token_embd.weight"].data)
    assert rows.shape == (len(plan.kept), 4)
    assert rows[:, 0].tolist() == [4.0 * i for i in plan.kept]
    assert np.asarray(tensors["output_norm.weight"].data).tolist() == [1.0] * 4


def test_ensure_pruned_builds_once_per_plan_and_refuses_a_plan_for_another_model(tmp_path):
    base = tiny_gguf(tmp_path / "tiny.gguf")
    plan_file = tmp_path / "vocab.json"

    def save(plan):
        plan_file.write_text(plan.model_dump_json())
        return plan

    plan = save(plan_vocabulary(vocabulary(), set(), base_sha256=file_sha256(base), corpus_chars=0))
    out = ensure_pruned(base, plan_file)
    assert out == pruned_path(base) == tmp_path / "tiny.pruned.gguf"
    built = out.stat().st_mtime_ns
    assert ensure_pruned(base, plan_file).stat().st_mtime_ns == built
    smaller = save(plan.model_copy(update={"kept": [i for i in plan.kept if TOKENS[i] != "향수"]}))
    assert len(GGUFReader(ensure_pruned(base, plan_file)).fields["tokenizer.ggml.tokens"].contents()) == len(
        smaller.kept)  # a new plan: rebuilt
    save(plan.model_copy(update={"base_sha256": "0" * 64, "kept": plan.kept[:4]}))
    with pytest.raises(ValueError, match="다른 기본 모델"):
        ensure_pruned(base, plan_file)
