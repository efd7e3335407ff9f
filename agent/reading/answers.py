"""What a question is answered from: records the message names, materials of the character it asks about,
a perfumery basic our own data states, or an honest "잘 모르겠어요" — never the nearest random record.

Dense retrieval always returns something ("향수 만드는 법" lands on a perfume description), so a record is
quoted only when the message points at it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.reading.message import Reading
from knowledge.kb import KnowledgeBase
from knowledge.korean import compact
from knowledge.search import SearchResult
from perfumery.ifra import PRODUCTS, amendment_ko
from perfumery.models import DEFAULT_DILUTION, NotePosition
from perfumery.pyramid import PyramidBands
from perfumery.vocabulary import POSITION_KO

UNSURE_KO = ("잘 모르겠어요. 제 지식 베이스에는 그 질문에 답할 자료가 없어요. 재료(예: 헤디온, 베티버)나 향수(예: Santal 33)에 "
             "대해 물어보시거나, 원하는 향을 말씀해 주시면 바로 설계해 드릴게요.")
_TOKEN = re.compile(r"[a-z0-9°]{2,}")


def answer_ids(reading: Reading, results: Sequence[SearchResult], message: str, kb: KnowledgeBase,
               limit: int = 3) -> list[str]:
    """Records the question is about: materials it names, then search hits whose own name it contains,
    then (for "스모키한 재료는?") the materials closest to the character it names."""
    ids = list(dict.fromkeys(m.material_id for m in reading.mentions))
    words = set(_TOKEN.findall(message.casefold()))
    packed = compact(message)
    for hit in results:
        if hit.id in kb.perfumes:
            perfume = kb.perfumes[hit.id]
            named = set(_TOKEN.findall(perfume.name.casefold())) & words
        elif hit.id in kb.accords:
            named = compact(kb.accords[hit.id].name_ko) in packed
        else:
            named = False
        if named and hit.id not in ids:
            ids.append(hit.id)
    if not ids:
        wanted: dict[str, float] = {}
        for match in reading.matches:
            if not match.negated:
                for descriptor, weight in match.entry.descriptors.items():
                    wanted[descriptor] = max(wanted.get(descriptor, 0.0), weight)
        if wanted:
            ids = [m for m, _ in kb.catalog.nearest_materials(wanted, k=limit)]
    return ids[:limit]


def topic_reply(message: str, amendment: str) -> str | None:
    """A perfumery basic stated from our own tables (pyramid bands, concentrations, IFRA categories and the
    amendment of the IFRA tables loaded)."""
    packed = compact(message).lower()
    if any(w in packed for w in ("탑노트", "미들노트", "하트노트", "베이스노트", "피라미드", "노트가뭐", "노트란")):
        bands = PyramidBands()
        rows = [f"- **{POSITION_KO[p]}**: 전체 향료의 약 {bands.band(p)[0]:g}–{bands.band(p)[1]:g}%" for p in NotePosition]
        return ("향은 증발 속도에 따라 세 자리로 나눠 설계해요. 탑은 처음 몇 분 동안 나는 가벼운 향, 미들(하트)은 향의 중심, "
                "베이스는 가장 오래 남는 무거운 향이에요. 제가 레시피를 짤 때 쓰는 비중은 이래요 (EDC처럼 가벼운 향은 탑이 더 커요):\n"
                + "\n".join(rows))
    if any(w in packed for w in ("농도", "edp", "edt", "edc", "오드퍼퓸", "오드뚜왈렛", "오드코롱", "부향률")):
        rows = [f"- **{c.value}**: 향료 약 {share:g}%" for c, share in DEFAULT_DILUTION.items()]
        return ("농도(부향률)는 완성된 향수에서 향료 농축액이 차지하는 비율이에요. 높을수록 진하고 오래가요. "
                "제가 기본으로 쓰는 값은 이래요 (브랜드마다 조금씩 달라요):\n" + "\n".join(rows))
    if "ifra" in packed or "이프라" in packed:
        categories = sorted({p.category.value for p in PRODUCTS.values()})
        return ("IFRA(국제향료협회)는 향료 원료마다 제품 종류(카테고리)별 최대 사용량을 정한 표준을 발표해요. "
                f"저는 {amendment_ko(amendment)} 표를 "
                f"기준으로 레시피의 각 표준 해당 성분을 완제품 기준으로 합산해 확인해요 (다루는 카테고리: {', '.join(categories)}). "
                "수치가 없는 원료는 '확인 필요'로 표시하고, 최종 판단은 공급사의 IFRA 인증서를 따라야 해요.")
    return None
