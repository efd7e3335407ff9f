"""A tiny knowledge-data folder for the knowledge-package tests: 8 materials, 2 accords, 2 perfumes, 9 lexicon terms.

Written as YAML into a temporary folder so the loader is exercised exactly as on the real data; the
vocabulary is the real ``descriptors.yaml``, the IFRA tables the real ``ifra/`` and the EU allergen list the real
``eu_allergens/``. Tests break one thing at a time with ``write_kb(..., **override)``.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import yaml

from knowledge.kb import DEFAULT_DATA_DIR

MATERIALS: list[dict] = [
    dict(id="bergamot_oil", name_ko="베르가못 오일", name_en="Bergamot oil", cas="8007-75-8", family="citrus",
         note="top", volatility=0.9, descriptors=["bergamot", "citrus", "fresh"], descriptors_ko=["상큼한"],
         synonyms={"ko": ["베르가못"], "en": ["Citrus bergamia peel oil"], "trade": []},
         use_range=[2, 20], origin="natural", cost_tier=2,
         description_ko="베르가못 껍질을 압착한 오일로 밝고 쌉싸름한 시트러스 향이다."),
    dict(id="lemon_oil", name_ko="레몬 오일", name_en="Lemon oil", family="citrus", note="top", volatility=0.95,
         descriptors=["lemon", "citrus", "zesty"], use_range=[1, 10], origin="natural", cost_tier=1,
         description_ko="레몬 껍질 오일로 톡 쏘는 새콤한 첫인상을 준다."),
    dict(id="lavender_oil", name_ko="라벤더 오일", name_en="Lavender oil", family="aromatic", note="top",
         volatility=0.75, descriptors=["lavender", "herbal", "aromatic"], use_range=[1, 15], origin="natural",
         cost_tier=2, description_ko="라벤더 꽃을 증류한 오일로 허브 향이 나는 아로마틱 노트다."),
    dict(id="hedione", name_ko="헤디온", name_en="Hedione", cas="24851-98-7", chemical_identity="Methyl dihydrojasmonate",
         family="floral", note="heart", volatility=0.55, descriptors=["jasmine", "floral", "fresh"],
         use_range=[2, 30], origin="synthetic", cost_tier=1, description_ko="투명하고 공기 같은 자스민 향의 합성 원료."),
    dict(id="rose_absolute", name_ko="로즈 앱솔루트", name_en="Rose absolute", family="floral", note="heart",
         volatility=0.45, descriptors=["rose", "floral", "honey"], use_range=[0.5, 5], origin="natural", cost_tier=5,
         synonyms={"ko": ["장미 앱솔루트"], "en": [], "trade": []},
         description_ko="장미 꽃잎에서 얻은 앱솔루트로 꿀 같은 진한 장미 향이다."),
    dict(id="sandalwood_oil", name_ko="샌달우드 오일", name_en="Sandalwood oil", family="woody", note="base",
         volatility=0.15, descriptors=["sandalwood", "woody", "creamy"], use_range=[1, 10], origin="natural",
         cost_tier=5, synonyms={"ko": ["백단향"], "en": [], "trade": []},
         description_ko="백단 나무에서 얻은 오일로 크리미하고 부드러운 나무 향이다."),
    dict(id="vanillin", name_ko="바닐린", name_en="Vanillin", cas="121-33-5", family="gourmand", note="base",
         volatility=0.1, descriptors=["vanilla", "sweet", "creamy"], use_range=[0.1, 5], origin="synthetic",
         cost_tier=1, description_ko="바닐라의 주성분으로 달콤한 바닐라 향을 낸다."),
    dict(id="oakmoss_absolute", name_ko="오크모스 앱솔루트", name_en="Oakmoss absolute", family="mossy", note="base",
         cas="90028-68-5", volatility=0.1, descriptors=["mossy", "earthy", "woody"], use_range=[0.1, 1],
         origin="natural", cost_tier=3,
         description_ko="참나무 이끼에서 얻은 앱솔루트로 흙과 이끼 냄새가 난다."),
]
ACCORDS: list[dict] = [
    dict(id="chypre_accord", name_ko="시프레 어코드", name_en="Chypre accord", family="mossy",
         descriptors=["mossy", "citrus", "woody"],
         components=[{"material": "bergamot_oil", "parts": 50}, {"material": "oakmoss_absolute", "parts": 10},
                     {"material": "sandalwood_oil", "parts": 40}],
         description_ko="베르가못과 오크모스의 대비로 만드는 고전적인 시프레 구조."),
    dict(id="rose_vanilla_accord", name_ko="로즈 바닐라 어코드", name_en="Rose vanilla accord", family="floral",
         descriptors=["rose", "vanilla", "sweet"],
         components=[{"material": "rose_absolute", "parts": 60}, {"material": "vanillin", "parts": 40}],
         description_ko="장미에 바닐라의 달콤함을 더한 부드러운 어코드."),
]
PERFUMES: list[dict] = [
    dict(id="guerlain_mitsouko", brand="Guerlain", name="Mitsouko", year=1919, perfumers=["Jacques Guerlain"],
         family="mossy", subfamily="fruity chypre", gender="feminine",
         top=[{"text": "베르가못", "material": "bergamot_oil"}], heart=[{"text": "장미", "material": "rose_absolute"}],
         base=[{"text": "오크모스", "material": "oakmoss_absolute"}], descriptors=["mossy", "peach", "woody"],
         description_ko="복숭아와 오크모스가 어우러진 고전 시프레 향수."),
    dict(id="jicky", brand="Guerlain", name="Jicky", year=1889, family="aromatic", gender="unisex",
         top=[{"text": "레몬", "material": "lemon_oil"}], heart=[{"text": "라벤더", "material": "lavender_oil"}],
         base=[{"text": "바닐라", "material": "vanillin"}, {"text": "시벳"}], descriptors=["lavender", "vanilla"],
         description_ko="라벤더와 바닐라가 만나는 오래된 푸제르 계열 향수."),
]
LEXICON: list[dict] = [
    dict(term="상큼한", variants=["상큼", "상큼하게"], category="mood", descriptors={"citrus": 1.0, "fresh": 0.8}),
    dict(term="달콤한", variants=["달달한", "달콤하게"], category="mood", descriptors={"sweet": 1.0, "vanilla": 0.5}),
    dict(term="달다", category="mood", descriptors={"sweet": 1.0}),
    dict(term="바닐라", category="material", descriptors={"vanilla": 1.0}),
    dict(term="장미", variants=["로즈"], category="material", descriptors={"rose": 1.0}),
    dict(term="비 오는 날", variants=["비오는 날"], category="weather", descriptors={"earthy": 0.8, "mossy": 0.5}),
    dict(term="봄", category="season", season="spring", descriptors={"floral": 0.6}),
    dict(term="가벼운", variants=["가볍게"], category="intensity", intensity=0.2),
    dict(term="샌달우드", category="material", descriptors={"sandalwood": 1.0}),
]


def write_kb(root: Path, **override: list[dict]) -> Path:
    """Write the fixture (with any of materials/accords/perfumes/lexicon replaced) under ``root``; returns the folder."""
    data = {"materials": MATERIALS, "accords": ACCORDS, "perfumes": PERFUMES, "lexicon": LEXICON}
    data = {key: copy.deepcopy(override.get(key, value)) for key, value in data.items()}
    folder = root / "data"
    for sub in ("materials", "perfumes", "lexicon", "use_levels"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    shutil.copy(DEFAULT_DATA_DIR / "descriptors.yaml", folder / "descriptors.yaml")
    for sub in ("ifra", "eu_allergens"):
        shutil.copytree(DEFAULT_DATA_DIR / sub, folder / sub, dirs_exist_ok=True)
    # A fixture row's use_range is an editorial use-level record, as use_levels/ holds it.
    levels = [{"material": m["id"], "editorial": m.pop("use_range")} for m in data["materials"] if "use_range" in m]
    for path, rows in ((folder / "materials" / "all.yaml", data["materials"]),
                       (folder / "use_levels" / "all.yaml", levels),
                       (folder / "accords.yaml", data["accords"]),
                       (folder / "perfumes" / "all.yaml", data["perfumes"]),
                       (folder / "lexicon" / "all.yaml", data["lexicon"])):
        path.write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    return folder
