"""Compiled loops: exact nearest centers, weighted Lloyd steps and k-means++ seeding.

Numba compiles these on first use and caches the machine code next to this file.
Distances are always exact sums of squared differences, compared with ``<`` over
centers in increasing index order, so ties go to the lowest index and every
kernel agrees with a brute-force search.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True)
def _squared_distance(points, i, centers, j):
    total = 0.0
    for channel in range(points.shape[1]):
        diff = points[i, channel] - centers[j, channel]
        total += diff * diff
    return total


@njit(cache=True, parallel=True, nogil=True)
def nearest_brute(points, centers, labels, distances):
    """Nearest center of every point by trying every center."""
    for i in prange(points.shape[0]):
        best, best_distance = 0, np.inf
        for j in range(centers.shape[0]):
            distance = _squared_distance(points, i, centers, j)
            if distance < best_distance:
                best, best_distance = j, distance
        labels[i] = best
        distances[i] = best_distance


@njit(cache=True, parallel=True, nogil=True)
def nearest_in_cells(
    points, order, cell_starts, cell_lows, cell_size, centers, labels, distances
):
    """Nearest center of every point, trying in each grid cell only those that can win.

    ``order`` lists the points cell by cell; the points of cell ``c`` are
    ``order[cell_starts[c]:cell_starts[c + 1]]`` and lie in the box from
    ``cell_lows[c]`` to ``cell_lows[c] + cell_size``. A center can be nearest to a
    point of the box only if its smallest distance to the box is at most the
    smallest, over centers, of the largest distance to the box.
    """
    n_cells = cell_starts.shape[0] - 1
    n_centers = centers.shape[0]
    everyone = np.arange(n_centers)
    for cell in prange(n_cells):
        start, stop = cell_starts[cell], cell_starts[cell + 1]
        candidates = np.empty(n_centers, dtype=np.int64)
        n_candidates, _ = _cell_candidates(
            cell_lows[cell], cell_lows[cell] + cell_size, centers, everyone, candidates
        )
        for position in range(start, stop):
            i = order[position]
            best, best_distance = 0, np.inf
            for k in range(n_candidates):
                j = candidates[k]
                distance = _squared_distance(points, i, centers, j)
                if distance < best_distance:
                    best, best_distance = j, distance
            labels[i] = best
            distances[i] = best_distance


@njit(cache=True, nogil=True)
def kmeans_plusplus(points, weights, n_centers, uniforms, n_trials, given):
    """Weighted greedy k-means++ seeding, as scikit-learn's ``kmeans_plusplus``.

    ``uniforms`` holds ``1 + (n_centers - 1) * n_trials`` draws from U[0, 1)
    (``1 + n_centers * n_trials`` with centers ``given``): the caller's random
    state decides everything. Returns the indices of the seeds. Centers
    ``given`` (shape ``(n_given, n_channels)``, reserved colors) count as chosen
    already: every seed is then drawn by its distance to them, the first too.
    """
    n_points = points.shape[0]
    chosen = np.empty(n_centers, dtype=np.int64)
    closest = np.empty(n_points)
    start = 0
    if given.shape[0] == 0:
        cumulative = np.cumsum(weights)
        first = np.searchsorted(cumulative, uniforms[0] * cumulative[-1], side="right")
        chosen[0] = min(first, n_points - 1)
        for i in range(n_points):
            closest[i] = _squared_distance(points, i, points, chosen[0])
        start = 1
    else:
        for i in range(n_points):
            closest[i] = np.inf
            for j in range(given.shape[0]):
                closest[i] = min(closest[i], _squared_distance(points, i, given, j))
    candidate_closest = np.empty(n_points)
    best_closest = np.empty(n_points)
    draw = 1
    for center in range(start, n_centers):
        potential = np.cumsum(weights * closest)
        best_index, best_potential = -1, np.inf
        for _ in range(n_trials):
            target = uniforms[draw] * potential[-1]
            draw += 1
            candidate = min(
                np.searchsorted(potential, target, side="right"), n_points - 1
            )
            total = 0.0
            for i in range(n_points):
                distance = min(
                    closest[i], _squared_distance(points, i, points, candidate)
                )
                candidate_closest[i] = distance
                total += weights[i] * distance
            if total < best_potential:
                best_index, best_potential = candidate, total
                best_closest[:] = candidate_closest
        chosen[center] = best_index
        closest[:] = best_closest
    return chosen


@njit(cache=True, nogil=True)
def _cell_candidates(box_low, box_high, centers, among, candidates):
    """Those of the centers ``among`` that can be nearest to a point of the box, and
    a lower bound on the squared distance from the box to the others.

    A center can be nearest to a point of the box only if its smallest distance to
    the box is at most the smallest, over centers, of the largest distance to the
    box. ``among`` must hold every center that can be nearest, which all centers
    do. Fills ``candidates`` and returns ``(n_candidates, others_bound)``.
    """
    return _cell_candidates_into(
        box_low, box_high, centers, among, candidates, np.empty(among.shape[0])
    )


@njit(cache=True, nogil=True)
def _cell_candidates_into(box_low, box_high, centers, among, candidates, near):
    """``_cell_candidates`` with ``near``, as long as ``among``, for scratch."""
    n_among = among.shape[0]
    n_channels = centers.shape[1]
    bound = np.inf
    for k in range(n_among):
        j = among[k]
        closest, farthest = 0.0, 0.0
        for channel in range(n_channels):
            c = centers[j, channel]
            gap = max(box_low[channel] - c, c - box_high[channel], 0.0)
            closest += gap * gap
            reach = max(abs(c - box_low[channel]), abs(c - box_high[channel]))
            farthest += reach * reach
        near[k] = closest
        bound = min(bound, farthest)
    # Points sit on the box's faces up to rounding: widen the bound a little.
    bound = bound * (1.0 + 1e-9) + 1e-300
    n_candidates = 0
    others_bound = np.inf
    for k in range(n_among):
        if near[k] <= bound:
            candidates[n_candidates] = among[k]
            n_candidates += 1
        else:
            others_bound = min(others_bound, near[k])
    return n_candidates, others_bound


@njit(cache=True, parallel=True, nogil=True)
def lloyd(
    points,
    weights,
    initial_centers,
    order,
    cell_starts,
    cell_lows,
    cell_size,
    max_iter,
    tolerance,
    n_fixed,
):
    """Weighted Lloyd iterations with Hamerly's bounds; returns ``(centers, n_iter)``.

    The first ``n_fixed`` centers (reserved colors) take their points but never
    move.

    Every point keeps an upper bound on the distance to its center and a lower
    bound on the distance to any other center; a point is looked at again only
    when its bounds no longer prove its label, and then only against the centers
    its grid cell allows. The iterates are those of plain Lloyd.

    Stops when no label changes, when the squared center shifts sum to at most
    ``tolerance``, or after ``max_iter`` center updates.
    """
    n_points, n_channels = points.shape
    n_centers = initial_centers.shape[0]
    n_cells = cell_starts.shape[0] - 1
    centers = initial_centers.copy()
    labels = np.zeros(n_points, dtype=np.int64)
    upper = np.full(n_points, np.inf)
    lower = np.zeros(n_points)
    half_gap = np.zeros(n_centers)  # half the distance to the nearest other center
    shift = np.zeros(n_centers)
    everyone = np.arange(n_centers)
    n_iter = 0
    for iteration in range(max_iter + 1):
        # Assignment: only points whose bounds fail are looked at again.
        changed = 0
        for cell in prange(n_cells):
            candidates = np.empty(n_centers, dtype=np.int64)
            n_candidates, others_bound = -1, 0.0
            for position in range(cell_starts[cell], cell_starts[cell + 1]):
                i = order[position]
                limit = max(half_gap[labels[i]], lower[i])
                if upper[i] <= limit:
                    continue
                upper[i] = np.sqrt(_squared_distance(points, i, centers, labels[i]))
                if upper[i] <= limit:
                    continue
                if n_candidates < 0:
                    n_candidates, others_bound = _cell_candidates(
                        cell_lows[cell],
                        cell_lows[cell] + cell_size,
                        centers,
                        everyone,
                        candidates,
                    )
                best, best_distance, second_distance = 0, np.inf, others_bound
                for k in range(n_candidates):
                    j = candidates[k]
                    distance = _squared_distance(points, i, centers, j)
                    if distance < best_distance:
                        second_distance = min(second_distance, best_distance)
                        best, best_distance = j, distance
                    else:
                        second_distance = min(second_distance, distance)
                if best != labels[i]:
                    changed += 1
                    labels[i] = best
                upper[i] = np.sqrt(best_distance)
                lower[i] = np.sqrt(second_distance)
        if iteration > 0 and changed == 0:
            break
        if iteration == max_iter:
            break

        # Update: weighted means; an empty center moves onto the worst-fit point.
        sums = np.zeros((n_centers, n_channels))
        totals = np.zeros(n_centers)
        for i in range(n_points):
            j = labels[i]
            totals[j] += weights[i]
            for channel in range(n_channels):
                sums[j, channel] += weights[i] * points[i, channel]
        relocated = False
        for j in range(n_fixed, n_centers):
            if totals[j] == 0.0:
                worst, worst_cost = 0, -1.0
                for i in range(n_points):
                    cost = weights[i] * upper[i] * upper[i]
                    if cost > worst_cost:
                        worst, worst_cost = i, cost
                for channel in range(n_channels):
                    sums[j, channel] = points[worst, channel]
                totals[j] = 1.0
                upper[worst] = 0.0
                relocated = True
        total_shift = 0.0
        for j in range(n_fixed, n_centers):
            squared = 0.0
            for channel in range(n_channels):
                moved = sums[j, channel] / totals[j]
                squared += (moved - centers[j, channel]) ** 2
                centers[j, channel] = moved
            shift[j] = np.sqrt(squared)
            total_shift += squared
        n_iter = iteration + 1
        if total_shift <= tolerance:
            break

        # Bounds follow the centers' moves.
        largest, largest_at, second_largest = 0.0, -1, 0.0
        for j in range(n_centers):
            if shift[j] > largest:
                second_largest, largest, largest_at = largest, shift[j], j
            elif shift[j] > second_largest:
                second_largest = shift[j]
        for i in prange(n_points):
            if relocated:
                upper[i], lower[i] = np.inf, 0.0
            else:
                upper[i] += shift[labels[i]]
                other = second_largest if labels[i] == largest_at else largest
                lower[i] = max(lower[i] - other, 0.0)
        for j in prange(n_centers):
            nearest_other = np.inf
            for other in range(n_centers):
                if other != j:
                    nearest_other = min(
                        nearest_other, _squared_distance(centers, j, centers, other)
                    )
            half_gap[j] = 0.5 * np.sqrt(nearest_other)
    return centers, n_iter


@njit(cache=True, nogil=True)
def grid_cells(points, cells_per_axis):
    """Sort ``points`` into the cells of a uniform grid over their bounding box.

    Returns ``(order, cell_starts, cell_lows, cell_size, cell_of_point)``: the
    points cell by cell, where each occupied cell's points start in ``order``,
    each occupied cell's lowest corner, the cells' size, and each point's cell.
    Occupied cells are numbered in the order of their grid position.
    """
    n_points, n_channels = points.shape
    low = points[0].copy()
    high = points[0].copy()
    for i in range(n_points):
        for channel in range(n_channels):
            low[channel] = min(low[channel], points[i, channel])
            high[channel] = max(high[channel], points[i, channel])
    cell_size = (high - low) / cells_per_axis
    for channel in range(n_channels):
        if cell_size[channel] == 0.0:
            cell_size[channel] = 1.0
    n_positions = 1
    for _ in range(n_channels):
        n_positions *= cells_per_axis
    position_of_point = np.empty(n_points, dtype=np.int64)
    counts = np.zeros(n_positions, dtype=np.int64)
    for i in range(n_points):
        position = 0
        for channel in range(n_channels):
            index = int((points[i, channel] - low[channel]) / cell_size[channel])
            position = position * cells_per_axis + min(index, cells_per_axis - 1)
        position_of_point[i] = position
        counts[position] += 1
    cell_of_position = np.full(n_positions, -1, dtype=np.int64)
    n_cells = 0
    for position in range(n_positions):
        if counts[position] > 0:
            cell_of_position[position] = n_cells
            n_cells += 1
    cell_starts = np.zeros(n_cells + 1, dtype=np.int64)
    cell_lows = np.empty((n_cells, n_channels))
    for position in range(n_positions):
        cell = cell_of_position[position]
        if cell >= 0:
            cell_starts[cell + 1] = cell_starts[cell] + counts[position]
            rest = position
            for channel in range(n_channels - 1, -1, -1):
                index = rest % cells_per_axis
                rest //= cells_per_axis
                cell_lows[cell, channel] = low[channel] + index * cell_size[channel]
    order = np.empty(n_points, dtype=np.int64)
    cell_of_point = np.empty(n_points, dtype=np.int64)
    filled = cell_starts[:-1].copy()
    for i in range(n_points):
        cell = cell_of_position[position_of_point[i]]
        cell_of_point[i] = cell
        order[filled[cell]] = i
        filled[cell] += 1
    return order, cell_starts, cell_lows, cell_size, cell_of_point


# The uint8 cube as a grid (``list_grid``) from 0 with cells of 8 levels per channel.
CUBE_SHIFT = 3
CUBE_CELLS_PER_AXIS = 256 >> CUBE_SHIFT


@njit(cache=True, nogil=True)
def _cube_cell(pixels, i):
    cell = 0
    for channel in range(pixels.shape[1]):
        cell = cell * CUBE_CELLS_PER_AXIS + (pixels[i, channel] >> CUBE_SHIFT)
    return cell


@njit(cache=True, parallel=True, nogil=True)
def nearest_in_cube(pixels, centers, listed, starts, labels):
    """Nearest center of uint8 pixels, from the lists of the uint8 cube's grid."""
    n_channels = pixels.shape[1]
    for i in prange(pixels.shape[0]):
        cell = _cube_cell(pixels, i)
        first, stop = starts[cell], starts[cell + 1]
        best = listed[first]
        if stop - first > 1:
            best_distance = np.inf
            for k in range(first, stop):
                j = listed[k]
                distance = 0.0
                for channel in range(n_channels):
                    diff = pixels[i, channel] - centers[j, channel]
                    distance += diff * diff
                if distance < best_distance:
                    best, best_distance = j, distance
        labels[i] = best


@njit(cache=True, nogil=True)
def _delta_e_2000(L1, a1, b1, L2, a2, b2):
    """CIEDE2000 of one pair, line for line as ``skimage.color.deltaE_ciede2000``
    (kL = kC = kH = 1)."""
    two_pi = 2 * np.pi
    c_bar = 0.5 * (np.hypot(a1, b1) + np.hypot(a2, b2))
    c7 = c_bar**7
    scale = 1 + 0.5 * (1 - np.sqrt(c7 / (c7 + 25.0**7)))
    C1, h1 = np.hypot(a1 * scale, b1), np.arctan2(b1, a1 * scale)
    C2, h2 = np.hypot(a2 * scale, b2), np.arctan2(b2, a2 * scale)
    h1 += two_pi if h1 < 0.0 else 0.0
    h2 += two_pi if h2 < 0.0 else 0.0

    L_bar = 0.5 * (L1 + L2)
    tmp = (L_bar - 50) ** 2
    L_term = (L2 - L1) / (1 + 0.015 * tmp / np.sqrt(20 + tmp))

    C_bar = 0.5 * (C1 + C2)
    C_term = (C2 - C1) / (1 + 0.045 * C_bar)

    h_diff = h2 - h1
    h_sum = h1 + h2
    CC = C1 * C2
    dH = h_diff
    if h_diff > np.pi:
        dH -= two_pi
    if h_diff < -np.pi:
        dH += two_pi
    if CC == 0.0:
        dH = 0.0
    dH_term = 2 * np.sqrt(CC) * np.sin(dH / 2)

    H_bar = h_sum
    if CC != 0.0 and abs(h_diff) > np.pi:
        H_bar += two_pi if h_sum < two_pi else -two_pi
    if CC == 0.0:
        H_bar *= 2
    H_bar *= 0.5
    T = (
        1
        - 0.17 * np.cos(H_bar - np.deg2rad(30))
        + 0.24 * np.cos(2 * H_bar)
        + 0.32 * np.cos(3 * H_bar + np.deg2rad(6))
        - 0.20 * np.cos(4 * H_bar - np.deg2rad(63))
    )
    H_term = dH_term / (1 + 0.015 * C_bar * T)

    c7 = C_bar**7
    Rc = 2 * np.sqrt(c7 / (c7 + 25.0**7))
    dtheta = np.deg2rad(30) * np.exp(-(((np.rad2deg(H_bar) - 275) / 25) ** 2))
    R_term = -np.sin(2 * dtheta) * Rc * C_term * H_term
    return np.sqrt(max(L_term**2 + C_term**2 + H_term**2 + R_term, 0.0))


@njit(cache=True, parallel=True, nogil=True)
def mean_delta_e_2000(lab, palette_lab, labels, weights):
    """Weighted mean CIEDE2000 between colors and their palette colors."""
    total = 0.0
    for i in prange(lab.shape[0]):
        j = labels[i]
        total += weights[i] * _delta_e_2000(
            lab[i, 0],
            lab[i, 1],
            lab[i, 2],
            palette_lab[j, 0],
            palette_lab[j, 1],
            palette_lab[j, 2],
        )
    return total / weights.sum()


@njit(cache=True, nogil=True)
def _drop_dominated(box_low, box_high, centers, candidates, n_candidates):
    """Drop from ``candidates[:n_candidates]`` (in place, order kept) centers that
    another candidate beats at every point of the box; returns how many stay.

    Center d beats c over the whole box when ``|p - d|^2 - |p - c|^2``, linear in
    ``p``, is negative at the box's corner where it is largest. The bounding-box
    test of ``_cell_candidates`` keeps about four times as many centers, and every
    dithered pixel tries each of them.
    """
    n_channels = centers.shape[1]
    n_kept = 0
    for a in range(n_candidates):
        c = candidates[a]
        beaten = False
        # Those kept so far and those still to look at (not those dropped).
        for b in range(n_candidates):
            if b >= n_kept and b <= a:
                continue
            d = candidates[b]
            largest, scale = 0.0, 0.0
            for channel in range(n_channels):
                slope = 2.0 * (centers[c, channel] - centers[d, channel])
                # Widened, as points reach a cell from its faces up to rounding.
                pad = 1e-6 * (box_high[channel] - box_low[channel]) + 1e-12
                if slope > 0.0:
                    corner = box_high[channel] + pad
                else:
                    corner = box_low[channel] - pad
                square_d, square_c = centers[d, channel] ** 2, centers[c, channel] ** 2
                largest += slope * corner + square_d - square_c
                scale += abs(slope * corner) + square_d + square_c
            # Dropped only by a margin that rounding of distances cannot undo.
            if largest < -1e-9 * scale:
                beaten = True
                break
        if not beaten:
            candidates[n_kept] = c
            n_kept += 1
    return n_kept


# Palette candidates per cell of a uniform grid over the working space (dithering)
# or the uint8 cube (transform), listed among those of blocks of 4 cells per axis.
GRID_BLOCK = 4


@njit(cache=True, parallel=True, nogil=True)
def list_grid(centers, low, cell_size, cells_per_axis):
    """For every cell of a uniform grid from ``low``, the centers that can be
    nearest to one of its points: ``(listed, starts)``, the lists end to end, cell
    ``c``'s from ``starts[c]`` to ``starts[c + 1]``."""
    n_centers, n_channels = centers.shape
    # Blocks tile the grid exactly: one block when GRID_BLOCK does not divide it.
    blocks_per_axis = max(cells_per_axis // GRID_BLOCK, 1)
    if cells_per_axis % GRID_BLOCK != 0:
        blocks_per_axis = 1
    block_cells = cells_per_axis // blocks_per_axis
    n_blocks, n_cells = 1, 1
    for _ in range(n_channels):
        n_blocks *= blocks_per_axis
        n_cells *= cells_per_axis
    block_lists = np.empty((n_blocks, n_centers), dtype=np.int64)
    n_block_listed = np.empty(n_blocks, dtype=np.int64)
    everyone = np.arange(n_centers)
    for block in prange(n_blocks):
        box_low = np.empty(n_channels)
        rest = np.int64(block)
        for channel in range(n_channels - 1, -1, -1):
            box_low[channel] = (
                low[channel]
                + (rest % blocks_per_axis) * block_cells * cell_size[channel]
            )
            rest //= blocks_per_axis
        box_high = box_low + block_cells * cell_size
        n_block_listed[block], _ = _cell_candidates(
            box_low, box_high, centers, everyone, block_lists[block]
        )
        n_block_listed[block] = _drop_dominated(
            box_low, box_high, centers, block_lists[block], n_block_listed[block]
        )
    width = n_block_listed.max()
    cell_lists = np.empty((n_cells, width), dtype=np.int16)
    n_listed = np.empty(n_cells, dtype=np.int64)
    cells_per_block = 1
    for _ in range(n_channels):
        cells_per_block *= block_cells
    # Block by block, so that scratch is made once per block, not per cell.
    for block in prange(n_blocks):
        among = block_lists[block, : n_block_listed[block]]
        candidates = np.empty(among.shape[0], dtype=np.int64)
        near = np.empty(among.shape[0])
        box_low, box_high = np.empty(n_channels), np.empty(n_channels)
        for inner in range(cells_per_block):
            block_rest, inner_rest = np.int64(block), np.int64(inner)
            cell, scale = 0, 1
            for channel in range(n_channels - 1, -1, -1):
                index = (block_rest % blocks_per_axis) * block_cells + (
                    inner_rest % block_cells
                )
                block_rest //= blocks_per_axis
                inner_rest //= block_cells
                box_low[channel] = low[channel] + index * cell_size[channel]
                box_high[channel] = box_low[channel] + cell_size[channel]
                cell += index * scale
                scale *= cells_per_axis
            n_candidates, _ = _cell_candidates_into(
                box_low, box_high, centers, among, candidates, near
            )
            n_candidates = _drop_dominated(
                box_low, box_high, centers, candidates, n_candidates
            )
            cell_lists[cell, :n_candidates] = candidates[:n_candidates]
            n_listed[cell] = n_candidates
    # Stored end to end, the lists stay in cache where padded rows would not.
    starts = np.zeros(n_cells + 1, dtype=np.int64)
    for cell in range(n_cells):
        starts[cell + 1] = starts[cell] + n_listed[cell]
    listed = np.empty(starts[n_cells], dtype=np.int16)
    for cell in prange(n_cells):
        listed[starts[cell] : starts[cell + 1]] = cell_lists[cell, : n_listed[cell]]
    return listed, starts


@njit(cache=True, nogil=True, inline="always")
def _nearest_on_grid(
    value, centers, low, high, inverse_size, cells_per_axis, listed, starts
):
    """Nearest center of ``value`` (clamped into the grid's box, in place).

    Multiplying by the cells' inverse size rather than dividing by their size
    shortens the chain each dithered pixel waits on; a point that rounds into a
    neighboring cell lies on that cell's box, which the lists allow for.
    """
    n_channels = value.shape[0]
    cell = 0
    for channel in range(n_channels):
        value[channel] = min(max(value[channel], low[channel]), high[channel])
        index = int((value[channel] - low[channel]) * inverse_size[channel])
        cell = cell * cells_per_axis + min(index, cells_per_axis - 1)
    first, stop = starts[cell], starts[cell + 1]
    best = listed[first]
    if stop - first > 1:
        best_distance = np.inf
        for k in range(first, stop):
            j = listed[k]
            distance = 0.0
            for channel in range(n_channels):
                diff = value[channel] - centers[j, channel]
                distance += diff * diff
            if distance < best_distance:
                best, best_distance = j, distance
    return best


@njit(cache=True, nogil=True)
def _quarter_gaps(centers):
    """A quarter of the squared distance from each center to its nearest other.

    A color closer to center j than half the distance from j to any other center
    has j as its only nearest center: no search needed.
    """
    n_centers = centers.shape[0]
    quarter_gap = np.full(n_centers, np.inf)
    for j in range(n_centers):
        for other in range(n_centers):
            if other != j:
                quarter_gap[j] = min(
                    quarter_gap[j], 0.25 * _squared_distance(centers, j, centers, other)
                )
    return quarter_gap


@njit(cache=True, nogil=True, inline="always")
def _shares(strength):
    """The shares of a pixel's error that go ahead, behind-below, below and
    past-below, scaled by ``strength``."""
    return (
        strength * (7 / 16),
        strength * (3 / 16),
        strength * (5 / 16),
        strength * (1 / 16),
    )


@njit(cache=True, nogil=True)
def floyd_steinberg(
    image,
    centers,
    low,
    high,
    inverse_size,
    cells_per_axis,
    listed,
    starts,
    strength,
    labels,
):
    """Floyd-Steinberg error diffusion over one image, serpentine scan.

    ``image`` holds working-space colors, shape ``(H, W, C)``; ``labels`` receives
    the palette index of every pixel. A diffused color is clamped into the box of
    the grid (the image's and the palette's colors) before its nearest palette
    color is found; ``strength`` scales the error passed on.
    """
    height, width, n_channels = image.shape
    quarter_gap = _quarter_gaps(centers)
    ahead_share, behind_share, under_share, past_share = _shares(strength)
    # Error rows with one pixel of margin on each side.
    current = np.zeros((width + 2, n_channels))
    below = np.zeros((width + 2, n_channels))
    value = np.empty(n_channels)
    j = 0
    for y in range(height):
        forward = y % 2 == 0
        step = 1 if forward else -1
        for k in range(width):
            x = k if forward else width - 1 - k
            previous = j
            distance = 0.0
            for channel in range(n_channels):
                v = image[y, x, channel] + current[x + 1, channel]
                v = min(max(v, low[channel]), high[channel])
                value[channel] = v
                diff = v - centers[previous, channel]
                distance += diff * diff
            if distance >= quarter_gap[previous]:
                j = _nearest_on_grid(
                    value,
                    centers,
                    low,
                    high,
                    inverse_size,
                    cells_per_axis,
                    listed,
                    starts,
                )
            labels[y, x] = j
            for channel in range(n_channels):
                error = value[channel] - centers[j, channel]
                current[x + 1 + step, channel] += error * ahead_share
                below[x + 1 - step, channel] += error * behind_share
                below[x + 1, channel] += error * under_share
                below[x + 1 + step, channel] += error * past_share
        current, below = below, current
        below[:] = 0.0


@njit(cache=True, parallel=True, nogil=True)
def ordered_on_grid(
    images,
    offsets,
    centers,
    low,
    high,
    inverse_size,
    cells_per_axis,
    listed,
    starts,
    labels,
):
    """Nearest center of every pixel of ``images`` ``(N, H, W, C)`` plus the
    ``offsets`` pattern tiled over the image (clamped into the grid's box)."""
    n_images, height, width, n_channels = images.shape
    period_y, period_x = offsets.shape
    for row in prange(n_images * height):
        image, y = np.int64(row) // height, np.int64(row) % height
        value = np.empty(n_channels)
        for x in range(width):
            shift = offsets[y % period_y, x % period_x]
            for channel in range(n_channels):
                value[channel] = images[image, y, x, channel] + shift
            labels[image, y, x] = _nearest_on_grid(
                value,
                centers,
                low,
                high,
                inverse_size,
                cells_per_axis,
                listed,
                starts,
            )


@njit(cache=True, nogil=True, inline="always")
def _nearest_on_grid_3(
    r, g, b, centers, low, inverse_size, cells_per_axis, listed, starts
):
    """``_nearest_on_grid`` for 3 channels already clamped into the box."""
    top = cells_per_axis - 1
    cell = min(int((r - low[0]) * inverse_size[0]), top)
    cell = cell * cells_per_axis + min(int((g - low[1]) * inverse_size[1]), top)
    cell = cell * cells_per_axis + min(int((b - low[2]) * inverse_size[2]), top)
    first, stop = starts[cell], starts[cell + 1]
    best = listed[first]
    if stop - first > 1:
        best_distance = np.inf
        for k in range(first, stop):
            j = listed[k]
            dr, dg, db = r - centers[j, 0], g - centers[j, 1], b - centers[j, 2]
            distance = dr * dr + dg * dg + db * db
            # A branch, not selects: a predicted branch lets the scan run ahead.
            if distance < best_distance:
                best, best_distance = j, distance
    return best


@njit(cache=True, nogil=True)
def floyd_steinberg_3(
    image,
    centers,
    low,
    high,
    inverse_size,
    cells_per_axis,
    listed,
    starts,
    strength,
    labels,
):
    """``floyd_steinberg`` for 3 channels, written out channel by channel.

    Numba cannot unroll loops over a channel count it does not know: written out,
    the scan runs several times faster, and 3 channels are the common case.
    """
    height, width, _ = image.shape
    quarter_gap = _quarter_gaps(centers)
    current = np.zeros((width + 2, 3))
    below = np.zeros((width + 2, 3))
    ahead_share, behind_share, under_share, past_share = _shares(strength)
    j = 0
    for y in range(height):
        forward = y % 2 == 0
        step = 1 if forward else -1
        # The error carried to the next pixel, and the errors of the last two
        # pixels, stay in registers: each pixel writes the cell of the row below
        # that no later pixel adds to, with the additions in the usual order.
        ahead_r = ahead_g = ahead_b = 0.0
        last_r = last_g = last_b = 0.0
        before_r = before_g = before_b = 0.0
        for k in range(width):
            x = k if forward else width - 1 - k
            r = image[y, x, 0] + (current[x + 1, 0] + ahead_r)
            g = image[y, x, 1] + (current[x + 1, 1] + ahead_g)
            b = image[y, x, 2] + (current[x + 1, 2] + ahead_b)
            r = min(max(r, low[0]), high[0])
            g = min(max(g, low[1]), high[1])
            b = min(max(b, low[2]), high[2])
            dr, dg, db = r - centers[j, 0], g - centers[j, 1], b - centers[j, 2]
            if dr * dr + dg * dg + db * db >= quarter_gap[j]:
                j = _nearest_on_grid_3(
                    r,
                    g,
                    b,
                    centers,
                    low,
                    inverse_size,
                    cells_per_axis,
                    listed,
                    starts,
                )
            labels[y, x] = j
            er, eg, eb = r - centers[j, 0], g - centers[j, 1], b - centers[j, 2]
            ahead_r, ahead_g, ahead_b = (
                er * ahead_share,
                eg * ahead_share,
                eb * ahead_share,
            )
            behind = x + 1 - step
            below[behind, 0] = (
                before_r * past_share + last_r * under_share + er * behind_share
            )
            below[behind, 1] = (
                before_g * past_share + last_g * under_share + eg * behind_share
            )
            below[behind, 2] = (
                before_b * past_share + last_b * under_share + eb * behind_share
            )
            before_r, before_g, before_b = last_r, last_g, last_b
            last_r, last_g, last_b = er, eg, eb
        # Below the row's last pixel: its share and its neighbor's.
        x = width - 1 if forward else 0
        below[x + 1, 0] = before_r * past_share + last_r * under_share
        below[x + 1, 1] = before_g * past_share + last_g * under_share
        below[x + 1, 2] = before_b * past_share + last_b * under_share
        current, below = below, current
