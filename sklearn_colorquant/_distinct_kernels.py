"""Compiled loops of ``_distinct``: counting distinct colors by their keys."""

import numpy as np
from numba import njit

# Radix sort digits: 4,096 buckets fit in the first-level cache, and a
# three-channel key takes two passes.
_DIGIT_BITS = 12


@njit(cache=True, nogil=True)
def counted_keys(keys, key_bits):
    """The distinct values of ``keys`` (uint32, below ``2**key_bits``), sorted,
    and how many times each occurs.

    A least-significant-digit radix sort: ``np.sort`` compares, which costs
    several times as much on the few hundred thousand keys of a photo.
    """
    n_keys = keys.shape[0]
    n_buckets = 1 << _DIGIT_BITS
    mask = np.uint32(n_buckets - 1)
    ordered, spare = keys.copy(), np.empty(n_keys, dtype=keys.dtype)
    counts = np.empty(n_buckets, dtype=np.int64)
    for shift in range(0, key_bits, _DIGIT_BITS):
        # Loops rather than slices: each slice assignment is compiled too.
        for bucket in range(n_buckets):
            counts[bucket] = 0
        for i in range(n_keys):
            counts[(ordered[i] >> np.uint32(shift)) & mask] += 1
        total = 0
        for bucket in range(n_buckets):
            total, counts[bucket] = total + counts[bucket], total
        for i in range(n_keys):
            bucket = (ordered[i] >> np.uint32(shift)) & mask
            spare[counts[bucket]] = ordered[i]
            counts[bucket] += 1
        ordered, spare = spare, ordered
    n_distinct = min(n_keys, 1)
    for i in range(1, n_keys):
        n_distinct += np.int64(ordered[i] != ordered[i - 1])
    distinct = np.empty(n_distinct, dtype=keys.dtype)
    occurrences = np.empty(n_distinct, dtype=np.int64)
    position = -1
    for i in range(n_keys):
        new = i == 0 or ordered[i] != ordered[i - 1]
        position += np.int64(new)
        distinct[position] = ordered[i]
        occurrences[position] = 1 if new else occurrences[position] + 1
    return distinct, occurrences
