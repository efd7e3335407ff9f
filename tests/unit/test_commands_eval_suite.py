"""`hyanggi eval ragas|compare`: clear Korean answers when there is nothing to read, deltas when there is."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.ragas_runner import MetricSummary
from eval.report import RunSummary
from hyanggi.settings import get_settings
from ui.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def empty_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYANGGI_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _summary(folder: Path, mean: float) -> Path:
    folder.mkdir()
    summary = RunSummary(selection="latest replay run", sessions=1, turns=1, edit_conversations=0,
                         metrics={"chrf_score": MetricSummary(n=1, nan=0, mean=mean, median=mean)},
                         by_route={}, latency={})
    (folder / "summary.json").write_text(summary.model_dump_json(), encoding="utf-8")
    return folder


def test_ragas_without_transcripts_says_to_replay_first(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "ragas", "--no-judge", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "hyanggi eval replay" in result.output and "Traceback" not in result.output


def test_compare_prints_and_writes_deltas(tmp_path: Path) -> None:
    a, b = _summary(tmp_path / "a", 0.25), _summary(tmp_path / "b", 0.5)
    result = runner.invoke(app, ["eval", "compare", str(a), str(b), "--out", str(tmp_path / "cmp.md")])
    assert result.exit_code == 0
    assert "+0.250" in result.output and "+0.250" in (tmp_path / "cmp.md").read_text(encoding="utf-8")


def test_compare_of_a_folder_without_summary_is_a_korean_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["eval", "compare", str(tmp_path / "empty"), str(tmp_path / "empty")])
    assert result.exit_code == 1 and "보고서를 읽을 수 없습니다" in result.output
