"""PEFT → GGUF LoRA: names and shapes in llama.cpp's layout, values preserved, provenance published."""

import json

import numpy as np
import pytest

from finetune.export import (
    EVAL_MARKER,
    export_adapter,
    gguf_tensor_name,
    peft_copy_dir,
    read_lora_gguf,
    write_fp16_peft,
    write_lora_gguf,
)


def peft_state(rank=4, layers=(0, 3)):
    rng = np.random.default_rng(0)
    shapes = {"self_attn.q_proj": (1024, 640), "self_attn.k_proj": (256, 640), "mlp.down_proj": (640, 2048)}
    state = {}
    for layer in layers:
        for module, (out_f, in_f) in shapes.items():
            prefix = f"base_model.model.model.layers.{layer}.{module}"
            state[f"{prefix}.lora_A.weight"] = rng.standard_normal((rank, in_f)).astype(np.float32)
            state[f"{prefix}.lora_B.weight"] = rng.standard_normal((out_f, rank)).astype(np.float32)
    return state


@pytest.mark.parametrize(("key", "name"), [
    ("base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight", "blk.3.attn_q.weight.lora_a"),
    ("base_model.model.model.layers.17.self_attn.o_proj.lora_B.weight", "blk.17.attn_output.weight.lora_b"),
    ("base_model.model.model.layers.0.mlp.gate_proj.lora_A.weight", "blk.0.ffn_gate.weight.lora_a"),
    ("base_model.model.model.layers.5.mlp.down_proj.lora_B.default.weight", "blk.5.ffn_down.weight.lora_b"),
])
def test_tensor_names_follow_llama_cpp(key, name):
    assert gguf_tensor_name(key) == name


def test_non_projection_tensors_are_refused():
    with pytest.raises(ValueError):
        gguf_tensor_name("base_model.model.lm_head.lora_A.weight")


def test_round_trip_keeps_metadata_shapes_and_values(tmp_path):
    import gguf

    state = peft_state()
    path = write_lora_gguf(state, alpha=16.0, out_path=tmp_path / "a.gguf")
    reader = gguf.GGUFReader(str(path))
    field = lambda key: bytes(reader.fields[key].parts[-1]).decode()  # noqa: E731
    assert field("general.type") == "adapter"
    assert field("general.architecture") == "gemma3"
    assert field("adapter.type") == "lora"
    alpha, tensors = read_lora_gguf(path)
    assert alpha == 16.0
    a = tensors["blk.3.attn_q.weight.lora_a"]
    b = tensors["blk.3.attn_q.weight.lora_b"]
    # llama.cpp checks ggml ne: a = (n_in, r), b = (r, n_out) — numpy order reversed
    ggml = {t.name: [int(d) for d in t.shape] for t in reader.tensors}
    assert ggml["blk.3.attn_q.weight.lora_a"] == [640, 4]
    assert ggml["blk.3.attn_q.weight.lora_b"] == [4, 1024]
    source = "base_model.model.model.layers.3.self_attn.q_proj"
    np.testing.assert_allclose(a, state[f"{source}.lora_A.weight"], rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(b @ a, state[f"{source}.lora_B.weight"] @ state[f"{source}.lora_A.weight"],
                               rtol=2e-2, atol=2e-2)


def test_unpaired_or_mismatched_tensors_are_refused(tmp_path):
    state = peft_state()
    state.pop("base_model.model.model.layers.0.mlp.down_proj.lora_B.weight")
    with pytest.raises(ValueError):
        write_lora_gguf(state, 16.0, tmp_path / "bad.gguf")


def _peft_dir(tmp_path, **config):
    from safetensors.numpy import save_file

    folder = tmp_path / "best"
    folder.mkdir()
    save_file(peft_state(), str(folder / "adapter_model.safetensors"))
    (folder / "adapter_config.json").write_text(json.dumps({"lora_alpha": 8, "r": 4, **config}))
    return folder


def test_export_adapter_and_fp16_copy(tmp_path):
    folder = _peft_dir(tmp_path)
    out = export_adapter(folder, tmp_path / "adapters" / "hyanggi-lora.gguf")
    assert read_lora_gguf(out)[0] == 8.0
    copy = write_fp16_peft(folder, peft_copy_dir(out))
    assert copy.name == "hyanggi-lora-peft"
    from safetensors.numpy import load_file

    assert all(v.dtype == np.float16 for v in load_file(str(copy / "adapter_model.safetensors")).values())


def test_dora_adapters_are_refused(tmp_path):
    with pytest.raises(ValueError):
        export_adapter(_peft_dir(tmp_path, use_dora=True), tmp_path / "x.gguf")


def test_eval_marker_is_a_heading():
    assert EVAL_MARKER.startswith("## ")
