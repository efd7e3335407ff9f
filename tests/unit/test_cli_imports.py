"""A command loads only what it needs: what `hyanggi search` imports keeps the model and agent stacks out
(importing sentence-transformers alone took ~4.5 s of its cold start)."""

import subprocess
import sys

from tests.conftest import REPO

HEAVY = ("torch", "transformers", "sentence_transformers", "sklearn", "langchain_core", "langgraph", "llama_cpp",
         "chainlit", "ragas")


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120,
                          check=True)
    return done.stdout.split()


def test_the_command_tree_imports_no_model_or_agent_library() -> None:
    assert _loaded_after("from ui.cli import app") == []


def test_what_search_uses_imports_no_model_or_agent_library() -> None:
    code = ("import ui.cli, ui.errors, knowledge.search, knowledge.embedding.embedder, knowledge.index\n"
            "from ui.errors import friendly_errors")
    assert _loaded_after(code) == []
