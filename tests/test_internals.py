"""The fast paths against brute-force references."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.color import rgb2lab

from sklearn_colorquant import _dither_kernels, _kmeans, _kmeans_kernels, _threads
from sklearn_colorquant._assign import (
    PaletteIndex,
    build_grid,
    list_grid,
    nearest_center,
)
from sklearn_colorquant._color_spaces import color_space_of
from sklearn_colorquant._distinct import distinct_colors
from sklearn_colorquant._kmeans import weighted_kmeans


def _brute_nearest(points, centers):
    distances = ((points[:, None, :] - centers[None, :, :]) ** 2).sum(-1)
    return distances.argmin(axis=1), distances.min(axis=1)


@pytest.mark.parametrize("n_channels", [1, 2, 3, 4])
@pytest.mark.parametrize("levels", ["few", "all"])
def test_distinct_colors_of_uint8_match_numpy(n_channels, levels):
    rng = np.random.default_rng(n_channels)
    if levels == "few":
        pixels = rng.integers(0, 6, size=(5000, n_channels), dtype=np.uint8) * 51
    else:  # every bit of the keys in play, and repeats
        pixels = rng.integers(0, 256, size=(3000, n_channels), dtype=np.uint8)
        pixels = np.concatenate([pixels, pixels[::3]])
    colors, counts, inverse = distinct_colors(pixels, return_inverse=True)
    expected, expected_counts = np.unique(pixels, axis=0, return_counts=True)
    np.testing.assert_array_equal(colors, expected)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_array_equal(colors[inverse], pixels)
    # Without the inverse, another path: the same colors and counts.
    for alone, expected_alone in zip(distinct_colors(pixels), (colors, counts)):
        np.testing.assert_array_equal(alone, expected_alone)
    assert [len(part) for part in distinct_colors(pixels[:0])] == [0, 0]


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
@pytest.mark.parametrize("weight_dtype", [np.int32, np.float64])
def test_distinct_colors_sum_weights_per_color(dtype, weight_dtype):
    rng = np.random.default_rng(1)
    pixels = (rng.integers(0, 6, size=(5000, 3)) * 51).astype(dtype)
    weights = rng.integers(0, 1000, size=5000).astype(weight_dtype)
    colors, sums = distinct_colors(pixels, weights=weights)
    expected, inverse = np.unique(pixels, axis=0, return_inverse=True)
    expected_sums = np.zeros(len(expected), dtype=np.int64)
    np.add.at(expected_sums, inverse.reshape(-1), weights.astype(np.int64))
    np.testing.assert_array_equal(colors, expected)
    np.testing.assert_array_equal(sums, expected_sums)
    assert sums.dtype == (np.int64 if weight_dtype == np.int32 else np.float64)


def test_distinct_colors_of_floats():
    pixels = np.array([[0.5, 0.1], [0.2, 0.3], [0.5, 0.1]])
    colors, counts, inverse = distinct_colors(pixels, return_inverse=True)
    np.testing.assert_array_equal(colors, [[0.2, 0.3], [0.5, 0.1]])
    np.testing.assert_array_equal(counts, [1, 2])
    np.testing.assert_array_equal(colors[inverse], pixels)


@pytest.mark.parametrize("n_centers", [1, 7, 64, 256])
def test_nearest_center_matches_brute_force_on_a_photo(china_pixels, n_centers):
    colors, _ = distinct_colors(china_pixels)
    blended = color_space_of("rgb+lab").to_working(colors, np.uint8)
    for points in (colors / 255.0, rgb2lab(colors / 255.0), blended):
        rng = np.random.default_rng(n_centers)
        centers = points[rng.choice(len(points), n_centers, replace=False)]
        centers = centers + rng.normal(scale=0.01, size=centers.shape)
        labels, distances = nearest_center(points, centers)
        expected_labels, expected_distances = _brute_nearest(points, centers)
        np.testing.assert_array_equal(labels, expected_labels)
        np.testing.assert_allclose(distances, expected_distances, rtol=1e-12)


def test_grid_cells_bound_their_points_tightly(china_pixels):
    # Above 4 coordinates only the first 3 are cut, and each cell's box is
    # that of its points: the tighter the box, the more centers it prunes.
    colors, _ = distinct_colors(china_pixels)
    points = color_space_of("rgb+lab").to_working(colors, np.uint8)
    grid = build_grid(points)
    assert 100 < len(grid.cell_lows) <= 32**3
    for cell in range(len(grid.cell_lows)):
        members = points[
            grid.order[grid.cell_starts[cell] : grid.cell_starts[cell + 1]]
        ]
        np.testing.assert_array_equal(grid.cell_lows[cell], members.min(axis=0))
        np.testing.assert_array_equal(grid.cell_highs[cell], members.max(axis=0))
    np.testing.assert_array_equal(
        grid.cell_of_point[grid.order],
        np.repeat(np.arange(len(grid.cell_lows)), np.diff(grid.cell_starts)),
    )


@pytest.mark.parametrize("n_channels", [1, 2, 4, 5, 6])
def test_nearest_center_in_other_dimensions(n_channels):
    rng = np.random.default_rng(n_channels)
    points = rng.normal(size=(4000, n_channels))
    centers = rng.normal(size=(40, n_channels))
    labels, _ = nearest_center(points, centers)
    np.testing.assert_array_equal(labels, _brute_nearest(points, centers)[0])


def test_nearest_center_ties_go_to_the_lowest_index():
    # Every point is exactly halfway between two centers.
    points = np.array([[x, 0.5, 0.5] for x in np.linspace(0, 1, 400)])
    centers = np.array([[0.5, 1.0, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 1.0]])
    labels, _ = nearest_center(points, centers)
    expected = _brute_nearest(points, centers)[0]
    np.testing.assert_array_equal(labels, expected)
    assert set(labels[np.isclose(points[:, 0], 0.5)]) <= {0}


def _plain_lloyd(points, weights, centers, n_iter, n_fixed=0):
    for _ in range(n_iter):
        labels = _brute_nearest(points, centers)[0]
        totals = np.bincount(labels, weights=weights, minlength=len(centers))
        sums = np.stack(
            [
                np.bincount(labels, weights=weights * c, minlength=len(centers))
                for c in points.T
            ],
            axis=1,
        )
        moved = sums / totals[:, None]
        centers = np.concatenate([centers[:n_fixed], moved[n_fixed:]])
    return centers


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("n_fixed", [0, 3])
@pytest.mark.parametrize("n_iter", [1, 2, 5, 20])
def test_lloyd_has_the_iterates_of_plain_lloyd(
    china_pixels, n_iter, n_fixed, n_threads, monkeypatch
):
    # With n_fixed, the first centers (reserved colors) take points but stay put.
    # The steps go to one thread or to two.
    monkeypatch.setattr(_threads, "_idle_cores", lambda: 2)
    colors, counts = distinct_colors(china_pixels[::3])
    points, weights = colors / 255.0, counts.astype(np.float64)
    start = points[np.random.default_rng(0).choice(len(points), 24, replace=False)]
    level = _kmeans._level(points, weights)  # sorted cell by cell
    with _threads.limit(n_threads):
        centers, done = _kmeans._lloyd(level, start, n_iter, 0.0, n_fixed)
    np.testing.assert_allclose(
        centers, _plain_lloyd(points, weights, start, done, n_fixed), atol=1e-12
    )
    np.testing.assert_array_equal(centers[:n_fixed], start[:n_fixed])
    assert done <= n_iter


def test_assignment_after_a_center_jumps_into_listed_cells():
    # Cells keep lists of candidate centers between iterations, dropped when
    # the centers have moved too far since. A center that jumps far (as a
    # relocated one does) must get into the lists of the cells it lands in,
    # and lists kept while all move a little must still hold the nearest.
    rng = np.random.default_rng(0)
    points, weights, grid = _kmeans._level(rng.random((4000, 3)) * 100, np.ones(4000))
    centers = rng.random((40, 3)) * 100
    n_cells = len(grid.cell_lows)
    state = _kmeans_kernels.LloydState(centers, len(points), n_cells, len(centers))
    cells = (grid.cell_starts, grid.cell_lows, grid.cell_highs, 0, n_cells)
    state.margin = 1.0  # lists made with a margin of 1
    by_first = np.arange(len(centers))
    for jump in range(12):
        _kmeans_kernels.lloyd_assign(state, points, *cells)
        np.testing.assert_array_equal(state.labels, _brute_nearest(points, centers)[0])
        # One center to a random point, or all a little: lists dropped or kept.
        shift = np.asarray(state.shift)
        shift[:] = 0.0
        if jump % 3 == 2:
            step = rng.normal(scale=0.2, size=centers.shape)
            centers += step
            shift[:] = np.sqrt((step**2).sum(axis=1))
        else:
            moved = rng.integers(len(centers))
            target = points[rng.integers(len(points))] + 0.1
            shift[moved] = np.sqrt(((target - centers[moved]) ** 2).sum())
            centers[moved] = target
        _kmeans_kernels.lloyd_gaps(state, False, by_first)


def test_lloyd_with_a_large_palette_has_the_iterates_of_plain_lloyd(
    china_pixels, monkeypatch
):
    # At 256 centers most colors near a border are settled by their runner-up
    # alone, and cells keep lists of candidates over many iterations.
    monkeypatch.setattr(_threads, "_idle_cores", lambda: 2)
    colors, counts = distinct_colors(china_pixels[::2])
    points, weights = colors / 255.0, counts.astype(np.float64)
    start = points[np.random.default_rng(2).choice(len(points), 256, replace=False)]
    level = _kmeans._level(points, weights)
    with _threads.limit(2):
        centers, done = _kmeans._lloyd(level, start, 12, 0.0)
    assert done == 12
    np.testing.assert_allclose(
        centers, _plain_lloyd(points, weights, start, done), atol=1e-12
    )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 40),
    st.integers(2, 6),
    st.sampled_from([1, 2]),
)
def test_lloyd_on_a_lattice_has_the_iterates_of_plain_lloyd(
    seed, n_centers, levels, n_threads
):
    # Colors on a coarse lattice and centers among them: colors exactly as near
    # two centers at the first step, and many near borders after it, where the
    # runner-up bounds decide. Compared while plain Lloyd leaves no center empty
    # (it has no rule for one) and, once the centers are means, no color within
    # rounding of two of them, exactly as near included (the sums, added in the
    # level's order and then kept by moving the colors that change center,
    # round otherwise than plain Lloyd's, and such a color may then go either
    # way).
    rng = np.random.default_rng(seed)
    points = np.unique(rng.integers(0, levels, size=(400, 3)), axis=0) / levels
    if len(points) <= n_centers:
        return
    weights = rng.integers(1, 6, size=len(points)).astype(np.float64)
    start = points[rng.choice(len(points), n_centers, replace=False)]
    n_iter = 0
    centers = start
    while n_iter < 8:
        distances = ((points[:, None, :] - centers[None, :, :]) ** 2).sum(-1)
        labels = distances.argmin(axis=1)
        nearest, second = np.sort(distances, axis=1)[:, :2].T
        near_tie = second - nearest <= 1e-9 * nearest  # exact ties included
        if len(np.unique(labels)) < n_centers or (n_iter > 0 and near_tie.any()):
            break
        centers, n_iter = _plain_lloyd(points, weights, centers, 1), n_iter + 1
    level = _kmeans._level(points, weights)
    with _threads.limit(n_threads):
        got, done = _kmeans._lloyd(level, start, n_iter, 0.0)
    assert done <= n_iter
    np.testing.assert_allclose(
        got, _plain_lloyd(points, weights, start, done), atol=1e-12
    )


@pytest.mark.parametrize("n_threads", [1, 2])
def test_empty_centers_move_onto_the_worst_fit_points(
    china_pixels, n_threads, monkeypatch
):
    # Two copies of centers: ties go to the lowest index, so the copies get no
    # point, and the update moves each onto the costliest point left.
    monkeypatch.setattr(_threads, "_idle_cores", lambda: 2)
    colors, counts = distinct_colors(china_pixels[::3])
    points, weights = colors / 255.0, counts.astype(np.float64)
    start = points[np.random.default_rng(1).choice(len(points), 8, replace=False)]
    start = np.concatenate([start, start[:2]])
    level = _kmeans._level(points, weights)
    with _threads.limit(n_threads):
        centers, done = _kmeans._lloyd(level, start, 1, 0.0)
    assert done == 1
    np.testing.assert_allclose(
        centers[:8], _plain_lloyd(points, weights, start[:8], 1), atol=1e-12
    )
    cost = weights * _brute_nearest(points, start)[1]
    worst = np.argmax(cost)
    cost[worst] = 0.0
    np.testing.assert_array_equal(centers[8:], points[[worst, np.argmax(cost)]])
    # The iterations go on from there, bounds reset, as plain Lloyd's do.
    with _threads.limit(n_threads):
        later, _ = _kmeans._lloyd(level, centers, 5, 0.0)
    np.testing.assert_allclose(
        later, _plain_lloyd(points, weights, centers, 5), atol=1e-12
    )


def test_seeding_runs_in_threads_take_the_draws_of_runs_one_after_another(
    china_pixels, monkeypatch
):
    # The best of several k-means++ runs: their draws are taken first and the
    # runs go to threads. A run whose seeds settle that the level is passed
    # over ends it, and the random state must then be where it would be had
    # the runs gone one after another: that run's draws taken, no later ones.
    monkeypatch.setattr(_threads, "_idle_cores", lambda: 2)
    colors, counts = distinct_colors(china_pixels[::3])
    coarse = _kmeans._coarse_level(colors / 255.0, counts.astype(np.float64), 16)
    level = coarse[:3]
    for least_inertia, runs_taken in ((np.inf, 1), (0.0, 5)):
        random_state = np.random.RandomState(0)
        with _threads.limit(2):
            result = _kmeans._seeded(
                level, 16, random_state, np.empty((0, 3)), 0.0, True, least_inertia
            )
        assert (result is None) == (least_inertia == np.inf)
        expected = np.random.RandomState(0)
        for _ in range(runs_taken):
            _kmeans._seed_draws(16, 0, expected)
        assert random_state.uniform() == expected.uniform()
    # The best run is the one of least inertia, as one after another.
    random_state = np.random.RandomState(1)
    with _threads.limit(2):
        centers, inertia, _ = _kmeans._seeded(
            level, 16, random_state, np.empty((0, 3)), 0.0, True
        )
    random_state = np.random.RandomState(1)
    inertias = []
    for _ in range(5):
        seeds = _kmeans._seeds(level, 16, random_state)
        run, _ = _kmeans._lloyd(level, level[0][seeds], 300, 0.0)
        inertias.append(np.average(nearest_center(level[0], run)[1], weights=level[1]))
    assert inertia == min(inertias)


def test_kmeans_plusplus_seeds_are_distinct_points_by_weight():
    rng = np.random.default_rng(0)
    points = np.concatenate(
        [rng.normal(loc, 0.01, size=(50, 3)) for loc in (0, 1, 2, 3)]
    )
    level = _kmeans._level(points, np.ones(len(points)))
    seeds = _kmeans._seeds(level, 4, np.random.RandomState(0))
    # Greedy k-means++ puts one seed in each of four far-apart blobs.
    assert sorted(np.rint(level[0][seeds, 0])) == [0, 1, 2, 3]
    # Around two given centers in two blobs, the two seeds go to the other two.
    given = np.array([[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]])
    seeds = _kmeans._seeds(level, 2, np.random.RandomState(0), given)
    assert sorted(np.rint(level[0][seeds, 0])) == [1, 3]


def _kmeans_plusplus_by_brute_force(level, n_centers, uniforms, n_trials):
    """Greedy k-means++ looking at every point for every candidate, adding the
    potential cell by cell as the kernel does."""
    points, weights, grid = level
    starts = grid.cell_starts

    def potential(closest):
        total = 0.0
        for cell in range(len(starts) - 1):
            cell_total = 0.0
            for i in range(starts[cell], starts[cell + 1]):
                cell_total += weights[i] * closest[i]
            total += cell_total
        return total

    def drawn(closest, u):
        # The first point whose cumulative potential exceeds u times the total,
        # the cell first, then the point in it.
        shares = weights * closest
        cell_totals = [sum(shares[a:b]) for a, b in zip(starts[:-1], starts[1:])]
        cumulative = np.cumsum(cell_totals)
        target = u * cumulative[-1]
        cell = min(np.searchsorted(cumulative, target, side="right"), len(starts) - 2)
        running = cumulative[cell - 1] if cell > 0 else 0.0
        for i in range(starts[cell], starts[cell + 1]):
            running += shares[i]
            if running > target:
                return i
        return max(i for i in range(starts[cell], starts[cell + 1]) if shares[i] > 0)

    first = np.cumsum(weights)
    chosen = [min(np.searchsorted(first, uniforms[0] * first[-1], side="right"),
                  len(points) - 1)]  # fmt: skip
    closest = ((points - points[chosen[0]]) ** 2).sum(axis=1)
    draw = 1
    for _ in range(1, n_centers):
        best, best_potential, best_closest = None, np.inf, None
        for _ in range(n_trials):
            candidate = drawn(closest, uniforms[draw])
            draw += 1
            with_it = np.minimum(closest, ((points - points[candidate]) ** 2).sum(1))
            if (value := potential(with_it)) < best_potential:
                best, best_potential, best_closest = candidate, value, with_it
        chosen.append(best)
        closest = best_closest
    return np.array(chosen)


@pytest.mark.parametrize("n_centers", [2, 8, 40])
def test_kmeans_plusplus_skipping_far_cells_equals_brute_force(china_pixels, n_centers):
    colors, counts = distinct_colors(china_pixels[::40])
    level = _kmeans._level(colors.astype(np.float64), counts.astype(np.float64))
    n_trials = 2 + int(np.log(n_centers))
    uniforms = np.random.RandomState(1).uniform(size=1 + (n_centers - 1) * n_trials)
    grid = level[2]
    cells = (grid.cell_starts, grid.cell_lows, grid.cell_highs)
    seeds, potential = _kmeans_kernels.kmeans_plusplus(
        *level[:2], cells, n_centers, uniforms, n_trials, np.empty((0, 3)), 0.0
    )
    expected = _kmeans_plusplus_by_brute_force(level, n_centers, uniforms, n_trials)
    np.testing.assert_array_equal(seeds, expected)
    points, weights = level[:2]
    _, distances = nearest_center(points, points[seeds])
    np.testing.assert_allclose(potential, weights @ distances, rtol=1e-12)
    # Asked to stop below a potential: the same seeds up to the first whose
    # potential is below it.
    potentials = [
        weights @ nearest_center(points, points[seeds[:k]])[1]
        for k in range(1, n_centers + 1)
    ]
    least = potentials[(n_centers - 1) // 2] * (1 + 1e-9)
    stopped, stopped_potential = _kmeans_kernels.kmeans_plusplus(
        *level[:2], cells, n_centers, uniforms, n_trials, np.empty((0, 3)), least
    )
    n_stopped = next(k + 1 for k, p in enumerate(potentials) if p < least)
    np.testing.assert_array_equal(stopped, seeds[:n_stopped])
    assert stopped_potential < least


def test_weighted_distinct_colors_give_the_pixel_objective(china_pixels):
    colors, counts = distinct_colors(china_pixels)
    centers, _ = weighted_kmeans(colors / 255.0, counts, 16, np.random.RandomState(0))
    labels, distances = nearest_center(colors / 255.0, centers)
    weighted = counts @ distances
    _, pixel_distances = nearest_center(china_pixels / 255.0, centers)
    assert weighted == pytest.approx(pixel_distances.sum(), rel=1e-10)


def test_weighted_kmeans_is_a_fixed_point_of_lloyd_at_small_scale():
    rng = np.random.default_rng(0)
    points = rng.random((300, 3))
    weights = rng.integers(1, 5, size=300).astype(np.float64)
    centers, _ = weighted_kmeans(points, weights, 5, np.random.RandomState(0), tol=0.0)
    np.testing.assert_allclose(
        _plain_lloyd(points, weights, centers, 1), centers, atol=1e-12
    )


def test_palette_index_table_agrees_with_direct_search(china, flower):
    rng = np.random.default_rng(0)
    centers = rng.random((64, 3))
    spaces = {
        "rgb": (lambda colors: colors * 1.0, centers * 255),
        "lab": (lambda colors: rgb2lab(colors / 255.0), rgb2lab(centers)),
    }
    for color_space, (working, working_centers) in spaces.items():
        index = PaletteIndex(working_centers, color_space_of(color_space))
        for image in (china, flower, china):
            pixels = image.reshape(-1, 3)
            expected = _brute_nearest(
                working(pixels[::7].astype(np.float64)), index.centers
            )[0]
            np.testing.assert_array_equal(index.labels(pixels)[::7], expected)
            # Floats take the path without the table, to the same result.
            np.testing.assert_array_equal(index.labels(pixels[::7] / 255.0), expected)


def _lattice(step, n_channels):
    levels = np.arange(0, 256, step, dtype=np.uint8)
    grids = np.meshgrid(*[levels] * n_channels, indexing="ij")
    return np.stack([grid.ravel() for grid in grids], axis=1)


def _brute_nearest_blocks(points, centers, block=20_000):
    return np.concatenate(
        [
            _brute_nearest(points[s : s + block], centers)[0]
            for s in range(0, len(points), block)
        ]
    )


@pytest.mark.parametrize("n_colors", [1, 2, 64, 256, 257])
def test_uint8_lookup_matches_brute_force_with_exact_ties(n_colors):
    # Integer palette colors on an integer lattice of pixels: many exact ties,
    # which must go to the lowest index, as a brute-force search has them.
    rng = np.random.default_rng(n_colors)
    palette = rng.integers(0, 256, size=(n_colors, 3)).astype(np.float64)
    pixels = _lattice(5, 3)
    index = PaletteIndex(palette, color_space_of("rgb"))
    expected = _brute_nearest_blocks(pixels.astype(np.float64), palette)
    np.testing.assert_array_equal(index.labels(pixels), expected)
    # A second call reads what the first worked out, to the same result.
    np.testing.assert_array_equal(index.labels(pixels[::-1]), expected[::-1])


def test_uint8_lookup_prepared_for_some_colors_meets_others(china, flower):
    # ``prepare`` lists only the cells of the fit's colors: pixels elsewhere
    # must still get their nearest palette color, not a neighbor cell's.
    rng = np.random.default_rng(3)
    palette = rng.integers(0, 256, size=(200, 3)).astype(np.float64)
    fitted = np.unique(china.reshape(-1, 3), axis=0)
    index = PaletteIndex(palette, color_space_of("rgb"))
    index.prepare(fitted, _brute_nearest_blocks(fitted.astype(np.float64), palette))
    for pixels in (fitted, flower.reshape(-1, 3), _lattice(5, 3)):
        expected = _brute_nearest_blocks(pixels.astype(np.float64), palette)
        np.testing.assert_array_equal(index.labels(pixels), expected)


@pytest.mark.parametrize("n_channels", [1, 2])
def test_uint8_lookup_for_fewer_channels(n_channels):
    rng = np.random.default_rng(n_channels)
    palette = rng.integers(0, 256, size=(9, n_channels)).astype(np.float64)
    pixels = _lattice(1 if n_channels == 1 else 3, n_channels)
    index = PaletteIndex(palette, color_space_of("rgb"))
    expected = _brute_nearest_blocks(pixels.astype(np.float64), palette)
    np.testing.assert_array_equal(index.labels(pixels), expected)


@pytest.mark.parametrize("n_channels", [1, 3, 4])
def test_grid_lists_hold_the_nearest_center_of_every_point(n_channels):
    # Points anywhere in the grid's box, on its cells' faces and corners, with two
    # palette colors listed twice (exact ties): the lists' search must agree with
    # trying every center.
    rng = np.random.default_rng(n_channels)
    centers = rng.uniform(-20, 120, size=(60, n_channels))
    centers[[7, 41]] = centers[[3, 30]]
    cells_per_axis = 8
    low, high = centers.min(axis=0) - 5, centers.max(axis=0) + 5
    cell_size = (high - low) / cells_per_axis
    faces = low + cell_size * rng.integers(0, cells_per_axis + 1, (3000, n_channels))
    inside = rng.uniform(low, high, size=(3000, n_channels))
    near_centers = centers[rng.integers(0, 60, 3000)] + rng.normal(0, 0.5, (3000, 1))
    points = np.clip(np.concatenate([faces, inside, near_centers]), low, high)
    listed, starts = list_grid(centers, low, cell_size, cells_per_axis)
    # As one row of an image, with no pattern added.
    labels = np.empty((1, 1, len(points)), dtype=np.int16)
    _dither_kernels.ordered_on_grid(
        points[None, None],
        np.zeros((1, 1)),
        centers,
        low,
        high,
        1 / cell_size,
        cells_per_axis,
        listed,
        starts,
        labels,
        0,
        1,
    )
    np.testing.assert_array_equal(labels[0, 0], _brute_nearest(points, centers)[0])


def test_grid_lists_keep_few_candidates_for_a_photo_palette(china_pixels):
    # Centers beaten over a whole cell by another center are not listed: for a
    # 256-color palette of a photo, about 2 per cell remain of about 8 that the
    # bounding-box test alone keeps.
    colors, counts = distinct_colors(china_pixels)
    centers, _ = weighted_kmeans(
        colors.astype(np.float64), counts, 256, np.random.RandomState(0)
    )
    listed, starts = list_grid(centers, np.zeros(3), np.full(3, 8.0), 32)
    assert np.diff(starts).min() >= 1
    assert len(listed) / (len(starts) - 1) < 3
