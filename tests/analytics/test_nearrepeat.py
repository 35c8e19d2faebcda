"""The near-repeat calculator (issue 16 §4): the Knox table's counts against a brute-force count of
every pair, the permutations' expectations and p-values, and the risk it reads off."""

import numpy as np
import pytest

from fengqiao.analytics.nearrepeat import Bands, knox


def brute_force(x, y, days, bands: Bands) -> np.ndarray:
    """Every pair, one at a time, into its cell, with the bands spelt out as the calculator's."""
    table = np.zeros((bands.spatial_n + 2, bands.temporal_n + 1), dtype=int)
    n = len(x)
    for i in range(n):
        for j in range(i + 1, n):
            d = float(np.hypot(x[i] - x[j], y[i] - y[j]))
            if d < 0.5:
                row = 0
            else:
                row = bands.spatial_n + 1
                for k in range(1, bands.spatial_n + 1):
                    if (k - 1) * bands.spatial_m < d <= k * bands.spatial_m:
                        row = k
                        break
            gap = abs(int(days[i]) - int(days[j]))
            col = bands.temporal_n
            for k in range(bands.temporal_n):
                low = 0 if k == 0 else k * bands.temporal_days + 1
                if low <= gap <= (k + 1) * bands.temporal_days:
                    col = k
                    break
            table[row, col] += 1
    return table


@pytest.fixture(scope="module")
def burglaries():
    """120 events over a 3 km square and a year, with series of repeats: a few houses hit again
    (same spot) and neighbours hit within days, as burglary series go."""
    rng = np.random.default_rng(11)
    x = list(rng.uniform(0, 3000, 80))
    y = list(rng.uniform(0, 3000, 80))
    days = list(rng.integers(0, 365, 80))
    for k in range(40):
        origin = k % 20
        if k < 10:  # the same house again
            dx = dy = 0.0
        else:
            dx, dy = rng.normal(0, 60, 2)
        x.append(x[origin] + dx)
        y.append(y[origin] + dy)
        days.append(days[origin] + int(rng.integers(0, 10)))
    return np.array(x), np.array(y), np.array(days)


def test_knox_counts_equal_a_brute_force_count(burglaries):
    x, y, days = burglaries
    bands = Bands(spatial_m=100, spatial_n=4, temporal_days=7, temporal_n=3)
    result = knox(x, y, days, bands=bands, permutations=19, seed=1)
    np.testing.assert_array_equal(result.observed, brute_force(x, y, days, bands))
    assert result.observed.sum() == len(x) * (len(x) - 1) // 2


def test_each_permutation_keeps_every_pair_and_the_time_bands_totals(burglaries):
    x, y, days = burglaries
    result = knox(x, y, days, permutations=99, seed=3)
    # the expected table is a mean of tables of all the pairs with the same time gaps
    np.testing.assert_allclose(result.expected.sum(), len(x) * (len(x) - 1) / 2)
    np.testing.assert_allclose(result.expected.sum(axis=0), result.observed.sum(axis=0))
    # and matches a shuffled brute-force count on average: one shuffle counted both ways
    rng = np.random.default_rng(8)
    shuffled = rng.permutation(days)
    one = knox(x, y, shuffled, permutations=0)
    np.testing.assert_array_equal(one.observed, brute_force(x, y, shuffled, Bands()))


def test_repeats_close_in_space_and_time_are_significant_and_give_the_risk(burglaries):
    x, y, days = burglaries
    result = knox(x, y, days, permutations=999, seed=20261206)
    # same place within a week: many more pairs than chance gives
    assert result.ratio[0, 0] > 2 and result.p[0, 0] <= 0.01
    assert result.significant[1, 0]
    distance, risky_days = result.risk()
    assert 100 <= distance <= 500 and 7 <= risky_days <= 28
    # p-values are (k + 1) / 1000
    assert np.allclose((result.p * 1000) % 1, 0) and result.p.min() >= 0.001


def test_no_space_time_interaction_means_no_risk():
    rng = np.random.default_rng(4)
    x, y = rng.uniform(0, 5000, 150), rng.uniform(0, 5000, 150)
    days = rng.integers(0, 365, 150)
    result = knox(x, y, days, permutations=199, seed=2)
    assert result.significant.sum() <= 2  # at 5% a few of 28 cells may flicker, not a pattern


def test_bad_bands_are_refused_by_name():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        knox([0, 1], [0, 1], [0, 1], bands=Bands(spatial_m=0, temporal_n=99))
    assert set(error.value.message_dict) == {"spatial_m", "temporal_n"}


def test_the_risk_reaches_as_far_as_the_significant_cells_touching_the_nearest():
    from fengqiao.analytics.nearrepeat import Knox

    bands = Bands(spatial_m=100, spatial_n=3, temporal_days=7, temporal_n=3)
    shape = (5, 4)
    expected = np.ones(shape)

    def table(significant_cells):
        observed, p = np.ones(shape), np.ones(shape)
        for r, c in significant_cells:
            observed[r, c], p[r, c] = 5, 0.001
        return Knox(bands, 50, observed, expected, p, 999)

    # same place and 0–100 m within a week, and 100–200 m in the second week: 200 m, 14 days
    assert table([(0, 0), (1, 0), (2, 1)]).risk() == (100.0, 7)  # (2, 1) touches no reached cell
    assert table([(0, 0), (1, 0), (1, 1), (2, 1)]).risk() == (200.0, 14)
    # only the same place within a week: the grid of the event itself (0 m)
    assert table([(0, 0)]).risk() == (0.0, 7)
    # a lone cell far out is no near repeat; the "beyond" row and column never count
    assert table([(3, 2)]).risk() is None
    assert table([(1, 0), (4, 0), (1, 3)]).risk() == (100.0, 7)
