"""Progress bars for the long commands (evaluation runs, benchmarks), drawn on stderr so that stdout stays
the report or the ``--json`` line. Drawn only when advanced (no refresh thread): a benchmark's timings share
the CPU with nothing of ours between turns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


@contextmanager
def progress(description: str, total: int) -> Iterator[Callable[[], None]]:
    """A bar of ``total`` steps; the context gives the function that marks one step done."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), auto_refresh=False) as bar:
        task = bar.add_task(description, total=total)

        def advance() -> None:
            bar.advance(task)
            bar.refresh()

        bar.refresh()
        yield advance
