import pytest

from perfumery.brief import Brief
from perfumery.fit import brief_fit, coverage, is_avoided, lightness
from tests.unit.perfumery_fixtures import CATALOG


def test_coverage_saturates_at_three_times_the_usual_dose_of_a_primary_material():
    # presence sqrt(3 × dose / usual) reaches 3 = saturation at three usual doses (bergamot is rank 1);
    # citrus is rank 2 (weight 2/3)
    usual = CATALOG.material("bergamot_oil").typical_dose
    covered = coverage(Brief(descriptors={"bergamot": 1, "citrus": 1}), {"bergamot_oil": 3 * usual}, CATALOG)
    assert covered["bergamot"] == pytest.approx(1.0)
    assert covered["citrus"] == pytest.approx(2 / 3)


def test_a_potent_accent_at_its_usual_dose_reads_as_present_as_a_carrier_at_its_own():
    accent, carrier = CATALOG.material("galbanum_oil"), CATALOG.material("iso_e_super")
    assert accent.typical_dose < carrier.typical_dose / 5
    assert CATALOG.presence(accent.id, accent.typical_dose) == pytest.approx(
        CATALOG.presence(carrier.id, carrier.typical_dose))


def test_family_only_coverage_earns_half_credit_at_most():
    covered = coverage(Brief(descriptors={"lemon": 1}), {"bergamot_oil": 100}, CATALOG)
    assert 0 < covered["lemon"] <= 0.5


def test_avoided_descriptor_lowers_fit():
    doses = {"vanillin": 4, "hedione": 20}
    plain = brief_fit(Brief(descriptors={"jasmine": 1}), doses, CATALOG)
    avoiding = brief_fit(Brief(descriptors={"jasmine": 1}, avoid_descriptors={"vanilla": 1}), doses, CATALOG)
    assert avoiding < plain


def test_material_avoided_by_name_or_prominent_descriptor():
    brief = Brief(avoid_materials=["hedione"], avoid_descriptors={"sweet": 1.0})
    assert is_avoided(brief, "hedione", CATALOG)
    assert is_avoided(brief, "vanillin", CATALOG)  # sweet is its 2nd descriptor (weight 0.67)
    assert not is_avoided(brief, "galaxolide", CATALOG)  # sweet is its 4th descriptor (weight 0.4)


def test_lightness_leans_with_families_and_intensity():
    fresh = Brief(descriptors={"citrus": 1, "marine": 1}, intensity=0.2)
    dense = Brief(descriptors={"amber": 1, "vanilla": 1}, intensity=0.9)
    assert lightness(fresh, CATALOG) > 0.5 > -0.5 > lightness(dense, CATALOG)
