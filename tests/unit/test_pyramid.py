import pytest
from pydantic import ValidationError

from perfumery.models import NotePosition
from perfumery.pyramid import PyramidBands, fit_into_bands

TOP, HEART, BASE = NotePosition.top, NotePosition.heart, NotePosition.base


def test_out_of_band_top_moves_inside_and_others_absorb_by_room():
    fitted = fit_into_bands({TOP: 10, HEART: 40, BASE: 50}, PyramidBands())
    assert fitted[TOP] == pytest.approx(15.5)
    # excess 5.5 split by room above the inner lows: heart 14.5, base 19.5
    assert fitted[HEART] == pytest.approx(40 - 5.5 * 14.5 / 34)
    assert fitted[BASE] == pytest.approx(50 - 5.5 * 19.5 / 34)
    assert sum(fitted.values()) == pytest.approx(100)


def test_balanced_pyramid_is_left_alone():
    shares = {TOP: 20, HEART: 35, BASE: 45}
    assert fit_into_bands(shares, PyramidBands()) == shares


def test_outside_measures_points_missed():
    bands = PyramidBands()
    assert bands.outside(BASE, 60) == 5
    assert bands.outside(TOP, 20) == 0


def test_bands_that_cannot_sum_to_100_are_refused():
    with pytest.raises(ValidationError):
        PyramidBands(top=(40, 50), heart=(40, 50), base=(30, 40))
