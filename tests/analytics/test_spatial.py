"""Golden checks of the hotspot statistics (issue 16 §3): Gi* against esda on the same counts and
weights and against the formula by hand on a tiny lattice whose hot cell is known; Mann-Kendall
against series worked out by hand; the emerging-hotspot patterns on series that fit each
definition; the kernel density's mass."""

import math

import numpy as np
import pytest
from shapely.geometry import box

from fengqiao.analytics import spatial
from fengqiao.analytics.spatial import Pattern, classify_emerging, confidence_bins, gi_star, mann_kendall


def lattice(side: int):
    """A side × side chessboard of unit squares, row by row."""
    return [box(c, r, c + 1, r + 1) for r in range(side) for c in range(side)]


def gi_star_by_hand(y, neighbours):
    """Getis and Ord (1992, 1995): G*_i as a z-score, binary weights with the cell itself."""
    y = np.asarray(y, dtype=float)
    n = y.size
    mean = y.mean()
    s = math.sqrt((y**2).mean() - mean**2)
    z = []
    for i in range(n):
        members = [i, *neighbours[i]]
        wsum = len(members)
        lag = y[members].sum()
        z.append((lag - mean * wsum) / (s * math.sqrt((n * wsum - wsum**2) / (n - 1))))
    return np.array(z)


def test_queen_contiguity_counts_corners():
    # given a 3 × 3 board: the centre touches all eight, a corner three, an edge five
    w = spatial.queen_weights(lattice(3))
    assert sorted(w.neighbors[4]) == [0, 1, 2, 3, 5, 6, 7, 8]
    assert sorted(w.neighbors[0]) == [1, 3, 4]
    assert len(w.neighbors[1]) == 5


def test_gi_star_equals_the_formula_and_finds_the_known_hot_cell():
    # given a 5 × 5 board with a heap of events around the centre cell
    w = spatial.queen_weights(lattice(5))
    y = np.ones(25)
    y[[6, 7, 8, 11, 12, 13, 16, 17, 18]] = 6
    y[12] = 12
    # when
    result = gi_star(y, w, permutations=999, seed=1)
    # then the z-scores are the formula's, the centre is the hottest and significant at 99%
    expected = gi_star_by_hand(y, {i: list(w.neighbors[i]) for i in range(25)})
    np.testing.assert_allclose(result.z, expected, rtol=1e-9)
    assert int(np.argmax(result.z)) == 12
    assert confidence_bins(result.z, result.p)[12] == 99
    # the corners, far from the heap, are cold
    assert all(result.z[i] < 0 for i in (0, 4, 20, 24))


def test_gi_star_equals_esda_directly_on_the_same_counts_and_weights():
    import esda

    w = spatial.queen_weights(lattice(12))
    y = np.random.default_rng(3).poisson(2, 144).astype(float)
    ours = gi_star(y, w, permutations=999, seed=spatial.SEED)
    theirs = esda.G_Local(
        y, w, transform="B", permutations=999, star=True, seed=spatial.SEED, n_jobs=1, keep_simulations=True
    )
    np.testing.assert_allclose(ours.z, theirs.Zs)
    # the p-values: esda's simulations counted with ties on both sides; in the upper tail, where
    # esda counts ties the same way, exactly esda's p_sim
    sims = theirs.rGs
    np.testing.assert_allclose(ours.p, spatial.pseudo_p(theirs.Gs, sims))
    high = (sims >= theirs.Gs[:, None]).sum(axis=1)
    low = (sims <= theirs.Gs[:, None]).sum(axis=1)
    upper = (high <= low) & (999 - high >= high)
    assert upper.sum() > 20
    np.testing.assert_allclose(ours.p[upper], theirs.p_sim[upper])


def test_a_grid_with_none_among_neighbours_with_none_is_not_a_cold_spot():
    # given a 10 × 10 board with events in one corner only: most grids and their neighbours have none
    w = spatial.queen_weights(lattice(10))
    y = np.zeros(100)
    y[[0, 1, 10, 11]] = 5
    # when
    result = gi_star(y, w, permutations=999, seed=4)
    # then the empty far corner is no cold spot (its value ties most simulations), the heap is hot
    assert confidence_bins(result.z, result.p)[99] == 0
    assert confidence_bins(result.z, result.p)[0] > 0


def test_counts_that_do_not_vary_are_no_pattern():
    w = spatial.queen_weights(lattice(3))
    result = gi_star(np.zeros(9), w)
    assert (result.z == 0).all() and (result.p == 1).all()


def test_confidence_bins():
    z = np.array([3.0, 2.0, 1.7, 1.0, -2.0, -3.0])
    p = np.array([0.005, 0.03, 0.08, 0.5, 0.04, 0.001])
    assert confidence_bins(z, p).tolist() == [99, 95, 90, 0, -95, -99]


def test_mann_kendall_against_series_worked_by_hand():
    # 1..5 rising: S = 10, var = 5·4·15/18, z = (S − 1)/√var, p two-sided
    mk = mann_kendall([1, 2, 3, 4, 5])
    assert mk.s == 10
    assert mk.var == pytest.approx(50 / 3)
    assert mk.z == pytest.approx(9 / math.sqrt(50 / 3))
    assert mk.p == pytest.approx(0.027486, abs=1e-5)
    assert mk.tau == 1
    # with ties: [1, 2, 2, 3]: S = 5; var = (4·3·13 − 2·1·9)/18 = 138/18
    mk = mann_kendall([1, 2, 2, 3])
    assert mk.s == 5 and mk.var == pytest.approx(138 / 18)
    assert mk.z == pytest.approx(4 / math.sqrt(138 / 18))
    # falling; flat
    assert mann_kendall([5, 4, 3, 2, 1]).z == pytest.approx(-9 / math.sqrt(50 / 3))
    assert mann_kendall([2, 2, 2, 2]).z == 0 and mann_kendall([2, 2, 2, 2]).p == 1


def test_mann_kendall_s_equals_a_brute_force_count():
    x = np.random.default_rng(5).normal(size=23)
    s = sum(np.sign(x[j] - x[i]) for i in range(23) for j in range(i + 1, 23))
    assert mann_kendall(x).s == s


SIG, NOT = 0.01, 0.5


@pytest.mark.parametrize(
    ("z", "p", "pattern"),
    [
        # hot only in the last week, never before
        ([0.1] * 9 + [3.0], [NOT] * 9 + [SIG], Pattern.NEW_HOT),
        # an unbroken run of hot weeks at the end, never hot before, under 90% of the weeks
        ([0.1] * 7 + [3, 3, 3], [NOT] * 7 + [SIG] * 3, Pattern.CONSECUTIVE_HOT),
        # hot in every week, ever hotter
        ([2 + k * 0.3 for k in range(10)], [SIG] * 10, Pattern.INTENSIFYING_HOT),
        # hot in every week with no trend
        ([3, 2.5, 3.1, 2.6, 3.0, 2.4, 3.2, 2.7, 2.9, 2.8], [SIG] * 10, Pattern.PERSISTENT_HOT),
        # hot in every week, cooling
        ([5 - k * 0.3 for k in range(10)], [SIG] * 10, Pattern.DIMINISHING_HOT),
        # hot now and on and off before, never cold
        (
            [3, 0, 3, 0, 0, 3, 0, 0, 0, 3],
            [SIG, NOT, SIG, NOT, NOT, SIG, NOT, NOT, NOT, SIG],
            Pattern.SPORADIC_HOT,
        ),
        # hot now, cold some weeks before
        (
            [-3, 0, 3, 0, 0, 0, 0, 0, 0, 3],
            [SIG, NOT, SIG, NOT, NOT, NOT, NOT, NOT, NOT, SIG],
            Pattern.OSCILLATING_HOT,
        ),
        # hot 90% of the weeks but not the last
        ([3] * 9 + [0.5], [SIG] * 9 + [NOT], Pattern.HISTORICAL_HOT),
        # cold only in the last week
        ([0.1] * 9 + [-3.0], [NOT] * 9 + [SIG], Pattern.NEW_COLD),
        # nothing significant
        ([1.0] * 10, [NOT] * 10, Pattern.NONE),
    ],
)
def test_emerging_patterns_follow_arcgis_definitions(z, p, pattern):
    assert classify_emerging(np.array(z, dtype=float), np.array(p))[0] == pattern


def test_kernel_density_integrates_to_the_number_of_points():
    rng = np.random.default_rng(2)
    lons = 106.2 + rng.normal(0, 0.005, 200)
    lats = 37.98 + rng.normal(0, 0.005, 200)
    result = spatial.kernel_density(lons, lats, cells=60)
    west, south, east, north = result["bounds"]
    # cell area in km², from the raster's size in metres
    x, y = spatial.project(
        np.array([west, east]), np.array([south, north]), lat0=float(lats.mean()), lon0=float(lons.mean())
    )
    cell_km2 = (x[1] - x[0]) / result["cols"] * (y[1] - y[0]) / result["rows"] / 1e6
    mass = sum(c[2] for c in result["cells"]) * cell_km2
    assert mass == pytest.approx(200, rel=0.03)
    # the densest cell is near the points' centre
    r, c, _d = max(result["cells"], key=lambda cell: cell[2])
    assert (
        abs(r - result["rows"] / 2) < result["rows"] / 6 and abs(c - result["cols"] / 2) < result["cols"] / 6
    )


def test_without_permutations_p_is_the_two_sided_normal_p_value():
    from scipy.stats import norm

    w = spatial.queen_weights(lattice(6))
    y = np.random.default_rng(9).poisson(3, 36).astype(float)
    result = gi_star(y, w, permutations=0)
    np.testing.assert_allclose(result.p, 2 * norm.sf(np.abs(result.z)))
