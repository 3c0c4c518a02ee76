"""Weighted k-means for colors, coarse to fine.

The fit seeds with k-means++ and runs Lloyd's iterations on the weighted means of
the cells of a grid over the colors (a few thousand points; a finer grid, or the
colors themselves, where those cells hide the palette's detail), then refines on
every distinct color. Lloyd's iterations use Hamerly's bounds (with each point's
runner-up center bounded apart) and the grid's pruning of candidate centers (see
``_assign``), so most points are not looked at again once the centers settle; each
step's work goes to threads (see ``_threads``), and on a coarse level, too small
for that, each k-means++ run with its iterations does.
"""

import numpy as np

from . import _kmeans_kernels as kernels
from ._assign import Grid, build_grid, nearest_center
from ._threads import limit, run_blocks

# The coarse level: weighted means of the cells of a grid this fine. On uint8 RGB
# it is a 5-bit histogram; seeding and converging there costs little, and leaves
# the full level a few Lloyd iterations from a k-means-quality palette.
_COARSE_CELLS_PER_AXIS = 32
# A full-level iteration costs about in proportion to the number of centers: small
# palettes can afford more of them.
_FINE_ITERATIONS_TIMES_CLUSTERS = 6400
_FINE_MIN_ITER = 10
# Choosing the size: Lloyd's iterations per size tried on the coarse level, and on
# every point to measure what refining gains.
_SEARCH_MAX_ITER = 15
_SEARCH_FIRST_SIZE = 16
_CALIBRATION_ITER = 10
# Lloyd's sums are added in blocks of this many points, whatever the thread
# count, so that every count gives the same centers.
_SUM_BLOCK = 1 << 14
# Cells keep lists of up to this many candidate centers between iterations.
_MAX_LISTED = 64
# A level seeds the palette only if its cells hide at most this share of the
# error of the palette it gives (a smooth sky: a few cells hold most colors).
_MAX_HIDDEN_ERROR = 0.5
# k-means++ runs on a coarse level, the best kept: (up to this many clusters,
# this many runs). A run costs about in proportion to the number of clusters.
_SEED_RUNS = ((64, 5),)


def weighted_kmeans(
    points, weights, n_clusters, random_state, *, tol=1e-4, fixed=None, grid=None
):
    """Centers of a weighted k-means of ``points``, seeded by k-means++.

    k-means++ and Lloyd's iterations run to convergence on the weighted means
    of the cells of a 32-per-axis grid first (the best of 5 runs by their
    inertia up to 64 clusters), where the points fill 4 cells per cluster and
    the cells hide at most half the error of the palette found there; else on
    a 64-per-axis grid, on the same terms; else on the points themselves. A
    level whose seeds' potential is already below twice its hidden error is
    passed over before any Lloyd iteration (the iterations only lower it), and
    its k-means++ stops as soon as the potential of the seeds so far is.
    Then Lloyd's iterations refine on every point until converged, at most
    ``max(10, 6400 // n_clusters)`` of them.

    Parameters
    ----------
    points : ndarray of shape (n_points, n_channels), float64
        Distinct colors in the working space; more than ``n_clusters`` of them.
    weights : ndarray of shape (n_points,)
        Pixel count of each color.
    n_clusters : int
    random_state : RandomState instance
    tol : float
        Convergence: the centers move less than ``tol`` times the mean variance
        of the points (scikit-learn's rule), or no label changes.
    fixed : ndarray of shape (n_fixed, n_channels), optional
        Reserved centers: they are the first ``n_fixed`` of the result, take
        their points like the others, and never move; k-means++ seeds the others
        around them.
    grid : Grid, optional
        ``build_grid(points)``, when the caller has it already.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_channels)
    n_iter : int
        Lloyd iterations run, on both levels.
    """
    points = np.ascontiguousarray(points, dtype=np.float64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    fixed = _as_centers(fixed, points.shape[1])
    coarse = _coarse_level(points, weights, n_clusters)
    tolerance = tol * _mean_variance(points, weights, coarse)
    fine = _level(points, weights, grid)
    total_iter = 0
    for level, residual in _seed_levels(points, weights, n_clusters, fine, coarse):
        # A level whose cells hide more error than the palette makes cannot
        # place the palette: seed again on a finer one.
        several = level is not fine
        least_inertia = residual / _MAX_HIDDEN_ERROR
        seeded = _seeded(
            level, n_clusters, random_state, fixed, tolerance, several, least_inertia
        )
        if seeded is not None:
            centers, inertia, n_iter = seeded
            total_iter += n_iter
            if inertia >= least_inertia:
                break
    if level is not fine:
        centers, n_iter = _lloyd(
            fine, centers, _fine_max_iter(n_clusters), tolerance, len(fixed)
        )
        total_iter += n_iter
    return centers, total_iter


def _as_centers(centers, n_channels):
    if centers is None:
        return np.empty((0, n_channels))
    return np.ascontiguousarray(centers, dtype=np.float64).reshape(-1, n_channels)


def _lloyd(level, centers, max_iter, tolerance, n_fixed=0):
    """Lloyd's iterations on one level, ``(points, weights, grid)`` as ``_level``
    makes it (the points sorted cell by cell): the centers and the number of
    iterations run; the first ``n_fixed`` centers stay put.

    The iterates are those of plain Lloyd. Each iteration's assignment step
    goes to threads range of cells by range of cells, the first sums range of
    points by range of points; after that, the sums follow the points that
    change center, in the order of their cells. The ranges, and so the
    centers, do not depend on the number of threads.
    """
    points, weights, grid = level
    n_points = len(points)
    centers = np.array(centers, dtype=np.float64, order="C")
    n_centers = len(centers)
    n_cells = len(grid.cell_lows)
    state = kernels.LloydState(centers, n_points, n_cells, min(n_centers, _MAX_LISTED))
    cells = (grid.cell_starts, grid.cell_lows, grid.cell_highs)
    labels, upper, shift = state.labels, state.upper, state.shift
    by_first = np.arange(n_centers)

    def assign(first, stop):
        return first, kernels.lloyd_assign(state, points, *cells, first, stop)

    def block_sums(start, stop):
        sums, totals = np.zeros_like(centers), np.zeros(n_centers)
        kernels.lloyd_sums(points, weights, labels, sums, totals, start, stop)
        return sums, totals

    # Early iterations look at most points again, against a few times the square
    # root of the number of centers (measured: about 60 distances a point at 256).
    assign_work = n_points / n_cells * (4 + 4 * n_centers**0.5)
    sums, totals, summed = None, None, False
    empty_below = 0.5 * weights.min()
    n_iter = 0
    for iteration in range(max_iter + 1):
        blocks = run_blocks(assign, n_cells, work_per_item=assign_work)
        n_changed = sum(count for _, count in blocks)
        if (iteration > 0 and n_changed == 0) or iteration == max_iter:
            break
        if summed:
            for first, count in blocks:
                kernels.lloyd_shift_sums(
                    points, weights, labels, sums, totals, state.changed,
                    state.changed_from, grid.cell_starts[first], count,
                )  # fmt: skip
        else:
            sums, totals = np.zeros_like(centers), np.zeros(n_centers)
            for partial_sums, partial_totals in run_blocks(
                block_sums, n_points, block_items=_SUM_BLOCK
            ):
                sums += partial_sums
                totals += partial_totals
        total_shift, relocated = kernels.lloyd_move(
            points, weights, centers, sums, totals, upper, shift, n_fixed, empty_below
        )
        summed = not relocated
        n_iter = iteration + 1
        if total_shift <= tolerance:
            break
        kernels.lloyd_gaps(state, relocated, by_first)
    return centers, n_iter


def refine_around(points, weights, fixed, centers, *, tol=1e-4):
    """``fixed`` and ``centers`` after Lloyd's iterations on every point with the
    ``fixed`` ones held in place, so that their points leave the others: how a
    palette learned by any clusterer makes room for reserved colors."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    fixed = _as_centers(fixed, points.shape[1])
    start = np.concatenate([fixed, _as_centers(centers, points.shape[1])])
    tolerance = tol * _mean_variance(points, weights)
    level = _level(points, weights)
    return _lloyd(level, start, _fine_max_iter(len(start)), tolerance, len(fixed))


def _fine_max_iter(n_clusters):
    return max(_FINE_MIN_ITER, _FINE_ITERATIONS_TIMES_CLUSTERS // n_clusters)


def _seeds(
    level, n_clusters, random_state, given=None, *, return_potential=False, least=0.0
):
    """k-means++ seeds, indices into the points of ``level``, chosen around
    centers ``given``; with ``return_potential``, also their potential: the
    weighted mean squared distance of the points to the closest seed or given
    center (``inf`` with no seed to choose). Fewer seeds once the potential is
    below ``least``, which it then returns as ``-inf``."""
    given = _as_centers(given, level[0].shape[1])
    uniforms = _seed_draws(n_clusters, len(given), random_state)
    seeds, potential = _seeds_from(level, n_clusters, uniforms, given, least)
    return (seeds, potential) if return_potential else seeds


def _seed_draws(n_clusters, n_given, random_state):
    """The uniform draws k-means++ takes for ``n_clusters`` seeds around
    ``n_given`` centers."""
    if n_clusters <= 0:
        return np.empty(0)
    n_trials = _n_trials(n_clusters, n_given)
    return random_state.uniform(size=1 + (n_clusters - (n_given == 0)) * n_trials)


def _n_trials(n_clusters, n_given):
    # scikit-learn's greedy k-means++: 2 + log(k) candidates for each seed.
    return 2 + int(np.log(n_clusters + n_given))


def _seeds_from(level, n_clusters, uniforms, given, least=0.0):
    """``_seeds`` from its draws (``_seed_draws``): ``(seeds, potential)``."""
    points, weights, grid = level
    if n_clusters <= 0:
        return np.empty(0, dtype=np.int64), np.inf
    n_trials = _n_trials(n_clusters, len(given))
    cells = (grid.cell_starts, grid.cell_lows, grid.cell_highs)
    total_weight = np.sum(weights)
    seeds, total = kernels.kmeans_plusplus(
        points, weights, cells, n_clusters, uniforms, n_trials, given,
        least * total_weight,
    )  # fmt: skip
    potential = total / total_weight if len(seeds) == n_clusters else -np.inf
    return seeds, potential


def _mean_variance(points, weights, coarse=None):
    """The points' weighted variance, averaged over channels; from ``coarse``,
    ``_coarse_level``'s result, when given: the error its cells hide plus the
    variance of their means (no pass over the points)."""
    if coarse is None:
        return np.mean(_weighted_variance(points, weights))
    means, cell_weights, _, hidden = coarse
    return (hidden + np.sum(_weighted_variance(means, cell_weights))) / len(means[0])


def _weighted_variance(points, weights):
    # einsum's own loops: no BLAS threads (see _color_spaces), no temporaries
    # of weighted points, and nothing more to compile.
    total = np.sum(weights)
    mean = np.einsum("i,ij->j", weights, points) / total
    deviations = points - mean
    return np.einsum("i,ij,ij->j", weights, deviations, deviations) / total


def smallest_kmeans(
    points,
    weights,
    target,
    max_clusters,
    random_state,
    *,
    precision=0.03,
    tol=1e-4,
    fixed=None,
):
    """About the smallest weighted k-means whose centers meet a quality target.

    Sizes double from 16 (or the search starts from 1 if 16 is enough), each
    from the centers of the last with the clusters of largest error split, until
    the target is met; a bisection between the last two sizes
    then narrows the size to within ``precision``. Every size starts from the
    centers of a smaller one and runs Lloyd's iterations on the coarse level only:
    nothing is fitted from scratch. Refining on every point improves a palette by
    an amount measured once, at the first size that meets the target, and the
    search allows for it. The chosen size is refined and checked on every
    point, and grown a little while it falls short.

    Parameters
    ----------
    points, weights : as for ``weighted_kmeans``
    target : QualityTarget
        ``target.measure(centers, final)`` and ``target.meets(measured,
        allowance)``.
    max_clusters : int
        Largest size tried.
    random_state : RandomState instance
    precision : float
        Relative width of the last bisection interval.
    fixed : ndarray of shape (n_fixed, n_channels), optional
        Reserved centers, first in every palette tried, never moved.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_channels)
    met : bool
        False when even ``max_clusters`` centers do not meet the target.
    n_iter : int
        Lloyd iterations run over the whole search.
    """
    points = np.ascontiguousarray(points, dtype=np.float64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    tolerance = tol * _mean_variance(points, weights)
    fine = _level(points, weights)
    coarse = _coarse_level(points, weights, max_clusters)
    coarse = fine if coarse is None else coarse[:3]
    medium = _coarse_level(points, weights, max_clusters, 2 * _COARSE_CELLS_PER_AXIS)
    medium = fine if medium is None else medium[:3]
    fixed = _as_centers(fixed, points.shape[1])
    if max_clusters <= len(fixed):
        return fixed, target.meets(target.measure(fixed, final=True)), 0

    total_iter = 0

    def converge(centers, level, max_iter=300):
        nonlocal total_iter
        centers, n_iter = _lloyd(level, centers, max_iter, tolerance, len(fixed))
        total_iter += n_iter
        return centers

    def grow(centers, n_clusters):
        split = _split_worst(centers, n_clusters, coarse)
        return converge(split, coarse, _SEARCH_MAX_ITER)

    def refine(centers, max_iter=None):
        return converge(centers, fine, max_iter or _fine_max_iter(len(centers)))

    size = min(max(_SEARCH_FIRST_SIZE, len(fixed) + 1), max_clusters)
    seeds = _seeds(coarse, size - len(fixed), random_state, fixed)
    centers = converge(
        np.concatenate([fixed, coarse[0][seeds]]), coarse, _SEARCH_MAX_ITER
    )
    smaller = None
    smallest = max(1, len(fixed))
    if target.meets(measured := target.measure(centers, final=False)) and (
        size > smallest
    ):
        # Met already: search down from one color (the reserved ones, if any).
        one = np.average(coarse[0], axis=0, weights=coarse[1])[None, :]
        least = fixed if len(fixed) else one
        smaller = (smallest, least, target.measure(least, final=False))
    while not target.meets(measured):
        if size == max_clusters:
            return refine(centers), False, total_iter
        smaller = (size, centers, measured)
        size = min(2 * size, max_clusters)
        centers = grow(centers, size)
        measured = target.measure(centers, final=False)

    # What refining gains, and how far the sample is from every color: measured
    # once, with a short refinement on a finer grid of means checked on every
    # color, against the coarse centers on the sample.
    calibrated = converge(centers, medium, _CALIBRATION_ITER)
    allowance = target.measure(calibrated, final=True) - measured
    allowance, refined = np.nan_to_num(allowance), None
    if smaller is not None:
        low, low_centers, low_measured = smaller
        low_gap = target.shortfall(low_measured, allowance)
        high_gap = target.shortfall(measured, allowance)
        passed = True
        while size - low > max(1, int(precision * low)):
            middle = _next_size(low, low_gap, size, high_gap, precision, passed)
            candidate = grow(low_centers, middle)
            gap = target.shortfall(target.measure(candidate, final=False), allowance)
            passed = gap <= 0
            if passed:
                size, centers, high_gap, refined = middle, candidate, gap, None
            else:
                low, low_centers, low_gap = middle, candidate, gap
    while True:
        refined = refine(centers) if refined is None else refined
        if target.meets(target.measure(refined, final=True)):
            return refined, True, total_iter
        if size == max_clusters:
            return refined, False, total_iter
        # The estimate said yes, every color says no: a few more colors.
        size = min(size + max(1, int(precision * size)), max_clusters)
        centers, refined = grow(centers, size), None


def _next_size(low, low_gap, high, high_gap, precision, passed):
    """The next size to try between ``low`` (short of the target by ``low_gap``)
    and ``high`` (meeting it, ``high_gap <= 0``).

    The shortfall is about linear in the log of the size: interpolate where it
    crosses 0, and aim just past that point, on the side opposite to the last
    result, so that two tries often close the interval. Bisect where
    interpolation gives nothing new.
    """
    if low_gap > 0 >= high_gap and np.isfinite(low_gap) and np.isfinite(high_gap):
        crossing = low_gap / (low_gap - high_gap)
        root = np.exp(np.log(low) + crossing * (np.log(high) - np.log(low)))
        middle = int(round(root * (1 - precision / 2 if passed else 1 + precision / 2)))
        if low < middle < high:
            return middle
    return (low + high) // 2


def _seed_levels(points, weights, n_clusters, fine, coarse):
    """The levels to seed on, coarse to fine, each with the error its cells
    hide (the weighted mean squared distance of the points to their cell's
    mean): the means of the cells of a 32-per-axis grid (``coarse``, the
    caller's), of a 64-per-axis grid, while they have 4 cells per cluster, and
    last every point (``fine``)."""
    for cells_per_axis in (_COARSE_CELLS_PER_AXIS, 2 * _COARSE_CELLS_PER_AXIS):
        if cells_per_axis != _COARSE_CELLS_PER_AXIS:
            coarse = _coarse_level(points, weights, n_clusters, cells_per_axis)
        if coarse is None:
            break
        *level, residual = coarse
        yield tuple(level), residual
    yield fine, 0.0


def _seeded(
    level, n_clusters, random_state, fixed, tolerance, several, least_inertia=0.0
):
    """k-means++ and Lloyd's iterations to convergence on ``level``:
    ``(centers, inertia, n_iter)``, the inertia the weighted mean squared
    distance to the centers; ``None`` as soon as the inertia is known to come
    out below ``least_inertia``.

    k-means++ lands in a worse optimum now and then: with ``several``, on a
    level cheap enough, the best of a few runs is kept (scikit-learn's
    ``n_init``).
    Lloyd's iterations only lower the seeds' potential: a run whose seeds are
    already below ``least_inertia`` settles it without them.
    """
    level_points, level_weights, grid = level
    n_runs = 1
    if several:
        n_runs = next((n for most, n in _SEED_RUNS if n_clusters <= most), 1)
    n_seeds = n_clusters - len(fixed)
    # Every run's draws first, in the order one run after another takes them:
    # the runs then go to threads, and give what they give one after another.
    before = random_state.get_state()
    draws = [_seed_draws(n_seeds, len(fixed), random_state) for _ in range(n_runs)]

    def run(uniforms):
        seeds, potential = _seeds_from(level, n_seeds, uniforms, fixed, least_inertia)
        if potential < least_inertia:
            return None
        start = np.concatenate([fixed, level_points[seeds]])
        centers, n_iter = _lloyd(level, start, 300, tolerance, len(fixed))
        _, distances = nearest_center(level_points, centers, grid)
        return centers, np.average(distances, weights=level_weights), n_iter

    def runs(first, stop):
        # A thread for each run rather than for each step of one: a coarse
        # level is too small for its steps to pay for waking a thread.
        with limit(1):
            return [run(draws[position]) for position in range(first, stop)]

    if n_runs == 1:
        results = [run(draws[0])]
    else:
        # A run costs a few distances per point and cluster.
        blocks = run_blocks(runs, n_runs, work_per_item=len(level_points) * n_clusters)
        results = [result for block in blocks for result in block]
    if None in results:
        # One after another, the first run to settle it would have ended it:
        # the draws up to that run are taken, no more.
        random_state.set_state(before)
        for _ in range(results.index(None) + 1):
            _seed_draws(n_seeds, len(fixed), random_state)
        return None
    best = None
    for centers, inertia, _ in results:
        if best is None or inertia < best[1]:
            best = (centers, inertia)
    return (*best, sum(n_iter for *_, n_iter in results))


def _coarse_level(
    points,
    weights,
    n_clusters,
    cells_per_axis=_COARSE_CELLS_PER_AXIS,
    cells_per_cluster=4,
):
    """Weighted means of the cells of a grid, if they are enough points: the
    level ``(means, weights, grid)`` and the error the cells hide, the weighted
    mean squared distance of the points to their cell's mean."""
    # Above 4 coordinates the grid cuts the first three (the RGB of RGB beside
    # CIELAB); the error its cells hide, measured on every coordinate, decides
    # whether the level serves.
    coarse = build_grid(points, cells_per_axis)
    if len(coarse.cell_lows) < cells_per_cluster * n_clusters:
        return None
    means, cell_weights, hidden = kernels.cell_means(
        points, weights, coarse.cell_of_point, len(coarse.cell_lows)
    )
    return (*_level(means, cell_weights), hidden)


def _level(points, weights, grid=None):
    """A level for Lloyd's iterations, ``(points, weights, grid)``: the points
    sorted cell by cell of their grid (``build_grid(points)``, or the caller's),
    so that the iterations, which go cell by cell, read memory in order rather
    than all over it."""
    grid = build_grid(points) if grid is None else grid
    order = grid.order
    in_order = Grid(
        np.arange(len(points)),
        grid.cell_starts,
        grid.cell_lows,
        grid.cell_highs,
        grid.cell_of_point[order],
    )
    # np.take gathers rows several times faster than fancy indexing.
    return np.take(points, order, axis=0), np.take(weights, order), in_order


def _split_worst(centers, n_clusters, level):
    """``centers`` and, for the clusters of largest error, their worst-fit point."""
    level_points, level_weights, grid = level
    labels, distances = nearest_center(level_points, centers, grid)
    cost = level_weights * distances
    cluster_cost = np.bincount(labels, weights=cost, minlength=len(centers))
    # The costliest point of each cluster, and the clusters by their error.
    by_cost = np.argsort(-cost, kind="stable")
    clusters, first = np.unique(labels[by_cost], return_index=True)
    worst_point = dict(zip(clusters, by_cost[first]))
    chosen = [
        worst_point[j]
        for j in np.argsort(-cluster_cost, kind="stable")
        if j in worst_point and cost[worst_point[j]] > 0
    ][: n_clusters - len(centers)]
    if len(chosen) < n_clusters - len(centers):
        # Fewer clusters with error than centers to add: take more costly points.
        taken = set(chosen)
        chosen += [i for i in by_cost if i not in taken][
            : n_clusters - len(centers) - len(chosen)
        ]
    return np.concatenate([centers, level_points[chosen]])
