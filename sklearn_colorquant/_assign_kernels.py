"""Compiled loops for nearest-color search: grids over colors, the uint8 cube,
candidate lists per cell.

Distances are always exact sums of squared differences, compared with ``<`` over
centers in increasing index order, so ties go to the lowest index and every
kernel agrees with a brute-force search. The loops are serial and release the
GIL; those over many points take a range, so that ``_threads.run_blocks`` can
hand ranges to threads. Arrays are made with ``np.empty`` and filled by loops, as
in ``_kmeans_kernels``.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def squared_distance(points, i, centers, j):
    total = 0.0
    for channel in range(points.shape[1]):
        diff = points[i, channel] - centers[j, channel]
        total += diff * diff
    return total


@njit(cache=True, nogil=True)
def all_indices(n):
    """``0, 1, ..., n - 1``: ``np.arange`` would be compiled too, on a cold start,
    and this is what the kernels need of it."""
    indices = np.empty(n, dtype=np.int64)
    for i in range(n):
        indices[i] = i
    return indices


@njit(cache=True, nogil=True, inline="always")
def _nearer(j, distance, best, best_distance, tie):
    """The nearest so far and whether another is as near, after center ``j``
    at ``distance``: selects, not branches (which center wins moves from point
    to point, and a branch guessed wrong costs more than both sides)."""
    nearer = distance < best_distance
    tie = (tie and not nearer) or distance == best_distance
    if nearer:
        return j, distance, tie
    return best, best_distance, tie


@njit(cache=True, nogil=True)
def nearest_brute(points, centers, labels, distances, tied, start, stop):
    """Nearest center of the points ``start:stop`` by trying every center;
    ``tied``, unless empty, marks the points as near another center."""
    for i in range(start, stop):
        best, best_distance, tie = 0, np.inf, False
        for j in range(centers.shape[0]):
            distance = squared_distance(points, i, centers, j)
            best, best_distance, tie = _nearer(j, distance, best, best_distance, tie)
        labels[i] = best
        distances[i] = best_distance
        if tied.shape[0] > 0:
            tied[i] = tie


@njit(cache=True, nogil=True)
def nearest_in_cells(
    points,
    order,
    cell_starts,
    cell_lows,
    cell_size,
    centers,
    labels,
    distances,
    tied,
    first_cell,
    stop_cell,
):
    """Nearest center of the points of cells ``first_cell:stop_cell``, trying in
    each cell only the centers that can win; ``tied``, unless empty, marks the
    points as near another center as to their own.

    ``order`` lists the points cell by cell; the points of cell ``c`` are
    ``order[cell_starts[c]:cell_starts[c + 1]]`` and lie in the box from
    ``cell_lows[c]`` to ``cell_lows[c] + cell_size``. A center can be nearest to a
    point of the box only if its smallest distance to the box is at most the
    smallest, over centers, of the largest distance to the box.
    """
    n_centers = centers.shape[0]
    everyone = all_indices(n_centers)
    candidates = np.empty(n_centers, dtype=np.int64)
    for cell in range(first_cell, stop_cell):
        start, stop = cell_starts[cell], cell_starts[cell + 1]
        n_candidates, _ = cell_candidates(
            cell_lows[cell], cell_lows[cell] + cell_size, centers, everyone, candidates
        )
        for position in range(start, stop):
            i = order[position]
            best, best_distance, tie = 0, np.inf, False
            for k in range(n_candidates):
                j = candidates[k]
                distance = squared_distance(points, i, centers, j)
                best, best_distance, tie = _nearer(
                    j, distance, best, best_distance, tie
                )
            labels[i] = best
            distances[i] = best_distance
            if tied.shape[0] > 0:
                tied[i] = tie


@njit(cache=True, nogil=True)
def cell_candidates(box_low, box_high, centers, among, candidates):
    """Those of the centers ``among`` that can be nearest to a point of the box, and
    a lower bound on the squared distance from the box to the others.

    A center can be nearest to a point of the box only if its smallest distance to
    the box is at most the smallest, over centers, of the largest distance to the
    box. ``among`` must hold every center that can be nearest, which all centers
    do. Fills ``candidates`` and returns ``(n_candidates, others_bound)``.
    """
    return cell_candidates_into(
        box_low, box_high, centers, among, candidates, np.empty(among.shape[0]), 0.0
    )


@njit(cache=True, nogil=True)
def cell_candidates_into(box_low, box_high, centers, among, candidates, near, margin):
    """``cell_candidates`` with ``near``, as long as ``among``, for scratch, and
    the centers within ``margin`` more of the bound too: the list then holds
    every center that can be nearest while no center moves ``margin / 2``."""
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
    if margin > 0.0:
        bound = (np.sqrt(bound) + margin) ** 2
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
    counts = np.empty(n_positions, dtype=np.int64)
    for position in range(n_positions):
        counts[position] = 0
    for i in range(n_points):
        position = 0
        for channel in range(n_channels):
            index = int((points[i, channel] - low[channel]) / cell_size[channel])
            position = position * cells_per_axis + min(index, cells_per_axis - 1)
        position_of_point[i] = position
        counts[position] += 1
    cell_of_position = np.empty(n_positions, dtype=np.int64)
    n_cells = 0
    for position in range(n_positions):
        cell_of_position[position] = n_cells if counts[position] > 0 else -1
        n_cells += counts[position] > 0
    cell_starts = np.empty(n_cells + 1, dtype=np.int64)
    cell_starts[0] = 0
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


@njit(cache=True, nogil=True)
def nearest_in_cube(pixels, centers, listed, starts, labels):
    """Nearest center of uint8 pixels, from the lists of the uint8 cube's grid;
    returns how many pixels fell in cells without a list (left unlabeled)."""
    n_channels = pixels.shape[1]
    n_unlisted = 0
    for i in range(pixels.shape[0]):
        cell = _cube_cell(pixels, i)
        first, stop = starts[cell], starts[cell + 1]
        if stop == first:
            n_unlisted += 1
            continue
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
    return n_unlisted


@njit(cache=True, nogil=True)
def drop_dominated(box_low, box_high, centers, candidates, n_candidates):
    """Drop from ``candidates[:n_candidates]`` (in place, order kept) centers that
    another candidate beats at every point of the box; returns how many stay.

    Center d beats c over the whole box when ``|p - d|^2 - |p - c|^2``, linear in
    ``p``, is negative at the box's corner where it is largest. The bounding-box
    test of ``cell_candidates`` keeps about four times as many centers, and every
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


@njit(cache=True, nogil=True)
def _block_box(block, low, cell_size, blocks_per_axis, block_cells, box_low, box_high):
    """The box of a block of ``block_cells`` cells per axis, into the arrays given."""
    rest = np.int64(block)
    for channel in range(low.shape[0] - 1, -1, -1):
        box_low[channel] = (
            low[channel] + (rest % blocks_per_axis) * block_cells * cell_size[channel]
        )
        box_high[channel] = box_low[channel] + block_cells * cell_size[channel]
        rest //= blocks_per_axis


@njit(cache=True, nogil=True)
def list_blocks(
    centers,
    low,
    cell_size,
    blocks_per_axis,
    block_cells,
    blocks,
    block_lists,
    n_block_listed,
    first,
    stop,
):
    """The centers that can be nearest to a point of each block
    ``blocks[first:stop]``, into ``block_lists`` and ``n_block_listed``."""
    n_centers, n_channels = centers.shape
    everyone = all_indices(n_centers)
    box_low, box_high = np.empty(n_channels), np.empty(n_channels)
    for position in range(first, stop):
        block = blocks[position]
        _block_box(
            block, low, cell_size, blocks_per_axis, block_cells, box_low, box_high
        )
        n_block_listed[block], _ = cell_candidates(
            box_low, box_high, centers, everyone, block_lists[block]
        )
        n_block_listed[block] = drop_dominated(
            box_low, box_high, centers, block_lists[block], n_block_listed[block]
        )


@njit(cache=True, nogil=True)
def list_cells(
    centers,
    low,
    cell_size,
    cells_per_axis,
    blocks_per_axis,
    block_cells,
    blocks,
    wanted,
    block_lists,
    n_block_listed,
    cell_lists,
    n_listed,
    first,
    stop,
):
    """The centers that can be nearest to a point of each ``wanted`` cell of
    the blocks ``blocks[first:stop]``, from their block's list, into
    ``cell_lists`` and ``n_listed``. Block by block, so that scratch is made
    once per block."""
    n_channels = centers.shape[1]
    cells_per_block = 1
    for _ in range(n_channels):
        cells_per_block *= block_cells
    box_low, box_high = np.empty(n_channels), np.empty(n_channels)
    candidates = np.empty(block_lists.shape[1], dtype=np.int64)
    near = np.empty(block_lists.shape[1])
    for position in range(first, stop):
        block = blocks[position]
        among = block_lists[block, : n_block_listed[block]]
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
            if not wanted[cell]:
                continue
            n_candidates, _ = cell_candidates_into(
                box_low, box_high, centers, among, candidates, near, 0.0
            )
            n_candidates = drop_dominated(
                box_low, box_high, centers, candidates, n_candidates
            )
            # Loops rather than slices: each slice copy is compiled too.
            for k in range(n_candidates):
                cell_lists[cell, k] = candidates[k]
            n_listed[cell] = n_candidates


@njit(cache=True, nogil=True)
def join_lists(cell_lists, n_listed):
    """The cells' lists end to end, ``(listed, starts)``: stored so, they stay in
    cache where padded rows would not."""
    n_cells = n_listed.shape[0]
    starts = np.empty(n_cells + 1, dtype=np.int64)
    starts[0] = 0
    for cell in range(n_cells):
        starts[cell + 1] = starts[cell] + n_listed[cell]
    listed = np.empty(starts[n_cells], dtype=np.int16)
    for cell in range(n_cells):
        for k in range(n_listed[cell]):
            listed[starts[cell] + k] = cell_lists[cell, k]
    return listed, starts


@njit(cache=True, nogil=True, inline="always")
def nearest_on_grid(
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
