"""What the knowledge base can vouch for: IFRA coverage and sourced use levels, for `hyanggi kb check`."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel

from knowledge.kb import KnowledgeBase
from perfumery.ifra import IfraStatus


class Coverage(BaseModel):
    materials: int
    standards: int
    under_standard: int
    with_figure: int
    prohibited: int
    not_under_standard: int
    checked_by_name: int
    unknown: list[str]
    use_sourced: int
    impact: dict[str, int]
    substantivity: int


def coverage(kb: KnowledgeBase) -> Coverage:
    """IFRA standing (fine fragrance, category 4) and use-level sourcing over every material."""
    catalog = kb.catalog
    status = {m: catalog.ifra_status(m) for m in kb.materials}
    under = [m for m in kb.materials if kb.contributions.get(m)]
    return Coverage(
        materials=len(kb.materials), standards=len(kb.standards), under_standard=len(under),
        with_figure=sum(1 for m in under if status[m] == IfraStatus.restricted),
        prohibited=sum(1 for s in status.values() if s == IfraStatus.prohibited),
        not_under_standard=sum(1 for s in status.values() if s == IfraStatus.none),
        checked_by_name=sum(1 for m in kb.materials.values() if not m.cas and status[m.id] == IfraStatus.none),
        unknown=sorted(m for m, s in status.items() if s == IfraStatus.unknown),
        use_sourced=sum(1 for m in kb.materials.values() if m.use_source),
        impact=dict(Counter(m.impact_class.value for m in kb.materials.values())),
        substantivity=sum(1 for m in kb.materials.values() if m.substantivity_hours))


def to_text(report: Coverage) -> str:
    unknown = ", ".join(report.unknown) or "없음"
    return (f"IFRA (51차 개정, 표준 {report.standards}개, 카테고리 4): 표준 대상 {report.under_standard}/{report.materials} "
            f"(수치 있음 {report.with_figure}, 금지 {report.prohibited}), 대상 아님 {report.not_under_standard} "
            f"(CAS 없어 이름으로 확인 {report.checked_by_name}), 확인 필요 {len(report.unknown)}: {unknown}\n"
            f"사용 범위 출처 있음 {report.use_sourced}/{report.materials} (나머지는 출처 없는 편집 추정치), "
            f"향 세기 분류 {report.impact}, 지속 시간 출처 {report.substantivity}")
