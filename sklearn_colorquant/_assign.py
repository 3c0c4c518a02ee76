"""Nearest palette color for each color: exact, in bounded memory, remembered.

Colors live in 3 or 4 dimensions, where a uniform grid over the points prunes the
centers worth trying in each cell to a handful. For uint8 data of up to 3
channels, what was worked out for one image is kept for the next (see
``PaletteIndex``).
"""

import threading
from dataclasses import dataclass

import numpy as np

from . import _assign_kernels as kernels
from ._distinct import distinct_colors, pack_uint8, unpack_uint8
from ._threads import run_blocks


def palette_colors(palette, labels):
    """The palette row of every label, ``palette[labels]``: ``np.take`` gathers rows
    about twice as fast as fancy indexing, which counts at image sizes."""
    return np.take(palette, labels, axis=0)


# A grid prunes well in few dimensions only; above this, it cuts the first 3.
MAX_GRID_DIMENSIONS = 4
# Assignment grids aim for this many points per occupied cell.
_POINTS_PER_CELL = 8
_MAX_CELLS_PER_AXIS = 32
# Colors per call of the nearest-center kernel: bounds the working memory.
_BLOCK_COLORS = 1 << 20
# Cube cells keep lists of up to this many palette colors (int16 entries).
_MAX_CUBE_COLORS = 256


@dataclass(frozen=True)
class Grid:
    """The points of an array, listed cell by cell of a uniform grid."""

    order: np.ndarray  # point indices, cell by cell
    cell_starts: np.ndarray  # the points of cell c are order[starts[c]:starts[c + 1]]
    cell_lows: np.ndarray  # lowest corner of the box of each occupied cell's points
    cell_highs: np.ndarray  # highest corner of that box
    cell_of_point: np.ndarray  # occupied-cell index of each point


def build_grid(points, cells_per_axis=None):
    """Uniform grid over the bounding box of ``points``, by default sized to their
    number; above 4 dimensions, cut along the first 3 only (the RGB of RGB beside
    CIELAB, which decides the rest), each cell spanning the others' whole range.
    """
    n_points, n_channels = points.shape
    n_gridded = n_channels if n_channels <= MAX_GRID_DIMENSIONS else 3
    if cells_per_axis is None:
        per_axis = (max(n_points, 1) / _POINTS_PER_CELL) ** (1 / max(n_gridded, 1))
        cells_per_axis = int(np.clip(round(per_axis), 1, _MAX_CELLS_PER_AXIS))
    points = np.ascontiguousarray(points, dtype=np.float64)
    if n_points == 0:
        raise ValueError("A grid needs at least one point.")
    return Grid(*kernels.grid_cells(points, cells_per_axis, n_gridded))


def nearest_center(points, centers, grid=None, *, ties=False):
    """Exact nearest center (lowest index on ties) and squared distance of each point.

    Parameters
    ----------
    points : ndarray of shape (n_points, n_channels), float64
    centers : ndarray of shape (n_centers, n_channels), float64
    grid : Grid, optional
        ``build_grid(points)``, when the caller reuses it across calls. Without
        it, a few points are compared with every center instead.
    ties : bool
        Also return which points are exactly as near another center as their
        own: the only points whose center can change when the centers are
        listed in another order.

    Returns
    -------
    labels : ndarray of shape (n_points,), int64
    distances : ndarray of shape (n_points,), float64
    tied : ndarray of shape (n_points,), bool
        Only with ``ties``.
    """
    points = np.ascontiguousarray(points, dtype=np.float64)
    centers = np.ascontiguousarray(centers, dtype=np.float64)
    labels = np.empty(len(points), dtype=np.int64)
    distances = np.empty(len(points), dtype=np.float64)
    tied = np.zeros(len(points) if ties else 0, dtype=np.bool_)
    # The kernels take booleans as bytes.
    tied_bytes = tied.view(np.uint8)
    if grid is None and len(points) <= 4 * len(centers):
        # Too few points to pay for a grid.
        run_blocks(
            lambda start, stop: kernels.nearest_brute(
                points, centers, labels, distances, tied_bytes, start, stop
            ),
            len(points),
            work_per_item=len(centers),
        )
    else:
        grid = build_grid(points) if grid is None else grid
        n_cells = len(grid.cell_lows)
        run_blocks(
            lambda first, stop: kernels.nearest_in_cells(
                points,
                grid.order,
                grid.cell_starts,
                grid.cell_lows,
                grid.cell_highs,
                centers,
                labels,
                distances,
                tied_bytes,
                first,
                stop,
            ),
            n_cells,
            # About a dozen candidates per point, more for large palettes.
            work_per_item=len(points) / n_cells * (8 + len(centers) ** 0.5),
        )
    return (labels, distances, tied) if ties else (labels, distances)


def list_grid(centers, low, cell_size, cells_per_axis, wanted=None):
    """For every cell of a uniform grid from ``low``, the centers that can be
    nearest to one of its points: ``(listed, starts)``, the lists end to end, cell
    ``c``'s from ``starts[c]`` to ``starts[c + 1]``. With ``wanted`` (a boolean
    per cell, cells in C order), the other cells' lists are left empty.

    Each block of ``GRID_BLOCK`` cells per axis lists the centers that can win
    anywhere in it first, and its cells choose among those.
    """
    n_centers, n_channels = centers.shape
    # Blocks tile the grid exactly: one block when GRID_BLOCK does not divide it.
    blocks_per_axis = max(cells_per_axis // kernels.GRID_BLOCK, 1)
    if cells_per_axis % kernels.GRID_BLOCK != 0:
        blocks_per_axis = 1
    block_cells = cells_per_axis // blocks_per_axis
    n_blocks = blocks_per_axis**n_channels
    if wanted is None:
        wanted = np.ones(cells_per_axis**n_channels, dtype=bool)
        blocks = np.arange(n_blocks)
    else:
        # Cell axes split into (block, cell within the block): a block is
        # listed if any of its cells is wanted.
        by_block = wanted.reshape((blocks_per_axis, block_cells) * n_channels)
        blocks = np.flatnonzero(by_block.any(axis=tuple(range(1, 2 * n_channels, 2))))
    block_lists = np.empty((n_blocks, n_centers), dtype=np.int64)
    n_block_listed = np.zeros(n_blocks, dtype=np.int64)
    geometry = (centers, low, cell_size)
    run_blocks(
        lambda first, stop: kernels.list_blocks(
            *geometry,
            blocks_per_axis,
            block_cells,
            blocks,
            block_lists,
            n_block_listed,
            first,
            stop,
        ),
        len(blocks),
        work_per_item=4 * n_centers * n_channels,
    )
    width = int(n_block_listed.max())
    cell_lists = np.empty((cells_per_axis**n_channels, width), dtype=np.int16)
    n_listed = np.zeros(cells_per_axis**n_channels, dtype=np.int64)
    run_blocks(
        lambda first, stop: kernels.list_cells(
            *geometry,
            cells_per_axis,
            blocks_per_axis,
            block_cells,
            blocks,
            wanted.view(np.uint8),
            block_lists,
            n_block_listed,
            cell_lists,
            n_listed,
            first,
            stop,
        ),
        len(blocks),
        # Dropping dominated candidates compares them pairwise.
        work_per_item=block_cells**n_channels * width * (4 + width / 4),
    )
    return kernels.join_lists(cell_lists, n_listed)


class PaletteIndex:
    """Maps pixels to the index of their nearest palette color.

    Parameters
    ----------
    centers : ndarray of shape (n_colors, n_channels), float64
        The palette in the working color space.
    color_space : ColorSpace
        The working color space, into which pixels are converted.

    Notes
    -----
    uint8 pixels of up to 3 channels never go through a search over distinct
    colors. Where their working coordinates are the data (``"rgb"``), with at
    most 256 colors, the uint8 cube is cut into cells
    of 8 levels per channel, each listing the palette colors that can be nearest
    to one of its colors (often just one): a pixel costs a few exact distances.
    ``prepare`` lists the cells its colors fall in; the first pixel met in
    another cell, or the first pixels without ``prepare``, list them all. In the other
    cases, a table of ``256 ** n_channels`` entries (32 MiB for RGB, its pages
    touched only where colors occur) keeps the index of every color met, so that
    the quantizer gets faster as it meets the same colors again. Threads may use
    one index at once: the lists are made under a lock, and a table entry is only
    ever written with its one right value.
    """

    def __init__(self, centers, color_space):
        # The compiled loops are specialized by memory layout: one layout, one build.
        self.centers = np.ascontiguousarray(centers, dtype=np.float64)
        self.color_space = color_space
        self._cube = None  # (listed, starts): the cube's candidate lists
        self._whole_cube = False  # whether they cover every cell
        self._quarter_gap = None  # the shortcut of nearest_in_cube, per center
        self._table = None
        self._lock = threading.Lock()

    def __getstate__(self):
        # What it keeps is a cache: made again on use rather than pickled.
        return {"centers": self.centers, "color_space": self.color_space}

    def __setstate__(self, state):
        self.__init__(state["centers"], state["color_space"])

    def prepare(self, colors, labels):
        """Make ready for pixels like the distinct ``colors`` of known ``labels``."""
        if not _is_small_uint8(colors):
            return
        if self._uses_cube():
            self._get_cube(colors)
        else:
            self._get_table(colors.shape[1])[pack_uint8(colors)] = labels + 1

    def labels(self, pixels):
        """Palette index of each pixel, shape ``(n_pixels,)``: uint8 from the
        cube's lists, int64 otherwise."""
        if _is_small_uint8(pixels):
            if self._uses_cube():
                # At most 256 colors: uint8 labels, the size of the output.
                labels = np.empty(len(pixels), dtype=np.uint8)
                if self._labels_from_cube(pixels, labels, self._get_cube()):
                    # Pixels in cells that the fit's colors did not reach.
                    self._labels_from_cube(pixels, labels, self._get_cube(whole=True))
                return labels
            return self._labels_from_table(pixels)
        colors, _, inverse = distinct_colors(pixels, return_inverse=True)
        return self.color_labels(colors)[inverse]

    def color_labels(self, colors):
        """Palette index of each of ``colors``, distinct colors in the data's dtype."""
        labels = np.empty(len(colors), dtype=np.int64)
        for start in range(0, len(colors), _BLOCK_COLORS):
            block = colors[start : start + _BLOCK_COLORS]
            working = self.color_space.to_working(block, block.dtype)
            labels[start : start + _BLOCK_COLORS] = nearest_center(
                working, self.centers
            )[0]
        return labels

    def cube_lists(self):
        """The lists of every cell of the uint8 cube, ``(listed, starts)``, as
        ``list_grid`` makes them from 0 with cells of ``CUBE_SHIFT`` bits; None
        where pixels are not looked up in the cube."""
        return self._get_cube(whole=True) if self._uses_cube() else None

    def _uses_cube(self):
        return (
            self.color_space.data_as_working and len(self.centers) <= _MAX_CUBE_COLORS
        )

    def _get_cube(self, colors=None, *, whole=False):
        """The cube's lists, ``(listed, starts)``, made on first use: for the
        cells of ``colors`` only, if given (a fit meets a tenth of the cells, and
        listing them all costs as much as a third of a small fit); for every
        cell when ``whole``, or no colors are given."""
        with self._lock:
            if self._cube is None or (whole and not self._whole_cube):
                n_channels = self.centers.shape[1]
                self._whole_cube = whole or colors is None
                wanted = None
                if not self._whole_cube:
                    wanted = np.zeros(kernels.CUBE_CELLS_PER_AXIS**n_channels, bool)
                    cells = np.zeros(len(colors), dtype=np.int64)
                    for channel in range(n_channels):
                        cells = cells * kernels.CUBE_CELLS_PER_AXIS + (
                            colors[:, channel] >> kernels.CUBE_SHIFT
                        )
                    wanted[cells] = True
                self._cube = list_grid(
                    self.centers,
                    np.zeros(n_channels),
                    np.full(n_channels, float(1 << kernels.CUBE_SHIFT)),
                    kernels.CUBE_CELLS_PER_AXIS,
                    wanted,
                )
            return self._cube

    def _labels_from_cube(self, pixels, labels, cube):
        """Labels of uint8 ``pixels`` from the cube's lists, into ``labels``;
        returns how many pixels fell in cells without a list (left as they
        were)."""
        listed, starts = cube
        pixels = np.ascontiguousarray(pixels)
        if self._quarter_gap is None:
            self._quarter_gap = kernels.center_quarter_gaps(self.centers)
        quarter_gap = self._quarter_gap
        return sum(
            run_blocks(
                lambda start, stop: kernels.nearest_in_cube(
                    pixels[start:stop],
                    self.centers,
                    quarter_gap,
                    listed,
                    starts,
                    labels[start:stop],
                ),
                len(pixels),
                work_per_item=2 + len(listed) / (len(starts) - 1),
            )
        )

    def _labels_from_table(self, pixels):
        table = self._get_table(pixels.shape[1])
        keys = pack_uint8(pixels)
        codes = table[keys]
        unknown = codes == 0
        if unknown.any():
            new_keys = np.unique(keys[unknown])
            new_labels = self.color_labels(unpack_uint8(new_keys, pixels.shape[1]))
            table[new_keys] = new_labels + 1
            codes[unknown] = table[keys[unknown]]
        return codes.astype(np.int64) - 1

    def _get_table(self, n_channels):
        with self._lock:
            if self._table is None:
                # 0 marks a color not met yet; labels are stored plus one.
                dtype = np.uint16 if len(self.centers) < 65535 else np.uint32
                self._table = np.zeros(256**n_channels, dtype=dtype)
            return self._table


def _is_small_uint8(pixels):
    return pixels.dtype == np.uint8 and pixels.shape[1] <= 3
