"""The package layers and the no-cycle rule hold: the import-linter contracts `make lint` runs, run in the
test tier too, so CI (`make test`) keeps them."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# In a child process: the linter configures logging for itself (dictConfig), which would silence this
# process's loggers for the tests that follow.
LINT = "from importlinter.cli import lint_imports; raise SystemExit(lint_imports(no_cache=True))"


def test_the_import_contracts_are_kept() -> None:
    run = subprocess.run([sys.executable, "-c", LINT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout
