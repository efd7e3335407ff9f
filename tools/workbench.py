"""The perfumer's workbench: import a formula and edit one — each one function, called by the chat's graph
(a pasted formula, "베르가못 8%로"), the REST API (``/recipes/import``, ``/recipes/{id}/edit``) and the MCP
tools alike, so a formula is read and an edit applied the same way whichever door it came through."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from knowledge.documents import CollectionName
from knowledge.formula_import import FormulaResolver, ImportResult, import_formula
from perfumery import Brief, Catalog, EditOp, Recipe, critiqued
from perfumery.edits import Absorb, EditResult, apply_edits
from perfumery.formula import MAX_FORMULA_CHARS, FormulaFormat, SkippedLine
from perfumery.ifra import Product
from perfumery.models import Concentration
from perfumery.neat import LineKind
from tools.fields import PRODUCT_HELP
from tools.search import Searcher

MAX_EDIT_OPS = 20


@lru_cache(maxsize=4)
def formula_resolver(catalog: Catalog, searcher: Searcher) -> FormulaResolver:
    """One resolver per catalog and searcher (its name index takes a moment to build): a line no name
    matches is offered the material dense search puts first — offered, never assumed."""
    return FormulaResolver(catalog, suggest=_first_material(searcher))


def _first_material(searcher: Searcher) -> Callable[[str], str | None]:
    def suggest(text: str) -> str | None:
        hits = searcher.search(text, [CollectionName.materials], 1)
        return hits[0].id if hits else None

    return suggest


def read_formula(content: str, catalog: Catalog, fmt: FormulaFormat | None = None, *, resolver: FormulaResolver,
                 version: int = 1, name: str = "", concentration: Concentration | None = None,
                 product: Product | None = None, load_percent: float | None = None) -> ImportResult:
    """Pasted text, CSV or our JSON → ``version`` of a formula, critiqued, with each line's reading.

    Raises ``FormulaError`` (Korean) when nothing can be read or the units cannot be combined."""
    result = import_formula(content, catalog, fmt, resolver=resolver, name=name, concentration=concentration,
                            product=product, load_percent=load_percent)
    recipe = critiqued(result.recipe.model_copy(update={"version": version}), catalog)
    return result.model_copy(update={"recipe": recipe})


def apply_edit(recipe: Recipe, ops: list[EditOp], catalog: Catalog, brief: Brief | None = None,
               absorb: Absorb = Absorb.ratios, into: str | None = None) -> EditResult:
    """The next version of ``recipe`` with ``ops`` applied in order, critiqued (against ``brief`` when the
    formula was designed from one), with every line that moved and why — the one edit path of the chat, REST
    and MCP. Raises ``EditError`` (Korean) for an edit the formula cannot take."""
    result = apply_edits(recipe, ops, catalog, None, absorb, into)
    return result.model_copy(update={"recipe": critiqued(result.recipe, catalog, brief)})


# --- the tools' typed boundary ------------------------------------------------------------------
class ImportFormulaRequest(BaseModel):
    """A formula as written, and what the person may say about it that its lines do not."""

    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=MAX_FORMULA_CHARS,
                         description="레시피: 한 줄에 재료 하나 (텍스트), CSV, 또는 향기 레시피 JSON")
    format: FormulaFormat | None = Field(default=None, description="없으면 내용을 보고 정합니다")
    name: str = Field(default="", max_length=200)
    concentration: Concentration | None = None
    product: Product | None = Field(default=None, description=PRODUCT_HELP)
    dilution_percent: float | None = Field(default=None, gt=0, le=40, description="완제품 중 향료 원액 % (부향률)")


class ImportLine(BaseModel):
    line_no: int
    text: str
    amount: float
    unit: str | None
    dilution_percent: float | None = None
    solvent: str | None = None
    kind: LineKind
    target: str | None = Field(description="재료·어코드 id 또는 용매")
    confidence: float
    confirm: bool = Field(description="확인이 필요한 줄")
    suggestion: str | None = None


class ImportedFormula(BaseModel):
    recipe: Recipe = Field(description="가져온 레시피 (v1), 점수·위반 사항 포함; 저장되지 않아요")
    lines: list[ImportLine] = Field(description="줄마다 무엇으로 읽었는지와 확신도")
    skipped: list[SkippedLine]
    notes_ko: list[str]

    @classmethod
    def of(cls, result: ImportResult) -> ImportedFormula:
        lines = [ImportLine(line_no=r.line.line_no, text=r.line.text, amount=r.line.amount,
                            unit=r.line.unit.value if r.line.unit else None,
                            dilution_percent=r.line.dilution.strength if r.line.dilution else None,
                            solvent=r.line.dilution.solvent.value if r.line.dilution and r.line.dilution.solvent
                            else None, kind=r.kind, target=r.target, confidence=r.confidence,
                            confirm=r.confirm or r.kind == LineKind.unknown, suggestion=r.suggestion)
                 for r in result.lines]
        return cls(recipe=result.recipe, lines=lines, skipped=result.skipped, notes_ko=result.notes_ko)


class EditFormulaRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipe: Recipe = Field(description="편집할 레시피 JSON")
    ops: list[EditOp] = Field(min_length=1, max_length=MAX_EDIT_OPS, description="순서대로 적용할 편집 연산")


class EditedFormula(BaseModel):
    recipe: Recipe = Field(description="편집된 다음 버전, 점수·위반 사항 포함; 저장되지 않아요")
    changes_ko: str = Field(description="이전 버전과 달라진 점")


def edited(request: EditFormulaRequest, catalog: Catalog) -> EditedFormula:
    result = apply_edit(request.recipe, request.ops, catalog)
    return EditedFormula(recipe=result.recipe, changes_ko="\n".join(result.lines_ko()))
