# cython: language_level=3, boundscheck=False, wraparound=False
# cython: initializedcheck=False, cdivision=True
"""Compiled loops of ``_distinct``: counting distinct colors by their keys."""

import numpy as np

from libc.stdint cimport int64_t, uint32_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

# Radix sort digits: 4,096 buckets fit in the first-level cache, and a
# three-channel key takes two passes.
cdef enum:
    _DIGIT_BITS = 12


def counted_keys(const uint32_t[::1] keys, int key_bits):
    """The distinct values of ``keys`` (below ``2**key_bits``), sorted, and how
    many times each occurs.

    A least-significant-digit radix sort: ``np.sort`` compares, which costs
    several times as much on the few hundred thousand keys of a photo.
    """
    cdef Py_ssize_t n_keys = keys.shape[0], i, n_distinct, position
    cdef Py_ssize_t n_buckets = 1 << _DIGIT_BITS, bucket
    cdef uint32_t mask = <uint32_t> (n_buckets - 1), key
    cdef int shift
    cdef int64_t total, count
    cdef uint32_t* ordered
    cdef uint32_t* spare
    cdef uint32_t* swap
    cdef int64_t* counts
    ordered = <uint32_t*> malloc((n_keys + 1) * sizeof(uint32_t))
    spare = <uint32_t*> malloc((n_keys + 1) * sizeof(uint32_t))
    counts = <int64_t*> malloc(n_buckets * sizeof(int64_t))
    if ordered == NULL or spare == NULL or counts == NULL:
        free(ordered)
        free(spare)
        free(counts)
        raise MemoryError("no memory to sort the colors' keys")
    try:
        with nogil:
            if n_keys:
                memcpy(ordered, &keys[0], n_keys * sizeof(uint32_t))
            shift = 0
            while shift < key_bits:
                for bucket in range(n_buckets):
                    counts[bucket] = 0
                for i in range(n_keys):
                    counts[(ordered[i] >> shift) & mask] += 1
                total = 0
                for bucket in range(n_buckets):
                    count = counts[bucket]
                    counts[bucket] = total
                    total += count
                for i in range(n_keys):
                    bucket = (ordered[i] >> shift) & mask
                    spare[counts[bucket]] = ordered[i]
                    counts[bucket] += 1
                swap = ordered
                ordered = spare
                spare = swap
                shift += _DIGIT_BITS
            n_distinct = 1 if n_keys > 0 else 0
            for i in range(1, n_keys):
                n_distinct += ordered[i] != ordered[i - 1]
        distinct_array = np.empty(n_distinct, dtype=np.uint32)
        occurrences_array = np.empty(n_distinct, dtype=np.int64)
        distinct_view = distinct_array
        occurrences_view = occurrences_array
        _fill_counted(ordered, n_keys, distinct_view, occurrences_view)
    finally:
        free(ordered)
        free(spare)
        free(counts)
    return distinct_array, occurrences_array


cdef void _fill_counted(
    const uint32_t* ordered,
    Py_ssize_t n_keys,
    uint32_t[::1] distinct,
    int64_t[::1] occurrences,
) noexcept:
    cdef Py_ssize_t i, position = -1
    cdef bint new
    with nogil:
        for i in range(n_keys):
            new = i == 0 or ordered[i] != ordered[i - 1]
            position += new
            distinct[position] = ordered[i]
            occurrences[position] = 1 if new else occurrences[position] + 1


def count_packed(const unsigned char[:, ::1] pixels, uint32_t[::1] table):
    """Add one to ``table[key]`` for the key of each pixel: its channels packed,
    the first in the highest byte (``_distinct.pack_uint8``'s keys)."""
    cdef Py_ssize_t n_pixels = pixels.shape[0], n_channels = pixels.shape[1], i, c
    cdef uint32_t key
    with nogil:
        for i in range(n_pixels):
            key = 0
            for c in range(n_channels):
                key = (key << 8) | pixels[i, c]
            table[key] += 1


def mark_packed(const unsigned char[:, ::1] pixels, unsigned char[::1] seen):
    """Set ``seen[key]`` for the key of each pixel (``count_packed``'s keys):
    which colors occur, in a quarter of a table of counts."""
    cdef Py_ssize_t n_pixels = pixels.shape[0], n_channels = pixels.shape[1], i, c
    cdef uint32_t key
    with nogil:
        for i in range(n_pixels):
            key = 0
            for c in range(n_channels):
                key = (key << 8) | pixels[i, c]
            seen[key] = 1
