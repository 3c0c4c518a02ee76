"""Compiled loops of weighted k-means: k-means++ seeding and Lloyd's iterations
with Hamerly's bounds and a grid's pruning of candidate centers.

Serial loops that release the GIL; ``_kmeans`` runs them, and hands the
assignment step's ranges of cells to threads.
"""

import numpy as np
from numba import njit

from ._assign_kernels import cell_candidates, squared_distance


@njit(cache=True, nogil=True)
def _draw(cumulative, target):
    """The first index whose cumulative weight exceeds ``target`` (numpy's
    ``searchsorted(..., side="right")``), at most the last index."""
    low, high = 0, cumulative.shape[0]
    while low < high:
        middle = (low + high) // 2
        if cumulative[middle] <= target:
            low = middle + 1
        else:
            high = middle
    return min(low, cumulative.shape[0] - 1)


@njit(cache=True, nogil=True)
def kmeans_plusplus(points, weights, n_centers, uniforms, n_trials, given):
    """Weighted greedy k-means++ seeding, as scikit-learn's ``kmeans_plusplus``.

    ``uniforms`` holds ``1 + (n_centers - 1) * n_trials`` draws from U[0, 1)
    (``1 + n_centers * n_trials`` with centers ``given``): the caller's random
    state decides everything. Returns the indices of the seeds. Centers
    ``given`` (shape ``(n_given, n_channels)``, reserved colors) count as chosen
    already: every seed is then drawn by its distance to them, the first too.
    Plain loops rather than numpy calls: each of those would be compiled too.
    """
    n_points = points.shape[0]
    chosen = np.empty(n_centers, dtype=np.int64)
    closest = np.empty(n_points)
    potential = np.empty(n_points)
    start = 0
    if given.shape[0] == 0:
        total = 0.0
        for i in range(n_points):
            total += weights[i]
            potential[i] = total
        chosen[0] = _draw(potential, uniforms[0] * total)
        for i in range(n_points):
            closest[i] = squared_distance(points, i, points, chosen[0])
        start = 1
    else:
        for i in range(n_points):
            closest[i] = np.inf
            for j in range(given.shape[0]):
                closest[i] = min(closest[i], squared_distance(points, i, given, j))
    candidate_closest = np.empty(n_points)
    best_closest = np.empty(n_points)
    draw = 1
    for center in range(start, n_centers):
        total = 0.0
        for i in range(n_points):
            total += weights[i] * closest[i]
            potential[i] = total
        best_index, best_potential = -1, np.inf
        for _ in range(n_trials):
            candidate = _draw(potential, uniforms[draw] * total)
            draw += 1
            candidate_total = 0.0
            for i in range(n_points):
                distance = min(
                    closest[i], squared_distance(points, i, points, candidate)
                )
                candidate_closest[i] = distance
                candidate_total += weights[i] * distance
            if candidate_total < best_potential:
                best_index, best_potential = candidate, candidate_total
                for i in range(n_points):
                    best_closest[i] = candidate_closest[i]
        chosen[center] = best_index
        for i in range(n_points):
            closest[i] = best_closest[i]
    return chosen


@njit(cache=True, nogil=True)
def lloyd_assign(
    state,
    moves,
    points,
    order,
    cell_starts,
    cell_lows,
    cell_size,
    first_cell,
    stop_cell,
):
    """The assignment step for the points of cells ``first_cell:stop_cell``.

    ``state`` is ``(centers, labels, upper, lower, half_gap, shift)``: every
    point keeps an upper bound on the distance to its center and a lower bound
    on the distance to any other center (Hamerly's bounds). The bounds first
    follow the last update's center moves (``moves``: the largest shift, whose
    center, the second largest, and whether a center was relocated); then only
    points whose bounds fail are looked at again, and only against the centers
    their cell allows. Points that change center are written, with the center
    they leave, from position ``cell_starts[first_cell]`` of ``changed`` and
    ``changed_from``; returns how many.
    """
    centers, labels, upper, lower, half_gap, shift, changed, changed_from = state
    largest, largest_at, second_largest, relocated = moves
    n_centers = centers.shape[0]
    everyone = np.arange(n_centers)
    candidates = np.empty(n_centers, dtype=np.int64)
    n_changed = 0
    write = cell_starts[first_cell]
    for cell in range(first_cell, stop_cell):
        n_candidates, others_bound = -1, 0.0
        for position in range(cell_starts[cell], cell_starts[cell + 1]):
            i = order[position]
            if relocated:
                upper[i], lower[i] = np.inf, 0.0
            else:
                upper[i] += shift[labels[i]]
                other = second_largest if labels[i] == largest_at else largest
                lower[i] = max(lower[i] - other, 0.0)
            limit = max(half_gap[labels[i]], lower[i])
            if upper[i] <= limit:
                continue
            upper[i] = np.sqrt(squared_distance(points, i, centers, labels[i]))
            if upper[i] <= limit:
                continue
            if n_candidates < 0:
                n_candidates, others_bound = cell_candidates(
                    cell_lows[cell],
                    cell_lows[cell] + cell_size,
                    centers,
                    everyone,
                    candidates,
                )
            best, best_distance, second_distance = 0, np.inf, others_bound
            for k in range(n_candidates):
                j = candidates[k]
                distance = squared_distance(points, i, centers, j)
                if distance < best_distance:
                    second_distance = min(second_distance, best_distance)
                    best, best_distance = j, distance
                else:
                    second_distance = min(second_distance, distance)
            if best != labels[i]:
                changed[write + n_changed] = i
                changed_from[write + n_changed] = labels[i]
                n_changed += 1
                labels[i] = best
            upper[i] = np.sqrt(best_distance)
            lower[i] = np.sqrt(second_distance)
    return n_changed


@njit(cache=True, nogil=True)
def lloyd_sums(points, weights, labels, sums, totals, start, stop):
    """Add the weighted points ``start:stop`` to their centers' ``sums`` and
    ``totals``."""
    for i in range(start, stop):
        j = labels[i]
        totals[j] += weights[i]
        for channel in range(points.shape[1]):
            sums[j, channel] += weights[i] * points[i, channel]


@njit(cache=True, nogil=True)
def lloyd_shift_sums(
    points, weights, labels, sums, totals, changed, changed_from, start, count
):
    """Move the points ``changed[start:start + count]`` in ``sums`` and
    ``totals`` from the centers they left (``changed_from``) to their new ones:
    after the first iteration, a step costs what changes, not every point."""
    for position in range(start, start + count):
        i, old, new = (
            changed[position],
            changed_from[position],
            labels[changed[position]],
        )
        totals[old] -= weights[i]
        totals[new] += weights[i]
        for channel in range(points.shape[1]):
            sums[old, channel] -= weights[i] * points[i, channel]
            sums[new, channel] += weights[i] * points[i, channel]


@njit(cache=True, nogil=True)
def lloyd_move(points, weights, centers, sums, totals, upper, shift, n_fixed):
    """The update step: centers from ``n_fixed`` on move to their weighted means
    and an empty one onto the worst-fit point. Returns ``(total squared shift,
    whether a center was relocated)``; fills ``shift``.

    Sums kept by moving changed points can leave an empty center a total of
    rounding error rather than 0: emptiness is judged against the weights.
    """
    n_centers, n_channels = centers.shape
    relocated = False
    smallest_weight = np.inf
    for i in range(weights.shape[0]):
        smallest_weight = min(smallest_weight, weights[i])
    total_shift = 0.0
    for j in range(n_fixed, n_centers):
        squared = 0.0
        if totals[j] < 0.5 * smallest_weight:
            worst, worst_cost = 0, -1.0
            for i in range(points.shape[0]):
                cost = weights[i] * upper[i] * upper[i]
                if cost > worst_cost:
                    worst, worst_cost = i, cost
            upper[worst] = 0.0
            relocated = True
            for channel in range(n_channels):
                squared += (points[worst, channel] - centers[j, channel]) ** 2
                centers[j, channel] = points[worst, channel]
        else:
            for channel in range(n_channels):
                moved = sums[j, channel] / totals[j]
                squared += (moved - centers[j, channel]) ** 2
                centers[j, channel] = moved
        shift[j] = np.sqrt(squared)
        total_shift += squared
    return total_shift, relocated


@njit(cache=True, nogil=True)
def lloyd_gaps(centers, half_gap, shift, relocated):
    """``half_gap``: half the distance from each center to its nearest other;
    returns the moves that the next assignment applies to the bounds."""
    n_centers = centers.shape[0]
    largest, largest_at, second_largest = 0.0, -1, 0.0
    for j in range(n_centers):
        if shift[j] > largest:
            second_largest, largest, largest_at = largest, shift[j], j
        elif shift[j] > second_largest:
            second_largest = shift[j]
    for j in range(n_centers):
        nearest_other = np.inf
        for other in range(n_centers):
            if other != j:
                nearest_other = min(
                    nearest_other, squared_distance(centers, j, centers, other)
                )
        half_gap[j] = 0.5 * np.sqrt(nearest_other)
    return largest, largest_at, second_largest, relocated


@njit(cache=True, nogil=True)
def full_sums(points, weights, labels, sums, totals, sum_block):
    """``sums`` and ``totals`` of every point, added block by block of
    ``sum_block`` points, as the threads of ``_kmeans._lloyd`` add them."""
    n_centers, n_channels = sums.shape
    block_sums = np.empty((n_centers, n_channels))
    block_totals = np.empty(n_centers)
    sums[:] = 0.0
    totals[:] = 0.0
    for start in range(0, points.shape[0], sum_block):
        block_sums[:] = 0.0
        block_totals[:] = 0.0
        stop = min(start + sum_block, points.shape[0])
        lloyd_sums(points, weights, labels, block_sums, block_totals, start, stop)
        for j in range(n_centers):
            totals[j] += block_totals[j]
            for channel in range(n_channels):
                sums[j, channel] += block_sums[j, channel]


@njit(cache=True, nogil=True)
def lloyd(state, points, weights, cells, sum_block, max_iter, tolerance, n_fixed):
    """Weighted Lloyd iterations on one thread, from ``state`` (as for
    ``lloyd_assign``, updated in place); returns the number of center updates.

    The same steps as ``_kmeans._lloyd`` hands to threads, in the same order,
    so that both give the same centers to the last bit. The first ``n_fixed``
    centers (reserved colors) take their points but never move. Stops when no
    label changes, when the squared center shifts sum to at most
    ``tolerance``, or after ``max_iter`` center updates.
    """
    centers, labels, upper, lower, half_gap, shift, changed, changed_from = state
    order, cell_starts, cell_lows, cell_size = cells
    n_centers, n_channels = centers.shape
    n_cells = cell_starts.shape[0] - 1
    sums = np.empty((n_centers, n_channels))
    totals = np.empty(n_centers)
    moves = (0.0, -1, 0.0, False)
    summed = False
    n_iter = 0
    for iteration in range(max_iter + 1):
        n_changed = lloyd_assign(
            state, moves, points, order, cell_starts, cell_lows, cell_size, 0, n_cells
        )
        if (iteration > 0 and n_changed == 0) or iteration == max_iter:
            break
        if summed:
            lloyd_shift_sums(
                points,
                weights,
                labels,
                sums,
                totals,
                changed,
                changed_from,
                0,
                n_changed,
            )
        else:
            full_sums(points, weights, labels, sums, totals, sum_block)
        total_shift, relocated = lloyd_move(
            points, weights, centers, sums, totals, upper, shift, n_fixed
        )
        # A relocated center's sums are not those of its points: add them anew.
        summed = not relocated
        n_iter = iteration + 1
        if total_shift <= tolerance:
            break
        moves = lloyd_gaps(centers, half_gap, shift, relocated)
    return n_iter
