"""Learning a palette from pixels: the fit, without scikit-learn.

``learn_palette`` is what ``ColorQuantizer.fit`` runs once it has validated its
parameters and data, and what the command line and the image helpers run
directly. Options are resolved into a ``ColorSpace`` and a ``Codebook`` once, at
the top; the rest works on them.
"""

import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from ._assign import build_grid, nearest_center
from ._codebooks import codebook_of
from ._color_spaces import check_palette_scale, from_unit, resolve, to_unit
from ._distinct import distinct_colors, pack_uint8
from ._kmeans import smallest_kmeans
from ._palette import BLOCK_PIXELS, FittedPalette, checked_pixels

# Sorting the palette by use moves pixels equally near two colors to the lower
# index; the first sort settles it in practice, a few more allow for such ties.
_MAX_REORDERS = 3
# Below this, a difference of coordinates may square to 0 (float64 underflow).
_TINY = 1e-140
# Lloyd's iterations keep a dozen numbers for each distinct color they run on.
# Past this many colors of uint8 data (a photo of tens of megapixels), they run
# on the weighted means of the colors that share their upper bits, one level
# per channel dropped at a time until at most this many are left; the
# assignment, the frequencies and the inertia stay exact, on every color.
MAX_FIT_COLORS = 1 << 19


@dataclass(frozen=True)
class LearnedPalette:
    """What ``learn_palette`` learned, as ``ColorQuantizer`` keeps it."""

    palette: FittedPalette
    frequencies: np.ndarray  # share of the pixels (weights) of each color
    inertia: float  # weighted squared distances to the palette, working space
    n_iter: int  # Lloyd iterations run


def check_random_state(seed):
    """A ``RandomState`` for ``seed``, as scikit-learn's ``check_random_state``
    makes it (None: NumPy's global one)."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, Integral) and not isinstance(seed, bool):
        return np.random.RandomState(seed)
    if isinstance(seed, np.random.RandomState):
        return seed
    raise ValueError(
        f"random_state must be None, an int or a numpy RandomState, got {seed!r}."
    )


def learn_palette(
    pixels,
    n_colors,
    *,
    weights=None,
    codebook="kmeans",
    color_space="rgb",
    fixed_colors=None,
    subsample=None,
    max_colors=256,
    min_psnr=None,
    max_delta_e=None,
    random_state=None,
):
    """Learn a palette of ``n_colors`` colors (or ``"auto"``) from ``pixels``.

    Parameters are those of :class:`~sklearn_colorquant.ColorQuantizer`;
    ``pixels`` are one per row, numeric and finite (checked), ``weights`` one
    per pixel or None. ``codebook`` and ``color_space`` may be names or
    resolved objects.

    Returns
    -------
    learned : LearnedPalette
    """
    pixels = checked_pixels(pixels)
    space = resolve(color_space, pixels)
    codebook = codebook_of(codebook)
    dtype, n_channels = pixels.dtype, pixels.shape[1]
    space.check_range(pixels)
    random_state = check_random_state(random_state)
    _check_targets(n_colors, codebook, min_psnr, max_delta_e, n_channels)
    if subsample is not None and len(pixels) > subsample:
        chosen = random_state.choice(len(pixels), subsample, replace=False)
        pixels = pixels[chosen]
        weights = None if weights is None else weights[chosen]
    colors, counts = distinct_colors(pixels, weights=weights)
    if weights is not None:
        colors, counts = colors[counts > 0], counts[counts > 0]
    del pixels
    reserved = _checked_fixed_colors(
        fixed_colors, codebook, n_colors, max_colors, dtype, n_channels, space
    )
    if codebook.fixed:
        palette = codebook.palette_for(dtype, n_channels, space)
        n_iter = 0
        fit_level = None
    else:
        # One grid over the colors the fit runs on, for the codebook and the
        # assignment below.
        fit_colors, fit_weights = _fit_points(colors, counts, space)
        working = space.to_working(fit_colors, dtype)
        grid = build_grid(working)
        reserved_working = space.to_working(reserved, dtype)
        if n_colors == "auto":
            centers, n_iter = _centers_meeting_targets(
                colors, counts, working, fit_weights, space, min_psnr, max_delta_e,
                max_colors, random_state, reserved_working,
            )  # fmt: skip
        else:
            centers, n_iter = _learned_centers(
                codebook, working, fit_weights, n_colors, random_state, dtype,
                space, reserved_working, grid,
            )  # fmt: skip
        palette = from_unit(space.from_working(centers), dtype)
        # Reserved colors are kept as given, not as their round trip through
        # the working space, and first, so that learned copies of them go.
        palette = np.concatenate([reserved, palette[len(reserved) :]])
        palette = _distinguishable(_unique_rows(palette), dtype, space)
        fit_level = (fit_colors, working, grid)
    fitted, labels, usage, inertia = _ordered_by_use(
        palette, colors, counts, space, len(reserved), codebook.fixed, fit_level
    )
    fitted.prepare(colors, labels)
    return LearnedPalette(fitted, usage / usage.sum(), inertia, int(n_iter))


def fixed_palette(palette, color_space="rgb"):
    """The ``FittedPalette`` of a given palette, in its order, checked as a fixed
    codebook is: what a palette file or array becomes."""
    palette = checked_pixels(palette, name="The palette")
    space = resolve(color_space, palette)
    checked = codebook_of(palette).palette_for(palette.dtype, palette.shape[1], space)
    return FittedPalette(checked, space)


def _fit_points(colors, counts, space):
    """The points Lloyd's iterations run on, and their weights: the distinct
    colors, or the weighted means of their cells past ``MAX_FIT_COLORS``."""
    weights = np.asarray(counts, dtype=np.float64)
    if (
        len(colors) <= MAX_FIT_COLORS
        or colors.dtype != np.uint8
        or not space.data_as_working
    ):
        return colors, weights
    for shift in range(1, 8):
        keys = pack_uint8(colors >> shift)
        cells, inverse = np.unique(keys, return_inverse=True)
        if len(cells) <= MAX_FIT_COLORS:
            break
    inverse = inverse.reshape(-1)
    cell_weights = np.bincount(inverse, weights=weights, minlength=len(cells))
    means = np.empty((len(cells), colors.shape[1]))
    for channel in range(colors.shape[1]):
        sums = np.bincount(
            inverse, weights=weights * colors[:, channel], minlength=len(cells)
        )
        means[:, channel] = sums / cell_weights
    return means, cell_weights


def _ordered_by_use(palette, colors, counts, space, n_reserved, fixed, fit_level):
    """The palette most-used color first (a fixed one as given), fitted: the
    ``FittedPalette``, the label and usage of every color, and the inertia.

    A pixel equally near two palette colors goes to the lower index, in every
    lookup; sorting moves such ties, so they are searched again after a sort.
    """
    exact_level = fit_level is not None and fit_level[0] is colors
    fitted = FittedPalette(palette, space)
    if exact_level:
        _, working, grid = fit_level
        labels, distances, tied = nearest_center(
            working, fitted.centers, grid, ties=True
        )
    else:
        labels, distances = _labels_in_blocks(fitted, colors)
    for reorders in range(_MAX_REORDERS + 1):
        usage = np.bincount(labels, weights=counts, minlength=len(palette))
        order = _most_used_first(palette, usage, n_reserved)
        if (
            fixed
            or reorders == _MAX_REORDERS
            or np.array_equal(order, np.arange(len(palette)))
        ):
            break
        palette = palette[order]
        fitted = FittedPalette(palette, space)
        if exact_level:
            # Colors keep their palette color under its new index, except
            # those as near another one.
            labels = np.argsort(order)[labels]
            if tied.any():
                # On a grid even when few: the kernel that searches every color.
                again = working[tied]
                grid = build_grid(again)
                labels[tied] = nearest_center(again, fitted.centers, grid)[0]
        else:
            labels, distances = _labels_in_blocks(fitted, colors)
    # A plain weighted sum, not np.dot: BLAS threads left spinning would slow
    # the compiled loops of the next call (see _color_spaces).
    inertia = float(np.sum(counts * distances))
    return fitted, labels, usage, inertia


def _labels_in_blocks(fitted, colors):
    """The label of each color and its squared distance to it (working space),
    block by block: the labels through ``fitted``'s lookup."""
    labels = np.empty(len(colors), dtype=np.int64)
    distances = np.empty(len(colors))
    # A block's float copies take 50 bytes a color: a quarter of the pixel
    # blocks', so that this step stays below the fit's histogram in memory.
    block_colors = BLOCK_PIXELS // 4
    for start in range(0, len(colors), block_colors):
        block = colors[start : start + block_colors]
        block_labels = fitted.labels(block)
        difference = fitted.color_space.to_working(block, block.dtype)
        difference -= fitted.centers[block_labels]
        labels[start : start + len(block)] = block_labels
        # Channel by channel, in order: the sums the kernels make.
        squared = difference[:, 0] * difference[:, 0]
        for channel in range(1, difference.shape[1]):
            squared += difference[:, channel] * difference[:, channel]
        distances[start : start + len(block)] = squared
    return labels, distances


def _learned_centers(
    codebook, working, weights, n_colors, random_state, dtype, space, reserved, grid
):
    """Centers of ``n_colors`` colors learned by the codebook (working space),
    the ``reserved`` ones first."""
    n_distinct = len(working)
    if len(reserved) == n_colors:
        return reserved, 0
    if n_distinct > n_colors:
        return codebook.learn(
            working,
            weights,
            n_colors,
            random_state,
            to_working=lambda init: space.to_working(init, dtype),
            fixed=reserved if len(reserved) else None,
            grid=grid,
        )
    if n_distinct < n_colors:
        warnings.warn(
            f"The data has {n_distinct} distinct colors, fewer than "
            f"n_colors={n_colors}; the palette holds those {n_distinct} colors.",
            UserWarning,
            stacklevel=4,
        )
    return np.concatenate([reserved, working]), 0


def _distinguishable(palette, dtype, space):
    """``palette`` without the colors that a squared distance cannot tell from
    an earlier one (it underflows to 0 between subnormal values), with the
    fewer-colors warning: otherwise both would claim the same pixels."""
    kept = _told_apart(space.to_working(palette, dtype))
    if kept.all():
        return palette
    warnings.warn(
        f"{len(palette) - kept.sum()} palette color(s) differ from another by "
        "so little (subnormal values) that no squared distance tells them "
        f"apart; the palette holds the {kept.sum()} others.",
        UserWarning,
        stacklevel=4,
    )
    return palette[kept]


def _centers_meeting_targets(
    colors,
    counts,
    working,
    weights,
    space,
    min_psnr,
    max_delta_e,
    max_colors,
    random_state,
    reserved,
):
    """Centers of about the smallest palette that meets the targets, the
    ``reserved`` ones first."""
    from ._targets import QualityTarget

    if len(colors) <= 2:
        return np.concatenate([reserved, working]), 0
    target = QualityTarget(colors, counts, space, min_psnr, max_delta_e, random_state)
    centers, met, n_iter = smallest_kmeans(
        working,
        weights,
        target,
        min(max_colors, len(working) - 1),
        random_state,
        fixed=reserved,
    )
    if not met:
        warnings.warn(
            f"No palette of up to max_colors={max_colors} colors meets "
            f"min_psnr={min_psnr} and max_delta_e={max_delta_e}; the palette holds "
            "the largest size tried. Raise max_colors or relax the target.",
            UserWarning,
            stacklevel=4,
        )
    return centers, n_iter


def _check_targets(n_colors, codebook, min_psnr, max_delta_e, n_channels):
    has_target = min_psnr is not None or max_delta_e is not None
    if n_colors != "auto":
        if has_target:
            raise ValueError(
                "min_psnr and max_delta_e choose the palette size: set "
                "n_colors='auto' to use them."
            )
        return
    if not has_target:
        raise ValueError(
            "n_colors='auto' needs a quality target: set min_psnr (dB) or "
            "max_delta_e (mean CIEDE2000), or give n_colors as an integer."
        )
    if not codebook.grows:
        raise ValueError(
            f"n_colors='auto' grows a k-means palette: it needs "
            f"codebook='kmeans', got codebook={codebook.option!r}."
        )
    if max_delta_e is not None and n_channels != 3:
        raise ValueError(
            f"max_delta_e compares RGB colors and needs 3 channels, got {n_channels}."
        )


def _checked_fixed_colors(
    fixed_colors, codebook, n_colors, max_colors, dtype, n_channels, space
):
    """The reserved colors in the data's dtype, shape (n_reserved, n_channels)."""
    if fixed_colors is None:
        return np.empty((0, n_channels), dtype=dtype)
    if codebook.fixed:
        raise ValueError(
            "fixed_colors reserves colors in a learned palette, and codebook is "
            "a fixed palette already: put the colors in that palette instead."
        )
    colors = checked_pixels(fixed_colors, name="fixed_colors")
    if colors.shape[1] != n_channels:
        raise ValueError(
            f"fixed_colors has {colors.shape[1]} channel(s) per color but the "
            f"data has {n_channels}; pass an array of shape (k, {n_channels})."
        )
    limit = max_colors if n_colors == "auto" else n_colors
    if len(colors) > limit:
        name = "max_colors" if n_colors == "auto" else "n_colors"
        raise ValueError(
            f"fixed_colors reserves {len(colors)} colors, more than "
            f"{name}={limit}: raise {name} or reserve fewer."
        )
    try:
        check_palette_scale(colors, dtype)
    except ValueError as error:
        raise ValueError(
            str(error).replace("The fixed palette", "fixed_colors")
        ) from None
    space.check_range(colors, dtype)
    return _unique_rows(from_unit(to_unit(colors, dtype), dtype))


def _unique_rows(palette):
    """``palette`` without repeated colors, in order of first appearance."""
    _, first = np.unique(palette, axis=0, return_index=True)
    return palette[np.sort(first)]


def _told_apart(centers):
    """Mask of the centers that no earlier center is at squared distance 0 from.

    Distinct floats can only be that close when each coordinate is equal or both
    are tiny, so only centers equal in their other coordinates are compared.
    """
    kept = np.ones(len(centers), dtype=bool)
    tiny = np.abs(centers) < _TINY
    _, group, sizes = np.unique(
        np.where(tiny, 0.0, centers), axis=0, return_inverse=True, return_counts=True
    )
    for shared in np.flatnonzero(sizes > 1):
        members = np.flatnonzero(group.ravel() == shared)
        for position, i in enumerate(members):
            later = members[position + 1 :]
            same = np.sum((centers[later] - centers[i]) ** 2, axis=1) == 0
            kept[later[same & kept[i]]] = False
    return kept


def _most_used_first(palette, usage, n_reserved=0):
    """The order of ``palette``: its first ``n_reserved`` colors as they are,
    then the others by decreasing ``usage``, ties by color value."""
    learned = palette[n_reserved:]
    by_use = np.lexsort((*learned.T[::-1], -usage[n_reserved:]))
    return np.concatenate([np.arange(n_reserved), n_reserved + by_use])
