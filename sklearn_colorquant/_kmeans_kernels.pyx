# cython: language_level=3, boundscheck=False, wraparound=False
# cython: initializedcheck=False, cdivision=True
"""Compiled loops of weighted k-means: k-means++ seeding and Lloyd's iterations
with Hamerly's bounds and a grid's pruning of candidate centers.

Serial loops that release the GIL, one per step of an iteration; ``_kmeans``
runs the iterations and hands the assignment step's ranges of cells, and the
sums' ranges of points, to threads. What the iterations keep from one step to
the next is a ``LloydState``.
"""

import numpy as np

from libc.math cimport INFINITY, sqrt
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc

from ._nearest cimport _max2, _min2, box_candidates, squared_distance

# Cell lists are made with a margin of this many times the last largest shift.
cdef double _LIST_SHIFTS = 4.0


cdef class LloydState:
    """What Lloyd's iterations keep between steps, for the points of one level.

    Every point keeps an upper bound on the distance to its center, and lower
    bounds on the distance to its runner-up (the second nearest center when
    last measured) and to every other center (Hamerly's bounds, with the
    runner-up apart: it is the center a point near a border may go to, and its
    bound wears down by its own moves only, not by the largest). Cells keep
    lists of the centers that can be nearest to their points, made with a
    margin, until the centers have drifted half of it.

    The last update's moves, which the next assignment applies to the bounds,
    are kept here too: ``largest`` (the largest shift), ``largest_at`` (whose
    center), ``second_largest``, ``relocated`` (whether a center jumped onto
    a point) and ``margin`` (for the lists made next).
    """

    cdef public double[:, ::1] centers
    cdef public int32_t[::1] labels  # int32: the bounds pass reads less memory
    cdef public double[::1] upper  # on the distance to the own center
    cdef public double[::1] lower  # on the distance to the others
    cdef public int32_t[::1] runner  # runner-up centers (-1: none)
    cdef public double[::1] runner_lower  # on the distance to them
    cdef public double[::1] half_gap  # half the distance to the nearest other center
    cdef public double[::1] shift  # how far each center moved last
    cdef public int64_t[::1] changed  # points that changed center
    cdef public int64_t[::1] changed_from  # the centers they left
    cdef public int64_t[:, ::1] lists  # each cell's listed centers
    cdef public int64_t[::1] n_listed  # how many (-1: no list)
    cdef public double[::1] list_bounds  # on the squared distance to the others
    cdef public double[::1] listed_at  # the drift when each list was made
    cdef public double[::1] list_margins  # the margin it was made with
    cdef public double drift  # the sum of every update's largest shift
    cdef public double largest
    cdef public Py_ssize_t largest_at
    cdef public double second_largest
    cdef public bint relocated
    cdef public double margin

    def __init__(self, centers, Py_ssize_t n_points, Py_ssize_t n_cells,
                 Py_ssize_t width):
        n_centers = len(centers)
        self.centers = centers
        self.labels = np.zeros(n_points, dtype=np.int32)
        self.upper = np.full(n_points, np.inf)
        self.lower = np.zeros(n_points)
        self.runner = np.full(n_points, -1, dtype=np.int32)
        self.runner_lower = np.zeros(n_points)
        self.half_gap = np.zeros(n_centers)
        self.shift = np.zeros(n_centers)
        self.changed = np.empty(n_points, dtype=np.int64)
        self.changed_from = np.empty(n_points, dtype=np.int64)
        self.lists = np.empty((n_cells, width), dtype=np.int64)
        self.n_listed = np.full(n_cells, -1, dtype=np.int64)
        self.list_bounds = np.zeros(n_cells)
        self.listed_at = np.zeros(n_cells)
        self.list_margins = np.zeros(n_cells)
        self.drift = 0.0
        self.largest, self.largest_at, self.second_largest = 0.0, -1, 0.0
        self.relocated, self.margin = False, 0.0


def cell_means(
    const double[:, ::1] points,
    const double[::1] weights,
    const int64_t[::1] cell_of_point,
    Py_ssize_t n_cells,
):
    """The weighted mean and weight of each cell's points, and the error the
    cells hide: the weighted mean squared distance of the points to their
    cell's mean. ``(means, cell_weights, hidden)``."""
    cdef Py_ssize_t n_points = points.shape[0], n_channels = points.shape[1]
    cdef Py_ssize_t i, cell, channel
    cdef double hidden = 0.0, total = 0.0
    means_array = np.zeros((n_cells, n_channels))
    cell_weights_array = np.zeros(n_cells)
    cdef double[:, ::1] means = means_array
    cdef double[::1] cell_weights = cell_weights_array
    with nogil:
        for i in range(n_points):
            cell = cell_of_point[i]
            cell_weights[cell] += weights[i]
            for channel in range(n_channels):
                means[cell, channel] += weights[i] * points[i, channel]
        for cell in range(n_cells):
            for channel in range(n_channels):
                means[cell, channel] /= cell_weights[cell]
        for i in range(n_points):
            total += weights[i]
            hidden += weights[i] * squared_distance(
                &points[i, 0], &means[cell_of_point[i], 0], n_channels
            )
    return means_array, cell_weights_array, hidden / total


cdef inline Py_ssize_t _draw(
    const double* cumulative, Py_ssize_t n, double target
) noexcept nogil:
    """The first index whose cumulative weight exceeds ``target`` (numpy's
    ``searchsorted(..., side="right")``), at most the last index."""
    cdef Py_ssize_t low = 0, high = n, middle
    while low < high:
        middle = (low + high) // 2
        if cumulative[middle] <= target:
            low = middle + 1
        else:
            high = middle
    return low if low < n - 1 else n - 1


cdef inline Py_ssize_t _draw_by_cell(
    const double[::1] weights,
    const double* closest,
    const int64_t[::1] cell_starts,
    const double* cell_cumulative,
    Py_ssize_t n_cells,
    double target,
) noexcept nogil:
    """The first point whose cumulative potential exceeds ``target``, the
    potential added cell by cell: the cell first, from the cells' cumulative
    potential, then the point among the cell's."""
    cdef Py_ssize_t cell = _draw(cell_cumulative, n_cells, target), i, last
    cdef double running = cell_cumulative[cell - 1] if cell > 0 else 0.0, share
    last = cell_starts[cell]
    for i in range(cell_starts[cell], cell_starts[cell + 1]):
        share = weights[i] * closest[i]
        running += share
        if running > target:
            return i
        if share > 0.0:
            last = i
    # Rounding: the cell's points add up to a little less than its potential.
    return last


cdef double _potential_with(
    const double[:, ::1] points,
    const double[::1] weights,
    double* closest,
    const int64_t[::1] cell_starts,
    const double[:, ::1] cell_lows,
    const double[:, ::1] cell_highs,
    double* cell_largest,
    double* cell_potential,
    Py_ssize_t candidate,
    bint keep,
) noexcept nogil:
    """The potential (weighted sum of squared distances to the closest seed)
    once point ``candidate`` is a seed too; with ``keep``, it becomes one:
    ``closest`` and the cells' largest distance and potential follow. A cell
    whose box is at least its largest distance away from the candidate keeps
    its potential as it is, added in the same order."""
    cdef Py_ssize_t n_channels = points.shape[1], cell, channel, i
    cdef double total = 0.0, gap_squared, c, gap, cell_total, largest
    cdef double distance
    for cell in range(cell_starts.shape[0] - 1):
        gap_squared = 0.0
        for channel in range(n_channels):
            c = points[candidate, channel]
            gap = _max2(
                _max2(cell_lows[cell, channel] - c, c - cell_highs[cell, channel]), 0.0
            )
            gap_squared += gap * gap
        # Points sit on the box's faces up to rounding: shrink the gap a little.
        if gap_squared * (1.0 - 1e-9) >= cell_largest[cell]:
            total += cell_potential[cell]
            continue
        cell_total, largest = 0.0, 0.0
        for i in range(cell_starts[cell], cell_starts[cell + 1]):
            distance = _min2(
                closest[i],
                squared_distance(&points[i, 0], &points[candidate, 0], n_channels),
            )
            cell_total += weights[i] * distance
            largest = _max2(largest, distance)
            if keep:
                closest[i] = distance
        if keep:
            cell_potential[cell], cell_largest[cell] = cell_total, largest
        total += cell_total
    return total


def kmeans_plusplus(
    const double[:, ::1] points,
    const double[::1] weights,
    cells,
    Py_ssize_t n_centers,
    const double[::1] uniforms,
    Py_ssize_t n_trials,
    const double[:, ::1] given,
    double least,
):
    """Weighted greedy k-means++ seeding, as scikit-learn's ``kmeans_plusplus``.

    ``uniforms`` holds ``1 + (n_centers - 1) * n_trials`` draws from U[0, 1)
    (``1 + n_centers * n_trials`` with centers ``given``): the caller's random
    state decides everything. Returns the indices of the seeds and their
    potential, the weighted sum of squared distances to the closest seed. Centers
    ``given`` (shape ``(n_given, n_channels)``, reserved colors) count as chosen
    already: every seed is then drawn by its distance to them, the first too.
    Stops with fewer seeds once the potential is below ``least`` (more seeds
    only lower it): the caller wanted to know whether it would be.

    ``cells`` is ``(cell_starts, cell_lows, cell_highs)`` of a grid whose cells
    hold the points in order (a level of ``_kmeans``): a cell farther from a
    candidate than its points are from their closest seed keeps its share of
    the potential, and is not looked at point by point.
    """
    cdef const int64_t[::1] cell_starts = cells[0]
    cdef const double[:, ::1] cell_lows = cells[1]
    cdef const double[:, ::1] cell_highs = cells[2]
    cdef Py_ssize_t n_points = points.shape[0], n_cells = cell_starts.shape[0] - 1
    cdef Py_ssize_t n_channels = points.shape[1], n_given = given.shape[0]
    cdef Py_ssize_t i, j, cell, center, trial, draw = 1, start = 0, best_index
    cdef Py_ssize_t candidate, n_chosen = n_centers
    cdef double total, best_potential, candidate_potential, potential = 0.0
    cdef bint keep
    chosen_array = np.empty(n_centers, dtype=np.int64)
    cdef int64_t[::1] chosen = chosen_array
    cdef double* closest
    cdef double* cumulative
    cdef double* cell_largest
    cdef double* cell_potential
    cdef double* cell_cumulative
    with nogil:
        closest = <double*> malloc(n_points * sizeof(double))
        cumulative = <double*> malloc(n_points * sizeof(double))
        cell_largest = <double*> malloc(n_cells * sizeof(double))
        cell_potential = <double*> malloc(n_cells * sizeof(double))
        cell_cumulative = <double*> malloc(n_cells * sizeof(double))
        try:
            if n_given == 0:
                total = 0.0
                for i in range(n_points):
                    total += weights[i]
                    cumulative[i] = total
                chosen[0] = _draw(cumulative, n_points, uniforms[0] * total)
                for i in range(n_points):
                    closest[i] = squared_distance(
                        &points[i, 0], &points[chosen[0], 0], n_channels
                    )
                start = 1
            else:
                for i in range(n_points):
                    closest[i] = INFINITY
                    for j in range(n_given):
                        closest[i] = _min2(
                            closest[i],
                            squared_distance(&points[i, 0], &given[j, 0], n_channels),
                        )
            # Each cell's largest distance to the closest seed, and its potential.
            for cell in range(n_cells):
                cell_largest[cell] = 0.0
                cell_potential[cell] = 0.0
                for i in range(cell_starts[cell], cell_starts[cell + 1]):
                    cell_potential[cell] += weights[i] * closest[i]
                    cell_largest[cell] = _max2(cell_largest[cell], closest[i])
            for center in range(start, n_centers):
                total = 0.0
                for cell in range(n_cells):
                    total += cell_potential[cell]
                    cell_cumulative[cell] = total
                if total < least:
                    n_chosen, potential = center, total
                    break
                best_index, best_potential = 0, INFINITY
                # The trials, then the best of them kept.
                for trial in range(n_trials + 1):
                    keep = trial == n_trials
                    candidate = best_index
                    if not keep:
                        candidate = _draw_by_cell(
                            weights, closest, cell_starts, cell_cumulative, n_cells,
                            uniforms[draw] * total,
                        )
                        draw += 1
                    candidate_potential = _potential_with(
                        points, weights, closest, cell_starts, cell_lows, cell_highs,
                        cell_largest, cell_potential, candidate, keep,
                    )
                    if not keep and candidate_potential < best_potential:
                        best_index, best_potential = candidate, candidate_potential
                chosen[center] = best_index
            else:
                for cell in range(n_cells):
                    potential += cell_potential[cell]
        finally:
            free(closest)
            free(cumulative)
            free(cell_largest)
            free(cell_potential)
            free(cell_cumulative)
    return chosen_array[:n_chosen], potential


cdef Py_ssize_t _cell_list(
    LloydState state,
    Py_ssize_t cell,
    const double* box_low,
    const double* box_high,
    const int64_t* everyone,
    int64_t* candidates,
    double* near,
    double* others_bound,
) noexcept nogil:
    """The centers that can be nearest to a point of the cell, into
    ``candidates``; returns how many, and a lower bound on the squared distance
    from the cell to the others in ``others_bound``.

    A list made with a margin holds every center that can be nearest until the
    centers have moved half of it since (they moved at most ``drift``, the sum
    of each update's largest shift): late iterations, where centers move
    little, reuse it instead of measuring the cell against every center.
    ``lloyd_assign`` drops a list that has outlived its margin before it looks
    at the cell's points: a list still here holds.
    """
    cdef Py_ssize_t n_candidates = state.n_listed[cell], k
    cdef Py_ssize_t n_centers = state.centers.shape[0]
    cdef double moved, reach
    if n_candidates >= 0:
        moved = state.drift - state.listed_at[cell]
        for k in range(n_candidates):
            candidates[k] = state.lists[cell, k]
        reach = _max2(sqrt(state.list_bounds[cell]) - moved, 0.0)
        others_bound[0] = reach * reach
        return n_candidates
    n_candidates = box_candidates(
        box_low, box_high, &state.centers[0, 0], state.centers.shape[1], everyone,
        n_centers, candidates, near, state.margin, others_bound,
    )
    state.n_listed[cell] = -1
    if state.margin > 0.0 and n_candidates <= state.lists.shape[1]:
        for k in range(n_candidates):
            state.lists[cell, k] = candidates[k]
        state.n_listed[cell] = n_candidates
        state.list_bounds[cell] = others_bound[0]
        state.listed_at[cell] = state.drift
        state.list_margins[cell] = state.margin
    return n_candidates


def lloyd_assign(
    LloydState state,
    const double[:, ::1] points,
    const int64_t[::1] cell_starts,
    const double[:, ::1] cell_lows,
    const double[:, ::1] cell_highs,
    Py_ssize_t first_cell,
    Py_ssize_t stop_cell,
):
    """The assignment step for the points of cells ``first_cell:stop_cell``,
    the points listed cell by cell (a level of ``_kmeans``).

    The bounds first follow the last update's center moves (kept in
    ``state``); then only points whose bounds fail are looked at again:
    against their runner-up first, and only if that does not settle it,
    against the centers their cell lists. Points that change center are
    written, with the center they leave, from position
    ``cell_starts[first_cell]`` of ``state.changed`` and
    ``state.changed_from``; returns how many.

    Each cell goes in passes: the bounds of all its points, then the exact
    distance of those whose bounds fail, then the rest of the work for those
    that still fail. A fifth of the points may fail, scattered: a pass that
    writes down which ones, rather than a branch on each, is not held up by
    the processor guessing the branch wrong.
    """
    cdef const double[:, ::1] centers = state.centers
    cdef int32_t[::1] labels = state.labels, runner = state.runner
    cdef double[::1] upper = state.upper, lower = state.lower
    cdef double[::1] runner_lower = state.runner_lower
    cdef const double[::1] half_gap = state.half_gap, shift = state.shift
    cdef int64_t[::1] changed = state.changed, changed_from = state.changed_from
    cdef const int64_t[:, ::1] lists = state.lists
    cdef int64_t[::1] n_listed = state.n_listed
    cdef const double[::1] list_bounds = state.list_bounds
    cdef const double[::1] listed_at = state.listed_at
    cdef const double[::1] list_margins = state.list_margins
    cdef double largest = state.largest, second_largest = state.second_largest
    cdef Py_ssize_t largest_at = state.largest_at
    cdef bint relocated = state.relocated
    cdef double drift = state.drift
    cdef Py_ssize_t n_centers = centers.shape[0], n_channels = centers.shape[1]
    cdef Py_ssize_t n_changed = 0, write, most = 0, cell, k, i, label, n_failing
    cdef Py_ssize_t n_still, position, n_candidates, second, best, j
    cdef double cell_shift, others, folded, moved, other, limit, own_distance
    cdef double others_bound, rest, second_distance, best_distance, distance
    cdef double third_distance
    cdef int64_t* everyone
    cdef int64_t* candidates
    cdef double* near
    cdef int64_t* failing
    cdef double* limits
    cdef double* own
    if stop_cell <= first_cell:
        return 0
    write = cell_starts[first_cell]
    for cell in range(first_cell, stop_cell):
        most = max(most, cell_starts[cell + 1] - cell_starts[cell])
    with nogil:
        everyone = <int64_t*> malloc(n_centers * sizeof(int64_t))
        candidates = <int64_t*> malloc(n_centers * sizeof(int64_t))
        near = <double*> malloc(n_centers * sizeof(double))
        # The points of a cell whose bounds fail, the bound on the distance to
        # the other centers, and their exact distance.
        failing = <int64_t*> malloc((most + 1) * sizeof(int64_t))
        limits = <double*> malloc((most + 1) * sizeof(double))
        own = <double*> malloc((most + 1) * sizeof(double))
        try:
            for j in range(n_centers):
                everyone[j] = j
            for cell in range(first_cell, stop_cell):
                # In a cell with a list, a point's lower bound is on the distance
                # to the listed centers other than its own, which moved at most
                # ``cell_shift``; the others are at least ``others`` away. Without
                # a list, it is on every other center, and the largest shift
                # applies.
                cell_shift, others, folded = -1.0, INFINITY, INFINITY
                if n_listed[cell] >= 0:
                    cell_shift = 0.0
                    for k in range(n_listed[cell]):
                        cell_shift = _max2(cell_shift, shift[lists[cell, k]])
                    moved = drift - listed_at[cell]
                    others = _max2(sqrt(list_bounds[cell]) - moved, 0.0)
                    if moved > 0.5 * list_margins[cell]:
                        # The list no longer holds every center that can be
                        # nearest: dropped, the others' bound goes into the
                        # points' bounds.
                        n_listed[cell] = -1
                        folded, others = others, INFINITY
                n_candidates, others_bound = -1, 0.0
                n_failing = 0
                for i in range(cell_starts[cell], cell_starts[cell + 1]):
                    label = labels[i]
                    if relocated:
                        upper[i], lower[i], runner_lower[i] = INFINITY, 0.0, 0.0
                    else:
                        upper[i] += shift[label]
                        other = cell_shift
                        if other < 0.0:
                            other = second_largest if label == largest_at else largest
                        lower[i] = _min2(_max2(lower[i] - other, 0.0), folded)
                        if runner[i] >= 0:
                            runner_lower[i] = _max2(
                                runner_lower[i] - shift[runner[i]], 0.0
                            )
                        else:
                            runner_lower[i] = lower[i]
                    limit = _max2(
                        half_gap[label],
                        _min2(runner_lower[i], _min2(lower[i], others)),
                    )
                    failing[n_failing], limits[n_failing] = i, limit
                    n_failing += upper[i] > limit
                n_still = 0
                for position in range(n_failing):
                    i = failing[position]
                    own_distance = squared_distance(
                        &points[i, 0], &centers[labels[i], 0], n_channels
                    )
                    upper[i] = sqrt(own_distance)
                    failing[n_still], own[n_still] = i, own_distance
                    n_still += upper[i] > limits[position]
                for position in range(n_still):
                    i, own_distance = failing[position], own[position]
                    label = labels[i]
                    rest = _min2(lower[i], others)
                    second = runner[i]
                    if second >= 0:
                        second_distance = squared_distance(
                            &points[i, 0], &centers[second, 0], n_channels
                        )
                        runner_lower[i] = sqrt(second_distance)
                        if upper[i] <= _max2(
                            half_gap[label], _min2(runner_lower[i], rest)
                        ):
                            continue
                        if _max2(upper[i], runner_lower[i]) < rest:
                            # Nearer than every other center, both: the nearest
                            # of the two wins (ties to the lower index, as in a
                            # search).
                            if second_distance < own_distance or (
                                second_distance == own_distance and second < label
                            ):
                                changed[write + n_changed] = i
                                changed_from[write + n_changed] = label
                                n_changed += 1
                                labels[i], runner[i] = <int32_t> second, <int32_t> label
                                upper[i], runner_lower[i] = runner_lower[i], upper[i]
                            continue
                    if n_candidates < 0:
                        n_candidates = _cell_list(
                            state, cell, &cell_lows[cell, 0], &cell_highs[cell, 0], everyone,
                            candidates, near, &others_bound,
                        )
                    best, best_distance = 0, INFINITY
                    second, second_distance, third_distance = -1, INFINITY, others_bound
                    for k in range(n_candidates):
                        j = candidates[k]
                        distance = squared_distance(
                            &points[i, 0], &centers[j, 0], n_channels
                        )
                        if distance < best_distance:
                            third_distance = _min2(third_distance, second_distance)
                            second, second_distance = best, best_distance
                            best, best_distance = j, distance
                        elif distance < second_distance:
                            third_distance = _min2(third_distance, second_distance)
                            second, second_distance = j, distance
                        else:
                            third_distance = _min2(third_distance, distance)
                    if best != label:
                        changed[write + n_changed] = i
                        changed_from[write + n_changed] = label
                        n_changed += 1
                        labels[i] = <int32_t> best
                    upper[i] = sqrt(best_distance)
                    lower[i] = sqrt(third_distance)
                    if second_distance < INFINITY:
                        runner[i] = <int32_t> second
                        runner_lower[i] = sqrt(second_distance)
                    else:
                        runner[i] = -1
                        runner_lower[i] = lower[i]
        finally:
            free(everyone)
            free(candidates)
            free(near)
            free(failing)
            free(limits)
            free(own)
    return n_changed


def lloyd_sums(
    const double[:, ::1] points,
    const double[::1] weights,
    const int32_t[::1] labels,
    double[:, ::1] sums,
    double[::1] totals,
    Py_ssize_t start,
    Py_ssize_t stop,
):
    """Add the weighted points ``start:stop`` to their centers' ``sums`` and
    ``totals``."""
    cdef Py_ssize_t i, j, channel, n_channels = points.shape[1]
    with nogil:
        for i in range(start, stop):
            j = labels[i]
            totals[j] += weights[i]
            for channel in range(n_channels):
                sums[j, channel] += weights[i] * points[i, channel]


def lloyd_shift_sums(
    const double[:, ::1] points,
    const double[::1] weights,
    const int32_t[::1] labels,
    double[:, ::1] sums,
    double[::1] totals,
    const int64_t[::1] changed,
    const int64_t[::1] changed_from,
    Py_ssize_t start,
    Py_ssize_t count,
):
    """Move the points ``changed[start:start + count]`` in ``sums`` and
    ``totals`` from the centers they left (``changed_from``) to their new ones:
    after the first iteration, a step costs what changes, not every point."""
    cdef Py_ssize_t position, i, old, new, channel, n_channels = points.shape[1]
    with nogil:
        for position in range(start, start + count):
            i, old = changed[position], changed_from[position]
            new = labels[i]
            totals[old] -= weights[i]
            totals[new] += weights[i]
            for channel in range(n_channels):
                sums[old, channel] -= weights[i] * points[i, channel]
                sums[new, channel] += weights[i] * points[i, channel]


def lloyd_move(
    const double[:, ::1] points,
    const double[::1] weights,
    double[:, ::1] centers,
    const double[:, ::1] sums,
    const double[::1] totals,
    double[::1] upper,
    double[::1] shift,
    Py_ssize_t n_fixed,
    double empty_below,
):
    """The update step: centers from ``n_fixed`` on move to their weighted means
    and an empty one onto the worst-fit point. Returns ``(total squared shift,
    whether a center was relocated)``; fills ``shift``.

    Sums kept by moving changed points can leave an empty center a total of
    rounding error rather than 0: a center is empty when its total weight is
    below ``empty_below``, half the smallest weight of a point.
    """
    cdef Py_ssize_t n_centers = centers.shape[0], n_channels = centers.shape[1]
    cdef Py_ssize_t j, i, channel, worst
    cdef double total_shift = 0.0, squared, worst_cost, cost, moved, diff
    cdef bint relocated = False
    with nogil:
        for j in range(n_fixed, n_centers):
            squared = 0.0
            if totals[j] < empty_below:
                worst, worst_cost = 0, -1.0
                for i in range(points.shape[0]):
                    cost = weights[i] * upper[i] * upper[i]
                    if cost > worst_cost:
                        worst, worst_cost = i, cost
                upper[worst] = 0.0
                relocated = True
                for channel in range(n_channels):
                    diff = points[worst, channel] - centers[j, channel]
                    squared += diff * diff
                    centers[j, channel] = points[worst, channel]
            else:
                for channel in range(n_channels):
                    moved = sums[j, channel] / totals[j]
                    diff = moved - centers[j, channel]
                    squared += diff * diff
                    centers[j, channel] = moved
            shift[j] = sqrt(squared)
            total_shift += squared
    return total_shift, relocated


def lloyd_gaps(LloydState state, bint relocated, int64_t[::1] by_first):
    """``half_gap``: half the distance from each center to its nearest other;
    adds the largest shift to the drift; sets the moves that the next
    assignment applies to the bounds, and the margin of the cell lists it
    makes (a few times the last largest shift: lists last a few iterations).

    ``by_first`` lists the centers by their first channel, as of the last
    call: sorted again (the centers move little), it lets each center look
    only at those nearer along that channel than the nearest one found.
    """
    cdef const double[:, ::1] centers = state.centers
    cdef double[::1] half_gap = state.half_gap
    cdef const double[::1] shift = state.shift
    cdef Py_ssize_t n_centers = centers.shape[0], n_channels = centers.shape[1]
    cdef Py_ssize_t j, position, before, side, step, other_position, other
    cdef Py_ssize_t largest_at = -1
    cdef double largest = 0.0, second_largest = 0.0, key, nearest_other, along
    with nogil:
        for j in range(n_centers):
            if shift[j] > largest:
                second_largest, largest, largest_at = largest, shift[j], j
            elif shift[j] > second_largest:
                second_largest = shift[j]
        # Insertion sort: about linear on a list that is nearly sorted already.
        for position in range(1, n_centers):
            j = by_first[position]
            key = centers[j, 0]
            before = position - 1
            while before >= 0 and centers[by_first[before], 0] > key:
                by_first[before + 1] = by_first[before]
                before -= 1
            by_first[before + 1] = j
        for position in range(n_centers):
            j = by_first[position]
            nearest_other = INFINITY
            # A center farther along the first channel than the nearest found is
            # farther in all: stop there, on either side.
            for side in range(2):
                step = 1 - 2 * side
                other_position = position + step
                while 0 <= other_position < n_centers:
                    other = by_first[other_position]
                    along = centers[other, 0] - centers[j, 0]
                    if along * along >= nearest_other:
                        break
                    nearest_other = _min2(
                        nearest_other,
                        squared_distance(&centers[j, 0], &centers[other, 0], n_channels),
                    )
                    other_position += step
            half_gap[j] = 0.5 * sqrt(nearest_other)
    state.drift += largest
    state.largest, state.largest_at = largest, largest_at
    state.second_largest, state.relocated = second_largest, relocated
    state.margin = _LIST_SHIFTS * largest
