"""Entry point of the `hyanggi` console script."""

from ui.apps import app

# Importing an area module registers its commands on the apps above.
from ui.commands import (  # noqa: F401
    ask,
    bench_generator,
    bench_scale,
    chat,
    eval_edits,
    eval_generator,
    eval_imports,
    eval_injection,
    eval_recipes,
    eval_retrieval,
    eval_routing,
    eval_suite,
    finetune,
    judge,
    knowledge,
    mcp,
    setup,
    worker,
)

__all__ = ["app"]

if __name__ == "__main__":  # `python -m ui.cli …` runs the same command tree as the `hyanggi` script
    app()
