"""`hyanggi search` and `hyanggi kb list|check|index`: the knowledge base from the command line."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ui.apps import app, kb_app
from ui.tables import counts_table

if TYPE_CHECKING:
    from knowledge.search import SearchResult

console = Console()
errors = Console(stderr=True)


class CollectionChoice(StrEnum):
    materials = "materials"
    accords = "accords"
    perfumes = "perfumes"
    all = "all"


class ListChoice(StrEnum):
    materials = "materials"
    accords = "accords"
    perfumes = "perfumes"


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]오류:[/] {message}", highlight=False)
    return typer.Exit(code=1)


def _results_json(query: str, results: list[SearchResult]) -> str:
    return json.dumps({"query": query, "results": [r.model_dump(mode="json") for r in results]}, ensure_ascii=False)


def _results_table(query: str, results: list[SearchResult]) -> Table:
    table = Table(title=f"검색: {query}", title_justify="left")
    for column in ("#", "id", "이름", "name", "CAS", "score"):
        table.add_column(column, justify="right" if column in ("#", "score") else "left")
    for rank, result in enumerate(results, start=1):
        table.add_row(str(rank), result.id, result.name_ko, result.name_en, result.cas, f"{result.score:.3f}")
    return table


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="검색어; '-' = 표준 입력에서 한 줄에 하나씩 (one query per line).")],
    collection: Annotated[CollectionChoice, typer.Option("--collection", "-c")] = CollectionChoice.all,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="결과 수 (results).")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="JSON 출력.")] = False,
) -> None:
    """재료·어코드·향수 하이브리드 검색 (hybrid search over materials, accords, perfumes)."""
    from hyanggi.settings import get_settings
    from knowledge.documents import CollectionName
    from knowledge.search import get_searcher

    queries = [line.strip() for line in sys.stdin if line.strip()] if query == "-" else [query.strip()]
    if not queries or not all(queries):
        raise _fail("검색어가 비어 있습니다 (empty query).")
    collections = list(CollectionName) if collection is CollectionChoice.all else [CollectionName(collection.value)]
    searcher = get_searcher(get_settings())
    for text in queries:
        results = searcher.search(text, collections=collections, k=k)
        if as_json or query == "-":
            typer.echo(_results_json(text, results))
        else:
            console.print(_results_table(text, results))


@kb_app.command("list")
def list_records(
    kind: Annotated[ListChoice, typer.Argument(help="materials | accords | perfumes")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON 출력 (full records).")] = False,
) -> None:
    """지식 베이스 목록 (list knowledge-base records)."""
    from knowledge.kb import load_knowledge_base

    kb = load_knowledge_base()
    records = {ListChoice.materials: kb.materials, ListChoice.accords: kb.accords, ListChoice.perfumes: kb.perfumes}[kind]
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in records.values()], ensure_ascii=False, indent=1))
        return
    table = Table(title=f"{kind.value} ({len(records)})", title_justify="left")
    if kind is ListChoice.perfumes:
        for column in ("id", "brand", "name", "year", "family"):
            table.add_column(column)
        for p in kb.perfumes.values():
            table.add_row(p.id, p.brand, p.name, str(p.year), p.family.value)
    elif kind is ListChoice.accords:
        for column in ("id", "이름", "name", "family", "components"):
            table.add_column(column)
        for a in kb.accords.values():
            table.add_row(a.id, a.name_ko, a.name_en, a.family.value, str(len(a.components)))
    else:
        for column in ("id", "이름", "name", "CAS", "family", "note", "IFRA"):
            table.add_column(column)
        for m in kb.materials.values():
            table.add_row(m.id, m.name_ko, m.name_en, m.cas, m.family.value, m.note.value, kb.catalog.ifra_status(m.id).value)
    console.print(table)


@kb_app.command("check")
def check() -> None:
    """데이터 검증 (validate knowledge/data/ and print counts or every problem)."""
    from knowledge.kb import load_knowledge_base

    kb = load_knowledge_base()
    from knowledge.coverage import coverage, tables

    console.print(
        f"✓ materials {len(kb.materials)}, accords {len(kb.accords)}, perfumes {len(kb.perfumes)}, "
        f"lexicon {len(kb.lexicon)}, descriptors {len(kb.descriptors)}"
    )
    for found in tables(coverage(kb)):
        table = Table(title=found.title, title_justify="left")
        for column in found.columns:
            table.add_column(column, overflow="fold")
        for row in found.rows:
            table.add_row(*row)
        console.print(table)


@kb_app.command("index")
def index(force: Annotated[bool, typer.Option("--force", help="최신이어도 다시 만들기 (rebuild anyway).")] = False) -> None:
    """검색 인덱스 만들기 (build the search index from knowledge/data/)."""
    from hyanggi.settings import get_settings
    from knowledge.index import build_index

    settings = get_settings()
    report = build_index(settings, progress=True, force=force)
    state = f"rebuilt in {report.manifest.build_seconds:.1f} s" if report.built else "up to date"
    console.print(counts_table(f"✓ 검색 인덱스 (index) {state} — {settings.index_location}", report.manifest.counts,
                               "collection", "documents"))
