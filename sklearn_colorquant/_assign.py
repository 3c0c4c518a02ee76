"""Nearest palette color for each color, in bounded memory."""

import numpy as np

# Bound on the size of one block of the distance matrix, in float64 entries (8 MiB).
_BLOCK_ENTRIES = 1 << 20


def nearest_center(points, centers):
    """Index of the nearest center (squared Euclidean distance) for each point.

    Works through ``points`` in blocks so that memory never holds a
    ``(n_points, n_centers)`` matrix. Ties go to the lowest index.

    Parameters
    ----------
    points : ndarray of shape (n_points, n_channels), float64
    centers : ndarray of shape (n_centers, n_channels), float64

    Returns
    -------
    labels : ndarray of shape (n_points,), intp
    """
    labels = np.empty(len(points), dtype=np.intp)
    # ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2; ||x||^2 is the same for every c.
    half_sq_norms = 0.5 * np.einsum("ij,ij->i", centers, centers)
    block = max(1, _BLOCK_ENTRIES // max(1, len(centers)))
    for start in range(0, len(points), block):
        scores = points[start : start + block] @ centers.T
        np.subtract(half_sq_norms, scores, out=scores)
        labels[start : start + block] = scores.argmin(axis=1)
    return labels
