"""Quality targets for choosing the palette size: does a palette meet them?"""

import numpy as np

from . import _target_kernels
from ._assign import build_grid, nearest_center
from ._color_spaces import from_unit, to_unit
from ._threads import run_blocks
from .metrics import _psnr_from_unit_mse

# Colors drawn, by pixel count, to check a target while searching for the size.
_SAMPLE_SIZE = 3_000
# CIEDE2000 sums are added in blocks of this many colors, whatever the thread
# count, so that every count gives the same mean.
_DELTA_E_BLOCK = 1 << 14


class QualityTarget:
    """Checks palettes against ``min_psnr`` and ``max_delta_e`` on the fitted data.

    While searching, a palette is checked on a sample of the distinct colors drawn
    by pixel count (the mean over 3,000 draws is within a few hundredths of the
    mean over all pixels); the palette returned is checked on every color.

    Parameters
    ----------
    colors : ndarray of shape (n_colors, n_channels)
        Distinct colors of the data, in the data's dtype.
    counts : ndarray of shape (n_colors,)
        Their pixel counts.
    color_space : ColorSpace
        Working color space of the centers to check.
    min_psnr, max_delta_e : float or None
        The targets: PSNR in dB of the data's RGB values at least ``min_psnr``,
        mean CIEDE2000 at most ``max_delta_e``.
    random_state : RandomState instance
    """

    def __init__(
        self, colors, counts, color_space, min_psnr, max_delta_e, random_state
    ):
        self.color_space = color_space
        self.min_psnr = min_psnr
        self.max_delta_e = max_delta_e
        self.dtype = colors.dtype
        self._all = self._evaluation_set(colors, counts)
        if counts.sum() > _SAMPLE_SIZE and len(colors) > _SAMPLE_SIZE:
            drawn = random_state.choice(
                len(colors), _SAMPLE_SIZE, p=counts / counts.sum()
            )
            self._sample = self._evaluation_set(colors[drawn], np.ones(_SAMPLE_SIZE))
        else:
            self._sample = self._all

    def measure(self, centers, final):
        """PSNR (dB) and mean CIEDE2000 of the palette of ``centers`` (working
        space), on the sample or, if ``final``, on every color; NaN where no
        target asks for it."""
        colors, weights, working, grid, lab = self._all if final else self._sample
        palette = from_unit(self.color_space.from_working(centers), self.dtype)
        palette_working = self.color_space.to_working(palette, self.dtype)
        labels, _ = nearest_center(working, palette_working, grid)
        quantized = to_unit(palette, self.dtype)[labels]
        psnr = delta_e = np.nan
        if self.min_psnr is not None:
            squared = ((colors - quantized) ** 2).mean(axis=1)
            mse = np.average(squared, weights=weights)
            psnr = _psnr_from_unit_mse(mse)
        if self.max_delta_e is not None:
            from skimage.color import rgb2lab

            palette_lab = rgb2lab(to_unit(palette, self.dtype))
            delta_e = _mean_delta_e_2000(lab, palette_lab, labels, weights)
        return np.array([psnr, delta_e])

    def shortfall(self, measured, allowance=(0.0, 0.0)):
        """How far ``measured``, shifted by ``allowance``, is from the targets:
        at most 0 when it meets them all.

        In decibels for PSNR, and as ``10 * log10(delta_e / max_delta_e)`` for
        color difference: both change about linearly with the log of the palette
        size, which the search interpolates on.
        """
        psnr, delta_e = measured + np.asarray(allowance)
        gaps = [-np.inf]
        if self.min_psnr is not None:
            gaps.append(self.min_psnr - psnr)
        if self.max_delta_e is not None:
            with np.errstate(divide="ignore"):
                gaps.append(10 * np.log10(delta_e / self.max_delta_e))
        return max(gaps)

    def meets(self, measured, allowance=(0.0, 0.0)):
        """True when ``measured`` meets every target, shifted by ``allowance``."""
        return self.shortfall(measured, allowance) <= 0

    def _evaluation_set(self, colors, weights):
        working = self.color_space.to_working(colors, self.dtype)
        unit = to_unit(colors, self.dtype)
        lab = None
        if self.max_delta_e is not None:
            from skimage.color import rgb2lab

            lab = rgb2lab(unit)
        return unit, weights, working, build_grid(working), lab


def _mean_delta_e_2000(lab, palette_lab, labels, weights):
    """Weighted mean CIEDE2000 between colors and their palette colors."""
    # Always float weights: one compiled kernel, whatever the caller counts in.
    weights = np.asarray(weights, dtype=np.float64)
    sums = run_blocks(
        lambda start, stop: _target_kernels.weighted_delta_e_2000(
            lab, palette_lab, labels, weights, start, stop
        ),
        len(lab),
        block_items=_DELTA_E_BLOCK,
    )
    return sum(sums) / weights.sum()
