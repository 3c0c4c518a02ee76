"""Compiled dithering scans: Floyd-Steinberg error diffusion and an ordered
pattern, looking colors up in the candidate lists of ``list_grid``."""

import numpy as np
from numba import njit

from ._assign_kernels import nearest_on_grid, squared_distance


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
                    quarter_gap[j], 0.25 * squared_distance(centers, j, centers, other)
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
                j = nearest_on_grid(
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


@njit(cache=True, nogil=True)
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
    first_row,
    stop_row,
):
    """Nearest center of every pixel of the rows ``first_row:stop_row`` of
    ``images`` ``(N, H, W, C)``, counted across images, plus the ``offsets``
    pattern tiled over the image (clamped into the grid's box)."""
    _, height, width, n_channels = images.shape
    period_y, period_x = offsets.shape
    value = np.empty(n_channels)
    for row in range(first_row, stop_row):
        image, y = np.int64(row) // height, np.int64(row) % height
        for x in range(width):
            shift = offsets[y % period_y, x % period_x]
            for channel in range(n_channels):
                value[channel] = images[image, y, x, channel] + shift
            labels[image, y, x] = nearest_on_grid(
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
def nearest_on_grid_3(
    r, g, b, centers, low, inverse_size, cells_per_axis, listed, starts
):
    """``nearest_on_grid`` for 3 channels already clamped into the box."""
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
                j = nearest_on_grid_3(
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
