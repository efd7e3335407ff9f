import pytest
from pydantic import ValidationError

from finetune.registry import ModelCheckpoint, entry_path, read_entry, sha256_file, write_entry


def entry(**overrides):
    values = dict(name="hyanggi-lora", base_model="base.gguf", base_sha256="0" * 64, adapter_file="hyanggi-lora.gguf",
                  adapter_sha256="1" * 64, peft_dir="hyanggi-lora-peft", data_hash="2" * 64, train_examples=10,
                  dev_examples=2, steps=5, best_step=5, rank=8, alpha=16.0, target_modules=["q_proj"], seed=1,
                  device="cpu", metrics={"dev_loss_best": 0.5})
    return ModelCheckpoint(**{**values, **overrides})


def test_entry_lives_next_to_the_adapter(tmp_path):
    assert entry_path(tmp_path / "hyanggi-lora.gguf") == tmp_path / "hyanggi-lora.json"


def test_round_trip(tmp_path):
    path = write_entry(entry(), tmp_path / "sub" / "e.json")
    assert read_entry(path) == entry(created_at=read_entry(path).created_at)


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError):
        entry(surprise=1)


def test_sha256_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
