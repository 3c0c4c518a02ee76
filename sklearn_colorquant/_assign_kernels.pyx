# cython: language_level=3, boundscheck=False, wraparound=False
# cython: initializedcheck=False, cdivision=True
"""Compiled loops for nearest-color search: grids over colors, the uint8 cube,
candidate lists per cell.

Distances follow ``_nearest.pxd``: exact, ties to the lowest index, the same as
a brute-force search. The loops release the GIL; those over many points take a
range, so that ``_threads.run_blocks`` can hand ranges to threads.
"""

import numpy as np

from libc.math cimport INFINITY, fabs
from libc.stdint cimport int16_t, int64_t
from libc.stdlib cimport free, malloc

from ._nearest cimport _max2, _min2, box_candidates, quarter_gaps, squared_distance

# The uint8 cube as a grid (``list_grid``) from 0 with cells of 8 levels per channel.
CUBE_SHIFT = 3
CUBE_CELLS_PER_AXIS = 256 >> CUBE_SHIFT
# Palette candidates per cell of a uniform grid over the working space (dithering)
# or the uint8 cube (transform), listed among those of blocks of 4 cells per axis.
GRID_BLOCK = 4

cdef int _CUBE_SHIFT = CUBE_SHIFT
cdef int _CUBE_CELLS_PER_AXIS = CUBE_CELLS_PER_AXIS


cdef inline void _nearer(
    Py_ssize_t j,
    double distance,
    Py_ssize_t* best,
    double* best_distance,
    bint* tie,
) noexcept nogil:
    """The nearest so far and whether another is as near, after center ``j``
    at ``distance``: selects, not branches (which center wins moves from point
    to point, and a branch guessed wrong costs more than both sides)."""
    cdef bint nearer = distance < best_distance[0]
    tie[0] = (tie[0] and not nearer) or distance == best_distance[0]
    best[0] = j if nearer else best[0]
    best_distance[0] = distance if nearer else best_distance[0]


def nearest_brute(
    const double[:, ::1] points,
    const double[:, ::1] centers,
    int64_t[::1] labels,
    double[::1] distances,
    unsigned char[::1] tied,
    Py_ssize_t start,
    Py_ssize_t stop,
):
    """Nearest center of the points ``start:stop`` by trying every center;
    ``tied``, unless empty, marks the points as near another center."""
    cdef Py_ssize_t n_channels = points.shape[1], n_centers = centers.shape[0]
    cdef Py_ssize_t i, j, best
    cdef double best_distance
    cdef bint tie, mark = tied.shape[0] > 0
    if stop <= start:
        return
    with nogil:
        for i in range(start, stop):
            best, best_distance, tie = 0, INFINITY, False
            for j in range(n_centers):
                _nearer(
                    j,
                    squared_distance(&points[i, 0], &centers[j, 0], n_channels),
                    &best,
                    &best_distance,
                    &tie,
                )
            labels[i] = best
            distances[i] = best_distance
            if mark:
                tied[i] = tie


def nearest_in_cells(
    const double[:, ::1] points,
    const int64_t[::1] order,
    const int64_t[::1] cell_starts,
    const double[:, ::1] cell_lows,
    const double[:, ::1] cell_highs,
    const double[:, ::1] centers,
    int64_t[::1] labels,
    double[::1] distances,
    unsigned char[::1] tied,
    Py_ssize_t first_cell,
    Py_ssize_t stop_cell,
):
    """Nearest center of the points of cells ``first_cell:stop_cell``, trying in
    each cell only the centers that can win; ``tied``, unless empty, marks the
    points as near another center as to their own.

    ``order`` lists the points cell by cell; the points of cell ``c`` are
    ``order[cell_starts[c]:cell_starts[c + 1]]`` and lie in the box from
    ``cell_lows[c]`` to ``cell_highs[c]``.
    """
    cdef Py_ssize_t n_channels = points.shape[1], n_centers = centers.shape[0]
    cdef Py_ssize_t cell, position, i, j, k, channel, best, n_candidates
    cdef double best_distance, others
    cdef bint tie, mark = tied.shape[0] > 0
    cdef int64_t* everyone
    cdef int64_t* candidates
    cdef double* near
    if stop_cell <= first_cell:
        return
    with nogil:
        everyone = <int64_t*> malloc(n_centers * sizeof(int64_t))
        candidates = <int64_t*> malloc(n_centers * sizeof(int64_t))
        near = <double*> malloc(n_centers * sizeof(double))
        try:
            for j in range(n_centers):
                everyone[j] = j
            for cell in range(first_cell, stop_cell):
                n_candidates = box_candidates(
                    &cell_lows[cell, 0], &cell_highs[cell, 0], &centers[0, 0], n_channels,
                    everyone, n_centers, candidates, near, 0.0, &others,
                )
                for position in range(cell_starts[cell], cell_starts[cell + 1]):
                    i = order[position]
                    best, best_distance, tie = 0, INFINITY, False
                    for k in range(n_candidates):
                        j = candidates[k]
                        _nearer(
                            j,
                            squared_distance(&points[i, 0], &centers[j, 0], n_channels),
                            &best,
                            &best_distance,
                            &tie,
                        )
                    labels[i] = best
                    distances[i] = best_distance
                    if mark:
                        tied[i] = tie
        finally:
            free(everyone)
            free(candidates)
            free(near)


def grid_cells(
    const double[:, ::1] points, Py_ssize_t cells_per_axis, Py_ssize_t n_gridded
):
    """Sort ``points`` into the cells of a uniform grid over their bounding box.

    Returns ``(order, cell_starts, cell_lows, cell_highs, cell_of_point)``: the
    points cell by cell, where each occupied cell's points start in ``order``,
    the bounding box of each occupied cell's points (tighter than the cell, so
    that it prunes more), and each point's cell. Occupied cells are numbered in
    the order of their grid position. Only the first ``n_gridded`` channels are
    cut into ``cells_per_axis`` cells; a cell spans the whole range of the
    others.
    """
    cdef Py_ssize_t n_points = points.shape[0], n_channels = points.shape[1]
    cdef Py_ssize_t i, channel, position, index, n_positions = 1, n_cells = 0
    cdef Py_ssize_t cell
    n_gridded = min(n_gridded, n_channels)
    for channel in range(n_gridded):
        n_positions *= cells_per_axis
    low_array = np.array(points[0], dtype=np.float64)
    high_array = low_array.copy()
    cdef double[::1] low = low_array, high = high_array
    position_of_point_array = np.empty(n_points, dtype=np.int64)
    counts_array = np.zeros(n_positions, dtype=np.int64)
    cell_of_position_array = np.empty(n_positions, dtype=np.int64)
    cdef int64_t[::1] position_of_point = position_of_point_array
    cdef int64_t[::1] counts = counts_array
    cdef int64_t[::1] cell_of_position = cell_of_position_array
    with nogil:
        for i in range(n_points):
            for channel in range(n_channels):
                low[channel] = _min2(low[channel], points[i, channel])
                high[channel] = _max2(high[channel], points[i, channel])
    cell_size_array = high_array - low_array
    cell_size_array[:n_gridded] /= cells_per_axis
    cell_size_array[cell_size_array == 0.0] = 1.0
    cdef double[::1] cell_size = cell_size_array
    with nogil:
        for i in range(n_points):
            position = 0
            for channel in range(n_gridded):
                index = <Py_ssize_t> ((points[i, channel] - low[channel]) / cell_size[channel])
                if index > cells_per_axis - 1:
                    index = cells_per_axis - 1
                position = position * cells_per_axis + index
            position_of_point[i] = position
            counts[position] += 1
        for position in range(n_positions):
            cell_of_position[position] = n_cells if counts[position] > 0 else -1
            n_cells += counts[position] > 0
    cell_starts_array = np.empty(n_cells + 1, dtype=np.int64)
    cell_lows_array = np.full((n_cells, n_channels), np.inf)
    cell_highs_array = np.full((n_cells, n_channels), -np.inf)
    order_array = np.empty(n_points, dtype=np.int64)
    cell_of_point_array = np.empty(n_points, dtype=np.int64)
    filled_array = np.empty(n_cells, dtype=np.int64)
    cdef int64_t[::1] cell_starts = cell_starts_array, order = order_array
    cdef int64_t[::1] cell_of_point = cell_of_point_array, filled = filled_array
    cdef double[:, ::1] cell_lows = cell_lows_array, cell_highs = cell_highs_array
    with nogil:
        cell_starts[0] = 0
        for position in range(n_positions):
            cell = cell_of_position[position]
            if cell >= 0:
                cell_starts[cell + 1] = cell_starts[cell] + counts[position]
        for cell in range(n_cells):
            filled[cell] = cell_starts[cell]
        for i in range(n_points):
            cell = cell_of_position[position_of_point[i]]
            cell_of_point[i] = cell
            order[filled[cell]] = i
            filled[cell] += 1
            for channel in range(n_channels):
                cell_lows[cell, channel] = _min2(cell_lows[cell, channel], points[i, channel])
                cell_highs[cell, channel] = _max2(
                    cell_highs[cell, channel], points[i, channel]
                )
    return (
        order_array, cell_starts_array, cell_lows_array, cell_highs_array,
        cell_of_point_array,
    )


def center_quarter_gaps(const double[:, ::1] centers):
    """A quarter of the squared distance from each center to its nearest other
    (infinite for a lone center): a point nearer to its center than that has
    no other nearest center."""
    quarter_gap = np.empty(centers.shape[0])
    cdef double[::1] out = quarter_gap
    if centers.shape[0] > 0:
        quarter_gaps(&centers[0, 0], centers.shape[0], centers.shape[1], &out[0])
    return quarter_gap


def nearest_in_cube(
    const unsigned char[:, ::1] pixels,
    const double[:, ::1] centers,
    const double[::1] quarter_gap,
    const int16_t[::1] listed,
    const int64_t[::1] starts,
    unsigned char[::1] labels,
):
    """Nearest center of uint8 pixels, from the lists of the uint8 cube's grid;
    returns how many pixels fell in cells without a list (left unlabeled).
    ``quarter_gap`` holds a quarter of the squared distance from each center to
    its nearest other (``center_quarter_gaps``)."""
    cdef Py_ssize_t n_channels = pixels.shape[1], n_unlisted
    if n_channels > 3:
        raise ValueError(f"The uint8 cube takes up to 3 channels, got {n_channels}.")
    if pixels.shape[0] == 0:
        return 0
    with nogil:
        # Three channels, the common case, as a constant: the compiler unrolls
        # the loops over them.
        if n_channels == 3:
            n_unlisted = _nearest_in_cube(
                &pixels[0, 0], pixels.shape[0], 3, &centers[0, 0], &quarter_gap[0],
                &listed[0], &starts[0], &labels[0],
            )
        else:
            n_unlisted = _nearest_in_cube(
                &pixels[0, 0], pixels.shape[0], n_channels, &centers[0, 0],
                &quarter_gap[0], &listed[0], &starts[0], &labels[0],
            )
    return n_unlisted


cdef inline Py_ssize_t _nearest_in_cube(
    const unsigned char* pixels,
    Py_ssize_t n_pixels,
    Py_ssize_t n_channels,
    const double* centers,
    const double* quarter_gap,
    const int16_t* listed,
    const int64_t* starts,
    unsigned char* labels,
) noexcept nogil:
    """``nearest_in_cube`` on pointers. Neighboring pixels are alike: a pixel
    within half the gap from the last pixel's center to its nearest other center
    has that center as its only nearest one (4 in 10 photo pixels at 256
    colors), which costs one distance instead of a cell's list. The cube takes
    up to 3 channels."""
    cdef Py_ssize_t i, k, j, channel, cell, first, stop, best
    cdef Py_ssize_t previous = -1, n_unlisted = 0
    cdef double best_distance, distance, diff
    cdef const unsigned char* pixel
    # The pixel's values converted once, not once per center tried.
    cdef double value[3]
    for i in range(n_pixels):
        pixel = pixels + i * n_channels
        for channel in range(n_channels):
            value[channel] = pixel[channel]
        if previous >= 0:
            distance = 0.0
            for channel in range(n_channels):
                diff = value[channel] - centers[previous * n_channels + channel]
                distance += diff * diff
            if distance < quarter_gap[previous]:
                labels[i] = <unsigned char> previous
                continue
        cell = 0
        for channel in range(n_channels):
            cell = cell * _CUBE_CELLS_PER_AXIS + (pixel[channel] >> _CUBE_SHIFT)
        first, stop = starts[cell], starts[cell + 1]
        if stop == first:
            n_unlisted += 1
            previous = -1
            continue
        best = listed[first]
        if stop - first > 1:
            best_distance = INFINITY
            for k in range(first, stop):
                j = listed[k]
                distance = 0.0
                for channel in range(n_channels):
                    diff = value[channel] - centers[j * n_channels + channel]
                    distance += diff * diff
                if distance < best_distance:
                    best, best_distance = j, distance
        labels[i] = <unsigned char> best
        previous = best
    return n_unlisted


cdef Py_ssize_t _drop_dominated(
    const double* box_low,
    const double* box_high,
    const double[:, ::1] centers,
    int64_t* candidates,
    Py_ssize_t n_candidates,
    double* corners,
) noexcept nogil:
    """Drop from ``candidates[:n_candidates]`` (in place, order kept) centers that
    another candidate beats at every point of the box; returns how many stay.
    ``corners``, two per channel, is scratch.

    Center d beats c over the whole box when ``|p - d|^2 - |p - c|^2``, linear in
    ``p``, is negative at the box's corner where it is largest. The bounding-box
    test keeps about four times as many centers, and every dithered pixel tries
    each of them.
    """
    # Three channels as a constant: the loop over them unrolled.
    cdef Py_ssize_t channel, n_channels = centers.shape[1]
    cdef double pad
    for channel in range(n_channels):
        # Widened, as points reach a cell from its faces up to rounding.
        pad = 1e-6 * (box_high[channel] - box_low[channel]) + 1e-12
        corners[2 * channel] = box_low[channel] - pad
        corners[2 * channel + 1] = box_high[channel] + pad
    if n_channels == 3:
        return _drop_dominated_in(corners, &centers[0, 0], 3, candidates, n_candidates)
    return _drop_dominated_in(
        corners, &centers[0, 0], n_channels, candidates, n_candidates
    )


cdef inline Py_ssize_t _drop_dominated_in(
    const double* corners,
    const double* centers,
    Py_ssize_t n_channels,
    int64_t* candidates,
    Py_ssize_t n_candidates,
) noexcept nogil:
    cdef Py_ssize_t n_kept = 0, a, b, c, d, channel
    cdef double largest, scale, slope, corner, square_d, square_c, term
    cdef double center_c, center_d
    cdef bint beaten
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
                center_c = centers[c * n_channels + channel]
                center_d = centers[d * n_channels + channel]
                slope = 2.0 * (center_c - center_d)
                # The box's corner where the difference is largest: a look-up,
                # not a branch (which one moves from pair to pair).
                corner = corners[2 * channel + (slope > 0.0)]
                square_d = center_d * center_d
                square_c = center_c * center_c
                term = slope * corner
                largest += term + square_d - square_c
                scale += fabs(term) + square_d + square_c
            # Dropped only by a margin that rounding of distances cannot undo.
            if largest < -1e-9 * scale:
                beaten = True
                break
        if not beaten:
            candidates[n_kept] = c
            n_kept += 1
    return n_kept


cdef inline void _block_box(
    Py_ssize_t block,
    const double[::1] low,
    const double[::1] cell_size,
    Py_ssize_t blocks_per_axis,
    Py_ssize_t block_cells,
    double* box_low,
    double* box_high,
) noexcept nogil:
    """The box of a block of ``block_cells`` cells per axis, into the arrays given."""
    cdef Py_ssize_t rest = block, channel
    for channel in range(low.shape[0] - 1, -1, -1):
        box_low[channel] = (
            low[channel] + (rest % blocks_per_axis) * block_cells * cell_size[channel]
        )
        box_high[channel] = box_low[channel] + block_cells * cell_size[channel]
        rest = rest // blocks_per_axis


def list_blocks(
    const double[:, ::1] centers,
    const double[::1] low,
    const double[::1] cell_size,
    Py_ssize_t blocks_per_axis,
    Py_ssize_t block_cells,
    const int64_t[::1] blocks,
    int64_t[:, ::1] block_lists,
    int64_t[::1] n_block_listed,
    Py_ssize_t first,
    Py_ssize_t stop,
):
    """The centers that can be nearest to a point of each block
    ``blocks[first:stop]``, into ``block_lists`` and ``n_block_listed``."""
    cdef Py_ssize_t n_centers = centers.shape[0], n_channels = centers.shape[1]
    cdef Py_ssize_t position, block, j, n_listed
    cdef double others
    cdef int64_t* everyone
    cdef double* near
    cdef double* box_low
    cdef double* box_high
    cdef double* corners
    if stop <= first:
        return
    with nogil:
        everyone = <int64_t*> malloc(n_centers * sizeof(int64_t))
        near = <double*> malloc(n_centers * sizeof(double))
        box_low = <double*> malloc(n_channels * sizeof(double))
        box_high = <double*> malloc(n_channels * sizeof(double))
        corners = <double*> malloc(2 * n_channels * sizeof(double))
        try:
            for j in range(n_centers):
                everyone[j] = j
            for position in range(first, stop):
                block = blocks[position]
                _block_box(
                    block, low, cell_size, blocks_per_axis, block_cells, box_low,
                    box_high,
                )
                n_listed = box_candidates(
                    box_low, box_high, &centers[0, 0], n_channels, everyone,
                    n_centers, &block_lists[block, 0], near, 0.0, &others,
                )
                n_block_listed[block] = _drop_dominated(
                    box_low, box_high, centers, &block_lists[block, 0], n_listed,
                    corners,
                )
        finally:
            free(everyone)
            free(near)
            free(box_low)
            free(box_high)
            free(corners)


def list_cells(
    const double[:, ::1] centers,
    const double[::1] low,
    const double[::1] cell_size,
    Py_ssize_t cells_per_axis,
    Py_ssize_t blocks_per_axis,
    Py_ssize_t block_cells,
    const int64_t[::1] blocks,
    const unsigned char[::1] wanted,
    const int64_t[:, ::1] block_lists,
    const int64_t[::1] n_block_listed,
    int16_t[:, ::1] cell_lists,
    int64_t[::1] n_listed,
    Py_ssize_t first,
    Py_ssize_t stop,
):
    """The centers that can be nearest to a point of each ``wanted`` cell of
    the blocks ``blocks[first:stop]``, from their block's list, into
    ``cell_lists`` and ``n_listed``. Block by block, so that scratch is made
    once per block."""
    cdef Py_ssize_t n_channels = centers.shape[1], width = block_lists.shape[1]
    cdef Py_ssize_t cells_per_block = 1, position, block, inner, block_rest
    cdef Py_ssize_t inner_rest, cell, scale, channel, index, n_candidates, k
    cdef double others
    cdef double* box_low
    cdef double* box_high
    cdef int64_t* candidates
    cdef double* near
    cdef double* corners
    if stop <= first:
        return
    for channel in range(n_channels):
        cells_per_block *= block_cells
    with nogil:
        box_low = <double*> malloc(n_channels * sizeof(double))
        box_high = <double*> malloc(n_channels * sizeof(double))
        candidates = <int64_t*> malloc(width * sizeof(int64_t))
        near = <double*> malloc(width * sizeof(double))
        corners = <double*> malloc(2 * n_channels * sizeof(double))
        try:
            for position in range(first, stop):
                block = blocks[position]
                for inner in range(cells_per_block):
                    block_rest, inner_rest = block, inner
                    cell, scale = 0, 1
                    for channel in range(n_channels - 1, -1, -1):
                        index = (block_rest % blocks_per_axis) * block_cells + (
                            inner_rest % block_cells
                        )
                        block_rest = block_rest // blocks_per_axis
                        inner_rest = inner_rest // block_cells
                        box_low[channel] = low[channel] + index * cell_size[channel]
                        box_high[channel] = box_low[channel] + cell_size[channel]
                        cell += index * scale
                        scale *= cells_per_axis
                    if not wanted[cell]:
                        continue
                    n_candidates = box_candidates(
                        box_low, box_high, &centers[0, 0], n_channels,
                        &block_lists[block, 0], n_block_listed[block], candidates,
                        near, 0.0, &others,
                    )
                    n_candidates = _drop_dominated(
                        box_low, box_high, centers, candidates, n_candidates, corners
                    )
                    for k in range(n_candidates):
                        cell_lists[cell, k] = <int16_t> candidates[k]
                    n_listed[cell] = n_candidates
        finally:
            free(box_low)
            free(box_high)
            free(candidates)
            free(near)
            free(corners)


def join_lists(const int16_t[:, ::1] cell_lists, const int64_t[::1] n_listed):
    """The cells' lists end to end, ``(listed, starts)``: stored so, they stay in
    cache where padded rows would not."""
    cdef Py_ssize_t n_cells = n_listed.shape[0], cell, k
    starts_array = np.empty(n_cells + 1, dtype=np.int64)
    cdef int64_t[::1] starts = starts_array
    starts[0] = 0
    for cell in range(n_cells):
        starts[cell + 1] = starts[cell] + n_listed[cell]
    listed_array = np.empty(starts[n_cells], dtype=np.int16)
    cdef int16_t[::1] listed = listed_array
    with nogil:
        for cell in range(n_cells):
            for k in range(n_listed[cell]):
                listed[starts[cell] + k] = cell_lists[cell, k]
    return listed_array, starts_array
