"""Dithering: mapping images to a palette with error diffusion or an ordered pattern.

Dithering needs an image's 2-D layout, so it lives with the image helpers rather
than in ``transform``. Both methods work in the quantizer's working color space,
so that dithering in CIELAB diffuses perceptual error; a space that names another
for it (RGB beside CIELAB: RGB) dithers there.
"""

import numpy as np

from . import _dither_kernels as kernels
from ._assign import list_grid
from ._assign_kernels import CUBE_CELLS_PER_AXIS, CUBE_SHIFT
from ._threads import run_blocks

DITHER_METHODS = ("adaptive", "floyd-steinberg", "ordered")
DEFAULT_DITHER = "adaptive"

# The adaptive method's settings, chosen by measurement against libimagequant's
# dithering on the benchmark photos (benchmarks/bench_perceptual.py): the error
# that reaches a pixel is at most twice the palette's typical spacing; an edge
# is a second difference of a third of the gamut's extent; diffusion on an edge
# keeps 1.5 / 2.5 of its strength; at most 80% of the error is passed on.
_ERROR_LIMIT = 2.0
_EDGE_CONTRAST = 3.0
_EDGE_LIFT = 1.5
_RUN_HALF = 20.0
_BASE_STRENGTH = 0.8

# Bayer's 8x8 threshold matrix, as offsets in (-0.5, 0.5).
_BAYER = np.array([[0, 2], [3, 1]])
for _ in range(2):
    _BAYER = np.block([[4 * _BAYER, 4 * _BAYER + 2], [4 * _BAYER + 3, 4 * _BAYER + 1]])
_BAYER = (_BAYER + 0.5) / _BAYER.size - 0.5


def dither_method(dither):
    """The method that ``dither`` asks for: True is the default method, False
    (or None) none."""
    if dither is True:
        return DEFAULT_DITHER
    if dither is False or dither is None:
        return None
    if dither not in DITHER_METHODS:
        raise ValueError(
            f"dither must be one of {DITHER_METHODS}, True (for {DEFAULT_DITHER!r}) "
            f"or None, got {dither!r}."
        )
    return dither


class DitherGrid:
    """A palette laid out for dithering: its centers in the space it dithers
    in, the box that diffused colors are clamped into, and the grid's
    candidate lists. Made once per palette (``FittedPalette.dither_grid``), as
    the lists cost as much as a tenth of dithering a large photo.

    Parameters
    ----------
    centers : ndarray of shape (n_colors, C), float64
        The palette in the working color space.
    color_space : ColorSpace
        The working color space.
    cube : tuple (listed, starts), optional
        ``PaletteIndex.cube_lists()``, the lists of the uint8 cube's cells of 8
        levels, for a uint8 RGB palette in its own space: the undithered labels
        have made them already, and the grid takes the cube's cells.
    """

    def __init__(self, centers, color_space, cube=None):
        if len(centers) > np.iinfo(np.int16).max:
            raise ValueError(
                f"Dithering takes palettes of up to {np.iinfo(np.int16).max} "
                f"colors, got {len(centers)}."
            )
        self.centers = np.ascontiguousarray(centers, dtype=np.float64)
        self.color_space = color_space
        n_channels = centers.shape[1]
        # Diffused colors are clamped into the RGB gamut (and the palette's box):
        # the same box for every image, so a batch dithers as its images one by one.
        gamut_low, gamut_high = color_space.gamut_box(n_channels)
        low = np.minimum(gamut_low, centers.min(axis=0))
        high = np.maximum(gamut_high, centers.max(axis=0))
        if cube is not None:
            cells_per_axis = CUBE_CELLS_PER_AXIS
            low = np.zeros(n_channels)
            cell_size = np.full(n_channels, float(1 << CUBE_SHIFT))
        else:
            cells_per_axis = 32 if n_channels <= 3 else 8 if n_channels == 4 else 1
            cell_size = (high - low) / cells_per_axis
            cell_size[cell_size == 0] = 1.0
        self.grid = (low, high, 1.0 / cell_size, cells_per_axis)
        self.lists = (
            list_grid(self.centers, low, cell_size, cells_per_axis)
            if cube is None
            else cube
        )
        self.extent = float(np.max(high - low))
        self.spacing = _palette_spacing(self.centers)


def dither_labels(images, grid, method, strength, plain=None):
    """Palette index of every pixel of dithered ``images``.

    Parameters
    ----------
    images : ndarray of shape (N, H, W, C)
        Images in the grid's working color space (float64, or uint8 for uint8
        RGB).
    grid : DitherGrid
        The palette, laid out for dithering.
    method : {"adaptive", "floyd-steinberg", "ordered"}
        As ``dither_method`` resolves it.
    strength : float in [0, 1]
        Share of the error passed on (Floyd-Steinberg; adaptive, where 1 is its
        own level), or scale of the pattern relative to the typical distance
        between palette colors (ordered).
    plain : ndarray of shape (N, H, W), default=None
        The undithered labels: the adaptive method needs them.

    Returns
    -------
    labels : ndarray of shape (N, H, W), int16
    """
    if not 0 <= strength <= 1:
        raise ValueError(f"dither_strength must be between 0 and 1, got {strength!r}.")
    n_channels = images.shape[-1]
    centers = grid.centers
    labels = np.empty(images.shape[:-1], dtype=np.int16)
    n_images, height, width = labels.shape
    if method in ("floyd-steinberg", "adaptive"):
        scan = kernels.floyd_steinberg_3 if n_channels == 3 else kernels.floyd_steinberg
        limit = np.inf
        if method == "adaptive":
            limit = (_ERROR_LIMIT * grid.spacing) ** 2

        def diffuse(first, stop):
            # Error diffusion is sequential within an image: images go to threads.
            for index in range(first, stop):
                image = np.ascontiguousarray(images[index])
                if method == "adaptive":
                    strength_map = np.empty((height, width), dtype=np.float32)
                    kernels.dither_map(
                        image,
                        np.ascontiguousarray(plain[index]),
                        _EDGE_CONTRAST / grid.extent,
                        _EDGE_LIFT,
                        _RUN_HALF,
                        _BASE_STRENGTH * strength,
                        strength_map,
                    )
                else:
                    strength_map = np.broadcast_to(
                        np.float32(strength), (height, width)
                    )
                scan(
                    image,
                    centers,
                    *grid.grid,
                    *grid.lists,
                    strength_map,
                    limit,
                    labels[index],
                )

        run_blocks(diffuse, n_images, work_per_item=height * width * 4)
        return labels
    offsets = (strength * grid.spacing) * _BAYER
    images = np.ascontiguousarray(images)
    run_blocks(
        lambda first, stop: kernels.ordered_on_grid(
            images, offsets, centers, *grid.grid, *grid.lists, labels, first, stop
        ),
        n_images * height,
        work_per_item=width * 8,
    )
    return labels


def _palette_spacing(centers):
    """Median distance from a palette color to its nearest other palette color."""
    if len(centers) < 2:
        return 0.0
    squared = ((centers[:, None, :] - centers[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(squared, np.inf)
    return float(np.median(np.sqrt(squared.min(axis=1))))
