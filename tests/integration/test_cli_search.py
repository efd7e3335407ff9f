"""`hyanggi search` as a user runs it, on the data `hyanggi setup` made: right answer, no model stack loaded,
nothing on stderr."""

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.integration

PROBE = """
import sys
from ui.cli import app
app(["search", "베르가뭇", "--collection", "materials", "--k", "3", "--json"], standalone_mode=False)
print(json.dumps(sorted(m for m in ("torch", "sentence_transformers", "transformers", "langgraph") if m in sys.modules)))
"""


def test_search_answers_from_the_onnx_embedder_without_torch() -> None:
    done = subprocess.run([sys.executable, "-c", "import json" + PROBE], cwd=REPO, capture_output=True, text=True,
                          timeout=300, check=True)
    answer, loaded = done.stdout.splitlines()
    assert json.loads(answer)["results"][0]["id"] in {"bergamot_oil", "bergamot_oil_fcf"}
    assert json.loads(loaded) == []
    assert done.stderr == ""
