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

from ._nearest cimport _max2, _min2, quarter_gaps

# The working space of uint8 RGB is the data itself: scans read uint8 or float64.
ctypedef fused pixel_t:
    unsigned char
    double

# Undithered labels, as the nearest-color search returns them.
ctypedef fused labels_t:
    unsigned char
    int16_t
    int64_t


# Error diffusion scans an image as this many bands of rows, each a chain of
# its own (``band_start``): two chains ran 1.2x as fast as one, four no faster
# than two.
cdef enum:
    _N_BANDS = 2
N_BANDS = _N_BANDS


cpdef Py_ssize_t band_start(Py_ssize_t band, Py_ssize_t height) noexcept nogil:
    """The first row of band ``band`` of an image (``height`` for the band past
    the last): even, so that every band's rows run the same way."""
    if band >= _N_BANDS:
        return height
    return 2 * ((band * height + _N_BANDS) // (2 * _N_BANDS))


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
    palette's colors) before its nearest palette color is found. No error
    crosses from one band of rows (``band_start``) into the next, as in
    ``floyd_steinberg_3``.
    """
    cdef Py_ssize_t height = image.shape[0], width = image.shape[1]
    cdef Py_ssize_t n_channels = image.shape[2], n_centers = centers.shape[0]
    cdef Py_ssize_t y, k, x, channel, previous, j = 0, step
    cdef Py_ssize_t band = 1
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
            quarter_gaps(&centers[0, 0], n_centers, centers.shape[1], quarter_gap)
            memset(current, 0, (width + 2) * n_channels * sizeof(double))
            memset(below, 0, (width + 2) * n_channels * sizeof(double))
            for y in range(height):
                while band < _N_BANDS and y == band_start(band, height):
                    # Each band is a chain of its own, as in floyd_steinberg_3.
                    memset(current, 0, (width + 2) * n_channels * sizeof(double))
                    band += 1
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


cdef struct _Grid:
    # The grid's lists for 3 channels (``_nearest_on_grid``), as pointers.
    double low[3]
    double high[3]
    double inverse_size[3]
    Py_ssize_t top
    Py_ssize_t cells_per_axis
    const double* centers
    const int16_t* listed
    const int64_t* starts


cdef inline Py_ssize_t _nearest_on_grid_3(
    const _Grid* grid, double r, double g, double b
) noexcept nogil:
    """``_nearest_on_grid`` for 3 channels already clamped into the box, the
    centers' rows at a stride the compiler knows."""
    cdef Py_ssize_t top = grid.top, cell, index, first, stop, best, k, j
    cdef double best_distance = INFINITY, dr, dg, db, distance
    cdef const double* centers = grid.centers
    index = <Py_ssize_t> ((r - grid.low[0]) * grid.inverse_size[0])
    cell = index if index < top else top
    index = <Py_ssize_t> ((g - grid.low[1]) * grid.inverse_size[1])
    cell = cell * grid.cells_per_axis + (index if index < top else top)
    index = <Py_ssize_t> ((b - grid.low[2]) * grid.inverse_size[2])
    cell = cell * grid.cells_per_axis + (index if index < top else top)
    first, stop = grid.starts[cell], grid.starts[cell + 1]
    best = grid.listed[first]
    for k in range(first, stop):
        j = grid.listed[k]
        dr = r - centers[3 * j]
        dg = g - centers[3 * j + 1]
        db = b - centers[3 * j + 2]
        distance = dr * dr + dg * dg + db * db
        if distance < best_distance:
            best, best_distance = j, distance
    return best


cdef struct _Chain:
    # One error-diffusion scan: the error carried to the next pixel, the errors
    # of the last two pixels, the rows of error.
    double ahead_r, ahead_g, ahead_b
    double last_r, last_g, last_b
    double before_r, before_g, before_b
    double* current
    double* below


cdef inline void _start_row(_Chain* chain) noexcept nogil:
    chain.ahead_r = chain.ahead_g = chain.ahead_b = 0.0
    chain.last_r = chain.last_g = chain.last_b = 0.0
    chain.before_r = chain.before_g = chain.before_b = 0.0


cdef inline void _end_row(_Chain* chain, Py_ssize_t x) noexcept nogil:
    """Below the row's last pixel ``x``: its share and its neighbor's; then the
    row below becomes the current one."""
    cdef double past_share = 1 / 16.0, under_share = 5 / 16.0
    cdef double* swap
    x = (x + 1) * 3
    chain.below[x] = chain.before_r * past_share + chain.last_r * under_share
    chain.below[x + 1] = chain.before_g * past_share + chain.last_g * under_share
    chain.below[x + 2] = chain.before_b * past_share + chain.last_b * under_share
    swap = chain.current
    chain.current = chain.below
    chain.below = swap


cdef inline int16_t _diffuse_pixel(
    _Chain* chain,
    const _Grid* grid,
    const pixel_t* pixel,
    double scale,
    Py_ssize_t x,
    Py_ssize_t step,
    double error_limit,
) noexcept nogil:
    """Label of ``pixel`` (3 channels) at column ``x`` of ``chain``'s row, the
    error that reaches it scaled by ``scale`` and shortened to ``error_limit``,
    clamped into the grid's box; its error passed on.

    Every pixel searches its cell's list: a shortcut for colors near the last
    pixel's (as ``floyd_steinberg`` takes) costs a branch that goes either way,
    which cost as much as it saved.
    """
    cdef double ahead_share = 7 / 16.0, behind_share = 3 / 16.0
    cdef double under_share = 5 / 16.0, past_share = 1 / 16.0
    cdef double r, g, b, er, eg, eb, carried
    cdef const double* center
    cdef Py_ssize_t j, behind
    er = chain.current[(x + 1) * 3] + chain.ahead_r
    eg = chain.current[(x + 1) * 3 + 1] + chain.ahead_g
    eb = chain.current[(x + 1) * 3 + 2] + chain.ahead_b
    carried = (er * er + eg * eg + eb * eb) * (scale * scale)
    if carried > error_limit:
        scale *= sqrt(error_limit / carried)
    r = _min2(_max2(pixel[0] + scale * er, grid.low[0]), grid.high[0])
    g = _min2(_max2(pixel[1] + scale * eg, grid.low[1]), grid.high[1])
    b = _min2(_max2(pixel[2] + scale * eb, grid.low[2]), grid.high[2])
    j = _nearest_on_grid_3(grid, r, g, b)
    center = grid.centers + 3 * j
    er, eg, eb = r - center[0], g - center[1], b - center[2]
    chain.ahead_r, chain.ahead_g, chain.ahead_b = (
        er * ahead_share, eg * ahead_share, eb * ahead_share
    )
    # Each pixel writes the cell of the row below that no later pixel adds to,
    # with the additions in the usual order.
    behind = (x + 1 - step) * 3
    chain.below[behind] = (
        chain.before_r * past_share + chain.last_r * under_share + er * behind_share
    )
    chain.below[behind + 1] = (
        chain.before_g * past_share + chain.last_g * under_share + eg * behind_share
    )
    chain.below[behind + 2] = (
        chain.before_b * past_share + chain.last_b * under_share + eb * behind_share
    )
    chain.before_r, chain.before_g, chain.before_b = (
        chain.last_r, chain.last_g, chain.last_b
    )
    chain.last_r, chain.last_g, chain.last_b = er, eg, eb
    return <int16_t> j


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
    """``floyd_steinberg`` for 3 channels, written out channel by channel: 3
    channels are the common case.

    Each pixel's search waits on the last pixel's error, so one scan leaves the
    processor idle much of the time. The image's bands of rows (``band_start``)
    are scanned as chains of their own, a pixel of each in turn, which the
    processor overlaps; no error crosses from one band into the next.
    """
    cdef Py_ssize_t height = image.shape[0], width = image.shape[1]
    cdef Py_ssize_t n_rows = 0, row, y, k, x, step, band, n_active
    # A map of one value for all (np.broadcast_to) has a stride of 0.
    cdef Py_ssize_t strength_step = strength.strides[1] // sizeof(float)
    cdef Py_ssize_t first_row[_N_BANDS]
    cdef Py_ssize_t stop_row[_N_BANDS]
    cdef const pixel_t* pixels[_N_BANDS]
    cdef const float* strengths[_N_BANDS]
    cdef int16_t* out[_N_BANDS]
    cdef _Chain* active[_N_BANDS]
    cdef _Chain chains[_N_BANDS]
    cdef _Grid grid
    cdef double* rows
    if height == 0 or width == 0:
        return
    for k in range(3):
        grid.low[k], grid.high[k] = low[k], high[k]
        grid.inverse_size[k] = inverse_size[k]
    grid.top, grid.cells_per_axis = cells_per_axis - 1, cells_per_axis
    grid.centers, grid.listed, grid.starts = &centers[0, 0], &listed[0], &starts[0]
    for band in range(_N_BANDS):
        first_row[band] = band_start(band, height)
        stop_row[band] = band_start(band + 1, height)
        n_rows = _max_index(n_rows, stop_row[band] - first_row[band])
    with nogil:
        # Two error rows per chain, with one pixel of margin on each side.
        rows = <double*> malloc(2 * _N_BANDS * (width + 2) * 3 * sizeof(double))
        try:
            memset(rows, 0, 2 * _N_BANDS * (width + 2) * 3 * sizeof(double))
            for band in range(_N_BANDS):
                chains[band].current = rows + 2 * band * (width + 2) * 3
                chains[band].below = rows + (2 * band + 1) * (width + 2) * 3
            for row in range(n_rows):
                # Bands start on even rows: all their rows run the same way.
                step = 1 if row % 2 == 0 else -1
                n_active = 0
                for band in range(_N_BANDS):
                    y = first_row[band] + row
                    if y < stop_row[band]:
                        active[n_active] = &chains[band]
                        pixels[n_active] = &image[y, 0, 0]
                        strengths[n_active] = &strength[y, 0]
                        out[n_active] = &labels[y, 0]
                        _start_row(&chains[band])
                        n_active += 1
                if n_active == _N_BANDS:
                    # Written out, so that the compiler interleaves the chains.
                    for k in range(width):
                        x = k if step == 1 else width - 1 - k
                        out[0][x] = _diffuse_pixel(
                            active[0], &grid, pixels[0] + 3 * x,
                            strengths[0][x * strength_step], x, step, error_limit,
                        )
                        out[1][x] = _diffuse_pixel(
                            active[1], &grid, pixels[1] + 3 * x,
                            strengths[1][x * strength_step], x, step, error_limit,
                        )
                else:
                    for k in range(width):
                        x = k if step == 1 else width - 1 - k
                        for band in range(n_active):
                            out[band][x] = _diffuse_pixel(
                                active[band], &grid, pixels[band] + 3 * x,
                                strengths[band][x * strength_step], x, step,
                                error_limit,
                            )
                x = width - 1 if step == 1 else 0
                for band in range(n_active):
                    _end_row(active[band], x)
        finally:
            free(rows)


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


cdef void _cross_row(
    const float* above, const float* row, const float* below, float* out,
    Py_ssize_t width, bint take_max,
) noexcept nogil:
    """The least (or greatest) of each value of ``row`` and its four neighbors,
    edges repeated, in loops over contiguous values that the compiler turns
    into vector instructions."""
    cdef Py_ssize_t x
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


cdef void _uint8_flatness_row(
    const unsigned char* row, const unsigned char* above,
    const unsigned char* below, Py_ssize_t width, const float* by_edge,
    int16_t* edges, float* flatness,
) noexcept nogil:
    """``1 - min(contrast_scale * edge, 1)`` along one row of 3-channel uint8
    colors, ``edge`` the larger second difference across each pixel, from the
    table ``by_edge`` of its 511 values. Channel by channel over the row's
    bytes first, in loops the compiler turns into vector instructions;
    ``edges`` (``3 * width``) is scratch."""
    cdef Py_ssize_t i, x, n = 3 * width
    cdef int16_t difference, largest
    for i in range(n):
        difference = <int16_t> above[i] + <int16_t> below[i] - 2 * <int16_t> row[i]
        edges[i] = difference if difference >= 0 else -difference
    for i in range(3, n - 3):
        difference = <int16_t> row[i - 3] + <int16_t> row[i + 3] - 2 * <int16_t> row[i]
        difference = difference if difference >= 0 else -difference
        edges[i] = difference if difference > edges[i] else edges[i]
    if width > 1:
        # An end pixel's missing neighbor repeats it.
        for i in range(3):
            difference = <int16_t> row[i + 3] - <int16_t> row[i]
            difference = difference if difference >= 0 else -difference
            edges[i] = difference if difference > edges[i] else edges[i]
            difference = <int16_t> row[n - 6 + i] - <int16_t> row[n - 3 + i]
            difference = difference if difference >= 0 else -difference
            edges[n - 3 + i] = difference if difference > edges[n - 3 + i] else edges[n - 3 + i]
    for x in range(width):
        largest = edges[3 * x]
        largest = edges[3 * x + 1] if edges[3 * x + 1] > largest else largest
        largest = edges[3 * x + 2] if edges[3 * x + 2] > largest else largest
        flatness[x] = by_edge[largest]


cdef void _flatness_row(
    const pixel_t[:, :, ::1] image, Py_ssize_t y, double contrast_scale,
    const float* by_edge, int16_t* edges, float* flatness,
) noexcept nogil:
    """``_uint8_flatness_row`` for row ``y`` of any image."""
    cdef Py_ssize_t height = image.shape[0], width = image.shape[1]
    cdef Py_ssize_t n_channels = image.shape[2], x, left, right
    cdef Py_ssize_t up = y - 1 if y > 0 else 0
    cdef Py_ssize_t down = y + 1 if y < height - 1 else height - 1
    cdef double horizontal, vertical
    if pixel_t is cython.uchar:
        if n_channels == 3:
            # The common case, in integers on row pointers.
            _uint8_flatness_row(
                &image[y, 0, 0], &image[up, 0, 0], &image[down, 0, 0],
                width, by_edge, edges, flatness,
            )
            return
    for x in range(width):
        left = x - 1 if x > 0 else 0
        right = x + 1 if x < width - 1 else width - 1
        horizontal = _second_difference(
            &image[y, left, 0], &image[y, x, 0], &image[y, right, 0], n_channels
        )
        vertical = _second_difference(
            &image[up, x, 0], &image[y, x, 0], &image[down, x, 0], n_channels
        )
        flatness[x] = <float> (
            1.0 - _min2(contrast_scale * _max2(horizontal, vertical), 1.0)
        )


# Runs whose count is below this take their factor from a table (a division
# per pixel cost a fifth of the map).
cdef enum:
    _FACTORS = 4096


cdef inline double _run_factor(
    int64_t count, double run_half, double base, double lifted
) noexcept nogil:
    """The share of a run of ``count`` (``dither_map``), before the lift."""
    return base * (1.0 - run_half / (run_half + <double> count)) * lifted


cdef void _texture_row(
    const labels_t* row, const labels_t* above, const labels_t* below,
    Py_ssize_t width, const float* flatness, double lift, double run_half,
    double base, const double* factors, int64_t* total, Py_ssize_t* run_start,
    float* strength,
) noexcept nogil:
    """A row of the strength map from its flatness: each run of equal undithered
    labels in ``row`` counts 10 per pixel and 15 per equal neighbor in ``above``
    or ``below`` (either NULL at the image's edge). Prefix sums of those counts
    give each pixel its run's total, so no loop branches at run ends. ``total``
    (``width + 1``) and ``run_start`` (``width``) are scratch."""
    cdef Py_ssize_t x, start, stop
    cdef double factor, lifted = 1.0 / (1.0 + lift)
    cdef int64_t running = 0, whole
    cdef int64_t above_weight = 15 if above != NULL else 0
    cdef int64_t below_weight = 15 if below != NULL else 0
    # At the image's edge the row itself stands in, with no weight.
    above = above if above != NULL else row
    below = below if below != NULL else row
    total[0] = 0
    start = 0
    for x in range(width):
        running += 10 + (
            above_weight * (above[x] == row[x]) + below_weight * (below[x] == row[x])
        )
        total[x + 1] = running
        if x > 0:
            start = start if row[x] == row[x - 1] else x
        run_start[x] = start
    stop = width
    for x in range(width - 1, -1, -1):
        if x < width - 1:
            stop = stop if row[x] == row[x + 1] else x + 1
        whole = total[stop] - total[run_start[x]]
        if whole < _FACTORS:
            factor = factors[whole]
        else:
            factor = _run_factor(whole, run_half, base, lifted)
        strength[x] = <float> ((flatness[x] + lift) * factor)


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

    The map is made row by row, the edge measure's rows kept in rings of 3 rows:
    whole-image passes went to memory four times over.
    """
    cdef Py_ssize_t height = image.shape[0], width = image.shape[1]
    cdef Py_ssize_t y, row, made_flat = 0, made_eroded = 0
    cdef float* flat
    cdef float* eroded
    cdef float* dilated
    cdef int64_t* total
    cdef Py_ssize_t* run_start
    cdef int16_t* edges
    cdef double factors[_FACTORS]
    cdef float by_edge[511]
    cdef int64_t count
    if height == 0 or width == 0:
        return
    for count in range(_FACTORS):
        factors[count] = _run_factor(count, run_half, base, 1.0 / (1.0 + lift))
    for count in range(511):
        by_edge[count] = <float> (1.0 - _min2(contrast_scale * count, 1.0))
    with nogil:
        flat = <float*> malloc(3 * width * sizeof(float))
        eroded = <float*> malloc(3 * width * sizeof(float))
        dilated = <float*> malloc(width * sizeof(float))
        total = <int64_t*> malloc((width + 1) * sizeof(int64_t))
        run_start = <Py_ssize_t*> malloc(width * sizeof(Py_ssize_t))
        edges = <int16_t*> malloc(3 * width * sizeof(int16_t))
        try:
            for y in range(height):
                # Eroded rows up to y + 1, each from flatness rows up to its next.
                while made_eroded <= _min_index(y + 1, height - 1):
                    row = made_eroded
                    while made_flat <= _min_index(row + 1, height - 1):
                        _flatness_row(
                            image, made_flat, contrast_scale, by_edge, edges,
                            flat + (made_flat % 3) * width,
                        )
                        made_flat += 1
                    _cross_row(
                        flat + (_max_index(row - 1, 0) % 3) * width,
                        flat + (row % 3) * width,
                        flat + (_min_index(row + 1, height - 1) % 3) * width,
                        eroded + (row % 3) * width,
                        width,
                        False,
                    )
                    made_eroded += 1
                _cross_row(
                    eroded + (_max_index(y - 1, 0) % 3) * width,
                    eroded + (y % 3) * width,
                    eroded + (_min_index(y + 1, height - 1) % 3) * width,
                    dilated,
                    width,
                    True,
                )
                _texture_row(
                    &plain[y, 0],
                    &plain[y - 1, 0] if y > 0 else NULL,
                    &plain[y + 1, 0] if y < height - 1 else NULL,
                    width, dilated, lift, run_half, base, factors, total, run_start,
                    &strength[y, 0],
                )
        finally:
            free(flat)
            free(eroded)
            free(dilated)
            free(total)
            free(run_start)
            free(edges)


cdef inline Py_ssize_t _min_index(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    return a if a < b else b


cdef inline Py_ssize_t _max_index(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    return a if a > b else b
