"""Entry point of the `hyanggi` console script."""

from ui.apps import app
# Importing an area module registers its commands on the apps above.
from ui.commands import setup  # noqa: F401

__all__ = ["app"]
