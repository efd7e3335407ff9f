"""Counts as rich tables: what a command reports is read as a table, never as a printed dict."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table


def counts_table(title: str, counts: Mapping[str, int | float], key: str = "", value: str = "n") -> Table:
    """One row per entry, in the mapping's order; numbers right-aligned with thousands separators."""
    table = Table(title=title, title_justify="left")
    table.add_column(key)
    table.add_column(value, justify="right")
    for name, count in counts.items():
        table.add_row(str(name), f"{count:,}")
    return table
