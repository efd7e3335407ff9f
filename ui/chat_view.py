"""What the chat UI shows for agent events and recipes — plain data, no Chainlit context needed.

Steps explain the turn (interpretation, retrieval with sources, generation, critique); a recipe gets a
pyramid chart, CSV/JSON exports and the follow-up actions.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import plotly.graph_objects as go

from agent.reading import ROUTE_KO
from perfumery.catalog import Catalog
from perfumery.csv_cells import safe_cell
from perfumery.documents import allergen_declaration, export_json, ifra_summary
from perfumery.models import POSITION_KO, SEASON_KO, STYLE_KO, NotePosition, Style
from perfumery.recipe import Recipe

COLLECTION_KO = {"materials": "재료", "accords": "어코드", "perfumes": "향수"}

# node → (step title, Chainlit step type); terminal nodes are the reply itself, not a step
STEP_TITLES = {
    "route": ("의도 파악", "tool"), "interpret": ("요청 해석", "tool"), "retrieve": ("자료 검색", "retrieval"),
    "generate": ("배합 생성", "llm"), "critique": ("평가", "tool"), "revise": ("수정·재생성", "tool"),
}

# action name → (label, the Korean message it sends through the agent, the descriptor it moves toward)
EDIT_ACTIONS = {"sweeter": ("더 달콤하게", "더 달콤하게 해줘", "sweet"), "lighter": ("더 가볍게", "더 가볍게 해줘", "light"),
                "longer": ("더 오래가게", "더 오래가게 해줘", None), "batch": ("100g 배합표", "100g 배합표로 보여줘", None)}


def edit_actions(brief: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Follow-up buttons, less those that go toward what the person ruled out ("너무 달지 않게" → no "더 달콤하게")."""
    avoided = set((brief or {}).get("avoid_descriptors") or {})
    return [(label, text) for label, text, toward in EDIT_ACTIONS.values() if toward not in avoided]


def step_output(node: str, update: dict[str, Any]) -> str:
    """Markdown for one finished node; empty when there is nothing worth showing."""
    if node == "route":
        return f"의도: **{ROUTE_KO.get(update.get('route') or '', update.get('route') or '?')}**"
    if node == "interpret":
        return brief_summary(update.get("brief") or {})
    if node == "retrieve":
        return sources_summary(update.get("retrieved") or [])
    if node == "generate":
        origins: dict[str, int] = {}
        for candidate in update.get("candidates") or []:
            origin = candidate["origin"].split(":")[0]
            origins[origin] = origins.get(origin, 0) + 1
        parts = ", ".join(f"{ {'composer': '조합기', 'llm': '언어 모델', 'repair': '보정'}.get(o, o)} {n}개"
                          for o, n in origins.items())
        return f"후보 배합 {sum(origins.values())}개 ({parts})"
    if node in ("critique", "revise"):
        rows = [f"- {c['recipe'].get('name') or c['origin']} ({c['origin']}): "
                f"{(c['recipe'].get('score') or {}).get('total', 0):.2f}" for c in (update.get("candidates") or [])[:5]]
        head = "점수 순 후보" if node == "critique" else f"보정 {update.get('revisions', '')}회차 후보"
        return "\n".join([head, *rows]) if rows else ""
    return ""


def brief_summary(brief: dict[str, Any]) -> str:
    if not brief:
        return ""
    lines = []
    descriptors = brief.get("descriptors") or {}
    if descriptors:
        ranked = sorted(descriptors.items(), key=lambda kv: -kv[1])[:8]
        lines.append("원하는 향: " + ", ".join(f"{d} {w:.2f}" for d, w in ranked))
    if brief.get("avoid_descriptors"):
        lines.append("피할 향: " + ", ".join(brief["avoid_descriptors"]))
    if brief.get("must_include"):
        lines.append("꼭 넣을 재료: " + ", ".join(brief["must_include"]))
    season = SEASON_KO.get(brief.get("season") or "")
    if season:
        lines.append(f"계절: {season}")
    if brief.get("occasion"):
        lines.append(f"상황: {brief['occasion']}")
    lines.append(f"강도: {brief.get('intensity', 0.5):.1f} · 스타일: {STYLE_KO[Style(brief.get('style', 'unisex'))]}"
                 f" · 농도: {brief.get('concentration', 'EDP')} · 예산 등급: {brief.get('budget_tier', 3)}/5")
    return "\n".join(f"- {line}" for line in lines)


def sources_summary(retrieved: list[dict[str, Any]]) -> str:
    rows = [f"- [{COLLECTION_KO.get(r.get('collection', ''), r.get('collection', ''))}] **{r.get('name_ko') or r['id']}**"
            f" ({r.get('name_en', '')}) · 점수 {r.get('score', 0):.2f} · `{r['id']}`" for r in retrieved]
    return "근거 자료\n" + "\n".join(rows) if rows else "검색 결과 없음"


def pyramid_figure(recipe: Recipe) -> go.Figure:
    """Stacked horizontal bars, base at the bottom: the note pyramid with every material as a segment."""
    figure = go.Figure()
    for ing in sorted(recipe.ingredients, key=lambda i: -i.percent):
        figure.add_bar(y=[POSITION_KO[ing.note.value]], x=[ing.percent], orientation="h", name=ing.name_ko or ing.material_id,
                       hovertemplate=f"{ing.name_ko} %{{x:.2f}}%<extra></extra>", showlegend=False)
    figure.update_layout(barmode="stack", title=f"향 피라미드 — {recipe.name or recipe.id} v{recipe.version}",
                         xaxis_title="농축액 중 %", height=260, margin={"l": 60, "r": 20, "t": 50, "b": 40},
                         yaxis={"categoryorder": "array", "categoryarray": [POSITION_KO[p] for p in reversed(NotePosition)]})
    return figure


def recipe_csv(recipe: Recipe) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["material_id", "name_ko", "name_en", "cas", "note", "percent"])
    for ing in recipe.ingredients:
        writer.writerow([safe_cell(cell) for cell in (ing.material_id, ing.name_ko, ing.name_en, ing.cas, ing.note.value,
                                                      f"{ing.percent:.2f}")])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: spreadsheet apps then read the Korean correctly


def recipe_json(recipe: Recipe) -> bytes:
    return export_json(recipe).encode("utf-8")


def documents_md(recipe: Recipe, catalog: Catalog) -> bytes:
    """The IFRA conformity summary and the EU allergen declaration for the recipe's product, as one file."""
    ifra, allergens = ifra_summary(recipe, catalog), allergen_declaration(recipe, catalog)
    parts = [f"# {recipe.name or recipe.id} v{recipe.version}", "", "## IFRA 적합성 요약", "", ifra.basis_ko, "",
             *(f"- {line}" for line in ifra.lines_ko), "", "## EU 알레르기 유발 성분 표시", "", allergens.basis_ko, "",
             *(f"- {line}" for line in allergens.lines_ko or ["표시 대상 없음"]), "", ifra.authority_ko]
    return "\n".join(parts).encode("utf-8")


def export_name(recipe: Recipe, suffix: str) -> str:
    return f"hyanggi-{recipe.id}-v{recipe.version}.{suffix}"


def compare_message(recipe: Recipe) -> str | None:
    """The Korean request comparing this version with its parent, or None for a first version."""
    if recipe.version < 2:
        return None
    return f"v{recipe.parent_version or recipe.version - 1}이랑 v{recipe.version} 비교해줘"
