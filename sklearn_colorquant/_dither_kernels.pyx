# cython: language_level=3, boundscheck=False, wraparound=False
# cython: initializedcheck=False, cdivision=True
"""Compiled dithering scans: Floyd-Steinberg error diffusion and an ordered
pattern, looking colors up in the candidate lists of ``_assign.list_grid``."""

import numpy as np

cimport cython

from libc.math cimport INFINITY, fabs, sqrt
from libc.stdint cimport int16_t, int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from ._nearest cimport _max2, _min2, squared_distance

# The working space of uint8 RGB is the data itself: scans read uint8 or float64.
ctypedef fused pixel_t:
    unsigned char
    double

# Undithered labels, as the nearest-color search returns them.
ctypedef fused labels_t:
    unsigned char
    int16_t
    int64_t


cdef void _quarter_gaps(const double[:, ::1] centers, double* quarter_gap) noexcept nogil:
    """A quarter of the squared distance from each center to its nearest other.

    A color closer to center j than half the distance from j to any other center
    has j as its only nearest center: no search needed.
    """
    cdef Py_ssize_t n_centers = centers.shape[0], n_channels = centers.shape[1]
    cdef Py_ssize_t j, other
    for j in range(n_centers):
        quarter_gap[j] = INFINITY
        for other in range(n_centers):
            if other != j:
                quarter_gap[j] = _min2(
                    quarter_gap[j],
                    0.25 * squared_distance(&centers[j, 0], &centers[other, 0], n_channels),
                )


cdef inline Py_ssize_t _nearest_on_grid(
    double* value,
    const double[:, ::1] centers,
    const double[::1] low,
    const double[::1] high,
    const double[::1] inverse_size,
    Py_ssize_t cells_per_axis,
    const int16_t[::1] listed,
    const int64_t[::1] starts,
) noexcept nogil:
    """Nearest center of ``value`` (clamped into the grid's box, in place).

    Multiplying by the cells' inverse size rather than dividing by their size
    shortens the chain each dithered pixel waits on; a point that rounds into a
    neighboring cell lies on that cell's box, which the lists allow for.
    """
    cdef Py_ssize_t n_channels = centers.shape[1], channel, cell = 0, index
    cdef Py_ssize_t first, stop, best, k, j
    cdef double best_distance, distance, diff
    for channel in range(n_channels):
        value[channel] = _min2(_max2(value[channel], low[channel]), high[channel])
        index = <Py_ssize_t> ((value[channel] - low[channel]) * inverse_size[channel])
        if index > cells_per_axis - 1:
            index = cells_per_axis - 1
        cell = cell * cells_per_axis + index
    first, stop = starts[cell], starts[cell + 1]
    best = listed[first]
    if stop - first > 1:
        best_distance = INFINITY
        for k in range(first, stop):
            j = listed[k]
            distance = 0.0
            for channel in range(n_channels):
                diff = value[channel] - centers[j, channel]
                distance += diff * diff
            if distance < best_distance:
                best, best_distance = j, distance
    return best


def floyd_steinberg(
    const pixel_t[:, :, ::1] image,
    const double[:, ::1] centers,
    const double[::1] low,
    const double[::1] high,
    const double[::1] inverse_size,
    Py_ssize_t cells_per_axis,
    const int16_t[::1] listed,
    const int64_t[::1] starts,
    const float[:, :] strength,
    double error_limit,
    int16_t[:, ::1] labels,
):
    """Floyd-Steinberg error diffusion over one image, serpentine scan.

    ``image`` holds working-space colors, shape ``(H, W, C)``; ``labels`` receives
    the palette index of every pixel. ``strength[y, x]`` scales the error that
    reaches pixel ``(y, x)``, and that error is shortened to ``error_limit`` (a
    squared distance) if it is longer: a pixel never moves far from its own
    color, which is what keeps isolated specks of distant colors out. The
    diffused color is then clamped into the box of the grid (the image's and the
    palette's colors) before its nearest palette color is found.
    """
    cdef Py_ssize_t height = image.shape[0], width = image.shape[1]
    cdef Py_ssize_t n_channels = image.shape[2], n_centers = centers.shape[0]
    cdef Py_ssize_t y, k, x, channel, previous, j = 0, step
    cdef double ahead_share = 7 / 16.0, behind_share = 3 / 16.0
    cdef double under_share = 5 / 16.0, past_share = 1 / 16.0
    cdef double distance, v, diff, error, scale, carried
    cdef bint forward
    cdef double* quarter_gap
    cdef double* current
    cdef double* below
    cdef double* swap
    cdef double* value
    with nogil:
        quarter_gap = <double*> malloc(n_centers * sizeof(double))
        # Error rows with one pixel of margin on each side.
        current = <double*> malloc((width + 2) * n_channels * sizeof(double))
        below = <double*> malloc((width + 2) * n_channels * sizeof(double))
        value = <double*> malloc(n_channels * sizeof(double))
        try:
            _quarter_gaps(centers, quarter_gap)
            memset(current, 0, (width + 2) * n_channels * sizeof(double))
            memset(below, 0, (width + 2) * n_channels * sizeof(double))
            for y in range(height):
                forward = y % 2 == 0
                step = 1 if forward else -1
                for k in range(width):
                    x = k if forward else width - 1 - k
                    previous = j
                    scale = strength[y, x]
                    carried = 0.0
                    for channel in range(n_channels):
                        v = current[(x + 1) * n_channels + channel]
                        carried += v * v
                    carried *= scale * scale
                    if carried > error_limit:
                        scale *= sqrt(error_limit / carried)
                    distance = 0.0
                    for channel in range(n_channels):
                        v = image[y, x, channel] + scale * current[
                            (x + 1) * n_channels + channel
                        ]
                        v = _min2(_max2(v, low[channel]), high[channel])
                        value[channel] = v
                        diff = v - centers[previous, channel]
                        distance += diff * diff
                    if distance >= quarter_gap[previous]:
                        j = _nearest_on_grid(
                            value, centers, low, high, inverse_size, cells_per_axis,
                            listed, starts,
                        )
                    labels[y, x] = <int16_t> j
                    for channel in range(n_channels):
                        error = value[channel] - centers[j, channel]
                        current[(x + 1 + step) * n_channels + channel] += error * ahead_share
                        below[(x + 1 - step) * n_channels + channel] += error * behind_share
                        below[(x + 1) * n_channels + channel] += error * under_share
                        below[(x + 1 + step) * n_channels + channel] += error * past_share
                swap = current
                current = below
                below = swap
                memset(below, 0, (width + 2) * n_channels * sizeof(double))
        finally:
            free(quarter_gap)
            free(current)
            free(below)
            free(value)


def ordered_on_grid(
    const pixel_t[:, :, :, ::1] images,
    const double[:, ::1] offsets,
    const double[:, ::1] centers,
    const double[::1] low,
    const double[::1] high,
    const double[::1] inverse_size,
    Py_ssize_t cells_per_axis,
    const int16_t[::1] listed,
    const int64_t[::1] starts,
    int16_t[:, :, ::1] labels,
    Py_ssize_t first_row,
    Py_ssize_t stop_row,
):
    """Nearest center of every pixel of the rows ``first_row:stop_row`` of
    ``images`` ``(N, H, W, C)``, counted across images, plus the ``offsets``
    pattern tiled over the image (clamped into the grid's box)."""
    cdef Py_ssize_t height = images.shape[1], width = images.shape[2]
    cdef Py_ssize_t n_channels = images.shape[3]
    cdef Py_ssize_t period_y = offsets.shape[0], period_x = offsets.shape[1]
    cdef Py_ssize_t row, image, y, x, channel
    cdef double shift
    cdef double* value
    if stop_row <= first_row:
        return
    with nogil:
        value = <double*> malloc(n_channels * sizeof(double))
        try:
            for row in range(first_row, stop_row):
                image, y = row // height, row % height
                for x in range(width):
                    shift = offsets[y % period_y, x % period_x]
                    for channel in range(n_channels):
                        value[channel] = images[image, y, x, channel] + shift
                    labels[image, y, x] = <int16_t> _nearest_on_grid(
                        value, centers, low, high, inverse_size, cells_per_axis,
                        listed, starts,
                    )
        finally:
            free(value)


cdef inline Py_ssize_t _nearest_on_grid_3(
    double r,
    double g,
    double b,
    const double[:, ::1] centers,
    const double[::1] low,
    const double[::1] inverse_size,
    Py_ssize_t cells_per_axis,
    const int16_t[::1] listed,
    const int64_t[::1] starts,
) noexcept nogil:
    """``_nearest_on_grid`` for 3 channels already clamped into the box."""
    cdef Py_ssize_t top = cells_per_axis - 1, cell, index, first, stop, best, k, j
    cdef double best_distance, dr, dg, db, distance
    index = <Py_ssize_t> ((r - low[0]) * inverse_size[0])
    cell = index if index < top else top
    index = <Py_ssize_t> ((g - low[1]) * inverse_size[1])
    cell = cell * cells_per_axis + (index if index < top else top)
    index = <Py_ssize_t> ((b - low[2]) * inverse_size[2])
    cell = cell * cells_per_axis + (index if index < top else top)
    first, stop = starts[cell], starts[cell + 1]
    best = listed[first]
    if stop - first > 1:
        best_distance = INFINITY
        for k in range(first, stop):
            j = listed[k]
            dr, dg, db = r - centers[j, 0], g - centers[j, 1], b - centers[j, 2]
            distance = dr * dr + dg * dg + db * db
            # A branch, not selects: a predicted branch lets the scan run ahead.
            if distance < best_distance:
                best, best_distance = j, distance
    return best


def floyd_steinberg_3(
    const pixel_t[:, :, ::1] image,
    const double[:, ::1] centers,
    const double[::1] low,
    const double[::1] high,
    const double[::1] inverse_size,
    Py_ssize_t cells_per_axis,
    const int16_t[::1] listed,
    const int64_t[::1] starts,
    const float[:, :] strength,
    double error_limit,
    int16_t[:, ::1] labels,
):
    """``floyd_steinberg`` for 3 channels, written out channel by channel: the
    error carried to the next pixel stays in registers, and 3 channels are the
    common case."""
    cdef Py_ssize_t height = image.shape[0], width = image.shape[1]
    cdef Py_ssize_t n_centers = centers.shape[0]
    cdef Py_ssize_t y, k, x, j = 0, step, behind
    cdef double ahead_share = 7 / 16.0, behind_share = 3 / 16.0
    cdef double under_share = 5 / 16.0, past_share = 1 / 16.0
    cdef double r, g, b, dr, dg, db, er, eg, eb, scale, carried
    cdef double ahead_r, ahead_g, ahead_b, last_r, last_g, last_b
    cdef double before_r, before_g, before_b
    cdef double low_r = low[0], low_g = low[1], low_b = low[2]
    cdef double high_r = high[0], high_g = high[1], high_b = high[2]
    cdef bint forward
    cdef double* quarter_gap
    cdef double* current
    cdef double* below
    cdef double* swap
    with nogil:
        quarter_gap = <double*> malloc(n_centers * sizeof(double))
        current = <double*> malloc((width + 2) * 3 * sizeof(double))
        below = <double*> malloc((width + 2) * 3 * sizeof(double))
        try:
            _quarter_gaps(centers, quarter_gap)
            memset(current, 0, (width + 2) * 3 * sizeof(double))
            memset(below, 0, (width + 2) * 3 * sizeof(double))
            for y in range(height):
                forward = y % 2 == 0
                step = 1 if forward else -1
                # The error carried to the next pixel, and the errors of the last
                # two pixels, stay in registers: each pixel writes the cell of the
                # row below that no later pixel adds to, with the additions in the
                # usual order.
                ahead_r = ahead_g = ahead_b = 0.0
                last_r = last_g = last_b = 0.0
                before_r = before_g = before_b = 0.0
                for k in range(width):
                    x = k if forward else width - 1 - k
                    er = current[(x + 1) * 3] + ahead_r
                    eg = current[(x + 1) * 3 + 1] + ahead_g
                    eb = current[(x + 1) * 3 + 2] + ahead_b
                    scale = strength[y, x]
                    carried = (er * er + eg * eg + eb * eb) * (scale * scale)
                    if carried > error_limit:
                        scale *= sqrt(error_limit / carried)
                    r = image[y, x, 0] + scale * er
                    g = image[y, x, 1] + scale * eg
                    b = image[y, x, 2] + scale * eb
                    r = _min2(_max2(r, low_r), high_r)
                    g = _min2(_max2(g, low_g), high_g)
                    b = _min2(_max2(b, low_b), high_b)
                    dr, dg, db = r - centers[j, 0], g - centers[j, 1], b - centers[j, 2]
                    if dr * dr + dg * dg + db * db >= quarter_gap[j]:
                        j = _nearest_on_grid_3(
                            r, g, b, centers, low, inverse_size, cells_per_axis,
                            listed, starts,
                        )
                    labels[y, x] = <int16_t> j
                    er, eg, eb = r - centers[j, 0], g - centers[j, 1], b - centers[j, 2]
                    ahead_r, ahead_g, ahead_b = (
                        er * ahead_share, eg * ahead_share, eb * ahead_share
                    )
                    behind = (x + 1 - step) * 3
                    below[behind] = (
                        before_r * past_share + last_r * under_share + er * behind_share
                    )
                    below[behind + 1] = (
                        before_g * past_share + last_g * under_share + eg * behind_share
                    )
                    below[behind + 2] = (
                        before_b * past_share + last_b * under_share + eb * behind_share
                    )
                    before_r, before_g, before_b = last_r, last_g, last_b
                    last_r, last_g, last_b = er, eg, eb
                # Below the row's last pixel: its share and its neighbor's.
                x = (width - 1 if forward else 0) + 1
                below[x * 3] = before_r * past_share + last_r * under_share
                below[x * 3 + 1] = before_g * past_share + last_g * under_share
                below[x * 3 + 2] = before_b * past_share + last_b * under_share
                swap = current
                current = below
                below = swap
        finally:
            free(quarter_gap)
            free(current)
            free(below)


cdef inline double _second_difference(
    const pixel_t* before, const pixel_t* pixel, const pixel_t* after,
    Py_ssize_t n_channels,
) noexcept nogil:
    """Largest ``|before + after - 2 pixel|`` over the channels (in integers for
    uint8 data, exact and without conversions)."""
    cdef Py_ssize_t channel
    cdef int whole, largest_whole = 0
    cdef double value, largest = 0.0
    if pixel_t is cython.uchar:
        for channel in range(n_channels):
            whole = <int> before[channel] + <int> after[channel] - 2 * <int> pixel[channel]
            whole = whole if whole >= 0 else -whole
            largest_whole = whole if whole > largest_whole else largest_whole
        return <double> largest_whole
    for channel in range(n_channels):
        value = fabs(before[channel] + after[channel] - 2.0 * pixel[channel])
        largest = _max2(value, largest)
    return largest


cdef inline float _fmin(float a, float b) noexcept nogil:
    return b if b < a else a


cdef inline float _fmax(float a, float b) noexcept nogil:
    return b if b > a else a


cdef void _cross_filter(
    const float* source, float* target, Py_ssize_t height, Py_ssize_t width,
    bint take_max,
) noexcept nogil:
    """The least (or greatest) of each value and its four neighbors, edges
    repeated. Row by row, in loops over contiguous values that the compiler
    turns into vector instructions."""
    cdef Py_ssize_t y, x
    cdef const float* above
    cdef const float* row
    cdef const float* below
    cdef float* out
    for y in range(height):
        above = source + (y - 1 if y > 0 else 0) * width
        row = source + y * width
        below = source + (y + 1 if y < height - 1 else height - 1) * width
        out = target + y * width
        if take_max:
            for x in range(width):
                out[x] = _fmax(_fmax(row[x], above[x]), below[x])
            for x in range(1, width - 1):
                out[x] = _fmax(_fmax(out[x], row[x - 1]), row[x + 1])
        else:
            for x in range(width):
                out[x] = _fmin(_fmin(row[x], above[x]), below[x])
            for x in range(1, width - 1):
                out[x] = _fmin(_fmin(out[x], row[x - 1]), row[x + 1])
        if width > 1:
            # The edge's missing neighbor repeats the edge, already counted.
            if take_max:
                out[0] = _fmax(out[0], row[1])
                out[width - 1] = _fmax(out[width - 1], row[width - 2])
            else:
                out[0] = _fmin(out[0], row[1])
                out[width - 1] = _fmin(out[width - 1], row[width - 2])


cdef inline int _second_difference_3(
    const unsigned char* before, const unsigned char* pixel,
    const unsigned char* after,
) noexcept nogil:
    """``_second_difference`` of 3-channel uint8 colors, written out."""
    cdef int r = <int> before[0] + <int> after[0] - 2 * <int> pixel[0]
    cdef int g = <int> before[1] + <int> after[1] - 2 * <int> pixel[1]
    cdef int b = <int> before[2] + <int> after[2] - 2 * <int> pixel[2]
    r = r if r >= 0 else -r
    g = g if g >= 0 else -g
    b = b if b >= 0 else -b
    r = g if g > r else r
    return b if b > r else r


cdef void _uint8_flatness_row(
    const unsigned char* row, const unsigned char* above,
    const unsigned char* below, Py_ssize_t width, double contrast_scale,
    float* flatness,
) noexcept nogil:
    """``1 - min(contrast_scale * edge, 1)`` along one row of 3-channel uint8
    colors, ``edge`` the larger second difference across each pixel."""
    cdef Py_ssize_t x, left, right
    cdef int edge, vertical
    for x in range(width):
        left = (x - 1 if x > 0 else 0) * 3
        right = (x + 1 if x < width - 1 else width - 1) * 3
        edge = _second_difference_3(row + left, row + 3 * x, row + right)
        vertical = _second_difference_3(above + 3 * x, row + 3 * x, below + 3 * x)
        edge = vertical if vertical > edge else edge
        flatness[x] = <float> (1.0 - _min2(contrast_scale * edge, 1.0))


def dither_map(
    const pixel_t[:, :, ::1] image,
    const labels_t[:, ::1] plain,
    double contrast_scale,
    double lift,
    double run_half,
    double base,
    float[:, ::1] strength,
):
    """Share of the diffused error that each pixel of ``image`` ``(H, W, C)``
    takes, into ``strength``.

    Two things turn diffusion down. Edges: a pixel whose second difference
    across it (times ``contrast_scale``) is large sits on an edge, where
    diffused error smears the edge and the eye needs no help; the edge measure
    is eroded then dilated so that a thin line of texture does not switch a
    region off. Texture: where ``plain``, the undithered labels, already changes
    from pixel to pixel, the image's own detail hides banding; where it runs
    long with equal neighbors above and below, banding shows and dithering gets
    full strength. A run of ``n`` pixels with ``m`` equal neighbors takes
    ``1 - run_half / (run_half + 10 n + 15 m)``.
    """
    cdef Py_ssize_t height = image.shape[0], width = image.shape[1]
    cdef Py_ssize_t n_channels = image.shape[2]
    cdef Py_ssize_t y, x, up, down, left, right, start, stop, i
    cdef double horizontal, vertical
    cdef double count, factor, lifted = 1.0 / (1.0 + lift)
    cdef float* flatness
    cdef float* spread
    with nogil:
        flatness = <float*> malloc(height * width * sizeof(float))
        spread = <float*> malloc(height * width * sizeof(float))
        try:
            for y in range(height):
                up = y - 1 if y > 0 else 0
                down = y + 1 if y < height - 1 else height - 1
                if pixel_t is cython.uchar:
                    if n_channels == 3:
                        # The common case, in integers on row pointers.
                        _uint8_flatness_row(
                            &image[y, 0, 0], &image[up, 0, 0], &image[down, 0, 0],
                            width, contrast_scale, flatness + y * width,
                        )
                        continue
                for x in range(width):
                    left = x - 1 if x > 0 else 0
                    right = x + 1 if x < width - 1 else width - 1
                    horizontal = _second_difference(
                        &image[y, left, 0], &image[y, x, 0], &image[y, right, 0],
                        n_channels,
                    )
                    vertical = _second_difference(
                        &image[up, x, 0], &image[y, x, 0], &image[down, x, 0],
                        n_channels,
                    )
                    flatness[y * width + x] = <float> (
                        1.0 - _min2(contrast_scale * _max2(horizontal, vertical), 1.0)
                    )
            _cross_filter(flatness, spread, height, width, False)
            _cross_filter(spread, flatness, height, width, True)
            for y in range(height):
                start = 0
                while start < width:
                    stop = start + 1
                    while stop < width and plain[y, stop] == plain[y, start]:
                        stop += 1
                    count = 10.0 * (stop - start)
                    for i in range(start, stop):
                        if y > 0 and plain[y - 1, i] == plain[y, start]:
                            count += 15.0
                        if y < height - 1 and plain[y + 1, i] == plain[y, start]:
                            count += 15.0
                    factor = base * (1.0 - run_half / (run_half + count)) * lifted
                    for i in range(start, stop):
                        strength[y, i] = <float> ((flatness[y * width + i] + lift) * factor)
                    start = stop
        finally:
            free(flatness)
            free(spread)
