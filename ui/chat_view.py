"""What the chat UI attaches to a reply — plain data, no Chainlit context needed: the files a perfumer takes
away (named by formula and version), the follow-up buttons, and the Korean words Chainlit's own interface
uses in this chat.

The turn's progress lines live in ``ui.chat_steps`` and the charts in ``ui.chat_charts``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from typing import Any

from perfumery.catalog import Catalog
from perfumery.csv_cells import safe_cell
from perfumery.documents import allergen_declaration, export_json, ifra_summary
from perfumery.recipe import Recipe

# action name → (label, the Korean message it sends through the agent, the descriptor it moves toward)
EDIT_ACTIONS = {"sweeter": ("더 달콤하게", "더 달콤하게 해줘", "sweet"), "lighter": ("더 가볍게", "더 가볍게 해줘", "light"),
                "longer": ("더 오래가게", "더 오래가게 해줘", None), "batch": ("100g 배합표", "100g 배합표로 보여줘", None)}

# Chainlit's own words in this chat, over its Korean translation (dotted keys of its translation file). A
# step reads "✓ 요청 해석 · …" instead of "사용됨 요청 해석": the stage line is the step's name. The prefix is
# the translation of chat.messages.status.used/using; no setting removes it (Chainlit issues #2102, #2186).
TRANSLATION_KO = {
    "chat.messages.status.used": "✓",
    "chat.messages.status.using": "⋯",
    "chat.input.placeholder": "원하는 향을 말씀해 주세요 (예: 비 오는 날 카페 같은 포근한 향)",
    "chat.watermark": "향료 배합은 참고용이에요. 만들기 전에 IFRA 기준과 안전 자료(SDS)를 꼭 확인하세요.",
    "chat.settings.title": "채팅 설정",
    "chat.settings.customize": "답변 수준, 제품, 생성 방식과 개발자 보기를 고를 수 있어요.",
    "navigation.header.readme": "안내",
}
_UNSAFE_NAME = re.compile(r"[^0-9A-Za-z가-힣]+")
NAME_CHARS = 40


def translation(base: dict[str, Any], overrides: dict[str, str]) -> dict[str, Any]:
    """Chainlit's translation with ``overrides`` (dotted keys) set; every key the library added stays."""
    merged = {key: translation(value, {}) if isinstance(value, dict) else value for key, value in base.items()}
    for dotted, text in overrides.items():
        *parents, leaf = dotted.split(".")
        node = merged
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = text
    return merged


def edit_actions(brief: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Follow-up buttons, less those that go toward what the person ruled out ("너무 달지 않게" → no "더 달콤하게")."""
    avoided = set((brief or {}).get("avoid_descriptors") or {})
    return [(label, text) for label, text, toward in EDIT_ACTIONS.values() if toward not in avoided]


def offer_actions(extras: dict[str, Any]) -> list[tuple[str, str]]:
    """Buttons for what a reply offered as a question ("…이 없어서 아무것도 바꾸지 않았어요 — 이 중 하나를 빼
    드릴까요?"): each sends its request as the person's next message, so nothing changes until they choose."""
    return [(offer["label"], offer["message"]) for offer in extras.get("offers") or []]


def is_new_version(recipe: Recipe, shown: tuple[str, int] | None) -> bool:
    """Files and charts go under a reply only when it made a version the chat has not shown yet ("고마워!"
    or a question keeps the current formula and gets none)."""
    return (recipe.id, recipe.version) != shown


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


def export_name(recipe: Recipe, extension: str, part: str = "") -> str:
    """A download name a person recognises, unique per file: the formula's name and version and what the file
    is ("포근한-카페-v2.csv", "포근한-카페-v2-배합표-100g.html"), in characters every file system and browser keeps
    (Hangul syllables, ASCII letters and digits, hyphens)."""
    stem = _UNSAFE_NAME.sub("-", unicodedata.normalize("NFC", recipe.name)).strip("-")[:NAME_CHARS].strip("-")
    return f"{stem or 'hyanggi-' + recipe.id}-v{recipe.version}{'-' + part if part else ''}.{extension}"


def compare_message(recipe: Recipe) -> str | None:
    """The Korean request comparing this version with its parent, or None for a first version."""
    if recipe.version < 2:
        return None
    return f"v{recipe.parent_version or recipe.version - 1}이랑 v{recipe.version} 비교해줘"
