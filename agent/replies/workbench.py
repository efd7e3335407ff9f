"""Korean replies for the perfumer's workbench: an imported formula read back, where-used, replacements."""

from __future__ import annotations

from typing import Any

from knowledge.formula_import import ImportResult
from perfumery.catalog import Catalog
from perfumery.critic import pct
from perfumery.neat import LineKind, ResolvedLine
from perfumery.replacements import Replacement
from perfumery.vocabulary import UNIT_KO


def _read_as(line: ResolvedLine, catalog: Catalog) -> str:
    if line.kind == LineKind.material and line.target:
        return catalog.material(line.target).name_ko
    if line.kind == LineKind.accord and line.target:
        return f"{catalog.accords[line.target].name_ko} (어코드)"
    if line.kind == LineKind.solvent:
        return f"용매 {line.target}"
    hint = f" — 혹시 {catalog.material(line.suggestion).name_ko}?" if line.suggestion in catalog else ""
    return f"목록에 없는 재료{hint}"


def import_reply_ko(result: ImportResult, catalog: Catalog) -> str:
    """What was read, what to confirm, what was assumed: shown before anything is judged."""
    recipe = result.recipe
    known = sum(1 for i in recipe.ingredients if i.material_id in catalog)
    parts = [f"레시피를 가져왔어요: {len(result.lines)}줄 → 재료 {len(recipe.ingredients)}가지 "
             f"(목록에 있는 재료 {known}가지), v{recipe.version}로 저장했어요."]
    confirm = result.to_confirm
    if confirm:
        parts.append("확인이 필요한 줄:")
        for line in confirm:
            unit = UNIT_KO[line.line.unit] if line.line.unit else ""
            sure = f" (확신도 {line.confidence:.0%})" if line.kind != LineKind.unknown else ""
            parts.append(f"- {line.line.line_no}행 '{line.line.text}' {line.line.amount:g}{unit} → "
                         f"{_read_as(line, catalog)}{sure}")
        parts.append("잘못 읽은 줄은 '○○를 △△로 바꿔줘'처럼 말씀해 주세요.")
    parts.extend(f"- {note}" for note in result.notes_ko)
    parts.extend(f"- {s.line_no}행 건너뜀: '{s.raw.strip()}' ({s.reason_ko})" for s in result.skipped)
    parts.append("배합 (원액 기준): " + ", ".join(
        f"{i.name_ko or i.material_id} {pct(i.percent)}%" + (f" [{i.dilution.strength:g}% 희석]" if i.dilution else "")
        for i in recipe.ingredients))
    return "\n".join(parts)


def where_used_ko(rows: list[dict[str, Any]], name_ko: str) -> str:
    if not rows:
        return f"{name_ko}을(를) 쓰는 저장된 레시피가 없어요."
    lines = [f"{name_ko}을(를) 쓰는 레시피 {len({r['recipe_id'] for r in rows})}개:"]
    lines += [f"- {r['name'] or r['recipe_id']} v{r['version']}: {pct(r['percent'])}%" for r in rows]
    return "\n".join(lines)


def replacements_ko(found: list[Replacement], name_ko: str) -> str:
    if not found:
        return f"{name_ko}을(를) 대신할 만한 재료를 찾지 못했어요."
    lines = [f"{name_ko} 대체 후보:"]
    for n, r in enumerate(found, start=1):
        lines.append(f"{n}. {r.name_ko} (유사도 {r.similarity:.2f}, 제안 {pct(r.percent)}%) — " + "; ".join(r.reasons_ko))
    lines.append("적용하려면 '○○로 바꿔줘'라고 말씀해 주세요. 나머지 비율은 같은 자리의 주력 재료로 다시 맞춥니다.")
    return "\n".join(lines)
