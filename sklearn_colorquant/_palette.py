"""A fitted palette: the one object that maps pixels to palette colors.

``FittedPalette`` is what the estimator learns and what everything that maps
pixels calls: the image helpers, dithering, the Dask blocks, the encodings and
the command line. It holds the palette in the data's dtype, its centers in the
working color space and the lookup structures (the uint8 cube's lists, or the
table of colors met), and needs neither scikit-learn nor anything the estimator
keeps. A backend of another kind (a GPU) would be another class with these
methods.
"""

import numpy as np

from ._assign import PaletteIndex, palette_colors
from ._color_spaces import color_space_of, from_unit, full_scale, to_unit
from ._dither import DitherGrid

# Pixels per block where a whole image's worth of temporaries would not fit:
# squared errors, distinct colors of large images.
BLOCK_PIXELS = 1 << 20


class FittedPalette:
    """A palette ready to map pixels to it.

    Parameters
    ----------
    palette : ndarray of shape (n_colors, n_channels)
        The palette, in the dtype and scale of the data it maps.
    color_space : ColorSpace or str
        Where "nearest" is measured.

    Notes
    -----
    The centers are the palette as stored, converted to the working space, so
    that a pixel equal to a palette color maps to that color exactly. Many
    threads may use one object at once; it pickles without its lookup
    structures, which are made again on use.
    """

    def __init__(self, palette, color_space):
        self.palette = np.asarray(palette)
        self.color_space = color_space_of(color_space)
        self.centers = np.ascontiguousarray(
            self.color_space.to_working(self.palette, self.palette.dtype),
            dtype=np.float64,
        )
        self._index = PaletteIndex(self.centers, self.color_space)
        self._dither_grid = None

    @property
    def n_colors(self):
        return len(self.palette)

    @property
    def n_channels(self):
        return self.palette.shape[1]

    def __getstate__(self):
        return {"palette": self.palette, "color_space": self.color_space}

    def __setstate__(self, state):
        self.__init__(state["palette"], state["color_space"])

    def dither_grid(self):
        """The palette laid out for dithering (a ``DitherGrid``), made on first
        use: in the space that the working space dithers in, if it names one."""
        if self._dither_grid is None:
            space, centers, cube = self.color_space, self.centers, None
            if space.dithers_in is not None:
                space = color_space_of(space.dithers_in)
                centers = space.to_working(self.palette, self.palette.dtype)
            elif self.palette.dtype == np.uint8 and self.n_channels == 3:
                cube = self._index.cube_lists()
            # Threads that meet it unmade each make the same grid.
            self._dither_grid = DitherGrid(centers, space, cube)
        return self._dither_grid

    def prepare(self, colors, labels):
        """Make ready for pixels like the distinct ``colors`` of known ``labels``."""
        self._index.prepare(colors, labels)

    def check(self, pixels, *, name="X"):
        """``pixels`` (one per row), checked whole: numbers, finite, as many
        channels as the palette, in the color space's range."""
        pixels = checked_pixels(pixels, name=name)
        if pixels.shape[1] != self.n_channels:
            raise ValueError(
                f"The pixels have {pixels.shape[1]} channel(s) but the palette has "
                f"{self.n_channels}; pass images with {self.n_channels} channel(s)."
            )
        self.color_space.check_range(pixels)
        return pixels

    def labels(self, pixels):
        """Palette index of each of ``pixels`` (checked, one per row): the one
        path from pixels to labels. uint8 for uint8 pixels of up to 3 channels
        and at most 256 colors in a space whose working coordinates are the
        data, int64 otherwise."""
        return self._index.labels(pixels)

    def colors_as(self, dtype):
        """The palette as data of ``dtype`` (its scale and rounding)."""
        if np.dtype(dtype) == self.palette.dtype:
            return self.palette
        return from_unit(to_unit(self.palette, self.palette.dtype), dtype)

    def colors_of(self, labels, dtype):
        """The palette color of each label, as data of ``dtype``."""
        return palette_colors(self.colors_as(dtype), labels)

    def encoded(self, labels, dtype, encode):
        """Labels of shape ``(n_rows, pixels_per_row)`` as the encoding ``encode``
        gives them, colors in ``dtype``."""
        from ._encodings import ENCODINGS

        return ENCODINGS[encode].encode(labels, self.colors_as(dtype))

    def squared_error(self, pixels, labels):
        """Sum over ``pixels`` of the squared unit-scale difference to their
        palette color, channel by channel, in blocks: no copy of the image as
        floats. Exact, in integers, for integer data of up to 16 bits."""
        dtype = pixels.dtype
        if dtype.kind in "ui" and dtype.itemsize <= 2:
            palette = self.colors_as(dtype).astype(np.int64)
            total = 0
            for start in range(0, len(pixels), BLOCK_PIXELS):
                block = pixels[start : start + BLOCK_PIXELS]
                difference = block.astype(np.int64)
                difference -= palette[labels[start : start + BLOCK_PIXELS]]
                total += int(np.einsum("ij,ij->", difference, difference))
            return total / float(full_scale(dtype)) ** 2
        palette = to_unit(self.palette, self.palette.dtype)
        total = 0.0
        for start in range(0, len(pixels), BLOCK_PIXELS):
            block = pixels[start : start + BLOCK_PIXELS]
            difference = to_unit(block, block.dtype)
            difference -= palette_colors(palette, labels[start : start + BLOCK_PIXELS])
            total += float(np.einsum("ij,ij->", difference, difference))
        return total


def checked_pixels(pixels, *, name="X"):
    """``pixels`` as a 2-D numeric array, refused with a message that names the
    fix when it holds no pixel, anything but numbers, NaN or infinity."""
    pixels = np.asarray(pixels)
    if pixels.dtype.kind == "O":
        try:
            pixels = pixels.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must hold numbers; its object array holds something else."
            ) from None
    if pixels.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must hold numbers (integers or floats), got dtype "
            f"{pixels.dtype}; convert it with astype."
        )
    if not pixels.dtype.isnative:
        # The compiled loops and the packed keys read native bytes.
        pixels = pixels.astype(pixels.dtype.newbyteorder("="))
    if pixels.ndim != 2:
        raise ValueError(
            f"{name} must be pixels, one per row, of shape (n_pixels, n_channels); "
            f"got shape {pixels.shape}."
        )
    if pixels.shape[0] == 0:
        raise ValueError(f"{name} has no pixels (shape {pixels.shape}).")
    if pixels.shape[1] == 0:
        raise ValueError(
            f"{name} has no channels (shape {pixels.shape}): a pixel needs at least "
            "one value."
        )
    if pixels.dtype.kind == "f" and not (
        np.isfinite(pixels.min()) and np.isfinite(pixels.max())
    ):
        raise ValueError(
            f"{name} contains NaN or infinite values; replace or drop those pixels "
            "first (numpy.nan_to_num, or a mask)."
        )
    return pixels


def fitted_palette(quantizer):
    """The ``FittedPalette`` of a fitted ``ColorQuantizer``, or of a palette
    array (its colors, in its order, matched in RGB), or the object itself."""
    if isinstance(quantizer, FittedPalette):
        return quantizer
    if hasattr(quantizer, "fit"):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(quantizer)
        return quantizer._fitted_palette
    palette = np.asarray(quantizer)
    if palette.ndim == 2 and palette.dtype.kind in "biuf" and len(palette):
        from ._learn import fixed_palette

        return fixed_palette(palette)
    raise TypeError(
        "Expected a fitted ColorQuantizer or a palette array of shape (k, C), got "
        f"{type(quantizer).__name__}."
    )
