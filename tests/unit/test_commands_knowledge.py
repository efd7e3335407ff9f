"""`hyanggi kb` and `hyanggi search` speak JSON and clear Korean errors, never tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import knowledge.kb
from hyanggi.settings import get_settings
from tests.unit.kb_fixtures import write_kb
from ui.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def fixture_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(knowledge.kb, "DEFAULT_DATA_DIR", write_kb(tmp_path))
    monkeypatch.setenv("HYANGGI_DATA_DIR", str(tmp_path / "empty"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_kb_list_json_gives_full_records() -> None:
    result = runner.invoke(app, ["kb", "list", "materials", "--json"])
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    assert [r["id"] for r in records][:2] == ["bergamot_oil", "lemon_oil"]
    assert records[0]["cas"] == "8007-75-8"


def test_kb_list_table_for_humans() -> None:
    result = runner.invoke(app, ["kb", "list", "perfumes"])
    assert result.exit_code == 0 and "Mitsouko" in result.stdout


def test_kb_check_prints_coverage_tables() -> None:
    result = runner.invoke(app, ["kb", "check"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "materials 8" in result.stdout
    lines = result.stdout.splitlines()

    def row(label: str) -> str:
        return next(line for line in lines if label in line)

    # The fixture's ranges are editorial: no sourced maximum, target missed.
    assert "0/8 (0.0%)" in row("출처 있는 최대치 (목표 ≥ 90%, 미달)")
    assert "8/8 (100.0%)" in row("출처 없는 편집 추정치")
    # Its bergamot (Standard 087) and oakmoss (067) are under a Standard; both are Annex III entries themselves.
    assert "IFRA (51차 개정" in result.stdout and "2/8 (25.0%)" in row("표준 대상")
    assert "Annex III (Regulation (EU) 2023/1545)" in result.stdout and "/81" in row("카탈로그 재료가 함유")
    assert "천연 원료 구성 성분" in result.stdout and "Traceback" not in result.output


def test_search_before_setup_says_what_to_run() -> None:
    result = runner.invoke(app, ["search", "장미", "--json"])
    assert result.exit_code == 1
    assert "hyanggi setup" in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_empty_query_is_refused() -> None:
    result = runner.invoke(app, ["search", "-"], input="\n\n")
    assert result.exit_code == 1 and "검색어가 비어 있습니다" in result.output
