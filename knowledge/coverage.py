"""What the knowledge base can vouch for, for `hyanggi kb check`: sourced use levels, constituents of the
naturals, the EU allergen list and IFRA coverage.

Pure counting over a loaded ``KnowledgeBase``; the report comes as titled tables of strings so the command
only draws them (and a test can read the same figures).
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel

from knowledge.ifra_tables import annex_source_ko
from knowledge.kb import KnowledgeBase
from perfumery.allergens import AnnexChange
from perfumery.ifra import IfraStatus, amendment_ko
from perfumery.models import Origin, SourceKind, UseBasis

USE_TARGET = 0.9  # issue 27: at least 90 % of the materials with a sourced maximum
SOURCED = (UseBasis.consensus, UseBasis.conflict, UseBasis.single)
BASIS_KO = {UseBasis.consensus: "합의 (출처 2곳 이상, 최대치 1.5배 이내)",
            UseBasis.conflict: "출처 간 차이 (낮은 최대치 채택)", UseBasis.single: "단일 출처",
            UseBasis.prohibited: "사용 금지 (IFRA·법규, 최대 0%)", UseBasis.editorial: "출처 없는 편집 추정치"}
KIND_KO = {SourceKind.supplier: "공급사", SourceKind.database: "데이터베이스",
           SourceKind.practitioner: "조향사 자료", SourceKind.formula_statistics: "처방 통계",
           SourceKind.literature: "문헌", SourceKind.regulation: "규정"}
CHANGE_KO = {AnnexChange.added: "2023/1545 신규 항목", AnnexChange.substituted: "2023/1545 개정 항목",
             AnnexChange.unchanged: "기존 항목"}


class Table(BaseModel):
    title: str
    columns: list[str]
    rows: list[list[str]]


class Coverage(BaseModel):
    materials: int
    use_basis: dict[UseBasis, int]
    by_kind: dict[SourceKind, tuple[int, int, list[str]]]  # materials, citations, source names
    naturals: int
    with_constituents: int
    from_annex: int
    from_certificate: int
    unquantified: dict[str, list[str]]  # natural → allergens with no figure (확인 필요)
    annex_entries: dict[AnnexChange, tuple[int, int]]  # entries, entries some material carries
    quantified_entries: int
    standards: int
    amendment: str  # of the IFRA tables counted against, read from them
    under_standard: int
    with_figure: int
    prohibited: int
    not_under_standard: int
    checked_by_name: int
    unknown: list[str]
    editorial: list[str]
    impact: dict[str, int]
    substantivity: int

    @property
    def sourced(self) -> int:
        """Materials whose maximum rests on a public source or a cited ban."""
        return sum(self.use_basis.get(b, 0) for b in (*SOURCED, UseBasis.prohibited))


def coverage(kb: KnowledgeBase) -> Coverage:
    """Counts over every material: use-level basis, citations by kind, constituents, allergens, IFRA (category 4)."""
    catalog = kb.catalog
    materials = kb.materials.values()
    by_kind: dict[SourceKind, tuple[int, int, list[str]]] = {}
    for kind in SourceKind:
        cited = [[c for c in record.citations if c.kind == kind] for record in kb.use_levels.values()]
        names = sorted({c.source for found in cited for c in found})
        by_kind[kind] = (sum(1 for found in cited if found), sum(len(found) for found in cited), names)
    naturals = [m for m in materials if m.origin == Origin.natural]
    sources = {m.id: {src for variant in kb.compositions.get(m.id, []) for _, src in variant.values()}
               for m in naturals}
    carried = {share.allergen for m in materials for share in m.allergen_content}
    quantified = {share.allergen for m in materials for share in m.allergen_content if share.fraction is not None}
    entries = kb.allergen_entries.values()
    status = {m: catalog.ifra_status(m) for m in kb.materials}
    under = [m for m in kb.materials if kb.contributions.get(m)]
    annex = annex_source_ko(catalog.ifra_amendment)
    return Coverage(
        materials=len(kb.materials), use_basis=dict(Counter(m.use_basis for m in materials)), by_kind=by_kind,
        naturals=len(naturals), with_constituents=sum(1 for m in naturals if kb.compositions.get(m.id)),
        from_annex=sum(1 for m in naturals if annex in sources[m.id]),
        from_certificate=sum(1 for m in naturals if kb.constituents.get(m.id) and kb.constituents[m.id].certificates),
        unquantified={m.id: [s.allergen for s in m.allergen_content if s.fraction is None]
                      for m in naturals if any(s.fraction is None for s in m.allergen_content)},
        annex_entries={change: (sum(1 for e in entries if e.change == change),
                                sum(1 for e in entries if e.change == change and e.label in carried))
                       for change in AnnexChange},
        quantified_entries=sum(1 for e in entries if e.label in quantified),
        standards=len(kb.standards), amendment=catalog.ifra_amendment, under_standard=len(under),
        with_figure=sum(1 for m in under if status[m] == IfraStatus.restricted),
        prohibited=sum(1 for s in status.values() if s == IfraStatus.prohibited),
        not_under_standard=sum(1 for s in status.values() if s == IfraStatus.none),
        checked_by_name=sum(1 for m in materials if not m.cas and status[m.id] == IfraStatus.none),
        unknown=sorted(m for m, s in status.items() if s == IfraStatus.unknown),
        editorial=sorted(m.id for m in materials if m.use_basis == UseBasis.editorial),
        impact=dict(Counter(m.impact_class.value for m in materials)),
        substantivity=sum(1 for m in materials if m.substantivity_hours))


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.1f}%)" if whole else "0/0"


def tables(report: Coverage) -> list[Table]:
    """The report as the tables `hyanggi kb check` prints, in Korean with the English term where it helps."""
    n = report.materials
    sourced_use = sum(report.use_basis.get(b, 0) for b in SOURCED)
    met = "충족" if report.sourced >= USE_TARGET * n else "미달"
    use = Table(title="사용 범위 · Use levels (% of concentrate)", columns=["구분", "재료"], rows=[
        [f"출처 있는 최대치 (목표 ≥ {USE_TARGET:.0%}, {met})", _share(report.sourced, n)],
        *[[BASIS_KO[b], _share(report.use_basis.get(b, 0), n)] for b in UseBasis],
        ["합의 비율 (출처 있는 최대치 중)", _share(report.use_basis.get(UseBasis.consensus, 0), sourced_use)],
    ])
    kinds = Table(title="출처 종류별 · Coverage by source type", columns=["종류", "재료", "인용", "출처"], rows=[
        [KIND_KO[kind], str(count), str(cited), ", ".join(names)]
        for kind, (count, cited, names) in report.by_kind.items() if cited])
    unquantified = sum(len(v) for v in report.unquantified.values())
    naturals = Table(title="천연 원료 구성 성분 · Constituents of naturals", columns=["구분", "천연 원료"], rows=[
        ["구성 성분 자료 있음 (IFRA 부속서 또는 공급사 성적서)", _share(report.with_constituents, report.naturals)],
        [f"IFRA 부속서 ({amendment_ko(report.amendment)})", _share(report.from_annex, report.naturals)],
        ["공급사 성적서", _share(report.from_certificate, report.naturals)],
        [f"함량 확인 필요 알레르겐이 있음 ({unquantified}건)", _share(len(report.unquantified), report.naturals)],
    ])
    total = sum(count for count, _ in report.annex_entries.values())
    carried = sum(found for _, found in report.annex_entries.values())
    allergens = Table(title="EU 알레르겐 · Annex III (Regulation (EU) 2023/1545)", columns=["구분", "항목"], rows=[
        ["표시 대상 항목 중 카탈로그 재료가 함유", _share(carried, total)],
        *[[f"  {CHANGE_KO[change]}", _share(found, count)] for change, (count, found) in report.annex_entries.items()],
        ["함량 수치까지 있는 항목", _share(report.quantified_entries, total)],
    ])
    unknown = ", ".join(report.unknown) or "없음"
    ifra = Table(title=f"IFRA ({amendment_ko(report.amendment)}, 표준 {report.standards}개, 카테고리 4)", columns=["구분", "재료"], rows=[
        ["표준 대상", _share(report.under_standard, n)],
        ["  수치 있음", str(report.with_figure)],
        ["  금지", str(report.prohibited)],
        ["대상 아님", str(report.not_under_standard)],
        ["  CAS 없어 이름으로 확인", str(report.checked_by_name)],
        [f"확인 필요: {unknown}", str(len(report.unknown))],
    ])
    other = Table(title="기타 · Other", columns=["구분", "값"], rows=[
        ["향 세기 분류 (impact)", ", ".join(f"{k} {v}" for k, v in sorted(report.impact.items()))],
        ["지속 시간 출처 (substantivity)", _share(report.substantivity, n)],
        ["편집 추정치 재료", ", ".join(report.editorial) or "없음"],
    ])
    return [use, kinds, naturals, allergens, ifra, other]
