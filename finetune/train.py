"""LoRA fine-tuning of the Gemma 3 270M base on our SFT examples (prompt → target).

Every knob is a field of ``TrainConfig`` with its CPU default; transformers' ``Trainer`` runs the loop
(evaluation, checkpoints, ``EarlyStoppingCallback``, the best adapter loaded back at the end) and peft
adds the adapter. The base is the project's GGUF, dequantized by transformers (``gguf_file=``). Loss is
on the target tokens only, and logits are computed only at those positions: with a 262k vocabulary the
full logit tensor would cost more than the rest of the step. On a CUDA GPU the base is loaded
in 4 bit (QLoRA, bitsandbytes) and the run scales up; on CPU it runs small in fp32.
"""

from __future__ import annotations

import csv
import json
import random
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from transformers import EarlyStoppingCallback, PrinterCallback, Trainer, TrainerCallback, TrainingArguments

if TYPE_CHECKING:
    import torch

DEFAULT_TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class TrainConfig:
    # 600 steps × batch 2 ≈ one pass over the ~1,070 training examples; the dev loss still falls at the end.
    steps: int = 600
    batch_size: int = 2  # on a shared 2-core CPU, more small updates beat fewer big ones
    # Examples longer than this are dropped, never cut (a cut target teaches nothing); a proposal prompt over
    # a pool that holds the brief's character carriers (issue 31) runs past 512 tokens.
    max_len: int = 640
    lr: float = 3e-4
    warmup_steps: int = 10
    weight_decay: float = 0.0
    rank: int = 8
    alpha: float = 16.0
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: list(DEFAULT_TARGET_MODULES))
    # On CPU only the upper half of the 18 layers gets adapters: no gradient then flows through the
    # lower half, which halves the backward pass on a shared two-core machine.
    first_layer: int = 9
    # Patience × eval_every = 200 steps without a better dev loss: at 20 × 5 a run on the numbered-proposal
    # data stopped at step 360 (best 260, dev 0.458) and the full 600 steps reached 0.430.
    eval_every: int = 40
    # Dev loss on a fixed sample of 24 examples (a full pass would cost as much as the training): with 8,
    # one noisy evaluation stopped a run at step 380 while the loss was still falling.
    dev_batches: int = 12
    patience: int = 5  # evaluations without a better dev loss before stopping
    keep_checkpoints: int = 2
    seed: int = 42
    threads: int = 2
    device: str = "cpu"
    qlora: bool = False
    # Retraining starts from the serving adapter's PEFT copy (``jobs.records.TrainStart``); its own LoRA shape
    # (rank, alpha, modules, layers) then replaces the one above, so the run records what it trained.
    init_adapter: Path | None = None
    # Training examples of a source seen this many times per pass (``--repeat rft=4``): a round of rejection
    # sampling yields a few dozen of the model's own wins beside ~1,200 composer targets, too few to move it.
    repeat: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_device(cls, device: str, **overrides: Any) -> TrainConfig:
        """CPU: a few hundred small steps. CUDA: QLoRA, bigger batches, longer run."""
        if device.startswith("cuda"):
            base = cls(steps=2000, batch_size=16, max_len=640, lr=2e-4, rank=16, alpha=32.0, first_layer=0,
                       eval_every=100, dev_batches=20, patience=5, device=device, qlora=True)
        else:
            base = cls(device=device)
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})


def source_repeats(items: Sequence[str]) -> dict[str, int] | None:
    """``["rft=4"]`` → ``{"rft": 4}``; None when an item is not ``source=count`` with a known source and count ≥ 1."""
    from finetune.dataset import Source

    repeats: dict[str, int] = {}
    for item in items:
        source, _, count = item.partition("=")
        if source.strip() not in get_args(Source) or not count.strip().isdigit() or int(count) < 1:
            return None
        repeats[source.strip()] = int(count)
    return repeats


def pick_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_base(gguf_path: Path, device: str = "cpu", qlora: bool = False) -> tuple[Any, Any]:
    """Tokenizer and causal LM dequantized from the GGUF (4-bit via bitsandbytes when ``qlora``)."""
    import os

    import torch

    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub: everything is local
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    kwargs: dict[str, Any] = {"dtype": torch.float32}
    if qlora:
        # Only on a CUDA machine: bitsandbytes is not installed on the CPU development machines.
        from transformers import BitsAndBytesConfig

        kwargs = {"dtype": torch.bfloat16, "device_map": {"": device},
                  "quantization_config": BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                            bnb_4bit_compute_dtype=torch.bfloat16)}
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, **kwargs)
    if not qlora:
        if model.hf_quantizer is not None and all(p.dtype.is_floating_point for p in model.parameters()):
            # transformers unpacked every GGUF block into plain float weights (Gemma 3 has no packed GGUF
            # path) but leaves its GGUF marker, which makes the Trainer refuse to train an adapter on it.
            model.hf_quantizer.remove_quantization_config(model)
        model.to(device)
    return model, tokenizer


@dataclass
class Encoded:
    input_ids: list[int]
    target_start: int  # first target token; everything before it is prompt (no loss)


def encode(tokenizer: Any, prompt: str, target: str) -> Encoded:
    """BOS + prompt + target + EOS; the model learns to stop, which bounds narration latency."""
    prompt_ids = tokenizer(prompt, add_special_tokens=False).input_ids
    target_ids = tokenizer(target, add_special_tokens=False).input_ids
    ids = [tokenizer.bos_token_id, *prompt_ids, *target_ids, tokenizer.eos_token_id]
    return Encoded(input_ids=ids, target_start=1 + len(prompt_ids))


# More than this share of one task's examples over ``max_len`` means the prompt format outgrew the
# configured length: training would silently learn from the short remainder only.
MAX_DROPPED_SHARE = 0.1


def fitting(rows: Sequence[dict[str, Any]], encoded: Sequence[Encoded], max_len: int) -> list[Encoded]:
    """The examples within ``max_len`` tokens; raises when a task loses more than MAX_DROPPED_SHARE of its own."""
    total: Counter[str] = Counter(r["task"] for r in rows)
    dropped: Counter[str] = Counter(r["task"] for r, e in zip(rows, encoded, strict=True) if len(e.input_ids) > max_len)
    for task, n in dropped.items():
        if n > MAX_DROPPED_SHARE * total[task]:
            raise ValueError(f"{n} of {total[task]} {task!r} examples exceed max_len={max_len} tokens: "
                             "raise max_len or shorten the prompt")
    return [e for e in encoded if len(e.input_ids) <= max_len]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def collate(batch: Sequence[Encoded], pad_id: int) -> dict[str, Any]:
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    for row, e in enumerate(batch):
        n = len(e.input_ids)
        ids[row, :n] = torch.tensor(e.input_ids)
        mask[row, :n] = 1
        labels[row, e.target_start:n] = ids[row, e.target_start:n]
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def target_loss(causal_lm: Any, batch: dict[str, Any]) -> Any:
    """Mean cross-entropy over target tokens, projecting only those hidden states to the vocabulary."""
    import torch
    import torch.nn.functional as F

    device = next(causal_lm.parameters()).device
    input_ids = batch["input_ids"].to(device)
    hidden = causal_lm.model(input_ids=input_ids, attention_mask=batch["attention_mask"].to(device)).last_hidden_state
    labels = batch["labels"].to(device)
    # position t predicts token t+1
    predict = labels[:, 1:] != -100
    states = hidden[:, :-1][predict]
    logits = causal_lm.lm_head(states).float()
    cap = getattr(causal_lm.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return F.cross_entropy(logits, labels[:, 1:][predict])


def lr_schedule(optimizer: torch.optim.Optimizer, config: TrainConfig) -> torch.optim.lr_scheduler.LambdaLR:
    """transformers' warm-up + cosine schedule, advanced one step so the first update is not taken at lr 0
    and the last (update ``config.steps``) reaches 0."""
    from transformers import get_cosine_schedule_with_warmup

    schedule = get_cosine_schedule_with_warmup(optimizer, config.warmup_steps, config.steps + 1)
    with warnings.catch_warnings():  # skipping the zero-rate first value is the point of this step
        warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step", category=UserWarning)
        schedule.step()
    return schedule


@dataclass
class TrainResult:
    run_dir: Path
    best_dir: Path
    steps: int
    best_step: int
    metrics: dict[str, float]
    train_examples: int
    dev_examples: int
    dropped: int
    data_hash: str


class TargetLossTrainer(Trainer):
    """transformers' Trainer with our loss: ``target_loss`` on the wrapped causal LM, so the vocabulary
    projection runs on the target positions only (the default loss would build the full logit tensor)."""

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        loss = target_loss(self.accelerator.unwrap_model(model).get_base_model(), inputs)
        return (loss, {}) if return_outputs else loss


class MetricsLog(TrainerCallback):
    """``metrics.csv``, one row per evaluation (step 0 included), read by the model card (finetune/export.py):
    the window's mean train loss and the rate its last update was taken at (from the Trainer's log at the same
    step), the dev loss, seconds since the start, and training tokens per second (evaluations left out)."""

    FIELDS = ("step", "train_loss", "dev_loss", "lr", "seconds", "tokens_per_s")

    def __init__(self, path: Path, on_log: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.path = path
        self.on_log_row = on_log
        self.window: dict[str, Any] = {}
        self.started = self.window_start = time.perf_counter()
        self.window_tokens = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        with self.path.open("w", newline="", encoding="utf-8") as handle:
            csv.DictWriter(handle, fieldnames=self.FIELDS).writeheader()
        self.started = self.window_start = time.perf_counter()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step >= state.max_steps:
            control.should_log = True  # the last window's train loss, when the run ends between evaluations

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None,
               **kwargs: Any) -> None:
        if logs and "loss" in logs:
            elapsed = time.perf_counter() - self.window_start
            self.window = {"train_loss": round(logs["loss"], 4), "lr": round(logs["learning_rate"], 7),
                           "tokens_per_s": round((state.num_input_tokens_seen - self.window_tokens) / elapsed, 1)}

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None,
                    **kwargs: Any) -> None:
        step = state.global_step
        row = {"step": step, "train_loss": "", "lr": 0.0, "tokens_per_s": "", **self.window,
               "dev_loss": round((metrics or {})["eval_loss"], 4),
               "seconds": round(time.perf_counter() - self.started, 1) if step else 0.0}
        with self.path.open("a", newline="", encoding="utf-8") as handle:
            csv.DictWriter(handle, fieldnames=self.FIELDS).writerow(row)
        if self.on_log_row:
            self.on_log_row(row)
        self.window = {}
        self.window_start, self.window_tokens = time.perf_counter(), state.num_input_tokens_seen


def training_arguments(config: TrainConfig, run_dir: Path, progress: bool) -> TrainingArguments:
    """The run as TrainingArguments: evaluate and checkpoint every ``eval_every`` steps (and at the start and the
    end), keep ``keep_checkpoints`` adapter-only checkpoints plus the best, and load the best at the end."""
    return TrainingArguments(
        output_dir=str(run_dir), max_steps=config.steps, per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size, learning_rate=config.lr, weight_decay=config.weight_decay,
        max_grad_norm=1.0, seed=config.seed, data_seed=config.seed, use_cpu=config.device == "cpu",
        eval_strategy="steps", eval_steps=config.eval_every, eval_on_start=True, prediction_loss_only=True,
        logging_strategy="steps", logging_steps=config.eval_every, include_num_input_tokens_seen="non_padding",
        save_strategy="steps", save_steps=config.eval_every, save_total_limit=config.keep_checkpoints,
        save_only_model=True, load_best_model_at_end=True, metric_for_best_model="eval_loss",
        greater_is_better=False, label_names=["labels"], remove_unused_columns=False, report_to="none",
        disable_tqdm=not progress, dataloader_pin_memory=False,
    )


def train(dataset_dir: Path, base_gguf: Path, run_dir: Path, config: TrainConfig,
          progress: bool = True, on_log: Callable[[dict[str, Any]], None] | None = None) -> TrainResult:
    """Train a LoRA adapter; the lowest-dev-loss weights end up in ``run_dir/best`` (PEFT format).

    transformers' Trainer runs the loop: our optimizer and schedule (``lr_schedule``), ``target_loss``,
    evaluation on a fixed dev sample, checkpoints, and ``EarlyStoppingCallback`` after ``patience``
    evaluations without a dev loss better by 1e-4."""
    import torch
    from peft import LoraConfig, get_peft_model
    from tqdm import tqdm

    from finetune.dataset import dataset_hash

    random.seed(config.seed)
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    run_dir.mkdir(parents=True, exist_ok=True)

    model, tokenizer = load_base(base_gguf, config.device, config.qlora)
    if config.qlora:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model)
    if config.init_adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(config.init_adapter), is_trainable=True)
        loaded = model.peft_config["default"]
        layers = loaded.layers_to_transform
        config = replace(config, rank=loaded.r, alpha=float(loaded.lora_alpha), dropout=loaded.lora_dropout,
                         target_modules=sorted(loaded.target_modules),
                         first_layer=min(layers) if isinstance(layers, list) and layers else 0)
    else:
        layers = list(range(config.first_layer, model.config.num_hidden_layers)) if config.first_layer else None
        lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                          target_modules=config.target_modules, layers_to_transform=layers, task_type="CAUSAL_LM")
        model = get_peft_model(model, lora)
    (run_dir / "config.json").write_text(json.dumps(asdict(config), indent=2, default=str), encoding="utf-8")

    def load(split: str) -> tuple[list[Encoded], int]:
        rows = read_jsonl(dataset_dir / f"{split}.jsonl")
        if split == "train":
            rows = [r for r in rows for _ in range(max(1, config.repeat.get(r.get("source", ""), 1)))]
        encoded = [encode(tokenizer, r["prompt"], r["target"]) for r in rows]
        kept = fitting(rows, encoded, config.max_len)
        return kept, len(encoded) - len(kept)

    train_set, dropped_train = load("train")
    dev_set, dropped_dev = load("dev")
    if not train_set or not dev_set:
        raise ValueError(f"no training/dev examples fit in {config.max_len} tokens")
    dev_rng = random.Random(config.seed + 1)
    dev_sample = dev_rng.sample(dev_set, min(len(dev_set), config.dev_batches * config.batch_size))
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    started = time.perf_counter()
    trainer = TargetLossTrainer(
        model=model, args=training_arguments(config, run_dir, progress), train_dataset=train_set,
        eval_dataset=dev_sample, data_collator=lambda batch: collate(batch, pad_id),
        optimizers=(optimizer, lr_schedule(optimizer, config)),
        callbacks=[MetricsLog(run_dir / "metrics.csv", on_log),
                   EarlyStoppingCallback(early_stopping_patience=config.patience, early_stopping_threshold=1e-4)],
    )
    if not progress:
        trainer.remove_callback(PrinterCallback)  # without a bar the Trainer would print every log instead
    trainer.train()
    state = trainer.state
    if progress and state.global_step < config.steps:
        tqdm.write(f"early stop at step {state.global_step}: dev loss has not improved for {config.patience} "
                   "evaluations")
    best_dir = run_dir / "best"
    model.save_pretrained(str(best_dir))  # the best checkpoint's weights, loaded back by the Trainer
    dev_losses = [entry["eval_loss"] for entry in state.log_history if "eval_loss" in entry]
    metrics = {"dev_loss_start": round(dev_losses[0], 4), "dev_loss_best": round(state.best_metric, 4),
               "train_seconds": round(time.perf_counter() - started, 1)}
    result = TrainResult(run_dir=run_dir, best_dir=best_dir, steps=state.global_step,
                         best_step=state.best_global_step or 0, metrics=metrics, train_examples=len(train_set),
                         dev_examples=len(dev_set), dropped=dropped_train + dropped_dev,
                         data_hash=dataset_hash(dataset_dir))
    (run_dir / "result.json").write_text(
        json.dumps({**asdict(result), "run_dir": str(run_dir), "best_dir": str(best_dir)}, indent=2),
        encoding="utf-8")
    return result
