"""Export what a perfumer takes away — CSV, JSON, a printable batch sheet, the IFRA summary, the allergen
declaration — as one typed document (perfumery/documents.py writes each)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from perfumery import Catalog, Recipe, documents
from perfumery.batch import BatchBasis
from perfumery.vocabulary import BATCH_AMOUNT_MAX, BATCH_AMOUNT_MIN, BATCH_RANGE_KO, BatchUnit
from tools.fields import FormulaInput


class DocumentKind(StrEnum):
    csv = "csv"
    json = "json"
    batch_sheet = "batch_sheet"
    ifra_summary = "ifra_summary"
    allergen_declaration = "allergen_declaration"


MEDIA_TYPES = {DocumentKind.csv: "text/csv; charset=utf-8", DocumentKind.json: "application/json",
               DocumentKind.batch_sheet: "text/html; charset=utf-8", DocumentKind.ifra_summary: "application/json",
               DocumentKind.allergen_declaration: "application/json"}
_EXTENSIONS = {DocumentKind.csv: "csv", DocumentKind.json: "json", DocumentKind.batch_sheet: "html",
               DocumentKind.ifra_summary: "ifra.json", DocumentKind.allergen_declaration: "allergens.json"}


class ExportRequest(FormulaInput):
    kind: DocumentKind = Field(description="csv | json | batch_sheet (인쇄용 HTML 배합표) | ifra_summary | "
                                           "allergen_declaration")
    batch: float = Field(default=100.0, ge=BATCH_AMOUNT_MIN, le=BATCH_AMOUNT_MAX, description="배합표의 양: 기본은 향료 농축액, basis=product 면 완제품 "
                                                          f"(batch_sheet 만; {BATCH_RANGE_KO})")
    unit: BatchUnit = Field(default=BatchUnit.g, description="g 또는 kg (batch_sheet 만)")
    basis: BatchBasis = Field(default=BatchBasis.concentrate,
                              description="concentrate (조향사가 만드는 향료 농축액) | product (제품 베이스까지 넣은 완제품)")


class Document(BaseModel):
    kind: DocumentKind
    media_type: str
    filename: str
    text: str = Field(description="문서 내용 그대로 (CSV, JSON, HTML)")


def document(recipe: Recipe, kind: DocumentKind, catalog: Catalog, grams: float = 100.0,
             basis: BatchBasis = BatchBasis.concentrate) -> Document:
    """``recipe`` as a ``kind`` document; a batch sheet weighs ``grams`` of concentrate (or of finished product,
    ``basis``). Raises ``FormulaError`` (Korean) for a batch sheet the formula's dilutions cannot be weighed
    into."""
    match kind:
        case DocumentKind.csv:
            text = documents.export_csv(recipe)
        case DocumentKind.json:
            text = documents.export_json(recipe)
        case DocumentKind.batch_sheet:
            text = documents.batch_sheet_html(recipe, grams, catalog, basis)
        case DocumentKind.ifra_summary:
            text = documents.ifra_summary(recipe, catalog).model_dump_json(indent=2)
        case DocumentKind.allergen_declaration:
            text = documents.allergen_declaration(recipe, catalog).model_dump_json(indent=2)
    return Document(kind=kind, media_type=MEDIA_TYPES[kind], filename=f"{recipe.id}-v{recipe.version}.{_EXTENSIONS[kind]}",
                    text=text)
