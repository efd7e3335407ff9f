"""The toolbox: every tool as one typed async method over one knowledge base (and, when given, one store),
and the list of tools by name that the MCP server serves.

CPU-bound work runs in worker threads, so a server's event loop stays responsive. Stored recipes are read
as the ``Principal`` asking: another principal's recipe is "not found", exactly as over REST. Every failure
a caller can act on is a ``ToolError`` with a Korean message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from pydantic import BaseModel

from hyanggi.settings import Settings
from perfumery import Catalog, EditError, Recipe
from perfumery.formula import FormulaError
from perfumery.vocabulary import BATCH_RANGE_KO, batch_grams, batch_in_range
from store import LOCAL, NotFoundError, Principal, Store
from tools.check import CheckRequest, FormulaCheck, check
from tools.design import BriefReader, Design, DesignRequest, design, read_brief
from tools.documents import Document, DocumentKind, ExportRequest, document
from tools.errors import ToolError, ToolErrorCode
from tools.fields import FormulaInput
from tools.search import Searcher, SearchHits, SearchRequest, search
from tools.workbench import (
    EditedFormula,
    EditFormulaRequest,
    ImportedFormula,
    ImportFormulaRequest,
    edited,
    formula_resolver,
    read_formula,
)


@contextlib.contextmanager
def _as_tool_errors(formula_code: ToolErrorCode = ToolErrorCode.invalid_formula) -> Iterator[None]:
    """The domain's Korean errors as ``ToolError``s."""
    try:
        yield
    except FormulaError as exc:
        raise ToolError(formula_code, exc.message_ko) from None
    except EditError as exc:
        raise ToolError(ToolErrorCode.invalid_edit, exc.message_ko) from None


class Toolbox:
    def __init__(self, catalog: Catalog, searcher: Searcher, reader: BriefReader, settings: Settings,
                 store: Store | None = None) -> None:
        self.catalog = catalog
        self.searcher = searcher
        self.reader = reader
        self.settings = settings
        self.store = store

    async def search(self, request: SearchRequest) -> SearchHits:
        return await asyncio.to_thread(search, self.searcher, request)

    async def design(self, request: DesignRequest) -> Design:
        return await asyncio.to_thread(design, request, self.catalog, self.searcher, self.reader, self.settings)

    async def check(self, request: CheckRequest, principal: Principal = LOCAL) -> FormulaCheck:
        recipe = await self.formula(request, principal)

        def run() -> FormulaCheck:
            brief = read_brief(request.brief, self.catalog, self.searcher, self.reader) if request.brief else None
            return check(recipe, self.catalog, brief)

        return await asyncio.to_thread(run)

    async def import_formula(self, request: ImportFormulaRequest) -> ImportedFormula:
        def run() -> ImportedFormula:
            with _as_tool_errors():
                return ImportedFormula.of(read_formula(
                    request.content, self.catalog, request.format, resolver=formula_resolver(self.catalog, self.searcher),
                    name=request.name, concentration=request.concentration, product=request.product,
                    load_percent=request.dilution_percent))

        return await asyncio.to_thread(run)

    async def edit(self, request: EditFormulaRequest) -> EditedFormula:
        def run() -> EditedFormula:
            with _as_tool_errors():
                return edited(request, self.catalog)

        return await asyncio.to_thread(run)

    async def export(self, request: ExportRequest, principal: Principal = LOCAL) -> Document:
        grams = batch_grams(request.batch, request.unit)
        if request.kind == DocumentKind.batch_sheet and not batch_in_range(grams):
            raise ToolError(ToolErrorCode.invalid_batch, BATCH_RANGE_KO)  # the chat's limit too
        recipe = await self.formula(request, principal)

        def run() -> Document:
            with _as_tool_errors(ToolErrorCode.invalid_batch):
                return document(recipe, request.kind, self.catalog, grams, request.basis)

        return await asyncio.to_thread(run)

    async def formula(self, ref: FormulaInput, principal: Principal = LOCAL) -> Recipe:
        """The recipe given, or the stored one ``principal`` may read."""
        if ref.recipe is not None:
            return ref.recipe
        if self.store is None:
            raise ToolError(ToolErrorCode.invalid_request, "이 서버에는 저장된 레시피가 없어요. recipe 로 레시피 JSON 을 주세요.")
        try:
            return await self.store.get_recipe(principal, ref.recipe_id or "", ref.version)
        except NotFoundError as exc:
            raise ToolError(ToolErrorCode.not_found, f"레시피 {exc.key}을(를) 찾을 수 없어요.") from None


# --- the tools by name, for the MCP server (and any other agent-facing door) -----------------------
Run = Callable[[Toolbox, BaseModel, Principal], Awaitable[BaseModel]]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    input: type[BaseModel]
    output: type[BaseModel]
    run: Run


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec("search_knowledge", "향료 지식 검색",
             "재료·어코드·유명 향수를 한국어나 영어로 찾습니다 (dense + BM25 하이브리드). Search Hyanggi's knowledge "
             "base of fragrance materials (with CAS, note, use levels), accords and published perfumes.",
             SearchRequest, SearchHits, lambda box, request, _: box.search(request)),
    ToolSpec("design_formula", "향 설계",
             "요청 문장(한국어·영어)으로 향료 처방을 설계합니다: 재료와 CAS, 농축액 기준 % (합계 100), 피라미드, "
             "점수와 위반 사항. 언어 모델 없이 결정적으로 동작합니다 (같은 요청 → 같은 처방). Design a perfume formula "
             "from a brief with the deterministic composer and critic; nothing is stored.",
             DesignRequest, Design, lambda box, request, _: box.design(request)),
    ToolSpec("check_formula", "처방 점검",
             "처방을 점검합니다: 제품 카테고리별 IFRA (Standard 마다 합산, 수치가 없으면 '확인 필요'), EU 알레르기 "
             "유발 성분 표시, 최대 사용량을 넘는 줄, 요청 부합도(brief 를 주면), 구성. Check a formula given as JSON "
             "or by stored recipe_id: the critic's verdict, grouped.",
             CheckRequest, FormulaCheck, lambda box, request, who: box.check(request, who)),
    ToolSpec("import_formula", "레시피 가져오기",
             "조향사의 레시피(한 줄에 재료와 양, CSV, 또는 향기 JSON)를 읽어 점검된 레시피로 돌려줍니다; 확신이 "
             "낮은 줄과 모르는 재료는 표시합니다. Read a perfumer's formula (text, CSV, JSON); nothing is stored.",
             ImportFormulaRequest, ImportedFormula, lambda box, request, _: box.import_formula(request)),
    ToolSpec("edit_formula", "레시피 편집",
             "타입이 있는 편집 연산(set_percent, add, remove, substitute, shift, concentration, product)을 순서대로 "
             "적용한 다음 버전을 점검해 돌려줍니다. Apply typed edits to a formula; nothing is stored.",
             EditFormulaRequest, EditedFormula, lambda box, request, _: box.edit(request)),
    ToolSpec("export_document", "문서 내보내기",
             "레시피를 문서로 내보냅니다: csv, json, batch_sheet (인쇄용 HTML 배합표), ifra_summary, "
             "allergen_declaration. Export a formula (JSON or stored recipe_id) as a document.",
             ExportRequest, Document, lambda box, request, who: box.export(request, who)),
)
