"""Registry entries for trained adapters: what a checkpoint was made from and how well it did.

One JSON file per adapter, next to it (``hyanggi-lora.json`` beside ``hyanggi-lora.gguf``);
the store mirrors these entries, so the file is the source of truth.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class ModelCheckpoint(BaseModel):
    """A trained LoRA adapter and its provenance."""

    model_config = ConfigDict(extra="forbid")

    name: str
    base_model: str = Field(description="file name of the base GGUF the adapter was trained on.")
    base_sha256: str
    adapter_file: str = Field(description="GGUF LoRA adapter, relative to the entry's folder.")
    adapter_sha256: str
    peft_dir: str = Field(description="the same adapter in PEFT format, relative to the entry's folder.")
    data_hash: str = Field(description="sha256 of the training + dev JSONL the run read.")
    train_examples: int
    dev_examples: int
    steps: int = Field(description="optimizer steps run.")
    best_step: int = Field(description="step of the kept weights (lowest dev loss).")
    rank: int
    alpha: float
    target_modules: list[str]
    seed: int
    device: str
    metrics: dict[str, float] = Field(default_factory=dict, description="final train/dev losses and timings.")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def entry_path(adapter_path: Path) -> Path:
    return adapter_path.with_suffix(".json")


def write_entry(entry: ModelCheckpoint, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(entry.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def read_entry(path: Path) -> ModelCheckpoint:
    return ModelCheckpoint.model_validate_json(path.read_text(encoding="utf-8"))
