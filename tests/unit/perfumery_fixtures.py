"""A small hand-made catalog for the perfumery tests: 28 materials, 3 accords, 3 published perfumes.

Small enough to reason about by hand, broad enough to fill every note position. The IFRA Standards here
are test figures shaped like the real ones (a limit per category, one prohibition, one natural that
carries a restricted constituent); everything else is ordinary perfumery knowledge.
"""

from __future__ import annotations

from perfumery.catalog import Catalog
from perfumery.ifra import Contribution, IfraCategory, IfraStandard, Limit, LimitKind, StandardType
from perfumery.models import Accord, AllergenShare, Material, ReferencePerfume

TEST_SOURCE = "test figures shaped like the IFRA Standards, 51st Amendment"


def _standard(number: int, name: str, cat4: float | None, rinse_off: float | None = None) -> IfraStandard:
    """A Standard with ``cat4`` in fine fragrance (None = prohibited) and ``rinse_off`` in category 9."""
    def limit(value: float | None) -> Limit:
        return Limit(kind=LimitKind.prohibited) if value is None else Limit(kind=LimitKind.value, percent=value)
    limits = {c: limit(cat4) for c in IfraCategory}
    limits[IfraCategory.c9] = limit(rinse_off if rinse_off is not None else cat4)
    kind = StandardType.prohibition if cat4 is None else StandardType.restriction
    return IfraStandard(id=f"IFRA_STD_{number:03d}", name=name, types=frozenset({kind}), limits=limits,
                        amendment="51", source=TEST_SOURCE)


STANDARDS = {s.id: s for s in (
    _standard(48, "Isoeugenol", 0.2, rinse_off=0.5), _standard(15, "Lilial", None),
    _standard(23, "Coumarin", 1.6, rinse_off=3.0), _standard(67, "Oakmoss extracts", 0.1, rinse_off=0.2),
)}
CONTRIBUTIONS = {
    "isoeugenol": (Contribution(standard="IFRA_STD_048"),),
    "lilial": (Contribution(standard="IFRA_STD_015"),),
    "coumarin": (Contribution(standard="IFRA_STD_023"),),
    "oakmoss_absolute": (Contribution(standard="IFRA_STD_067"),),
    # Ylang-like natural: 2 % isoeugenol-type constituent, summed with isoeugenol itself.
    "jasmine_absolute": (Contribution(standard="IFRA_STD_048", fraction=0.02, from_natural=True),),
}

_MATERIALS: list[dict] = [
    # id, family, note, volatility, descriptors, use range, cost, extras
    dict(id="bergamot_oil", name_ko="베르가못 오일", name_en="Bergamot oil (FCF)", cas="8007-75-8", family="citrus",
         note="top", volatility=0.9, descriptors=["bergamot", "citrus", "fresh", "floral"], use_range=(2, 20),
         cost_tier=2, allergens=["Limonene", "Linalool"]),
    dict(id="lemon_oil", name_ko="레몬 오일", name_en="Lemon oil", family="citrus", note="top", volatility=0.95,
         descriptors=["lemon", "citrus", "zesty", "fresh"], use_range=(1, 10), cost_tier=1,
         allergens=["Limonene", "Citral"]),
    dict(id="pink_pepper_oil", name_ko="핑크 페퍼 오일", name_en="Pink pepper oil", family="spicy", note="top",
         volatility=0.8, descriptors=["pepper", "fresh_spicy", "spicy", "woody"], use_range=(0.2, 3), cost_tier=3,
         allergens=["Limonene"]),
    dict(id="cardamom_oil", name_ko="카다멈 오일", name_en="Cardamom oil", family="spicy", note="top",
         volatility=0.75, descriptors=["cardamom", "fresh_spicy", "aromatic", "camphoraceous"], use_range=(0.1, 3),
         cost_tier=4, allergens=["Limonene", "Linalool"]),
    dict(id="lavender_oil", name_ko="라벤더 오일", name_en="Lavender oil", family="aromatic", note="top",
         volatility=0.75, descriptors=["lavender", "herbal", "aromatic", "floral"], use_range=(1, 15), cost_tier=2,
         allergens=["Linalool", "Limonene", "Geraniol"]),
    dict(id="calone", name_ko="칼론", name_en="Calone", cas="28940-11-6", family="marine", note="top",
         volatility=0.7, descriptors=["marine", "ozonic", "watery", "melon"], use_range=(0.01, 1), cost_tier=2),
    dict(id="galbanum_oil", name_ko="갈바넘 오일", name_en="Galbanum oil", family="green", note="top",
         volatility=0.8, descriptors=["galbanum", "green", "leafy", "bitter"], use_range=(0.1, 2), cost_tier=4),
    dict(id="aldehyde_c12_mna", name_ko="알데하이드 C-12 MNA", name_en="Aldehyde C-12 MNA", family="aldehydic",
         note="top", volatility=0.7, descriptors=["aldehydic", "waxy", "metallic", "clean"], use_range=(0.05, 2),
         cost_tier=1),
    dict(id="hedione", name_ko="헤디온", name_en="Hedione", cas="24851-98-7", family="floral", note="heart",
         volatility=0.55, descriptors=["jasmine", "floral", "fresh", "clean"], use_range=(2, 30), cost_tier=1),
    dict(id="rose_absolute", name_ko="로즈 앱솔루트", name_en="Rose absolute", family="floral", note="heart",
         volatility=0.45, descriptors=["rose", "floral", "honey", "spicy"], use_range=(0.2, 5), cost_tier=5,
         allergens=["Geraniol", "Citronellol", "Eugenol"]),
    dict(id="jasmine_absolute", name_ko="자스민 앱솔루트", name_en="Jasmine absolute", family="floral",
         note="heart", volatility=0.4, descriptors=["jasmine", "white_floral", "floral", "animalic"],
         use_range=(0.2, 4), cost_tier=5, allergens=["Linalool", "Eugenol", "Benzyl Benzoate"]),
    dict(id="linalool", name_ko="리날룰", name_en="Linalool", cas="78-70-6", family="floral", note="heart",
         volatility=0.7, descriptors=["floral", "fresh", "lavender", "citrus"], use_range=(1, 15), cost_tier=1,
         allergens=["Linalool"]),
    dict(id="isoeugenol", name_ko="이소유제놀", name_en="Isoeugenol", cas="97-54-1", family="spicy", note="heart",
         volatility=0.45, descriptors=["clove", "spicy", "floral", "smoky"], use_range=(0.05, 1), cost_tier=1,
         allergens=["Isoeugenol"]),
    dict(id="orris_butter", name_ko="오리스 버터", name_en="Orris butter", family="powdery", note="heart",
         volatility=0.4, descriptors=["iris", "powdery", "woody", "violet"], use_range=(0.1, 3), cost_tier=5),
    dict(id="lilial", name_ko="릴리알", name_en="Lilial", cas="80-54-6", family="floral", note="heart",
         volatility=0.5, descriptors=["lily_of_the_valley", "floral", "fresh", "clean"], use_range=(1, 10),
         cost_tier=1, allergens=["Butylphenyl Methylpropional"]),
    dict(id="gamma_undecalactone", name_ko="감마 운데카락톤", name_en="gamma-Undecalactone", cas="104-67-6",
         family="fruity", note="heart", volatility=0.5, descriptors=["peach", "fruity", "creamy", "lactonic"],
         use_range=(0.1, 3), cost_tier=1),
    dict(id="geranium_oil", name_ko="제라늄 오일", name_en="Geranium oil", family="floral", note="heart",
         volatility=0.6, descriptors=["geranium", "rose", "green", "minty"], use_range=(0.5, 5), cost_tier=3,
         allergens=["Geraniol", "Citronellol", "Linalool"]),
    dict(id="iso_e_super", name_ko="이소 이 슈퍼", name_en="Iso E Super", cas="54464-57-2", family="woody",
         note="base", volatility=0.3, descriptors=["woody", "cedar", "amber", "dry"], use_range=(2, 40), cost_tier=1),
    dict(id="sandalwood_oil", name_ko="샌달우드 오일", name_en="Sandalwood oil", family="woody", note="base",
         volatility=0.15, descriptors=["sandalwood", "woody", "creamy", "milky"], use_range=(1, 10), cost_tier=5),
    dict(id="vetiver_oil", name_ko="베티버 오일", name_en="Vetiver oil", family="woody", note="base",
         volatility=0.1, descriptors=["vetiver", "woody", "earthy", "smoky"], use_range=(0.5, 8), cost_tier=4),
    dict(id="patchouli_oil", name_ko="패출리 오일", name_en="Patchouli oil", family="woody", note="base",
         volatility=0.1, descriptors=["patchouli", "earthy", "woody", "dry"], use_range=(0.5, 10), cost_tier=2),
    dict(id="cedarwood_oil", name_ko="시더우드 오일", name_en="Cedarwood oil (Virginia)", family="woody",
         note="base", volatility=0.3, descriptors=["cedar", "woody", "dry", "pine"], use_range=(1, 15), cost_tier=1),
    dict(id="galaxolide", name_ko="갈락솔라이드", name_en="Galaxolide", cas="1222-05-5", family="musk", note="base",
         volatility=0.15, descriptors=["musky", "clean", "soft", "sweet"], use_range=(2, 30), cost_tier=1),
    dict(id="ambroxan", name_ko="암브록산", name_en="Ambroxan", cas="6790-58-5", family="amber", note="base",
         volatility=0.1, descriptors=["ambergris", "amber", "woody", "musky"], use_range=(0.5, 10), cost_tier=2),
    dict(id="vanillin", name_ko="바닐린", name_en="Vanillin", cas="121-33-5", family="gourmand", note="base",
         volatility=0.2, descriptors=["vanilla", "sweet", "creamy"], use_range=(0.1, 5), cost_tier=1),
    dict(id="coumarin", name_ko="쿠마린", name_en="Coumarin", cas="91-64-5", family="gourmand", note="base",
         volatility=0.3, descriptors=["tonka", "hay", "sweet", "powdery"], use_range=(0.2, 5), cost_tier=1,
         allergens=["Coumarin"]),
    dict(id="oakmoss_absolute", name_ko="오크모스 앱솔루트", name_en="Oakmoss absolute", family="mossy",
         note="base", volatility=0.1, descriptors=["mossy", "earthy", "woody", "leather"], use_range=(0.1, 2),
         cost_tier=4, allergens=["Evernia Prunastri Extract"]),
    dict(id="labdanum_absolute", name_ko="랍다넘 앱솔루트", name_en="Labdanum absolute", family="amber",
         note="base", volatility=0.1, descriptors=["labdanum", "amber", "resinous", "leather"], use_range=(0.2, 5),
         cost_tier=3),
]

_ACCORDS: list[dict] = [
    dict(id="chypre_accord", name_ko="시프레 어코드", name_en="Chypre accord", family="mossy",
         descriptors=["mossy", "citrus", "woody", "earthy"],
         components=[dict(material="bergamot_oil", parts=40), dict(material="labdanum_absolute", parts=20),
                     dict(material="oakmoss_absolute", parts=5), dict(material="patchouli_oil", parts=35)],
         description_ko="베르가못, 랍다넘, 오크모스, 패출리로 이루어진 고전적인 시프레 골격."),
    dict(id="fougere_accord", name_ko="푸제르 어코드", name_en="Fougère accord", family="aromatic",
         descriptors=["lavender", "hay", "mossy", "aromatic"],
         components=[dict(material="lavender_oil", parts=50), dict(material="coumarin", parts=20),
                     dict(material="oakmoss_absolute", parts=5), dict(material="geranium_oil", parts=25)],
         description_ko="라벤더와 쿠마린, 오크모스가 만드는 이발소 향의 푸제르 골격."),
    dict(id="amber_accord", name_ko="앰버 어코드", name_en="Amber accord", family="amber",
         descriptors=["amber", "warm", "sweet", "resinous"],
         components=[dict(material="labdanum_absolute", parts=50), dict(material="vanillin", parts=30),
                     dict(material="coumarin", parts=20)],
         description_ko="랍다넘과 바닐린으로 만드는 따뜻하고 달콤한 앰버."),
]

_REFERENCES: list[dict] = [
    dict(id="guerlain_shalimar", brand="Guerlain", name="Shalimar", year=1925, perfumers=["Jacques Guerlain"],
         family="amber", gender="feminine",
         top=[dict(text="Bergamot", material="bergamot_oil"), dict(text="Lemon", material="lemon_oil")],
         heart=[dict(text="Iris", material="orris_butter"), dict(text="Jasmine", material="jasmine_absolute"),
                dict(text="Rose", material="rose_absolute")],
         base=[dict(text="Vanilla", material="vanillin"), dict(text="Tonka bean", material="coumarin"),
               dict(text="Incense")],
         descriptors=["vanilla", "amber", "citrus", "powdery", "balsamic"],
         description_ko="베르가못으로 열리고 바닐라와 통카가 감싸는 오리엔탈의 고전."),
    dict(id="chanel_no5", brand="Chanel", name="N°5", year=1921, perfumers=["Ernest Beaux"], family="floral",
         gender="feminine",
         top=[dict(text="Aldehydes", material="aldehyde_c12_mna"), dict(text="Bergamot", material="bergamot_oil")],
         heart=[dict(text="Jasmine", material="jasmine_absolute"), dict(text="Rose", material="rose_absolute"),
                dict(text="Iris", material="orris_butter")],
         base=[dict(text="Vetiver", material="vetiver_oil"), dict(text="Sandalwood", material="sandalwood_oil"),
               dict(text="Vanilla", material="vanillin")],
         descriptors=["aldehydic", "floral", "powdery", "jasmine", "rose"],
         description_ko="알데하이드가 꽃다발을 밝히는 플로럴 알데하이드의 상징."),
    dict(id="davidoff_cool_water", brand="Davidoff", name="Cool Water", year=1988, perfumers=["Pierre Bourdon"],
         family="aromatic", gender="masculine",
         top=[dict(text="Lavender", material="lavender_oil"), dict(text="Mint")],
         heart=[dict(text="Geranium", material="geranium_oil"), dict(text="Jasmine", material="jasmine_absolute")],
         base=[dict(text="Oakmoss", material="oakmoss_absolute"), dict(text="Cedar", material="cedarwood_oil"),
               dict(text="Musk", material="galaxolide")],
         descriptors=["aromatic", "marine", "fresh", "lavender", "woody"],
         description_ko="라벤더와 민트, 바다 같은 청량감의 아로마틱 푸제르."),
]

FAMILIES = {
    "citrus": "citrus", "lemon": "citrus", "bergamot": "citrus", "zesty": "citrus", "fresh": "citrus",
    "light": "citrus", "bitter": "green", "clean": "aldehydic", "aldehydic": "aldehydic", "waxy": "aldehydic",
    "metallic": "aldehydic", "ozonic": "marine", "marine": "marine", "watery": "marine", "green": "green",
    "leafy": "green", "galbanum": "green", "hay": "green", "herbal": "aromatic", "minty": "aromatic",
    "camphoraceous": "aromatic", "lavender": "aromatic", "aromatic": "aromatic", "floral": "floral",
    "rose": "floral", "jasmine": "floral", "white_floral": "floral", "lily_of_the_valley": "floral",
    "violet": "floral", "iris": "powdery", "geranium": "floral", "honey": "gourmand", "fruity": "fruity",
    "peach": "fruity", "melon": "fruity", "sweet": "gourmand", "vanilla": "gourmand", "tonka": "gourmand",
    "creamy": "gourmand", "milky": "gourmand", "lactonic": "gourmand", "spicy": "spicy", "fresh_spicy": "spicy",
    "pepper": "spicy", "clove": "spicy", "cardamom": "spicy", "woody": "woody", "cedar": "woody",
    "sandalwood": "woody", "vetiver": "woody", "patchouli": "woody", "pine": "woody", "dry": "woody",
    "smoky": "woody", "resinous": "resinous", "balsamic": "resinous", "amber": "amber", "ambergris": "amber",
    "labdanum": "amber", "warm": "amber", "heavy": "amber", "musky": "musk", "soft": "musk", "powdery": "powdery",
    "animalic": "animalic", "leather": "leather", "earthy": "earthy", "mossy": "mossy",
}


# Allergen content of the naturals (fraction of the material), test figures shaped like certificates; a listed
# allergen left out (lavender's Geraniol) is 확인 필요. A synthetic, or a natural that is itself an Annex III
# entry (oakmoss), carries its allergen whole.
ALLERGEN_CONTENT = {
    "bergamot_oil": {"Limonene": 0.35, "Linalool": 0.15}, "lemon_oil": {"Limonene": 0.65, "Citral": 0.03},
    "pink_pepper_oil": {"Limonene": 0.2}, "cardamom_oil": {"Limonene": 0.03, "Linalool": 0.05},
    "lavender_oil": {"Linalool": 0.35, "Limonene": 0.01},
    "rose_absolute": {"Geraniol": 0.2, "Citronellol": 0.35, "Eugenol": 0.02},
    "jasmine_absolute": {"Linalool": 0.05, "Eugenol": 0.03, "Benzyl Benzoate": 0.2},
    "geranium_oil": {"Geraniol": 0.15, "Citronellol": 0.3, "Linalool": 0.05},
}


def _material(raw: dict) -> Material:
    natural = raw["id"].endswith(("_oil", "_absolute", "_butter"))
    checked = {} if raw.get("cas") else {"ifra_note": "test catalog: no Standard applies"}
    content = ALLERGEN_CONTENT.get(raw["id"])
    shares = [AllergenShare(allergen=label, fraction=content.get(label) if content is not None else 1.0,
                            source="test figure") for label in raw.get("allergens", [])]
    return Material(origin="natural" if natural else "synthetic", description_ko=f"{raw['name_ko']}: 테스트용 카탈로그 항목.",
                    allergen_content=shares, **checked, **raw)


def make_catalog() -> Catalog:
    return Catalog(
        materials={raw["id"]: _material(raw) for raw in _MATERIALS},
        accords={raw["id"]: Accord(**raw) for raw in _ACCORDS},
        references={raw["id"]: ReferencePerfume(**raw) for raw in _REFERENCES},
        descriptor_families=FAMILIES,
        standards=STANDARDS,
        contributions=CONTRIBUTIONS,
    )


CATALOG = make_catalog()
