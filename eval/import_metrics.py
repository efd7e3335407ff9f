"""How well the importer reads perfumers' own formulas: share of lines read as meant (eval/data/imports.yaml).

A line counts as right only when it is read as the material (accord, solvent) the author meant, or, for a
material we do not hold, kept as an unknown line. A line the parser did not keep is a silent drop and is
reported on its own: the target is none.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from knowledge.formula_import import import_formula
from perfumery.catalog import Catalog
from perfumery.formula import FormulaError, FormulaFormat
from perfumery.neat import LineKind, ResolvedLine

DEFAULT_IMPORTS = Path(__file__).resolve().parent / "data" / "imports.yaml"

class ImportCase(BaseModel):
    id: str
    format: FormulaFormat
    content: str
    expect: list[str | None]

class LineOutcome(BaseModel):
    case: str
    line_no: int
    text: str
    expected: str | None
    read: str | None
    confirm: bool

class ImportReport(BaseModel):
    cases: int
    lines: int
    correct: int
    dropped: int = Field(description="expected lines the importer did not keep")
    confirmed: int = Field(description="lines shown back for confirmation")
    errors: list[str] = Field(default_factory=list)
    misses: list[LineOutcome] = Field(default_factory=list)

    @property
    def share(self) -> float:
        return self.correct / self.lines if self.lines else 0.0

    def summary(self) -> dict[str, object]:
        return {"cases": self.cases, "lines": self.lines, "correct": self.correct, "share": round(self.share, 4),
                "dropped": self.dropped, "confirmed": self.confirmed, "errors": len(self.errors)}

def load_cases(path: Path = DEFAULT_IMPORTS) -> list[ImportCase]:
    return [ImportCase.model_validate(raw) for raw in yaml.safe_load(path.read_text(encoding="utf-8"))]

def _read(line: ResolvedLine) -> str | None:
    if line.kind == LineKind.unknown:
        return None
    return f"{line.kind.value}:{line.target}" if line.kind != LineKind.material else line.target

def evaluate(cases: list[ImportCase], catalog: Catalog) -> ImportReport:
    lines = correct = dropped = confirmed = 0
    errors: list[str] = []
    misses: list[LineOutcome] = []
    for case in cases:
        lines += len(case.expect)
        try:
            result = import_formula(case.content, catalog, case.format)
        except FormulaError as exc:
            errors.append(f"{case.id}: {exc.message_ko}")
            dropped += len(case.expect)
            continue
        dropped += max(0, len(case.expect) - len(result.lines))
        for expected, line in zip(case.expect, result.lines, strict=False):
            read = _read(line)
            confirmed += line.confirm or line.kind == LineKind.unknown
            if read == expected:
                correct += 1
            else:
                misses.append(LineOutcome(case=case.id, line_no=line.line.line_no, text=line.line.text,
                                          expected=expected, read=read, confirm=line.confirm))
    return ImportReport(cases=len(cases), lines=lines, correct=correct, dropped=dropped, confirmed=confirmed,
                        errors=errors, misses=misses)
