"""Every CSV we write is inert in a spreadsheet and still reads back through our importer; HTML stays escaped."""

from __future__ import annotations

import csv
import io

import pytest

from knowledge.formula_import import import_formula
from perfumery.csv_cells import DANGEROUS_START, read_cell, safe_cell
from perfumery.documents import batch_sheet_html, export_csv
from perfumery.formula import FormulaFormat
from tests.unit.perfumery_fixtures import CATALOG
from ui.chat_view import recipe_csv

HOSTILE = ["=HYPERLINK(1)", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "'=quoted", "'plain", "\rCR"]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


@pytest.mark.parametrize("value", [*HOSTILE, "\tTAB", "\0x", "", "'", "헤디온", "1.5"])
def test_a_cell_is_safe_and_reads_back_as_written(value: str) -> None:
    assert safe_cell(value)[:1] not in DANGEROUS_START - {"'"}
    assert read_cell(safe_cell(value)) == value


def _their_csv(names: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows([["name", "percent"], *([name, "10"] for name in names), ["헤디온", "30"]])
    return out.getvalue()


def test_imported_names_cannot_become_spreadsheet_formulas_in_any_export() -> None:
    pasted = import_formula("+1+cmd|' /C calc'!A0 2g\n@SUM(1+1) 1g\n헤디온 10g", CATALOG).recipe
    assert {"+1+cmd|' /C calc'!A0", "@SUM(1+1"} <= {i.name_ko for i in pasted.ingredients}  # kept as unknown lines
    recipe = import_formula(_their_csv(HOSTILE), CATALOG, FormulaFormat.csv).recipe
    for text in (export_csv(recipe), recipe_csv(recipe).decode("utf-8")):
        assert not [cell for cell in _cells(text) if cell[:1] in DANGEROUS_START - {"'"}]


def test_our_csv_reads_back_with_the_names_as_written() -> None:
    safe = [name for name in HOSTILE if name[:1] != "'"]  # a spreadsheet's own quote marker is read as such
    recipe = import_formula(_their_csv(safe), CATALOG, FormulaFormat.csv).recipe
    assert {i.name_ko for i in recipe.ingredients} >= {name.strip() for name in safe}
    again = import_formula(export_csv(recipe), CATALOG).recipe
    assert [(i.material_id, i.name_ko, i.percent) for i in again.ingredients] == [
        (i.material_id, i.name_ko, i.percent) for i in recipe.ingredients]
    chat = import_formula(recipe_csv(recipe).decode("utf-8"), CATALOG).recipe
    assert [i.name_ko for i in chat.ingredients] == [i.name_ko for i in recipe.ingredients]


def test_the_batch_sheet_escapes_what_a_formula_names() -> None:
    recipe = import_formula("<script>alert(1)</script> 10g\n<img src=x onerror=alert(1)> 5g\n헤디온 20g",
                            CATALOG).recipe
    page = batch_sheet_html(recipe, 100.0, CATALOG)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
