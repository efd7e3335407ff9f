"""PEFT LoRA adapter → GGUF LoRA adapter that llama.cpp loads next to the GGUF base.

Layout llama.cpp expects (src/llama-adapter.cpp): ``general.type = adapter``,
``general.architecture`` equal to the base's (``gemma3``), ``adapter.type = lora``,
``adapter.lora.alpha``; for each adapted base tensor ``<name>.lora_a`` with ggml shape
(n_in, r) and ``<name>.lora_b`` with (r, n_out) — in numpy order exactly PEFT's
``lora_A.weight`` (r × in) and ``lora_B.weight`` (out × r). Gemma 3 needs no permutation of
q/k (unlike llama), so the matrices are written as they are; llama.cpp applies
``scale = alpha / r`` like PEFT does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from finetune.registry import ModelCheckpoint

# Hugging Face module (inside a Gemma 3 decoder layer) → llama.cpp tensor name.
HF_TO_GGUF: dict[str, str] = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_PEFT_KEY = re.compile(r"layers\.(\d+)\.([a-z_]+\.[a-z_]+)\.lora_([AB])(?:\.[a-z]+)?\.weight$")


def gguf_tensor_name(peft_key: str) -> str:
    """``...layers.3.self_attn.q_proj.lora_A.weight`` → ``blk.3.attn_q.weight.lora_a``."""
    match = _PEFT_KEY.search(peft_key)
    if match is None or match.group(2) not in HF_TO_GGUF:
        raise ValueError(f"not a LoRA tensor of a Gemma 3 decoder projection: {peft_key}")
    layer, module, which = match.groups()
    return f"blk.{layer}.{HF_TO_GGUF[module]}.weight.lora_{which.lower()}"


def write_lora_gguf(state: Mapping[str, np.ndarray], alpha: float, out_path: Path,
                    arch: str = "gemma3", dtype: type = np.float16) -> Path:
    """Write PEFT LoRA tensors (numpy, keyed as PEFT saves them) as a GGUF adapter."""
    import gguf

    tensors = {gguf_tensor_name(k): np.ascontiguousarray(v, dtype=dtype) for k, v in state.items()}
    for name, a in tensors.items():
        if name.endswith(".lora_a"):
            b = tensors.get(name[: -len("a")] + "b")
            if b is None or a.shape[0] != b.shape[1]:
                raise ValueError(f"{name}: lora_a/lora_b missing or ranks differ")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(out_path), arch)
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
    for name in sorted(tensors):
        writer.add_tensor(name, tensors[name])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out_path


def read_lora_gguf(path: Path) -> tuple[float, dict[str, np.ndarray]]:
    """Alpha and tensors (numpy order) of a GGUF LoRA adapter — for checks and tests."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    field = reader.fields[gguf.Keys.Adapter.LORA_ALPHA]
    alpha = float(field.parts[field.data[0]][0])
    tensors = {t.name: np.array(t.data) for t in reader.tensors}
    return alpha, tensors


def load_peft_state(peft_dir: Path) -> tuple[float, dict[str, np.ndarray], dict]:
    """alpha, numpy tensors and the adapter config of a PEFT adapter folder."""
    import json

    from safetensors.numpy import load_file

    config = json.loads((peft_dir / "adapter_config.json").read_text(encoding="utf-8"))
    return float(config["lora_alpha"]), load_file(str(peft_dir / "adapter_model.safetensors")), config


def export_adapter(peft_dir: Path, out_path: Path) -> Path:
    """The PEFT adapter in ``peft_dir`` as a GGUF LoRA adapter at ``out_path``."""
    alpha, state, config = load_peft_state(peft_dir)
    if config.get("use_rslora") or config.get("use_dora"):
        raise ValueError("rsLoRA/DoRA adapters scale differently from llama.cpp's alpha / r")
    return write_lora_gguf({k: v.astype(np.float32) for k, v in state.items()}, alpha, out_path)


def merge_adapter(base_gguf: Path, peft_dir: Path, out_dir: Path) -> Path:
    """Base + adapter merged into a plain transformers folder (config, tokenizer, fp16 safetensors).

    transformers' ``save_pretrained`` refuses a model loaded from GGUF, so the merged state dict
    is written directly.
    """
    import torch
    from peft import PeftModel
    from safetensors.torch import save_file

    from finetune.train import load_base

    model, tokenizer = load_base(base_gguf, device="cpu")
    merged = PeftModel.from_pretrained(model, str(peft_dir)).merge_and_unload()
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in merged.state_dict().items()}
    if merged.config.tie_word_embeddings:
        state.pop("lm_head.weight", None)
    save_file(state, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    merged.config.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def peft_copy_dir(adapter_gguf: Path) -> Path:
    """Where the PEFT copy of an adapter lives: ``hyanggi-lora.gguf`` → ``hyanggi-lora-peft/``
    (the transformers backend looks there)."""
    return adapter_gguf.with_name(adapter_gguf.stem + "-peft")


def write_fp16_peft(src: Path, dst: Path) -> Path:
    """Copy a PEFT adapter folder with its weights in fp16: half the size, same adapter."""
    import shutil

    from safetensors.numpy import load_file, save_file

    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src / "adapter_config.json", dst / "adapter_config.json")
    state = load_file(str(src / "adapter_model.safetensors"))
    save_file({k: v.astype(np.float16) for k, v in state.items()}, str(dst / "adapter_model.safetensors"))
    return dst


def publish(run_dir: Path, dataset_dir: Path, base_gguf: Path, adapter_out: Path,
            merge_dir: Path | None = None) -> ModelCheckpoint:
    """Export a run's best adapter: GGUF adapter, PEFT copy, registry entry and model card side by side."""
    import json

    from finetune.dataset import dataset_hash
    from finetune.registry import entry_path, sha256_file, write_entry

    best = run_dir / "best"
    result = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
    config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    export_adapter(best, adapter_out)
    peft_dir = write_fp16_peft(best, peft_copy_dir(adapter_out))
    if merge_dir is not None:
        merge_adapter(base_gguf, best, merge_dir)
    metrics = {**result["metrics"], "dropped_examples": float(result["dropped"])}
    entry = ModelCheckpoint(
        name=adapter_out.stem, base_model=base_gguf.name, base_sha256=sha256_file(base_gguf),
        adapter_file=adapter_out.name, adapter_sha256=sha256_file(adapter_out), peft_dir=peft_dir.name,
        data_hash=result.get("data_hash") or dataset_hash(dataset_dir), train_examples=result["train_examples"],
        dev_examples=result["dev_examples"], steps=result["steps"], best_step=result["best_step"],
        rank=config["rank"], alpha=config["alpha"], target_modules=config["target_modules"], seed=config["seed"],
        device=config["device"], metrics=metrics,
    )
    write_entry(entry, entry_path(adapter_out))
    card = adapter_out.parent / "MODEL_CARD.md"
    card.write_text(model_card(entry, config, run_dir, dataset_dir, card), encoding="utf-8")
    return entry


EVAL_MARKER = "## Evaluation"


def model_card(entry: ModelCheckpoint, config: dict, run_dir: Path, dataset_dir: Path, card: Path) -> str:
    """The card's training section; an existing evaluation section (written by
    ``hyanggi eval generator --card``) is kept only when it is about this very adapter."""
    import csv

    with (run_dir / "metrics.csv").open(encoding="utf-8") as handle:
        curve = [r for r in csv.DictReader(handle)]
    curve_rows = "\n".join(f"| {r['step']} | {r['train_loss'] or '–'} | {r['dev_loss']} |" for r in curve)
    data_card = dataset_dir / "DATA_CARD.md"
    data_summary = ""
    if data_card.is_file():  # the data card's summary, its headings demoted under this card's "Data"
        summary = data_card.read_text(encoding="utf-8").split("## Counts")[0].strip()
        data_summary = "\n".join("#" + line if line.startswith("#") else line
                                  for line in summary.splitlines()[1:]).strip()
    kept = ""
    if card.is_file() and EVAL_MARKER in card.read_text(encoding="utf-8"):
        old = card.read_text(encoding="utf-8")
        section = old[old.index(EVAL_MARKER):]
        if entry.adapter_sha256[:16] in section:
            kept = "\n" + section
    return f"""# hyanggi-lora — LoRA adapter for Gemma 3 270M (base)

Produced by this repository's pipeline: `make finetune` (= `hyanggi finetune dataset --rft-briefs 100`, `vocab`, `train`,
`export`).

| | |
|---|---|
| base | `{entry.base_model}` (sha256 `{entry.base_sha256[:16]}…`), Google Gemma 3 270M pre-trained, Q4_K_M |
| adapter | `{entry.adapter_file}` (GGUF LoRA, f16, sha256 `{entry.adapter_sha256[:16]}…`); PEFT copy `{entry.peft_dir}/` |
| LoRA | r={entry.rank}, alpha={entry.alpha}, dropout {config['dropout']}, modules {', '.join(entry.target_modules)}, layers {config.get('first_layer', 0)}–last |
| training | {entry.steps} steps (kept step {entry.best_step}), batch {config['batch_size']}, max {config['max_len']} tokens, lr {config['lr']} cosine, seed {entry.seed}, device {entry.device}{' (QLoRA 4-bit)' if config['qlora'] else ' (fp32)'} |
| data | sha256 `{entry.data_hash[:16]}…`: {entry.train_examples} train / {entry.dev_examples} dev examples that fit |
| dev loss | {entry.metrics.get('dev_loss_start')} before → {entry.metrics.get('dev_loss_best')} best |
| time | {entry.metrics.get('train_seconds', 0):.0f} s |

Loss is computed on target tokens only. Tasks: formula proposal (`number:percent` pairs over the numbered candidates, decoded
under a GBNF grammar at run time; candidates numbered in shuffled order) and the story of a narration — two Korean
sentences of mood and scene from a prompt that shows no material (the sentence about the lead material is written
from the formula by code).

## Data
{data_summary}

## Loss curve (metrics.csv)
| step | train loss | dev loss |
|---|---|---|
{curve_rows}
{kept}"""
