"""The judge refuses clearly, in Korean, when its model is missing (it never downloads one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.judge import JudgeNotReadyError, make_judge
from hyanggi.settings import Settings


def test_missing_model_is_a_korean_setup_message(tmp_path: Path) -> None:
    with pytest.raises(JudgeNotReadyError, match="hyanggi setup"):
        make_judge(Settings(data_dir=tmp_path))
