"""Compiled loops of weighted k-means: k-means++ seeding and Lloyd's iterations
with Hamerly's bounds and a grid's pruning of candidate centers.

Serial loops that release the GIL, one per step of an iteration; ``_kmeans``
runs the iterations and hands the assignment step's ranges of cells, and the
sums' ranges of points, to threads. Arrays are made with ``np.empty`` and filled
by loops: each NumPy constructor a kernel calls (``zeros``, ``full``,
``arange``) is compiled too, on a first fit with an empty cache.
"""

import numpy as np
from numba import njit

from ._assign_kernels import all_indices, cell_candidates_into, squared_distance

# Cell lists are made with a margin of this many times the last largest shift.
_LIST_SHIFTS = 4.0


@njit(cache=True, nogil=True)
def cell_means(points, weights, cell_of_point, n_cells):
    """The weighted mean and weight of each cell's points, and the error the
    cells hide: the weighted mean squared distance of the points to their
    cell's mean. ``(means, cell_weights, hidden)``."""
    n_points, n_channels = points.shape
    means, cell_weights = np.empty((n_cells, n_channels)), np.empty(n_cells)
    for cell in range(n_cells):
        cell_weights[cell] = 0.0
        for channel in range(n_channels):
            means[cell, channel] = 0.0
    for i in range(n_points):
        cell = cell_of_point[i]
        cell_weights[cell] += weights[i]
        for channel in range(n_channels):
            means[cell, channel] += weights[i] * points[i, channel]
    for cell in range(n_cells):
        for channel in range(n_channels):
            means[cell, channel] /= cell_weights[cell]
    hidden, total = 0.0, 0.0
    for i in range(n_points):
        total += weights[i]
        hidden += weights[i] * squared_distance(points, i, means, cell_of_point[i])
    return means, cell_weights, hidden / total


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
def _draw_by_cell(weights, closest, cell_starts, cell_cumulative, target):
    """The first point whose cumulative potential exceeds ``target``, the
    potential added cell by cell: the cell first, from the cells' cumulative
    potential, then the point among the cell's."""
    cell = _draw(cell_cumulative, target)
    running = cell_cumulative[cell - 1] if cell > 0 else 0.0
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


@njit(cache=True, nogil=True)
def kmeans_plusplus(
    points, weights, cells, n_centers, uniforms, n_trials, given, least
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

    ``cells`` is ``(cell_starts, cell_lows, cell_size)`` of a grid whose cells
    hold the points in order (a level of ``_kmeans``): a cell farther from a
    candidate than its points are from their closest seed keeps its share of
    the potential, and is not looked at point by point. Plain loops rather
    than numpy calls: each of those would be compiled too.
    """
    cell_starts = cells[0]
    n_points, n_cells = points.shape[0], cell_starts.shape[0] - 1
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
    # Each cell's largest distance to the closest seed, and its potential.
    cell_largest = np.empty(n_cells)
    cell_potential = np.empty(n_cells)
    for cell in range(n_cells):
        cell_largest[cell] = cell_potential[cell] = 0.0
        for i in range(cell_starts[cell], cell_starts[cell + 1]):
            cell_potential[cell] += weights[i] * closest[i]
            cell_largest[cell] = max(cell_largest[cell], closest[i])
    draw = 1
    cell_cumulative = np.empty(n_cells)
    for center in range(start, n_centers):
        total = 0.0
        for cell in range(n_cells):
            total += cell_potential[cell]
            cell_cumulative[cell] = total
        if total < least:
            return chosen[:center], total
        best_index, best_potential = 0, np.inf
        # The trials, then the best of them kept: one call site, so that the
        # flag is not a constant (Numba compiles a copy for each constant).
        for trial in range(n_trials + 1):
            keep = trial == n_trials
            candidate = best_index
            if not keep:
                candidate = _draw_by_cell(
                    weights, closest, cell_starts, cell_cumulative,
                    uniforms[draw] * total,
                )  # fmt: skip
                draw += 1
            candidate_potential = _potential_with(
                points, weights, closest, cells, cell_largest, cell_potential,
                candidate, keep,
            )  # fmt: skip
            if not keep and candidate_potential < best_potential:
                best_index, best_potential = candidate, candidate_potential
        chosen[center] = best_index
    potential = 0.0
    for cell in range(n_cells):
        potential += cell_potential[cell]
    return chosen, potential


@njit(cache=True, nogil=True)
def _potential_with(
    points, weights, closest, cells, cell_largest, cell_potential, candidate, keep
):
    """The potential (weighted sum of squared distances to the closest seed)
    once point ``candidate`` is a seed too; with ``keep``, it becomes one:
    ``closest`` and the cells' largest distance and potential follow. A cell
    whose box is at least its largest distance away from the candidate keeps
    its potential as it is, added in the same order."""
    cell_starts, cell_lows, cell_size = cells
    n_channels = points.shape[1]
    total = 0.0
    for cell in range(cell_starts.shape[0] - 1):
        gap_squared = 0.0
        for channel in range(n_channels):
            c = points[candidate, channel]
            low = cell_lows[cell, channel]
            gap = max(low - c, c - (low + cell_size[channel]), 0.0)
            gap_squared += gap * gap
        # Points sit on the box's faces up to rounding: shrink the gap a little.
        if gap_squared * (1.0 - 1e-9) >= cell_largest[cell]:
            total += cell_potential[cell]
            continue
        cell_total, largest = 0.0, 0.0
        for i in range(cell_starts[cell], cell_starts[cell + 1]):
            distance = min(closest[i], squared_distance(points, i, points, candidate))
            cell_total += weights[i] * distance
            largest = max(largest, distance)
            if keep:
                closest[i] = distance
        if keep:
            cell_potential[cell], cell_largest[cell] = cell_total, largest
        total += cell_total
    return total


@njit(cache=True, nogil=True)
def _cell_list(state, cell, box_low, box_high, everyone, candidates, near, margin):
    """The centers that can be nearest to a point of the cell, into
    ``candidates``, and a lower bound on the squared distance from the cell to
    the others: ``(n_candidates, others_bound)``.

    A list made with a margin holds every center that can be nearest until the
    centers have moved half of it since (they moved at most ``drift``, the sum
    of each update's largest shift): late iterations, where centers move
    little, reuse it instead of measuring the cell against every center.
    ``lloyd_assign`` drops a list that has outlived its margin before it looks
    at the cell's points: a list still here holds.
    """
    centers = state[0]
    lists, n_listed, list_bounds, listed_at, list_margins, drift = state[8:14]
    n_candidates = n_listed[cell]
    if n_candidates >= 0:
        moved = drift[0] - listed_at[cell]
        for k in range(n_candidates):
            candidates[k] = lists[cell, k]
        reach = max(np.sqrt(list_bounds[cell]) - moved, 0.0)
        return n_candidates, reach * reach
    n_candidates, others_bound = cell_candidates_into(
        box_low, box_high, centers, everyone, candidates, near, margin
    )
    n_listed[cell] = -1
    if margin > 0.0 and n_candidates <= lists.shape[1]:
        for k in range(n_candidates):
            lists[cell, k] = candidates[k]
        n_listed[cell] = n_candidates
        list_bounds[cell] = others_bound
        listed_at[cell] = drift[0]
        list_margins[cell] = margin
    return n_candidates, others_bound


@njit(cache=True, nogil=True)
def lloyd_assign(
    state,
    moves,
    points,
    cell_starts,
    cell_lows,
    cell_size,
    first_cell,
    stop_cell,
):
    """The assignment step for the points of cells ``first_cell:stop_cell``,
    the points listed cell by cell (a level of ``_kmeans``).

    ``state`` is made by ``_kmeans._lloyd_state``: every point keeps an upper
    bound on the distance to its center, and lower bounds on the distance to
    its runner-up (the second nearest center when last measured) and to every
    other center (Hamerly's bounds, with the runner-up apart: it is the center
    a point near a border may go to, and its bound wears down by its own moves
    only, not by the largest). The bounds first follow the last update's center
    moves (``moves``: the largest shift, whose center, the second largest,
    whether a center was relocated, and the margin for lists made now); then
    only points whose bounds fail are looked at again: against their runner-up
    first, and only if that does not settle it, against the centers their cell
    lists. Points that change center are written, with the center they leave,
    from position ``cell_starts[first_cell]`` of ``changed`` and
    ``changed_from``; returns how many.

    Each cell goes in passes: the bounds of all its points, then the exact
    distance of those whose bounds fail, then the rest of the work for those
    that still fail. A fifth of the points may fail, scattered: a pass that
    writes down which ones, rather than a branch on each, is not held up by
    the processor guessing the branch wrong.
    """
    centers, labels, upper, lower, half_gap, shift, changed, changed_from = state[:8]
    lists, n_listed, list_bounds, listed_at, list_margins, drift = state[8:14]
    runner, runner_lower = state[14:]
    largest, largest_at, second_largest, relocated, margin = moves
    n_centers = centers.shape[0]
    everyone = all_indices(n_centers)
    candidates = np.empty(n_centers, dtype=np.int64)
    near = np.empty(n_centers)
    n_changed = 0
    write = cell_starts[first_cell]
    most = 0
    for cell in range(first_cell, stop_cell):
        most = max(most, cell_starts[cell + 1] - cell_starts[cell])
    # The points of a cell whose bounds fail, the bound on the distance to
    # the other centers, and their exact distance.
    failing = np.empty(most, dtype=np.int64)
    limits = np.empty(most)
    own = np.empty(most)
    for cell in range(first_cell, stop_cell):
        # In a cell with a list, a point's lower bound is on the distance to
        # the listed centers other than its own, which moved at most
        # ``cell_shift``; the others are at least ``others`` away. Without a
        # list, it is on every other center, and the largest shift applies.
        cell_shift, others, folded = -1.0, np.inf, np.inf
        if n_listed[cell] >= 0:
            cell_shift = 0.0
            for k in range(n_listed[cell]):
                cell_shift = max(cell_shift, shift[lists[cell, k]])
            moved = drift[0] - listed_at[cell]
            others = max(np.sqrt(list_bounds[cell]) - moved, 0.0)
            if moved > 0.5 * list_margins[cell]:
                # The list no longer holds every center that can be nearest:
                # dropped, the others' bound goes into the points' bounds.
                n_listed[cell] = -1
                folded, others = others, np.inf
        n_candidates, others_bound = -1, 0.0
        n_failing = 0
        for i in range(cell_starts[cell], cell_starts[cell + 1]):
            label = labels[i]
            if relocated:
                upper[i], lower[i], runner_lower[i] = np.inf, 0.0, 0.0
            else:
                upper[i] += shift[label]
                other = cell_shift
                if other < 0.0:
                    other = second_largest if label == largest_at else largest
                lower[i] = min(max(lower[i] - other, 0.0), folded)
                if runner[i] >= 0:
                    runner_lower[i] = max(runner_lower[i] - shift[runner[i]], 0.0)
                else:
                    runner_lower[i] = lower[i]
            limit = max(half_gap[label], min(runner_lower[i], min(lower[i], others)))
            failing[n_failing], limits[n_failing] = i, limit
            n_failing += np.int64(upper[i] > limit)
        n_still = 0
        for position in range(n_failing):
            i = failing[position]
            own_distance = squared_distance(points, i, centers, labels[i])
            upper[i] = np.sqrt(own_distance)
            failing[n_still], own[n_still] = i, own_distance
            n_still += np.int64(upper[i] > limits[position])
        for position in range(n_still):
            i, own_distance = failing[position], own[position]
            label = labels[i]
            rest = min(lower[i], others)
            second = runner[i]
            if second >= 0:
                second_distance = squared_distance(points, i, centers, second)
                runner_lower[i] = np.sqrt(second_distance)
                if upper[i] <= max(half_gap[label], min(runner_lower[i], rest)):
                    continue
                if max(upper[i], runner_lower[i]) < rest:
                    # Nearer than every other center, both: the nearest of the
                    # two wins (ties to the lower index, as in a search).
                    if second_distance < own_distance or (
                        second_distance == own_distance and second < label
                    ):
                        changed[write + n_changed] = i
                        changed_from[write + n_changed] = label
                        n_changed += 1
                        labels[i], runner[i] = second, label
                        upper[i], runner_lower[i] = runner_lower[i], upper[i]
                    continue
            if n_candidates < 0:
                n_candidates, others_bound = _cell_list(
                    state,
                    cell,
                    cell_lows[cell],
                    cell_lows[cell] + cell_size,
                    everyone,
                    candidates,
                    near,
                    margin,
                )
            best, best_distance = 0, np.inf
            second, second_distance, third_distance = -1, np.inf, others_bound
            for k in range(n_candidates):
                j = candidates[k]
                distance = squared_distance(points, i, centers, j)
                if distance < best_distance:
                    third_distance = min(third_distance, second_distance)
                    second, second_distance = best, best_distance
                    best, best_distance = j, distance
                elif distance < second_distance:
                    third_distance = min(third_distance, second_distance)
                    second, second_distance = j, distance
                else:
                    third_distance = min(third_distance, distance)
            if best != label:
                changed[write + n_changed] = i
                changed_from[write + n_changed] = label
                n_changed += 1
                labels[i] = best
            upper[i] = np.sqrt(best_distance)
            lower[i] = np.sqrt(third_distance)
            if second_distance < np.inf:
                runner[i] = second
                runner_lower[i] = np.sqrt(second_distance)
            else:
                runner[i] = -1
                runner_lower[i] = lower[i]
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
def lloyd_move(
    points, weights, centers, sums, totals, upper, shift, n_fixed, empty_below
):
    """The update step: centers from ``n_fixed`` on move to their weighted means
    and an empty one onto the worst-fit point. Returns ``(total squared shift,
    whether a center was relocated)``; fills ``shift``.

    Sums kept by moving changed points can leave an empty center a total of
    rounding error rather than 0: a center is empty when its total weight is
    below ``empty_below``, half the smallest weight of a point.
    """
    n_centers, n_channels = centers.shape
    relocated = False
    total_shift = 0.0
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
def lloyd_gaps(state, relocated, by_first):
    """``half_gap``: half the distance from each center to its nearest other;
    adds the largest shift to the drift; returns the moves that the next
    assignment applies to the bounds, and the margin of the cell lists it makes
    (a few times the last largest shift: lists last a few iterations).

    ``by_first`` lists the centers by their first channel, as of the last
    call: sorted again (the centers move little), it lets each center look
    only at those nearer along that channel than the nearest one found.
    """
    centers, half_gap, shift, drift = state[0], state[4], state[5], state[13]
    n_centers = centers.shape[0]
    largest, largest_at, second_largest = 0.0, -1, 0.0
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
        nearest_other = np.inf
        # A center farther along the first channel than the nearest found is
        # farther in all: stop there, on either side.
        for step in (1, -1):
            other_position = position + step
            while 0 <= other_position < n_centers:
                other = by_first[other_position]
                along = centers[other, 0] - centers[j, 0]
                if along * along >= nearest_other:
                    break
                nearest_other = min(
                    nearest_other, squared_distance(centers, j, centers, other)
                )
                other_position += step
        half_gap[j] = 0.5 * np.sqrt(nearest_other)
    drift[0] += largest
    return largest, largest_at, second_largest, relocated, _LIST_SHIFTS * largest
