"""Distinct colors of a pixel array, with how often each occurs.

The k-means objective over all pixels equals the objective over the distinct
colors weighted by their counts, and a pixel's nearest palette color depends only
on its color, so fitting and assignment both work on distinct colors.
"""

import numpy as np

from . import _distinct_kernels as kernels

# Past this many uint8 pixels of up to 3 channels, distinct colors are counted in
# a table of every possible color (64 MiB for RGB) instead of sorting one key a
# pixel: the memory follows the colors, not the pixels.
_TABLE_PIXELS = 1 << 22
# Pixels packed at a time into the table.
_TABLE_BLOCK = 1 << 20


def distinct_colors(pixels, *, weights=None, return_inverse=False):
    """Distinct rows of ``pixels`` and their counts (or summed weights).

    Parameters
    ----------
    pixels : ndarray of shape (n_pixels, n_channels)
    weights : ndarray of shape (n_pixels,), optional
        Weight of each pixel, summed per color instead of counting pixels. Integer
        weights (the counts of histograms being merged) give integer sums.
    return_inverse : bool
        Also return, for each pixel, the index of its color among the distinct ones.

    Returns
    -------
    colors : ndarray of shape (n_distinct, n_channels), same dtype as ``pixels``
        Sorted, so that the same colors give the same order however they came.
    counts : ndarray of shape (n_distinct,)
        int64 counts; with ``weights``, their sums (int64 for integer weights,
        float64 otherwise).
    inverse : ndarray of shape (n_pixels,), only if ``return_inverse``
    """
    need_inverse = return_inverse or weights is not None
    if _counts_in_table(pixels) and not need_inverse:
        return _counted_in_table(pixels)
    if pixels.dtype == np.uint8 and pixels.shape[1] <= 8:
        # Sorting one integer key per pixel is far faster than np.unique(axis=0).
        keys = pack_uint8(pixels)
        if weights is not None and not return_inverse:
            keys, sums = summed_by_key(keys, weights)
            return unpack_uint8(keys, pixels.shape[1]), sums
        if len(keys) > 1 and (keys[1:] > keys[:-1]).all():
            # Distinct and sorted already (the colors of a histogram): one pass.
            result = (keys, np.arange(len(keys)), np.ones(len(keys), dtype=np.int64))
        elif not need_inverse:
            result = _counted_keys(keys, pixels.shape[1])
        else:
            result = np.unique(keys, return_inverse=need_inverse, return_counts=True)
        colors = unpack_uint8(result[0], pixels.shape[1])
    else:
        result = np.unique(
            pixels, axis=0, return_inverse=need_inverse, return_counts=True
        )
        colors = result[0]
    counts = result[-1].astype(np.int64)
    if weights is not None:
        counts = _summed_weights(result[1].reshape(-1), weights, len(colors))
    if return_inverse:
        return colors, counts, result[1].reshape(-1)
    return colors, counts


def n_distinct_colors(pixels):
    """How many distinct rows ``pixels`` has. For many uint8 pixels of up to 3
    channels, from a table of one byte per possible color (16 MiB for RGB)
    rather than from the colors themselves."""
    pixels = np.asarray(pixels)
    if not _counts_in_table(pixels):
        return len(distinct_colors(pixels)[0])
    seen = np.zeros(256 ** pixels.shape[1], dtype=np.uint8)
    for start in range(0, len(pixels), _TABLE_BLOCK):
        block = np.ascontiguousarray(pixels[start : start + _TABLE_BLOCK])
        kernels.mark_packed(block, seen)
    return int(np.count_nonzero(seen))


def _counts_in_table(pixels):
    """Many uint8 pixels of up to 3 channels: a table of every possible color
    costs less than sorting their keys."""
    return (
        pixels.dtype == np.uint8
        and pixels.shape[1] <= 3
        and len(pixels) > _TABLE_PIXELS
    )


def _counted_in_table(pixels):
    """``distinct_colors`` of many uint8 pixels of up to 3 channels: counted in
    a table of every possible color, block by block."""
    n_channels = pixels.shape[1]
    table = np.zeros(256**n_channels, dtype=np.uint32)
    for start in range(0, len(pixels), _TABLE_BLOCK):
        block = np.ascontiguousarray(pixels[start : start + _TABLE_BLOCK])
        kernels.count_packed(block, table)
    keys = np.flatnonzero(table)
    counts = table[keys].astype(np.int64)
    del table
    return unpack_uint8(keys.astype(np.uint32), n_channels), counts


def _counted_keys(keys, n_channels):
    """Sorted distinct ``pack_uint8`` ``keys`` and how many times each occurs:
    ``np.unique``'s result, in a fraction of its time (a radix sort)."""
    if keys.dtype == np.uint32:
        return kernels.counted_keys(keys, 8 * n_channels)
    keys = np.sort(keys)
    if not len(keys):
        return keys, np.zeros(0, dtype=np.int64)
    starts = _run_starts(keys)
    return keys[starts], np.diff(np.append(starts, len(keys)))


def _run_starts(sorted_keys):
    """Where each run of equal keys starts, in keys sorted and not empty."""
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])


def summed_by_key(keys, weights):
    """Sorted distinct ``keys`` (``pack_uint8`` keys) and the sum of ``weights``
    over each: int64 for integer weights, float64 otherwise.

    A stable sort of unsigned integers is a radix sort, the fastest way to bring
    equal keys together; it also keeps each key's weights in their order.
    """
    weights = weights.astype(_sum_dtype(weights), copy=False)
    if not len(keys):
        return keys, weights
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    starts = _run_starts(keys)
    return keys[starts], np.add.reduceat(weights[order], starts)


def _summed_weights(inverse, weights, n_colors):
    sums = np.bincount(inverse, weights=weights, minlength=n_colors)
    # Sums of integer counts below 2**53 are exact in float64.
    return sums.astype(_sum_dtype(weights), copy=False)


def _sum_dtype(weights):
    return np.int64 if np.issubdtype(weights.dtype, np.integer) else np.float64


def pack_uint8(pixels):
    """One integer key per uint8 pixel of up to 8 channels."""
    dtype = np.uint32 if pixels.shape[1] <= 4 else np.uint64
    keys = np.zeros(len(pixels), dtype=dtype)
    for channel in range(pixels.shape[1]):
        keys <<= dtype(8)
        keys |= pixels[:, channel]
    return keys


def unpack_uint8(keys, n_channels):
    """The uint8 pixels of ``pack_uint8`` keys."""
    colors = np.empty((len(keys), n_channels), dtype=np.uint8)
    for channel in range(n_channels):
        shift = keys.dtype.type(8 * (n_channels - 1 - channel))
        colors[:, channel] = (keys >> shift) & keys.dtype.type(255)
    return colors
