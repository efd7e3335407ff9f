"""The import figure counts a line right only when read as meant, and counts lines it lost."""

from __future__ import annotations

from eval.import_metrics import DEFAULT_IMPORTS, ImportCase, evaluate, load_cases
from perfumery.formula import FormulaFormat
from tests.unit.perfumery_fixtures import CATALOG


def test_misreads_unknowns_and_unreadable_formulas_are_counted() -> None:
    cases = [
        ImportCase(id="ok", format=FormulaFormat.text, content="헤디온 30g\nZzyzx 1g\n", expect=["hedione", None]),
        ImportCase(id="wrong", format=FormulaFormat.text, content="헤디온 30g\n바닐린 1g\n", expect=["hedione", "coumarin"]),
        ImportCase(id="broken", format=FormulaFormat.text, content="헤디온 30g\n바닐린 1mL\n", expect=["hedione", "vanillin"]),
    ]
    report = evaluate(cases, CATALOG)
    assert (report.lines, report.correct, report.dropped, len(report.errors)) == (6, 3, 2, 1)
    assert [(m.case, m.read) for m in report.misses] == [("wrong", "vanillin")]


def test_the_shipped_set_has_at_least_twenty_formulas() -> None:
    cases = load_cases(DEFAULT_IMPORTS)
    assert len(cases) >= 20 and {c.format for c in cases} == set(FormulaFormat)
