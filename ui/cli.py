"""Entry point of the `hyanggi` console script."""

from ui.apps import app

# Importing an area module registers its commands on the apps above.
from ui.commands import (  # noqa: F401  # noqa: F401
    ask,
    chat,  # noqa: F401
    eval_generator,
    eval_imports,  # noqa: F401
    eval_injection,  # noqa: F401
    eval_recipes,  # noqa: F401
    eval_retrieval,  # noqa: F401
    eval_suite,  # noqa: F401
    finetune,
    knowledge,  # noqa: F401
    setup,
)

__all__ = ["app"]
