"""`hyanggi finetune` and `hyanggi eval generator` on the command line: outputs, and Korean errors."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hyanggi.settings import get_settings
from ui.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HYANGGI_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_dataset_command_writes_jsonl_and_card(tmp_path):
    out = tmp_path / "ds"
    result = runner.invoke(app, ["finetune", "dataset", "--out", str(out), "--briefs", "6"])
    assert result.exit_code == 0, result.output
    assert (out / "train.jsonl").stat().st_size > 0 and (out / "DATA_CARD.md").is_file()
    assert "기록된 대화 (liked sessions): 0" in result.output


def test_export_without_a_run_says_so_in_korean(monkeypatch, tmp_path):
    import ui.commands.finetune as command

    monkeypatch.setattr(command, "RUNS_DIR", tmp_path / "no-runs")
    result = runner.invoke(app, ["finetune", "export"])
    assert result.exit_code == 1
    assert "내보낼 학습 결과가 없습니다" in result.output


def test_train_without_a_dataset_says_so_in_korean(tmp_path):
    result = runner.invoke(app, ["finetune", "train", "--data", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert "데이터셋이 없습니다" in result.output


def test_train_refusing_overlong_examples_is_a_korean_error_not_a_traceback(tmp_path, monkeypatch):
    import agent.generators
    import finetune.train

    data = tmp_path / "ds"
    data.mkdir()
    for split in ("train", "dev"):
        (data / f"{split}.jsonl").write_text("{}\n", encoding="utf-8")

    def refuse(*args, **kwargs):
        raise ValueError("12 of 12 'propose' examples exceed max_len=8 tokens")

    monkeypatch.setattr(agent.generators, "ensure_base_gguf", lambda settings: tmp_path / "base.gguf")
    monkeypatch.setattr(finetune.train, "train", refuse)
    result = runner.invoke(app, ["finetune", "train", "--data", str(data), "--run", "r", "--max-len", "8"])
    assert result.exit_code == 2
    assert "학습할 수 없습니다" in result.output and "max_len=8" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_train_with_a_malformed_repeat_is_a_korean_error(tmp_path):
    data = tmp_path / "ds"
    data.mkdir()
    for split in ("train", "dev"):
        (data / f"{split}.jsonl").write_text("{}\n", encoding="utf-8")
    result = runner.invoke(app, ["finetune", "train", "--data", str(data), "--repeat", "rft=0"])
    assert result.exit_code == 2
    assert "--repeat 는 출처=횟수 형식입니다" in result.output


def test_eval_generator_composer_json():
    result = runner.invoke(app, ["eval", "generator", "--systems", "composer", "--limit", "2", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout[result.stdout.index("{"):])
    assert set(report) == {"composer"}
    assert {"valid_rate", "candidate_adherence", "brief_fit", "score", "tokens_per_s"} <= set(report["composer"])


def test_eval_generator_rejects_unknown_systems():
    result = runner.invoke(app, ["eval", "generator", "--systems", "gpt"])
    assert result.exit_code == 2
